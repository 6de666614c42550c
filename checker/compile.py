"""Compile a :class:`~lifecheck.model.Model` instance and a fault budget into the core contract.

The state is a flat tuple of parts, each a tuple of field values:

    (fault budget spent, model fields, component 1, ..., process 1, process 2, ...)

Fault steps are generated here, not in models: a crash resets the crashed
process's volatile fields and lets each component react (a lock is released when
its holder dies); a power loss crashes every process and lets each component
decide what survives.
"""

from __future__ import annotations

import inspect
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

from .contract import (
    ALWAYS,
    SOMETIMES,
    TRANSITION,
    ActionFailure,
    Fairness,
    Property,
    Step,
    TransitionSystem,
)
from .errors import ModelError
from .execution import (
    _ACTIVE,
    BUDGET_PART,
    Context,
    as_bool,
    make_view_class,
    run_branches,
    with_reading,
)
from .faults import Crash, FaultKind, PowerLoss
from .fields import VOLATILE, Field
from .guards import lift_guard
from .model import Model, Process, component_fields, process_fields
from .symmetry import GluedName, Reducer, generators, renamings
from .typed_values import TypedFields, same_typed, type_clashes, typed_key
from .values import FrozenMap

BUDGET = BUDGET_PART
MODEL = 1


class _Part:
    """Where one holder (model, component or process) lives in the state tuple."""

    def __init__(self, index: int, prefix: str, fields: list[Field], initial: tuple) -> None:
        self.index = index
        self.prefix = prefix
        self.fields = fields
        self.initial = initial
        self.volatile_slots = [i for i, f in enumerate(fields) if f.kind == VOLATILE]


class _Views:
    """One set of view objects (model, components, processes) bound to one context."""

    def __init__(self, system: ModelSystem, ctx: Context, logged: bool = False) -> None:
        model = system.model
        self.ctx = ctx
        model_cls, component_cls, process_cls = system._view_classes[logged]
        self.model = _new_view(model_cls, ctx, MODEL, "")
        self.model.__dict__["_params"] = model._params
        for pname, value in model._params.items():
            self.model.__dict__[pname] = value
        self.components: list[Any] = []
        for (attr, comp), part, cls in zip(model.bound_components().items(), system._component_parts,
                                           component_cls, strict=False):
            view = _new_view(cls, ctx, part.index, part.prefix)
            for key, value in vars(comp).items():
                view.__dict__.setdefault(key, value)
            view.__dict__["name"] = attr
            self.model.__dict__[attr] = view
            self.components.append(view)
        self.processes: list[Any] = []
        self.roles: dict[str, tuple] = {}
        for attr, parts in system._role_parts.items():
            cls = process_cls[attr]
            views = []
            symmetric = attr in system.symmetry
            for i, part in enumerate(parts):
                view = _new_view(cls, ctx, part.index, part.prefix)
                view.__dict__.update(name=part.prefix[:-1], role=attr)
                if not symmetric:  # (a symmetric role's views refuse index: see _refused_index)
                    view.__dict__["index"] = i
                views.append(view)
            self.roles[attr] = tuple(views)
            self.model.__dict__[attr] = tuple(views)
            self.processes.extend(views)
        for view in [self.model, *self.components, *self.processes]:
            view.__dict__["_sealed"] = True


def _new_view(cls: type, ctx: Context, part: int, prefix: str) -> Any:
    view = object.__new__(cls)
    view.__dict__.update(_ctx=ctx, _part=part, _prefix=prefix)
    return view


