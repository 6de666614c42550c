"""Compile a :class:`~lifecheck.modelling.model.Model` instance and a fault budget into the core contract.

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
from typing import TYPE_CHECKING, Any

from lifecheck.contract import (
    ActionFailure,
    Fairness,
    Property,
    Step,
    TransitionSystem,
)
from lifecheck.errors import ModelError
from lifecheck.modelling import process_faults as pf
from lifecheck.modelling import readable
from lifecheck.modelling.fairness import FairnessRule, as_rules, overlaps, spec_fairness
from lifecheck.modelling.faults import Fail, FaultKind, Pause, PowerLoss
from lifecheck.modelling.fields import Field
from lifecheck.modelling.guards import lift_guard
from lifecheck.modelling.initial import initial_states, part_initial, reset_volatile
from lifecheck.modelling.mirror import Mirrored, refused_index
from lifecheck.modelling.model import Component, Model, Process, component_fields, process_fields
from lifecheck.modelling.reading import as_bool, with_reading
from lifecheck.modelling.runtime import BUDGET_PART, Context, run_branches
from lifecheck.modelling.views import MODEL, Part, Views, make_view_class
from lifecheck.typed_values import TypedFields, type_clashes, typed_key

if TYPE_CHECKING:
    from lifecheck.modelling.footprint import Learner

BUDGET = BUDGET_PART


class ModelSystem(Mirrored, TransitionSystem):
    """A model instance with its faults, seen through the core contract.

    Besides the contract, its compiled layout is public to the rest of the modelling
    layer: ``holder_parts`` (the parts that hold fields, in state order),
    ``instances`` (every action instance, in successor order), ``fault_steps``,
    ``budget_index`` and ``fault_caps`` (the fault budgets), ``finals``,
    ``view_classes`` and :meth:`run_fault`. Footprint learning (:meth:`footprints`)
    reads the model through these only.
    """

    def __init__(self, model: Model, faults: Sequence[FaultKind] = (), name: str | None = None,
                 fair: Sequence[str | FairnessRule] | None = None,
                 properties: Sequence[str] | None = None,
                 symmetry: Sequence[str] = ()) -> None:
        if not isinstance(model, Model):
            raise ModelError(f"expected a Model instance, got {model!r}")
        self.model = model
        self.name = name or repr(model)
        self.faults = list(faults)
        keys = [f.key for f in self.faults]
        if len(set(keys)) != len(keys):
            raise ModelError(f"fault kinds listed twice: {keys}")
        self.budget_index = {k: i for i, k in enumerate(keys)}
        self.fault_caps = tuple(f.max for f in self.faults)
        self.symmetry = tuple(symmetry)
        unknown = [r for r in self.symmetry if r not in model.roles()]
        if unknown:
            raise ModelError(f"symmetry names unknown role(s) {unknown}; roles: "
                             f"{sorted(model.roles())}")
        self._layout()
        self._ctx = Context()
        self._ctx.budget_index = self.budget_index
        self._ctx.fault_caps = self.fault_caps
        self._views = Views(self, self._ctx)
        self._before_ctx = Context()
        self._before_views = Views(self, self._before_ctx)
        self.observe_ctx = Context()  # what readable.observe runs a property on
        self.observe_views = Views(self, self.observe_ctx)
        self._compile_actions()
        self.fair_rules = as_rules(fair)
        self.properties = self._compile_properties(properties)
        self.finals = [d for d in model.final_decls().values()]
        self._setup_symmetry(symmetry)
        self.start_views = self._views  # what @initial runs on (lifecheck.modelling.initial)
        self._inits = initial_states(self, self._initial, BUDGET)

    # -- layout -------------------------------------------------------------------------
    def _layout(self) -> None:
        model = self.model
        model_fields = _slots(model.fields(), model)
        model_name = type(model).__name__
        self._model_part = part_initial(MODEL, "", model_fields, model, f"model {model_name}")
        index = MODEL + 1
        self._component_parts: list[Part] = []
        self.component_at: dict[int, Component] = {}  # part index -> the component there
        component_classes: list[tuple[type, list[Field]]] = []
        for attr, comp in model.bound_components().items():
            fields = _slots(component_fields(comp), model)
            self._component_parts.append(part_initial(
                index, f"{attr}.", fields, comp, f"component {attr} of model {model_name}"))
            self.component_at[index] = comp
            component_classes.append((type(comp), fields))
            index += 1
        self._role_parts: dict[str, list[Part]] = {}
        process_classes: dict[str, tuple[type, list[Field]]] = {}
        self._role_of_class: dict[type, list[str]] = {}
        names: set[str] = set()
        for attr, decl in model.roles().items():
            fields = _slots(process_fields(decl.process), model)
            declared = fields
            if pf.needs_status(self.faults, attr, decl.process.__name__):
                fields = pf.with_status(fields, decl.process)
            template = part_initial(index, "", fields, model,
                                    f"process {decl.process.__name__} of model {model_name}")
            parts = []
            for i in range(decl.resolve_count(model)):
                pname = f"{decl.process.__name__.lower()}{i + 1}"
                if pname in names:
                    pname = f"{attr}{i + 1}"
                names.add(pname)
                parts.append(Part(index, pname + ".", fields, template.initial, template.domains))
                index += 1
            self._role_parts[attr] = parts
            process_classes[attr] = (decl.process, declared)  # model code cannot set status
            self._role_of_class.setdefault(decl.process, []).append(attr)
        # Two sets of view classes: the explorer's, and logged ones that record each field
        # read (for learning steps' footprints, see lifecheck.modelling.footprint).
        self.view_classes = {
            logged: (make_view_class(type(model), model_fields, logged),
                     [make_view_class(cls, fields, logged) for cls, fields in component_classes],
                     {attr: make_view_class(cls, fields, logged)
                      for attr, (cls, fields) in process_classes.items()})
            for logged in (False, True)}
        for _, _, process_views in self.view_classes.values():
            for attr in self.symmetry:
                process_views[attr].index = refused_index(attr)
        self._process_parts = [p for parts in self._role_parts.values() for p in parts]
        self.holder_parts = [self._model_part, *self._component_parts, *self._process_parts]
        self._initial = (tuple(0 for _ in self.faults),
                         *(p.initial for p in self.holder_parts))
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
        self.instances: list[tuple] = []
        guards: dict[str, Any] = {}
        for decl, role_attr, combos in self._actions:
            targets = self._views.roles[role_attr] if role_attr else (None,)
            for pv in targets:
                for params in combos:
                    args = (mv,) if pv is None else (mv, pv)
                    _check_signature(decl, args, params)
                    pname = None if pv is None else pv.name
                    where = decl.name + (f" of {pname}" if pname else "")
                    self.instances.append((decl.fn, args, dict(params), pname, decl.name, params,
                                            where, guards.setdefault(decl.name,
                                                                     lift_guard(decl.fn))))
        # Processes that may stop or pause take a step only while they run; resume is a
        # step of each pausable process (lifecheck.modelling.process_faults).
        for n, inst in enumerate(self.instances):
            if inst[3] is not None and self._views.by_name[inst[3]].__dict__["_status_slot"] is not None:
                self.instances[n] = (pf.gated(inst[0]), *inst[1:])
        names = {decl.name for decl, _, _ in self._actions}
        added = {f.step for f in self.faults}
        if any(isinstance(f, Pause) for f in self.faults):
            added.add(pf.RESUME)
        clash = sorted(names & added & set(pf.STEP_NAMES))
        if clash:
            raise ModelError(f"action {clash[0]} has the name of the step the spec's faults add; "
                             "rename the action")
        hit = pf.victims(self.faults, self._views.roles, self._role_parts,
                      {a: self.model.roles()[a].process.__name__ for a in self._role_parts})
        self._pausable = [view.name for _, f, view, _ in hit if isinstance(f, Pause)]
        for pname in self._pausable:
            self.instances.append((pf.resume, (mv, self._views.by_name[pname]), {}, pname, pf.RESUME,
                                   (), f"resume of {pname}", None))
        # The fault steps in the order successors() offers them: (budget index, cap, the
        # process hit or None for a power loss, its part, the spec's entry).
        self.fault_steps: list[tuple[int, int, str | None, Part | None, FaultKind]] = []
        for n, fault_kind in enumerate(self.faults):
            i = self.budget_index[fault_kind.key]
            if isinstance(fault_kind, PowerLoss):
                self.fault_steps.append((i, fault_kind.max, None, None, fault_kind))
            self.fault_steps.extend((i, fault_kind.max, view.name, part, fault_kind)
                                    for m, _, view, part in hit if m == n)

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

    # -- the contract -------------------------------------------------------------------
    def footprints(self) -> Learner:
        """What each step and property reads and writes, learned by running them: the
        vector engine's view of this model (it reads the model through this only)."""
        from lifecheck.modelling.footprint import Learner

        return Learner(self)

    def init_states(self) -> list[tuple]:
        """Every combination of the one_of fields' options, through the @initial hook
        (lifecheck.modelling.initial); the one declared state for most models."""
        return self._inits

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
        out: list[tuple[Step, Any]] = []
        for inst in self.instances:
            found = self.run_instance(state, inst)
            if found:
                out.extend(found)
        out.extend(self.fault_successors(state))
        return out

    def run_instance(self, state: tuple, inst: tuple) -> list[tuple[Step, Any]] | None:
        """One action instance's steps out of ``state`` (None: its lifted guard is false)."""
        fn, args, kwargs, pname, name, params, where, guard = inst
        ctx = self._ctx
        if guard is not None:
            # The lifted guard reads the state through the same views, read-only.
            ctx.parts = state
            ctx.readonly = True
            try:
                if not guard(*args, **kwargs):
                    return None
            except Exception:
                pass
        return run_branches(ctx, state, fn, args, kwargs, pname, name, params, where, BUDGET)

    def fault_successors(self, state: tuple) -> list[tuple[Step, Any]]:
        """The fault steps (crashes, stops, pauses, power losses) the budget still allows."""
        out: list[tuple[Step, Any]] = []
        budget = state[BUDGET]
        for entry in self.fault_steps:
            if budget[entry[0]] < entry[1]:
                out.extend(self.run_fault(self._views, state, entry))
        return out

    def straight_steps(self) -> Any:
        """This model's steps with its plain actions translated into functions of the
        state (:mod:`lifecheck.modelling.straight`), built once."""
        built = self.__dict__.get("_straight")
        if built is None:
            from lifecheck.modelling.straight.steps import StraightSteps

            built = self._straight = StraightSteps(self)
        return built

    fault_sampler: Any = None
    """A random.Random while random walks run: each fault step then gives one random outcome
    of its hooks' choices instead of all of them (a power loss may have thousands)."""

    def run_fault(self, views: Views, state: tuple, entry: tuple) -> list[tuple[Step, Any]]:
        """One fault step (a crash, stop or pause of one process, or a power loss)."""
        i, _, victim, part, kind = entry
        sampler = self.fault_sampler
        if victim is None:
            return run_branches(views.ctx, state, self._power_loss, (views, i), {}, None,
                                "power_loss", (), "power loss", BUDGET, fault_step="power_loss",
                                sampler=sampler)
        return run_branches(views.ctx, state, pf.strike,
                            (views, kind, victim, part, lambda: self._spend(views.ctx, i)), {},
                            victim, kind.step, (), f"{kind.step} of {victim}", BUDGET,
                            fault_step=kind.step, sampler=sampler)

    @staticmethod
    def _spend(ctx: Context, i: int) -> None:
        if ctx.reads is not None:
            ctx.reads.add((BUDGET, -1))
        budget = list(ctx.budget)
        budget[i] += 1
        ctx.budget = tuple(budget)

    def _power_loss(self, views: Views, i: int) -> None:
        self._spend(views.ctx, i)
        reset_volatile(views.ctx, self.holder_parts)
        pf.end_pauses(views)
        for comp in views.components:
            for view in views.processes:
                comp.on_crash(view.name)
            comp.on_power_loss()

    def is_final(self, state: tuple) -> bool:
        mv = self._views.model
        for decl in self.finals:
            where = f"final state {decl.name}"
            if as_bool(with_reading(self._ctx, state, where, lambda d=decl: d.fn(mv)), where):
                return True
        return False

    def fairness(self) -> Fairness:
        """The spec's fairness rules (:mod:`lifecheck.modelling.fairness`) over this model;
        a pause ends, so ``resume`` is weakly fair whatever the rules say."""
        return pf.resume_is_fair(spec_fairness(self.fair_rules, self._names_of),
                                 set(self._pausable))

    def _names_of(self, process: str | None, action: str) -> set[str]:
        """The names a step of ``action`` by ``process`` answers to in a fairness rule."""
        role_attr = self._role_of_process(process)
        names = {action, process or "env", role_attr or ""}
        if role_attr:
            names.add(self.model.roles()[role_attr].process.__name__)
        return names

    def fairness_names(self) -> set[str]:
        """Names a spec's ``fairness`` may list: actions, processes, roles, process classes."""
        roles = self.model.roles()
        return ({decl.name for decl, _, _ in self._actions} | set(self.process_names())
                | set(roles) | {d.process.__name__ for d in roles.values()} | {"env"})

    def fairness_overlap(self) -> str:
        """A step two fairness rules name, in words ("" if none): such a spec is refused."""
        pairs = dict.fromkeys((inst[3], inst[4]) for inst in self.instances)
        return overlaps(self.fair_rules, pairs, self._names_of)

    def _role_of_process(self, pname: str | None) -> str | None:
        for attr, parts in self._role_parts.items():
            if any(p.prefix[:-1] == pname for p in parts):
                return attr
        return None

    def describe(self, state: tuple) -> dict[str, Any]:
        out: dict[str, Any] = {}
        for part in self.holder_parts:
            values = state[part.index]
            for slot, f in enumerate(part.fields):
                out[part.prefix + f.name] = values[slot]
        return out

    def actions(self) -> list[str]:
        names = [decl.name for decl, _, _ in self._actions]
        for step in ("crash", "stop", "pause", "power_loss"):
            if any(not isinstance(f, Fail) and f.step == step for f in self.faults):
                names.append(step)
        if self._pausable:
            names.append(pf.RESUME)
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
        own = Path(__file__).resolve().parent.parent  # the package root
        for cls in classes:
            for klass in cls.__mro__:
                try:
                    file = Path(inspect.getfile(klass)).resolve()
                except (TypeError, OSError):
                    continue  # built in
                if own not in file.parents:
                    files.add(str(file))
        return sorted(files)


    # -- explaining a violation (lifecheck.modelling.readable) ---------------------------
    def show(self, state: tuple) -> dict[str, Any]:
        return readable.show(self, state)

    def explain(self, before: tuple, after: tuple, step: Step) -> tuple[list[str], set[str]]:
        return readable.explain(self, before, after, step)

    def observe(self, property_name: str, state: tuple) -> list[tuple[str, Any]]:
        """The fields a property read on ``state`` (the goal, for liveness), with their
        values: what it saw."""
        decl = next((d for d in self.model.property_decls().values() if d.name == property_name),
                    None)
        if decl is None or decl.kind == "transition":
            return []
        return readable.observe(self, decl.check, f"property {property_name}", state)

    def fields_read(self, property_name: str, state: tuple) -> list[str]:
        decl = next((d for d in self.model.property_decls().values() if d.name == property_name),
                    None)
        if decl is None or decl.kind == "transition":
            return []
        return readable.fields_read(self, decl.check, f"property {property_name}", state)

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
