"""Fork proofs: evidence, checkable offline by anyone, that an author signed two
histories that cannot both be true (``specs/ledger.md`` §6).

Three forms, each made only of the author's own signatures:

* ``equivocation`` — two different signed entries with the same author and ``seq``;
* ``checkpoints`` — two signed checkpoints with the same size and different roots;
* ``entries`` — a signed checkpoint and the author's signed, hash-chained entries up to
  its size, whose Merkle root is not the checkpoint's root.

A verified fork proof zeroes its author's trust (the trust issue) and spreads first in
gossip (the node issue).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Final

from . import encoding, merkle
from .entries import FORMAT_VERSION, Checkpoint, Entry
from .errors import EncodingError, ForkError, LedgerError

__all__ = ["ForkProof"]

VARIANTS: Final = ("equivocation", "checkpoints", "entries")


@dataclass(frozen=True, slots=True)
class ForkProof:
    variant: str
    author: str
    first: bytes
    second: tuple[bytes, ...]

    @classmethod
    def equivocation(cls, one: bytes, other: bytes) -> ForkProof:
        proof = cls("equivocation", Entry.from_bytes(one).author, one, (other,))
        proof.verify()
        return proof

    @classmethod
    def checkpoints(cls, one: bytes, other: bytes) -> ForkProof:
        proof = cls("checkpoints", Checkpoint.from_bytes(one).author, one, (other,))
        proof.verify()
        return proof

    @classmethod
    def against_entries(cls, checkpoint: bytes, entries: Sequence[bytes]) -> ForkProof:
        proof = cls("entries", Checkpoint.from_bytes(checkpoint).author, checkpoint, tuple(entries))
        proof.verify()
        return proof

    def verify(self) -> None:
        """Raise ForkError unless this is a valid proof that ``author`` forked."""
        try:
            self._verify()
        except ForkError:
            raise
        except LedgerError as e:
            raise ForkError(f"not a fork proof: {e}") from e

    def _verify(self) -> None:
        if self.variant == "equivocation":
            a, b = Entry.from_bytes(self.first), Entry.from_bytes(self.second[0])
            if a.author != self.author or b.author != self.author or a.seq != b.seq:
                raise ForkError("not a fork proof: the entries are not one author's same position")
            if a.signed == b.signed:
                raise ForkError("not a fork proof: the two entries are the same")
        elif self.variant == "checkpoints":
            a_cp, b_cp = Checkpoint.from_bytes(self.first), Checkpoint.from_bytes(self.second[0])
            if {a_cp.author, b_cp.author} != {self.author} or a_cp.size != b_cp.size:
                raise ForkError("not a fork proof: checkpoints of different authors or sizes")
            if a_cp.root == b_cp.root:
                raise ForkError("not a fork proof: the checkpoints agree")
        elif self.variant == "entries":
            checkpoint = Checkpoint.from_bytes(self.first)
            if checkpoint.author != self.author or len(self.second) != checkpoint.size:
                raise ForkError("not a fork proof: entries do not cover the checkpoint's size")
            previous: bytes | None = None
            for seq, data in enumerate(self.second):
                entry = Entry.from_bytes(data)
                if entry.author != self.author or entry.seq != seq or entry.prev != previous:
                    raise ForkError("not a fork proof: the entries are not one author's chain")
                previous = entry.hash
            if merkle.root([merkle.leaf_hash(d) for d in self.second]) == checkpoint.root:
                raise ForkError("not a fork proof: the entries agree with the checkpoint")
        else:
            raise ForkError(f"unknown fork proof variant {self.variant!r}")

    def to_bytes(self) -> bytes:
        return encoding.encode(
            {
                "v": FORMAT_VERSION,
                "type": "fork",
                "variant": self.variant,
                "author": self.author,
                "first": self.first,
                "second": list(self.second),
            }
        )

    @classmethod
    def from_bytes(cls, data: bytes) -> ForkProof:
        """Parse (not verify: call :meth:`verify`)."""
        value: Any = encoding.decode(data, "fork proof")
        if not isinstance(value, dict) or value.get("type") != "fork":
            raise EncodingError("not a fork proof")
        if value.get("v") != FORMAT_VERSION or value.get("variant") not in VARIANTS:
            raise EncodingError("fork proof of an unknown version or variant")
        second = value.get("second")
        if not isinstance(second, list) or not all(isinstance(x, bytes) for x in second):
            raise EncodingError("fork proof: 'second' must be a list of byte strings")
        first = value.get("first")
        if not isinstance(first, bytes) or not isinstance(value.get("author"), str):
            raise EncodingError("fork proof: malformed")
        return cls(str(value["variant"]), str(value["author"]), first, tuple(second))