class ModelSystem(TransitionSystem):
    """A model instance with its faults, seen through the core contract."""

    def __init__(self, model: Model, faults: Sequence[FaultKind] = (), name: str | None = None,
                 fair: Sequence[str] | None = None, properties: Sequence[str] | None = None,
                 symmetry: Sequence[str] = ()) -> None:
        if not isinstance(model, Model):
            raise ModelError(f"expected a Model instance, got {model!r}")
        self.model = model
        self.name = name or repr(model)
        self.faults = list(faults)
        keys = [f.key for f in self.faults]
        if len(set(keys)) != len(keys):
            raise ModelError(f"fault kinds listed twice: {keys}")
        self._budget_index = {k: i for i, k in enumerate(keys)}
        self._fault_caps = tuple(f.max for f in self.faults)
        self.symmetry = tuple(symmetry)
        unknown = [r for r in self.symmetry if r not in model.roles()]
        if unknown:
            raise ModelError(f"symmetry names unknown role(s) {unknown}; roles: "
                             f"{sorted(model.roles())}")
        self._layout()
        self._ctx = Context()
        self._ctx.budget_index = self._budget_index
        self._ctx.fault_caps = self._fault_caps
        self._views = _Views(self, self._ctx)
        self._before_ctx = Context()
        self._before_views = _Views(self, self._before_ctx)
        self._observe_ctx = Context()
        self._observe_views = _Views(self, self._observe_ctx)
        self._compile_actions()
        self._fair = None if fair is None else set(fair)
        self.properties = self._compile_properties(properties)
        self._finals = [d for d in model.final_decls().values()]
        self._setup_symmetry(symmetry)

    # -- layout -------------------------------------------------------------------------
    def _layout(self) -> None:
        model = self.model
        model_fields = _slots(model.fields(), model)
        self._model_part = _Part(MODEL, "", model_fields,
                                 tuple(f.initial_value(model) for f in model_fields))
        index = MODEL + 1
        self._component_parts: list[_Part] = []
        component_classes: list[tuple[type, list[Field]]] = []
        for attr, comp in model.bound_components().items():
            fields = _slots(component_fields(comp), model)
            initial = tuple(f.initial_value(comp) for f in fields)
            self._component_parts.append(_Part(index, f"{attr}.", fields, initial))
            component_classes.append((type(comp), fields))
            index += 1
        self._role_parts: dict[str, list[_Part]] = {}
        process_classes: dict[str, tuple[type, list[Field]]] = {}
        self._role_of_class: dict[type, list[str]] = {}
        names: set[str] = set()
        for attr, decl in model.roles().items():
            fields = _slots(process_fields(decl.process), model)
            initial = tuple(f.initial_value(model) for f in fields)
            parts = []
            for i in range(decl.resolve_count(model)):
                pname = f"{decl.process.__name__.lower()}{i + 1}"
                if pname in names:
                    pname = f"{attr}{i + 1}"
                names.add(pname)
                parts.append(_Part(index, pname + ".", fields, initial))
                index += 1
            self._role_parts[attr] = parts
            process_classes[attr] = (decl.process, fields)
            self._role_of_class.setdefault(decl.process, []).append(attr)
        # Two sets of view classes: the explorer's, and logged ones that record each field
        # read (for learning steps' footprints, see lifecheck.learning).
        self._view_classes = {
            logged: (make_view_class(type(model), model_fields, logged),
                     [make_view_class(cls, fields, logged) for cls, fields in component_classes],
                     {attr: make_view_class(cls, fields, logged)
                      for attr, (cls, fields) in process_classes.items()})
            for logged in (False, True)}
        for _, _, process_views in self._view_classes.values():
            for attr in self.symmetry:
                process_views[attr].index = _refused_index(attr)
        self._process_parts = [p for parts in self._role_parts.values() for p in parts]
        self._holder_parts = [self._model_part, *self._component_parts, *self._process_parts]
        self._initial = (tuple(0 for _ in self.faults),
                         *(p.initial for p in self._holder_parts))
        # Fields that have held values of different types that compare equal (0 and
        # False) are keyed by type too (lifecheck.typed_values).
        self.typed = TypedFields()
        self._typed_for, self._typed_columns = 0, ()

    def _compile_actions(self) -> None:
        self._actions: list[tuple[Any, str | None, list]] = []
        for name, decl in self.model.action_decls().items():
            role_attr = self._resolve_role(decl.role, name)
            self._actions.append((decl, role_attr, decl.domain_values(self.model)))
        # Every (action, process, parameters) instance, prepared once: the hot path only calls.
        mv = self._views.model
        self._instances: list[tuple] = []
        guards: dict[str, Any] = {}
        for decl, role_attr, combos in self._actions:
            targets = self._views.roles[role_attr] if role_attr else (None,)
            for pv in targets:
                for params in combos:
                    args = (mv,) if pv is None else (mv, pv)
                    _check_signature(decl, args, params)
                    pname = None if pv is None else pv.name
                    where = decl.name + (f" of {pname}" if pname else "")
                    self._instances.append((decl.fn, args, dict(params), pname, decl.name, params,
                                            where, guards.setdefault(decl.name,
                                                                     lift_guard(decl.fn))))
        # Each Crash entry of the spec has its own budget and the processes it may kill;
        # a process belongs to at most one, or its crashes would be counted twice.
        self._crashable: dict[str, list[tuple[Any, _Part]]] = {}
        owner: dict[str, str] = {}
        known = set(self._role_parts) | {self.model.roles()[a].process.__name__
                                         for a in self._role_parts}
        for crash in (f for f in self.faults if isinstance(f, Crash)):
            allowed = set(crash.roles)
            if allowed - known:
                raise ModelError(f"Crash(roles=...) names unknown role(s) {sorted(allowed - known)}; "
                                 f"roles: {sorted(self._role_parts)}")
            victims = self._crashable.setdefault(crash.key, [])
            for attr, views in self._views.roles.items():
                cls_name = self.model.roles()[attr].process.__name__
                if allowed and attr not in allowed and cls_name not in allowed:
                    continue
                for view, part in zip(views, self._role_parts[attr], strict=True):
                    if view.name in owner:
                        raise ModelError(f"{view.name} may crash under both {owner[view.name]} and "
                                         f"{crash.key}; give each Crash(...) its own roles")
                    owner[view.name] = crash.key
                    victims.append((view, part))
        # The fault steps in the order successors() offers them: (budget index, cap,
        # the process that crashes or None for a power loss, its part).
        self._fault_steps: list[tuple[int, int, str | None, _Part | None]] = []
        for fault_kind in self.faults:
            i = self._budget_index[fault_kind.key]
            if isinstance(fault_kind, Crash):
                self._fault_steps.extend((i, fault_kind.max, view.name, part)
                                         for view, part in self._crashable[fault_kind.key])
            elif isinstance(fault_kind, PowerLoss):
                self._fault_steps.append((i, fault_kind.max, None, None))

    def _resolve_role(self, role_ref: Any, action_name: str) -> str | None:
        if role_ref is None:
            return None
        if isinstance(role_ref, str):
            if role_ref not in self._role_parts:
                raise ModelError(f"action {action_name} names role {role_ref!r}, which the model "
                                 f"does not declare (roles: {sorted(self._role_parts)})")
            return role_ref
        if isinstance(role_ref, type) and issubclass(role_ref, Process):
            attrs = self._role_of_class.get(role_ref, [])
            if len(attrs) == 1:
                return attrs[0]
            if not attrs:
                raise ModelError(f"action {action_name} is for {role_ref.__name__}, but no role of "
                                 f"the model has that process class")
            raise ModelError(f"action {action_name} is for {role_ref.__name__}, which plays several "
                             f"roles {attrs}; name the role instead: @action({attrs[0]!r})")
        raise ModelError(f"action {action_name}: @action takes a Process class or a role name, "
                         f"got {role_ref!r}")

    def _fault(self, kind: type) -> Any:
        for f in self.faults:
            if isinstance(f, kind):
                return f
        return None

    # -- the contract -------------------------------------------------------------------
    def init_states(self) -> list[tuple]:
        return [self._initial]

    @property
    def typing_version(self) -> int:
        return self.typed.version

    def state_key(self, state: tuple) -> Any:
        """The state itself, with the typed form of each field that has held values of
        different types that compare equal (so that 0 and False stay apart)."""
        typed = self.typed
        if not typed.columns:
            return state
        if self._typed_for != typed.version:
            self._typed_columns = tuple(sorted(typed.columns))
            self._typed_for = typed.version
        return (state, tuple([typed_key(state[p][s]) for p, s in self._typed_columns]))

    def typed_parts(self) -> set[int]:
        """Parts holding a field whose values of different types compare equal."""
        return {p for p, _ in self.typed.columns}

    def type_clashes(self, stored: tuple, state: tuple) -> bool:
        """Two states that compare equal: mark the fields where their types differ (to be
        keyed by type from now on); True when there were any."""
        clashes = type_clashes(stored, state)
        return bool(clashes) and self.typed.mark(clashes)

    def successors(self, state: tuple) -> list[tuple[Step, tuple | ActionFailure]]:
        ctx = self._ctx
        out: list[tuple[Step, Any]] = []
        for fn, args, kwargs, pname, name, params, where, guard in self._instances:
            if guard is not None:
                # The lifted guard reads the state through the same views, read-only.
                ctx.parts = state
                ctx.readonly = True
                try:
                    if not guard(*args, **kwargs):
                        continue
                except Exception:
                    pass
            out.extend(run_branches(ctx, state, fn, args, kwargs, pname, name, params, where,
                                    BUDGET))
        budget = state[BUDGET]
        for entry in self._fault_steps:
            if budget[entry[0]] < entry[1]:
                out.extend(self._run_fault(self._views, state, entry))
        return out

    fault_sampler: Any = None
    """A random.Random while random walks run: each fault step then gives one random outcome
    of its hooks' choices instead of all of them (a power loss may have thousands)."""

    def _run_fault(self, views: _Views, state: tuple, entry: tuple) -> list[tuple[Step, Any]]:
        """One fault step (a crash of one process, or a power loss) out of ``state``."""
        i, _, victim, part = entry
        sampler = self.fault_sampler
        if victim is None:
            return run_branches(views.ctx, state, self._power_loss, (views, i), {}, None,
                                "power_loss", (), "power loss", BUDGET, fault_step="power_loss",
                                sampler=sampler)
        return run_branches(views.ctx, state, self._crash, (views, victim, part, i), {}, victim,
                            "crash", (), f"crash of {victim}", BUDGET, fault_step="crash",
                            sampler=sampler)

    @staticmethod
    def _spend(ctx: Context, i: int) -> None:
        if ctx.reads is not None:
            ctx.reads.add((BUDGET, -1))
        budget = list(ctx.budget)
        budget[i] += 1
        ctx.budget = tuple(budget)

    @staticmethod
    def _reset_volatile(ctx: Context, part: _Part) -> None:
        for slot in part.volatile_slots:
            ctx.write(part.index, slot, part.initial[slot], part.prefix + part.fields[slot].name)

    def _crash(self, views: _Views, pname: str, part: _Part, i: int) -> None:
        self._spend(views.ctx, i)
        self._reset_volatile(views.ctx, part)
        for comp in views.components:
            comp.on_crash(pname)

    def _power_loss(self, views: _Views, i: int) -> None:
        self._spend(views.ctx, i)
        for part in self._holder_parts:
            self._reset_volatile(views.ctx, part)
        for comp in views.components:
            for view in views.processes:
                comp.on_crash(view.name)
            comp.on_power_loss()

    def is_final(self, state: tuple) -> bool:
        mv = self._views.model
        for decl in self._finals:
            where = f"final state {decl.name}"
            if as_bool(with_reading(self._ctx, state, where, lambda d=decl: d.fn(mv)), where):
                return True
        return False

    def fairness(self) -> Fairness:
        fair = self._fair
        roles = self.model.roles()

        def classify(step: Step) -> Any:
            if step.is_fault:
                return None
            if fair is None:
                return (step.process, step.action)
            role_attr = self._role_of_process(step.process)
            names = {step.action, step.process or "env", role_attr or ""}
            if role_attr:
                names.add(roles[role_attr].process.__name__)
            return (step.process, step.action) if names & fair else None

        if fair is None:
            text = "weak fairness on every action"
        else:
            text = "weak fairness on " + ", ".join(sorted(fair))
        return Fairness(classify, text)

    def fairness_names(self) -> set[str]:
        """Names a spec's ``fairness`` may list: actions, processes, roles, process classes."""
        roles = self.model.roles()
        return ({decl.name for decl, _, _ in self._actions} | set(self.process_names())
                | set(roles) | {d.process.__name__ for d in roles.values()} | {"env"})

    def _role_of_process(self, pname: str | None) -> str | None:
        for attr, parts in self._role_parts.items():
            if any(p.prefix[:-1] == pname for p in parts):
                return attr
        return None

    def describe(self, state: tuple) -> dict[str, Any]:
        out: dict[str, Any] = {}
        for part in self._holder_parts:
            values = state[part.index]
            for slot, f in enumerate(part.fields):
                out[part.prefix + f.name] = values[slot]
        return out

    def actions(self) -> list[str]:
        names = [decl.name for decl, _, _ in self._actions]
        if any(isinstance(f, Crash) for f in self.faults):
            names.append("crash")
        if any(isinstance(f, PowerLoss) for f in self.faults):
            names.append("power_loss")
        return names

    def process_names(self) -> list[str]:
        return [p.prefix[:-1] for p in self._process_parts]

    def role_processes(self) -> dict[str, tuple[str, ...]]:
        """Each role (by its attribute on the model) with the names of its processes."""
        return {attr: tuple(p.prefix[:-1] for p in parts) for attr, parts in self._role_parts.items()}

    def component_names(self) -> list[str]:
        return list(self.model.components())

    spec_file: str = ""  # the spec file this system came from (set by Spec.system)

    def source_files(self) -> list[str]:
        """The files whose code this system runs (the model, its components and processes,
        and the spec), lifecheck's own excepted: a checkpoint is bound to them."""
        classes = [type(self.model), *(type(c) for c in self.model.bound_components().values()),
                   *(d.process for d in self.model.roles().values())]
        files = {self.spec_file} if self.spec_file else set()
        own = Path(__file__).resolve().parent
        for cls in classes:
            for klass in cls.__mro__:
                try:
                    file = Path(inspect.getfile(klass)).resolve()
                except (TypeError, OSError):
                    continue  # built in
                if own not in file.parents:
                    files.add(str(file))
        return sorted(files)

    # -- symmetry -----------------------------------------------------------------------
    def _setup_symmetry(self, roles: Sequence[str]) -> None:
        live = [p.name for p in self.properties if p.is_liveness]
        if roles and live:
            raise ModelError(
                f"symmetry reduction covers safety properties only, and this spec checks "
                f"liveness ({', '.join(live)}): fairness is per process, which renaming "
                "processes does not preserve; check liveness in a spec without symmetry")
        groups = [([p.index for p in self._role_parts[r]], [p.prefix[:-1] for p in self._role_parts[r]])
                  for r in roles if len(self._role_parts[r]) > 1]
        self._renamings = renamings(groups)
        self._generators = generators(groups)
        self._reducer = Reducer(self._renamings)
        self._reducer_for = 0
        self.reduces_symmetry = bool(self._renamings)

    def canonical(self, state: tuple) -> tuple:
        reducer = self._reducer
        if self._reducer_for != self.typed.version:
            self._reducer_for = self.typed.version
            reducer.typed = self.typed_parts()
        try:
            return reducer.canonical(state)
        except GluedName as exc:
            raise self._glued(state, exc) from None

    def _glued(self, state: tuple, exc: GluedName) -> ModelError:
        where = next((f"field {name}" for name, value in self.describe(state).items()
                      if _mentions(value, exc.text)), "a field")
        return ModelError(
            f"symmetry of {', '.join(self.symmetry)}: {where} holds {exc.text!r}, where the "
            f"process name {exc.name!r} is glued to letters or digits, so it cannot be told "
            f"whether it refers to {exc.name}; a name is renamed where it stands alone or "
            f"between characters that are not letters or digits ({exc.name!r}, "
            f"'/data/{exc.name}_0', 'lock-{exc.name}'): separate it, or drop symmetry for "
            "this spec")

    def check_symmetry(self, state: tuple, succs: Sequence[tuple[Step, Any]]) -> None:
        """Swapping two processes of a symmetric role must commute with every step and
        leave every property and the final-state predicate unchanged (checked on sampled
        states): otherwise merging a state with its mirror image could hide a violation."""
        for swap in self._generators:
            try:
                _check_mirror(self, swap, state, succs)
            except GluedName as exc:
                holder = next((out for _, out in succs if isinstance(out, tuple)
                               and any(_mentions(v, exc.text) for v in self.describe(out).values())),
                              state)
                raise self._glued(holder, exc) from None

    # -- explaining a violation ---------------------------------------------------------
    def observe(self, property_name: str, state: tuple) -> list[tuple[str, Any]]:
        """The fields a property read on ``state``, with their values: what it saw.

        Runs the property (the goal, for liveness) on a state that logs every field
        read, so a counterexample can say what the property looked at without the
        hot path paying for any logging.
        """
        decl = next((d for d in self.model.property_decls().values() if d.name == property_name),
                    None)
        if decl is None or decl.kind == "transition":
            return []
        log: list[tuple[int, int]] = []
        ctx = self._observe_ctx
        ctx.parts = _LoggedState(state, log)
        ctx.readonly = True
        ctx.where = f"property {property_name}"
        _ACTIVE.append(ctx)
        try:
            decl.check(self._observe_views.model)
        except Exception:
            pass  # whatever it read before failing is still worth showing
        finally:
            _ACTIVE.pop()
        seen: dict[str, Any] = {}
        parts = {p.index: p for p in self._holder_parts}
        for index, slot in log:
            part = parts.get(index)
            if part is not None:
                seen.setdefault(part.prefix + part.fields[slot].name, state[index][slot])
        return list(seen.items())

    # -- properties ---------------------------------------------------------------------
    def _compile_properties(self, selected: Sequence[str] | None) -> list[Property]:
        decls = {d.name: d for d in self.model.property_decls().values()}
        if selected is not None:
            unknown = [n for n in selected if n not in decls]
            if unknown:
                raise ModelError(f"unknown propert{'y' if len(unknown) == 1 else 'ies'} "
                                 f"{', '.join(unknown)} (the model declares: "
                                 f"{', '.join(sorted(decls)) or 'none'})")
            decls = {n: decls[n] for n in selected}
        return [self._compile_property(d) for d in decls.values()]

    def _compile_property(self, decl: Any) -> Property:
        ctx, mv = self._ctx, self._views.model
        bctx, bmv = self._before_ctx, self._before_views.model
        where = f"property {decl.name}"

        def on_state(fn: Callable[[Any], Any]) -> Callable[[tuple], bool]:
            return lambda state: as_bool(with_reading(ctx, state, where, lambda: fn(mv)), where)

        if decl.kind == "transition":
            def check(before: tuple, after: tuple) -> bool:
                bctx.read(before)
                bctx.where = where
                return as_bool(with_reading(ctx, after, where, lambda: decl.check(bmv, mv)), where)
            return Property(decl.name, decl.kind, check, doc=decl.doc)
        trigger = on_state(decl.trigger) if decl.trigger is not None else None
        return Property(decl.name, decl.kind, on_state(decl.check), trigger, decl.doc)


