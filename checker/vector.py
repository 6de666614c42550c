"""Vectorised breadth-first exploration: a level at a time, each step's effect learned once.

The bfs explorer runs model code for every (state, action instance) pair; in a
model like dining philosophers that is 48 Python calls per state, nearly all of
them to find a guard false. This explorer runs model code only to *learn*: each
step instance is a deterministic function of the fields it reads (see
:mod:`lifecheck.learning`), so its outcome on a whole level of states is found by
looking up each state's values of those fields in a table of outcomes already
learned, in numpy, and model code runs only for combinations never met before.
On the benchmark most levels need no model code at all.

States are rows of small integers (each field's values interned per column).
A row's fingerprint is the XOR of a 64-bit code per (column, value) (Zobrist
hashing), so a successor's fingerprint is its parent's XOR the learned step's
delta and rows are built only for states that turn out to be new. The seen-set
is a sorted array of fingerprints (8 bytes per state, twice that while a level
is merged in) with a small set of the latest in front, the frontier is one
integer array per level, and a counterexample is rebuilt by replaying the
recorded step indices from the initial state, as in the bfs explorer's
fingerprint mode.

Learning pays only where steps are reused. A level of a few states is expanded
in plain Python (numpy's cost is per call, not per row), and where nearly every
lookup has to learn (a counter that every step reads) steps and properties are
run as written instead, so a long, thin state space costs what it costs the bfs
explorer, a few times over at worst, rather than far more.

Results equal the bfs explorer's: the same states, transitions, depth, coverage,
and for each property the same first violation in breadth-first order (a level's
successors are sorted by parent and step index before deduplication, so the
state kept is the one the bfs explorer would have reached first).
"""

from __future__ import annotations

import functools
import time
from array import array
from collections.abc import Callable
from typing import Any

import numpy as np

from .checkpoint import load_checkpoint, run_signature, save_checkpoint
from .contract import ALWAYS, SOMETIMES, TRANSITION, ActionFailure, Options, Progress, Step
from .errors import ModelError
from .explore import (
    Exploration,
    Found,
    audit,
    check_deterministic,
    does_not_hold,
    path_key,
    safely,
    unhashable,
    watch_run,
)
from .learning import Learner, learner_for
from .typed_values import same_typed, typed_key

CHUNK = 1 << 16  # frontier rows expanded at once: bounds the memory a level's successors take
SMALL = 32  # up to this many rows, a chunk is expanded in plain Python (numpy's cost is per call)
RECENT = 1 << 16  # fingerprints kept in a set before they are merged into the sorted array
_SEED = np.uint64(0x9E3779B97F4A7C15)
_M1 = np.uint64(0xBF58476D1CE4E5B9)
_M2 = np.uint64(0x94D049BB133111EB)


class _Values:
    """Every value met per column, interned to small integers (exact: dict equality, and
    typed keys in columns that held values of different types that compare equal)."""

    def __init__(self, columns: int) -> None:
        self.ids: list[dict[Any, int]] = [{} for _ in range(columns)]
        self.values: list[list[Any]] = [[] for _ in range(columns)]
        self.width = [1] * columns  # bits a column's ids take in a packed key
        self.version = 0  # bumped whenever a width grows, so packed keys are rebuilt
        self.typed: set[int] = set()  # columns interned by typed key (0 and False apart)

    def retype(self, columns: set[int]) -> None:
        """Intern ``columns`` by typed key from now on. Every value interned so far was
        confirmed to be of the types of the value it was merged with, so no id changes."""
        for c in columns - self.typed:
            self.ids[c] = {typed_key(v): i for i, v in enumerate(self.values[c])}
        self.typed |= columns

    def intern(self, column: int, value: Any) -> int:
        ids = self.ids[column]
        typed = column in self.typed
        key = typed_key(value) if typed else value
        i = ids.get(key)
        if i is not None and not typed:
            held = self.values[column][i]
            if held is not value and not same_typed(held, value):  # 0 met False: type them
                self.retype({column})
                return self.intern(column, value)
        if i is None:
            i = len(self.values[column])
            ids[key] = i
            self.values[column].append(value)
            if i >> self.width[column]:
                self.width[column] = i.bit_length() + 1
                self.version += 1
        return i

    def row(self, ids: Any) -> list[Any]:
        ids = ids.tolist() if isinstance(ids, np.ndarray) else ids
        return [vals[i] for vals, i in zip(self.values, ids, strict=True)]


