"""Clocks and random generators fail loudly when model code calls them.

The checker explores a model by running its actions again and again, and it
trusts that a step depends only on the state, its parameters and ``choose()``.
An action that reads a clock or draws from a random generator breaks that
without a sound: the state graph changes from run to run, a trace need not
replay, and "holds" covers only the outcomes that happened to be drawn. The
determinism check cannot close the gap on its own, since it re-runs only a
sample of states: an action that called ``random.random()`` once a counter
passed 20 got "holds" on six runs with six different state counts. Failing on
the call itself, naming the function and the fix, turns that quietly wrong
verdict into an error the first time the call happens, on every run.

Outside model code nothing changes but speed: each covered function is replaced
in its module by a wrapper that calls the original (same arguments, results and
errors; ``__wrapped__``, name and doc kept) unless ``lifecheck.modelling.runtime._ACTIVE``
is non-empty. The checker reads ``time.perf_counter()`` outside model code, so
that test is the whole fast path. It costs one Python call, about 60 ns: on a
shared two-core machine ``time.perf_counter()`` went from 13.6 to 7.6 million
calls a second (best of 20). The checker's own reads are per run, batch or
checkpoint, not per state (3 to 24 in a whole check of the shipped specs), so
a check does not get measurably slower.

``_ACTIVE`` is one list for the process, so another thread (a Ray or logging
thread, a progress reporter) may read the clock while the checker's thread is
in model code. When ``_ACTIVE`` is non-empty the wrapper therefore also looks
for the active context among the locals of the calling thread's frames (the
frame that pushed it holds it) and lets the call through when it is not there.
That walk runs only on the way to an error or in such a race, never on the fast
path. Calls made by the logging module are let through as well: a log record's
time stamp never reaches the state.

``random.Random`` instances: ``random()`` and ``getrandbits()`` are inherited
from the C class ``_random.Random``, and every other drawing method (choice,
randint, shuffle, sample, gauss, ...) is Python code that ends in one of them.
So the sandbox defines Python-level ``random``, ``getrandbits``, ``seed`` and
``setstate`` on ``random.Random`` (and wraps ``random``, ``getrandbits`` and
``randbytes`` of ``random.SystemRandom``, which read ``os.urandom`` through a
private reference) rather than wrapping each derived method: one extra call
per draw instead of two or three nested ones (``Random(1).random()`` 51 -> 95 ns,
``Random(1).choice(seq)`` 314 -> 521 ns; random walks draw a few times per step,
each step costing microseconds). The error still names the method
the model called, found from the stack on the way to the error. This also
catches the module's functions taken before ``install()``
(``from random import choice``), except ``random`` and ``getrandbits``
themselves, which are bound to the C methods.

Not covered, and why:

* References taken before ``install()`` to a C function: ``from time import
  time`` or ``from os import urandom`` in a module imported earlier keep the
  original. The sampled determinism check is the net for those.
* ``datetime.datetime.now``/``utcnow``/``today`` and ``datetime.date.today``:
  their C implementation reads the system clock directly, and the classes are C
  types whose attributes cannot be set. Replacing the classes in the
  ``datetime`` module with subclasses would make code that imported them earlier
  (and every value the C code creates) disagree about ``type()`` and
  ``isinstance``, and pickles would name the subclass: a worse failure than the
  one prevented.
* ``random.getstate()`` (it reads and draws nothing); ``Random`` subclasses that
  override ``random()`` or ``getrandbits()`` (their generator is their own code).
* String hash randomisation, set order and ``id()``: the same throughout one run,
  so they cannot make a step differ between two runs of it within a check.
* Model code that catches the error (``except Exception``) hides it; the
  determinism check remains.

The other way round, one false alarm is possible: a module imported for the
first time from model code that draws or reads the clock while it is imported
(``random.Random()`` at module level) fails the same way; import it at the top
of the model's module instead.
"""

from __future__ import annotations

import functools
import gc
import inspect
import os
import random
import secrets
import sys
import time
import uuid
from collections.abc import Callable
from typing import Any

from lifecheck.errors import ModelError
from lifecheck.modelling import runtime

_FIXES = {
    "random": "write choose(...) to explore every outcome",
    "time": "model time as a field that actions advance, and write choose(...) where the outcome "
            "of a timing matters",
    "entropy": "use a counter field for fresh identifiers, or choose(...) among the values that "
               "matter",
}
_WHY = "time and randomness differ between runs, so traces would not replay"

# Clocks: every call reads the time.
_CLOCKS = ("time", "time_ns", "monotonic", "monotonic_ns", "perf_counter", "perf_counter_ns",
           "process_time", "process_time_ns", "thread_time", "thread_time_ns", "clock_gettime",
           "clock_gettime_ns")
