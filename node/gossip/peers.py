"""Peer scores, back-off and rate limits (``specs/gossip.md`` §5).

A peer is its node's did:key (every gossip message is signed by it), so a score follows a
node across addresses and reconnects; a peer we dialled but have not heard from yet is
known by its address until its first signed answer binds the two. Misbehaviour costs
score (:data:`PENALTIES`); useful exchanges earn a little back. A peer whose score falls
below :data:`BAN_BELOW` is dropped for a back-off period that doubles with each ban, then
comes back at half that threshold, so it is dropped again quickly if it goes on.
Requests beyond a token bucket per peer are refused and cost score too (a flood).

Records persist through a :class:`PeerStore` (the node's SQLite ``node.db``); the
simulation keeps them in memory.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Final, Protocol

__all__ = ["BAN_BELOW", "PENALTIES", "PeerBook", "PeerRecord", "PeerStore"]

BAN_BELOW: Final = -100.0
MAX_SCORE: Final = 100.0
BACKOFF: Final = 60.0  # seconds of the first ban; each further ban doubles it
MAX_BACKOFF: Final = 24 * 3600.0

#: What each kind of misbehaviour costs.
PENALTIES: Final = {
    "bad-message": 25.0,  # a response that does not decode or verify, or breaks the protocol
    "invalid-entry": 10.0,  # per forged, malformed or forbidden entry relayed
    "bad-proof": 25.0,  # a consistency claim that its own entries disprove
    "own-fork": 200.0,  # the peer signed two histories of its own feed
    "flood": 2.0,  # per request refused by the rate limit
    "unreachable": 10.0,  # per exchange that timed out or was refused
}


@dataclass(slots=True)
class PeerRecord:
    peer: str  # did:key, or the address of a peer not heard from yet
    address: str | None = None
    score: float = 0.0
    banned_until: float = 0.0
    bans: int = 0
    last_seen: float = 0.0
    last_reason: str = ""
    tokens: float = -1.0  # rate-limit bucket (-1: full)
    tokens_at: float = 0.0

    def to_json(self, now: float) -> dict[str, object]:
        return {
            "peer": self.peer,
            "address": self.address,
            "score": round(self.score, 2),
            "banned": self.banned_until > now,
            "banned_until": self.banned_until or None,
            "bans": self.bans,
            "last_seen": self.last_seen or None,
            "last_reason": self.last_reason or None,
        }


class PeerStore(Protocol):
    def load(self) -> Iterable[PeerRecord]: ...

    def save(self, record: PeerRecord) -> None: ...


class PeerBook:
    """Every peer this node knows, with its score, ban and rate-limit state."""

    def __init__(
        self,
        store: PeerStore | None = None,
        *,
        clock: Callable[[], float],
        rate: float = 20.0,
        burst: float = 60.0,
    ) -> None:
        self._store = store
        self._clock = clock
        self.rate = rate
        self.burst = burst
        self._records: dict[str, PeerRecord] = {}
        self._by_address: dict[str, str] = {}
        for record in store.load() if store is not None else ():
            self._records[record.peer] = record
            if record.address:
                self._by_address[record.address] = record.peer

    def records(self) -> list[PeerRecord]:
        return sorted(self._records.values(), key=lambda r: (r.address or "", r.peer))

    def get(self, peer: str) -> PeerRecord:
        record = self._records.get(peer)
        if record is None:
            record = self._records[peer] = PeerRecord(peer)
        return record

    def peer_at(self, address: str) -> str:
        """The peer known at ``address`` (its did:key once bound, else the address)."""
        return self._by_address.get(address, address)

    def bind(self, address: str, did: str) -> None:
        """``address`` answered, signed by ``did``: the score of the address, if any,
        becomes the node's."""
        previous = self._by_address.get(address)
        if previous == did:
            return
        record = self.get(did)
        if previous == address and address in self._records:
            stray = self._records.pop(address)
            record.score = min(record.score, stray.score)
            record.banned_until = max(record.banned_until, stray.banned_until)
        record.address = address
        self._by_address[address] = did
        self._save(record)

    def banned(self, peer: str) -> bool:
        record = self._records.get(peer)
        return record is not None and record.banned_until > self._clock()

    def candidates(self, addresses: Iterable[str]) -> list[str]:
        """The addresses whose peers are not banned now."""
        return [a for a in addresses if not self.banned(self.peer_at(a))]

    def penalize(self, peer: str, reason: str, times: int = 1) -> None:
        record = self.get(peer)
        record.score -= PENALTIES[reason] * times
        record.last_reason = reason
        now = self._clock()
        if record.score < BAN_BELOW and record.banned_until <= now:
            record.banned_until = now + min(BACKOFF * 2**record.bans, MAX_BACKOFF)
            record.bans += 1
            record.score = BAN_BELOW / 2
        self._save(record)

    def reward(self, peer: str, amount: float = 1.0) -> None:
        record = self.get(peer)
        record.score = min(MAX_SCORE, record.score + amount)
        record.last_seen = self._clock()
        self._save(record)

    def allow(self, peer: str) -> bool:
        """Take a token from ``peer``'s bucket; a request beyond it is a flood."""
        record = self.get(peer)
        now = self._clock()
        if record.tokens < 0:
            record.tokens, record.tokens_at = self.burst, now
        record.tokens = min(self.burst, record.tokens + (now - record.tokens_at) * self.rate)
        record.tokens_at = now
        if record.tokens < 1:
            self.penalize(peer, "flood")
            return False
        record.tokens -= 1
        return True

    def _save(self, record: PeerRecord) -> None:
        if self._store is not None:
            self._store.save(record)
