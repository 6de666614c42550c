"""Brokers unpacking a plugin archive while being killed: the crash benchmark, with a SPIN twin.

The lifecycle of :class:`models.extraction.AtomicRename` (each broker unpacks into a
temporary directory of its own, then renames it onto the target; a broker that finds
the target loads it; a leftover temporary directory is removed at the next start),
written with plain fields instead of the file-system component so that a Promela
model (``crash_extraction.pml``) can hold exactly the same state: the component keeps
bookkeeping (locks, what an fsync made durable) that a twin would have to mirror
byte for byte. The disk is durable fields, which a crash keeps; what a broker knows
is volatile, which a crash forgets.

The crash step may hit any broker in any state while the budget lasts, in both
tools, so that transition counts agree as well as states. Both check the same two
invariants on every state (SPIN asserts them at the end of every step).
"""

from __future__ import annotations

from lifecheck import (
    Crash,
    Model,
    Process,
    Spec,
    action,
    always,
    durable,
    final,
    holds,
    parameter,
    require,
    role,
    volatile,
)

# A broker's phases, numbered as in the Promela twin.
BOOT, UNPACK, WRITE, RENAME, LOAD, RUNNING = range(6)
# What a directory holds for each file of the archive.
ABSENT, EMPTY, FULL = range(3)
NOT_LOADED = -1


class Broker(Process):
    """A broker: its memory is volatile; its temporary directory is on disk, durable."""

    phase = volatile(BOOT, "boot, unpack, write, rename, load, running")
    unpacked = volatile(0, "files written in full by this attempt")
    complete = volatile(NOT_LOADED, "complete files the load saw (-1: has not loaded)")
    tmp_exists = durable(False, "whether its temporary directory exists")
    tmp = durable(ABSENT, count="files", doc="each file in its temporary directory")


class CrashExtraction(Model):
    """B brokers on one host unpack a K-file archive by atomic rename."""

    files = parameter(2, "K: files in the archive", check=lambda k: isinstance(k, int) and k >= 1)
    brokers = parameter(2, "brokers sharing /tmp", check=lambda n: isinstance(n, int) and n >= 1)
    fleet = role(Broker, count="brokers")
    target_exists = durable(False, "whether the target directory exists")
    target = durable(ABSENT, count="files", doc="each file in the target directory")

    @action(Broker)
    def boot(self, b: Broker) -> None:
        """Remove a leftover of a killed attempt; load a finished target, or start unpacking."""
        require(b.phase == BOOT)
        if b.tmp_exists:
            for i in range(self.files):
                b.tmp[i] = ABSENT
        if self.target_exists:
            b.tmp_exists = False
            b.phase = LOAD
        else:
            b.tmp_exists = True
            b.phase = UNPACK

    @action(Broker)
    def create(self, b: Broker) -> None:
        """Separate from the write, so a crash can leave a file that exists but is empty."""
        require(b.phase == UNPACK)
        b.tmp[b.unpacked] = EMPTY
        b.phase = WRITE

    @action(Broker)
    def write(self, b: Broker) -> None:
        require(b.phase == WRITE)
        b.tmp[b.unpacked] = FULL
        b.unpacked += 1
        b.phase = UNPACK if b.unpacked < self.files else RENAME

    @action(Broker)
    def rename(self, b: Broker) -> None:
        """The directory moves onto an absent target whole; onto an existing one it fails,
        and the broker discards its copy and loads the winner's."""
        require(b.phase == RENAME)
        for i in range(self.files):
            if not self.target_exists:
                self.target[i] = b.tmp[i]
            b.tmp[i] = ABSENT
        self.target_exists = True
        b.tmp_exists = False
        b.phase = LOAD

    @action(Broker)
    def load(self, b: Broker) -> None:
        """Load whatever the target holds; no_partial_load says whether it was all there."""
        require(b.phase == LOAD)
        b.complete = sum(self.target[i] == FULL for i in range(self.files))
        b.phase = RUNNING

    @always
    def no_partial_load(self) -> bool:
        """A broker only ever loads a target holding all K files in full."""
        return all(b.complete in (NOT_LOADED, self.files) for b in self.fleet)

    @always
    def no_clobber(self) -> bool:
        """While a broker runs, the target still holds all K files in full."""
        return (not any(b.phase == RUNNING for b in self.fleet)
                or all(self.target[i] == FULL for i in range(self.files)))

    @final
    def all_running(self) -> bool:
        return all(b.phase == RUNNING for b in self.fleet)


def crash_spec(brokers: int, files: int, crashes: int,
               known_counts: tuple[int, int] | None = None) -> Spec:
    """The benchmark at a size; ``known_counts`` are SPIN's for the twin at that size."""
    return Spec(f"crash-extraction/{brokers}-brokers/{files}-files/{crashes}-crashes",
                CrashExtraction(brokers=brokers, files=files), holds(),
                faults=[Crash(max=crashes)], known_counts=known_counts)


def twin_defines(spec: Spec) -> dict[str, int]:
    """The Promela twin's sizes for a spec of :func:`crash_spec`."""
    return {"B": spec.model.brokers, "K": spec.model.files, "CRASHES": spec.faults[0].max}


SMALL = crash_spec(3, 4, 3, known_counts=(34_065, 155_920))
LARGE = crash_spec(4, 4, 4, known_counts=(961_441, 6_135_413))
SPECS = [SMALL, LARGE]

PROMELA = {s.name: ("crash_extraction.pml", twin_defines(s)) for s in SPECS}

# bfs where it is affordable: a few thousand states a second, so minutes on a million.
# "2 workers": the team `lifecheck check --workers 2` uses (vector workers), beside one process;
# "exact": `lifecheck check --exact` (every state's row kept and compared).
ENGINES = {SMALL.name: ("bfs", "vector"), LARGE.name: ("vector", "exact", "2 workers")}