def _refused_index(role_attr: str) -> property:
    def get(view: Any) -> int:
        where = view._ctx.where or "model code"
        raise ModelError(
            f"{where} read {view.name}.index, but with symmetry=({role_attr!r},) the processes "
            f"of {role_attr} are interchangeable and nothing may depend on a process's position "
            f"(a stored index is not renamed when processes are swapped); refer to the process "
            f"by its name ({view.name}.name), or drop symmetry for this spec")

    return property(get)


def _mentions(value: Any, text: str) -> bool:
    if isinstance(value, str):
        return value == text
    if isinstance(value, (tuple, frozenset)):
        return any(_mentions(v, text) for v in value)
    if isinstance(value, FrozenMap):
        return any(_mentions(k, text) or _mentions(v, text) for k, v in value.items())
    return False


def _check_mirror(system: ModelSystem, swap: Any, state: tuple,
                  succs: Sequence[tuple[Step, Any]]) -> None:
    """One swap of two processes against one state (see ``ModelSystem.check_symmetry``)."""
    a, b = sorted(swap.names)
    pair = f"{a} and {b}"
    roles = ", ".join(system.symmetry)
    broken = f"symmetry of {roles} does not hold"
    advice = ("the model treats the processes differently (by position, by the order of "
              "their names, or through a value that is not renamed); drop symmetry for this spec "
              "or make the processes interchangeable")
    mirror = swap.apply(state)
    for p in system.properties:
        if p.kind in (ALWAYS, SOMETIMES) and p.check(state) != p.check(mirror):
            seen = ", ".join(f"{k}={v!r}" for k, v in system.observe(p.name, state)) or "nothing"
            raise ModelError(f"{broken}: property {p.name} is {p.check(state)} on a state and "
                             f"{p.check(mirror)} on its mirror image with {pair} swapped (it "
                             f"reads {seen}); {advice}")
    if system.is_final(state) != system.is_final(mirror):
        raise ModelError(f"{broken}: a final-state predicate holds on a state but not on its "
                         f"mirror image with {pair} swapped; {advice}")
    theirs = system.successors(mirror)
    key = system.state_key
    want = {_mirror_step(swap, step): out for step, out in succs}
    got = {step: out for step, out in theirs}
    for step, out in succs:
        image = _mirror_step(swap, step)
        other = got.get(image, _NONE)
        who = f"{step.who()} {step.label()}"
        if other is _NONE:
            raise ModelError(f"{broken}: {who} is enabled in a state, but in its mirror image "
                             f"with {pair} swapped {image.who()} {image.label()} is not; {advice}",
                             action=who)
        if isinstance(out, ActionFailure) or isinstance(other, ActionFailure):
            if not (isinstance(out, ActionFailure) and isinstance(other, ActionFailure)
                    and out.kind == other.kind):
                raise ModelError(f"{broken}: {who} gives {_outcome(out)}, and in the mirror image "
                                 f"with {pair} swapped {image.who()} {image.label()} gives "
                                 f"{_outcome(other)}; {advice}", action=who)
            continue
        expected = swap.apply(out)
        if key(expected) != key(other):
            mine, there = system.describe(expected), system.describe(other)
            field = next((k for k in mine if not same_typed(mine[k], there.get(k))), "the state")
            raise ModelError(f"{broken}: after {who}, swapping {pair} gives {field}="
                             f"{mine.get(field)!r}, but {image.who()} {image.label()} from the "
                             f"mirror image gives {field}={there.get(field)!r}; {advice}",
                             action=who)
        for p in system.properties:
            if p.kind == TRANSITION and p.check(state, out) != p.check(mirror, other):
                raise ModelError(f"{broken}: property {p.name} across {who} differs from "
                                 f"across its mirror image with {pair} swapped; {advice}",
                                 action=who)
    for step in got:
        if step not in want:
            image = _mirror_step(swap, step)
            raise ModelError(f"{broken}: {step.who()} {step.label()} is enabled in a state, "
                             f"but in its mirror image with {pair} swapped {image.who()} "
                             f"{image.label()} is not; {advice}", action=f"{step.who()} {step.label()}")


