"""``musette wallet import|list|show|delete``, ``musette inbox``, ``musette accept``,
``musette refuse`` and ``musette withdraw``: the worker's credentials and their consent.

A received credential is held privately as *pending*. Accepting it writes an acceptance
entry (embedding the issuer's edge statement) to the home's ledger: only then is the
endorsement edge public. Refusing deletes it: nothing was ever published. Withdrawing a
past acceptance writes a withdrawal entry.
"""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path
from typing import Annotated, Any

import typer

from credentials.errors import InputError
from credentials.inputs import parse_input
from wallet.errors import StateError
from wallet.store import STATES, CredentialStore, StoredCredential

from .common import HomeOpt, JsonOpt, app, home_path, read_source
from .home import Home
from .output import emit_json, stdout
from .status import STATUS_LIST_TYPE

__all__ = ["wallet_app"]

wallet_app = typer.Typer(help="The wallet: keystore and credentials.", no_args_is_help=True)
app.add_typer(wallet_app, name="wallet")

IdArg = Annotated[
    str, typer.Argument(help="A credential id (or a unique prefix) from 'wallet list'.")
]


def _personas(place: Home) -> list[str]:
    return [identity.did for identity in place.identities.list()]


def _line(item: StoredCredential) -> str:
    level = f" level {item.level}" if item.level else ""
    return f"{item.id}  {item.state:<9} {item.kind:<11} {item.skill}{level}  from {item.issuer}"


