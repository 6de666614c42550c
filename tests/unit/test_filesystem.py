"""The file system component's semantics, driven through tiny models.

Most tests run a fixed script of file system calls, one call per step (the script
is data, a model parameter, so it must be immutable), then look
at the state the script leaves and at every outcome of a power loss from there
(``ModelSystem.successors``). A few check whole specs with ``check_spec``.
"""

from __future__ import annotations

from typing import Any

import pytest

from lifecheck import (
    Crash,
    FrozenMap,
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
from lifecheck.components import DIR, EMPTY, FileSystem
from lifecheck.contract import ActionFailure
from lifecheck.modelling.compile import ModelSystem

Line = tuple[int, str, tuple, bool, Any]
"""One line of a script: (worker index, FileSystem method, its arguments, check?, expected)."""


def do(method: str, *args: Any, by: int = 0) -> Line:
    return (by, method, args, False, None)


def gives(expected: Any, method: str, *args: Any, by: int = 0) -> Line:
    """A line whose result must be ``expected`` (else the step fails with an assertion)."""
    return (by, method, args, True, expected)


class Worker(Process):
    """A process with nothing of its own: it only runs its lines of the script."""


class Script(Model):
    """Runs ``lines`` in order, one per step, each by its worker (data, so it is immutable)."""

    lines = parameter(())
    workers = parameter(1)
    crew = role(Worker, count="workers")
    fs = FileSystem(dirs=("/tmp",))
    pc = durable(0, "the next line of the script")

    @action(Worker)
    def run(self, w: Worker) -> None:
        require(self.pc < len(self.lines))
        who, method, args, check, expected = self.lines[self.pc]
        require(who == w.index)
        result = getattr(self.fs, method)(*args)
        if check and result != expected:
            raise AssertionError(f"{method}{args} gave {result!r}, wanted {expected!r}")
        self.pc += 1


class PosixScript(Script):
    """The same script on a file system that promises only what POSIX does."""

    fs = FileSystem(dirs=("/tmp",), persistence="posix")


POWER_LOSS = (PowerLoss(max=1),)


def system(*lines: Line, faults=POWER_LOSS, workers: int = 1,
           persistence: str = "ext4-ordered") -> ModelSystem:
    script = {"ext4-ordered": Script, "posix": PosixScript}[persistence]
    return ModelSystem(script(lines=lines, workers=workers), faults)


def run(sys: ModelSystem, state: Any = None, count: int | None = None) -> Any:
    """The state after ``count`` script lines (all by default); each must succeed."""
    state = sys.init_states()[0] if state is None else state
    remaining = len(sys.model.lines) if count is None else count
    for _ in range(remaining):
        runs = [(s, out) for s, out in sys.successors(state) if s.action == "run"]
        assert len(runs) == 1, f"expected one enabled line, got {[s.label() for s, _ in runs]}"
        _, out = runs[0]
        assert not isinstance(out, ActionFailure), out.message
        state = out
    return state


def fs(sys: ModelSystem, state: Any) -> dict[str, Any]:
    """The file system's fields, maps as plain dicts (a FrozenMap never equals a dict)."""
    return {k[3:]: dict(v) if isinstance(v, FrozenMap) else v
            for k, v in sys.describe(state).items() if k.startswith("fs.")}


def power_losses(sys: ModelSystem, state: Any) -> dict[str, dict[str, Any]]:
    """Every outcome of a power loss in ``state``, by its label."""
    return {step.label(): fs(sys, out) for step, out in sys.successors(state)
            if step.action == "power_loss"}


def failure(sys: ModelSystem, state: Any) -> ActionFailure:
    (out,) = [out for s, out in sys.successors(state) if s.action == "run"]
    assert isinstance(out, ActionFailure)
    return out


# -- what processes see ------------------------------------------------------------------

def test_operations_are_visible_at_once_and_reads_see_them() -> None:
    sys = system(do("mkdir", "/tmp/d"), do("create", "/tmp/d/a"),
                 do("write", "/tmp/d/a", "hello"),
                 gives("hello", "read", "/tmp/d/a"),
                 gives(("a",), "listdir", "/tmp/d"),
                 gives(True, "is_dir", "/tmp/d"), gives(True, "is_file", "/tmp/d/a"),
                 gives(True, "holds_files", "/tmp/d", FrozenMap({"a": "hello"})),
                 gives(False, "holds_files", "/tmp/d", FrozenMap({"a": "hello", "b": ""})),
                 gives("none", "read_or", "/tmp/d/b", "none"))
    state = run(sys)
    assert fs(sys, state)["tree"] == {"/tmp": DIR, "/tmp/d": DIR, "/tmp/d/a": "/tmp/d/a"}


@pytest.mark.parametrize(("call", "error", "path"), [
    (do("read", "/tmp/missing"), "FileNotFoundError", "/tmp/missing"),
    (do("create", "/tmp/nodir/a"), "FileNotFoundError", "/tmp/nodir"),
    (do("write", "/tmp/missing", "x"), "FileNotFoundError", "/tmp/missing"),
    (do("mkdir", "/tmp"), "FileExistsError", "/tmp"),
    (do("read", "/tmp"), "IsADirectoryError", "/tmp"),
    (do("rename", "/tmp/missing", "/tmp/b"), "FileNotFoundError", "/tmp/missing"),
    (do("rmdir", "/"), "PermissionError", "/"),
])
def test_what_a_real_file_system_refuses_raises_naming_the_path(call: Line, error: str,
                                                                 path: str) -> None:
    sys = system(call)
    out = failure(sys, sys.init_states()[0])
    assert out.exception_type == error
    assert repr(path) in out.message


def test_a_malformed_path_is_a_model_error_not_a_design_failure() -> None:
    sys = system(do("exists", "tmp/relative"))
    with pytest.raises(ModelError, match="absolute and normalised"):
        sys.successors(sys.init_states()[0])


# -- rename ------------------------------------------------------------------------------

def test_rename_moves_a_directory_with_its_contents() -> None:
    sys = system(do("mkdir", "/tmp/t"), do("create", "/tmp/t/a"),
                 do("write", "/tmp/t/a", "x"),
                 gives(True, "rename", "/tmp/t", "/tmp/p"),
                 gives(False, "exists", "/tmp/t"), gives("x", "read", "/tmp/p/a"))
    state = run(sys)
    # The file keeps its inode (named after where it was born) across the rename.
    assert fs(sys, state)["tree"]["/tmp/p/a"] == "/tmp/t/a"


def test_rename_onto_a_non_empty_directory_fails_and_changes_nothing() -> None:
    sys = system(do("mkdir", "/tmp/a"), do("create", "/tmp/a/x"),
                 do("mkdir", "/tmp/b"), do("create", "/tmp/b/y"))
    before = run(sys)
    after = run(system(*sys.model.lines,
                       gives(False, "rename", "/tmp/a", "/tmp/b")))
    assert fs(sys, before) == fs(sys, after)


def test_rename_onto_an_empty_directory_replaces_it() -> None:
    sys = system(do("mkdir", "/tmp/a"), do("create", "/tmp/a/x"),
                 do("mkdir", "/tmp/b"),
                 gives(True, "rename", "/tmp/a", "/tmp/b"),
                 gives(("b",), "listdir", "/tmp"),
                 gives(("x",), "listdir", "/tmp/b"))
    run(sys)


def test_rename_of_a_file_over_a_file_replaces_it_and_forgets_the_old_one() -> None:
    sys = system(do("create", "/tmp/new"), do("write", "/tmp/new", "2"),
                 do("create", "/tmp/cur"), do("write", "/tmp/cur", "1"),
                 gives(True, "rename", "/tmp/new", "/tmp/cur"),
                 gives("2", "read", "/tmp/cur"), faults=[Crash(max=1)])
    state = run(sys)
    assert fs(sys, state)["data"] == {"/tmp/new": "2"}  # the replaced file's data is gone


@pytest.mark.parametrize(("call", "error"), [
    (do("rename", "/tmp/d", "/tmp/file"), "NotADirectoryError"),
    (do("rename", "/tmp/file", "/tmp/d"), "IsADirectoryError"),
    (do("rename", "/tmp/d", "/tmp/d/inside"), "OSError"),
])
def test_rename_refusals_other_than_not_empty_raise(call: Line, error: str) -> None:
    sys = system(do("mkdir", "/tmp/d"), do("create", "/tmp/file"), call)
    assert failure(sys, run(sys, count=2)).exception_type == error


def test_rename_is_atomic_across_a_power_loss() -> None:
    sys = system(do("mkdir", "/tmp/t"), do("create", "/tmp/t/a"),
                 do("write", "/tmp/t/a", "x"), do("fsync", "/tmp/t/a"),
                 do("rename", "/tmp/t", "/tmp/p"))
    state = run(sys)
    # ext4 commits its journal on the fsync of an appended file: only the rename is pending.
    assert fs(sys, state)["pending"] == (("rename", "/tmp/t", "/tmp/p", DIR, False),)
    outcomes = power_losses(sys, state)
    assert sorted(outcomes) == ["power_loss -> kept: rename /tmp/t -> /tmp/p",
                                "power_loss -> lost: rename /tmp/t -> /tmp/p"]
    for label, after in outcomes.items():
        tree = after["tree"]
        assert not ("/tmp/t" in tree and "/tmp/p" in tree), label
    # Everything survived: the fsynced data is found under the new name.
    full = outcomes["power_loss -> kept: rename /tmp/t -> /tmp/p"]
    assert full["tree"] == {"/tmp": DIR, "/tmp/p": DIR, "/tmp/p/a": "/tmp/t/a"}
    assert full["data"] == {"/tmp/t/a": "x"}


def test_a_posix_rename_may_leave_both_names_or_neither() -> None:
    sys = system(do("create", "/tmp/a"), do("write", "/tmp/a", "x"), do("fsync", "/tmp/a"),
                 do("fsync", "/tmp"), do("rename", "/tmp/a", "/tmp/b"), persistence="posix")
    trees = sorted(sorted(after["tree"]) for after in power_losses(sys, run(sys)).values())
    assert trees == [["/tmp"], ["/tmp", "/tmp/a"], ["/tmp", "/tmp/a", "/tmp/b"],
                     ["/tmp", "/tmp/b"]]


# -- power loss: what ext4 (data=ordered, delayed allocation) may keep --------------------

def test_directory_operations_survive_as_a_prefix_on_ext4() -> None:
    sys = system(do("mkdir", "/tmp/d"), do("create", "/tmp/d/a"),
                 do("create", "/tmp/d/b"))
    outcomes = power_losses(sys, run(sys))
    trees = {label: set(after["tree"]) for label, after in outcomes.items()}
    assert trees == {
        "power_loss -> lost: mkdir /tmp/d, create /tmp/d/a, create /tmp/d/b": {"/tmp"},
        "power_loss -> kept: mkdir /tmp/d; lost: create /tmp/d/a, create /tmp/d/b":
            {"/tmp", "/tmp/d"},
        "power_loss -> kept: mkdir /tmp/d, create /tmp/d/a; lost: create /tmp/d/b":
            {"/tmp", "/tmp/d", "/tmp/d/a"},
        "power_loss -> kept: mkdir /tmp/d, create /tmp/d/a, create /tmp/d/b":
            {"/tmp", "/tmp/d", "/tmp/d/a", "/tmp/d/b"},
    }
    for after in outcomes.values():  # the disk and the page cache agree again afterwards
        assert (after["durable_tree"], after["synced"], after["pending"]) == (None, None, ())


def test_unsynced_data_may_be_lost_even_when_the_name_survives() -> None:
    sys = system(do("mkdir", "/tmp/t"), do("create", "/tmp/t/a"),
                 do("write", "/tmp/t/a", "x"), do("rename", "/tmp/t", "/tmp/p"),
                 do("fsync", "/tmp"))
    state = run(sys)
    # fsync of /tmp committed every directory operation; the append is still pending.
    assert fs(sys, state)["pending"] == (("write", "/tmp/t/a", "x", "append"),)
    outcomes = power_losses(sys, state)
    lost = outcomes["power_loss -> lost: append /tmp/t/a"]
    assert lost["tree"]["/tmp/p/a"] == "/tmp/t/a"
    assert lost["data"] == {}  # the file is there, empty
    assert outcomes["power_loss -> kept: append /tmp/t/a"]["data"] == {"/tmp/t/a": "x"}


def test_data_reverts_to_the_last_fsync_or_keeps_a_later_write() -> None:
    sys = system(do("create", "/tmp/a"), do("fsync", "/tmp"),
                 do("write", "/tmp/a", "v1"), do("fsync", "/tmp/a"),
                 do("write", "/tmp/a", "v2"))
    datas = [after["data"] for after in power_losses(sys, run(sys)).values()]
    assert sorted(d["/tmp/a"] for d in datas) == ["v1", "v2"]


def test_fsync_of_a_file_makes_its_data_durable_but_on_posix_not_its_name() -> None:
    lines = (do("create", "/tmp/a"), do("write", "/tmp/a", "x"), do("fsync", "/tmp/a"))
    posix = system(*lines, persistence="posix")
    outcomes = power_losses(posix, run(posix))
    assert outcomes["power_loss -> lost: create /tmp/a"]["tree"] == {"/tmp": DIR}
    kept = outcomes["power_loss -> kept: create /tmp/a"]
    assert kept["data"] == {"/tmp/a": "x"}
    # ext4 commits the journal, with the file's name, before the data of an append.
    ext4 = system(*lines)
    assert fs(ext4, run(ext4))["pending"] == ()


def test_fsync_of_a_directory_commits_the_operations_on_its_entries() -> None:
    sys = system(do("mkdir", "/tmp/d"), do("create", "/tmp/d/a"),
                 do("mkdir", "/tmp/e"), do("create", "/tmp/x"),
                 do("fsync", "/tmp/d"))
    state = run(sys)
    after = fs(sys, state)
    # create /tmp/d/a needs mkdir /tmp/d; what follows stays pending.
    assert after["pending"] == (("mkdir", "/tmp/e"), ("create", "/tmp/x"))
    assert set(after["durable_tree"]) == {"/tmp", "/tmp/d", "/tmp/d/a"}
    sys2 = system(*sys.model.lines, do("fsync", "/tmp"))
    assert fs(sys2, run(sys2))["pending"] == ()


def test_rmtree_is_one_step_but_a_power_loss_can_leave_it_half_done() -> None:
    sys = system(do("mkdir", "/tmp/d"), do("create", "/tmp/d/a"),
                 do("create", "/tmp/d/b"), do("fsync", "/tmp/d"),
                 do("rmtree", "/tmp/d"), gives(False, "exists", "/tmp/d"))
    state = run(sys)
    assert fs(sys, state)["pending"] == (("unlink", "/tmp/d/b"), ("unlink", "/tmp/d/a"),
                                         ("rmdir", "/tmp/d"))
    trees = {label: set(after["tree"]) for label, after in power_losses(sys, state).items()}
    half = "power_loss -> kept: unlink /tmp/d/b; lost: unlink /tmp/d/a, rmdir /tmp/d"
    assert trees[half] == {"/tmp", "/tmp/d", "/tmp/d/a"}


# -- process crashes and locks -----------------------------------------------------------

def test_a_process_crash_keeps_the_page_cache() -> None:
    sys = system(do("create", "/tmp/a"), do("write", "/tmp/a", "x"),
                 faults=[Crash(max=1), PowerLoss(max=1)])
    state = run(sys)
    (crashed,) = [out for s, out in sys.successors(state) if s.action == "crash"]
    assert fs(sys, crashed) == fs(sys, state)


def test_a_lock_waits_for_its_holder_and_is_released_when_the_holder_crashes() -> None:
    sys = system(do("lock", "/tmp/l", by=0), do("lock", "/tmp/l", by=1),
                 gives("worker2", "holder", "/tmp/l", by=1),
                 faults=[Crash(max=1)], workers=2)
    held = run(sys, count=1)
    assert fs(sys, held)["locks"] == {"/tmp/l": "worker1"}
    assert not [s for s, _ in sys.successors(held) if s.action == "run"]  # worker2 waits
    crashes = {s.process: out for s, out in sys.successors(held) if s.action == "crash"}
    assert fs(sys, crashes["worker2"])["locks"] == {"/tmp/l": "worker1"}
    released = crashes["worker1"]
    assert fs(sys, released)["locks"] == {}
    run(sys, released, count=2)


def test_try_lock_does_not_wait_and_a_power_loss_releases_every_lock() -> None:
    sys = system(gives(True, "try_lock", "/tmp/l", by=0),
                 gives(False, "try_lock", "/tmp/l", by=1), workers=2)
    state = run(sys)
    assert fs(sys, state)["locks"] == {"/tmp/l": "worker1"}
    (after,) = power_losses(sys, state).values()
    assert after["locks"] == {}


def test_unlocking_a_lock_one_does_not_hold_is_a_model_error() -> None:
    sys = system(do("unlock", "/tmp/l"))
    with pytest.raises(ModelError, match="held by nobody"):
        sys.successors(sys.init_states()[0])


# -- canonical states --------------------------------------------------------------------

def _make(name: str, content: str) -> list[Line]:
    path = f"/tmp/d/{name}"
    return [do("create", path), do("write", path, content), do("fsync", path)]


def test_the_same_file_system_reached_in_two_orders_is_the_same_state() -> None:
    first = system(do("mkdir", "/tmp/d"), *_make("a", "1"), *_make("b", "2"),
                   do("fsync", "/tmp/d"), do("fsync", "/tmp"))
    second = system(do("mkdir", "/tmp/d"), *_make("b", "2"), *_make("a", "1"),
                    do("fsync", "/tmp"), do("fsync", "/tmp/d"))
    assert run(first) == run(second)


def test_deleted_files_leave_no_trace_once_the_deletion_is_durable() -> None:
    start = system(do("fsync", "/tmp"))
    churn = system(do("create", "/tmp/a"), do("write", "/tmp/a", "x"),
                   do("fsync", "/tmp/a"), do("unlink", "/tmp/a"),
                   do("fsync", "/tmp"))
    assert fs(start, run(start)) == fs(churn, run(churn))


def test_a_reused_path_gets_a_new_inode_only_while_the_old_one_lives() -> None:
    sys = system(do("create", "/tmp/a"), do("rename", "/tmp/a", "/tmp/b"),
                 do("create", "/tmp/a"))
    assert fs(sys, run(sys))["tree"]["/tmp/a"] == "/tmp/a#2"
    gone = system(do("create", "/tmp/a"), do("unlink", "/tmp/a"),
                  do("fsync", "/tmp"), do("create", "/tmp/a"))
    assert fs(gone, run(gone))["tree"]["/tmp/a"] == "/tmp/a"


def test_with_no_power_loss_ahead_the_disk_is_not_tracked() -> None:
    # Without a possible power loss the pending operations could never be observed;
    # keeping them would make each order of the same operations a different state.
    ab = system(do("create", "/tmp/a"), do("create", "/tmp/b"), faults=[Crash(max=1)])
    ba = system(do("create", "/tmp/b"), do("create", "/tmp/a"), faults=[Crash(max=1)])
    assert run(ab) == run(ba)
    assert fs(ab, run(ab))["pending"] == ()
    tracked = system(do("create", "/tmp/a"))
    assert fs(tracked, run(tracked))["pending"] == (("create", "/tmp/a"),)


def test_empty_contents_are_not_stored() -> None:
    sys = system(do("create", "/tmp/a"), do("write", "/tmp/a", "x"),
                 do("write", "/tmp/a", EMPTY), do("fsync", "/tmp/a"),
                 do("fsync", "/tmp"))
    assert run(sys) == run(system(do("create", "/tmp/a"), do("fsync", "/tmp"),
                                  do("fsync", "/tmp"), do("fsync", "/tmp"),
                                  do("fsync", "/tmp")))


# -- the component inside a checked spec -------------------------------------------------

class Saver(Process):
    step = durable(0, "how far the save got (kept on disk, like an operation log)")


class SaveConfig(Model):
    """Replace a config file by writing a temporary file and renaming it over the original."""

    fsync = parameter(False)
    savers = role(Saver)
    fs = FileSystem(dirs=("/etc",))

    @action(Saver)
    def save(self, s: Saver) -> None:
        require(s.step == 0)
        self.fs.create("/etc/app.conf.tmp")
        self.fs.write("/etc/app.conf.tmp", "v1")
        if self.fsync:
            self.fs.fsync("/etc/app.conf.tmp")
        self.fs.rename("/etc/app.conf.tmp", "/etc/app.conf")
        if self.fsync:
            self.fs.fsync("/etc")
        s.step = 1

    @final
    def saved(self) -> bool:
        return all(s.step == 1 for s in self.savers)

    @always
    def config_is_whole(self) -> bool:
        """The config file is either absent or complete: never empty."""
        return self.fs.read_or("/etc/app.conf", "v1") == "v1"


def test_write_then_rename_without_fsync_can_leave_an_empty_file_after_power_loss() -> None:
    result = check_spec(Spec("save", SaveConfig(), violated("ConfigIsWhole"),
                             faults=[PowerLoss(max=1)]))
    assert result.matches
    (v,) = result.violations
    assert [s.label for s in v.trace.steps] == [
        "save",
        "power_loss -> kept: create /etc/app.conf.tmp, rename /etc/app.conf.tmp -> /etc/app.conf; "
        "lost: append /etc/app.conf.tmp"]


def test_write_fsync_rename_fsync_dir_survives_power_loss() -> None:
    result = check_spec(Spec("save", SaveConfig(fsync=True), holds(), faults=[PowerLoss(max=1)]))
    assert result.matches, result.violations


def test_a_write_of_an_equal_value_of_another_type_is_a_write() -> None:
    """(False,) == (0,) in Python; the file must still hold what was written last."""
    sys = system(do("create", "/tmp/a"), do("write", "/tmp/a", (0,)),
                 do("write", "/tmp/a", (False,)))
    assert type(fs(sys, run(sys))["data"]["/tmp/a"][0]) is bool
