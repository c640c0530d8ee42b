"""Flat, fixed-size structures for memories that grow with every article of a run.

A Python dict entry costs ~100 bytes with its key and value objects, and a str ~50 bytes
before its text; these keep the same facts in ``array`` / ``bytearray`` buffers, with no
object per entry (used by :mod:`newscrawl.dedupe`).
"""

from __future__ import annotations

import hashlib
import zlib
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
    """Append-only strings, without an object per string: their UTF-8 text in blocks of
    :attr:`BLOCK` strings, each block zlib-compressed once full, and a 4-byte end offset
    per string. URLs share most of their text (scheme, host, date folders, slug words):
    the demo catalogue's, 110 bytes on average, took 17-23 bytes each so; 46 real
    article URLs of 16 publishers, all in one block, 50 of their 104. :meth:`append`
    returns the index to read a string back with; reading one from a full block
    decompresses that block (the last one read is kept)."""

    BLOCK = 256

    def __init__(self) -> None:
        self._blocks: list[bytes] = []
        self._open = bytearray()
        self._ends = array("I")
        self._last: tuple[int, bytes] = (-1, b"")

    def append(self, text: str) -> int:
        self._open += text.encode()
        self._ends.append(len(self._open))
        if len(self._ends) % self.BLOCK == 0:
            self._blocks.append(zlib.compress(self._open))
            self._open = bytearray()
        return len(self._ends) - 1

    def __getitem__(self, index: int) -> str:
        if not 0 <= index < len(self._ends):
            raise IndexError(index)
        block, position = divmod(index, self.BLOCK)
        start = self._ends[index - 1] if position else 0
        return bytes(self._block(block)[start : self._ends[index]]).decode()

    def _block(self, block: int) -> bytes | bytearray:
        if block == len(self._blocks):
            return self._open
        if self._last[0] != block:
            self._last = (block, zlib.decompress(self._blocks[block]))
        return self._last[1]

    def __len__(self) -> int:
        return len(self._ends)
