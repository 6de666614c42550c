"""Power loss under each persistence model, against an enumerator written apart from it.

The file system decides what a power loss keeps with a search over its pending
operations (merging equal outcomes as it goes, applying fsyncs as they happen). This
file holds a second, deliberately naive account of the same tables: it remembers
every call since the start, marks what each fsync made durable, and tries every
subset of the operations (every fate of each operation, for torn writes), keeping
those that respect the model's order. For random call sequences, at every point, the
two must give exactly the same set of disk states. The named litmus tests below state
the outcome sets of classic cases from the literature by hand.
"""

from __future__ import annotations

import itertools
import os
from dataclasses import dataclass
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from lifecheck import (
    Crash,
    FrozenMap,
    Model,
    ModelError,
    PowerLoss,
    Process,
    action,
    durable,
    parameter,
    require,
    role,
)
from lifecheck.components import DIR, PERSISTENCE_MODELS, FileSystem, Persistence
from lifecheck.contract import ActionFailure
from lifecheck.modelling.compile import ModelSystem

SOAK = os.environ.get("HYPOTHESIS_PROFILE") == "soak"
SEQUENCES = int(os.environ.get("LIFECHECK_SOAK_SEQUENCES", "1500")) if SOAK else 300
"""Random call sequences compared per persistence model (and block size)."""

Call = tuple[str, tuple[Any, ...]]


# -- the component, driven by a script ----------------------------------------------------

class Worker(Process):
    """Runs the script's calls, one per step."""


class Script(Model):
    calls = parameter(())
    crew = role(Worker)
    pc = durable(0, "the next call")

    @action(Worker)
    def run(self, w: Worker) -> None:
        require(self.pc < len(self.calls))
        method, args = self.calls[self.pc]
        getattr(self.fs, method)(*args)
        self.pc += 1


_SCRIPTS: dict[tuple[str, int | None], type[Script]] = {}


def script(persistence: str, block: int | None) -> type[Script]:
    key = (persistence, block)
    if key not in _SCRIPTS:
        fs = FileSystem(dirs=("/tmp",), persistence=persistence, block_size=block)
        _SCRIPTS[key] = type(f"Script_{persistence}_{block}".replace("-", "_"), (Script,),
                             {"fs": fs, "__module__": __name__})
    return _SCRIPTS[key]


Disk = frozenset[tuple[str, Any]]
"""What a disk shows: (path, "dir" or the file's contents), for every path."""


def component_outcomes(persistence: str, calls: tuple[Call, ...],
                       block: int | None = None) -> list[set[Disk]]:
    """For each point of the script (0 to all calls done), the disks a power loss may leave."""
    sys = ModelSystem(script(persistence, block)(calls=calls), (PowerLoss(max=1),))
    state = sys.init_states()[0]
    found = []
    for k in range(len(calls) + 1):
        disks = set()
        nxt = None
        for step, out in sys.successors(state):
            assert not isinstance(out, ActionFailure), out.message
            if step.action == "power_loss":
                fields = sys.describe(out)
                tree, data = fields["fs.tree"], fields["fs.data"]
                disks.add(frozenset((p, DIR if v == DIR else data.get(v, "")) for p, v in tree.items()))
            else:
                nxt = out
        found.append(disks)
        if k < len(calls):
            assert nxt is not None, f"call {k} {calls[k]} was not enabled"
            state = nxt
    return found


# -- the reference enumerator: every subset, checked against the table ----------------------

@dataclass(frozen=True)
class RefOp:
    kind: str                  # mkdir create unlink rmdir rename link write
    paths: tuple[str, ...]     # the names a namespace operation touches
    ino: int | None = None     # the file written, or moved by a rename/link
    content: Any = None
    append: bool = False
    replaces: bool = False


def _related(a: str, b: str) -> bool:
    return a == b or a.startswith(b + "/") or b.startswith(a + "/")


