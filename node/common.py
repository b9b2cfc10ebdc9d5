"""What every ``musette`` command shares: the app, its global options, home resolution,
input reading and the exit statuses (0 success, 1 a document failed a check, 2 input we
do not recognise or a usage error)."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Annotated, Any

import typer

from credentials import transport
from credentials.errors import InputError
from credentials.issuance import FORMATS

from .home import resolve_home

__all__ = [
    "EXIT_FAILED",
    "EXIT_INPUT",
    "EXIT_OK",
    "AsOpt",
    "Failed",
    "FormatOpt",
    "HomeOpt",
    "JsonOpt",
    "OutOpt",
    "app",
    "home_path",
    "read_source",
]

EXIT_OK, EXIT_FAILED, EXIT_INPUT = 0, 1, 2


class Failed(Exception):
    """A recognised document failed a check: exit status 1 (already reported)."""


app = typer.Typer(
    name="musette",
    help="Musette: a worker's knapsack of peer-validated skill credentials.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    add_completion=False,
)

_state: dict[str, Any] = {"debug": False, "home": None}

HomeOpt = Annotated[
    Path | None,
    typer.Option("--home", help="Home folder (default: $MUSETTE_HOME or ~/.musette)."),
]
JsonOpt = Annotated[bool, typer.Option("--json", help="Machine-readable JSON output.")]
AsOpt = Annotated[
    str | None, typer.Option("--as", help="Identity that signs (name or DID; default: the home's).")
]
FormatOpt = Annotated[str, typer.Option("--format", help=f"Proof format: {', '.join(FORMATS)}.")]
OutOpt = Annotated[Path | None, typer.Option("--out", help="Write to this file instead of stdout.")]


@app.callback()
def _root(
    home: HomeOpt = None,
    debug: Annotated[bool, typer.Option("--debug", help="Show tracebacks on errors.")] = False,
) -> None:
    _state["debug"] = debug
    _state["home"] = home


def home_path(home: Path | None) -> Path:
    """The command's ``--home``, else the global one, else $MUSETTE_HOME or ~/.musette."""
    return resolve_home(home or _state["home"])


def read_source(source: str) -> str:
    """Read FILE, '-' for stdin, or take a MUS1: payload given as the argument itself."""
    if source == "-":
        return sys.stdin.read()
    if transport.looks_like_payload(source):
        return source
    path = Path(source)
    try:
        data = path.read_bytes() if path.is_file() else None
    except OSError as e:
        raise InputError(f"cannot read {source[:80]}: {e.strerror}") from e
    if data is None:
        raise InputError(f"no such file: {source[:80]}")
    if len(data) > 2 * 1024 * 1024:
        raise InputError(f"{source} is over 2 MiB")
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as e:
        raise InputError(f"{source} is not UTF-8 text") from e
