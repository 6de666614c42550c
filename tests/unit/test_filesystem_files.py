"""``FileSystem(files=...)``: a file system that starts with files already on disk.

The promise is that an initial file is exactly a file created, written and fsynced
(with its directory) by a set-up step before the story starts, minus that step. So
the main test runs random call sequences on both and insists that, at every point,
the file system's state and every outcome of a power loss are the same, under every
persistence model.
"""

from __future__ import annotations

import math
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from lifecheck import (
    Crash,
    Model,
    ModelError,
    PowerLoss,
    Process,
    Spec,
    action,
    always,
    check_spec,
    durable,
    final,
    holds,
    parameter,
    require,
    role,
    violated,
)
from lifecheck.components import DIR, PERSISTENCE_MODELS, FileSystem
from lifecheck.contract import ActionFailure
from lifecheck.modelling.compile import ModelSystem
from tests.unit.test_filesystem import fs, power_losses
from tests.unit.test_persistence import Call, Script, call_sequences

FILES = {"/tmp/a": "x", "/tmp/b": "", "/tmp/d/a": "xy"}
"""Initial files: one with contents, one empty, one in a directory only ``files`` names."""

SETUP: tuple[Call, ...] = (
    ("create", ("/tmp/a",)), ("write", ("/tmp/a", "x")), ("fsync", ("/tmp/a",)),
    ("create", ("/tmp/b",)),
    ("create", ("/tmp/d/a",)), ("write", ("/tmp/d/a", "xy")), ("fsync", ("/tmp/d/a",)),
    ("fsync", ("/tmp",)), ("fsync", ("/tmp/d",)))
"""The set-up step ``FILES`` replaces: every file created, written and made durable."""

START = (("/tmp", "D"), ("/tmp/a", "F"), ("/tmp/b", "F"), ("/tmp/d", "D"), ("/tmp/d/a", "F"))

_SCRIPTS: dict[tuple[str, int | None, bool], type[Script]] = {}


def script(persistence: str, block: int | None, initial: bool) -> type[Script]:
    """A script model whose disk starts with ``FILES`` (``initial``) or only their directories."""
    key = (persistence, block, initial)
    if key not in _SCRIPTS:
        disk = (FileSystem(dirs=("/tmp",), files=FILES, persistence=persistence, block_size=block)
                if initial else
                FileSystem(dirs=("/tmp", "/tmp/d"), persistence=persistence, block_size=block))
        name = f"Files_{persistence}_{block}_{initial}".replace("-", "_")
        _SCRIPTS[key] = type(name, (Script,), {"fs": disk, "__module__": __name__})
    return _SCRIPTS[key]


def walk(sys: ModelSystem, skip: int) -> list[tuple[dict[str, Any], dict[str, dict[str, Any]]]]:
    """After ``skip`` calls, at each point of the rest: the file system, and every power loss."""
    state = sys.init_states()[0]
    seen = []
    for k in range(len(sys.model.calls) + 1):
        if k >= skip:
            seen.append((fs(sys, state), power_losses(sys, state)))
        runs = [out for step, out in sys.successors(state) if step.action == "run"]
        for out in runs:
            assert not isinstance(out, ActionFailure), out.message
        if k < len(sys.model.calls):
            (state,) = runs
    return seen


def compared(persistence: str, block: int | None, calls: tuple[Call, ...]) -> tuple[list, list]:
    """``walk`` after each call, from the initial files and from the set-up step's files."""
    faults = (PowerLoss(max=1),)
    with_files = ModelSystem(script(persistence, block, True)(calls=calls), faults)
    with_setup = ModelSystem(script(persistence, block, False)(calls=(*SETUP, *calls)), faults)
    return walk(with_files, 0), walk(with_setup, len(SETUP))


# -- the promise: an initial file is a file a set-up step made durable --------------------

@pytest.mark.parametrize(("persistence", "block"), [
    *((name, None) for name in PERSISTENCE_MODELS), ("posix", 1), ("ext4-ordered", 1)])