def _is(op: RefOp, cls: str) -> bool:
    namespace = op.kind != "write"
    return {"any": True, "dir": namespace, "rename": op.kind in ("rename", "link"),
            "replace": op.kind in ("rename", "link") and op.replaces,
            "data": not namespace, "append": not namespace and op.append,
            "overwrite": not namespace and not op.append}[cls]


def must_precede(model: Persistence, a: RefOp, b: RefOp) -> bool:
    """``a`` (earlier) must reach the disk before ``b`` may."""
    if a.kind == "write" and b.kind == "write" and a.ino == b.ino:
        return True
    if (a.kind != "write" and b.kind != "write"
            and any(_related(p, q) for p in a.paths for q in b.paths)):
        return True
    return any(_is(a, first) and _is(b, then)
               and (scope == "always" or (a.ino is not None and a.ino == b.ino))
               for (first, then), scope in model.ordered.items())


def _parent(path: str) -> str:
    return path.rpartition("/")[0] or "/"


def _partials(old: Any, new: Any, block: int, appends: bool, overwrites: bool) -> list[Any]:
    """Contents a torn write may leave: whole blocks of an append, or a mix of blocks."""
    if old == "":
        old = new[:0]
    if len(new) > len(old) and new.startswith(old):
        if not appends:
            return []
        return [new[:n] for n in range(len(old) + 1, len(new)) if n % block == 0]
    if overwrites and len(new) == len(old) and len(new) > block:
        starts = list(range(0, len(new), block))
        mixes = set()
        for pick in itertools.product((0, 1), repeat=len(starts)):
            mixes.add("".join((new if p else old)[s:s + block] for p, s in zip(pick, starts, strict=True)))
        return sorted(mixes - {old, new})
    return []


