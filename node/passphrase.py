"""Where the wallet passphrase comes from: ``MUSETTE_PASSPHRASE``, else a terminal prompt
(asked twice when a keystore is being created). Never echoed, logged or printed."""

from __future__ import annotations

import getpass
import os
import sys
from collections.abc import Callable
from pathlib import Path

from wallet.errors import HomeError

__all__ = ["passphrase_source"]


def passphrase_source(home: Path) -> Callable[[], str]:
    """A function returning the passphrase for ``home``, asking at most once."""
    cached: list[str] = []

    def get() -> str:
        if cached:
            return cached[0]
        value = os.environ.get("MUSETTE_PASSPHRASE")
        if value is None:
            if not sys.stdin.isatty():
                raise HomeError(
                    "this command needs the wallet passphrase: set MUSETTE_PASSPHRASE "
                    "or run it in a terminal"
                )
            creating = not (home / "keystore.json").exists()
            value = getpass.getpass(
                "New wallet passphrase: " if creating else "Wallet passphrase: "
            )
            if creating and getpass.getpass("Repeat the passphrase: ") != value:
                raise HomeError("the two passphrases differ; nothing was created")
        if not value:
            raise HomeError("the wallet passphrase must not be empty")
        cached.append(value)
        return value

    return get
