"""lifecheck: a model checker for the lifecycles of distributed systems.

Write a lifecycle as processes with durable and volatile fields, shared
components and atomic actions; name the properties; the checker explores every
interleaving with crashes and other faults injected between any two steps.
"""

from importlib.metadata import PackageNotFoundError
from importlib.metadata import version as _version

from lifecheck.contract import Bounds, Options, Step, TransitionSystem
from lifecheck.errors import ModelError, SpecError
from lifecheck.explore.verdict import check_spec
from lifecheck.modelling.fairness import Strong, Weak
from lifecheck.modelling.faults import Crash, Fail, Pause, PowerLoss, Stop
from lifecheck.modelling.fields import durable, one_of, parameter, volatile
from lifecheck.modelling.initial import initial
from lifecheck.modelling.model import Component, Model, Process, action, role
from lifecheck.modelling.process_faults import paused, stopped
from lifecheck.modelling.properties import always, eventually, final, leads_to, sometimes, transition
from lifecheck.modelling.runtime import (
    choose,
    choose_from,
    current_process,
    draw,
    fault,
    faults_left,
    note,
    require,
    sampling,
)
from lifecheck.modelling.sandbox import install as _install_sandbox
from lifecheck.modelling.spec import Spec, holds, incomplete, violated
from lifecheck.result import Result
from lifecheck.values import FrozenMap

try:
    __version__ = _version("lifecheck")
except PackageNotFoundError:  # run from a source folder that was never installed
    __version__ = "0+unknown"

_install_sandbox()  # clocks and random generators raise ModelError in model code

__all__ = [
    "Bounds", "Component", "Crash", "Fail", "FrozenMap", "Model", "ModelError", "Options", "Pause",
    "PowerLoss", "Process", "Result", "Spec", "SpecError", "Step", "Stop", "Strong",
    "TransitionSystem", "Weak", "action", "always", "check_spec", "choose", "choose_from",
    "current_process", "draw", "durable", "eventually", "fault", "faults_left", "final", "holds",
    "incomplete", "initial", "leads_to", "note", "one_of", "parameter", "paused", "require",
    "role", "sampling", "sometimes", "stopped", "transition", "violated", "volatile",
]
