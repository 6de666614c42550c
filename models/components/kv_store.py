"""A durable key-value store: consumer offsets, topic metadata, anything a design keeps by key.

It stands for a replicated store (a consensus-backed metadata store, a compacted
system topic, etcd): an acknowledged write survives a crash of the process that
made it, a crash of any other process and a power loss of the machine, so every
field is durable and neither fault touches it. What such a store does *not* do is
the point of most designs that use it: it keeps whatever was written under a key
until someone deletes it, whatever happened to the thing the key was named after.
Two writes by one process are two steps, and a crash between them leaves the
first without the second.

Keys and values are immutable values (strings, numbers, tuples, frozen
dataclasses); the state is one :class:`~lifecheck.FrozenMap`, so stores holding the
same entries are the same state whatever order they were written in. A key is
often a tuple (``("orders", "consumer1")``), and :meth:`~KeyValueStore.keys` and
:meth:`~KeyValueStore.delete_all` select by a *prefix* of it (the leading elements
of a tuple key, the start of a string key) or by a predicate.

Two optional features, both off unless asked for:

* **Failing writes.** ``KeyValueStore(fail="store")`` makes every write
  (:meth:`~KeyValueStore.put`, :meth:`~KeyValueStore.delete`,
  :meth:`~KeyValueStore.delete_all`) a call that can fail, within a
  spec's ``Fail(kind="store", max=N)`` budget: on the failing branch the write
  changes nothing and returns False. Without ``fail`` writes always succeed and
  return True, so a caller that ignores the result is only right for such a store.
* **Origins (a ghost).** ``put(key, value, origin=...)`` records, beside the value,
  where it came from (the incarnation of a topic whose consumer committed it, the
  epoch of a leader), in :attr:`~KeyValueStore.origins`. It is not part of the
  design, which must never read it: properties read it through
  :meth:`~KeyValueStore.origin` to ask whether a value someone used came from the
  right place. It lives and dies with its entry (a
  delete removes it, a put without an origin clears it), so it can never describe
  a value that is no longer there.
"""

from __future__ import annotations

from collections.abc import Callable, Hashable
from typing import Any

from lifecheck import Component, FrozenMap, ModelError, durable, fault
from lifecheck.values import MutableValueError

Key = Hashable
Selector = Callable[[Any, Any], bool]
"""A predicate on ``(key, value)`` for :meth:`KeyValueStore.keys` and :meth:`KeyValueStore.delete_all`."""


def has_prefix(key: Any, prefix: Any) -> bool:
    """Whether ``key`` starts with ``prefix``: leading elements of a tuple, or a string's start.

    A tuple key never matches a string prefix and the other way round: mixing the two
    is a mistake in the model, and failing to match would hide it, so it is refused.
    """
    if isinstance(prefix, tuple):
        if not isinstance(key, tuple):
            raise ModelError(f"key prefix {prefix!r} is a tuple but key {key!r} is not")
        return key[:len(prefix)] == prefix
    if isinstance(prefix, str):
        if not isinstance(key, str):
            raise ModelError(f"key prefix {prefix!r} is a string but key {key!r} is not")
        return key.startswith(prefix)
    raise ModelError(f"a key prefix is a tuple or a string, got {prefix!r}")


class KeyValueStore(Component):
    """A replicated key-value store: writes are durable the moment they return."""

    entries = durable(FrozenMap(), "key -> value; replicated, so no crash or power loss loses one")
    origins = durable(FrozenMap(), "ghost: key -> where its value came from (see put(origin=...))")

    def __init__(self, fail: str | None = None) -> None:
        """``fail`` names the fault kind its writes draw on (None, the default: they never fail)."""
        if fail is not None and (not isinstance(fail, str) or not fail):
            raise ModelError(f"KeyValueStore(fail=...) names a fault kind such as 'store', got {fail!r}")
        self.fail = fail

    # -- reading ------------------------------------------------------------------------
    def get(self, key: Key, default: Any = None) -> Any:
        """The value under ``key``, or ``default`` when there is none."""
        return self.entries.get(key, default)

    def contains(self, key: Key) -> bool:
        """Whether ``key`` has a value; a stored None counts, which ``get`` cannot tell apart."""
        return key in self.entries

    def keys(self, prefix: Any = None, where: Selector | None = None) -> tuple[Key, ...]:
        """The keys (sorted, as the map keeps them) that have ``prefix`` and satisfy ``where``."""
        return tuple(k for k in self.entries if self._selected(k, prefix, where))

    def origin(self, key: Key) -> Any:
        """Ghost: where the value under ``key`` came from (None: not recorded, or no value)."""
        return self.origins.get(key)

    # -- writing ------------------------------------------------------------------------
    def put(self, key: Key, value: Any, origin: Any = None) -> bool:
        """Store ``value`` under ``key`` (replacing any value); False if the write failed.

        ``origin``, when given, is recorded as a ghost beside the value (see the
        module's notes); a put without one clears the key's origin.
        """
        try:
            entries = self.entries.set(key, value)
            origins = self.origins.set(key, origin) if origin is not None else None
        except MutableValueError as exc:
            # A list or a dict stored here would leak between states: a mistake in the
            # model, not a failure of the design.
            raise ModelError(f"{self.name}.put: {exc}") from None
        if self._failed():
            return False
        self.entries = entries
        if origins is not None:
            self.origins = origins
        elif key in self.origins:
            self.origins = self.origins.remove(key)
        return True

    def delete(self, key: Key) -> bool:
        """Remove ``key`` if present (deleting a missing key succeeds); False if the write failed."""
        if self._failed():
            return False
        if key in self.entries:
            self.entries = self.entries.remove(key)
            if key in self.origins:
                self.origins = self.origins.remove(key)
        return True

    def delete_all(self, prefix: Any = None, where: Selector | None = None) -> bool:
        """Remove every key :meth:`keys` would list, in one write; False if it failed.

        One write, not one per key: a store's range delete (or a batch) is applied
        atomically by the replicated log. A design that deletes key by key, and can
        crash in between, should call :meth:`delete` once per step instead.
        """
        if prefix is None and where is None:
            raise ModelError("delete_all() without a prefix or a predicate would empty the "
                             "whole store; pass prefix=... or where=...")
        if self._failed():
            return False
        doomed = set(self.keys(prefix, where))
        if doomed:
            self.entries = self.entries.filter(lambda k, _: k not in doomed)
            if any(k in self.origins for k in doomed):
                self.origins = self.origins.filter(lambda k, _: k not in doomed)
        return True

    # -- faults -------------------------------------------------------------------------
    # Neither a crash nor a power loss changes a replicated store: the defaults of
    # Component (do nothing) are exactly right, and every field is durable.

    # -- internals ----------------------------------------------------------------------
    def _failed(self) -> bool:
        return self.fail is not None and fault(self.fail)

    def _selected(self, key: Key, prefix: Any, where: Selector | None) -> bool:
        if prefix is not None and not has_prefix(key, prefix):
            return False
        return where is None or bool(where(key, self.entries[key]))
