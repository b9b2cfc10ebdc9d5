"""The node's own database, ``<home>/node.db``: what it knows of its peers, and the status
list credentials issuers handed it to serve (``specs/api.md`` §5).

Schema version :data:`SCHEMA_VERSION` (table ``meta``, migrated by :mod:`ledger.sqlite`):

    peers(peer, address, score, banned_until, bans, last_seen, last_reason)   PK peer
    status_lists(list, purpose, valid_from, document)                          PK (list, purpose)
    mailbox_messages(id, recipient, sender, token, size, time, expires, data)   PK id
    mailbox_tokens(recipient, token, expires, spent)                           PK (recipient, token)
    mailbox_log(sender, recipient, time)          unsolicited deposits of the last hour

The mailbox tables (schema 2, :mod:`node.mailbox`, ``specs/exchange.md`` §3) hold sealed
messages as the node received them: ciphertext and the clear envelope, nothing decrypted.

Peer scores live here so that they survive restarts and reconnects.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import Any, Final

from ledger.errors import StoreError
from ledger.sqlite import open_database, transaction

from .gossip.peers import PeerRecord

__all__ = ["MIGRATIONS", "SCHEMA_VERSION", "NodeDatabase"]

SCHEMA_VERSION: Final = 2

MIGRATIONS: Final = (
    (
        """CREATE TABLE IF NOT EXISTS peers (
               peer TEXT PRIMARY KEY, address TEXT, score REAL NOT NULL,
               banned_until REAL NOT NULL, bans INTEGER NOT NULL, last_seen REAL NOT NULL,
               last_reason TEXT NOT NULL)""",
        """CREATE TABLE IF NOT EXISTS status_lists (
               list TEXT NOT NULL, purpose TEXT NOT NULL, valid_from TEXT NOT NULL,
               document TEXT NOT NULL, PRIMARY KEY (list, purpose))""",
    ),
    (  # 2: mailboxes (specs/exchange.md §3)
        """CREATE TABLE mailbox_messages (
               id TEXT PRIMARY KEY, recipient TEXT NOT NULL, sender TEXT NOT NULL,
               token BLOB, size INTEGER NOT NULL, time INTEGER NOT NULL,
               expires INTEGER NOT NULL, data BLOB NOT NULL)""",
        "CREATE INDEX mailbox_messages_recipient ON mailbox_messages (recipient, time)",
        "CREATE INDEX mailbox_messages_expires ON mailbox_messages (expires)",
        """CREATE TABLE mailbox_tokens (
               recipient TEXT NOT NULL, token BLOB NOT NULL, expires INTEGER NOT NULL,
               spent INTEGER, PRIMARY KEY (recipient, token))""",
        "CREATE INDEX mailbox_tokens_expires ON mailbox_tokens (expires)",
        """CREATE TABLE mailbox_log (
               sender TEXT NOT NULL, recipient TEXT NOT NULL, time INTEGER NOT NULL)""",
        "CREATE INDEX mailbox_log_sender ON mailbox_log (sender, time)",
        "CREATE INDEX mailbox_log_time ON mailbox_log (time)",
    ),
)


class NodeDatabase:
    """``node.db``: peers (a :class:`~node.gossip.peers.PeerStore`) and served status lists."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.db = open_database(
            path, migrations=MIGRATIONS, error=StoreError, what="node database", shared=True
        )
        self.lock = threading.Lock()

    def close(self) -> None:
        self.db.conn.close()

    # -- PeerStore ----------------------------------------------------------------------

    def load(self) -> Iterator[PeerRecord]:
        with self.lock:
            rows = self.db.conn.execute(
                "SELECT peer, address, score, banned_until, bans, last_seen, last_reason FROM peers"
            ).fetchall()
        for peer, address, score, banned_until, bans, last_seen, reason in rows:
            yield PeerRecord(
                peer=peer,
                address=address,
                score=float(score),
                banned_until=float(banned_until),
                bans=int(bans),
                last_seen=float(last_seen),
                last_reason=reason,
            )

    def save(self, record: PeerRecord) -> None:
        with self.lock:
            self.db.conn.execute(
                "INSERT OR REPLACE INTO peers VALUES (?, ?, ?, ?, ?, ?, ?)",
                (
                    record.peer,
                    record.address,
                    record.score,
                    record.banned_until,
                    record.bans,
                    record.last_seen,
                    record.last_reason,
                ),
            )

    def addresses(self) -> list[str]:
        with self.lock:
            rows = self.db.conn.execute("SELECT address FROM peers WHERE address IS NOT NULL")
            return sorted({r[0] for r in rows})

    # -- status lists ---------------------------------------------------------------------

    def put_status_list(self, list_id: str, purpose: str, valid_from: str, doc: Any) -> bool:
        """Keep ``doc`` unless a list at least as recent is held; True if kept."""
        with self.lock, transaction(self.db.conn) as conn:
            row = conn.execute(
                "SELECT valid_from FROM status_lists WHERE list=? AND purpose=?",
                (list_id, purpose),
            ).fetchone()
            if row is not None and row[0] >= valid_from:
                return False
            conn.execute(
                "INSERT OR REPLACE INTO status_lists VALUES (?, ?, ?, ?)",
                (list_id, purpose, valid_from, json.dumps(doc, separators=(",", ":"))),
            )
            return True

    def status_list(self, list_id: str, purpose: str) -> dict[str, Any] | None:
        with self.lock:
            row = self.db.conn.execute(
                "SELECT document FROM status_lists WHERE list=? AND purpose=?",
                (list_id, purpose),
            ).fetchone()
        return json.loads(row[0]) if row else None

    def status_lists(self) -> Iterable[tuple[str, str, str]]:
        with self.lock:
            return self.db.conn.execute(
                "SELECT list, purpose, valid_from FROM status_lists ORDER BY list, purpose"
            ).fetchall()
