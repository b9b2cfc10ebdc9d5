"""The ledger store: one SQLite database per home (sqlite-utils, WAL, fsync on commit).

Entries are stored as their exact signed bytes. Every append or ingest is one
transaction that checks the admission rules (:mod:`ledger.feed`), stores the entries,
advances the feed's Merkle frontier and (for the home's own feeds) signs a checkpoint; a
crash leaves the feed as it was before or after, never between. ``PRAGMA synchronous=FULL``
makes an acknowledged append durable.

Reads trust what was verified on write. :meth:`LedgerStore.verify_all` re-checks every
signature, the hash chain, the Merkle roots and the checkpoints from disk and reports the
first fault (``musette ledger verify``).

Schema (version :data:`SCHEMA_VERSION`, in table ``meta``; an older home is migrated on
open, a newer one refused):

    entries(author, seq, kind, time, data, leaf, hash, credential)  PK (author, seq)
    feeds(author, size, last_hash, frontier, checkpoint)
    accepted(author, credential)          acceptances in force (derived, for admission)
    forks(author, proof)                  fork evidence against an author
    allocations(list, idx, credential_id) status-list indices handed out by this home
"""

from __future__ import annotations

import os
import sqlite3
import time as _time
from collections.abc import Iterable, Iterator, Mapping
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from random import SystemRandom
from typing import Any, Final

from credentials.keys import KeyPair

from . import merkle
from .entries import Checkpoint, Entry
from .errors import (
    EncodingError,
    ForbiddenError,
    LedgerError,
    ProofError,
    SignatureError,
    StoreError,
)
from .feed import FeedHead, admit
from .forks import ForkProof
from .revocation import RevocationState
from .sqlite import open_database, transaction

__all__ = ["SCHEMA_VERSION", "IngestReport", "LedgerStore"]

SCHEMA_VERSION: Final = 1

_SCHEMA_V1: Final = """
                    CREATE TABLE IF NOT EXISTS entries (
                        author TEXT NOT NULL, seq INTEGER NOT NULL, kind TEXT NOT NULL,
                        time INTEGER NOT NULL, data BLOB NOT NULL, leaf BLOB NOT NULL,
                        hash BLOB NOT NULL, credential BLOB,
                        PRIMARY KEY (author, seq));
                    CREATE INDEX IF NOT EXISTS entries_kind ON entries (kind);
                    CREATE INDEX IF NOT EXISTS entries_credential ON entries (credential);
                    CREATE TABLE IF NOT EXISTS feeds (
                        author TEXT PRIMARY KEY, size INTEGER NOT NULL, last_hash BLOB,
                        frontier BLOB NOT NULL, checkpoint BLOB);
                    CREATE TABLE IF NOT EXISTS accepted (
                        author TEXT NOT NULL, credential BLOB NOT NULL,
                        PRIMARY KEY (author, credential));
                    CREATE TABLE IF NOT EXISTS forks (author TEXT PRIMARY KEY, proof BLOB NOT NULL);
                    CREATE TABLE IF NOT EXISTS allocations (
                        list TEXT NOT NULL, idx INTEGER NOT NULL, credential_id TEXT,
                        PRIMARY KEY (list, idx));
"""

# Migration i takes a database from schema version i to i + 1 (ledger.sqlite).
MIGRATIONS: Final = ([st for st in _SCHEMA_V1.split(";") if st.strip()],)


_INSERT_ENTRY: Final = "INSERT INTO entries VALUES (?, ?, ?, ?, ?, ?, ?, ?)"
_EntryRow = tuple[str, int, str, int, bytes, bytes, bytes, bytes | None]


_PARALLEL_FROM: Final = 32  # below this many entries, a thread pool costs more than it saves
_pool: ThreadPoolExecutor | None = None


def _parse_one(data: bytes) -> Entry | LedgerError:
    try:
        return Entry.from_bytes(bytes(data))
    except (EncodingError, SignatureError, ForbiddenError) as e:
        return e