@wallet_app.command("import")
def wallet_import(
    source: Annotated[str, typer.Argument(help="Credential file, '-' or a MUS1: payload.")],
    edge: Annotated[
        Path | None, typer.Option(help="The issuer's edge statement ('issue --edge-out').")
    ] = None,
    home: HomeOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """Verify a received credential and hold it, pending your consent (an issuer's status
    list is kept instead, to staple to your presentations)."""
    place = Home(home_path(home))
    try:
        edge_bytes = edge.read_bytes() if edge is not None else None
    except OSError as e:
        raise InputError(f"cannot read {edge}: {e.strerror}") from e
    text = read_source(source)
    parsed = parse_input(text)
    if parsed.document is not None and STATUS_LIST_TYPE in parsed.document.get("type", []):
        with CredentialStore.in_home(place.path) as store:
            list_id = store.add_status_list(parsed.document)
        if as_json:
            emit_json({"status_list": list_id})
        else:
            stdout.print(f"status list kept, to staple to your presentations: {list_id}")
        return
    with CredentialStore.in_home(place.path) as store:
        item = store.import_credential(text, personas=_personas(place), edge=edge_bytes)
    if as_json:
        emit_json(item.to_json())
    else:
        stdout.print(f"imported, pending your consent: {_line(item)}")


@wallet_app.command("list")
def wallet_list(
    skill: Annotated[str | None, typer.Option(help="Skill (case- and space-insensitive).")] = None,
    issuer: Annotated[str | None, typer.Option(help="Issuer DID.")] = None,
    state: Annotated[str | None, typer.Option(help="pending, accepted or withdrawn.")] = None,
    type_: Annotated[
        str | None, typer.Option("--type", help="A credential type, e.g. OpenBadgeCredential.")
    ] = None,
    since: Annotated[str | None, typer.Option(help="Issued on or after (YYYY-MM-DD).")] = None,
    until: Annotated[str | None, typer.Option(help="Issued before (YYYY-MM-DD).")] = None,
    persona: Annotated[str | None, typer.Option(help="Only this persona's (DID).")] = None,
    home: HomeOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """The credentials you hold, searched (no passphrase needed)."""
    if state is not None and state not in STATES:
        raise typer.BadParameter(f"state is one of {', '.join(STATES)}, not {state!r}")
    with CredentialStore.in_home(home_path(home)) as store:
        items = store.list(
            skill=skill,
            issuer=issuer,
            state=state,
            type_=type_,
            since=_day(since, "--since"),
            until=_day(until, "--until"),
            persona=persona,
        )
    if as_json:
        emit_json([item.to_json() for item in items])
        return
    for item in items:
        stdout.print(_line(item))


def _day(value: str | None, option: str) -> date | None:
    if value is None:
        return None
    try:
        return date.fromisoformat(value)
    except ValueError as e:
        raise typer.BadParameter(f"{option} takes a date as YYYY-MM-DD, not {value!r}") from e


@wallet_app.command("show")
def wallet_show(id_: IdArg, home: HomeOpt = None, as_json: JsonOpt = False) -> None:
    """One credential, as held."""
    with CredentialStore.in_home(home_path(home)) as store:
        item = store.get(id_)
        document = store.document(item.id)
    if as_json:
        emit_json({**item.to_json(), "document": document})
    else:
        stdout.print(_line(item))
        print(document if isinstance(document, str) else json.dumps(document, indent=2))


@wallet_app.command("delete")
def wallet_delete(id_: IdArg, home: HomeOpt = None, as_json: JsonOpt = False) -> None:
    """Delete your copy of a credential (an acceptance already published stays: withdraw it)."""
    with CredentialStore.in_home(home_path(home)) as store:
        item = store.delete(id_)
    if as_json:
        emit_json({"deleted": item.id})
    else:
        stdout.print(f"deleted {item.id}")


@app.command("inbox")
def inbox(
    node: Annotated[
        str | None, typer.Option(help="First fetch answers to your requests from this node.")
    ] = None,
    home: HomeOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """Received credentials waiting for your consent (with --node, answers to your
    endorsement requests are fetched from your mailbox first)."""
    fetched: list[str] = []
    refused: list[str] = []
    if node is not None:
        from .exchange_cli import fetch_answers

        fetched, refused = fetch_answers(Home(home_path(home)), node)
    with CredentialStore.in_home(home_path(home)) as store:
        items = store.list(state="pending")
    if as_json:
        if node is None:
            emit_json([item.to_json() for item in items])
        else:
            emit_json(
                {
                    "fetched": fetched,
                    "refused": refused,
                    "pending": [item.to_json() for item in items],
                }
            )
        return
    for line in fetched:
        stdout.print(line)
    for line in refused:
        stdout.print(f"  refused: {line}")
    if not items:
        stdout.print("nothing is waiting for your consent")
    for item in items:
        stdout.print(_line(item))


@app.command("accept")
def accept(id_: IdArg, home: HomeOpt = None, as_json: JsonOpt = False) -> None:
    """Accept a credential: publish its endorsement edge in your ledger (signed by you)."""
    place = Home(home_path(home))
    with CredentialStore.in_home(place.path) as store:
        item = store.get(id_)
        if item.state != "pending" and item.state != "withdrawn":
            raise StateError(f"{item.id} is {item.state}; only a pending credential is accepted")
        if item.edge is None:
            raise InputError(
                f"{item.id} came without the issuer's edge statement: import it with --edge"
            )
        key = place.identities.key(item.subject)  # the persona the credential is about
        with place.ledger() as ledger:
            entry = ledger.append(key, "acceptance", {"edge": item.edge})
        item = store.set_state(item.id, "accepted")
    _done(item, f"accepted: entry {entry.seq} of {entry.author} publishes the edge", as_json)


@app.command("refuse")
def refuse(id_: IdArg, home: HomeOpt = None, as_json: JsonOpt = False) -> None:
    """Refuse a pending credential: it is deleted, nothing was ever published."""
    with CredentialStore.in_home(home_path(home)) as store:
        item = store.set_state(id_, "refused")
    _done(item, "refused and deleted; nothing was published", as_json)


@app.command("withdraw")
def withdraw(id_: IdArg, home: HomeOpt = None, as_json: JsonOpt = False) -> None:
    """Withdraw a past acceptance: a withdrawal entry in your ledger."""
    place = Home(home_path(home))
    with CredentialStore.in_home(place.path) as store:
        item = store.get(id_)
        if item.state != "accepted":
            raise StateError(f"{item.id} is {item.state}; only an accepted credential is withdrawn")
        key = place.identities.key(item.subject)
        digest = item.digest  # what the edge names (an SD-JWT: its issuer-signed JWT)
        with place.ledger() as ledger:
            entry = ledger.append(key, "withdrawal", {"credential": digest})
        item = store.set_state(item.id, "withdrawn")
    _done(item, f"withdrawn: entry {entry.seq} of {entry.author}", as_json)


def _done(item: StoredCredential, message: str, as_json: bool) -> None:
    if as_json:
        result: dict[str, Any] = item.to_json()
        emit_json(result)
    else:
        stdout.print(f"{item.id}: {message}")
