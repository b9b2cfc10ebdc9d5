"""The simulation's ledger and network: real entries, real signatures, no disk, no sockets.

:class:`MemoryReplica` admits entries under the ledger's own rules (``Entry.from_bytes``
verifies each signature, :func:`ledger.feed.admit` decides, ``ForkProof`` records forks)
and keeps feeds in memory; replicas cloned from one template share feeds until they write
(copy on write), so a thousand nodes can start from the same verified ledger.

With ``deferred=True`` a replica applies what it receives only at :meth:`commit` (the end
of a simulated round): every exchange in a round sees the state of the round's start, as
in the synchronous rounds of epidemic theory, and news cannot cross several hops within
one round.

:class:`MemoryNetwork` delivers messages between :class:`~.engine.GossipNode` objects,
losing each message with a given probability, delaying it, and never answering from
silent nodes; it counts messages and bytes.
"""

from __future__ import annotations

import random
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

from ledger import merkle
from ledger.entries import Checkpoint, Entry
from ledger.errors import EncodingError, ForbiddenError, ForkError, LedgerError, SignatureError
from ledger.feed import FeedHead, admit
from ledger.forks import ForkProof
from ledger.store import IngestReport

from .errors import GossipError, RefusedError, TransportError
from .index import Head, HeadIndex

__all__ = ["MemoryNetwork", "MemoryReplica"]


@dataclass(slots=True)
class _Feed:
    entries: list[bytes] = field(default_factory=list)
    last_hash: bytes | None = None
    leaves: list[bytes] = field(default_factory=list)
    frontier: merkle.CompactRange = field(default_factory=merkle.CompactRange)
    accepted: set[bytes] = field(default_factory=set)

    def copy(self) -> _Feed:
        return _Feed(
            list(self.entries),
            self.last_hash,
            list(self.leaves),
            self.frontier.copy(),
            set(self.accepted),
        )


