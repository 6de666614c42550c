"""Holding the real unpackers to the extraction models (:mod:`models.extraction`).

Each broker of the model is a real child process running a real unpacker
(:mod:`examples.extraction.unpacker`) against a real zip archive and a real
working directory. The adapter maps the model's steps onto it:

* ``lock``, ``boot``, ``unpack_create``, ``unpack_write``, ``write_marker``,
  ``rename``, ``load``: the broker must be paused before exactly that step; it is
  let through it (with a start-up failure injected where the model's ``load``
  failed start-up) and runs to its next pause;
* ``crash``: the broker is killed with SIGKILL where it is paused, and its
  supervisor starts a fresh process, whose recovery code runs from the top;
* ``restart``: the broker's process exited after a failed start; a fresh one starts.

The abstraction function reads what is really there: every entry under the
working directory with its contents, who holds the lock (from ``/proc/locks``),
and per broker the step it is paused before, how many files it wrote and what
its load saw, as it reported them. The model side of each observation is
computed from the model's fields, which the observations cover.

A power loss cannot be produced by killing a process (the page cache survives),
so these specs have process crashes only; the model's power-loss verdicts stay
the checker's.
"""

from __future__ import annotations

from functools import partial
from pathlib import Path
from typing import Any

from lifecheck.components.filesystem import DIR
from lifecheck.conformance import Adapter, Conformance, ConformanceError, Divergence
from lifecheck.contract import Step, TransitionSystem
from lifecheck.modelling.compile import ModelSystem
from lifecheck.modelling.faults import PowerLoss
from lifecheck.modelling.spec import Spec
from lifecheck.models.extraction import LOCK, STARTUP, TMP, AtomicRename, MarkerFile, UnpackInPlace

from .process import BrokerProcess
from .unpacker import (
    FAIL_STARTUP,
    GO,
    LOCK_NAME,
    InPlaceUnpacker,
    MarkerUnpacker,
    RenameUnpacker,
    Unpacker,
    make_archive,
)

LOCKED_PHASES = {"lock": "boot", "boot": "locked", "unpack_create": "unpack", "unpack_write": "write",
                 "write_marker": "marker", "load": "load"}
"""Model phase of a broker paused before each step, for the designs that take a lock first."""
RENAME_PHASES = {"boot": "boot", "unpack_create": "unpack", "unpack_write": "write",
                 "rename": "rename", "load": "load"}
FILES = "files under /tmp"
"""The observation of the shared working directory: relative path -> 'dir' or contents."""


def real_design(system: ModelSystem) -> tuple[type[Unpacker], dict[str, Any], dict[str, str]]:
    """The real unpacker for the model's design, its options, and its phase names."""
    model = system.model
    if isinstance(model, MarkerFile):
        return MarkerUnpacker, {}, LOCKED_PHASES
    if isinstance(model, UnpackInPlace):
        return InPlaceUnpacker, {}, LOCKED_PHASES
    if isinstance(model, AtomicRename):
        return RenameUnpacker, {"fsync": model.fsync}, RENAME_PHASES
    raise ConformanceError(f"no real unpacker implements {type(model).__name__}")


