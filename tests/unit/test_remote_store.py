"""The remote store's semantics, driven through a tiny model that runs a script of requests.

Each script line is one request by one step; with ``Fail(kind="remote")`` on, every
request has two branches, the request succeeding and the request failing, and the
tests pick one by the step's fault flag.
"""

from __future__ import annotations

from typing import Any

import pytest

from lifecheck import (
    Crash,
    Fail,
    FrozenMap,
    Model,
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
    transition,
    violated,
)
from lifecheck.components.remote_store import RemoteObject, RemoteStore
from lifecheck.contract import ActionFailure
from lifecheck.errors import ModelError
from lifecheck.modelling.compile import ModelSystem

Line = tuple[str, tuple, FrozenMap]
"""(request, positional arguments, keyword arguments)."""


def req(method: str, *args: Any, **kwargs: Any) -> Line:
    return (method, args, FrozenMap(kwargs))


class Client(Process):
    """Runs the script; what it got back is durable so that a crash does not hide it."""

    last = durable(None, "what the last request returned")


class Script(Model):
    lines = parameter(())
    clients = role(Client, count=1)
    remote = RemoteStore()
    pc = durable(0, "the next line of the script")

    @action(Client)
    def run(self, c: Client) -> None:
        require(self.pc < len(self.lines))
        method, args, kwargs = self.lines[self.pc]
        c.last = getattr(self.remote, method)(*args, **dict(kwargs))
        self.pc += 1

    @final
    def done(self) -> bool:
        return self.pc == len(self.lines)


class OtherKind(Script):
    remote = RemoteStore(kind="s3")


REMOTE_FAILS = (Fail(kind="remote", max=5),)
NO_FAILURE = (Fail(kind="remote", max=0),)  # every request succeeds


def system(*lines: Line, faults: Any = REMOTE_FAILS, model: type[Script] = Script) -> ModelSystem:
    return ModelSystem(model(lines=lines), faults)


def runs(sys: ModelSystem, state: Any) -> dict[bool, Any]:
    """The outcomes of the next line, keyed by whether its request failed."""
    return {bool(step.fault): out for step, out in sys.successors(state) if step.action == "run"}


def run(sys: ModelSystem, *, fail_at: tuple[int, ...] = ()) -> Any:
    """The state after every line, the lines at ``fail_at`` failing and the others succeeding."""
    state = sys.init_states()[0]
    for i in range(len(sys.model.lines)):
        state = runs(sys, state)[i in fail_at]
        assert not isinstance(state, ActionFailure), state.message
    return state


def objects(sys: ModelSystem, state: Any) -> dict[str, RemoteObject]:
    return dict(sys.describe(state)["remote.objects"])


def last(sys: ModelSystem, state: Any) -> Any:
    return sys.describe(state)["client1.last"]


# -- requests that succeed -----------------------------------------------------------------

def test_append_builds_an_open_object_part_by_part_until_completed() -> None:
    sys = system(req("append", "k", (1,)), req("append", "k", (2, 3)))
    assert objects(sys, run(sys)) == {"k": RemoteObject((1, 2, 3), complete=False)}
    done = system(*sys.model.lines, req("complete", "k"), req("read", "k"))
    state = run(done)
    assert last(done, state) == (True, RemoteObject((1, 2, 3), complete=True))


def test_put_replaces_an_object_whole_and_may_complete_it_at_once() -> None:
    sys = system(req("append", "k", (1, 2)), req("put", "k", (9,)))
    assert objects(sys, run(sys)) == {"k": RemoteObject((9,))}
    sys = system(req("put", "k", (9,), complete=True))
    assert objects(sys, run(sys)) == {"k": RemoteObject((9,), complete=True)}


def test_read_exists_and_delete() -> None:
    sys = system(req("read", "k"))
    assert last(sys, run(sys)) == (True, None)
    sys = system(req("exists", "k"))
    assert last(sys, run(sys)) == (True, False)
    sys = system(req("append", "k", (1,)), req("exists", "k"))
    assert last(sys, run(sys)) == (True, True)
    sys = system(req("append", "k", (1,)), req("delete", "k"), req("delete", "k"))
    state = run(sys)
    assert objects(sys, state) == {} and last(sys, state) is True  # deleting twice is fine


def test_completing_twice_is_harmless() -> None:
    sys = system(req("append", "k", (1,)), req("complete", "k"), req("complete", "k"))
    assert objects(sys, run(sys)) == {"k": RemoteObject((1,), complete=True)}


# -- requests that fail ---------------------------------------------------------------------

FIRST = [req("append", "k", (1,))]


