"""Running model code: views over a state, guards, choices and injected faults.

Model code reads and writes plain attributes (``b.phase = "load"``) but states are
immutable tuples. A ``Context`` holds the state being built: a write copies
only the part it touches (copy on write), and freezing gives the successor. Views
are created once per compiled model and re-pointed at each context, so running an
action allocates almost nothing beyond the parts it changes.

A nondeterministic outcome is one line of model code (``choose(...)``, ``fault(...)``).
The action is re-run once per combination of outcomes, depth first, so every branch
is a separate step whose label records the choices, in a deterministic order.
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Iterable, Mapping
from operator import is_
from typing import Any

from lifecheck.contract import ActionFailure, Step
from lifecheck.errors import ModelError
from lifecheck.modelling.blame import called_at, raised_at, told_apart, view_typo
from lifecheck.modelling.symmetry import order_key
from lifecheck.typed_values import PLAIN, equal_types
from lifecheck.values import FAST_IMMUTABLE, MutableValueError, check_immutable


class Disabled(Exception):
    """Raised by :func:`require`: the step is not enabled here. Not an error."""


class Context:
    """The state under construction while one branch of model code runs."""

    __slots__ = (
        "budget",
        "budget_index",
        "calls",
        "choices",
        "dirty",
        "fault_caps",
        "faulted",
        "interned",
        "label_sites",
        "labels",
        "parts",
        "process",
        "readonly",
        "reads",
        "sampler",
        "trail",
        "typed_interned",
        "where",
        "writes",
    )

    def __init__(self) -> None:
        self.parts: Any = ()
        self.dirty: set[int] | None = None
        # One object per distinct written value (see :meth:`write`).
        self.interned: dict[Any, Any] = {}
        # The same for values equal to an interned one only across types ((True,) beside
        # (1,)): every such variant met, under the value they all compare equal to, so
        # that each of them is shared too, found again by a look at its types.
        self.typed_interned: dict[Any, list[Any]] = {}
        self.readonly = True
        self.choices: tuple[int, ...] = ()  # the prefix of choice indices to replay
        self.sampler: Any = None  # a random.Random: take one random branch, not every one
        self.trail: list[tuple[int, int]] = []  # (index taken, number of options) per choice
        self.labels: list[Any] = []
        self.process: str | None = None
        self.budget: tuple[int, ...] = ()
        self.budget_index: dict[str, int] = {}
        self.fault_caps: tuple[int, ...] = ()
        self.faulted: list[str] = []
        self.calls: dict[str, int] = {}  # fault() calls so far in the branch, by failure label
        self.label_sites: list[tuple[str, int] | None] = []  # where label= choices were made
        self.where = ""
        # Set only while the checker learns what a step reads and writes (see
        # lifecheck.modelling.footprint): (part, slot) pairs, with slot -1 for the whole fault budget.
        self.reads: set[tuple[int, int]] | None = None
        self.writes: set[tuple[int, int]] | None = None

    def read(self, state: tuple) -> None:
        """Point at ``state`` for reading only (properties, descriptions)."""
        self.parts = state
        self.readonly = True

    def write(self, part: int, slot: int, value: Any, name: str) -> None:
        if self.readonly:
            raise ModelError(f"{self.where or 'read-only code'} tried to set {name!r}; "
                             "properties and guards must not change the state")
        t = type(value)
        if t not in FAST_IMMUTABLE or (t is float and value != value):
            value = self.intern(value, name)
        if self.writes is not None:
            self.writes.add((part, slot))
        dirty = self.dirty
        if dirty is None:
            self.parts = list(self.parts)
            dirty = self.dirty = set()
        parts = self.parts
        if part not in dirty:
            parts[part] = list(parts[part])
            dirty.add(part)
        parts[part][slot] = value

    def intern(self, value: Any, name: str) -> Any:
        """The object already stored for a value equal to ``value`` with the same types, or
        ``value`` itself once it is known to be immutable, stored for it from now on.

        States that compare equal then hold the same objects, so confirming that a seen
        state's types agree with a new one (see :mod:`lifecheck.typed_values`) is a
        look at identities instead of a walk of every value; equal values are kept
        once; and a value met before needs no second immutability check (one equal to
        an immutable value, with the same types at every depth, is immutable too). A
        value equal only across types (``(0,)`` and ``(False,)``) keeps its own object,
        and the confirmation then tells them apart as before.
        """
        table = self.interned
        try:
            held = table.get(value)
        except TypeError:  # unhashable: a mutable part, or reported where the state is looked up
            held = None
        if held is not None and (held is value or equal_types(held, value)):
            return held
        again = None if held is None else self._variant(held, value)  # equal across types only
        if again is not None:
            table[value] = again
            return again
        try:
            check_immutable(value, f"field {name!r}")
        except MutableValueError as exc:
            raise ModelError(str(exc)) from None
        if held is None:
            if len(table) >= INTERNED:
                table.clear()  # a bound on memory: what is forgotten is only shared less
            with contextlib.suppress(TypeError):
                table[value] = value
        else:
            self.typed_interned[value].append(value)
            table[value] = value
        return value

    def _variant(self, held: Any, value: Any) -> Any:
        """The object held for ``value`` among the typings met of a value equal to it (``held``
        the one the table gives, of another typing), or None: ``value`` is then the caller's
        to add to them.

        The caller makes the typing found the table's, so that a value met again and again
        in one typing (``(True,)`` after a single ``(1,)``) is a single look next time."""
        typed = self.typed_interned
        variants = typed.get(value)
        if variants is None:
            if len(typed) >= INTERNED:
                typed.clear()
            variants = typed[value] = [held]
        for known in variants:
            if known is value or equal_types(known, value):
                return known
        return None

    def intern_part(self, part: tuple) -> tuple:
        """The object already held for a part of a state equal to ``part`` with the same types,
        or ``part`` itself: equal states then share their parts, so comparing them, and the
        caches keyed by parts (symmetry), mostly see identical objects."""
        table = self.interned
        try:
            held = table.get(part)
        except TypeError:  # unhashable: reported where the state is looked up
            return part
        if held is None:
            if len(table) >= INTERNED:
                table.clear()
            table[part] = part
            return part
        if all(map(is_, held, part)):  # (the common case, in C: the same objects)
            return held
        for x, y in zip(held, part, strict=False):  # (equal tuples: one length)
            if x is not y:  # (equal values of one plain type are alike: no call for them)
                kind = type(x)
                if kind is not type(y) or (kind not in PLAIN and not equal_types(x, y)):
                    break
        else:
            return held
        again = self._variant(held, part)  # equal across types only
        if again is None:
            self.typed_interned[part].append(part)
            again = part
        table[part] = again
        return again

    def write_part(self, part: int, value: tuple) -> None:
        """Replace a whole part (the fault budget) in the state under construction."""
        if self.writes is not None:
            self.writes.add((part, -1))
        if self.dirty is None:
            self.parts = list(self.parts)
            self.dirty = set()
        self.parts[part] = value
        self.dirty.discard(part)

    def choose_index(self, n: int) -> int:
        k = len(self.trail)
        if k < len(self.choices):
            index = self.choices[k]
        else:
            index = self.sampler.randrange(n) if self.sampler is not None else 0
        self.trail.append((index, n))
        return index


_ACTIVE: list[Context] = []
INTERNED = 1 << 17  # distinct written values shared at most (beyond it the table restarts)
BUDGET_PART = 0  # where compiled models keep the fault budget spent


def _context(what: str) -> Context:
    if not _ACTIVE:
        raise ModelError(f"{what}() can only be called inside an action or a fault hook, "
                         "not at import time or in code the checker does not run")
    ctx = _ACTIVE[-1]
    if ctx.readonly:
        raise ModelError(f"{what}() was called in {ctx.where or 'read-only code'}; it can only be "
                         "called inside an action or a fault hook, since properties and final-state "
                         "predicates only read one state")
    return ctx


def require(condition: Any) -> None:
    """Guard: the step is enabled only where ``condition`` holds.

    A guard is not an assertion: a false guard means "this step cannot happen
    here", while a failed ``assert`` means the design is wrong.
    """
    if not condition:
        raise Disabled()


def choose(*options: Any, label: Callable[[Any], Any] | None = None) -> Any:
    """One of ``options``, one per argument: ``choose("ok", "fail")``, ``choose(1, 2, 3)``.
    The checker explores every one of them as a separate step, in the order given.

    To pick a member of a collection write :func:`choose_from`: a single collection
    as the only argument is refused, since it cannot be told whether it is one
    option or a list of them (``choose(("1a", 0))``).
    """
    return choose_in(_context("choose"), options, label)


def choose_in(ctx: Context, options: tuple, label: Callable[[Any], Any] | None) -> Any:
    """:func:`choose` in ``ctx`` (translated steps pass their own: see lifecheck.modelling.straight)."""
    if len(options) == 1 and isinstance(options[0], Iterable) \
            and not isinstance(options[0], (str, bytes)):
        raise ModelError(f"choose({options[0]!r}) has one argument, a collection: write "
                         f"choose_from({options[0]!r}) to explore each of its members, or "
                         "choose(a, b, ...) with one argument per option")
    return _pick(ctx, options, label)


def choose_from(options: Iterable[Any], label: Callable[[Any], Any] | None = None) -> Any:
    """One member of ``options`` (a tuple, list, range, set or map's keys); every member is
    explored as a separate step. Sets are taken in sorted order, not in their iteration
    order (which follows the string hash salt of the process), so that a replay key means
    the same steps in every process."""
    return choose_from_in(_context("choose_from"), options, label)


def choose_from_in(ctx: Context, options: Iterable[Any], label: Callable[[Any], Any] | None) -> Any:
    if isinstance(options, (set, frozenset, Mapping)) or type(options).__name__ in (
            "dict_keys", "dict_values", "dict_items"):
        listed = tuple(sorted(options, key=order_key))
    else:
        listed = tuple(options)
    return _pick(ctx, listed, label)


def _pick(ctx: Context, options: tuple, label: Callable[[Any], Any] | None) -> Any:
    if not options:
        raise Disabled()
    value = options[ctx.choose_index(len(options))]
    if label is None:
        ctx.labels.append(value)
    else:
        ctx.labels.append(label(value))
        ctx.label_sites.append(called_at())  # (for the error when it tells two options alike)
    return value


def sampling() -> bool:
    """Whether the running step takes one random branch (a random walk) instead of all.

    A component whose fault hook has more outcomes than can be listed (a power loss
    with many unsynced writes) may then draw one itself, with :func:`draw`, and offer
    only that one to ``choose_from``.
    """
    return _context("sampling").sampler is not None


def draw(n: int) -> int:
    """A random index below ``n``, while :func:`sampling` is true."""
    ctx = _context("draw")
    if ctx.sampler is None:
        raise ModelError("draw() is for steps that take one random branch (see sampling()); "
                         "elsewhere every outcome must be offered to choose_from()")
    return ctx.sampler.randrange(n)


def fault(kind: str, label: str | None = None) -> bool:
    """True on the branch where the checker injects a fault of ``kind`` (a failed call).

    The spec decides how many faults of each kind may happen (``Fail(kind=..., max=N)``);
    once the budget is spent this is always False and adds no branch. A kind the
    spec gives no budget is an error, not a fault that silently never happens.
    ``label`` is what the failing branch's step says instead of ``"<kind> fails"``,
    for a failure whose meaning the kind alone does not tell ("store.put timed out
    after taking effect (timeout)"); it should name the kind, as diagrams look for it.
    """
    return fault_in(_context("fault"), kind, label)


def fault_in(ctx: Context, kind: str, label: str | None) -> bool:
    _reads_budget(ctx)
    index = ctx.budget_index.get(kind)
    if index is None:
        raise ModelError(f"fault({kind!r}) was called, but the spec gives no budget for faults of "
                         f"kind {kind!r}: add Fail(kind={kind!r}, max=N) to its faults "
                         "(max=0 checks the design without such failures)")
    text = f"{kind} fails" if label is None else label
    calls = ctx.calls  # calls that would fail alike are counted together
    call = calls[text] = calls.get(text, 0) + 1
    if ctx.budget[index] >= ctx.fault_caps[index]:
        return False
    if ctx.choose_index(2) == 0:
        return False
    budget = list(ctx.budget)
    budget[index] += 1
    ctx.budget = tuple(budget)
    ctx.faulted.append(kind)
    # A step that makes two calls that fail alike ("remote fails") has two branches where
    # one of them fails; the label says which, or a trace (and the symmetry check) could
    # not tell them apart.
    ctx.labels.append(text if call == 1 else f"{text} ({ordinal(call)} call)")
    return True


def ordinal(n: int) -> str:
    """1st, 2nd, 3rd, 4th, ..., 11th, 12th, 13th, ..., 21st."""
    suffix = "th" if 10 <= n % 100 <= 20 else {1: "st", 2: "nd", 3: "rd"}.get(n % 10, "th")
    return f"{n}{suffix}"


def faults_left(kind: str) -> int:
    """How many more faults of ``kind`` may still happen after the running step.

    Lets a component skip bookkeeping that only a future fault could observe (a
    file system's list of unsynced operations once no power loss can come),
    which keeps states that differ only in such bookkeeping from multiplying. It
    is 0 when the spec does not enable ``kind``.
    """
    return faults_left_in(_context("faults_left"), kind)


def faults_left_in(ctx: Context, kind: str) -> int:
    _reads_budget(ctx)
    index = ctx.budget_index.get(kind)
    if index is None:
        return 0
    return ctx.fault_caps[index] - ctx.budget[index]


def _reads_budget(ctx: Context) -> None:
    if ctx.reads is not None:
        ctx.reads.add((BUDGET_PART, -1))


def note(text: str) -> None:
    """Add ``text`` to the running step's label, for a decision worth seeing in a trace
    ("close guard skipped: owns its client"). It is part of the step, not of the state."""
    _context("note").labels.append(text)


def current_process() -> str | None:
    """The name of the process whose step is running (None for environment steps)."""
    return _context("current_process").process


def run_branches(ctx: Context, state: tuple, fn: Callable[..., None], args: tuple, kwargs: dict,
                 process: str | None, action: str, params: tuple, where: str, budget_part: int,
                 fault_step: str = "", sampler: Any = None) -> list[tuple[Step, Any]]:
    """Run ``fn(*args, **kwargs)`` once per combination of choices; one (step, outcome) per
    enabled branch. With a ``sampler`` (a random.Random), once, down one random branch:
    for random walks through a step with more outcomes than a walk can afford to list.

    The outcome is the successor state, or an :class:`ActionFailure` when model code
    raised. A :class:`ModelError` (bad input) propagates with the action named. This
    is the checker's hot path: the state is copied only when a branch writes.
    """
    results: list[tuple[Step, Any]] = []
    pending: list[tuple[int, ...]] | None = None
    prefix: tuple[int, ...] = ()
    budget = state[budget_part]
    ctx.process = process
    ctx.where = where
    trail = ctx.trail
    labels = ctx.labels
    ctx.sampler = sampler
    _ACTIVE.append(ctx)
    try:
        while True:
            start_branch(ctx, state, prefix, budget)
            outcome: Any = None
            try:
                fn(*args, **kwargs)
            except Disabled:
                outcome = Disabled
            except ModelError as exc:
                raise exc.within(action=where) from None
            except MutableValueError as exc:  # a mutable value slipped into a FrozenMap
                raise ModelError(str(exc), action=where) from None
            except AssertionError as exc:
                outcome = ActionFailure("assertion", (str(exc) or "assert failed") + raised_at(exc),
                                        "AssertionError")
            except (Exception, SystemExit) as exc:  # model code failed: a violation with a trace
                typo = view_typo(exc, where)
                if typo is not None:
                    raise typo from None
                outcome = ActionFailure("exception", f"{type(exc).__name__}: {exc}{raised_at(exc)}",
                                        type(exc).__name__)
            if trail and sampler is None:
                if pending is None:
                    pending = []
                queue_alternatives(pending, len(prefix), trail)
            if outcome is not Disabled:
                step = Step(process, action, params, tuple(labels),
                            fault_step or ",".join(ctx.faulted))
                if outcome is None:
                    if ctx.budget != budget:
                        ctx.write_part(budget_part, ctx.budget)
                    dirty = ctx.dirty
                    if dirty is None:
                        outcome = state
                    else:
                        parts = ctx.parts
                        for i in dirty:
                            parts[i] = ctx.intern_part(tuple(parts[i]))
                        outcome = tuple(parts)
                results.append((step, outcome))
            if not pending:
                break
            prefix = pending.pop()
    finally:
        _ACTIVE.pop()
        ctx.readonly = True
        ctx.sampler = None
    if len(results) > 1:
        try:
            repeated = len({step for step, _ in results}) < len(results)
        except TypeError:  # a choice labelled by a list: told apart by its text below
            repeated = True
        if repeated:
            told_apart(results, where, fn, ctx.label_sites)
    return results


def start_branch(ctx: Context, state: tuple, prefix: tuple[int, ...],
                 budget: tuple[int, ...]) -> None:
    """Point ``ctx`` at ``state`` to run one branch: the choices of ``prefix`` replayed,
    nothing chosen, labelled or spent yet."""
    ctx.parts = state
    ctx.dirty = None
    ctx.readonly = False
    ctx.choices = prefix
    ctx.trail.clear()
    ctx.labels.clear()
    ctx.budget = budget
    if ctx.faulted:
        ctx.faulted = []
    if ctx.calls:
        ctx.calls = {}
    if ctx.label_sites:
        ctx.label_sites = []


def queue_alternatives(pending: list[tuple[int, ...]], replayed: int,
                       trail: list[tuple[int, int]]) -> None:
    """Push the branches not yet taken at each choice made past the ``replayed`` ones.

    A stack of prefixes: shallow alternatives go in first and each depth's in reverse,
    so the deepest, smallest alternative is popped next. That visits the branches in
    lexicographic order of their choices.
    """
    for depth in range(replayed, len(trail)):
        taken, n = trail[depth]
        base = tuple(t for t, _ in trail[:depth])
        for alternative in range(n - 1, taken, -1):
            pending.append((*base, alternative))