_NONE = object()


def _mirror_step(swap: Any, step: Step) -> Step:
    return step._replace(process=swap.names.get(step.process, step.process),
                         params=swap.rename(step.params), choices=swap.rename(step.choices))


def _outcome(out: Any) -> str:
    return f"{out.property_name} ({out.message})" if isinstance(out, ActionFailure) else "a state"


def _slots(fields: list[Field], model: Model) -> list[Field]:
    """Fields as pieces of state: an array field becomes one slot per element."""
    return [slot for f in fields for slot in f.slots(model)]


def _check_signature(decl: Any, args: tuple, params: tuple) -> None:
    """Refuse an action whose function cannot take what the checker will pass it.

    Otherwise the mismatch would surface as a TypeError inside the action, which
    reads as a violation of the design rather than a mistake in the model.
    """
    try:
        inspect.signature(decl.fn).bind(*args, **dict(params))
    except TypeError as exc:
        who = "the model" if len(args) == 1 else "the model, the process"
        names = ", ".join(name for name, _ in params)
        passed = who + (f" and keyword arguments {names}" if names else "")
        raise ModelError(f"action {decl.name}: its function {decl.fn.__name__}"
                         f"{inspect.signature(decl.fn)} cannot be called with {passed} ({exc})"
                         ) from None


class _LoggedState:
    """A state whose parts log each field read (used only to explain a violation)."""

    def __init__(self, state: tuple, log: list[tuple[int, int]]) -> None:
        self._state = state
        self._log = log

    def __getitem__(self, index: int) -> Any:
        return _LoggedPart(self._state[index], index, self._log)

    def __len__(self) -> int:
        return len(self._state)


class _LoggedPart:
    def __init__(self, values: tuple, index: int, log: list[tuple[int, int]]) -> None:
        self._values = values
        self._index = index
        self._log = log

    def __getitem__(self, slot: int) -> Any:
        self._log.append((self._index, slot))
        return self._values[slot]