@settings(max_examples=100, deadline=None)
@given(calls=call_sequences(start=START))
def test_initial_files_behave_as_files_a_setup_step_created_and_fsynced(
        persistence: str, block: int | None, calls: tuple[Call, ...]) -> None:
    got, want = compared(persistence, block, calls)
    for k, (g, w) in enumerate(zip(got, want, strict=True)):
        assert g == w, f"after {calls[:k]}"


def test_rename_and_unlink_of_initial_files_then_a_power_loss_under_each_model() -> None:
    """The named case of the property above: the calls the brief singles out."""
    calls: tuple[Call, ...] = (("rename", ("/tmp/a", "/tmp/c")), ("unlink", ("/tmp/d/a",)))
    for persistence in PERSISTENCE_MODELS:
        got, want = compared(persistence, None, calls)
        assert got == want, persistence
        assert len(got[-1][1]) > 1, "a power loss here has several outcomes to compare"


# -- reading them, and a power loss at once ---------------------------------------------

def test_initial_files_are_there_to_read_with_their_parent_directories() -> None:
    sys = ModelSystem(script("ext4-ordered", None, True)(calls=()), (PowerLoss(max=1),))
    got = fs(sys, sys.init_states()[0])
    assert got["tree"] == {"/tmp": DIR, "/tmp/a": "/tmp/a", "/tmp/b": "/tmp/b",
                           "/tmp/d": DIR, "/tmp/d/a": "/tmp/d/a"}
    assert got["data"] == {"/tmp/a": "x", "/tmp/d/a": "xy"}  # an empty file stores nothing
    assert (got["durable_tree"], got["synced"], got["pending"]) == (None, None, ())


@pytest.mark.parametrize("persistence", list(PERSISTENCE_MODELS))
def test_a_power_loss_right_at_the_start_keeps_every_initial_file(persistence: str) -> None:
    sys = ModelSystem(script(persistence, 1, True)(calls=()), (PowerLoss(max=1),))
    start = sys.init_states()[0]
    assert list(power_losses(sys, start).values()) == [fs(sys, start)]


class Reader(Process):
    seen = durable(None, "what the reader read")


class ReadConfig(Model):
    """Reads a config file that exists from the start: no set-up step, no ready flag."""

    readers = role(Reader)
    fs = FileSystem(files={"/etc/app.conf": "v1"}, persistence="posix")

    @action(Reader)
    def read(self, r: Reader) -> None:
        require(r.seen is None)
        r.seen = self.fs.read("/etc/app.conf")

    @always
    def config_is_there(self) -> bool:
        return self.fs.read_or("/etc/app.conf") == "v1"

    @final
    def done(self) -> bool:
        return all(r.seen is not None for r in self.readers)


def test_a_model_reads_an_initial_file_through_crashes_and_a_power_loss() -> None:
    result = check_spec(Spec("read", ReadConfig(), holds(),
                             faults=[Crash(max=1), PowerLoss(max=1)]))
    assert result.matches, result.violations


# -- with dirs= and with symmetry ---------------------------------------------------------

def start_of(disk: FileSystem) -> dict[str, Any]:
    """The fields of ``disk`` in the initial state of a model that declares it."""
    model = type("Start", (Script,), {"fs": disk, "__module__": __name__})
    sys = ModelSystem(model(calls=()), (PowerLoss(max=1),))
    return fs(sys, sys.init_states()[0])


def test_files_and_dirs_together_make_one_namespace() -> None:
    start = start_of(FileSystem(dirs=("/var/log", "/data/empty"), files={"/data/x/f": (1, 2)}))
    assert start["tree"] == {"/var": DIR, "/var/log": DIR, "/data": DIR,
                             "/data/empty": DIR, "/data/x": DIR, "/data/x/f": "/data/x/f"}
    assert start["data"] == {"/data/x/f": (1, 2)}
    assert start_of(FileSystem())["data"] == {}  # the default: no files


