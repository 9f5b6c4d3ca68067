"""Pseudonymous ids that are new in every export.

Each export draws a fresh random key (secrets). An id is a keyed permutation (a
four-round Feistel network over 64 bits) of the database id under that key: ids
differ between exports, look random, and are unique within one export by
construction, so no table of every id handed out has to be kept in memory.
The key is never stored, so nobody can map an exported id back to a record.
"""

from __future__ import annotations

import hashlib
import secrets

ROUNDS = 4
HALF = 32
MASK = (1 << HALF) - 1

# One letter per kind, so that an id says which file it belongs to.
PREFIXES = {"participant": "P", "group": "G", "session": "S", "assessment": "A",
            "status": "H"}
ID_PATTERN = "^[A-Z][0-9a-f]{16}$"


class Pseudonyms:
    """Map database ids to this export's pseudonymous ids."""

    def __init__(self, key: bytes | None = None):
        master = key if key is not None else secrets.token_bytes(32)
        # A separate key per kind: equal database ids of two tables get unrelated ids.
        self._keys = {
            kind: hashlib.blake2b(kind.encode(), key=master, digest_size=32).digest()
            for kind in PREFIXES
        }

    def of(self, kind: str, database_id: int) -> str:
        """Return the pseudonymous id of one record of a kind."""
        return PREFIXES[kind] + format(_permute(self._keys[kind], database_id), "016x")


def _round(key: bytes, number: int, half: int) -> int:
    data = bytes((number,)) + half.to_bytes(4, "big")
    return int.from_bytes(hashlib.blake2b(data, key=key, digest_size=4).digest(), "big")


def _permute(key: bytes, value: int) -> int:
    """Return a keyed permutation of a 64-bit number."""
    if not 0 <= value < 1 << (2 * HALF):
        raise ValueError("a database id must fit in 64 bits")
    left, right = value >> HALF, value & MASK
    for number in range(ROUNDS):
        left, right = right, left ^ _round(key, number, right)
    return (left << HALF) | right