class Reference:
    """Replays the calls on a plain namespace and remembers every operation since the start."""

    def __init__(self, model: Persistence, block: int | None) -> None:
        self.model, self.block = model, block
        self.tree: dict[str, Any] = {"/tmp": "D"}
        self.data: dict[int, Any] = {}
        self.ops: list[RefOp] = []
        self.durable: set[int] = set()
        self.inodes = 0

    def call(self, method: str, *args: Any) -> None:
        tree = self.tree
        if method == "mkdir":
            tree[args[0]] = "D"
            self.ops.append(RefOp("mkdir", (args[0],)))
        elif method == "create":
            self.inodes += 1
            tree[args[0]] = self.inodes
            self.ops.append(RefOp("create", (args[0],), ino=self.inodes))
        elif method in ("unlink", "rmdir"):
            del tree[args[0]]
            self.ops.append(RefOp(method, (args[0],)))
        elif method == "rename":
            src, dst = args
            moved = tree[src]
            replaces = dst in tree
            ino = moved if moved != "D" else None
            if moved != "D" and not self.model.atomic_rename:
                # ALICE's default model: three directory-entry changes, each on its own
                if replaces:
                    self.ops.append(RefOp("unlink", (dst,)))
                self.ops.append(RefOp("link", (dst,), ino=ino, replaces=replaces))
                self.ops.append(RefOp("unlink", (src,)))
            else:
                self.ops.append(RefOp("rename", (src, dst), ino=ino, replaces=replaces))
            _move(tree, src, dst)
        elif method in ("write", "append"):
            ino = tree[args[0]]
            old = self.data.get(ino, "")
            new = args[1] if method == "write" else old + args[1]
            if new != old:
                self.ops.append(RefOp("write", (), ino=ino, content=new,
                                      append=old == "" or (len(new) > len(old)
                                                           and new.startswith(old))))
            self.data[ino] = new
        elif method == "fsync":
            path = args[0]
            entry = tree.get(path, "D")
            if entry == "D":
                targets = [i for i, op in enumerate(self.ops) if op.kind != "write"
                           and any(_parent(p) == path for p in op.paths)]
            else:
                targets = [i for i, op in enumerate(self.ops)
                           if op.kind == "write" and op.ino == entry]
                if self.model.safe_file_flush:
                    targets += [i for i, op in enumerate(self.ops)
                                if (op.kind == "create" and op.ino == entry)
                                or (op.kind == "mkdir" and path.startswith(op.paths[0] + "/"))]
            todo = list(targets)
            while todo:  # what they need, transitively
                j = todo.pop()
                if j not in self.durable:
                    self.durable.add(j)
                    todo.extend(i for i in range(j) if must_precede(self.model, self.ops[i],
                                                                   self.ops[j]))
        else:
            raise AssertionError(method)

    def outcomes(self) -> set[Disk]:
        ops = self.ops
        choices = []
        for i in range(len(ops)):
            fates: list[Any] = [("kept",)]
            if i not in self.durable:
                fates.append(("lost",))
            choices.append(fates)
        found: set[Disk] = set()
        for fates in itertools.product(*choices):
            kept = {i for i, f in enumerate(fates) if f[0] == "kept"}
            if any(must_precede(self.model, ops[i], ops[j]) and i not in kept
                   for j in kept for i in range(j)):
                continue
            for disk in self._apply(kept):
                found.add(disk)
        return found

    def _apply(self, kept: set[int]) -> list[Disk]:
        """Every disk from keeping ``kept``; with torn writes, any lost write whose
        predecessors were all kept may instead be on disk in part."""
        tearable = []
        if self.block and (self.model.torn_appends or self.model.torn_overwrites):
            tearable = [j for j, op in enumerate(self.ops) if j not in kept and op.kind == "write"
                        and all(i in kept for i in range(j)
                                if must_precede(self.model, self.ops[i], op))]
        disks = []
        for chosen in itertools.chain.from_iterable(itertools.combinations(tearable, r)
                                                    for r in range(len(tearable) + 1)):
            # a torn write is excluded for what comes after it in the same file
            if any(must_precede(self.model, self.ops[a], self.ops[b])
                   for a in chosen for b in kept if b > a):
                continue
            disks.extend(self._replay(kept, set(chosen)))
        return disks

    def _replay(self, kept: set[int], torn: set[int]) -> list[Disk]:
        states: list[tuple[dict[str, Any], dict[int, Any]]] = [({"/tmp": "D"}, {})]
        for j, op in enumerate(self.ops):
            if j not in kept and j not in torn:
                continue
            grown = []
            for tree, data in states:
                if op.kind == "write":
                    values = ([op.content] if j in kept else
                              _partials(data.get(op.ino, ""), op.content, self.block or 1,
                                        self.model.torn_appends, self.model.torn_overwrites))
                    for value in values:
                        grown.append((tree, {**data, op.ino: value}))
                else:
                    tree = dict(tree)
                    if op.kind in ("mkdir", "create"):
                        tree[op.paths[0]] = "D" if op.kind == "mkdir" else op.ino
                    elif op.kind in ("unlink", "rmdir"):
                        tree.pop(op.paths[0], None)
                    elif op.kind == "link":
                        tree[op.paths[0]] = op.ino
                    else:
                        _move(tree, *op.paths)
                    grown.append((tree, data))
            states = grown
        return [frozenset((p, DIR if v == "D" else data.get(v, "")) for p, v in tree.items())
                for tree, data in states]


def _move(tree: dict[str, Any], src: str, dst: str) -> None:
    moving = {p: v for p, v in tree.items() if _related(p, src) and p.startswith(src)}
    tree.pop(dst, None)
    for p in moving:
        del tree[p]
    for p, v in moving.items():
        tree[dst + p[len(src):]] = v


def reference_outcomes(persistence: str, calls: tuple[Call, ...],
                       block: int | None = None) -> list[set[Disk]]:
    ref = Reference(PERSISTENCE_MODELS[persistence], block)
    found = [ref.outcomes()]
    for method, args in calls:
        ref.call(method, *args)
        found.append(ref.outcomes())
    return found


# -- random call sequences ------------------------------------------------------------------

PATHS = ("/tmp/a", "/tmp/b", "/tmp/d", "/tmp/d/a", "/tmp/d/b")
CONTENTS = ("x", "xy", "xyz", "y", "yy")


