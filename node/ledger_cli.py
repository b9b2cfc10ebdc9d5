"""``musette revoke|suspend|unsuspend|status``, ``musette status-list export`` and
``musette ledger show|verify|export|import``: the ledger from the command line."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path
from typing import Annotated, Any

import typer

from credentials.errors import InputError
from credentials.inputs import parse_input
from credentials.issuance import issue
from credentials.keys import KeyPair
from ledger.bundle import Bundle
from ledger.entries import Entry, credential_digest
from ledger.errors import EncodingError, LedgerError
from ledger.revocation import RevocationState
from ledger.statuslist import (
    PURPOSES,
    StatusList,
    list_credential_id,
    list_id,
    status_list_credential,
)
from ledger.store import LedgerStore

from .common import AsOpt, Failed, HomeOpt, JsonOpt, OutOpt, app, home_path, read_source
from .home import Home
from .output import emit_json, stderr, stdout
from .status import LedgerStatus, credential_status, status_reference, status_subject

ledger_app = typer.Typer(help="The home's ledger: feeds of signed entries.", no_args_is_help=True)
status_list_app = typer.Typer(help="Status lists this home publishes.", no_args_is_help=True)
app.add_typer(ledger_app, name="ledger")
app.add_typer(status_list_app, name="status-list")

CredentialArg = Annotated[str, typer.Argument(help="The credential (file, '-' or MUS1:).")]


def _credential(source: str) -> tuple[dict[str, Any], str | None]:
    """The credential's JSON and the JWT itself, if any (:func:`status_subject`)."""
    return status_subject(parse_input(read_source(source)))


def _change_status(
    kind: str, source: str, reason: str | None, home: Path | None, as_: str | None, as_json: bool
) -> None:
    document, token = _credential(source)
    reference = status_reference(document)
    if reference is None:
        raise InputError("this credential declares no Musette status entry; it cannot be revoked")
    place = Home(home_path(home))
    key = place.identities.key(as_)
    issuer = document.get("issuer")
    issuer_id = issuer.get("id") if isinstance(issuer, dict) else issuer
    if issuer_id != key.did:
        verb = {"revocation": "revoke", "suspension": "suspend", "unsuspension": "unsuspend"}[kind]
        raise InputError(f"only its issuer ({issuer_id}) can {verb} this credential")
    body: dict[str, Any] = {
        "credential": credential_digest(token or document),
        "list": reference[0],
        "index": reference[1],
    }
    if reason:
        body["reason"] = reason
    with place.ledger() as store:
        entry = store.append(key, kind, body)
        status = credential_status(store, document, token)
    if as_json:
        emit_json({"entry": entry.seq, "author": entry.author, **status.to_json()})
    else:
        stdout.print(
            f"{kind} written as entry {entry.seq} of {entry.author}; "
            f"the credential is now {status.status}"
        )