# Functions that read the clock when their time argument (at this position) is left out or None.
_CLOCK_DEFAULTS = (("localtime", 0), ("gmtime", 0), ("ctime", 0), ("asctime", 0), ("strftime", 1))
_SECRETS = ("choice", "randbelow", "randbits", "token_bytes", "token_hex", "token_urlsafe")
_RANDOM_PRIMITIVES = ((random.Random, ("random", "getrandbits", "seed", "setstate")),
                      (random.SystemRandom, ("random", "getrandbits", "randbytes")))
_TRUSTED_CALLERS = frozenset({"logging"})  # modules whose clock reads never reach the state
_TRUSTED_PREFIXES = ("logging.", "_pytest.logging")
_RANDOM_FILE = random.Random.choice.__code__.co_filename
_MARK = "__lifecheck_sandbox__"

# What install() replaced: (owner, attribute, original or None when inherited, wrapper, name).
_patches: list[tuple[Any, str, Any, Any, str]] = []


def install() -> None:
    """Make the usual sources of non-determinism raise :class:`ModelError` in model code.

    Idempotent: a second call (or a reloaded copy of this module) wraps nothing twice.
    """
    if _patches:
        return
    for name in random.__all__:
        if name != "getstate" and getattr(getattr(random, name), "__self__", None) is random._inst:
            _patch(random, name, f"random.{name}()", "random")
    for cls, names in _RANDOM_PRIMITIVES:
        for name in names:
            _patch_method(cls, name)
    for name in _CLOCKS:
        if hasattr(time, name):
            _patch(time, name, f"time.{name}()", "time", positional=True)
    for name, position in _CLOCK_DEFAULTS:
        _patch(time, name, f"time.{name}() without a time argument", "time", clock_arg=position)
    for name in ("urandom", "getrandom"):
        if hasattr(os, name):
            _patch(os, name, f"os.{name}()", "entropy")
    for name in ("uuid1", "uuid4"):
        _patch(uuid, name, f"uuid.{name}()", "entropy")
    for name in _SECRETS:
        _patch(secrets, name, f"secrets.{name}()", "entropy")


def uninstall() -> None:
    """Put back every original that :func:`install` replaced (for tests)."""
    while _patches:
        owner, attr, original, wrapper, _ = _patches.pop()
        if owner.__dict__.get(attr) is not wrapper:
            continue  # replaced again since: not ours to undo
        if original is None:
            delattr(owner, attr)
        else:
            setattr(owner, attr, original)


def covered() -> list[str]:
    """The names of the functions and methods that :func:`install` wrapped."""
    return [name for *_, name in _patches]


# --------------------------------------------------------------------------------------
# Deciding and saying
# --------------------------------------------------------------------------------------


_SAMPLER_CODES = (runtime.Context.choose_index.__code__, runtime.draw.__code__)


def _in_model_code() -> bool:
    """Whether the caller of the wrapper that calls this is model code run by this thread.

    The thread running model code holds the active context as a local of the frame that
    pushed it (run_branches, with_reading); a thread that merely races with it does not.
    """
    active = runtime._ACTIVE
    if not active:
        return False
    ctx = active[-1]
    frame: Any = sys._getframe(2)
    if any(getattr(cb, "__code__", None) is frame.f_code for cb in gc.callbacks):
        return False  # a garbage-collector callback (Hypothesis times them) runs wherever
    # a collection happens to start, model code included; what it reads never reaches a state
    while frame is not None:
        module = frame.f_globals.get("__name__", "")
        if module in _TRUSTED_CALLERS or module.startswith(_TRUSTED_PREFIXES):
            return False  # called on behalf of logging (or its handlers): never reaches a state
        if frame.f_code in _SAMPLER_CODES:
            return False  # the checker's own draw of a random branch for a random walk
        if any(value is ctx for value in frame.f_locals.values()):
            return True
        frame = frame.f_back
    return False


def _message(called: str, family: str) -> str:
    ctx = runtime._ACTIVE[-1]
    if ctx.readonly and ctx.where:
        # Properties and final-state predicates: run_branches names an action, but
        # with_reading adds nothing, so say where.
        rule = f"{ctx.where} must depend only on the state it reads"
        place = ctx.where
    else:
        rule = "a step must depend only on the state, its parameters and choose()"
        place = "model code"
    return f"{called} was called in {place}; {rule}: {_FIXES[family]} ({_WHY})"


def _random_caller(obj: Any, primitive: str) -> str:
    """The drawing method the model called, as ``random.choice()`` or ``random.Random.choice()``.

    A primitive is reached through the random module's own methods (``choice`` calls
    ``_randbelow`` calls ``getrandbits``); the outermost of those is what the model wrote.
    """
    frame: Any = sys._getframe(2)
    name = primitive
    while frame is not None and frame.f_code.co_filename == _RANDOM_FILE:
        name = frame.f_code.co_name
        frame = frame.f_back
    if obj is random._inst:
        return f"random.{name}()"
    cls = f"{type(obj).__module__}.{type(obj).__qualname__}"
    return f"{cls}()" if name == "__init__" else f"{cls}.{name}()"