@st.composite
def call_sequences(draw: st.DrawFn, length: int = 7,
                   start: tuple[tuple[str, str], ...] = (("/tmp", "D"),)) -> tuple[Call, ...]:
    """Calls that succeed, chosen with a plain namespace to know what exists.

    ``start`` is the namespace before the first call ("D": a directory, "F": a file).
    """
    tree: dict[str, str] = dict(start)
    calls: list[Call] = []
    for _ in range(draw(st.integers(1, length))):
        files = sorted(p for p, v in tree.items() if v == "F")
        dirs = sorted(p for p, v in tree.items() if v == "D")
        free = sorted(p for p in PATHS if p not in tree and tree.get(_parent(p)) == "D")
        options: list[Call] = []
        options += [("create", (p,)) for p in free] + [("mkdir", (p,)) for p in free]
        options += [("write", (f, c)) for f in files for c in CONTENTS]
        options += [("append", (f, "z")) for f in files]
        options += [("fsync", (p,)) for p in files + dirs]
        options += [("unlink", (f,)) for f in files]
        options += [("rmdir", (d,)) for d in dirs if d != "/tmp"
                    and not any(p.startswith(d + "/") for p in tree)]
        for src in files + [d for d in dirs if d != "/tmp"]:
            for dst in PATHS:
                if dst == src or _related(dst, src) or tree.get(_parent(dst)) != "D":
                    continue
                if dst in tree and (tree[dst] != tree[src] or tree[dst] == "D"):
                    continue  # keep to renames that replace a file with a file, or move
                options.append(("rename", (src, dst)))
        method, args = draw(st.sampled_from(options))
        calls.append((method, args))
        if method in ("create", "mkdir"):
            tree[args[0]] = "F" if method == "create" else "D"
        elif method in ("unlink", "rmdir"):
            del tree[args[0]]
        elif method == "rename":
            _move(tree, *args)
    return tuple(calls)


@pytest.mark.parametrize(("persistence", "block"), [
    *((name, None) for name in PERSISTENCE_MODELS),
    ("ext4-ordered", 1), ("posix", 1), ("btrfs", 1), ("ext4-journal", 1),
])
@settings(max_examples=SEQUENCES, deadline=None)
@given(calls=call_sequences())
def test_a_power_loss_leaves_exactly_the_disks_the_model_allows(persistence: str,
                                                               block: int | None,
                                                               calls: tuple[Call, ...]) -> None:
    got = component_outcomes(persistence, calls, block)
    want = reference_outcomes(persistence, calls, block)
    for k, (g, w) in enumerate(zip(got, want, strict=True)):
        assert g == w, (f"after {k} calls {calls[:k]}: the component gives "
                        f"{sorted(map(sorted, g - w))} too many, {sorted(map(sorted, w - g))} missing")


# -- litmus tests -----------------------------------------------------------------------------

def files(persistence: str, calls: tuple[Call, ...], *paths: str) -> set[tuple[Any, ...]]:
    """After all the calls and then a power loss: each path's contents (None: absent)."""
    disks = component_outcomes(persistence, calls)[-1]
    return {tuple(dict(disk).get(p) for p in paths) for disk in disks}


OLD = (("create", ("/tmp/f",)), ("write", ("/tmp/f", "old")), ("fsync", ("/tmp/f",)),
       ("fsync", ("/tmp",)))
"""A durable file /tmp/f holding "old"."""



WHOLE = {("old", None), ("old", ""), ("old", "new"), ("new", None)}
"""Replace-via-rename on a disk that keeps a prefix: the old file or the new, never less."""


