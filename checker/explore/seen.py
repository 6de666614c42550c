"""A compact seen-set of 64-bit fingerprints, for runs too large to keep every state.

An open-addressing table in a flat array of unsigned 64-bit words (linear
probing, at most half full): 8 bytes per slot, so at most 16 bytes per stored
fingerprint, against a few hundred for a state kept in a dictionary. Zero marks an
empty slot, so a fingerprint of zero is stored as one (a 2^-64 event folded into
another 2^-64 event).

A fingerprint is a hash, so two different states can share one and the second
would be missed. With n states the chance that any two collide is about
n^2 / 2^65: for a million states, 3 in 10^8. The explorer reports that figure,
as TLC does; runs that must be exact keep states (the default).
"""

from __future__ import annotations

from array import array

_EMPTY = 0


class FingerprintTable:
    __slots__ = ("_mask", "_slots", "count")

    def __init__(self, capacity: int = 1 << 8) -> None:
        size = 1
        while size < capacity:
            size <<= 1
        self._slots = array("Q", bytes(8 * size))
        self._mask = size - 1
        self.count = 0

    def add(self, fp: int) -> bool:
        """Insert ``fp``; True when it was not there yet."""
        fp, i = self._probe(fp)
        if self._slots[i] == fp:
            return False
        self._slots[i] = fp
        self.count += 1
        if self.count * 2 > self._mask:
            self._grow()
        return True

    def __contains__(self, fp: int) -> bool:
        fp, i = self._probe(fp)
        return self._slots[i] == fp

    def _probe(self, fp: int) -> tuple[int, int]:
        """The stored form of ``fp`` and the slot that holds it or would (linear probing)."""
        fp &= 0xFFFFFFFFFFFFFFFF
        if fp == _EMPTY:
            fp = 1
        slots, mask = self._slots, self._mask
        i = fp & mask
        while True:
            v = slots[i]
            if v in (_EMPTY, fp):
                return fp, i
            i = (i + 1) & mask

    def __len__(self) -> int:
        return self.count

    @property
    def nbytes(self) -> int:
        return self._slots.itemsize * len(self._slots)

    def _grow(self) -> None:
        old = self._slots
        size = 2 * len(old)
        self._slots = array("Q", bytes(8 * size))
        self._mask = size - 1
        self.count = 0
        for v in old:
            if v != _EMPTY:
                self.add(v)


def collision_probability(states: int) -> float:
    """The chance that some two of ``states`` distinct states share a 64-bit fingerprint."""
    return min(1.0, states * (states - 1) / 2 / 2.0**64)
