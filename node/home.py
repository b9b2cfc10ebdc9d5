"""A home folder: the identities and the ledger database of one person or node."""

from __future__ import annotations

import json
import os
from collections.abc import Callable
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path
from typing import Any

from ledger.store import LedgerStore
from wallet.errors import HomeError
from wallet.identities import IdentityStore

from .passphrase import passphrase_source

__all__ = ["CONFIG_VERSION", "Home", "resolve_home"]

CONFIG_VERSION = 1


def resolve_home(explicit: Path | str | None) -> Path:
    """``--home``, else ``$MUSETTE_HOME``, else ``~/.musette``."""
    chosen = explicit or os.environ.get("MUSETTE_HOME") or Path.home() / ".musette"
    return Path(chosen).expanduser()


@dataclass(frozen=True)
class Home:
    path: Path

    passphrase: Callable[[], str] | None = None

    @cached_property
    def identities(self) -> IdentityStore:
        """The home's personas; the keystore unlocks at most once per Home."""
        return IdentityStore(self.path, self.passphrase or passphrase_source(self.path))

    def config(self) -> dict[str, Any]:
        """The home's settings (``config.json``; absent means defaults)."""
        path = self.path / "config.json"
        if not path.exists():
            return {"version": CONFIG_VERSION}
        try:
            data: dict[str, Any] = json.loads(path.read_text("utf-8"))
        except (OSError, ValueError) as e:
            raise HomeError(f"cannot read {path}: {e}") from e
        if data.get("version") != CONFIG_VERSION:
            raise HomeError(f"{path} has version {data.get('version')!r}; this musette reads 1")
        return data

    def set_config(self, key: str, value: str | list[str] | None) -> None:
        data = self.config()
        if value is None:
            data.pop(key, None)
        else:
            data[key] = value
        self.path.mkdir(parents=True, exist_ok=True)
        tmp = self.path / "config.json.tmp"
        tmp.write_text(json.dumps(data, indent=2) + "\n", encoding="utf-8")
        os.replace(tmp, self.path / "config.json")

    def trust_anchors(self) -> list[str]:
        """The DIDs this home trusts (``musette trust anchors``)."""
        value = self.config().get("trust_anchors", [])
        return [str(a) for a in value] if isinstance(value, list) else []

    def ledger(self) -> LedgerStore:
        """Open the home's ledger (created on first use); close it when done."""
        return LedgerStore(self.path / "ledger.db")
