"""The SQLite conventions every Musette database follows (the ledger's, the wallet's).

* WAL journal and ``synchronous=FULL``: a committed transaction survives a crash;
* explicit ``BEGIN IMMEDIATE`` transactions (:func:`transaction`), so that a write either
  happens whole or not at all, and two processes never interleave half-writes;
* a ``meta`` table holding ``schema_version``; :func:`open_database` applies the
  migrations a file lacks (an older home is migrated, not broken) and refuses a file
  written by a newer schema; anything that is not a usable SQLite file raises the
  caller's error type with a one-line reason.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path

import sqlite_utils

__all__ = ["Migration", "open_database", "transaction"]

#: One migration: the SQL statements that take a database from version i to i + 1
#: (run one at a time: ``executescript`` would commit the surrounding transaction).
Migration = Sequence[str]


@contextmanager
def transaction(conn: sqlite3.Connection) -> Iterator[sqlite3.Connection]:
    """``BEGIN IMMEDIATE`` … ``COMMIT``, or ``ROLLBACK`` on any exception."""
    conn.execute("BEGIN IMMEDIATE")
    try:
        yield conn
    except BaseException:
        conn.execute("ROLLBACK")
        raise
    conn.execute("COMMIT")


def open_database(
    path: Path,
    *,
    migrations: Sequence[Migration],
    error: type[Exception],
    what: str,
    shared: bool = False,
) -> sqlite_utils.Database:
    """Open (creating) the database at ``path`` and bring it to ``len(migrations)``.

    Raises ``error`` when the file is not a usable SQLite database or was written by a
    newer schema. ``shared``: the connection may be used from several threads (the caller
    serialises access, as the node does with one lock).
    """
    path.parent.mkdir(parents=True, exist_ok=True)
    conn: sqlite3.Connection | None = None
    try:
        conn = sqlite3.connect(path, isolation_level=None, timeout=30, check_same_thread=not shared)
        conn.execute("PRAGMA journal_mode=WAL")
        conn.execute("PRAGMA synchronous=FULL")
        conn.execute("PRAGMA foreign_keys=ON")
        _migrate(conn, path, migrations, error)
        return sqlite_utils.Database(conn)
    except (sqlite3.DatabaseError, ValueError) as e:
        if conn is not None:
            conn.close()
        raise error(f"{path} is not a usable Musette {what}: {e}") from e
    except BaseException:
        if conn is not None:
            conn.close()
        raise


def _migrate(
    conn: sqlite3.Connection, path: Path, migrations: Sequence[Migration], error: type[Exception]
) -> None:
    latest = len(migrations)
    with transaction(conn):
        conn.execute("CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT)")
        row = conn.execute("SELECT value FROM meta WHERE key='schema_version'").fetchone()
        version = int(row[0]) if row else 0
        if version > latest:
            raise error(
                f"{path} was written by a newer Musette (schema {version}); "
                f"this one reads up to {latest}"
            )
        for step in migrations[version:]:
            for statement in step:
                conn.execute(statement)
        conn.execute("INSERT OR REPLACE INTO meta VALUES ('schema_version', ?)", (str(latest),))
