"""Exhaustive exploration: every reachable state within the bounds, and the verdict.

:mod:`.bfs` is the reference explorer, state by state and exact; :mod:`.vector` explores
whole levels in numpy with each step's effect learned once; :mod:`.parallel` partitions
the states among forked workers and :mod:`.distributed` among Ray actors, level by
level, so counterexamples stay shortest. :mod:`.liveness` finds fair lassos on the
recorded graph, :mod:`.seen` and :mod:`.stable_hash` store and partition states,
:mod:`.checkpoint` saves a run between levels, :mod:`.certify` replays every
counterexample before it is reported, and :mod:`.verdict` turns an exploration into a
:class:`~lifecheck.result.Result`.
"""