class ExtractionAdapter(Adapter):
    """Real brokers (child processes) unpacking a real archive into ``workdir/tmp``."""

    covers = ("fs.tree", "fs.data", "fs.locks", "broker*.phase", "broker*.unpacked",
              "broker*.complete_files")

    def __init__(self, system: TransitionSystem, workdir: Path, *,
                 unpacker: type[Unpacker] | None = None) -> None:
        """``unpacker`` replaces the real design that matches the model (to hold one design
        to another's model, which must diverge)."""
        if not isinstance(system, ModelSystem):
            raise ConformanceError("the extraction adapter drives a compiled extraction model")
        if any(isinstance(f, PowerLoss) for f in system.faults):
            raise ConformanceError("a power loss cannot be produced by killing a process (the page "
                                   "cache survives it): hold real code to specs with crashes only")
        design, options, self.phases = real_design(system)
        if unpacker is not None:
            design, options = unpacker, {}
        self.tmp = workdir / "tmp"
        self.tmp.mkdir()
        archive = make_archive(workdir / "plugin.nar", system.model.archive())
        self._make = {name: partial(self._unpacker, design, archive, name, options)
                      for name in system.process_names()}
        self.brokers: dict[str, BrokerProcess] = {}
        try:
            for name in self._make:
                self.brokers[name] = BrokerProcess(name, self._make[name])
        except BaseException:
            self.close()  # no broker outlives a failed start of the others
            raise

    def _unpacker(self, cls: type[Unpacker], archive: Path, name: str, options: dict[str, Any],
                  checkpoint: Any) -> Unpacker:
        return cls(archive, self.tmp, name, checkpoint, **options)

    # -- driving ---------------------------------------------------------------------------
    def perform(self, step: Step) -> None:
        name = step.process
        if name not in self.brokers:
            raise ConformanceError(f"the extraction adapter has no broker {name!r} for {step.label()}")
        broker = self.brokers[name]
        if step.action == "crash":
            broker.kill()
            self.brokers[name] = BrokerProcess(name, self._make[name])  # the supervisor restarts it
        elif step.action == "restart":
            if broker.alive:
                raise Divergence(f"the model restarts {name} after a failed start, but the real "
                                 f"{name} is still up ({broker.report})")
            self.brokers[name] = BrokerProcess(name, self._make[name])
        elif broker.at != step.action:
            where = f"about to {broker.at}" if broker.at else f"done starting ({broker.report})"
            raise Divergence(f"the model's {name} takes {step.action}, the real {name} is {where}")
        else:
            faults = step.fault.split(",") if step.fault else []
            broker.go(FAIL_STARTUP if STARTUP in faults else GO)

    def close(self) -> None:
        for broker in self.brokers.values():
            broker.kill()

    # -- the abstraction function ---------------------------------------------------------------
    def observe(self) -> dict[str, Any]:
        seen: dict[str, Any] = {FILES: self._files(), "fs.locks": self._locks()}
        for name, broker in self.brokers.items():
            report = broker.report
            if broker.at is not None:
                phase = self.phases[broker.at]
            else:
                phase = "running" if report.get("running") else "failed"
            seen[f"{name}.phase"] = phase
            seen[f"{name}.unpacked"] = report.get("unpacked", 0)
            seen[f"{name}.complete_files"] = report.get("complete")
        return seen

    def expect(self, fields: dict[str, Any]) -> dict[str, Any]:
        tree, data = fields["fs.tree"], fields["fs.data"]
        files = {path[len(TMP) + 1:]: DIR if entry == DIR else data.get(entry, "")
                 for path, entry in tree.items() if path.startswith(TMP + "/")}
        out: dict[str, Any] = {FILES: files, "fs.locks": dict(fields["fs.locks"])}
        for name in self.brokers:
            for field in ("phase", "unpacked", "complete_files"):
                out[f"{name}.{field}"] = fields[f"{name}.{field}"]
        return out

    def _files(self) -> dict[str, str]:
        """Everything under the working directory but the lock file, which the model keeps apart."""
        out: dict[str, str] = {}
        for path in sorted(self.tmp.rglob("*")):
            rel = path.relative_to(self.tmp).as_posix()
            if rel == LOCK_NAME:
                continue
            out[rel] = DIR if path.is_dir() else path.read_text()
        return out

    def _locks(self) -> dict[str, str]:
        """Who holds the lock file's ``flock``, as the kernel says (``/proc/locks``)."""
        lock = self.tmp / LOCK_NAME
        if not lock.exists():
            return {}
        inode = lock.stat().st_ino
        ours = {b.pid: name for name, b in self.brokers.items() if b.alive}
        holders: dict[str, str] = {}
        with open("/proc/locks") as table:
            for line in table:
                parts = line.split()
                if len(parts) < 6 or parts[1] != "FLOCK":  # "->" marks a process still waiting
                    continue
                pid, where = int(parts[4]), parts[5]
                if int(where.rsplit(":", 1)[1]) == inode and pid in ours:
                    holders[LOCK] = ours[pid]
        return holders


def _spec(name: str) -> Spec:
    from specs.extraction import SPECS

    for spec in SPECS:
        if spec.name == name:
            return spec
    raise ConformanceError(f"no extraction spec named {name!r}")


def real(spec_name: str) -> Conformance:
    """The real unpacker of a spec's design, held to that spec."""
    return Conformance(_spec(spec_name), ExtractionAdapter, name=f"{spec_name}/real")


IN_PLACE = real("extraction/in-place/crash")
"""The shipped design on a real disk: fails (NoPartialLoad) after a real kill -9."""
IN_PLACE_2_BROKERS = real("extraction/in-place/2-brokers/crash")
MARKER = real("extraction/marker/crash")
MARKER_2_BROKERS = real("extraction/marker/2-brokers/crash")
RENAME = real("extraction/rename/crash")
RENAME_FSYNC = real("extraction/rename-fsync/crash")
RENAME_2_BROKERS = real("extraction/rename/2-brokers/crash")
