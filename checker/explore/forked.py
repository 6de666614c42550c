"""Forking a worker process with a pipe to it, so that the worker ends with its parent.

A forked child inherits every file descriptor of its parent, the parent's end of its
own pipe included (and those of the workers forked before it). While it holds one,
the child never reads end-of-file when the parent dies (a kill -9, the out-of-memory
killer) and waits for orders forever, holding memory and the parent's output pipes.
So the child closes every parent end it inherited before it starts its work.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any


def fork_worker(ctx: Any, target: Callable[..., None], args: tuple,
                held: Iterable[Any] = ()) -> tuple[Any, Any]:
    """Start ``target(*args, pipe)`` in a forked process (``ctx``: a fork context); return
    this end of the pipe and the process. ``held``: the parent's ends of other workers'
    pipes, which the child must not keep open either."""
    here, there = ctx.Pipe()
    proc = ctx.Process(target=_child, args=(target, args, there, [here, *held]), daemon=True)
    proc.start()
    there.close()
    return here, proc


def _child(target: Callable[..., None], args: tuple, pipe: Any, parent_ends: list[Any]) -> None:
    for end in parent_ends:
        end.close()
    target(*args, pipe)