@pytest.mark.parametrize(("persistence", "outcomes"), [
    ("sequential", WHOLE),
    ("ext4-journal", WHOLE),
    # btrfs writes a file's data before renaming it over another (Ferrite: the only one).
    ("btrfs", WHOLE),
    # ext4 may commit the rename before the new file's data: an empty file (Ferrite 3.5).
    ("ext4-ordered", WHOLE | {("", None)}),
    # POSIX: the rename's three parts are separate, so the name may vanish or be doubled.
    ("posix", {(f, tmp) for f in ("old", None) for tmp in (None, "", "new")}
     | {("", None), ("", ""), ("new", None), ("new", "new")}),
])
def test_litmus_replace_via_rename_without_fsync(persistence: str, outcomes: set) -> None:
    """ALICE section 2, Ferrite's ARVR litmus test: write a temporary file, rename it
    over the original, no fsync. Which contents may the original's name show?"""
    calls = (*OLD, ("create", ("/tmp/f.tmp",)), ("write", ("/tmp/f.tmp", "new")),
             ("rename", ("/tmp/f.tmp", "/tmp/f")))
    assert files(persistence, calls, "/tmp/f", "/tmp/f.tmp") == outcomes


@pytest.mark.parametrize(("persistence", "contents"), [
    *((name, {"old", "new"}) for name in ("sequential", "ext4-journal", "ext4-ordered", "btrfs")),
    ("posix", {"old", "new", None}),  # without an fsync of /tmp even the name may be lost
])
def test_litmus_replace_via_rename_with_fsync(persistence: str, contents: set) -> None:
    """With an fsync of the new file before the rename: old or new (POSIX: or nothing)."""
    calls = (*OLD, ("create", ("/tmp/f.tmp",)), ("write", ("/tmp/f.tmp", "new")),
             ("fsync", ("/tmp/f.tmp",)), ("rename", ("/tmp/f.tmp", "/tmp/f")))
    assert {f for f, _ in files(persistence, calls, "/tmp/f", "/tmp/f.tmp")} == contents


@pytest.mark.parametrize(("persistence", "b_without_a"), [
    ("sequential", False), ("ext4-journal", False), ("ext4-ordered", True), ("btrfs", True),
    ("posix", True)])
def test_litmus_two_appends_to_two_files(persistence: str, b_without_a: bool) -> None:
    """Ferrite's question: may a later append to one file persist without an earlier
    append to another? Only a sequential file system says no."""
    calls = (("create", ("/tmp/a",)), ("create", ("/tmp/b",)), ("fsync", ("/tmp",)),
             ("append", ("/tmp/a", "1")), ("append", ("/tmp/b", "2")))
    outcomes = files(persistence, calls, "/tmp/a", "/tmp/b")
    assert (("", "2") in outcomes) is b_without_a
    assert {("", ""), ("1", ""), ("1", "2")} <= outcomes


PREFIXES = {(None, None), ("", None), ("x", None), (None, "x")}
"""Create-via-rename on a disk that keeps a prefix: nothing, the temporary file, the result."""


@pytest.mark.parametrize(("persistence", "outcomes"), [
    ("sequential", PREFIXES), ("ext4-journal", PREFIXES),
    # the rename may reach the disk before the data: an empty file under the final name
    ("ext4-ordered", PREFIXES | {(None, "")}),
    ("btrfs", PREFIXES | {(None, "")}),  # Ferrite: btrfs keeps ARVR, not ACVR
    ("posix", {(a, b) for a in (None, "", "x") for b in (None, "", "x")
               if (a, b) != ("", "x") and (a, b) != ("x", "")}),
])
def test_litmus_create_via_rename(persistence: str, outcomes: set) -> None:
    """Ferrite's ACVR: create a file, write it, rename it to its final name, no fsync."""
    calls = (("create", ("/tmp/a",)), ("write", ("/tmp/a", "x")),
             ("rename", ("/tmp/a", "/tmp/b")))
    assert files(persistence, calls, "/tmp/a", "/tmp/b") == outcomes


@pytest.mark.parametrize(("persistence", "a_may_be_lost"), [
    ("sequential", False), ("ext4-journal", False), ("ext4-ordered", True), ("btrfs", True),
    ("posix", True)])