class _Memo:
    """A function of some columns, learned entry by entry: maps each row to an entry index.

    The columns grow when a learned run reads one it did not have; all entries are
    then forgotten, since they were keyed on too little. Lookups come in two
    forms: a whole chunk of rows at once in numpy, and a few rows in plain Python
    (a long, thin state space has levels of one state, where numpy's cost per
    call would dominate). Learning appends; the numpy index catches up lazily.
    """

    def __init__(self, values: _Values) -> None:
        self.values = values
        self.cols: list[int] = []
        self.reset(set())

    def reset(self, cols: set[int]) -> None:
        self.cols = sorted(cols)
        self.keys: list[tuple[int, ...]] = []
        self.index: dict[tuple[int, ...], int] = {}
        self.payloads: list[Any] = []
        # Each entry is learned on one state and re-checked once on another state that
        # agrees on its columns (a step must be a function of what it reads): the row it
        # was learned on, and the entries not re-checked yet.
        self.origins: list[tuple[int, ...]] = []
        self.unverified: set[int] = set()
        self._packed_version = -1
        self._indexed = 0  # keys already in the sorted numpy index
        self._sorted: np.ndarray | None = np.empty(0, np.int64)
        self._entries = np.empty(0, np.int64)

    def _pack(self, sub: np.ndarray) -> np.ndarray | None:
        width, n = self.values.width, len(self.values.width)
        widths = [width[c % n] for c in self.cols]  # a pair of rows has each column twice
        if sum(widths) > 62:
            return None
        key = np.zeros(len(sub), np.int64)
        for j, w in enumerate(widths):
            key <<= w
            key |= sub[:, j]
        return key

    def _sync(self) -> None:
        """Bring the sorted index of packed keys up to date with the learned keys."""
        if self._packed_version != self.values.version:
            self._packed_version = self.values.version
            self._indexed = 0
            self._sorted = np.empty(0, np.int64)
            self._entries = np.empty(0, np.int64)
        if self._sorted is None or self._indexed == len(self.keys):
            return
        fresh = _matrix(self.keys[self._indexed:], len(self.cols), np.int64)
        packed = self._pack(fresh)
        if packed is None:
            self._sorted = None  # too wide for one integer: the dict serves every lookup
            return
        entries = np.arange(self._indexed, len(self.keys), dtype=np.int64)
        order = np.argsort(packed, kind="stable")
        packed, entries = packed[order], entries[order]
        at = np.searchsorted(self._sorted, packed)
        self._sorted = np.insert(self._sorted, at, packed)
        self._entries = np.insert(self._entries, at, entries)
        self._indexed = len(self.keys)

    def _learn(self, todo: list[tuple[int, tuple[int, ...]]],
               learn: Callable[[int], tuple[set[int], Any]],
               row_of: Callable[[int], tuple[int, ...]]) -> bool:
        """Learn each (row, key) in order; False when a run read beyond the columns (the
        memo has widened and forgotten everything: look the rows up again)."""
        for r, key in todo:
            if key in self.index:
                continue
            touched, payload = learn(r)
            if not touched <= set(self.cols):
                self.reset(touched | set(self.cols))
                return False
            self.unverified.add(len(self.keys))
            self.index[key] = len(self.keys)
            self.keys.append(key)
            self.payloads.append(payload)
            self.origins.append(row_of(r))
        return True

    def to_verify(self, entries: Any, rows: Any) -> list[tuple[int, int]]:
        """(row, entry) pairs that re-check entries not re-checked yet, each on a row other
        than the one it was learned on; those entries count as checked from now on."""
        if not self.unverified:
            return []
        used = set(np.unique(entries).tolist()) if isinstance(entries, np.ndarray) else set(entries)
        out = []
        for e in sorted(self.unverified & used):
            origin = self.origins[e]
            where = np.nonzero(entries == e)[0] if isinstance(entries, np.ndarray) else \
                [r for r, x in enumerate(entries) if x == e]
            for r in where:
                row = rows[int(r)]
                if tuple(row.tolist() if isinstance(row, np.ndarray) else row) != origin:
                    out.append((int(r), e))
                    self.unverified.discard(e)
                    break
        return out

    def lookup(self, rows: np.ndarray, learn: Callable[[int], tuple[set[int], Any]]) -> np.ndarray:
        """The entry of every row, calling ``learn(row)`` for each combination not yet known.

        ``learn`` returns the columns its run touched and the payload; when those are
        not all among this memo's columns, the memo widens and starts again.
        """
        while True:
            sub = rows[:, self.cols] if self.cols else np.zeros((len(rows), 0), np.int32)
            self._sync()
            keys = self._pack(sub) if self._sorted is not None else None
            if keys is None or self._sorted is None:
                uniq, inverse = np.unique(sub, axis=0, return_inverse=True)
                index = self.index
                found = np.array([index.get(tuple(u), -1) for u in uniq.tolist()], np.int64)
                entries = found[inverse.reshape(-1)] if len(found) else np.zeros(len(sub), np.int64)
                missing = np.nonzero(entries < 0)[0]
            else:
                pos = np.searchsorted(self._sorted, keys)
                pos[pos == len(self._sorted)] = 0
                hit = self._sorted[pos] == keys if len(self._sorted) else np.zeros(len(keys), bool)
                entries = np.where(hit, self._entries[pos] if len(self._sorted) else 0, -1)
                missing = np.nonzero(~hit)[0]
            if not len(missing):
                return entries
            _, first = np.unique(sub[missing], axis=0, return_index=True)
            reps = missing[np.sort(first)].tolist()
            self._learn([(r, tuple(sub[r].tolist())) for r in reps], learn,
                        lambda r: tuple(rows[r].tolist()))

    def lookup_small(self, rows: list[list[int]],
                     learn: Callable[[int], tuple[set[int], Any]]) -> list[int]:
        """The same for a few rows given as lists, in plain Python."""
        while True:
            cols = self.cols
            keys = [tuple([row[c] for c in cols]) for row in rows]
            if self._learn(list(enumerate(keys)), learn, lambda r: tuple(rows[r])):
                index = self.index
                return [index[key] for key in keys]