@app.command("revoke")
def revoke_cmd(
    credential: CredentialArg,
    reason: Annotated[str | None, typer.Option(help="Why (kept in the entry).")] = None,
    as_: AsOpt = None,
    home: HomeOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """Revoke a credential you issued (final)."""
    _change_status("revocation", credential, reason, home, as_, as_json)


@app.command("suspend")
def suspend_cmd(
    credential: CredentialArg,
    reason: Annotated[str | None, typer.Option(help="Why.")] = None,
    as_: AsOpt = None,
    home: HomeOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """Suspend a credential you issued (until unsuspended)."""
    _change_status("suspension", credential, reason, home, as_, as_json)


@app.command("unsuspend")
def unsuspend_cmd(
    credential: CredentialArg,
    reason: Annotated[str | None, typer.Option(help="Why.")] = None,
    as_: AsOpt = None,
    home: HomeOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """Lift a suspension of a credential you issued."""
    _change_status("unsuspension", credential, reason, home, as_, as_json)


@app.command("status")
def status_cmd(
    credential: CredentialArg,
    node: Annotated[
        str | None, typer.Option("--node", help="Ask this node instead of the home's ledger.")
    ] = None,
    home: HomeOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """A credential's status as the home's ledger (or a node) knows it: valid, revoked,
    suspended or unknown."""
    document, token = _credential(credential)
    place = Home(home_path(home))
    if node is not None:
        from .client import NodeClient

        with NodeClient(node) as client:
            answer = client.post_json("/status/check", {"credential": token or document})
        status = LedgerStatus.from_json(answer)
    elif (place.path / "ledger.db").exists():
        with place.ledger() as store:
            status = credential_status(store, document, token)
    else:  # a read-only command creates nothing in the home
        status = LedgerStatus("unknown", f"{place.path} holds no ledger")
    if as_json:
        emit_json(status.to_json())
    else:
        stdout.print(f"{status.status}: {status.detail}")
    if status.status in ("revoked", "suspended"):
        raise Failed


def status_list_document(
    store: LedgerStore, key: KeyPair, purpose: str, number: int
) -> dict[str, Any]:
    """The signed list credential of ``key``'s list ``number`` for ``purpose``, rebuilt
    from its feed."""
    lid = list_id(key.did, number, base_url=Home(store.path.parent).config().get("public_node"))
    state = RevocationState.of(e for e in store.entries(key.did) if e.kind != "acceptance")
    wanted = "revoked" if purpose == "revocation" else "suspended"
    bits = StatusList.from_indices(
        i for i, s in state.list_bits(key.did, lid).items() if s == wanted
    )
    unsigned = status_list_credential(key.did, lid, purpose, bits, valid_from=datetime.now(UTC))  # type: ignore[arg-type]
    signed = issue(unsigned, key)
    assert isinstance(signed, dict)
    return signed


@app.command("config")
def config_cmd(
    key: Annotated[str, typer.Argument(help="Setting: public-node.")],
    value: Annotated[
        str | None, typer.Argument(help="New value; omit to show, '-' to clear.")
    ] = None,
    home: HomeOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """Show or set a home setting. ``public-node URL``: the https node that serves your
    status lists, so credentials you issue name an https list outside verifiers can fetch."""
    names = {"public-node": "public_node"}
    if key not in names:
        raise typer.BadParameter(f"unknown setting {key!r}; known: {', '.join(names)}")
    place = Home(home_path(home))
    if value is not None:
        if value != "-":
            list_id("did:key:z6MkhaXgBZDvotDkL5257faiztiGiC2QtKLGpbnnEGta2doK", 0, base_url=value)
        place.set_config(names[key], None if value == "-" else value.rstrip("/"))
    current = place.config().get(names[key])
    if as_json:
        emit_json({key: current})
    else:
        stdout.print(f"{key} = {current if current is not None else '(not set)'}")


@status_list_app.command("export")
def status_list_export(
    purpose: Annotated[str, typer.Option(help="revocation or suspension.")] = "revocation",
    number: Annotated[int, typer.Option("--list", help="Which of your lists.")] = 0,
    out: OutOpt = None,
    as_: AsOpt = None,
    home: HomeOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """Sign and print the current status list credential of your issued credentials."""
    if purpose not in PURPOSES:
        raise typer.BadParameter(f"purpose is one of {', '.join(PURPOSES)}, not {purpose!r}")
    place = Home(home_path(home))
    key = place.identities.key(as_)
    with place.ledger() as store:
        document = status_list_document(store, key, purpose, number)
    text = json.dumps(document, indent=2)
    if out is not None:
        out.write_text(text + "\n", encoding="utf-8")
        if as_json:
            emit_json(
                {"written": str(out), "id": list_credential_id(list_id(key.did, number), purpose)}
            )
        else:
            stderr.print(f"written to {out}")
        return
    print(text)


@ledger_app.command("show")
def ledger_show(
    author: Annotated[str | None, typer.Option(help="Only this author's feed.")] = None,
    home: HomeOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """The feeds in the home's ledger and their entries."""
    with Home(home_path(home)).ledger() as store:
        authors = [author] if author else store.authors()
        feeds: list[dict[str, Any]] = []
        for who in authors:
            checkpoint = store.checkpoint(who)
            feeds.append(
                {
                    "author": who,
                    "size": store.head(who).size,
                    "root": store.root(who).hex(),
                    "checkpoint": {"size": checkpoint.size, "time": checkpoint.time}
                    if checkpoint
                    else None,
                    "entries": [_describe(e) for e in store.entries(who)],
                }
            )
        forks = [{"author": f.author, "variant": f.variant} for f in store.forks()]
    if as_json:
        emit_json({"feeds": feeds, "forks": forks})
        return
    for feed in feeds:
        stdout.print(f"{feed['author']}  {feed['size']} entries  root {feed['root'][:16]}…")
        for item in feed["entries"]:
            stdout.print(
                f"  {item['seq']:>5}  {item['time']}  {item['kind']:<13} {item['summary']}"
            )
    for fork in forks:
        stdout.print(f"FORK by {fork['author']} ({fork['variant']})")


def _describe(entry: Entry) -> dict[str, Any]:
    body = entry.body
    if entry.kind == "acceptance":
        edge = entry.edge()
        summary = f"accepts {edge.kind} “{edge.skill}” from {edge.issuer}"
    elif "list" in body:
        summary = f"{body['list']} #{body['index']}" + (
            f" ({body['reason']})" if body.get("reason") else ""
        )
    elif entry.kind == "flag":
        target = body["target"]
        summary = f"flags {target.hex() if isinstance(target, bytes) else target}: {body['reason']}"
    elif entry.kind == "withdrawal":
        summary = f"withdraws {bytes(body['credential']).hex()[:16]}…"
    else:
        summary = ""
    when = datetime.fromtimestamp(entry.time, UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
    return {"seq": entry.seq, "kind": entry.kind, "time": when, "summary": summary}


@ledger_app.command("verify")
def ledger_verify(home: HomeOpt = None, as_json: JsonOpt = False) -> None:
    """Re-check every signature, hash chain, Merkle root and checkpoint from disk."""
    with Home(home_path(home)).ledger() as store:
        checked, fault = store.verify_all()
        forks = len(store.forks())
    if as_json:
        emit_json(
            {"ok": fault is None, "entries_checked": checked, "first_fault": fault, "forks": forks}
        )
    elif fault is None:
        stdout.print(
            f"ledger verified: {checked} entries, every signature, chain, root and checkpoint"
        )
    else:
        stdout.print(f"ledger FAULT after {checked} good entries: {fault}")
    if fault is not None:
        raise Failed


@ledger_app.command("export")
def ledger_export(
    file: Annotated[Path, typer.Argument(help="Where to write the bundle.")],
    author: Annotated[str | None, typer.Option(help="Only this author's feed.")] = None,
    home: HomeOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """Write the ledger's feeds (entries and checkpoints, as signed) to a CBOR bundle."""
    with Home(home_path(home)).ledger() as store:
        bundle = Bundle.of_store(store, [author] if author else store.authors())
    data = bundle.to_bytes()
    file.write_bytes(data)
    count = len(bundle.entries)
    feeds = len(bundle.feeds)
    if as_json:
        emit_json({"written": str(file), "feeds": feeds, "entries": count, "bytes": len(data)})
    else:
        stdout.print(f"{count} entries of {feeds} feeds written to {file} ({len(data)} bytes)")


@ledger_app.command("import")
def ledger_import(
    file: Annotated[Path, typer.Argument(help="A bundle from 'ledger export'.")],
    home: HomeOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """Verify and add the feeds of a bundle; what is refused is reported, never kept."""
    try:
        bundle = Bundle.from_bytes(file.read_bytes())
    except OSError as e:
        raise InputError(f"cannot read {file}: {e.strerror}") from e
    except EncodingError as e:
        raise InputError(f"{file} is not a ledger bundle: {e}") from e
    entries, checkpoints = bundle.entries, bundle.checkpoints
    with Home(home_path(home)).ledger() as store:
        try:
            report = store.ingest(entries, checkpoints)
        except LedgerError as e:
            raise InputError(f"{file}: {e}") from e
    result = {
        "stored": report.stored,
        "known": report.known,
        "refused": report.refused,
        "forks": [{"author": f.author, "variant": f.variant} for f in report.forks],
    }
    if as_json:
        emit_json(result)
    else:
        stdout.print(
            f"{report.stored} entries stored, {report.known} already known, "
            f"{len(report.refused)} refused, {len(report.forks)} forks"
        )
        for reason in report.refused[:10]:
            stdout.print(f"  refused: {reason}")
    if report.refused or report.forks:
        raise Failed