def test_litmus_append_then_fsync_of_a_different_file(persistence: str,
                                                      a_may_be_lost: bool) -> None:
    """fsync(b) after appends to a and b: b's data is durable; a's only on a sequential disk."""
    calls = (("create", ("/tmp/a",)), ("create", ("/tmp/b",)), ("fsync", ("/tmp",)),
             ("append", ("/tmp/a", "1")), ("append", ("/tmp/b", "2")), ("fsync", ("/tmp/b",)))
    outcomes = files(persistence, calls, "/tmp/a", "/tmp/b")
    assert {b for _, b in outcomes} == {"2"}
    assert (("", "2") in outcomes) is a_may_be_lost


def test_litmus_in_place_overwrite_overtakes_an_earlier_create_on_ext4() -> None:
    """The undo-log trap: an overwrite goes straight to its blocks, ahead of the journal."""
    calls = (*OLD, ("create", ("/tmp/undo",)), ("write", ("/tmp/f", "new")))
    assert ("new", None) in files("ext4-ordered", calls, "/tmp/f", "/tmp/undo")
    assert ("new", None) not in files("sequential", calls, "/tmp/f", "/tmp/undo")


def test_torn_appends_keep_whole_blocks_only_where_the_model_allows() -> None:
    calls = (("create", ("/tmp/a",)), ("fsync", ("/tmp",)), ("write", ("/tmp/a", "abcdef")))
    torn = {dict(d)["/tmp/a"] for d in component_outcomes("ext4-ordered", calls, block=2)[-1]}
    assert torn == {"", "ab", "abcd", "abcdef"}
    whole = {dict(d)["/tmp/a"] for d in component_outcomes("sequential", calls, block=2)[-1]}
    assert whole == {"", "abcdef"}


def test_the_cost_follows_distinct_outcomes_not_subsets() -> None:
    """Twenty pending writes to one file give 21 disks (each prefix), not 2**20 subsets."""
    calls = (("create", ("/tmp/a",)), ("fsync", ("/tmp",)),
             *(("append", ("/tmp/a", "x")) for _ in range(20)))
    sys = ModelSystem(script("posix", None)(calls=calls), (PowerLoss(max=1), Crash(max=0)))
    state = sys.init_states()[0]
    for _ in calls:
        (state,) = [out for s, out in sys.successors(state) if s.action == "run"]
    losses = [out for s, out in sys.successors(state) if s.action == "power_loss"]
    assert len(losses) == 21


# -- regressions the comparison found --------------------------------------------------------

@pytest.mark.parametrize("calls", [
    # A new file at a reused path must not take over the old inode's pending write.
    (("create", ("/tmp/a",)), ("write", ("/tmp/a", "x")), ("unlink", ("/tmp/a",)),
     ("fsync", ("/tmp",)), ("create", ("/tmp/a",))),
    # The fsync of a file that took the name of a directory renamed away: the directory's
    # mkdir is not one of the file's ancestors (found by the soak run).
    (("create", ("/tmp/d",)), ("mkdir", ("/tmp/a",)), ("rename", ("/tmp/a", "/tmp/b")),
     ("rename", ("/tmp/d", "/tmp/a")), ("fsync", ("/tmp/a",))),
    # A POSIX rename across directories, half made durable: the file's data must survive
    # for the new name that is still pending.
    (("mkdir", ("/tmp/d",)), ("create", ("/tmp/d/a",)), ("write", ("/tmp/d/a", "x")),
     ("fsync", ("/tmp/d/a",)), ("fsync", ("/tmp/d",)), ("fsync", ("/tmp",)),
     ("rename", ("/tmp/d/a", "/tmp/b")), ("fsync", ("/tmp/d",))),
])
@pytest.mark.parametrize("persistence", ["posix", "btrfs"])
def test_the_cases_the_comparison_found_stay_fixed(persistence: str,
                                                    calls: tuple[Call, ...]) -> None:
    assert component_outcomes(persistence, calls) == reference_outcomes(persistence, calls)