class _StepTable(_Memo):
    """One step instance: per entry its branches, each a transition with its new values.

    Transitions are appended by the explorer as it learns them; numpy arrays of
    them are brought up to date only when a numpy lookup needs them.
    """

    def reset(self, cols: set[int]) -> None:
        super().reset(cols)
        self.steps: list[Step] = []
        self.failures: list[ActionFailure | None] = []
        self.news: list[tuple[int, ...]] = []
        self.deltas: list[int] = []
        self.max_count = 0
        self._built = (0, 0)  # entries and transitions already in the arrays
        width = len(self.cols)
        self.first = self.count = self.nonfault = np.empty(0, np.int64)
        self.new = np.empty((0, width), np.int32)
        self.failed = np.empty(0, bool)
        self.delta = np.empty(0, np.uint64)

    def add_transitions(self, key: tuple[int, ...], news: list[tuple[int, ...]]) -> None:
        """Fingerprint deltas of transitions out of ``key``: its columns' old codes XOR new."""
        cols = self.cols
        for new in news:
            delta = 0
            for c, a, b in zip(cols, key, new, strict=True):
                if a != b:
                    delta ^= zobrist_code(c, a) ^ zobrist_code(c, b)
            self.deltas.append(delta)

    def arrays(self) -> None:
        entries, transitions = self._built
        if entries == len(self.payloads) and transitions == len(self.steps):
            return
        tail = self.payloads[entries:]
        self.first = np.concatenate((self.first, np.array([p[0] for p in tail], np.int64)))
        self.count = np.concatenate((self.count, np.array([p[1] for p in tail], np.int64)))
        self.nonfault = np.concatenate((self.nonfault, np.array([p[2] for p in tail], np.int64)))
        self.max_count = max(self.max_count, max((p[1] for p in tail), default=0))
        width = len(self.cols)
        self.new = np.concatenate((self.new, _matrix(self.news[transitions:], width, np.int32)))
        self.failed = np.concatenate((self.failed, np.array(
            [f is not None for f in self.failures[transitions:]], bool)))
        self.delta = np.concatenate((self.delta, np.array(self.deltas[transitions:], np.uint64)))
        self._built = (len(self.payloads), len(self.steps))


class _Predicate(_Memo):
    def __init__(self, values: _Values) -> None:
        super().__init__(values)
        self.looked_up = self.learned = 0
        self.direct = False  # evaluated as written, not learned (see _VectorRun.truth)

    def reset(self, cols: set[int]) -> None:
        super().reset(cols)
        self._truth = np.empty(0, bool)

    def truth(self, entries: np.ndarray) -> np.ndarray:
        if len(self._truth) < len(self.payloads):
            self._truth = np.concatenate((self._truth,
                                          np.array(self.payloads[len(self._truth):], bool)))
        return self._truth[entries]


def _matrix(rows: list, width: int, dtype: Any) -> np.ndarray:
    """Rows as a 2-d array, also when they are empty tuples (a footprint of no column)."""
    return np.array(rows, dtype).reshape(len(rows), width)


def zobrist(columns: np.ndarray, ids: np.ndarray) -> np.ndarray:
    """The 64-bit code of value ``ids`` in ``columns``: splitmix64's finaliser of the pair.

    A state's fingerprint is the XOR of its columns' codes (Zobrist hashing), so a
    step's successor has its parent's fingerprint XOR a delta that depends only on
    the learned transition; two different rows collide with probability 2^-64.
    """
    h = (columns.astype(np.uint64) << np.uint64(32)) | ids.astype(np.uint64)
    h += _SEED
    h ^= h >> np.uint64(30)
    h *= _M1
    h ^= h >> np.uint64(27)
    h *= _M2
    h ^= h >> np.uint64(31)
    return h


_MASK = (1 << 64) - 1


@functools.lru_cache(maxsize=1 << 16)
def zobrist_code(column: int, value_id: int) -> int:
    """:func:`zobrist` of one (column, id), in plain Python (same arithmetic, mod 2^64)."""
    h = ((column << 32) | value_id) + int(_SEED) & _MASK
    h = ((h ^ (h >> 30)) * int(_M1)) & _MASK
    h = ((h ^ (h >> 27)) * int(_M2)) & _MASK
    return h ^ (h >> 31)


def fingerprints(rows: np.ndarray) -> np.ndarray:
    """Fingerprints of whole rows (initial states; the explorer derives the rest)."""
    h = np.zeros(len(rows), np.uint64)
    for c in range(rows.shape[1]):
        h ^= zobrist(np.full(len(rows), c), rows[:, c])
    return h


def refusal(system: Any, options: Options) -> str | None:
    """Why the vector explorer cannot run this check (None when it can)."""
    props = list(system.properties)
    if options.check_liveness and any(p.is_liveness for p in props):
        return "it checks safety properties only (liveness needs the explored graph)"
    if getattr(system, "reduces_symmetry", False):
        return "it does not reduce symmetry"
    if options.record_graph:
        return "it keeps no graph"
    if options.workers > 1 or options.ray:
        return "it runs in one process"
    return None


def explore_vector(system: Any, options: Options,
                   on_state: Callable[[int, Any], None] | None = None) -> Exploration:
    """Explore like :func:`lifecheck.explore.explore`, a level at a time with learned steps."""
    why = refusal(system, options)
    if why is not None:
        raise ModelError(f"the vector engine cannot check this spec: {why}; use --engine bfs "
                         "(or --engine auto, which picks it only where it can)")
    return _VectorRun(system, learner_for(system), options, on_state).run()


