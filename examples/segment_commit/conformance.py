"""Holding the real tiered-storage broker to the segment-commit models.

The adapter maps each model step onto the real broker (:mod:`.broker`) and the
store on local disk (:mod:`.store`):

* ``start``: a broker is constructed on the segment directory, loading its metadata;
* ``append``: a producer sends the next message; the broker's return is the ack;
* ``seal``, ``flush``, ``recommit``: ``roll()``, ``flush()``, ``recommit_scan()``;
* ``run_task``: the executor runs the pending commit of the chosen segment; where
  the model's request failed, the store is told to fail the next request first;
* ``retention``: retention of that one segment;
* ``crash``: the broker object and its executor are dropped, with every commit in
  flight, and only the disk remains; the next ``start`` runs the real recovery.

The crash is a process crash at a step boundary without the process: what a
killed broker leaves is its files, which the page cache keeps, and nothing in
memory, and that is what is left here. (The extraction adapter shows the same
with real processes killed by SIGKILL.)

The abstraction function reads the disk: each segment's size (lines in its file,
or the size its metadata recorded once the file is gone), sealed flag and
committed position from the metadata, whether the file exists, the objects in
the store, and the commits waiting in the executor.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

from lifecheck.conformance import Adapter, Conformance, ConformanceError, Divergence
from lifecheck.contract import Step, TransitionSystem
from lifecheck.modelling.compile import ModelSystem
from lifecheck.modelling.spec import Spec
from lifecheck.models.segment_commit import REMOTE, BackgroundRecommit, FireAndForget

from .broker import Broker, FireAndForgetBroker, RecommitBroker, SegmentsFull, commit_name
from .executor import SteppedExecutor
from .store import DiskObjectStore

SEGMENT = re.compile(r"segment=(\d+)")
DESIGNS: dict[type, type[Broker]] = {FireAndForget: FireAndForgetBroker,
                                     BackgroundRecommit: RecommitBroker}


class SegmentCommitAdapter(Adapter):
    """A real broker's segments in ``workdir/segments``, its store in ``workdir/store``."""

    covers = ("acked", "broker*.started", "broker*.segments", "remote.objects", "executor.pending")

    def __init__(self, system: TransitionSystem, workdir: Path) -> None:
        if not isinstance(system, ModelSystem):
            raise ConformanceError("the segment-commit adapter drives a compiled segment-commit model")
        model = system.model
        design = DESIGNS.get(type(model))
        if design is None:
            raise ConformanceError(f"no real broker implements {type(model).__name__} "
                                   f"(implemented: {', '.join(d.__name__ for d in DESIGNS)})")
        names = system.process_names()
        if len(names) != 1:
            raise ConformanceError(f"the real broker is one process; the model has {names}")
        self.name = names[0]
        self.design = design
        self.segments = model.segments
        self.capacity = model.capacity
        self.root = workdir / "segments"
        design.format(self.root, self.segments)
        self.store = DiskObjectStore(workdir / "store")
        self.executor = SteppedExecutor()
        self.broker: Broker | None = None
        self.acked = 0

    # -- driving -------------------------------------------------------------------------------
    def perform(self, step: Step) -> None:
        if step.action == "crash":
            self.broker, self.executor = None, SteppedExecutor()  # memory is gone, the disk stays
            return
        if step.action == "start":
            if self.broker is not None:
                raise Divergence("the model starts the broker, but the real one is running")
            self.broker = self.design(self.root, self.store, self.executor,
                                      segments=self.segments, capacity=self.capacity)
            return
        broker = self._running(step)
        failures = (step.fault or "").split(",").count(REMOTE)
        self.store.fail_next(failures)
        if step.action == "append":
            try:
                broker.append(b"m%d" % self.acked)
            except SegmentsFull:
                return  # no ack: the observation shows the model's ack missing
            self.acked += 1
        elif step.action == "seal":
            broker.roll()
        elif step.action == "flush":
            broker.flush()
        elif step.action == "recommit":
            broker.recommit_scan()
        elif step.action == "run_task":
            found = SEGMENT.search(" ".join(map(str, step.choices)))
            if found is None:
                raise ConformanceError(f"cannot tell which commit {step.label()} runs")
            self.executor.run(commit_name(int(found.group(1))))
        elif step.action == "retention":
            broker.delete_if_uploaded(dict(step.params)["segment"])
        else:
            raise ConformanceError(f"the segment-commit adapter does not know action {step.action}")
        if self.store.failures_armed:
            raise Divergence(f"the model's {step.label()} had a request fail, but the real "
                                 "broker made no request")

    def _running(self, step: Step) -> Broker:
        if self.broker is None:
            raise Divergence(f"the model's broker takes {step.label()}, but the real one is down")
        return self.broker

    # -- the abstraction function ----------------------------------------------------------------
    def observe(self) -> dict[str, Any]:
        segments = Broker.on_disk(self.root, self.segments)
        objects = {key: (tuple(int(item[1:]) for item in self.store.contents(key) or ()),
                         self.store.is_complete(key))
                   for key in self.store.object_keys()}
        return {
            "acked": self.acked,
            f"{self.name}.started": self.broker is not None,
            f"{self.name}.segments": segments,
            "remote.objects": objects,
            "executor.pending": tuple(sorted(t.name[1] for t in self.executor.pending)),
        }

    def expect(self, fields: dict[str, Any]) -> dict[str, Any]:
        segments = {i: (s.size, s.sealed, s.committed, s.local)
                    for i, s in fields[f"{self.name}.segments"].items()}
        objects = {key: (obj.data, obj.complete) for key, obj in fields["remote.objects"].items()}
        return {
            "acked": fields["acked"],
            f"{self.name}.started": fields[f"{self.name}.started"],
            f"{self.name}.segments": segments,
            "remote.objects": objects,
            "executor.pending": tuple(sorted(t.work.segment for t in fields["executor.pending"])),
        }


def _spec(name: str) -> Spec:
    from specs.segment_commit import SPECS

    for spec in SPECS:
        if spec.name == name:
            return spec
    raise ConformanceError(f"no segment-commit spec named {name!r}")


def real(spec_name: str) -> Conformance:
    """The real broker of a spec's design, held to that spec."""
    return Conformance(_spec(spec_name), SegmentCommitAdapter, name=f"{spec_name}/real")


FIRE_AND_FORGET = real("segment-commit/fire-and-forget/remote-failures")
"""The shipped design: loses acknowledged messages once a commit fails (NoLostMessage)."""
FIRE_AND_FORGET_CRASH = real("segment-commit/fire-and-forget/crash")
RECOMMIT = real("segment-commit/background-recommit/remote-failures")
RECOMMIT_CRASH = real("segment-commit/background-recommit/crash")
