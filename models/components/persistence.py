"""What a power loss may leave on disk: persistence models as tables of rules.

A file system does not write to disk in the order a program calls it. Which of the
operations issued since the last durability point may be on disk after a power loss,
and in what shape, differs between file systems and their modes. The application
crash-consistency literature measured and formalised this:

* ALICE: T. S. Pillai et al., "All File Systems Are Not Created Equal: On the
  Complexity of Crafting Crash-Consistent Applications", OSDI 2014. Its abstract
  persistence model splits each call into micro-operations and states which are
  atomic and which are ordered; its Table 1 lists, per file system and mode, whether
  an overwrite, an append or a directory operation is atomic and whether it is
  ordered before later operations.
* Ferrite: J. Bornholt et al., "Specifying and Checking File System Crash-Consistency
  Models", ASPLOS 2016: crash-consistency models as executable specifications,
  checked with litmus tests (small programs with the outcomes each model allows).

Here a persistence model is data: which classes of operation are ordered before
which (:attr:`Persistence.ordered`), whether a file rename is atomic, whether a
write may tear at block boundaries, whether an fsync of a file persists its name.
The outcomes of a power loss are every downward-closed set of the pending operations
under that order (plus the order every model keeps, see :func:`requires`), applied
oldest first to what the disk held at the last durability point. :func:`outcomes`
enumerates them with the duplicates merged as it goes, so that its cost follows the
number of distinct disk states, not of subsets.

Operations (tuples, as the file system logs them):

========================================  ==================================================
``("mkdir", path)``                       a directory entry for a new directory
``("create", path[, inode])``             a new empty file (its inode is its birth path)
``("unlink", path)`` ``("rmdir", path)``  an entry removed
``("rename", src, dst, ino, replaces)``   an entry moved (``ino``: the file moved, or
                                          ``"dir"``; ``replaces``: something was at ``dst``)
``("link", src, dst, ino, replaces)``     the new name of a non-atomic file rename:
                                          ``dst`` names the file ``ino`` (the other parts
                                          are ``("unlink", dst)`` before it if it
                                          replaces a file, ``("unlink", src)`` after it)
``("write", inode, content, kind)``       the file's contents become ``content``; ``kind``
                                          is ``"append"`` (it extends what was there, or
                                          the file was empty) or ``"overwrite"``
========================================  ==================================================
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from lifecheck import FrozenMap, ModelError

Op = tuple[Any, ...]

NAMESPACE = frozenset({"mkdir", "create", "unlink", "rmdir", "rename", "link"})
"""The operations on directory entries (ALICE's "directory operations")."""

CLASSES: Mapping[str, Callable[[Op], bool]] = {
    "any": lambda op: True,
    "dir": lambda op: op[0] in NAMESPACE,
    "rename": lambda op: op[0] in ("rename", "link"),
    "replace": lambda op: op[0] in ("rename", "link") and op[4],
    "data": lambda op: op[0] == "write",
    "append": lambda op: op[0] == "write" and op[3] == "append",
    "overwrite": lambda op: op[0] == "write" and op[3] == "overwrite",
}
"""The classes of operation a rule may name."""

SCOPES = ("always", "same file")
"""A rule applies to every pair of its classes, or only to pairs on the same file
(a write, and a rename that moves the file written)."""


@dataclass(frozen=True, eq=False)
class Persistence:
    """One file system's crash behaviour, as a table.

    Data rather than code, so that a model can be read against the paper it comes
    from (:attr:`source`), compared with the others in one table
    (``docs/filesystem.md``), and added without touching the file system.
    What no rule orders may reach the disk in any order.
    """

    #: The name ``FileSystem(persistence=...)`` takes (``"ext4-ordered"``).
    name: str
    #: What the model stands for, in a sentence or two, for documents and reports.
    summary: str
    #: Maps (earlier class, later class) to a scope (see :data:`CLASSES` and
    #: :data:`SCOPES`): a later operation of the second class reaches the disk only
    #: after every earlier one of the first class (in that scope) has.
    ordered: Mapping[tuple[str, str], str]
    #: A file rename is all or nothing (else its parts, removing the name it replaces,
    #: adding the new name and removing the old, persist separately).
    atomic_rename: bool
    #: With a block size, an append may persist a whole number of its blocks.
    torn_appends: bool
    #: With a block size, an overwrite may persist a mix of old and new blocks.
    torn_overwrites: bool
    #: An fsync of a file also persists the entries that created it and its
    #: directories (most file systems do; POSIX does not promise it).
    safe_file_flush: bool
    #: Where the rules come from: the table and column of the paper they were read from.
    source: str

    def __post_init__(self) -> None:
        object.__setattr__(self, "ordered", FrozenMap(self.ordered))
        for (earlier, later), scope in self.ordered.items():
            if earlier not in CLASSES or later not in CLASSES or scope not in SCOPES:
                raise ModelError(f"persistence model {self.name!r}: bad rule "
                                 f"{earlier!r} -> {later!r}: {scope!r}")


#: Every persistence model by name, the choices of ``FileSystem(persistence=...)``
#: (exported as ``lifecheck.components.PERSISTENCE_MODELS``).
MODELS: dict[str, Persistence] = {}


def _model(p: Persistence) -> Persistence:
    MODELS[p.name] = p
    return p


EXT4_ORDERED = _model(Persistence(
    "ext4-ordered",
    "ext4 with data=ordered and delayed allocation (Linux's default). Directory "
    "operations reach the disk in order (they share the journal); file data is "
    "written back whenever the kernel allocates or flushes it, ordered with nothing "
    "else, so a rename or create can reach the disk before the data it names. An fsync "
    "of a file also persists the entries that created it. A multi-block append may "
    "persist in part (whole blocks) and an in-place overwrite may tear.",
    ordered={("dir", "dir"): "always"},
    atomic_rename=True, torn_appends=True, torn_overwrites=True, safe_file_flush=True,
    source="ALICE Table 3(d), APM ext4-o ('safe file flush, dir ops ordered among "
           "themselves'), Table 1 column ext4-ordered (Append -> Any op and Overwrite -> "
           "Any op fail; single-block overwrites not atomic). ALICE's ext4-o also assumes "
           "'safe rename' (auto_da_alloc writes a file's data before renaming it over "
           "another); Ferrite section 3.5 shows the rename does not wait for that write, "
           "so this model does not assume it",
))

EXT4_JOURNAL = _model(Persistence(
    "ext4-journal",
    "ext4 with data=journal: data goes through the journal with the metadata, so every "
    "operation reaches the disk in program order, but a multi-block append may still "
    "persist in part (whole blocks).",
    ordered={("any", "any"): "always"},
    atomic_rename=True, torn_appends=True, torn_overwrites=False, safe_file_flush=True,
    source="ALICE Table 1, column ext4-datajournal (every ordering holds; multi-block "
           "appends are not atomic) and its APM ext3-j ('all operations are ordered')",
))

BTRFS = _model(Persistence(
    "btrfs",
    "btrfs (copy on write). Directory operations and data may reach the disk in any "
    "order, except that a file renamed over another has its data written first. "
    "Overwrites do not tear (copy on write); a multi-block append may persist in part. "
    "An fsync of a file also persists the entries that created it.",
    ordered={("data", "replace"): "same file"},
    atomic_rename=True, torn_appends=True, torn_overwrites=False, safe_file_flush=True,
    source="ALICE Table 3(d), APM btrfs ('safe rename, safe file flush'; directory "
           "operations reordered freely, section 2.2); Ferrite section 3.5 (btrfs keeps "
           "replace-via-rename atomic, not create-via-rename)",
))

POSIX = _model(Persistence(
    "posix",
    "Only what POSIX promises: data that was fsynced and entries of a directory that was "
    "fsynced. Nothing else is ordered; a rename persists in parts (the replaced name "
    "removed, the new name added, the old name removed: a power loss can leave both "
    "names or neither); writes may tear; an fsync of a file does not persist its name.",
    ordered={},
    atomic_rename=False, torn_appends=True, torn_overwrites=True, safe_file_flush=False,
    source="POSIX.1-2017 fsync(); Linux fsync(2) ('an explicit fsync() on a file "
           "descriptor for the directory is also needed'); ALICE Table 2, the default "
           "abstract persistence model (rename as separate directory-entry micro-ops)",
))

SEQUENTIAL = _model(Persistence(
    "sequential",
    "Everything reaches the disk whole and in program order: a power loss keeps a "
    "prefix of the operations. The optimistic model many designers assume; no common "
    "file system in its default mode promises it.",
    ordered={("any", "any"): "always"},
    atomic_rename=True, torn_appends=False, torn_overwrites=False, safe_file_flush=True,
    source="Ferrite's sequential crash consistency (SeqFS); ALICE section 2 (what "
           "applications expect)",
))

DEFAULT = EXT4_ORDERED.name


def persistence(name: str) -> Persistence:
    try:
        return MODELS[name]
    except KeyError:
        raise ModelError(f"unknown persistence model {name!r}; the file system offers "
                         + ", ".join(repr(n) for n in MODELS)) from None


# -- which operation needs which ------------------------------------------------------

def parent(path: str) -> str:
    head = path.rpartition("/")[0]
    return head or "/"


def under(path: str, directory: str) -> bool:
    return path == directory or path.startswith(directory + "/")


def names(op: Op) -> tuple[str, ...]:
    """The paths a namespace operation creates, removes or moves."""
    if op[0] == "rename":
        return (op[1], op[2])
    if op[0] == "link":
        return (op[2],)
    return (op[1],)


def directories(op: Op) -> tuple[str, ...]:
    """The directories whose entries the operation changes (what a directory fsync orders)."""
    return tuple(parent(p) for p in names(op))


def inode(op: Op) -> str | None:
    """The file a write changes, or the file a rename or link moves."""
    if op[0] == "write":
        return op[1]
    if op[0] in ("rename", "link"):
        return op[3]
    return None


def _related(a: Op, b: Op) -> bool:
    return any(under(p, q) or under(q, p) for p in names(a) for q in names(b))


def requires(model: Persistence, earlier: Op, later: Op) -> bool:
    """Whether ``later`` can reach the disk only after ``earlier`` has.

    Beyond the model's table, every model keeps two orders a file system cannot
    break: writes to one file persist in the order they were made (contents here are
    whole values, so a later write never lands under an earlier one), and directory
    operations on the same name, or on a name and a name inside it, persist in order
    (the namespace on disk is always a tree: no entry in a directory that does not
    exist, never two files at one path).
    """
    if earlier[0] == "write" and later[0] == "write":
        if earlier[1] == later[1]:
            return True
    elif earlier[0] in NAMESPACE and later[0] in NAMESPACE and _related(earlier, later):
        return True
    for (first, then), scope in model.ordered.items():
        if CLASSES[first](earlier) and CLASSES[then](later):
            if scope == "always":
                return True
            ino = inode(earlier)
            if ino is not None and ino == inode(later):
                return True
    return False


def predecessors(model: Persistence, ops: Sequence[Op]) -> tuple[frozenset[int], ...]:
    """For each operation, the earlier ones it directly requires."""
    return tuple(frozenset(i for i in range(j) if requires(model, ops[i], ops[j]))
                 for j in range(len(ops)))


def closure(preds: Sequence[frozenset[int]], targets: Iterable[int]) -> set[int]:
    """``targets`` and everything they require, transitively."""
    done: set[int] = set()
    todo = list(targets)
    while todo:
        i = todo.pop()
        if i not in done:
            done.add(i)
            todo.extend(preds[i])
    return done


# -- applying operations ----------------------------------------------------------------

#: What a namespace maps a directory to (a file maps to its inode, a path string).
DIR = "dir"
#: The contents of a new or emptied file; a file system stores no entry for it, so that
#: every way of emptying a file gives the same state.
EMPTY = ""


def apply_namespace(tree: dict[str, str], op: Op) -> None:
    """Apply one namespace operation to a namespace (a plain dict, changed in place)."""
    kind, path = op[0], op[1]
    if kind == "mkdir":
        tree[path] = DIR
    elif kind == "create":
        tree[path] = op[2] if len(op) > 2 else path
    elif kind in ("unlink", "rmdir"):
        tree.pop(path, None)
    elif kind == "link":
        tree[op[2]] = op[3]
    elif kind == "rename":
        dst = op[2]
        moving = {k: v for k, v in tree.items() if under(k, path)}
        tree.pop(dst, None)
        for k in moving:
            del tree[k]
        for k, v in moving.items():
            tree[dst + k[len(path):]] = v
    else:  # pragma: no cover - ops are only built by the file system
        raise ModelError(f"unknown file system operation {op!r}")


def set_content(data: FrozenMap, ino: str, content: Any) -> FrozenMap:
    return data.set(ino, content) if content != EMPTY else data.remove(ino)


def live(data: FrozenMap, tree: Mapping[str, str], keep: Iterable[str] = ()) -> FrozenMap:
    """``data`` without the files no name reaches (nor ``keep`` names)."""
    alive = set(tree.values())
    alive.update(keep)
    if all(ino in alive for ino in data):
        return data
    return data.filter(lambda ino, _: ino in alive)


# -- torn writes --------------------------------------------------------------------------

def torn(old: Any, new: Any, block: int, appends: bool = True,
         overwrites: bool = True) -> tuple[Any, ...]:
    """The contents a write from ``old`` to ``new`` may leave half done, at ``block`` units.

    An append may persist any whole number of its blocks (the size grows with them,
    as on a journaling file system: no garbage); an overwrite of a value of the same
    length may persist any mix of old and new blocks. Other writes (a value that is
    not a string, bytes or tuple, or a length change that is not an append) are
    atomic. Neither whole outcome (``old``, ``new``) is included.
    """
    if not isinstance(new, (str, bytes, tuple)):
        return ()
    base = new[:0] if old == EMPTY else old
    if type(base) is not type(new):
        return ()
    if len(new) > len(base) and new[:len(base)] == base:
        if not appends:
            return ()
        cuts = range(len(base) + block - len(base) % block, len(new), block)
        return tuple(new[:cut] for cut in cuts if cut > len(base))
    if not overwrites or len(new) != len(base) or len(new) <= block:
        return ()
    blocks = range(0, len(new), block)
    mixes: set[Any] = set()
    for mask in range(1, (1 << len(blocks)) - 1):
        parts = [new[b:b + block] if mask >> k & 1 else base[b:b + block]
                 for k, b in enumerate(blocks)]
        mixes.add(new[:0].join(parts) if not isinstance(new, tuple) else sum(parts, ()))
    mixes.discard(base)
    mixes.discard(new)
    return tuple(sorted(mixes, key=repr))


# -- the outcomes of a power loss -----------------------------------------------------------

@dataclass(frozen=True)
class Outcome:
    """One disk state a power loss may leave, with one way of getting there."""

    tree: FrozenMap
    data: FrozenMap
    fates: tuple[str, ...]  # per pending operation: "kept", "lost" or "torn"
    tears: tuple[str, ...] = ()  # per torn operation, in order: how much of it persisted


_Story = tuple[tuple[str, ...], tuple[str, ...]]  # an outcome's fates and tears so far

MAX_OUTCOMES = 1 << 14
"""The most disk states one power loss may leave before the checker refuses to go on."""


def outcomes(model: Persistence, tree: FrozenMap, data: FrozenMap, pending: Sequence[Op],
             block: int | None = None, limit: int = MAX_OUTCOMES) -> tuple[Outcome, ...]:
    """Every distinct disk state a power loss may leave, oldest decisions first.

    The search decides each pending operation in program order: lost, kept (if
    everything it requires was kept) or, for a write that may tear, kept in part (which
    then counts as lost for what requires it). Of the ways to one disk state, the
    outcome reports the one that keeps least; the last outcome keeps everything. Two
    partial decisions that reached the same disk state and exclude the same operations
    that later ones require are one: that is what keeps the cost with the distinct
    outcomes.
    """
    preds = predecessors(model, pending)
    last_use = [-1] * len(pending)
    for j, ps in enumerate(preds):
        for i in ps:
            last_use[i] = max(last_use[i], j)
    tear = block if (model.torn_appends or model.torn_overwrites) and block else None
    # key: (tree, data, excluded operations some later one requires) -> (fates, tears) so far
    frontier: dict[tuple[FrozenMap, FrozenMap, frozenset[int]], _Story] = {
        (tree, data, frozenset()): ((), ())}
    for j, op in enumerate(pending):
        grown: dict[tuple[FrozenMap, FrozenMap, frozenset[int]], _Story] = {}

        def add(t: FrozenMap, d: FrozenMap, out: frozenset[int], story: _Story,
                j: int = j, grown: dict = grown) -> None:
            key = (t, d, frozenset(i for i in out if last_use[i] > j))
            grown.setdefault(key, story)

        for (t, d, out), (fates, tears) in frontier.items():
            # Losing first: of the ways to reach one disk state, the one that keeps
            # least is the one a trace reports (the simplest story).
            add(t, d, out | {j}, ((*fates, "lost"), tears))
            if not (preds[j] & out):
                if op[0] == "write":
                    ino, content = op[1], op[2]
                    if tear:
                        old = d.get(ino, EMPTY)
                        for part in torn(old, content, tear,
                                         model.torn_appends, model.torn_overwrites):
                            add(t, set_content(d, ino, part), out | {j},
                                ((*fates, "torn"), (*tears, tear_text(old, part, content, tear))))
                    add(t, set_content(d, ino, content), out, ((*fates, "kept"), tears))
                else:
                    grown_tree = dict(t)
                    apply_namespace(grown_tree, op)
                    add(FrozenMap(grown_tree), d, out, ((*fates, "kept"), tears))
        frontier = grown
        if len(frontier) > limit:
            raise ModelError(
                f"a power loss here may leave more than {limit:,} different disks "
                f"({len(pending)} operations pending since the last durability point, "
                f"{model.name}: {', '.join(describe(o) for o in pending[:6])}"
                f"{', ...' if len(pending) > 6 else ''}). Checking every one is out of reach: "
                "fsync earlier in the design, model fewer files or writes, or raise "
                "FileSystem(max_outcomes=...)")
    merged: dict[tuple[FrozenMap, FrozenMap], _Story] = {}
    for (t, d, _), story in frontier.items():
        merged.setdefault((t, live(d, t)), story)
    return tuple(Outcome(t, d, *story) for (t, d), story in merged.items())


KEEP_RATES = (0, 50, 100)
"""Per random outcome, the chance (percent) that a directory operation, or a write, is kept."""


def random_outcome(model: Persistence, tree: FrozenMap, data: FrozenMap, pending: Sequence[Op],
                   block: int | None, draw: Callable[[int], int]) -> Outcome:
    """One disk state the model allows, drawn at random (``draw(n)`` picks below n).

    For random walks, where listing every outcome of :func:`outcomes` would cost more
    than the walk. Each outcome first draws how likely a directory operation, and a
    write, is to be kept (from :data:`KEEP_RATES`, so that the extremes designs break
    on, every name kept and no data or the reverse, come up often); then each operation
    whose requirements were kept is kept or lost by that chance, in program order, and
    a kept write that may tear is kept whole or in part. Every outcome can be drawn.
    """
    preds = predecessors(model, pending)
    tear = block if (model.torn_appends or model.torn_overwrites) and block else None
    keep_dir, keep_write = KEEP_RATES[draw(len(KEEP_RATES))], KEEP_RATES[draw(len(KEEP_RATES))]
    ns = dict(tree)
    out: set[int] = set()
    fates: list[str] = []
    tears: list[str] = []
    for j, op in enumerate(pending):
        write = op[0] == "write"
        if preds[j] & out or draw(100) >= (keep_write if write else keep_dir):
            out.add(j)
            fates.append("lost")
            continue
        if not write:
            apply_namespace(ns, op)
            fates.append("kept")
            continue
        parts = torn(data.get(op[1], EMPTY), op[2], tear, model.torn_appends,
                     model.torn_overwrites) if tear else ()
        pick = draw(len(parts) + 1)
        if pick < len(parts):
            tears.append(tear_text(data.get(op[1], EMPTY), parts[pick], op[2], tear or 1))
            data = set_content(data, op[1], parts[pick])
            out.add(j)
            fates.append("torn")
        else:
            data = set_content(data, op[1], op[2])
            fates.append("kept")
    final = FrozenMap(ns)
    return Outcome(final, live(data, final), tuple(fates), tuple(tears))


def describe(op: Op) -> str:
    """An operation in file terms, for a trace."""
    kind = op[0]
    if kind == "write":
        return f"{op[3]} {op[1]}"
    if kind in ("rename", "link"):
        return f"{kind} {op[1]} -> {op[2]}"
    return f"{kind} {op[1]}"


def tear_text(old: Any, part: Any, new: Any, block: int) -> str:
    """How much of a torn write persisted: "1 of 3 units" of an append, "blocks 1, 3 of 3
    new" of an overwrite. Each way one write tears is its own outcome, which a trace
    must tell apart."""
    base = new[:0] if old == EMPTY else old
    if len(part) != len(new):
        return f"{len(part) - len(base)} of {len(new) - len(base)} units"
    starts = range(0, len(new), block)
    fresh = [str(k + 1) for k, b in enumerate(starts)
             if part[b:b + block] == new[b:b + block] != base[b:b + block]]
    return f"blocks {', '.join(fresh)} of {len(starts)} new"


def fates_label(pending: Sequence[Op], fates: Sequence[str], tears: Sequence[str]) -> str:
    """"kept: append /d/a; lost: create /d/undo": what a power-loss step did; a torn
    write says how much of it persisted ("torn: append /d/a (1 of 2 units)")."""
    said = iter(tears)
    texts = [describe(op) + (f" ({next(said)})" if f == "torn" else "")
             for op, f in zip(pending, fates, strict=True)]
    parts = []
    for fate in ("kept", "torn", "lost"):
        ops = [text for text, f in zip(texts, fates, strict=True) if f == fate]
        if ops:
            parts.append(f"{fate}: " + ", ".join(ops))
    return "; ".join(parts)


# -- the reference table ----------------------------------------------------------------------

_CLASS_WORDS = {
    "any": "every operation", "dir": "directory operations", "rename": "renames",
    "replace": "a rename over an existing name", "data": "writes", "append": "appends",
    "overwrite": "overwrites",
}


_RULE_WORDS = {
    ("any", "any", "always"): "every operation before every later one",
    ("data", "replace", "same file"): "a file's writes before a rename of it over another file",
}


def _rule_text(earlier: str, later: str, scope: str) -> str:
    text = _RULE_WORDS.get((earlier, later, scope))
    if text is None:
        text = f"{_CLASS_WORDS[earlier]} before later {_CLASS_WORDS[later]}"
        if scope == "same file":
            text += " of the same file"
    return text


def rules_markdown() -> str:
    """Every model's rules as one Markdown table (docs/filesystem.md holds a copy)."""
    yes_no = {True: "yes", False: "no"}
    lines = [
        "| model | ordered (beyond what every model keeps) | rename atomic | appends tear "
        "| overwrites tear | fsync of a file persists its name | source |",
        "|---|---|---|---|---|---|---|",
    ]
    for p in MODELS.values():
        rules = "; ".join(_rule_text(a, b, scope) for (a, b), scope in p.ordered.items())
        lines.append(
            f"| `{p.name}` | {rules or 'nothing'} | {yes_no[p.atomic_rename]} "
            f"| {yes_no[p.torn_appends]} | {yes_no[p.torn_overwrites]} "
            f"| {yes_no[p.safe_file_flush]} | {p.source} |")
    return "\n".join(lines) + "\n"
