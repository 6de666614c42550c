"""Clocks and random generators called from model code are an error, on every run.

A step must depend only on the state, its parameters and ``choose()``. The
determinism check re-runs only a sample of states, so an action that draws a
random number once a counter passes 20 used to get "holds", with a different
number of states on every run. With :mod:`lifecheck.modelling.sandbox` installed the call
itself is bad input: ``verdict == "error"``, naming the function and the fix.
Outside model code the wrapped functions behave exactly as before.
"""

from __future__ import annotations

import inspect
import logging
import os
import pickle
import random
import secrets
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from typing import Any

import pytest

from lifecheck import (
    Model,
    Process,
    Spec,
    action,
    always,
    check_spec,
    choose,
    durable,
    holds,
    require,
    role,
)
from lifecheck.modelling import sandbox
from lifecheck.result import Result

# A generator made before the check starts, and the module's choice() taken before install
# (as `from random import choice` in a module imported early would): both are still caught.
RNG = random.Random(5)
EARLY_CHOICE = random.choice


@pytest.fixture(autouse=True, scope="module")
def _sandboxed() -> Iterator[None]:
    # Installed for this module only, and left as found: while the package does not
    # install it on import, other modules' tests must not see it.
    installed_before = bool(sandbox.covered())
    sandbox.install()
    yield
    if not installed_before:
        sandbox.uninstall()


class Node(Process):
    x = durable(0)


def calls(fn: Callable[[], Any]) -> Model:
    """A model whose only action calls ``fn`` on every step."""

    class Calls(Model):
        nodes = role(Node)

        @action(Node)
        def step(self, p):
            require(p.x < 2)
            fn()
            p.x += 1

    return Calls()


def check(name: str, model: Model) -> Result:
    result = check_spec(Spec(name, model, holds(), deadlock=False))
    assert result.violations == []
    return result


HINT_RANDOM = "write choose(...) to explore every outcome"
HINT_TIME = "model time as a field"
HINT_ENTROPY = "use a counter field"

# (what the action calls, the name the error gives, the hint it gives)
FAMILIES = [
    (lambda: random.random(), "random.random()", HINT_RANDOM),
    (lambda: random.choice("ab"), "random.choice()", HINT_RANDOM),
    (lambda: random.randint(1, 6), "random.randint()", HINT_RANDOM),
    (lambda: random.shuffle([1, 2]), "random.shuffle()", HINT_RANDOM),
    (lambda: random.seed(1), "random.seed()", HINT_RANDOM),
    (lambda: EARLY_CHOICE("ab"), "random.choice()", HINT_RANDOM),
    (lambda: RNG.random(), "random.Random.random()", HINT_RANDOM),
    (lambda: RNG.choice("ab"), "random.Random.choice()", HINT_RANDOM),
    (lambda: RNG.randint(1, 6), "random.Random.randint()", HINT_RANDOM),
    (lambda: random.Random(3), "random.Random()", HINT_RANDOM),
    (lambda: random.SystemRandom().random(), "random.SystemRandom.random()", HINT_RANDOM),
    (lambda: time.time(), "time.time()", HINT_TIME),
    (lambda: time.perf_counter(), "time.perf_counter()", HINT_TIME),
    (lambda: time.monotonic_ns(), "time.monotonic_ns()", HINT_TIME),
    (lambda: time.strftime("%H:%M"), "time.strftime() without a time argument", HINT_TIME),
    (lambda: os.urandom(4), "os.urandom()", HINT_ENTROPY),
    (lambda: uuid.uuid4(), "uuid.uuid4()", HINT_ENTROPY),
    (lambda: uuid.uuid1(), "uuid.uuid1()", HINT_ENTROPY),
    (lambda: secrets.token_hex(), "secrets.token_hex()", HINT_ENTROPY),
    (lambda: secrets.choice("ab"), "secrets.choice()", HINT_ENTROPY),
]


@pytest.mark.parametrize(("fn", "name", "hint"), FAMILIES, ids=[n for _, n, _ in FAMILIES])
def test_action_that_reads_a_clock_or_draws_at_random_is_an_error(fn: Callable[[], Any], name: str,
                                                                  hint: str) -> None:
    result = check("sandboxed", calls(fn))
    assert result.verdict == "error"
    assert result.error.startswith("spec sandboxed, action step of node1, step 1: "), result.error
    assert f"{name} was called in model code" in result.error
    assert "choose()" in result.error and hint in result.error


class LateDice(Model):
    """The review's case: random only once a counter passes 20, past where a sample looks."""

    n = durable(0)
    roll = durable(0.0)

    @action
    def tick(self):
        require(self.n < 30)
        self.n += 1
        if self.n > 20:
            self.roll = random.random()


def test_late_randomness_is_the_same_error_on_every_run() -> None:
    errors = {check("late", LateDice()).error for _ in range(3)}
    (error,) = errors
    assert error.startswith("spec late, action tick, step 21: random.random() was called"), error


class ClockProperty(Model):
    started = durable(0.0)

    @action
    def start(self):
        require(self.started == 0.0)
        self.started = 1.0

    @always
    def fresh(self):
        return time.time() > self.started


