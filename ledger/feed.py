"""Admission rules: which verified entries a feed takes (``specs/ledger.md`` §4).

Pure: the caller (the store, a node receiving gossip) supplies the feed's current head
and the facts the rules need; this module decides. An entry is admitted only if

1. it is well-formed and signed by its author (done by :meth:`Entry.from_bytes`);
2. it is next in its author's feed: ``seq`` equals the feed's size and ``prev`` is the
   hash of the feed's last entry (a hash chain, so a feed cannot be reordered);
3. it is allowed for that author:
   * an acceptance is written by the subject of the edge it embeds (checked by the body
     parser) and accepts a credential not already accepted in this feed;
   * a withdrawal withdraws a credential this author accepted and has not withdrawn;
   * a revocation, suspension or unsuspension names a status list of the author's own
     (the list id names its issuer's did:key, :func:`ledger.statuslist.list_owner`) —
     nobody changes the status of another issuer's credential;
4. a feed whose author signed a checkpoint must reach that checkpoint's root when it
   reaches its size (checked by the store, which holds the Merkle state).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from .entries import STATUS_KINDS, Entry
from .errors import ForbiddenError, SequenceError, StatusListError
from .statuslist import list_owner

__all__ = ["FeedHead", "admit"]


@dataclass(frozen=True, slots=True)
class FeedHead:
    """Where a feed stands: its author, how many entries it has, its last entry's hash."""

    author: str
    size: int
    last_hash: bytes | None


def admit(
    head: FeedHead,
    entry: Entry,
    *,
    accepted: Callable[[bytes], bool],
) -> None:
    """Raise SequenceError or ForbiddenError unless ``entry`` may extend ``head``.

    ``accepted(digest)`` says whether this feed currently holds an acceptance of that
    credential (accepted and not withdrawn).
    """
    if entry.author != head.author:
        raise ForbiddenError(f"entry by {entry.author} offered to the feed of {head.author}")
    if entry.seq != head.size:
        raise SequenceError(
            f"entry {entry.seq} of {entry.author} is out of sequence: the feed has {head.size}"
        )
    if entry.prev != head.last_hash:
        raise SequenceError(
            f"entry {entry.seq} of {entry.author} does not chain to entry {entry.seq - 1}"
        )
    if entry.kind == "acceptance":
        digest = entry.edge().credential
        if accepted(digest):
            raise ForbiddenError("this credential is already accepted in this feed")
    elif entry.kind == "withdrawal":
        if not accepted(bytes(entry.body["credential"])):
            raise ForbiddenError("a withdrawal must name a credential this author accepted")
    elif entry.kind in STATUS_KINDS:
        try:
            owner = list_owner(str(entry.body["list"]))
        except StatusListError as e:
            raise ForbiddenError(str(e)) from e
        if owner != entry.author:
            raise ForbiddenError(
                f"{entry.author} cannot change the status of a credential on {owner}'s list"
            )
