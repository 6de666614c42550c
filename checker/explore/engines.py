"""One table of engines: what each one explores with, and why it may refuse a spec.

The engine is chosen here and nowhere else: ``--ray`` and ``--workers`` pick a team,
``--engine`` a single-process explorer (``auto``, the default: the bfs explorer while
a run is small, handed over to the vector engine once it grows, where that engine can
check the spec; see :mod:`lifecheck.explore.handover`). A refusal is an
:class:`~lifecheck.errors.EngineRefused` that names the way out, raised before anything
is explored.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING

from lifecheck.contract import Options, TransitionSystem
from lifecheck.errors import EngineRefused
from lifecheck.explore.exploration import Exploration

if TYPE_CHECKING:
    from lifecheck.modelling.spec import Spec

Refusal = Callable[[TransitionSystem, Options], "str | None"]
Explorer = Callable[[TransitionSystem, Options, "Spec | None"], Exploration]


@dataclass(frozen=True)
class Engine:
    name: str
    about: str
    refusal: Refusal  # why it cannot check this system with these options (None: it can)
    explore: Explorer


def _none(system: TransitionSystem, options: Options) -> str | None:
    return None


def _vector_refusal(system: TransitionSystem, options: Options) -> str | None:
    from lifecheck.explore.vector import refusal

    why = refusal(system, options)
    if why is None:
        return None
    return (f"the vector engine cannot check this spec: {why}; use --engine bfs "
            "(or --engine auto, which uses it only where it can)")


def team_refusal(system: TransitionSystem, options: Options) -> str | None:
    """Why workers (forked or Ray actors) cannot check this spec."""
    if options.workers < 1:
        return "workers must be at least 1"
    if options.engine == "vector":
        from lifecheck.explore.vector.partition import refusal

        why = refusal(system, options)
        if why is not None:
            return (f"the vector engine cannot check this spec in a team of workers: {why}; "
                    "use --engine bfs (or --engine auto, which uses it only where it can)")
    return None


def team_kind(system: TransitionSystem, options: Options) -> str:
    """What each worker of a team explores with: "vector" (steps learned, fingerprints)
    where it can check the spec and was not told otherwise, else "bfs" (exact)."""
    if options.engine == "bfs" or options.fingerprints or options.exact:
        return "bfs"
    from lifecheck.explore.vector.partition import refusal

    return "vector" if refusal(system, options) is None else "bfs"


def _ray_refusal(system: TransitionSystem, options: Options) -> str | None:
    try:
        import ray  # noqa: F401
    except ImportError:
        return "distributed exploration needs Ray: pip install 'lifecheck[distributed]'"
    return team_refusal(system, options)


def _bfs(system: TransitionSystem, options: Options, spec: Spec | None) -> Exploration:
    from lifecheck.explore.bfs import explore

    return explore(system, options)


def _vector(system: TransitionSystem, options: Options, spec: Spec | None) -> Exploration:
    from lifecheck.explore.vector import explore_vector

    return explore_vector(system, options)


def _auto(system: TransitionSystem, options: Options, spec: Spec | None) -> Exploration:
    from lifecheck.explore.handover import explore_handing_over

    return explore_handing_over(system, options)


def _parallel(system: TransitionSystem, options: Options, spec: Spec | None) -> Exploration:
    from lifecheck.explore.parallel import explore_parallel

    return explore_parallel(system, options, options.workers)


def _ray(system: TransitionSystem, options: Options, spec: Spec | None) -> Exploration:
    from lifecheck.explore.distributed import explore_on_ray

    if spec is None:  # the actors compile the spec themselves
        raise EngineRefused("Ray actors load the spec, and this system came without one; "
                            "check a spec, or use --workers")
    return explore_on_ray(spec, options, max(options.workers, 1), options.ray_address)


ENGINES: dict[str, Engine] = {e.name: e for e in (
    Engine("bfs", "state by state, exact: the reference engine", _none, _bfs),
    Engine("vector", "whole levels in numpy with each step's effect learned once",
           _vector_refusal, _vector),
    Engine("auto", "bfs while a run is small, the vector engine once it grows", _none, _auto),
    Engine("parallel", "forked workers, level by level, each a vector (or bfs) explorer",
           team_refusal, _parallel),
    Engine("ray", "Ray actors, level by level, each a vector (or bfs) explorer",
           _ray_refusal, _ray),
)}


def engine_for(system: TransitionSystem, options: Options) -> Engine:
    """The engine ``options`` ask for, or :class:`EngineRefused` with the way out."""
    if options.exact and options.fingerprints:
        raise EngineRefused("exact=True (compare states wherever fingerprints agree) and "
                            "fingerprints=True (keep fingerprints only) contradict each other; "
                            "ask for one of them")
    if options.ray:
        name = "ray"
    elif options.workers > 1:
        name = "parallel"
    elif options.engine in ("bfs", "vector", "auto"):
        name = options.engine
    else:
        raise EngineRefused(f"unknown engine {options.engine!r}: the engines are auto, bfs and "
                            "vector")
    engine = ENGINES[name]
    why = engine.refusal(system, options)
    if why is not None:
        raise EngineRefused(why)
    return engine
