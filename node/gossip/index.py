"""The head index: every feed's head, and fingerprints of key ranges of them
(``specs/gossip.md`` §2).

A node's gossip state is the set of its feeds' heads ``(author, size, root)``, plus a
"forked" mark for each author it holds a fork proof against (nodes may hold different
histories of a forked author; the mark is the same everywhere, so they still converge).
Each head is placed at the key ``SHA-256(author)`` (hex), so ranges are hex prefixes both
sides compute alike. A range's fingerprint is ``SHA-256("musette-fp/1" ‖ count ‖ sum of
the item hashes mod 2^256)``, cut to 16 bytes: adding or changing one head updates the
sums of its prefixes without re-reading the others, and two sets with equal fingerprints
are equal (short of a SHA-256 collision found by the owner of both). The empty range's
fingerprint is the empty string.
"""

from __future__ import annotations

import bisect
import hashlib
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from typing import Final

__all__ = ["FANOUT", "MAX_DEPTH", "Head", "HeadIndex", "key_of"]

FANOUT: Final = 16  # a range splits into the 16 hex digits that follow its prefix
MAX_DEPTH: Final = 16  # prefixes longer than this are never split (keys are 16 hex digits)
_CACHED_DEPTH: Final = 4  # range sums kept for prefixes up to this length; longer: scanned
_MOD: Final = 1 << 256
_HEX: Final = "0123456789abcdef"


def key_of(author: str) -> str:
    return hashlib.sha256(author.encode()).hexdigest()[:MAX_DEPTH]


@dataclass(frozen=True, slots=True)
class Head:
    """One feed's head as gossip sees it; ``forked`` heads carry no size or root."""

    author: str
    size: int = 0
    root: bytes = b""
    forked: bool = False

    @property
    def item_hash(self) -> int:
        data = self.author.encode() + b"\x00"
        data += b"fork" if self.forked else self.size.to_bytes(8, "big") + self.root
        return int.from_bytes(hashlib.sha256(data).digest(), "big")

    def to_wire(self) -> list[object]:
        return [self.author] if self.forked else [self.author, self.size, self.root]


def _fingerprint(count: int, total: int) -> bytes:
    if count == 0:
        return b""
    data = b"musette-fp/1" + count.to_bytes(8, "big") + (total % _MOD).to_bytes(32, "big")
    return hashlib.sha256(data).digest()[:16]


class HeadIndex:
    """The heads of a replica, with range fingerprints kept up to date on every change."""

    __slots__ = ("_heads", "_keys", "_sums")

    def __init__(self, heads: Iterable[Head] = ()) -> None:
        self._heads: dict[str, tuple[str, int, Head]] = {}
        self._keys: list[tuple[str, str]] = []  # sorted (key, author)
        self._sums: dict[str, list[int]] = {}  # prefix -> [sum, count], len(prefix) ≤ 4
        rows = []
        for head in heads:
            key, item = key_of(head.author), head.item_hash
            self._heads[head.author] = (key, item, head)
            rows.append((key, head.author))
            self._add_sums(key, item, 1)
        self._keys = sorted(rows)

    def __len__(self) -> int:
        return len(self._heads)

    def __iter__(self) -> Iterator[Head]:
        return (h for _, _, h in self._heads.values())

    def copy(self) -> HeadIndex:
        other = HeadIndex.__new__(HeadIndex)
        other._heads = dict(self._heads)
        other._keys = list(self._keys)
        other._sums = {k: list(v) for k, v in self._sums.items()}
        return other

    def get(self, author: str) -> Head | None:
        found = self._heads.get(author)
        return found[2] if found else None

    def set(self, head: Head) -> None:
        old = self._heads.get(head.author)
        key, item = key_of(head.author), head.item_hash
        if old is not None:
            if old[2] == head:
                return
            self._add_sums(key, old[1], -1)
        else:
            bisect.insort(self._keys, (key, head.author))
        self._heads[head.author] = (key, item, head)
        self._add_sums(key, item, 1)

    def _add_sums(self, key: str, item: int, sign: int) -> None:
        for depth in range(_CACHED_DEPTH + 1):
            cell = self._sums.setdefault(key[:depth], [0, 0])
            cell[0] = (cell[0] + sign * item) % _MOD
            cell[1] += sign
            if cell[1] == 0:
                del self._sums[key[:depth]]

    def _range(self, prefix: str) -> Iterator[tuple[str, int, Head]]:
        start = bisect.bisect_left(self._keys, (prefix, ""))
        for key, author in self._keys[start:]:
            if not key.startswith(prefix):
                break
            yield self._heads[author]

    def count(self, prefix: str = "") -> int:
        if len(prefix) <= _CACHED_DEPTH:
            cell = self._sums.get(prefix)
            return cell[1] if cell else 0
        return sum(1 for _ in self._range(prefix))

    def fingerprint(self, prefix: str = "") -> bytes:
        """The fingerprint of the heads whose key starts with ``prefix``."""
        if len(prefix) <= _CACHED_DEPTH:
            cell = self._sums.get(prefix)
            return _fingerprint(cell[1], cell[0]) if cell else b""
        total = count = 0
        for _, item, _ in self._range(prefix):
            total += item
            count += 1
        return _fingerprint(count, total)

    def children(self, prefix: str) -> list[bytes]:
        """The fingerprints of the 16 ranges that split ``prefix``."""
        return [self.fingerprint(prefix + digit) for digit in _HEX]

    def heads(self, prefix: str = "") -> list[Head]:
        return [head for _, _, head in self._range(prefix)]
