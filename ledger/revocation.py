"""Revocation state: a CRDT over status entries (``specs/ledger.md`` §5).

The state is the set of status events seen, each an immutable fact
``(author, seq, kind, list, index, credential)`` taken from a verified entry. Merging two
states is set union, so merging is commutative, associative and idempotent, and delivering
entries in any order, any number of times, gives the same state (property-tested).

What a state *says* about a credential is a pure function of the set, evaluated only on
the events of the list's owner (the credential's issuer): an entry by anyone else has no
effect, so nobody changes another issuer's statuses.

* revoked — if the owner ever revoked it (revocation is final);
* suspended — otherwise, if the owner's latest suspension or unsuspension of it (by feed
  sequence number, a total order within one feed) is a suspension;
* valid — otherwise.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Literal

from .entries import STATUS_KINDS, Entry

__all__ = ["RevocationState", "Status", "StatusEvent"]

Status = Literal["valid", "revoked", "suspended"]


@dataclass(frozen=True, slots=True, order=True)
class StatusEvent:
    author: str
    seq: int
    kind: str
    list: str
    index: int
    credential: bytes

    @classmethod
    def from_entry(cls, entry: Entry) -> StatusEvent:
        if entry.kind not in STATUS_KINDS:
            raise ValueError(f"a {entry.kind} entry is not a status event")
        return cls(
            author=entry.author,
            seq=entry.seq,
            kind=entry.kind,
            list=str(entry.body["list"]),
            index=int(entry.body["index"]),
            credential=bytes(entry.body["credential"]),
        )


@dataclass(frozen=True, slots=True)
class RevocationState:
    """An immutable set of status events; :meth:`merge` is the CRDT join."""

    events: frozenset[StatusEvent] = frozenset()

    @classmethod
    def of(cls, entries: Iterable[Entry]) -> RevocationState:
        return cls(frozenset(StatusEvent.from_entry(e) for e in entries if e.kind in STATUS_KINDS))

    def merge(self, other: RevocationState) -> RevocationState:
        return RevocationState(self.events | other.events)

    def add(self, entry: Entry) -> RevocationState:
        if entry.kind not in STATUS_KINDS:
            return self
        return RevocationState(self.events | {StatusEvent.from_entry(entry)})

    def status(self, issuer: str, list_id: str, index: int) -> Status:
        """The status of list ``list_id``'s entry ``index``, as its owner ``issuer`` set it."""
        mine = [
            e for e in self.events if e.author == issuer and e.list == list_id and e.index == index
        ]
        return _fold(mine)

    def status_of_credential(self, issuer: str, digest: bytes) -> Status:
        """The status of a credential by digest, as its issuer set it."""
        return _fold([e for e in self.events if e.author == issuer and e.credential == digest])

    def list_bits(self, issuer: str, list_id: str) -> dict[int, Status]:
        """Every index of a list that is not valid, with its status."""
        indices = {e.index for e in self.events if e.author == issuer and e.list == list_id}
        result = {i: self.status(issuer, list_id, i) for i in indices}
        return {i: s for i, s in result.items() if s != "valid"}


def _fold(events: list[StatusEvent]) -> Status:
    if any(e.kind == "revocation" for e in events):
        return "revoked"
    toggles = [e for e in events if e.kind in ("suspension", "unsuspension")]
    if toggles and max(toggles, key=lambda e: e.seq).kind == "suspension":
        return "suspended"
    return "valid"