def test_the_reference_docs_hold_the_current_table_of_rules() -> None:
    from pathlib import Path

    from lifecheck.components.persistence import rules_markdown

    doc = (Path(__file__).resolve().parents[2] / "docs" / "filesystem.md").read_text()
    start = doc.index("<!-- persistence-table -->\n") + len("<!-- persistence-table -->\n")
    end = doc.index("<!-- /persistence-table -->")
    assert doc[start:end] == rules_markdown(), (
        "docs/filesystem.md is stale: paste lifecheck.components.persistence.rules_markdown()")


def test_the_last_outcome_of_a_power_loss_keeps_every_pending_operation() -> None:
    """Trace shrinking relies on it: a shorter run's power loss is matched to the outcome
    that kept everything."""
    from lifecheck.components.persistence import EXT4_ORDERED, outcomes

    pending = (("create", "/tmp/a"), ("write", "/tmp/a", "abcd", "append"),
               ("rename", "/tmp/a", "/tmp/b", "/tmp/a", False))
    found = outcomes(EXT4_ORDERED, FrozenMap({"/tmp": DIR}), FrozenMap(), pending, block=1)
    assert found[-1].fates == ("kept", "kept", "kept")
    assert len({(o.tree, o.data) for o in found}) == len(found)  # merged: each disk once


def test_each_way_a_write_tears_has_a_label_of_its_own() -> None:
    """Regression: every torn outcome of one write was labelled "torn: append /tmp/b", so
    a power loss named two branches alike (caught by the check that branches differ)."""
    from lifecheck.components.persistence import EXT4_JOURNAL, POSIX, fates_label, outcomes

    root = FrozenMap({"/tmp": DIR, "/tmp/b": "b"})
    append = (("write", "b", "xyz", "append"),)
    found = outcomes(EXT4_JOURNAL, root, FrozenMap(), append, block=1)
    labels = [fates_label(append, o.fates, o.tears) for o in found]
    assert labels == ["lost: append b", "torn: append b (1 of 3 units)",
                      "torn: append b (2 of 3 units)", "kept: append b"]
    overwrite = (("write", "b", "xyz", "overwrite"),)
    found = outcomes(POSIX, root, FrozenMap({"b": "abc"}), overwrite, block=1)
    labels = [fates_label(overwrite, o.fates, o.tears) for o in found]
    assert len(set(labels)) == len(labels) == 8
    assert "torn: overwrite b (blocks 1, 3 of 3 new)" in labels


class BoundedScript(Script):
    """A file system that refuses a power loss with more than 100 outcomes."""

    fs = FileSystem(dirs=("/tmp",), max_outcomes=100)


def test_a_power_loss_with_too_many_outcomes_is_an_error_not_a_hang() -> None:
    """Twenty independent unsynced appends: a million disks. Refused, naming the way out."""
    calls = (*((("create", (f"/tmp/f{i}",))) for i in range(20)), ("fsync", ("/tmp",)),
             *(("append", (f"/tmp/f{i}", "x")) for i in range(20)))
    sys = ModelSystem(BoundedScript(calls=calls), (PowerLoss(max=1),))
    state = sys.init_states()[0]
    with pytest.raises(ModelError, match=r"more than 100 different disks .* fsync earlier"):
        for _ in calls:
            (state,) = [out for s, out in sys.successors(state) if s.action == "run"]


def test_random_walks_take_one_outcome_of_a_power_loss_too_large_to_list() -> None:
    """The same million-disk power loss: a walk draws one outcome instead of listing them."""
    from lifecheck.walks.simulate import simulate

    calls = (*((("create", (f"/tmp/f{i}",))) for i in range(20)), ("fsync", ("/tmp",)),
             *(("append", (f"/tmp/f{i}", "x")) for i in range(20)))
    sys = ModelSystem(script("ext4-ordered", None)(calls=calls), (PowerLoss(max=1),))
    sim = simulate(sys, walks=30, depth=60, seed=0, deadlock=False)
    assert sim.walks == 30 and sim.steps > 30 * len(calls) // 2
    # (the script goes on after a power loss and trips on a file it lost: found, shortened)
    assert set(sim.findings) <= {"ExceptionInAction"}
    assert sys.fault_sampler is None  # back to listing every outcome after the walks
