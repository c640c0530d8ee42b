"""Flat, fixed-size structures for memories that grow with every article of a run.

A Python dict entry costs ~100 bytes with its key and value objects, and a str ~50 bytes
before its text; these keep the same facts in ``array`` / ``bytearray`` buffers, with no
object per entry (used by :mod:`newscrawl.dedupe`).
"""

from __future__ import annotations

import hashlib
from array import array


def digest64(text: str) -> int:
    """A 64-bit digest of ``text`` (never 0: :class:`DigestMap` keeps 0 for "empty")."""
    value = int.from_bytes(hashlib.blake2b(text.encode(), digest_size=8).digest(), "big")
    return value or 1


class DigestMap:
    """A map from 64-bit digests to indexes (below 2**32), in two flat arrays: open
    addressing with linear probing, 12 bytes a slot, at most 2/3 of the slots used.

    The keys are digests, so their low bits are already uniform: they pick the slot as
    they are. Key 0 marks an empty slot (:func:`digest64` never returns it)."""

    def __init__(self, capacity: int = 1024) -> None:
        self._keys = array("Q", bytes(8 * capacity))
        self._values = array("I", bytes(4 * capacity))
        self._used = 0

    def _slot(self, key: int) -> int:
        keys = self._keys
        mask = len(keys) - 1
        slot = key & mask
        while True:
            found = keys[slot]
            if found == key or found == 0:
                return slot
            slot = (slot + 1) & mask

    def get(self, key: int) -> int | None:
        """The index stored under ``key``, or None."""
        slot = self._slot(key)
        return self._values[slot] if self._keys[slot] else None

    def __setitem__(self, key: int, value: int) -> None:
        slot = self._slot(key)
        if not self._keys[slot]:
            self._keys[slot] = key
            self._used += 1
        self._values[slot] = value
        if 3 * self._used > 2 * len(self._keys):
            self._grow()

    def __len__(self) -> int:
        return self._used

    def _grow(self) -> None:
        keys, values = self._keys, self._values
        capacity = 2 * len(keys)
        self._keys = array("Q", bytes(8 * capacity))
        self._values = array("I", bytes(4 * capacity))
        for key, value in zip(keys, values, strict=True):
            if key:
                slot = self._slot(key)
                self._keys[slot] = key
                self._values[slot] = value


class StringLog:
    """Append-only strings in one ``bytearray`` (their UTF-8 text and an 8-byte end
    offset each, no object per string); :meth:`append` returns the index to read one
    back with."""

    def __init__(self) -> None:
        self._text = bytearray()
        self._ends = array("Q")

    def append(self, text: str) -> int:
        self._text += text.encode()
        self._ends.append(len(self._text))
        return len(self._ends) - 1

    def __getitem__(self, index: int) -> str:
        start = self._ends[index - 1] if index else 0
        return self._text[start : self._ends[index]].decode()

    def __len__(self) -> int:
        return len(self._ends)