class _VectorRun:
    def __init__(self, system: Any, learner: Learner, options: Options,
                 on_state: Callable[[int, Any], None] | None) -> None:
        self.system, self.learner, self.options, self.on_state = system, learner, options, on_state
        self.bounds = options.bounds
        self.started = time.perf_counter()
        self.values = _Values(len(learner.columns))
        self.tables = [_StepTable(self.values) for _ in learner.steps]
        props = list(system.properties)
        self.invariants = [p for p in props if p.kind == ALWAYS]
        self.sometimes = [p for p in props if p.kind == SOMETIMES]
        self.transition_props = [p for p in props if p.kind == TRANSITION]
        self.predicates = {name: _Predicate(self.values)
                           for name in [*learner.predicates, *learner.transition_checks]}
        # The seen-set: a sorted array of fingerprints, and a small set of the latest
        # ones (merged in when it grows), so that a level of one state costs no copy.
        self.seen = np.empty(0, np.uint64)
        self.recent: set[int] = set()
        self.parents = array("i")
        self.vias = array("I")
        self.count = 0
        self.found: dict[str, Found] = {}
        self.sometimes_seen: set[str] = set()
        self.coverage: dict[str, int] = {name: 0 for name in system.actions()}
        self.transitions = 0
        self.level_starts = [0]
        self.complete, self.reason, self.stopped = True, "", False
        self.depth = 0
        self.next_report = self.started + options.progress_every
        # Learning pays when steps are reused; counted on the few-row path, which turns
        # to running steps as written when nearly every lookup has to learn.
        self.looked_up = 0
        self.learned = 0
        self.direct = False
        self.frontier: tuple[np.ndarray, np.ndarray] = (np.empty((0, 0), np.int32),
                                                        np.empty(0, np.uint64))
        self.elapsed = 0.0  # seconds spent by the runs this one resumes
        self.resumed_at = 0


    # -- where things are ----------------------------------------------------------------
    def path(self, sid: int) -> list[int]:
        return path_key(self.parents, self.vias, sid)

    def locate(self, exc: ModelError, sid: int) -> ModelError:
        key = self.path(sid)
        error = exc.within(step=len(key) - 1)
        error.replay_key = key  # type: ignore[attr-defined]
        return error

    def note(self, f: Found) -> None:
        if f.property not in self.found:
            self.found[f.property] = f

    # -- learning ------------------------------------------------------------------------
    def learn_step(self, k: int, row: list[int], sid: int) -> tuple[set[int], Any]:
        table, values, learner = self.tables[k], self.values, self.learner
        state = learner.decode(values.row(row))
        try:
            touched, results = learner.step(k, state)
        except ModelError as exc:
            raise self.locate(exc.within(step=self.depth + 1), sid) from None
        self.learned += 1
        if not touched <= set(table.cols):
            return touched, None
        start, nonfault = len(table.steps), 0
        news = []
        for step, out in results:
            table.steps.append(step)
            nonfault += not step.is_fault
            if isinstance(out, ActionFailure):
                table.failures.append(out)
                news.append((0,) * len(table.cols))
                continue
            table.failures.append(None)
            try:
                news.append(tuple(values.intern(c, learner.value(out, c)) for c in table.cols))
            except TypeError as exc:
                raise unhashable(exc, f"{step.who()} {step.label()}").within(
                    step=self.depth + 1) from None
        table.news.extend(news)
        table.add_transitions(tuple(row[c] for c in table.cols), news)
        return touched, (start, len(results), nonfault)

    def truth(self, name: str, rows: np.ndarray, sid_of: Callable[[int], int]) -> np.ndarray:
        """A property (or "final state") on each row.

        Learned like a step; but a property that reads nearly every field (all the
        philosophers, say) differs on every state, so once nearly every row has to be
        learned it is evaluated as written, and its table is dropped: kept, it would
        hold a key per state.
        """
        memo = self.predicates[name]

        def learn(r: int, logged: bool = True) -> tuple[set[int], bool]:
            state = self.learner.decode(self.values.row(rows[r]))
            try:
                return self.learner.predicate(name, state, logged)
            except ModelError as exc:
                raise self.locate(exc, sid_of(r)) from None

        if memo.direct:
            return np.array([learn(r, logged=False)[1] for r in range(len(rows))], bool)
        known = len(memo.keys)
        if len(rows) <= SMALL:
            listed = rows.tolist()
            entries: Any = memo.lookup_small(listed, learn)
            truth = np.array([memo.payloads[e] for e in entries], bool)
            checks = memo.to_verify(entries, listed)
        else:
            entries = memo.lookup(rows, learn)
            truth = memo.truth(entries)
            checks = memo.to_verify(entries, rows)
        for r, e in checks:
            if learn(r, logged=False)[1] != memo.payloads[e]:
                raise self.locate(ModelError(
                    f"{'a final-state predicate' if name == 'final state' else 'property ' + name}"
                    " is not deterministic: it gave different values on two states that agree "
                    f"on every field it reads ({self.columns_named(memo.cols)}); a property must "
                    "depend only on the state"), sid_of(r))
        memo.looked_up += len(rows)
        memo.learned += max(0, len(memo.keys) - known)
        if memo.looked_up >= 4096 and memo.learned * 2 > memo.looked_up:
            memo.direct = True
            memo.reset(set())
        return truth

    def truth_across(self, name: str, pairs: np.ndarray,
                     where: Callable[[int], tuple[int, int, Step]]) -> np.ndarray:
        """A transition property on rows that are a source row and a target row side by side;
        ``where(r)`` says which state, step index and step pair ``r`` is."""
        memo, width = self.predicates[name], len(self.learner.columns)

        def learn(r: int) -> tuple[set[int], bool]:
            before = self.learner.decode(self.values.row(pairs[r, :width]))
            after = self.learner.decode(self.values.row(pairs[r, width:]))
            try:
                return self.learner.transition(name, before, after)
            except ModelError as exc:
                sid, via, step = where(r)
                key = [*self.path(sid), via]
                error = exc.within(step=len(key) - 1).within(action=f"{step.who()} {step.label()}")
                error.replay_key = key  # type: ignore[attr-defined]
                raise error from None

        entries = memo.lookup(pairs, learn)
        for r, e in memo.to_verify(entries, pairs):
            if learn(r)[1] != memo.payloads[e]:
                sid, via, step = where(r)
                error = ModelError(f"property {name} is not deterministic: it gave different values "
                                   "across two steps that agree on every field it reads; a property "
                                   "must depend only on the states it compares",
                                   action=f"{step.who()} {step.label()}")
                key = [*self.path(sid), via]
                error = error.within(step=len(key) - 1)
                error.replay_key = key  # type: ignore[attr-defined]
                raise error
        return memo.truth(entries)

    def columns_named(self, cols: list[int]) -> str:
        names = self.learner.column_names
        return ", ".join(names[c] for c in cols) or "none"

    def verify_step(self, k: int, e: int, row: list[int], sid: int) -> None:
        """Run step instance ``k`` on a state other than the one entry ``e`` was learned on
        (they agree on every column it reads) and insist on the same outcome."""
        table, values, learner = self.tables[k], self.values, self.learner
        state = learner.decode(values.row(row))
        try:
            touched, results = learner.step(k, state)
        except ModelError as exc:
            raise self.locate(exc.within(step=self.depth + 1), sid) from None
        start, count = table.payloads[e][0], table.payloads[e][1]
        same = touched <= set(table.cols) and len(results) == count
        for b, (step, out) in enumerate(results if same else ()):
            t = start + b
            fail = table.failures[t]
            if step != table.steps[t] or isinstance(out, ActionFailure) != (fail is not None):
                same = False
            elif fail is not None:
                same = out == fail
            else:
                same = tuple(values.intern(c, learner.value(out, c)) for c in table.cols) == \
                    table.news[t]
            if not same:
                break
        if not same:
            instances = self.system._instances
            what = instances[k][6] if k < len(instances) else "a fault step"
            raise self.locate(ModelError(
                f"{what} is not deterministic: it did different things on two states that agree "
                f"on every field it reads ({self.columns_named(table.cols)}); actions must depend "
                "only on the state, their parameters and choose()", action=what), sid)

    # -- saving and resuming ----------------------------------------------------------
    SAVED = ("values", "tables", "predicates", "seen", "recent", "parents", "vias", "count",
             "found", "sometimes_seen", "coverage", "transitions", "level_starts", "complete",
             "reason", "depth", "looked_up", "learned", "direct", "frontier")

    def snapshot(self) -> dict[str, Any]:
        data = {name: getattr(self, name) for name in self.SAVED}
        data["elapsed"] = self.elapsed + time.perf_counter() - self.started
        return data

    def restore(self, data: dict[str, Any]) -> None:
        for name in self.SAVED:
            setattr(self, name, data[name])
        self.elapsed = data["elapsed"]
        self.resumed_at = self.count
        self.started = time.perf_counter()

    def run(self) -> Exploration:
        """Explore; with ``options.checkpoint``, save between levels and resume a saved run."""
        path = self.options.checkpoint
        signature = run_signature(self.system, self.options, "vector")
        saved = load_checkpoint(path, signature) if path else None
        if saved is not None:
            self.restore(saved)
        else:
            self.start()
        last_saved = time.perf_counter()
        while len(self.frontier[0]) and not self.stopped:
            if path and time.perf_counter() - last_saved >= self.options.checkpoint_every:
                save_checkpoint(path, signature, self.snapshot())
                last_saved = time.perf_counter()
            if self.direct and len(self.frontier[0]) <= SMALL and not self.transition_props:
                every = self.options.checkpoint_every
                self.thin(last_saved + every if path else None)
                continue
            out = self.level(*self.frontier)
            self.frontier = (np.concatenate([r for r, _ in out]) if out else self.frontier[0][:0],
                             np.concatenate([f for _, f in out]) if out else self.frontier[1][:0])
        return self.finish()

    def start(self) -> None:
        rows = []
        for state in self.system.init_states():
            try:
                rows.append([self.values.intern(c, v) for c, v in enumerate(self.learner.encode(state))])
            except TypeError as exc:
                raise unhashable(exc, "the initial state") from None
        init = np.array(rows, np.int32).reshape(len(rows), len(self.learner.columns))
        fps = fingerprints(init)
        _, first = np.unique(fps, return_index=True)
        keep = np.sort(first)
        if self.bounds.max_states is not None and len(keep) > self.bounds.max_states:
            self.complete, self.reason = False, f"state bound {self.bounds.max_states} reached"
            keep = keep[:self.bounds.max_states]
        self.seen = np.sort(fps[keep])
        self.record(len(keep), np.full(len(keep), -1, np.int64), keep.astype(np.int64))
        self.frontier = (init[keep], fps[keep])
        self.check_states(init[keep], 0)

    def level(self, frontier: np.ndarray, fps: np.ndarray) -> list[tuple[np.ndarray, np.ndarray]]:
        bounds = self.bounds
        at_bound = bounds.max_depth is not None and self.depth >= bounds.max_depth
        base = self.level_starts[-1]
        self.level_starts.append(self.count)
        out: list[tuple[np.ndarray, np.ndarray]] = []
        for lo in range(0, len(frontier), CHUNK):
            out.append(self.expand(frontier[lo:lo + CHUNK], fps[lo:lo + CHUNK], base + lo, at_bound))
            if self.must_stop(sum(len(o) for o, _ in out) + len(frontier) - lo - CHUNK):
                break
        if sum(len(o) for o, _ in out):
            self.depth += 1
        return out

    def expand(self, rows: np.ndarray, fps: np.ndarray, sid0: int,
               at_bound: bool) -> tuple[np.ndarray, np.ndarray]:
        """Successors of one chunk of the frontier: the rows and fingerprints of new states.

        Successors are kept as (parent, step instance, transition, step index) and their
        fingerprints; rows are built only for the states that turn out to be new.
        """
        if len(rows) <= SMALL and not self.transition_props:
            return self.expand_small(rows, fps, sid0, at_bound)
        n = len(rows)
        offset = np.zeros(n, np.int64)
        nonfault = np.zeros(n, np.int64)
        got: list[tuple[np.ndarray, ...]] = []
        failures: dict[str, tuple[int, int, str]] = {}
        for k, table in enumerate(self.tables):
            entry = table.lookup(rows, lambda r, k=k: self.learn_step(k, rows[r].tolist(), sid0 + r))
            for r, e in table.to_verify(entry, rows):
                self.verify_step(k, e, rows[r].tolist(), sid0 + r)
            table.arrays()
            count = table.count[entry]
            total = int(count.sum())
            if not total:
                continue
            self.transitions += total
            nonfault += table.nonfault[entry]
            first = table.first[entry]
            for b in range(table.max_count):
                at = np.nonzero(count > b)[0]
                t = first[at] + b
                via = offset[at] + b
                used = np.bincount(t, minlength=len(table.steps))
                for ti in np.nonzero(used)[0].tolist():
                    action = table.steps[ti].action
                    self.coverage[action] = self.coverage.get(action, 0) + int(used[ti])
                failed = table.failed[t]
                if failed.any():
                    for i in np.nonzero(failed)[0].tolist():
                        step, fail = table.steps[t[i]], table.failures[t[i]]
                        key = (int(at[i]), int(via[i]))
                        name = fail.property_name  # type: ignore[union-attr]
                        if name not in failures or key < failures[name][:2]:
                            failures[name] = (*key, f"{step.who()} {step.label()}: "
                                              f"{fail.message}")  # type: ignore[union-attr]
                    keep = ~failed
                    at, t, via = at[keep], t[keep], via[keep]
                got.append((fps[at] ^ table.delta[t], at, np.full(len(at), k, np.int32), t, via))
            offset += count
        self.after_expansion(rows, sid0, failures, np.nonzero(nonfault == 0)[0])
        if not got:
            return rows[:0], fps[:0]
        cand = [np.concatenate(parts) for parts in zip(*got, strict=True)]
        return self.admit(rows, sid0, *cand, at_bound)

    def after_expansion(self, rows: np.ndarray, sid0: int,
                        failures: dict[str, tuple[int, int, str]], stuck: np.ndarray) -> None:
        """Failed steps, determinism, deadlocks (``stuck``: rows with no step but faults)."""
        for name, (r, via, message) in sorted(failures.items(), key=lambda kv: kv[1][:2]):
            self.note(Found(name, "assertion" if name == "AssertionInAction" else "exception",
                            message, sid0 + r, via))
        self.check_determinism(rows, sid0)
        if self.options.check_deadlock and len(stuck):
            final = self.truth("final state", rows[stuck], lambda r: sid0 + int(stuck[r]))
            dead = stuck[~final]
            if len(dead):
                self.note(Found("Deadlock", "deadlock",
                                "no step is enabled and this is not a declared final state",
                                sid0 + int(dead[0])))

    def expand_small(self, rows: np.ndarray, fps: np.ndarray, sid0: int,
                     at_bound: bool) -> tuple[np.ndarray, np.ndarray]:
        """:meth:`expand` and :meth:`admit` in plain Python, for a chunk of a few rows."""
        rows_l, fps_l = rows.tolist(), fps.tolist()
        n = len(rows_l)
        learned = self.learned
        offset, nonfault = [0] * n, [0] * n
        cands: list[tuple[int, int, int, int, int]] = []  # (row, step index, fp, instance, t)
        failures: dict[str, tuple[int, int, str]] = {}
        coverage = self.coverage
        for k, table in enumerate(self.tables):
            entries = table.lookup_small(rows_l, lambda r, k=k: self.learn_step(k, rows_l[r], sid0 + r))
            for r, e in table.to_verify(entries, rows_l):
                self.verify_step(k, e, rows_l[r], sid0 + r)
            payloads, steps, fails, deltas = table.payloads, table.steps, table.failures, table.deltas
            for r, e in enumerate(entries):
                start, count, nf = payloads[e]
                if not count:
                    continue
                self.transitions += count
                nonfault[r] += nf
                for b in range(count):
                    t = start + b
                    step = steps[t]
                    coverage[step.action] = coverage.get(step.action, 0) + 1
                    fail = fails[t]
                    if fail is None:
                        cands.append((r, offset[r] + b, fps_l[r] ^ deltas[t], k, t))
                        continue
                    key = (r, offset[r] + b)
                    name = fail.property_name
                    if name not in failures or key < failures[name][:2]:
                        failures[name] = (*key, f"{step.who()} {step.label()}: {fail.message}")
                offset[r] += count
        self.after_expansion(rows, sid0, failures,
                             np.array([r for r in range(n) if not nonfault[r]], np.int64))
        # Steps that keep being learned are cheaper run as written than learned: a
        # counter read by every step (a long, thin state space) gives no reuse.
        self.looked_up += n * len(self.tables)
        if self.looked_up >= 4096 and (self.learned - learned) * 50 > n * len(self.tables):
            self.direct = self.learned * 50 > self.looked_up
        cands.sort()

        def built(r: int, k: int, t: int) -> list[int]:
            row = list(rows_l[r])
            table = self.tables[k]
            for c, v in zip(table.cols, table.news[t], strict=True):
                row[c] = v
            return row

        return self.admit_small(rows, sid0, [(r, via, fp, (k, t)) for r, via, fp, k, t in cands],
                                built, at_bound)

    def thin(self, until: float | None) -> None:
        """Levels of a few states, one after another, with steps run as written (as bfs
        runs them): where learning does not pay, numpy's cost per call would dominate.
        Returns when a level grows past :data:`SMALL` states, or at ``until`` (so that
        a checkpoint can be saved)."""
        system, learner, values, coverage = self.system, self.learner, self.values, self.coverage
        bounds, options = self.bounds, self.options
        rows_l, fps_l = self.frontier[0].tolist(), self.frontier[1].tolist()
        states = [learner.decode(values.row(row)) for row in rows_l]
        while rows_l and len(rows_l) <= SMALL and not self.stopped:
            at_bound = bounds.max_depth is not None and self.depth >= bounds.max_depth
            sid0 = self.level_starts[-1]
            self.level_starts.append(self.count)
            level: set[int] = set()
            new_rows, new_fps, new_states, parents, vias = [], [], [], [], []
            for r, state in enumerate(states):
                sid = sid0 + r
                try:
                    succs = system.successors(state)
                    audit(system, options, sid, state, succs)
                    if options.check_deadlock and not any(not s.is_fault for s, _ in succs) \
                            and not system.is_final(state):
                        self.note(Found("Deadlock", "deadlock", "no step is enabled and this is "
                                        "not a declared final state", sid))
                except ModelError as exc:
                    raise self.locate(exc.within(step=self.depth + 1), sid) from None
                self.transitions += len(succs)
                row, parent_fp = rows_l[r], fps_l[r]
                for via, (step, out) in enumerate(succs):
                    coverage[step.action] = coverage.get(step.action, 0) + 1
                    if isinstance(out, ActionFailure):
                        self.note(Found(out.property_name, out.kind,
                                        f"{step.who()} {step.label()}: {out.message}", sid, via))
                        continue
                    try:
                        new = [values.intern(c, v) for c, v in enumerate(learner.encode(out))]
                    except TypeError as exc:
                        raise unhashable(exc, f"{step.who()} {step.label()}").within(
                            step=self.depth + 1) from None
                    fp = parent_fp
                    for c, (a, b) in enumerate(zip(row, new, strict=True)):
                        if a != b:
                            fp ^= zobrist_code(c, a) ^ zobrist_code(c, b)
                    if fp in level or self.known(fp):
                        continue
                    level.add(fp)
                    if at_bound:
                        self.complete, self.reason = False, f"depth bound {bounds.max_depth} reached"
                        continue
                    if bounds.max_states is not None and self.count + len(new_fps) >= bounds.max_states:
                        self.complete, self.reason = False, f"state bound {bounds.max_states} reached"
                        continue
                    new_rows.append(new)
                    new_fps.append(fp)
                    new_states.append(out)
                    parents.append(sid)
                    vias.append(via)
            count0 = self.count
            self.recent.update(new_fps)
            if len(self.recent) >= RECENT:
                self.merge_recent()
            self.record(len(new_fps), parents, vias)
            for i, state in enumerate(new_states):
                self.check_state(count0 + i, state)
            if new_fps:
                self.depth += 1
            rows_l, fps_l, states = new_rows, new_fps, new_states
            if self.must_stop(len(rows_l)) or (until is not None and time.perf_counter() >= until):
                break  # (after one level at least, so that every call makes progress)
        self.frontier = (np.array(rows_l, np.int32).reshape(len(rows_l), len(learner.columns)),
                         np.array(fps_l, np.uint64))

    def check_state(self, sid: int, state: tuple) -> None:
        """One new state, checked by the model's compiled properties (the thin path)."""
        try:
            for p in self.invariants:
                if not safely(p.check, state, p.name):
                    self.note(Found(p.name, ALWAYS, does_not_hold(p), sid))
            for p in self.sometimes:
                if p.name not in self.sometimes_seen and safely(p.check, state, p.name):
                    self.sometimes_seen.add(p.name)
        except ModelError as exc:
            raise self.locate(exc, sid) from None
        if self.on_state is not None:
            self.on_state(sid, state)

    def admit_small(self, rows: np.ndarray, sid0: int, cands: list[tuple[int, int, int, Any]],
                    built: Callable[..., list[int]], at_bound: bool) -> tuple[np.ndarray, np.ndarray]:
        """Candidates (row, step index, fingerprint, how to build it) in bfs order: keep
        the new ones, as :meth:`admit` does."""
        new_rows, new_fps, parents, vias = [], [], [], []
        level: set[int] = set()
        max_states = self.bounds.max_states
        for r, via, fp, how in cands:
            if fp in level or self.known(fp):
                continue
            level.add(fp)
            if at_bound:
                self.complete, self.reason = False, f"depth bound {self.bounds.max_depth} reached"
                continue
            if max_states is not None and self.count + len(new_fps) >= max_states:
                self.complete, self.reason = False, f"state bound {max_states} reached"
                continue
            new_rows.append(built(r, *how))
            new_fps.append(fp)
            parents.append(sid0 + r)
            vias.append(via)
        count0 = self.count
        self.recent.update(new_fps)
        if len(self.recent) >= RECENT:
            self.merge_recent()
        self.record(len(new_fps), parents, vias)
        new = np.array(new_rows, np.int32).reshape(len(new_rows), rows.shape[1])
        if len(new):
            self.check_states(new, count0)
        return new, np.array(new_fps, np.uint64)

    def build(self, rows: np.ndarray, parents: np.ndarray, ks: np.ndarray,
              ts: np.ndarray) -> np.ndarray:
        """The rows the steps (parent row, step instance, transition) lead to."""
        out = rows[parents]
        for k in np.unique(ks).tolist():
            table = self.tables[k]
            if table.cols:
                at = np.nonzero(ks == k)[0]
                out[np.ix_(at, table.cols)] = table.new[ts[at]]
        return out

    def check_determinism(self, rows: np.ndarray, sid0: int) -> None:
        """The first states are expanded twice by model code, as the bfs explorer does."""
        for r in range(max(0, min(len(rows), self.options.determinism_checks - sid0))):
            state = self.learner.decode(self.values.row(rows[r]))
            try:
                check_deterministic(self.system, state, self.system.successors(state))
            except ModelError as exc:
                raise self.locate(exc.within(step=self.depth + 1), sid0 + r) from None

    def admit(self, rows: np.ndarray, sid0: int, fps: np.ndarray, parents: np.ndarray,
              ks: np.ndarray, ts: np.ndarray, vias: np.ndarray,
              at_bound: bool) -> tuple[np.ndarray, np.ndarray]:
        """Keep the successors never seen before, first reached first; check them.

        Successors were generated step instance by step instance; a stable sort by
        parent puts them in the bfs explorer's order (parent, then step index).
        """
        self.merge_recent()
        order = np.argsort(parents.astype(np.uint16) if len(rows) <= 1 << 16 else parents,
                           kind="stable")
        fps_o = fps[order]
        unique, first = np.unique(fps_o, return_index=True)
        seen = self.seen
        pos = np.searchsorted(seen, unique)
        pos[pos == len(seen)] = 0
        known = seen[pos] == unique if len(seen) else np.zeros(len(unique), bool)
        fresh = np.sort(first[~known])
        if len(fresh) and at_bound:
            self.complete, self.reason = False, f"depth bound {self.bounds.max_depth} reached"
            fresh = fresh[:0]
        max_states = self.bounds.max_states
        if max_states is not None and self.count + len(fresh) > max_states:
            self.complete, self.reason = False, f"state bound {max_states} reached"
            fresh = fresh[:max(0, max_states - self.count)]
        if self.transition_props:
            # Every step is checked, also one into a state a bound keeps out (as bfs does).
            self.check_steps(rows, sid0, parents[order], ks[order], ts[order], vias[order])
        if not len(fresh):
            return rows[:0], fps[:0]
        pick = order[fresh]
        new_fps = fps_o[fresh]
        merged = np.concatenate((seen, new_fps))
        merged.sort(kind="stable")
        self.seen = merged
        count0 = self.count
        self.record(len(new_fps), sid0 + parents[pick], vias[pick])
        new = self.build(rows, parents[pick], ks[pick], ts[pick])
        self.check_states(new, count0)
        return new, new_fps

    def record(self, count: int, parents: Any, vias: Any) -> None:
        """Where the next ``count`` states came from (parent ids, step indices)."""
        self.count += count
        if isinstance(parents, np.ndarray):
            self.parents.frombytes(parents.astype(np.int32).tobytes())
            self.vias.frombytes(vias.astype(np.uint32).tobytes())
        else:
            self.parents.extend(parents)
            self.vias.extend(vias)

    def known(self, fp: int) -> bool:
        if fp in self.recent:
            return True
        seen = self.seen
        i = int(np.searchsorted(seen, np.uint64(fp)))
        return i < len(seen) and int(seen[i]) == fp

    def merge_recent(self) -> None:
        if self.recent:
            merged = np.concatenate((self.seen, np.fromiter(self.recent, np.uint64, len(self.recent))))
            merged.sort(kind="stable")
            self.seen = merged
            self.recent = set()

    def check_steps(self, rows: np.ndarray, sid0: int, parents: np.ndarray, ks: np.ndarray,
                    ts: np.ndarray, vias: np.ndarray) -> None:
        pairs = np.hstack((rows[parents], self.build(rows, parents, ks, ts)))
        for p in self.transition_props:
            if p.name in self.found:
                continue

            def where(r: int) -> tuple[int, int, Step]:
                return sid0 + int(parents[r]), int(vias[r]), self.tables[int(ks[r])].steps[int(ts[r])]

            bad = np.nonzero(~self.truth_across(p.name, pairs, where))[0]
            if len(bad):
                sid, via, step = where(int(bad[0]))
                self.note(Found(p.name, TRANSITION, f"{p.name} does not hold across "
                                f"{step.who()} {step.label()}", sid, via))

    def check_states(self, rows: np.ndarray, sid0: int) -> None:
        for p in self.invariants:
            bad = np.nonzero(~self.truth(p.name, rows, lambda r: sid0 + r))[0]
            if len(bad):
                self.note(Found(p.name, ALWAYS, does_not_hold(p), sid0 + int(bad[0])))
        for p in self.sometimes:
            if p.name not in self.sometimes_seen and self.truth(p.name, rows, lambda r: sid0 + r).any():
                self.sometimes_seen.add(p.name)
        if self.on_state is not None:
            for r in range(len(rows)):
                self.on_state(sid0 + r, self.learner.decode(self.values.row(rows[r])))

    def must_stop(self, pending: int) -> bool:
        seconds = self.bounds.max_seconds
        reason, self.next_report = watch_run(
            self.options, None if seconds is None else self.started + seconds - self.elapsed,
            self.next_report,
            lambda rss, now: Progress(self.count, self.transitions, max(pending, 0), self.depth,
                                      self.elapsed + now - self.started, rss))
        if reason:
            self.complete, self.reason, self.stopped = False, reason, True
        return bool(reason)

    def finish(self) -> Exploration:
        if self.level_starts[-1] == self.count:
            self.level_starts.pop()
        self.merge_recent()
        parents, via = self.parents, self.vias
        stored = (self.seen.nbytes + parents.itemsize * len(parents) + via.itemsize * len(via)
                  if self.options.measure_memory else 0)
        return Exploration([], parents, via, self.level_starts, self.found, self.transitions,
                           self.depth, self.elapsed + time.perf_counter() - self.started,
                           self.coverage,
                           self.complete, self.reason, self.sometimes_seen, None, stored,
                           self.resumed_at,
                           self.count, True)
