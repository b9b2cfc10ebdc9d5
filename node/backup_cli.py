"""``musette backup OUT`` and ``musette restore IN``."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from wallet.backup import create_backup, restore_backup

from .common import HomeOpt, JsonOpt, app, home_path
from .home import Home
from .output import emit_json, stdout

__all__: list[str] = []


@app.command("backup")
def backup_cmd(
    out: Annotated[Path, typer.Argument(help="Where to write the encrypted archive.")],
    home: HomeOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """One archive of your keys, credentials and ledger, encrypted under your passphrase."""
    place = Home(home_path(home))
    summary = create_backup(place.path, out, place.identities)
    if as_json:
        emit_json(summary)
    else:
        stdout.print(
            f"backup written to {out}: {', '.join(summary['files'])} ({summary['bytes']} bytes)"
        )


@app.command("restore")
def restore_cmd(
    archive: Annotated[Path, typer.Argument(help="An archive made by 'musette backup'.")],
    home: HomeOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """Restore an archive into an empty home (the passphrase is the one it was made with)."""
    place = Home(home_path(home))
    summary = restore_backup(archive, place.path, place.identities)
    if as_json:
        emit_json(summary)
    else:
        stdout.print(f"restored {', '.join(summary['files'])} into {place.path}")
