"""lifecheck: a model checker for the lifecycles of distributed systems.

Write a lifecycle as processes with durable and volatile fields, shared
components and atomic actions; name the properties; the checker explores every
interleaving with crashes and other faults injected between any two steps.
"""

from importlib.metadata import PackageNotFoundError
from importlib.metadata import version as _version

from .contract import Bounds, Options, Step, TransitionSystem
from .errors import ModelError, SpecError
from .execution import (
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
from .faults import Crash, Fail, PowerLoss
from .fields import durable, parameter, volatile
from .model import Component, Model, Process, action, role
from .properties import always, eventually, final, leads_to, sometimes, transition
from .result import Result
from .run import check_spec
from .sandbox import install as _install_sandbox
from .spec import Spec, holds, incomplete, violated
from .values import FrozenMap

try:
    __version__ = _version("lifecheck")
except PackageNotFoundError:  # run from a source folder that was never installed
    __version__ = "0+unknown"

_install_sandbox()  # clocks and random generators raise ModelError in model code

__all__ = [
    "Bounds", "Component", "Crash", "Fail", "FrozenMap", "Model", "ModelError", "Options",
    "PowerLoss", "Process", "Result", "Spec", "SpecError", "Step", "TransitionSystem", "action",
    "always", "check_spec", "choose", "choose_from", "current_process", "draw", "durable",
    "eventually", "fault", "faults_left", "final", "holds", "incomplete", "leads_to", "note",
    "parameter", "require", "role", "sampling", "sometimes", "transition", "violated", "volatile",
]