@pytest.mark.parametrize(("line", "failed_result"), [
    (req("put", "k", (9,)), False),
    (req("put", "new", (9,), complete=True), False),
    (req("append", "k", (2,)), False),
    (req("append", "new", (2,)), False),
    (req("complete", "k"), False),
    (req("read", "k"), (False, None)),
    (req("exists", "k"), (False, False)),
    (req("delete", "k"), False),
])
def test_every_request_can_fail_and_a_failed_one_changes_nothing(line: Line,
                                                                 failed_result: Any) -> None:
    before = run(system(*FIRST))
    sys = system(*FIRST, line)
    after = run(sys, fail_at=(1,))
    assert objects(sys, after) == objects(sys, before)
    assert last(sys, after) == failed_result


def test_with_a_budget_of_none_no_request_fails() -> None:
    sys = system(req("append", "k", (1,)), faults=NO_FAILURE)
    assert list(runs(sys, sys.init_states()[0])) == [False]


def test_without_a_budget_for_its_kind_a_request_is_a_modelling_error() -> None:
    sys = system(req("append", "k", (1,)), faults=())
    with pytest.raises(ModelError, match=r"fault\('remote'\).*Fail\(kind='remote'"):
        sys.successors(sys.init_states()[0])


def test_a_spent_budget_adds_no_failing_branch() -> None:
    sys = system(req("append", "k", (1,)), req("append", "k", (2,)), faults=(Fail(kind="remote", max=1),))
    state = runs(sys, sys.init_states()[0])[True]
    assert list(runs(sys, state)) == [False]


def test_the_store_draws_on_the_budget_of_its_own_kind() -> None:
    line = req("append", "k", (1,))
    wrong_kind = system(line, model=OtherKind)  # budget for "remote", store fails as "s3"
    with pytest.raises(ModelError, match="'s3'"):
        runs(wrong_kind, wrong_kind.init_states()[0])
    right_kind = system(line, model=OtherKind, faults=(Fail(kind="s3", max=1),))
    assert sorted(runs(right_kind, right_kind.init_states()[0])) == [False, True]


# -- misuse is a violation of the design, with a trace ----------------------------------------

@pytest.mark.parametrize(("lines", "message"), [
    ((req("put", "k", (1,), complete=True), req("append", "k", (2,))), "already complete"),
    ((req("complete", "missing"),), "does not exist"),
])
def test_misuse_raises_a_remote_store_error(lines: tuple[Line, ...], message: str) -> None:
    sys = system(*lines, faults=NO_FAILURE)
    state = sys.init_states()[0]
    for _ in lines[:-1]:
        state = runs(sys, state)[False]
    out = runs(sys, state)[False]
    assert isinstance(out, ActionFailure)
    assert out.exception_type == "RemoteStoreError" and message in out.message


# -- durability: nothing on the machine touches the store --------------------------------------

@pytest.mark.parametrize("fault", [Crash(max=1), PowerLoss(max=1)])
def test_crash_and_power_loss_leave_the_store_as_it_was(fault: Any) -> None:
    sys = system(req("append", "k", (1,)), req("append", "j", (2,)), req("complete", "j"),
                 faults=(fault, *NO_FAILURE))
    state = run(sys)
    (after,) = [out for step, out in sys.successors(state) if step.is_fault]
    assert objects(sys, after) == objects(sys, state) == {
        "k": RemoteObject((1,)), "j": RemoteObject((2,), complete=True)}


# -- reads for properties -----------------------------------------------------------------------

class Uploader(Script):
    """Appends two parts to one object; its property reads the store without a request."""

    @transition
    def first_part_stays(before: Script, after: Script) -> bool:
        """Once the first part is up, no later request, failed or not, takes it away."""
        return not before.remote.holds("k", 1) or after.remote.holds("k", 1)

    @always
    def never_complete(self) -> bool:
        """Nobody completes the object (it does, on purpose: the property must catch it)."""
        obj = self.remote.stored("k")
        return obj is None or not obj.complete


def test_stored_and_holds_read_the_store_in_properties_without_failing() -> None:
    lines = (req("append", "k", (1,)), req("append", "k", (2,)), req("complete", "k"))
    result = check_spec(Spec("uploader", Uploader(lines=lines[:2]), holds(),
                             faults=[Fail(kind="remote", max=2)]))
    assert result.verdict == "holds", result.violations
    result = check_spec(Spec("completes", Uploader(lines=lines), violated("NeverComplete"),
                             faults=[Fail(kind="remote", max=1)]))
    assert result.matches, result.violated_properties
    (v,) = result.violations
    assert [s.label for s in v.trace.steps] == ["run", "run", "run"]


class OneOpenPart(Script):
    @always
    def reads_as_documented(self) -> bool:
        """After one append: the item is held, not in a complete object, nothing else is."""
        return self.pc == 0 or (self.remote.holds("k", 1)
                                and not self.remote.holds("k", 1, complete_only=True)
                                and not self.remote.holds("k", 2)
                                and self.remote.stored("missing") is None)


def test_holds_can_ask_for_a_complete_object_only() -> None:
    result = check_spec(Spec("one-open-part", OneOpenPart(lines=(req("append", "k", (1,)),)),
                             holds(), faults=NO_FAILURE))
    assert result.verdict == "holds", result.violations