class MemoryReplica:
    """A ledger held in memory, admitting entries under the ledger's rules."""

    def __init__(self, *, deferred: bool = False) -> None:
        self.deferred = deferred
        self._feeds: dict[str, _Feed] = {}
        self._shared: set[str] = set()  # feeds still shared with the template
        self._checkpoints: dict[str, Checkpoint] = {}
        self._forks: dict[str, bytes] = {}
        self._index = HeadIndex()
        self._pending: list[tuple[Sequence[bytes], Sequence[bytes], Sequence[bytes]]] = []

    def clone(self, *, deferred: bool | None = None) -> MemoryReplica:
        other = MemoryReplica(deferred=self.deferred if deferred is None else deferred)
        other._feeds = dict(self._feeds)
        other._shared = set(self._feeds)
        other._checkpoints = dict(self._checkpoints)
        other._forks = dict(self._forks)
        other._index = self._index.copy()
        return other

    def entry_count(self) -> int:
        return sum(len(f.entries) for f in self._feeds.values())

    def holds(self, author: str, signed: bytes) -> bool:
        feed = self._feeds.get(author)
        return feed is not None and signed in feed.entries

    # -- Replica ----------------------------------------------------------------------------

    def index(self) -> HeadIndex:
        return self._index

    def entries(self, author: str, start: int, end: int) -> list[bytes]:
        feed = self._feeds.get(author)
        return feed.entries[start:end] if feed else []

    def checkpoint(self, author: str) -> bytes | None:
        held = self._checkpoints.get(author)
        return held.signed if held else None

    def consistency(self, author: str, old_size: int, new_size: int) -> list[bytes]:
        return merkle.consistency_proof(self._feeds[author].leaves[:new_size], old_size)

    def root_at(self, author: str, size: int) -> bytes:
        feed = self._feeds.get(author)
        return merkle.root(feed.leaves[:size] if feed else [])

    def fork_proof(self, author: str) -> bytes | None:
        return self._forks.get(author)

    def ingest(
        self, entries: Sequence[bytes], checkpoints: Sequence[bytes], forks: Sequence[bytes]
    ) -> IngestReport:
        if not self.deferred:
            return self._apply(entries, checkpoints, forks)
        # Refuse what does not verify now (the sender is scored in this exchange); the
        # rest is admitted at the end of the round.
        report = IngestReport()
        good: list[bytes] = []
        for data in entries:
            try:
                Entry.from_bytes(data)
            except LedgerError as e:
                report.refused.append(f"entry refused: {e}")
                report.invalid += 1
                continue
            good.append(data)
        report.stored = len(good)
        self._pending.append((good, checkpoints, forks))
        return report

    def commit(self) -> IngestReport:
        """Apply what arrived during the round (deferred replicas)."""
        total = IngestReport()
        pending, self._pending = self._pending, []
        for entries, checkpoints, forks in pending:
            report = self._apply(entries, checkpoints, forks)
            total.stored += report.stored
            total.known += report.known
            total.forks += report.forks
            total.refused += report.refused
        return total

    # -- admission, as in ledger.store.LedgerStore.ingest -------------------------------------

    def _feed(self, author: str) -> _Feed:
        feed = self._feeds.get(author)
        if feed is None:
            feed = self._feeds[author] = _Feed()
        elif author in self._shared:
            feed = self._feeds[author] = feed.copy()
            self._shared.discard(author)
        return feed

    def _fork(self, proof: ForkProof, report: IngestReport) -> None:
        if proof.author not in self._forks:
            self._forks[proof.author] = proof.to_bytes()
            self._index.set(Head(proof.author, forked=True))
        report.forks.append(proof)

    def _apply(
        self, entries: Sequence[bytes], checkpoints: Sequence[bytes], forks: Sequence[bytes]
    ) -> IngestReport:
        report = IngestReport()
        for data in forks:
            try:
                proof = ForkProof.from_bytes(data)
                proof.verify()
            except (EncodingError, ForkError) as e:
                report.refused.append(f"fork proof refused: {e}")
                report.invalid += 1
                continue
            self._fork(proof, report)
        blocked: set[str] = set()
        touched: set[str] = set()
        for data in entries:
            try:
                entry = Entry.from_bytes(data)
            except LedgerError as e:
                report.refused.append(f"entry refused: {e}")
                report.invalid += 1
                continue
            author = entry.author
            if author in blocked:
                continue
            feed = self._feed(author)
            if entry.seq < len(feed.entries):
                if feed.entries[entry.seq] == entry.signed:
                    report.known += 1
                else:
                    self._fork(ForkProof.equivocation(feed.entries[entry.seq], data), report)
                    blocked.add(author)
                continue
            try:
                admit(
                    FeedHead(author, len(feed.entries), feed.last_hash),
                    entry,
                    accepted=feed.accepted.__contains__,
                )
            except LedgerError as e:
                report.refused.append(str(e))
                report.invalid += isinstance(e, ForbiddenError)
                blocked.add(author)
                continue
            leaf = merkle.leaf_hash(data)
            held = self._checkpoints.get(author)
            if held is not None and held.size == entry.seq + 1:
                frontier = feed.frontier.copy()
                frontier.append(leaf)
                if frontier.root() != held.root:
                    proof = ForkProof.against_entries(held.signed, [*feed.entries, data])
                    self._fork(proof, report)
                    blocked.add(author)
                    continue
            feed.entries.append(data)
            feed.leaves.append(leaf)
            feed.frontier.append(leaf)
            feed.last_hash = entry.hash
            if entry.kind == "acceptance":
                feed.accepted.add(entry.edge().credential)
            elif entry.kind == "withdrawal":
                feed.accepted.discard(bytes(entry.body["credential"]))
            report.stored += 1
            touched.add(author)
        for data in checkpoints:
            self._checkpoint(data, report)
        for author in touched:
            if author not in self._forks:
                feed = self._feeds[author]
                self._index.set(Head(author, len(feed.entries), feed.frontier.root()))
        return report

    def _checkpoint(self, data: bytes, report: IngestReport) -> None:
        try:
            checkpoint = Checkpoint.from_bytes(data)
        except (EncodingError, SignatureError) as e:
            report.refused.append(f"checkpoint refused: {e}")
            report.invalid += 1
            return
        author = checkpoint.author
        held = self._checkpoints.get(author)
        if held is not None and held.size == checkpoint.size and held.root != checkpoint.root:
            self._fork(ForkProof.checkpoints(held.signed, checkpoint.signed), report)
            return
        feed = self._feeds.get(author)
        if (
            feed is not None
            and checkpoint.size <= len(feed.entries)
            and merkle.root(feed.leaves[: checkpoint.size]) != checkpoint.root
        ):
            entries = feed.entries[: checkpoint.size]
            self._fork(ForkProof.against_entries(checkpoint.signed, entries), report)
            return
        if held is None or checkpoint.size >= held.size:
            self._checkpoints[author] = checkpoint


@dataclass(slots=True)
class NetworkStats:
    messages: int = 0
    lost: int = 0
    bytes: int = 0


class MemoryNetwork:
    """Delivers requests to in-process nodes, with loss, delay and silent nodes."""

    def __init__(
        self,
        rng: random.Random,
        *,
        loss: float = 0.0,
        delay: tuple[float, float] = (0.0, 0.0),
        timeout: float = 1.0,
    ) -> None:
        self.rng = rng
        self.loss = loss
        self.delay = delay
        self.timeout = timeout
        self.handlers: dict[str, Callable[[bytes], bytes]] = {}
        self.silent: set[str] = set()
        self.stats = NetworkStats()

    def register(self, address: str, handler: Callable[[bytes], bytes]) -> None:
        self.handlers[address] = handler

    def _deliver(self, address: str, data: bytes) -> None:
        self.stats.messages += 1
        self.stats.bytes += len(data)
        low, high = self.delay
        late = high > 0 and self.rng.uniform(low, high) > self.timeout
        if address in self.silent or late or self.rng.random() < self.loss:
            self.stats.lost += 1
            raise TransportError(f"no answer from {address}")

    def exchange(self, address: str, request: bytes) -> bytes:
        handler = self.handlers.get(address)
        if handler is None:
            raise TransportError(f"nobody at {address}")
        self._deliver(address, request)
        try:
            response = handler(request)
        except GossipError as e:  # refused (banned, rate-limited, malformed): no answer
            raise RefusedError(f"{address} refused: {e}") from e
        self._deliver(address, response)
        return response
