"""What gossip needs of a node's ledger (:class:`Replica`), over the home's SQLite ledger
(:class:`StoreReplica`).

The simulation's in-memory ledger is :class:`node.gossip.memory.MemoryReplica`; both admit
entries under the same rules (:mod:`ledger.feed`), both verify every signature.
"""

from __future__ import annotations

import threading
from collections.abc import Iterable, Sequence
from typing import Protocol

from ledger import merkle
from ledger.entries import Entry
from ledger.errors import EncodingError, ForkError, LedgerError
from ledger.store import IngestReport, LedgerStore

from .index import Head, HeadIndex

__all__ = ["Replica", "StoreReplica"]


class Replica(Protocol):
    """A node's ledger as the gossip engine uses it."""

    def index(self) -> HeadIndex:
        """The current heads (picking up what other writers stored since last asked)."""
        ...

    def entries(self, author: str, start: int, end: int) -> list[bytes]: ...

    def checkpoint(self, author: str) -> bytes | None:
        """The author's latest signed checkpoint this replica holds."""
        ...

    def consistency(self, author: str, old_size: int, new_size: int) -> list[bytes]: ...

    def root_at(self, author: str, size: int) -> bytes:
        """The root of the author's feed cut at ``size`` entries."""
        ...

    def fork_proof(self, author: str) -> bytes | None: ...

    def ingest(
        self, entries: Sequence[bytes], checkpoints: Sequence[bytes], forks: Sequence[bytes]
    ) -> IngestReport:
        """Verify and store (fork proofs first); refusals are reported, never raised."""
        ...


class StoreReplica:
    """A :class:`LedgerStore` as a gossip replica.

    The head index is built from the ``feeds`` table and kept in step with this
    connection's own ingests; when another process commits to the database (``musette
    revoke`` in the same home while the node serves), SQLite's ``data_version`` changes
    and the index is rebuilt. All access goes through one lock: the HTTP handlers and the
    gossip loop share the connection.
    """

    def __init__(self, store: LedgerStore) -> None:
        self.store = store
        self.lock = threading.RLock()
        self._index: HeadIndex | None = None
        self._version = -1

    def index(self) -> HeadIndex:
        with self.lock:
            version = self.store.data_version()
            if self._index is None or version != self._version:
                self._index = self._build()
                self._version = version
            return self._index

    def _build(self) -> HeadIndex:
        forked = {r[0] for r in self.store.db.conn.execute("SELECT author FROM forks")}
        heads = [Head(a, forked=True) for a in forked]
        heads += [Head(a, n, r) for a, n, r in self.store.heads() if a not in forked]
        return HeadIndex(heads)

    def wrote(self, authors: Iterable[str]) -> None:
        """This connection appended to these feeds (SQLite's data_version does not
        change for a connection's own writes): bring their heads up to date."""
        with self.lock:
            self._update(authors)

    def _update(self, authors: Iterable[str]) -> None:
        index = self.index()
        for author in authors:
            if self.store.fork_proof(author) is not None:
                index.set(Head(author, forked=True))
                continue
            size = self.store.head(author).size
            if size:
                index.set(Head(author, size, self.store.root(author)))

    def entries(self, author: str, start: int, end: int) -> list[bytes]:
        with self.lock:
            return self.store.signed_entries(author, start, end)

    def checkpoint(self, author: str) -> bytes | None:
        with self.lock:
            held = self.store.checkpoint(author)
            return held.signed if held else None

    def consistency(self, author: str, old_size: int, new_size: int) -> list[bytes]:
        with self.lock:
            return merkle.consistency_proof(self.store.leaf_hashes(author, new_size), old_size)

    def root_at(self, author: str, size: int) -> bytes:
        with self.lock:
            return merkle.root(self.store.leaf_hashes(author, size))

    def fork_proof(self, author: str) -> bytes | None:
        with self.lock:
            return self.store.fork_proof(author)

    def ingest(
        self, entries: Sequence[bytes], checkpoints: Sequence[bytes], forks: Sequence[bytes]
    ) -> IngestReport:
        with self.lock:
            report = IngestReport()
            touched: set[str] = set()
            for data in forks:
                try:
                    proof = self.store.add_fork(data)
                except (EncodingError, ForkError) as e:
                    report.refused.append(f"fork proof refused: {e}")
                    report.invalid += 1
                    continue
                report.forks.append(proof)
                touched.add(proof.author)
            if entries or checkpoints:
                stored = self.store.ingest(entries, checkpoints)
                report.stored += stored.stored
                report.known += stored.known
                report.invalid += stored.invalid
                report.refused += stored.refused
                report.forks += stored.forks
                touched |= {p.author for p in stored.forks}
                if stored.stored:
                    touched |= {a for a in map(_author_of, entries) if a is not None}
            self._update(touched)
            self._version = self.store.data_version()
            return report


def _author_of(data: bytes) -> str | None:
    try:
        return Entry.from_bytes(data, verify=False).author
    except LedgerError:
        return None