def _parse_all(signed_entries: Iterable[bytes]) -> Iterable[Entry | LedgerError]:
    """Parse and verify entries, in order. Verification is independent per entry and
    PyNaCl releases the GIL inside libsodium, so a large batch is verified on every core;
    admission, which depends on order, stays sequential in the caller."""
    global _pool
    batch = list(signed_entries)
    if len(batch) < _PARALLEL_FROM or (os.cpu_count() or 1) < 2:
        return map(_parse_one, batch)
    if _pool is None:
        _pool = ThreadPoolExecutor(max_workers=min(4, os.cpu_count() or 2))
    return _pool.map(_parse_one, batch, chunksize=64)


@dataclass(slots=True)
class _FeedState:
    """One feed during a write transaction: its head, its Merkle frontier, the
    credentials it holds accepted, and those the ``accepted`` table holds so far."""

    head: FeedHead
    frontier: merkle.CompactRange
    accepted: set[bytes]
    accepted_saved: frozenset[bytes]


class _Writes:
    """Entry rows of a write transaction not yet sent to SQLite.

    Rows go in one ``executemany`` per transaction (or before anything in the transaction
    reads the entries table back) instead of one statement per entry; the ``accepted``
    table gets each feed's net change, which is what the per-entry inserts and deletes
    added up to (admission never accepts a credential the feed holds, nor withdraws one
    it does not, so the set and the table move in step).
    """

    __slots__ = ("conn", "rows")

    def __init__(self, conn: sqlite3.Connection) -> None:
        self.conn = conn
        self.rows: list[_EntryRow] = []

    def flush_entries(self) -> None:
        """Send the queued entry rows (before the transaction reads ``entries`` back)."""
        if self.rows:
            self.conn.executemany(_INSERT_ENTRY, self.rows)
            self.rows.clear()

    def flush(self, feeds: Iterable[_FeedState]) -> None:
        """Send the queued entry rows and the feeds' net changes to ``accepted``."""
        self.flush_entries()
        for feed in feeds:
            if feed.accepted == feed.accepted_saved:
                continue
            author = feed.head.author
            self.conn.executemany(
                "DELETE FROM accepted WHERE author=? AND credential=?",
                [(author, c) for c in feed.accepted_saved - feed.accepted],
            )
            self.conn.executemany(
                "INSERT INTO accepted VALUES (?, ?)",
                [(author, c) for c in feed.accepted - feed.accepted_saved],
            )
            feed.accepted_saved = frozenset(feed.accepted)


@dataclass(slots=True)
class IngestReport:
    """What an ingest did: entries stored, already known, refused (with reasons), forks.

    ``invalid`` counts what an honest relay never sends: entries or checkpoints that do
    not decode or verify, and entries their author was not allowed to write (a refusal
    for sequence alone may be a race, and is not counted)."""

    stored: int = 0
    known: int = 0
    invalid: int = 0
    refused: list[str] = field(default_factory=list)
    forks: list[ForkProof] = field(default_factory=list)


