"""An object store in a local directory that can be told to fail requests.

It stands in for the object storage behind tiered storage (S3, OSS): one file
per object, appended part by part, and a ``.complete`` file beside an object
whose upload was sealed. What it offers a test is the one thing a real store
does without being asked: fail a request. :meth:`DiskObjectStore.fail_next`
makes the next requests raise :class:`StoreUnavailable`, as a throttled or
unreachable store would; a failed request changes nothing.
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from pathlib import Path

COMPLETE = ".complete"


class StoreUnavailable(Exception):
    """The request failed (a 503, a timeout before it was applied)."""


class DiskObjectStore:
    """Objects under ``root``: ``root/<key>`` holds one item per line."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self.root.mkdir(parents=True, exist_ok=True)
        self._failures = 0
        self.requests = 0

    # -- failure injection ----------------------------------------------------------------
    def fail_next(self, count: int = 1) -> None:
        """The next ``count`` requests fail."""
        self._failures += count

    @property
    def failures_armed(self) -> int:
        """Failures asked for that no request has used up yet."""
        return self._failures

    def _request(self, what: str) -> None:
        self.requests += 1
        if self._failures:
            self._failures -= 1
            raise StoreUnavailable(f"{what}: service unavailable")

    # -- requests -------------------------------------------------------------------------
    def append(self, key: str, items: Sequence[bytes]) -> None:
        """Append items to the object, creating it when absent; refused once it is complete."""
        self._request(f"append {key}")
        if (self.root / (key + COMPLETE)).exists():
            raise ValueError(f"append to {key!r}, which is already complete")
        with open(self.root / key, "ab") as f:
            f.write(b"".join(item + b"\n" for item in items))
            f.flush()
            os.fsync(f.fileno())

    def complete(self, key: str) -> None:
        """Seal the object: readers may trust it is whole."""
        self._request(f"complete {key}")
        if not (self.root / key).exists():
            raise FileNotFoundError(key)
        (self.root / (key + COMPLETE)).touch()

    def read(self, key: str) -> list[bytes] | None:
        """The object's items, or None when there is no such object."""
        self._request(f"read {key}")
        return self.contents(key)

    # -- for observers: what the store holds, without a request ------------------------------
    def contents(self, key: str) -> list[bytes] | None:
        path = self.root / key
        if not path.exists():
            return None
        return path.read_bytes().splitlines()

    def is_complete(self, key: str) -> bool:
        return (self.root / (key + COMPLETE)).exists()

    def object_keys(self) -> list[str]:
        return sorted(p.name for p in self.root.iterdir() if not p.name.endswith(COMPLETE))