# --------------------------------------------------------------------------------------
# Wrapping
# --------------------------------------------------------------------------------------


def _positional_only(fn: Callable[..., Any], skip: int = 0) -> bool:
    """True when ``fn`` takes no keyword arguments: its wrapper can skip ``**kwargs`` (faster)."""
    try:
        params = list(inspect.signature(fn).parameters.values())[skip:]
    except (TypeError, ValueError):
        return False
    return all(p.kind in (p.POSITIONAL_ONLY, p.VAR_POSITIONAL) for p in params)


def _fixed_arity(method: Callable[..., Any]) -> int | None:
    """How many arguments ``method`` takes after ``self`` when it is called the one way only
    (positional, none optional; ``self`` alone counts as a fixed arity of 0); else None."""
    try:
        params = list(inspect.signature(method).parameters.values())[1:]
    except (TypeError, ValueError):
        return None
    if not params:
        return 0
    if all(p.kind == p.POSITIONAL_ONLY and p.default is p.empty for p in params):
        return len(params)
    return None


def _guard(original: Callable[..., Any], called: str, family: str, clock_arg: int | None,
           positional: bool) -> Callable[..., Any]:
    # Three shapes of the same test, so the common case pays for no argument packing it
    # does not need. `runtime._ACTIVE` is read at call time, never bound early.
    if clock_arg is not None:
        def guarded(*args: Any) -> Any:
            if (runtime._ACTIVE and (len(args) <= clock_arg or args[clock_arg] is None)
                    and _in_model_code()):
                raise ModelError(_message(called, family))
            return original(*args)
    elif positional or _positional_only(original):
        def guarded(*args: Any) -> Any:
            if runtime._ACTIVE and _in_model_code():
                raise ModelError(_message(called, family))
            return original(*args)
    else:
        def guarded(*args: Any, **kwargs: Any) -> Any:
            if runtime._ACTIVE and _in_model_code():
                raise ModelError(_message(called, family))
            return original(*args, **kwargs)
    return functools.wraps(original)(guarded)


def _guard_method(original: Callable[..., Any], primitive: str) -> Callable[..., Any]:
    # Passing `self, *args` on to a C method descriptor costs twice as much as passing a
    # fixed argument list, so random() and getrandbits(k), the draws every Random method
    # ends in, get wrappers of their exact arity.
    arity = _fixed_arity(original)
    if arity == 0:
        def guarded(self: Any) -> Any:
            if runtime._ACTIVE and _in_model_code():
                raise ModelError(_message(_random_caller(self, primitive), "random"))
            return original(self)
    elif arity == 1:
        def guarded(self: Any, arg: Any, /) -> Any:
            if runtime._ACTIVE and _in_model_code():
                raise ModelError(_message(_random_caller(self, primitive), "random"))
            return original(self, arg)
    elif _positional_only(original, skip=1):
        def guarded(self: Any, *args: Any) -> Any:
            if runtime._ACTIVE and _in_model_code():
                raise ModelError(_message(_random_caller(self, primitive), "random"))
            return original(self, *args)
    else:
        def guarded(self: Any, *args: Any, **kwargs: Any) -> Any:
            if runtime._ACTIVE and _in_model_code():
                raise ModelError(_message(_random_caller(self, primitive), "random"))
            return original(self, *args, **kwargs)
    return functools.wraps(original)(guarded)


def _patch(owner: Any, attr: str, called: str, family: str, clock_arg: int | None = None,
           positional: bool = False) -> None:
    """Wrap ``owner.attr``; ``positional`` says it takes no keyword arguments (the time
    module's functions have no introspectable signature, and they take none)."""
    original = getattr(owner, attr)
    if getattr(original, _MARK, False):
        return  # wrapped by another copy of this module
    wrapper = _guard(original, called, family, clock_arg, positional)
    # Named where it now lives, so pickle finds it by reference (random.choice was a bound
    # method named Random.choice; the wrapper is a function found as random.choice).
    wrapper.__module__, wrapper.__qualname__ = owner.__name__, attr
    setattr(wrapper, _MARK, True)
    setattr(owner, attr, wrapper)
    _patches.append((owner, attr, original, wrapper, called))


def _patch_method(cls: type, attr: str) -> None:
    original = getattr(cls, attr)
    if getattr(original, _MARK, False):
        return
    wrapper = _guard_method(original, attr)
    wrapper.__module__, wrapper.__qualname__ = cls.__module__, f"{cls.__qualname__}.{attr}"
    setattr(wrapper, _MARK, True)
    own = attr in cls.__dict__  # random() and getrandbits() of Random are inherited from C
    setattr(cls, attr, wrapper)
    _patches.append((cls, attr, original if own else None, wrapper,
                     f"{cls.__module__}.{cls.__qualname__}.{attr}()"))