class Appender(Process):
    done = durable(False, "appended and synced its own log")


class OwnLogs(Model):
    """Each worker appends to the log it already has; the logs are named after the workers."""

    file_system = parameter("ext4-ordered", "the persistence model of the disk")
    crew = role(Appender, count=2)
    fs = FileSystem(files={"/logs/appender1": "a", "/logs/appender2": "a"},
                    persistence=lambda m: m.file_system)

    @action(Appender)
    def append(self, w: Appender) -> None:
        require(not w.done)
        self.fs.append(f"/logs/{w.name}", "b")
        self.fs.fsync(f"/logs/{w.name}")
        w.done = True

    @always
    def logs_only_grow(self) -> bool:
        return all(self.fs.read_or(f"/logs/{w.name}") in ("a", "ab") for w in self.crew)

    @always
    def nobody_appended(self) -> bool:
        """False once anybody's append is durable, to see symmetry find the same violation."""
        return all(self.fs.read_or(f"/logs/{w.name}") == "a" for w in self.crew)

    @final
    def finished(self) -> bool:
        return all(w.done for w in self.crew)


@pytest.mark.parametrize("persistence", list(PERSISTENCE_MODELS))
def test_initial_files_named_after_processes_are_renamed_by_symmetry(persistence: str) -> None:
    model, faults = OwnLogs(file_system=persistence), [Crash(max=1), PowerLoss(max=1)]
    plain = check_spec(Spec("logs", model, holds(), faults=faults, properties=["LogsOnlyGrow"]))
    reduced = check_spec(Spec("logs", model, holds(), faults=faults, symmetry=("crew",),
                              properties=["LogsOnlyGrow"]))
    assert plain.matches and reduced.matches, (plain.violations, reduced.violations)
    assert reduced.stats.distinct_states < plain.stats.distinct_states
    found = check_spec(Spec("logs", model, violated("NobodyAppended"), faults=faults,
                            symmetry=("crew",), properties=["NobodyAppended"]))
    assert found.matches, found.violations


# -- what it refuses -------------------------------------------------------------------------

@pytest.mark.parametrize(("kwargs", "message"), [
    ({"files": {"tmp/a": "x"}}, "absolute and normalised"),
    ({"files": {"/tmp/a/": "x"}}, "absolute and normalised"),
    ({"files": {"/tmp/../a": "x"}}, "absolute and normalised"),
    ({"files": {"/": "x"}}, "'/' is the root directory"),
    ({"files": {"/tmp/a": "x", "/tmp/a/b": "y"}}, "'/tmp/a/b' is inside '/tmp/a', a file"),
    ({"dirs": ("/tmp/a",), "files": {"/tmp/a": "x"}}, "'/tmp/a' is a directory in dirs="),
    ({"dirs": ("/tmp/a/b",), "files": {"/tmp/a": "x"}}, "'/tmp/a/b' is inside '/tmp/a', a file"),
    ({"files": {"/tmp/a": [1, 2]}}, "'/tmp/a' was given a list"),
    ({"files": {"/tmp/a": {"k": 1}}}, "use lifecheck.FrozenMap"),
    ({"files": {"/tmp/a": math.nan}}, "NaN"),
    ({"files": ["/tmp/a"]}, "maps each file's path to its contents"),
])
def test_bad_initial_files_are_model_errors_that_say_why(kwargs: dict, message: str) -> None:
    with pytest.raises(ModelError) as info:
        FileSystem(**kwargs)
    assert message in str(info.value)


@given(contents=st.one_of(st.text(max_size=3), st.binary(max_size=3),
                          st.tuples(st.integers(), st.booleans()), st.integers(), st.none()))
def test_any_value_a_write_could_store_is_accepted(contents: Any) -> None:
    assert start_of(FileSystem(files={"/f": contents}))["data"].get("/f", "") == contents
