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
  says so by its return value. A real store can also time out *after* applying a
  write; that ambiguous outcome is not modelled (a design that re-sends from its own
  committed position, checked against the object's length, is what handles it).
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

from lifecheck import Component, FrozenMap, durable, fault


class RemoteStoreError(Exception):
    """A request the store refuses because the design used it wrongly."""


@dataclass(frozen=True)
class RemoteObject:
    """What the store holds under one key: the data so far, and whether it is complete."""

    data: tuple = ()
    complete: bool = False

    def __repr__(self) -> str:
        return f"{self.data!r}{' complete' if self.complete else ' open'}"


class RemoteStore(Component):
    """An object store shared by every process; each request may fail (``fault(kind)``)."""

    objects = durable(FrozenMap(), "key -> RemoteObject; nothing on the broker's machine touches it")

    def __init__(self, kind: str = "remote") -> None:
        """``kind`` names the fault budget its requests draw on (``Fail(kind=kind, max=N)``)."""
        self.kind = kind

    # -- requests (each one may fail) ----------------------------------------------------
    def put(self, key: str, data: tuple, *, complete: bool = False) -> bool:
        """Create or replace the object whole; it is complete only if ``complete`` says so.

        Replacing is how a writer that lost track of a partial upload (it crashed)
        starts the object afresh.
        """
        if self._failed():
            return False
        self.objects = self.objects.set(key, RemoteObject(tuple(data), complete))
        return True

    def append(self, key: str, data: tuple) -> bool:
        """Append one part to the object, creating it (incomplete) when absent."""
        if self._failed():
            return False
        current = self.objects.get(key, RemoteObject())
        if current.complete:
            raise RemoteStoreError(f"append to {key!r}, which is already complete")
        self.objects = self.objects.set(key, RemoteObject(current.data + tuple(data)))
        return True

    def complete(self, key: str) -> bool:
        """Record in the object's metadata that it is complete (seal the upload)."""
        if self._failed():
            return False
        current = self.objects.get(key)
        if current is None:
            raise RemoteStoreError(f"complete {key!r}, which does not exist")
        if not current.complete:
            self.objects = self.objects.set(key, RemoteObject(current.data, True))
        return True

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
        return True

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