class LedgerStore:
    """A home's ledger database."""

    def __init__(self, path: Path, *, shared: bool = False) -> None:
        self.path = path
        self.db = open_database(
            path, migrations=MIGRATIONS, error=StoreError, what="ledger database", shared=shared
        )

    def close(self) -> None:
        self.db.conn.close()

    def __enter__(self) -> LedgerStore:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # -- reading ----------------------------------------------------------------------

    def head(self, author: str) -> FeedHead:
        row = self.db.conn.execute(
            "SELECT size, last_hash FROM feeds WHERE author=?", (author,)
        ).fetchone()
        if row is None:
            return FeedHead(author=author, size=0, last_hash=None)
        return FeedHead(author=author, size=int(row[0]), last_hash=row[1])

    def authors(self) -> list[str]:
        return [r[0] for r in self.db.conn.execute("SELECT author FROM feeds ORDER BY author")]

    def entries(self, author: str | None = None, *, start: int = 0) -> Iterator[Entry]:
        """Stored entries (not re-verified: they were verified when stored)."""
        if author is None:
            rows = self.db.conn.execute("SELECT data FROM entries ORDER BY author, seq")
        else:
            rows = self.db.conn.execute(
                "SELECT data FROM entries WHERE author=? AND seq>=? ORDER BY seq", (author, start)
            )
        for (data,) in rows:
            yield Entry.from_bytes(bytes(data), verify=False)

    def signed_entries(self, author: str, start: int = 0, end: int | None = None) -> list[bytes]:
        stop = end if end is not None else 2**62
        rows = self.db.conn.execute(
            "SELECT data FROM entries WHERE author=? AND seq>=? AND seq<? ORDER BY seq",
            (author, start, stop),
        )
        return [bytes(r[0]) for r in rows]

    def leaf_hashes(self, author: str, end: int | None = None) -> list[bytes]:
        stop = end if end is not None else 2**62
        rows = self.db.conn.execute(
            "SELECT leaf FROM entries WHERE author=? AND seq<? ORDER BY seq", (author, stop)
        )
        return [bytes(r[0]) for r in rows]

    def checkpoint(self, author: str) -> Checkpoint | None:
        row = self.db.conn.execute(
            "SELECT checkpoint FROM feeds WHERE author=?", (author,)
        ).fetchone()
        if row is None or row[0] is None:
            return None
        return Checkpoint.from_bytes(bytes(row[0]), verify=False)

    def root(self, author: str) -> bytes:
        return self._frontier(author).root()

    def revocation_state(self) -> RevocationState:
        return RevocationState.of(
            Entry.from_bytes(bytes(r[0]), verify=False)
            for r in self.db.conn.execute(
                "SELECT data FROM entries WHERE kind IN ('revocation','suspension','unsuspension')"
            )
        )

    def forks(self) -> list[ForkProof]:
        return [
            ForkProof.from_bytes(bytes(r[0]))
            for r in self.db.conn.execute("SELECT proof FROM forks")
        ]

    def fork_proof(self, author: str) -> bytes | None:
        """The recorded fork proof against ``author``, as bytes, if there is one."""
        row = self.db.conn.execute("SELECT proof FROM forks WHERE author=?", (author,)).fetchone()
        return bytes(row[0]) if row else None

    def heads(self) -> Iterator[tuple[str, int, bytes]]:
        """``(author, size, root)`` of every non-empty feed, in author order."""
        for author, size, frontier in self.db.conn.execute(
            "SELECT author, size, frontier FROM feeds WHERE size > 0 ORDER BY author"
        ):
            yield author, int(size), merkle.CompactRange.from_bytes(bytes(frontier)).root()

    def data_version(self) -> int:
        """Changes whenever another connection (another process) commits to this database."""
        return int(self.db.conn.execute("PRAGMA data_version").fetchone()[0])

    def _frontier(self, author: str) -> merkle.CompactRange:
        row = self.db.conn.execute(
            "SELECT frontier FROM feeds WHERE author=?", (author,)
        ).fetchone()
        if row is None:
            return merkle.CompactRange()
        return merkle.CompactRange.from_bytes(bytes(row[0]))

    def _accepted(self, author: str) -> set[bytes]:
        rows = self.db.conn.execute("SELECT credential FROM accepted WHERE author=?", (author,))
        return {bytes(r[0]) for r in rows}

    def _feed_state(self, author: str) -> _FeedState:
        row = self.db.conn.execute(
            "SELECT size, last_hash, frontier FROM feeds WHERE author=?", (author,)
        ).fetchone()
        if row is None:
            head = FeedHead(author=author, size=0, last_hash=None)
            frontier = merkle.CompactRange()
        else:
            head = FeedHead(author=author, size=int(row[0]), last_hash=row[1])
            frontier = merkle.CompactRange.from_bytes(bytes(row[2]))
        accepted = self._accepted(author)
        return _FeedState(head, frontier, accepted, frozenset(accepted))

    # -- writing ----------------------------------------------------------------------

    def append(
        self,
        key: KeyPair,
        kind: str,
        body: Mapping[str, Any],
        *,
        when: int | None = None,
    ) -> Entry:
        """Sign ``body`` as the next entry of ``key``'s own feed, store it, sign a checkpoint.

        Durable once this returns. Raises AdmissionError (e.g. a forbidden revocation) or
        EncodingError (a body that breaks its kind's schema); the feed is then unchanged.
        """
        return self.append_many(key, [(kind, body)], when=when)[0]

    def append_many(
        self,
        key: KeyPair,
        items: Iterable[tuple[str, Mapping[str, Any]]],
        *,
        when: int | None = None,
    ) -> list[Entry]:
        """Append several entries in one transaction (one fsync), then one checkpoint."""
        stamp = int(_time.time()) if when is None else when
        conn = self.db.conn
        with transaction(conn):
            feed = self._feed_state(key.did)
            writes = _Writes(conn)
            made: list[Entry] = []
            for kind, body in items:
                head = feed.head
                entry = Entry.create(
                    key, seq=head.size, prev=head.last_hash, time=stamp, kind=kind, body=body
                )
                admit(head, entry, accepted=feed.accepted.__contains__)
                self._store(entry, feed, writes)
                made.append(entry)
            frontier = feed.frontier
            checkpoint = Checkpoint.create(
                key, size=frontier.size, root=frontier.root(), time=stamp
            )
            writes.flush([feed])
            self._save_feed(feed.head, frontier, checkpoint.signed)
        return made

    @staticmethod
    def _store(entry: Entry, feed: _FeedState, writes: _Writes) -> None:
        """Queue an admitted entry's row and advance its feed (head, frontier, accepted)."""
        signed = entry.signed
        leaf = merkle.leaf_hash(signed)
        credential: bytes | None = None
        if entry.kind == "acceptance":
            credential = entry.edge().credential
            feed.accepted.add(credential)
        elif "credential" in entry.body:
            credential = bytes(entry.body["credential"])
            if entry.kind == "withdrawal":
                feed.accepted.discard(credential)
        digest = entry.hash
        writes.rows.append(
            (entry.author, entry.seq, entry.kind, entry.time, signed, leaf, digest, credential)
        )
        feed.frontier.append(leaf)
        feed.head = FeedHead(author=entry.author, size=entry.seq + 1, last_hash=digest)

    def _save_feed(
        self, head: FeedHead, frontier: merkle.CompactRange, checkpoint: bytes | None
    ) -> None:
        self.db.conn.execute(
            "INSERT INTO feeds VALUES (?, ?, ?, ?, ?) ON CONFLICT(author) DO UPDATE SET "
            "size=excluded.size, last_hash=excluded.last_hash, frontier=excluded.frontier, "
            "checkpoint=COALESCE(excluded.checkpoint, feeds.checkpoint)",
            (head.author, head.size, head.last_hash, frontier.to_bytes(), checkpoint),
        )

    def ingest(
        self, signed_entries: Iterable[bytes], checkpoints: Iterable[bytes] = ()
    ) -> IngestReport:
        """Verify and store entries from elsewhere (a bundle, a peer), feed by feed.

        Each entry is checked in full (signature, schema, sequence, chain, permissions)
        before it is stored; one that fails is refused with its reason and the rest of
        its feed after it is refused too (a feed has no gaps). An entry we already hold
        is skipped; a *different* signed entry at a position we hold is a fork, recorded.
        Checkpoints are checked against the entries: one whose root disagrees with the
        feed at its size is a fork. All of it is one transaction.
        """
        report = IngestReport()
        conn = self.db.conn
        with transaction(conn):
            blocked: set[str] = set()
            feeds: dict[str, _FeedState] = {}
            writes = _Writes(conn)
            for parsed in _parse_all(signed_entries):
                if isinstance(parsed, LedgerError):
                    report.refused.append(f"entry refused: {parsed}")
                    report.invalid += 1
                    continue
                entry = parsed
                author = entry.author
                if author in blocked:
                    report.refused.append(
                        f"entry {entry.seq} of {author}: an earlier entry was refused"
                    )
                    continue
                feed = feeds.get(author)
                if feed is None:
                    feed = feeds[author] = self._feed_state(author)
                head = feed.head
                if entry.seq < head.size:
                    writes.flush_entries()  # the entry held may be one of this batch
                    stored = self.db.conn.execute(
                        "SELECT data FROM entries WHERE author=? AND seq=?", (author, entry.seq)
                    ).fetchone()
                    if stored is not None and bytes(stored[0]) == entry.signed:
                        report.known += 1
                        continue
                    proof = ForkProof.equivocation(bytes(stored[0]), entry.signed)
                    self._record_fork(proof)
                    report.forks.append(proof)
                    blocked.add(author)
                    continue
                try:
                    admit(head, entry, accepted=feed.accepted.__contains__)
                except LedgerError as e:
                    report.refused.append(str(e))
                    report.invalid += isinstance(e, ForbiddenError)
                    blocked.add(author)
                    continue
                if self._contradicts_checkpoint(entry, feed, writes, report):
                    blocked.add(author)
                    continue
                self._store(entry, feed, writes)
                report.stored += 1
            writes.flush(feeds.values())
            for feed in feeds.values():
                self._save_feed(feed.head, feed.frontier, None)
            for data in checkpoints:
                self._ingest_checkpoint(bytes(data), report)
        return report

    def _contradicts_checkpoint(
        self, entry: Entry, feed: _FeedState, writes: _Writes, report: IngestReport
    ) -> bool:
        """Admission rule 5: an entry that completes a feed to the size of the author's
        checkpoint we hold must give that checkpoint's root. If it does not, the author
        signed two histories: the entry is refused and the fork proof recorded."""
        held = self.checkpoint(entry.author)
        if held is None or held.size != entry.seq + 1:
            return False
        frontier = feed.frontier.copy()
        frontier.append(merkle.leaf_hash(entry.signed))
        if frontier.root() == held.root:
            return False
        writes.flush_entries()
        history = [*self.signed_entries(entry.author, 0, entry.seq), entry.signed]
        proof = ForkProof.against_entries(held.signed, history)
        self._record_fork(proof)
        report.forks.append(proof)
        report.refused.append(
            f"entry {entry.seq} of {entry.author}: the feed it completes contradicts the "
            "author's signed checkpoint (fork recorded)"
        )
        return True

    def _ingest_checkpoint(self, data: bytes, report: IngestReport) -> None:
        try:
            checkpoint = Checkpoint.from_bytes(data)
        except (EncodingError, SignatureError) as e:
            report.refused.append(f"checkpoint refused: {e}")
            report.invalid += 1
            return
        held = self.checkpoint(checkpoint.author)
        if held is not None and held.size == checkpoint.size and held.root != checkpoint.root:
            proof = ForkProof.checkpoints(held.signed, checkpoint.signed)
            self._record_fork(proof)
            report.forks.append(proof)
            return
        size = self.head(checkpoint.author).size
        if checkpoint.size <= size:
            leaves = self.leaf_hashes(checkpoint.author, checkpoint.size)
            if merkle.root(leaves) != checkpoint.root:
                proof = ForkProof.against_entries(
                    checkpoint.signed, self.signed_entries(checkpoint.author, 0, checkpoint.size)
                )
                self._record_fork(proof)
                report.forks.append(proof)
                return
        if held is None or checkpoint.size >= held.size:
            # A checkpoint may come before its feed's entries: keep it (an empty feed row),
            # so that entries arriving later are checked against it (admission rule 5).
            self.db.conn.execute(
                "INSERT INTO feeds VALUES (?, 0, NULL, ?, ?) ON CONFLICT(author) DO UPDATE SET "
                "checkpoint=excluded.checkpoint",
                (checkpoint.author, merkle.CompactRange().to_bytes(), checkpoint.signed),
            )

    def add_fork(self, data: bytes) -> ForkProof:
        """Verify a fork proof from elsewhere and record it (ForkError/EncodingError if it
        proves nothing). One proof per author is kept; a second changes nothing."""
        proof = ForkProof.from_bytes(data)
        proof.verify()
        with transaction(self.db.conn):
            self._record_fork(proof)
        return proof

    def _record_fork(self, proof: ForkProof) -> None:
        self.db.conn.execute(
            "INSERT OR IGNORE INTO forks VALUES (?, ?)", (proof.author, proof.to_bytes())
        )

    # -- status-list indices ------------------------------------------------------------

    def allocate_index(self, list_id: str, size: int, credential_id: str) -> int:
        """A random unused index of ``list_id`` (herd privacy), recorded durably."""
        rng = SystemRandom()
        conn = self.db.conn
        with transaction(conn):
            used = conn.execute(
                "SELECT COUNT(*) FROM allocations WHERE list=?", (list_id,)
            ).fetchone()[0]
            if used >= size:
                raise StoreError(f"status list {list_id} is full")
            while True:
                index = rng.randrange(size)
                if (
                    conn.execute(
                        "SELECT 1 FROM allocations WHERE list=? AND idx=?", (list_id, index)
                    ).fetchone()
                    is None
                ):
                    break
            conn.execute(
                "INSERT INTO allocations VALUES (?, ?, ?)", (list_id, index, credential_id)
            )
        return index

    def allocations(self, list_id: str) -> int:
        return int(
            self.db.conn.execute(
                "SELECT COUNT(*) FROM allocations WHERE list=?", (list_id,)
            ).fetchone()[0]
        )

    # -- re-verification ------------------------------------------------------------------

    def verify_all(self) -> tuple[int, str | None]:
        """Re-check everything from disk; (entries checked, first fault or None)."""
        checked = 0
        for author in self.authors():
            previous: bytes | None = None
            leaves: list[bytes] = []
            for seq, data in self.db.conn.execute(
                "SELECT seq, data FROM entries WHERE author=? ORDER BY seq", (author,)
            ):
                try:
                    entry = Entry.from_bytes(bytes(data))
                except LedgerError as e:
                    return checked, f"entry {seq} of {author}: {e}"
                if entry.author != author or entry.seq != seq or entry.seq != len(leaves):
                    return checked, f"entry {seq} of {author}: stored at the wrong place"
                if entry.prev != previous:
                    return checked, f"entry {seq} of {author}: hash chain broken"
                previous = entry.hash
                leaves.append(merkle.leaf_hash(entry.signed))
                checked += 1
            head = self.head(author)
            if head.size != len(leaves) or head.last_hash != previous:
                return checked, f"feed of {author}: its head does not match its entries"
            if self._frontier(author).root() != merkle.root(leaves):
                return checked, f"feed of {author}: stored Merkle state does not match its entries"
            row = self.db.conn.execute(
                "SELECT checkpoint FROM feeds WHERE author=?", (author,)
            ).fetchone()
            if row and row[0] is not None:
                try:
                    checkpoint = Checkpoint.from_bytes(bytes(row[0]))
                except LedgerError as e:
                    return checked, f"checkpoint of {author}: {e}"
                if (
                    checkpoint.size <= len(leaves)
                    and merkle.root(leaves[: checkpoint.size]) != checkpoint.root
                ):
                    return checked, f"checkpoint of {author} does not match its entries (fork)"
        return checked, None

    def consistency(self, author: str, old_size: int, new_size: int | None = None) -> list[bytes]:
        """A consistency proof from ``old_size`` to ``new_size`` (default: the feed's size)."""
        leaves = self.leaf_hashes(author, new_size)
        if not 0 < old_size <= len(leaves) or (new_size is not None and new_size > len(leaves)):
            # RFC 9162 §2.1.4: there is no consistency proof from the empty tree.
            raise ProofError(
                f"no consistency proof from size {old_size}: the feed of {author} has "
                f"{len(leaves)} entries and proofs start from size 1"
            )
        return merkle.consistency_proof(leaves, old_size)
