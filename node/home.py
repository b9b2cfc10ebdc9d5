"""A home folder: the identities and the ledger database of one person or node."""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

from ledger.store import LedgerStore
from wallet.identities import IdentityStore

__all__ = ["Home", "resolve_home"]


def resolve_home(explicit: Path | str | None) -> Path:
    """``--home``, else ``$MUSETTE_HOME``, else ``~/.musette``."""
    chosen = explicit or os.environ.get("MUSETTE_HOME") or Path.home() / ".musette"
    return Path(chosen).expanduser()


@dataclass(frozen=True)
class Home:
    path: Path

    @property
    def identities(self) -> IdentityStore:
        return IdentityStore(self.path)

    def ledger(self) -> LedgerStore:
        """Open the home's ledger (created on first use); close it when done."""
        return LedgerStore(self.path / "ledger.db")