def test_property_that_reads_the_clock_is_an_error() -> None:
    result = check("clock", ClockProperty())
    assert result.verdict == "error"
    assert "time.time() was called in property Fresh" in result.error, result.error
    assert "choose(" in result.error and HINT_TIME in result.error


def test_choose_is_the_fix() -> None:
    class Chooses(Model):
        nodes = role(Node)

        @action(Node)
        def step(self, p):
            require(p.x == 0)
            p.x = choose(1, 2, 3)

    assert check("chooses", Chooses()).verdict == "holds"


def test_a_clock_read_on_another_thread_during_model_code_is_not_an_error() -> None:
    seen: list[float] = []

    def read_on_a_thread() -> None:
        thread = threading.Thread(target=lambda: seen.append(time.time()))
        thread.start()
        thread.join()

    result = check("thread", calls(read_on_a_thread))
    assert result.verdict == "holds", result.error
    assert seen and all(isinstance(t, float) for t in seen)


def test_logging_from_model_code_is_not_an_error(caplog: pytest.LogCaptureFixture) -> None:
    logger = logging.getLogger("tests.sandbox")
    with caplog.at_level(logging.INFO, logger="tests.sandbox"):
        result = check("logs", calls(lambda: logger.info("stepping")))
    assert result.verdict == "holds", result.error
    assert "stepping" in caplog.text


# --------------------------------------------------------------------------------------
# Outside model code: the same functions, the same results
# --------------------------------------------------------------------------------------


def test_outside_model_code_the_wrapped_functions_work_as_before() -> None:
    assert isinstance(time.time(), float) and isinstance(time.time_ns(), int)
    assert isinstance(time.perf_counter(), float) and isinstance(time.perf_counter_ns(), int)
    assert isinstance(time.monotonic(), float) and isinstance(time.process_time(), float)
    assert time.strftime("%Y", time.gmtime(0)) == "1970" and isinstance(time.localtime().tm_year, int)
    assert isinstance(os.urandom(8), bytes) and len(os.urandom(8)) == 8
    assert uuid.uuid4().version == 4 and isinstance(uuid.uuid1(), uuid.UUID)
    assert len(secrets.token_hex(4)) == 8 and 0 <= secrets.randbelow(10) < 10
    assert 0.0 <= random.random() < 1.0 and random.choice("ab") in "ab"
    assert 1 <= random.randint(1, 6) <= 6 and len(random.randbytes(3)) == 3
    assert len(random.choices("ab", k=5)) == 5  # keyword arguments pass through
    assert 0.0 <= random.SystemRandom().random() < 1.0


def test_seeded_generators_give_the_same_numbers_as_before() -> None:
    import _random  # the C generator random.Random is built on, untouched by the sandbox

    plain = _random.Random(5)
    assert [random.Random(5).random() for _ in range(1)] == [plain.random()]
    assert random.Random(5).getrandbits(64) == _random.Random(5).getrandbits(64)
    random.seed(7)
    first = [random.random(), random.choice(range(100)), random.gauss(0, 1)]
    random.seed(7)
    assert [random.random(), random.choice(range(100)), random.gauss(0, 1)] == first
    state = random.getstate()
    draws = [random.random() for _ in range(3)]
    random.setstate(state)
    assert [random.random() for _ in range(3)] == draws


def test_wrappers_keep_name_doc_signature_and_errors() -> None:
    for fn in (random.choice, random.sample, time.time, os.urandom, uuid.uuid4, secrets.token_hex):
        original = fn.__wrapped__
        assert fn.__name__ == original.__name__ and fn.__doc__ == original.__doc__
    assert inspect.signature(random.choices) == inspect.signature(random.choices.__wrapped__)
    assert inspect.signature(os.urandom) == inspect.signature(os.urandom.__wrapped__)
    with pytest.raises(TypeError):
        time.time(1)
    with pytest.raises(ValueError, match="negative"):
        os.urandom(-1)
    with pytest.raises(IndexError):
        random.choice([])


def test_wrappers_pickle_by_reference() -> None:
    for fn in (time.time, random.choice, random.Random.random, os.urandom, secrets.choice):
        assert pickle.loads(pickle.dumps(fn)) is fn
    rng = pickle.loads(pickle.dumps(random.Random(5)))
    assert rng.random() == random.Random(5).random()


def test_install_twice_wraps_once() -> None:
    before = (time.time, random.random, random.Random.random, os.urandom, sandbox.covered())
    sandbox.install()
    assert (time.time, random.random, random.Random.random, os.urandom, sandbox.covered()) == before
    for fn in (time.time, time.perf_counter, random.random, random.Random.getrandbits, os.urandom,
               secrets.token_hex):
        assert not hasattr(fn.__wrapped__, "__wrapped__"), fn  # one layer, over the original


def test_covered_names_every_family() -> None:
    names = set(sandbox.covered())
    assert {"random.random()", "random.choice()", "random.seed()", "random.setstate()",
            "random.Random.random()", "random.Random.getrandbits()", "random.SystemRandom.random()",
            "time.time()", "time.perf_counter()", "time.perf_counter_ns()", "time.thread_time()",
            "os.urandom()", "uuid.uuid1()", "uuid.uuid4()", "secrets.token_bytes()",
            "secrets.randbits()"} <= names
    assert "random.getstate()" not in names  # reads, draws nothing
