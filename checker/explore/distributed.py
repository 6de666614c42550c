"""Distributed exploration on Ray: actors own partitions of the states.

The algorithm is the parallel explorer's (:mod:`lifecheck.explore.parallel`), level by
level with a barrier, so the distinct states are exactly the sequential
explorer's and counterexamples stay shortest; only the team changes. Each Ray
actor compiles the spec itself (a compiled model holds generated classes that do
not pickle, the spec does) and owns the states whose key hashes to it.

What crosses the network, per level:
* coordinator -> every actor: the command, and the references to the batches other
  actors produced for it;
* actor -> coordinator: counts, coverage, violations found (a few bytes each);
* actor -> actor, per destination, one batch. With vector workers (the default where
  the vector engine can check the spec; :mod:`lifecheck.explore.vector.partition`)
  that is, per distinct successor a sender reached, its 8-byte fingerprint; then
  the owner claims the ones it has never seen (a list of positions back), and only
  for those the sender builds and sends the row: 4 bytes per field, 12 for the
  parent reference and step index, and each distinct value once per pair of
  actors. With bfs workers it is each distinct successor once per sender: the
  state, its parent reference (actor, index) and the step index (about the size of
  a pickled state plus 20 bytes).

The batches travel as Ray objects: the coordinator passes references on, so a
batch goes from the actor that made it to the actor that owns it through Ray's
object store, not through the coordinator. Memory per actor is its share of the
states; adding machines adds memory and CPU in proportion, while each level's
barrier costs one round trip, which is what limits very deep, thin state spaces.

Partitioning uses :mod:`lifecheck.explore.stable_hash`, which every process computes alike
(Python's own hash is salted per process, and ``hash(None)`` is an address before
Python 3.12), while each owner still deduplicates by comparing states exactly.
A spec loaded from a file
travels as its file and name: each actor loads the file by the spec loader's rules
(:mod:`lifecheck.modelling.loader`), so models defined in the spec file or beside it work.
``ray.init()`` starts a local Ray by default; ``address=`` joins an existing cluster.
"""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path
from typing import Any

from lifecheck.contract import Options
from lifecheck.errors import EngineRefused
from lifecheck.explore.engines import team_kind, team_refusal
from lifecheck.explore.exploration import Exploration
from lifecheck.explore.parallel import partition
from lifecheck.explore.team import coordinate, first_failure, worker_error
from lifecheck.modelling.spec import Expectation, Spec, load_specs

ByFile = tuple[str, str, "list[str] | None", Expectation]  # a spec's file, name, properties, verdict


def explore_on_ray(spec: Spec, options: Options, workers: int = 2,
                   address: str | None = None) -> Exploration:
    """Explore ``spec`` with ``workers`` Ray actors (a local Ray unless ``address`` is given)."""
    try:
        import ray
    except ImportError:
        raise EngineRefused("distributed exploration needs Ray: pip install "
                            "'lifecheck[distributed]'") from None
    system = spec.system()
    why = team_refusal(system, options)
    if why is not None:
        raise EngineRefused(why)
    started_here = not ray.is_initialized()
    if started_here:
        ray.init(address=address, include_dashboard=False, log_to_driver=False,
                 configure_logging=False)
    try:
        team = _RayTeam(ray, spec, options, workers, team_kind(system, options))
        try:
            return coordinate(system, options, team)
        finally:
            team.close()
    finally:
        if started_here:
            ray.shutdown()


class _PartitionActor:
    """One partition, in a Ray actor: the spec is compiled again on the actor's side."""

    def __init__(self, spec: Spec | ByFile, options: Options, me: int, workers: int,
                 kind: str) -> None:
        self.part = partition(_resolve(spec).system(), options, me, workers, kind,
                              stable_partitions=True)

    def handle(self, command: str, *args: Any) -> tuple:
        if command in ("offer", "claim", "admit"):  # batches: references to other actors' results
            import ray

            args = (ray.get(list(args[0])), *args[1:])
        return self.part.handle(command, *args)

    def scatter(self, command: str, *args: Any) -> tuple:
        """The reply to ``expand`` or ``deliver``, then one batch per destination as
        separate Ray objects, so that each goes straight to the actor it is for."""
        reply = self.part.handle(command, *args)
        if reply[0] != "ok":
            return (reply, *([b""] * self.part.workers))
        if command == "expand":
            return (reply, *reply[1].pop("outbox"))
        return (("ok", None), *reply[1])


class _RayTeam:
    def __init__(self, ray: Any, spec: Spec, options: Options, size: int, kind: str) -> None:
        self.ray = ray
        self.size = size
        self.kind = kind
        actor = ray.remote(num_cpus=0)(_PartitionActor)
        ref = _by_file(spec)
        # The progress line and the stop request are the coordinator's: an actor neither
        # reports nor polls, and the callables need not cross to it.
        options = replace(options, progress=None, stop_requested=None)
        self.actors = [actor.remote(ref, options, w, size, kind) for w in range(size)]

    def all(self, command: str, args: list[tuple]) -> list[Any]:
        if command in ("expand", "deliver"):
            # Keep the batches as references: each goes straight to the actor that owns it.
            refs = [a.scatter.options(num_returns=1 + self.size).remote(command, *arg)
                    for a, arg in zip(self.actors, args, strict=True)]
            replies = self.ray.get([r[0] for r in refs])
            first_failure(replies)
            reports = [reply[1] for reply in replies]
            if command == "deliver":
                return [list(r[1:]) for r in refs]
            for report, r in zip(reports, refs, strict=True):
                report["outbox"] = list(r[1:])
            return reports
        replies = self.ray.get([a.handle.remote(command, *arg)
                                for a, arg in zip(self.actors, args, strict=True)])
        first_failure(replies)
        return [reply[1] for reply in replies]

    def one(self, worker: int, command: str, *args: Any) -> Any:
        return _unwrap(self.ray.get(self.actors[worker].handle.remote(command, *args)))

    def close(self) -> None:
        for a in self.actors:
            self.ray.kill(a)


def _by_file(spec: Spec) -> Spec | ByFile:
    """What an actor is sent: the spec's file and name when it came from one, else the spec.

    A model class defined in a spec file belongs to a module that only the spec
    loader can import (it sets up the spec's project on ``sys.path``), so the
    actor loads the file itself rather than unpickling classes by module name.
    """
    if spec.source and Path(spec.source).is_file():
        # The properties travel too: a spec narrowed in memory (its safety properties
        # alone, say) must be the one the actors check, not the one in the file.
        return (str(Path(spec.source).resolve()), spec.name,
                None if spec.properties is None else list(spec.properties), spec.expect)
    return spec


def _resolve(ref: Spec | ByFile) -> Spec:
    if isinstance(ref, Spec):
        return ref
    file, name, properties, expect = ref
    (spec,) = [s for s in load_specs(file) if s.name == name]
    return replace(spec, properties=properties, expect=expect)


def _unwrap(reply: tuple) -> Any:
    if reply[0] == "error":
        raise worker_error(*reply[1:])
    return reply[1]
