"""A remote object store (S3, OSS, a tiered-storage backend) whose requests can fail.

Lifecycles that move data off the machine share two facts about the place it goes:
every request can fail (network, throttling, a 503), and what the store holds
outlives anything that happens to the machine. This component models exactly
that, and nothing about latency or cost:

* **Objects** map a key to a :class:`RemoteObject`: its data (a tuple of items, such
  as message ids or index entries, appended part by part) and whether its metadata
  records it as **complete**. An object only becomes complete by an explicit
  :meth:`RemoteStore.complete` request (or a :meth:`RemoteStore.put` that says so),
  which is how a multi-part upload or an appendable object is sealed. Until then a
  reader can see a prefix of what the writer meant to upload: a partly uploaded
  object is an ordinary, visible state, which is the point.
* **Every request can fail.** Each request (put, append, complete, read, exists,
  delete) is one call of ``fault(kind)``, so it fails on the checker's branch within
  the spec's ``Fail(kind=..., max=N)`` budget. A failed request changes nothing and
  says so by its return value.
* **A write can time out after taking effect** (only with ``timeout=``, a second
  fault kind): the store applied the put, append, complete or delete, but the
  caller's request timed out, so it sees the same ``False`` as for a request that
  changed nothing. That ambiguity is behind most retry bugs: re-sending a
  non-idempotent append after such a timeout stores the data twice. A write thus
  ends one of three ways, each a branch: ok, failed without effect (``kind``),
  failed after effect (``timeout``). Reads never draw on ``timeout``: a read that
  times out has no effect, which is a failed read.
* **Durable.** No field is volatile: a process crash or a power loss on the broker's
  machine leaves the store as it was (``on_crash`` and ``on_power_loss`` do nothing).
* **Misuse is an error of the design, not of the store.** Appending to a complete
  object or completing a missing one raises :class:`RemoteStoreError`, which the
  checker reports as a violation with a trace, as it would be a bug to find.

Reads for properties go through :meth:`RemoteStore.stored`, which is not a request
and cannot fail; design code must use :meth:`RemoteStore.read`, which can.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from lifecheck import Component, FrozenMap, ModelError, durable, fault


class RemoteStoreError(Exception):
    """A request the store refuses because the design used it wrongly."""


@dataclass(frozen=True)
class RemoteObject:
    """What the store holds under one key: the data so far, whether it is complete, and
    the request ids of the appends it applied (its idempotency keys)."""

    data: tuple = ()
    complete: bool = False
    applied: frozenset = frozenset()

    def __repr__(self) -> str:
        ids = f" applied={sorted(self.applied, key=repr)!r}" if self.applied else ""
        return f"{self.data!r}{' complete' if self.complete else ' open'}{ids}"


class RemoteStore(Component):
    """An object store shared by every process; each request may fail (``fault(kind)``)."""

    objects = durable(FrozenMap(), "key -> RemoteObject; nothing on the broker's machine touches it")

    def __init__(self, kind: str = "remote", timeout: str | None = None) -> None:
        """``kind`` names the fault budget its requests draw on (``Fail(kind=kind, max=N)``);
        ``timeout``, if given, the budget of writes that time out after taking effect
        (its own ``Fail(kind=timeout, max=N)``), kept apart so a spec can allow one
        without the other."""
        if timeout is not None and timeout == kind:
            raise ModelError(f"RemoteStore(kind={kind!r}, timeout={timeout!r}): a timeout after "
                             "the effect needs a fault kind of its own, so that a spec budgets "
                             "the two outcomes apart")
        self.kind = kind
        self.timeout = timeout

    # -- requests (each one may fail) ----------------------------------------------------
    def put(self, key: str, data: tuple, *, complete: bool = False) -> bool:
        """Create or replace the object whole; it is complete only if ``complete`` says so.

        Replacing is how a writer that lost track of a partial upload (it crashed)
        starts the object afresh.
        """
        if self._failed():
            return False
        self.objects = self.objects.set(key, RemoteObject(tuple(data), complete))
        return not self._timed_out("put")

    def append(self, key: str, data: tuple, *, request_id: Any = None) -> bool:
        """Append one part to the object, creating it (incomplete) when absent.

        With a ``request_id`` (an idempotency key) the store applies the append at most
        once: a repeat of an id the object has applied succeeds and appends nothing, as
        an API with an Idempotency-Key header or Kafka's idempotent producer does. That
        is what makes re-sending after a timeout safe.
        """
        if self._failed():
            return False
        current = self.objects.get(key, RemoteObject())
        if current.complete:
            raise RemoteStoreError(f"append to {key!r}, which is already complete")
        if request_id is None:
            self.objects = self.objects.set(key, RemoteObject(current.data + tuple(data),
                                                              applied=current.applied))
        elif request_id not in current.applied:
            self.objects = self.objects.set(key, RemoteObject(
                current.data + tuple(data), applied=current.applied | {request_id}))
        return not self._timed_out("append")

    def complete(self, key: str) -> bool:
        """Record in the object's metadata that it is complete (seal the upload)."""
        if self._failed():
            return False
        current = self.objects.get(key)
        if current is None:
            raise RemoteStoreError(f"complete {key!r}, which does not exist")
        if not current.complete:
            self.objects = self.objects.set(key, RemoteObject(current.data, True, current.applied))
        return not self._timed_out("complete")

    def read(self, key: str) -> tuple[bool, RemoteObject | None]:
        """``(ok, object)``: on success the object, or None when there is no such key."""
        if self._failed():
            return False, None
        return True, self.objects.get(key)

    def exists(self, key: str) -> tuple[bool, bool]:
        """``(ok, exists)``: a metadata request (HEAD)."""
        if self._failed():
            return False, False
        return True, key in self.objects

    def delete(self, key: str) -> bool:
        """Delete the object; deleting a missing key succeeds, as on S3."""
        if self._failed():
            return False
        if key in self.objects:
            self.objects = self.objects.remove(key)
        return not self._timed_out("delete")

    # -- for properties: what the store holds, without a request ------------------------
    def stored(self, key: str) -> RemoteObject | None:
        """The object under ``key`` as the store holds it now (not a request: never fails)."""
        return self.objects.get(key)

    def holds(self, key: str, item: Any, *, complete_only: bool = False) -> bool:
        """Whether ``item`` is in the object's data (and, if asked, the object is complete)."""
        obj = self.objects.get(key)
        return obj is not None and item in obj.data and (obj.complete or not complete_only)

    # -- faults ---------------------------------------------------------------------------
    def on_crash(self, process: str) -> None:
        """A crashed client changes nothing in the store."""

    def on_power_loss(self) -> None:
        """The store is not on the machine that lost power."""

    def _failed(self) -> bool:
        return fault(self.kind)

    def _timed_out(self, request: str) -> bool:
        """After the effect: whether the caller's request times out all the same."""
        if self.timeout is None:
            return False
        return fault(self.timeout, label=timed_out_label(self.name, request, self.timeout))


def timed_out_label(component: str, request: str, kind: str) -> str:
    """How a trace says that a call took effect and its caller saw a timeout."""
    return f"{component}.{request} timed out after taking effect ({kind})"
