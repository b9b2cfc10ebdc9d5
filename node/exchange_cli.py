"""``musette card|contacts|ask|requests|answer|decline`` and ``musette inbox --node``:
asking a peer for an endorsement and answering, through sealed mailboxes on nodes
(``specs/exchange.md``).

Local state lives in the home: ``contacts.json`` (cards you added) and ``exchange/``
(requests you sent, ``asked/<id>.cbor``; requests you received, ``received/<id>.cbor``,
with ``<id>.done`` once answered or declined). Messages fetched from a node are stored
here before they are deleted there: nothing is lost between the two.
"""

from __future__ import annotations

import base64
import json
import os
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Annotated, Any, Final

import typer

from credentials.errors import InputError
from credentials.keys import KeyPair
from credentials.models import SkillAttestation
from wallet.errors import WalletError
from wallet.exchange import (
    CARD_PREFIX,
    Answer,
    ContactCard,
    ExchangeError,
    Request,
    open_sealed,
    seal,
    sealed_header,
)
from wallet.store import CredentialStore

from .client import NodeClient
from .common import AsOpt, HomeOpt, JsonOpt, app, home_path
from .home import Home
from .issuing import issue_from_home
from .output import emit_json, stdout
from .service import NODE_IDENTITY, normalize_address

contacts_app = typer.Typer(
    help="People you can ask: their signed contact cards.", no_args_is_help=True
)
app.add_typer(contacts_app, name="contacts")

REQUEST_TTL: Final = 30 * 86400
_DOMAIN: Final = b"musette-mailbox/1"


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def _write_atomic(path: Path, data: bytes) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=".tmp-")
    with os.fdopen(fd, "wb") as handle:
        handle.write(data)
        handle.flush()
        os.fsync(handle.fileno())
    os.replace(tmp, path)


def _address(url: str) -> str:
    try:
        return normalize_address(url)
    except ValueError as e:
        raise typer.BadParameter(str(e)) from e


# -- mailbox calls ----------------------------------------------------------------------------


def proof(key: KeyPair, action: str, challenge: str, extra: str = "") -> str:
    """The signature that proves ``key`` holds the mailbox (``specs/exchange.md`` §3.1)."""
    message = b"\x00".join(
        (_DOMAIN, action.encode(), key.did.encode(), challenge.encode(), extra.encode())
    )
    return _b64(key.sign(message))


def _signed_call(
    client: NodeClient, key: KeyPair, action: str, extra: str = "", **body: Any
) -> Any:
    challenge = client.get(f"/mailbox/{key.did}/challenge")["challenge"]
    payload = {"challenge": challenge, "signature": proof(key, action, challenge, extra), **body}
    return client.post_json(f"/mailbox/{key.did}/{action}", payload)


def _fetch(client: NodeClient, key: KeyPair) -> list[dict[str, Any]]:
    messages: list[dict[str, Any]] = _signed_call(client, key, "fetch")["messages"]
    return messages


def _delete(client: NodeClient, key: KeyPair, ids: list[str]) -> None:
    if ids:
        _signed_call(client, key, "delete", ",".join(ids), ids=ids)


def _deliver(node: str, recipient: str, sealed: bytes) -> str:
    with NodeClient(node) as client:
        answer = client.post_cbor(f"/mailbox/{recipient}", sealed)
    return str(answer.get("id", ""))


# -- contact cards --------------------------------------------------------------------------


def _contacts_path(place: Home) -> Path:
    return place.path / "contacts.json"


def _contacts(place: Home) -> dict[str, dict[str, Any]]:
    path = _contacts_path(place)
    if not path.exists():
        return {}
    try:
        data: dict[str, dict[str, Any]] = json.loads(path.read_text("utf-8"))["contacts"]
    except (OSError, ValueError, KeyError, TypeError) as e:
        raise InputError(f"cannot read {path}: {e}") from e
    return data


def _contact(place: Home, ref: str) -> ContactCard:
    """A stored contact by name or DID, or a card given as text or a file."""
    for did, item in _contacts(place).items():
        if ref in (did, item.get("name")):
            return ContactCard.from_text(str(item["card"]))
    try:
        return ContactCard.from_text(_card_text(ref))
    except ExchangeError as e:
        raise InputError(
            f"no contact {ref[:80]!r} (add one with 'musette contacts add'): {e}"
        ) from e


def _card_text(ref: str) -> str:
    """A card given as its text, or the name of a file that holds it."""
    if ref.strip().startswith(CARD_PREFIX):
        return ref
    try:
        return Path(ref).read_text("utf-8")
    except (OSError, UnicodeDecodeError) as e:
        raise InputError(f"{ref[:80]!r} is neither a contact card nor a readable file") from e


@app.command("card")
def card_cmd(
    as_: AsOpt = None,
    name: Annotated[str | None, typer.Option(help="The name on the card.")] = None,
    node: Annotated[str | None, typer.Option(help="The node that holds your mailbox.")] = None,
    home: HomeOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """Print your signed contact card (DID, name, mailbox node) to hand to someone."""
    place = Home(home_path(home))
    identity = place.identities.find(as_)
    key = place.identities.key(identity.name)
    where = _address(node) if node else place.config().get("mailbox_node")
    card = ContactCard.create(key, name=name or identity.name, node=where, time=int(time.time()))
    if as_json:
        emit_json({"did": card.did, "name": card.name, "node": card.node, "card": card.to_text()})
    else:
        stdout.print(card.to_text())


@contacts_app.command("add")
def contacts_add(
    card: Annotated[str, typer.Argument(help="A card (its text, or a file holding it).")],
    home: HomeOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """Store a contact card (its signature is checked)."""
    place = Home(home_path(home))
    contact = ContactCard.from_text(_card_text(card))
    contacts = _contacts(place)
    contacts[contact.did] = {"name": contact.name, "node": contact.node, "card": contact.to_text()}
    _write_atomic(
        _contacts_path(place), json.dumps({"version": 1, "contacts": contacts}, indent=2).encode()
    )
    if as_json:
        emit_json({"did": contact.did, "name": contact.name, "node": contact.node})
    else:
        stdout.print(
            f"contact {contact.name} ({contact.did}) added; mailbox: {contact.node or 'none'}"
        )


@contacts_app.command("list")
def contacts_list(home: HomeOpt = None, as_json: JsonOpt = False) -> None:
    contacts = _contacts(Home(home_path(home)))
    rows = [{"did": d, "name": c["name"], "node": c["node"]} for d, c in sorted(contacts.items())]
    if as_json:
        emit_json({"contacts": rows})
    for row in [] if as_json else rows:
        stdout.print(f"{row['name']}  {row['did']}  {row['node'] or '-'}")


# -- the worker asks --------------------------------------------------------------------------


def _exchange_dir(place: Home, kind: str) -> Path:
    return place.path / "exchange" / kind


@app.command("ask")
def ask_cmd(
    contact: Annotated[
        str, typer.Argument(help="Whom to ask: a contact's name or DID, or a card.")
    ],
    skill: Annotated[str, typer.Option(help="The skill you ask them to vouch for.")],
    context: Annotated[str, typer.Option(help="Where and how you worked together.")],
    reply_node: Annotated[
        str,
        typer.Option("--reply-node", help="The node where the answer should go (your mailbox)."),
    ],
    level: Annotated[int | None, typer.Option(help="The level you propose, 1-8.")] = None,
    evidence: Annotated[str | None, typer.Option(help="A draft of the evidence.")] = None,
    as_: AsOpt = None,
    out: Annotated[
        Path | None,
        typer.Option("--out", help="Write the sealed request here instead of sending it."),
    ] = None,
    home: HomeOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """Ask a peer to vouch for a skill: a signed request, sealed to them, delivered to
    their mailbox node (or written to a file to hand over)."""
    if level is not None and not 1 <= level <= 8:
        raise typer.BadParameter("level is 1 to 8")
    reply = _address(reply_node)
    place = Home(home_path(home))
    peer = _contact(place, contact)
    key = place.identities.key(as_)
    now = int(time.time())
    request = Request.create(
        key, to=peer.did, skill=skill, level=level, context=context, evidence=evidence,
        reply_node=reply, expires=now + REQUEST_TTL, time=now,
    )  # fmt: skip
    # The answer will carry the token: the reply node admits it past every quota, once.
    with NodeClient(reply) as client:
        _signed_call(client, key, "expect", _b64(request.token), token=_b64(request.token),
                     expires=request.expires)  # fmt: skip
    _write_atomic(_exchange_dir(place, "asked") / f"{request.id}.cbor", request.signed)
    sealed = seal(key, peer.did, request.signed)
    if out is not None:
        out.write_bytes(sealed)
        where = str(out)
    elif peer.node is None:
        raise InputError(
            f"{peer.name}'s card names no mailbox node: use --out FILE to hand it over"
        )
    else:
        _deliver(peer.node, peer.did, sealed)
        where = peer.node
    result = {"request": request.id, "to": peer.did, "delivered": where, "reply_node": reply}
    if as_json:
        emit_json(result)
    else:
        stdout.print(
            f"asked {peer.name} to vouch for {skill!r}: request {request.id} sent to {where}"
        )


# -- the peer answers ----------------------------------------------------------------------------


def _received(place: Home) -> list[Request]:
    folder = _exchange_dir(place, "received")
    found = []
    for path in sorted(folder.glob("*.cbor")) if folder.exists() else []:
        if not path.with_suffix(".done").exists():
            found.append(Request.from_bytes(path.read_bytes()))
    return found


def _mailbox_keys(place: Home, as_: str | None) -> list[KeyPair]:
    if as_ is not None:
        return [place.identities.key(as_)]
    names = [i.name for i in place.identities.list() if i.name != NODE_IDENTITY]
    if not names:
        raise InputError(f"{place.path} has no identity, so no mailbox: run 'musette persona new'")
    return [place.identities.key(name) for name in names]


@app.command("requests")
def requests_cmd(
    node: Annotated[
        str | None, typer.Option(help="Fetch new requests from this mailbox node.")
    ] = None,
    file: Annotated[
        Path | None, typer.Option("--file", help="A sealed request handed over as a file.")
    ] = None,
    as_: AsOpt = None,
    home: HomeOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """Endorsement requests you received (fetched from your mailbox first with --node)."""
    place = Home(home_path(home))
    notes: list[str] = []
    keys = _mailbox_keys(place, as_)
    if file is not None:
        try:
            data = file.read_bytes()
        except OSError as e:
            raise InputError(f"cannot read {file}: {e.strerror}") from e
        mine = [k for k in keys if _addressed_to(data) == k.did]
        if not mine:
            raise InputError(f"{file} is not a request sealed for one of your identities")
        _keep_request(place, mine[0], data, notes)
    if node is not None:
        with NodeClient(_address(node)) as client:
            for key in keys:
                handled = []
                for message in _fetch(client, key):
                    _keep_request(place, key, _unb64(message["data"]), notes)
                    handled.append(str(message["id"]))  # kept, or refused for good
                _delete(client, key, handled)
    pending = _received(place)
    if as_json:
        emit_json({"requests": [_request_json(r) for r in pending], "refused": notes})
        return
    for note in notes:
        stdout.print(f"  refused: {note}")
    if not pending:
        stdout.print("no endorsement requests waiting")
    for r in pending:
        level = f" at level {r.level}" if r.level else ""
        stdout.print(f"{r.id}  {r.skill!r}{level} from {r.sender}\n    context: {r.context}")


def _addressed_to(data: bytes) -> str | None:
    try:
        return str(sealed_header(data)["to"])
    except ExchangeError:
        return None


def _keep_request(place: Home, key: KeyPair, data: bytes, notes: list[str]) -> None:
    """Open a sealed request for ``key`` and keep it; a refusal is noted (a message that
    does not open now never will)."""
    try:
        sender, document = open_sealed(key, data)
        request = Request.from_bytes(document)
        if request.sender != sender or request.recipient != key.did:
            raise ExchangeError("the request's names do not match its envelope")
        if request.expires < time.time():
            raise ExchangeError(f"request {request.id} expired")
    except ExchangeError as e:
        notes.append(str(e))
        return
    _write_atomic(_exchange_dir(place, "received") / f"{request.id}.cbor", request.signed)


def _request_json(r: Request) -> dict[str, Any]:
    return {
        "id": r.id, "from": r.sender, "to": r.recipient, "skill": r.skill, "level": r.level,
        "context": r.context, "evidence": r.evidence, "reply_node": r.reply_node,
        "expires": datetime.fromtimestamp(r.expires, UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
    }  # fmt: skip


def _pending_request(place: Home, ref: str) -> Request:
    matches = [r for r in _received(place) if r.id.startswith(ref)]
    if len(matches) != 1:
        raise InputError(f"no single waiting request {ref!r} ('musette requests' lists them)")
    return matches[0]


def _send_answer(place: Home, request: Request, answer: Answer, key: KeyPair) -> str:
    sealed = seal(key, request.sender, answer.signed, token=request.token)
    mail_id = _deliver(request.reply_node, request.sender, sealed)
    _write_atomic(_exchange_dir(place, "received") / f"{request.id}.done", answer.decision.encode())
    return mail_id


@app.command("answer")
def answer_cmd(
    request_id: Annotated[str, typer.Argument(help="The request (its id or a unique prefix).")],
    level: Annotated[
        int | None, typer.Option(help="The level you attest (default: proposed).")
    ] = None,
    evidence: Annotated[str | None, typer.Option(help="What you saw them do.")] = None,
    home: HomeOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """Vouch: issue the attestation asked for, sealed to the worker's reply node."""
    place = Home(home_path(home))
    request = _pending_request(place, request_id)
    key = place.identities.key(request.recipient)
    chosen = level or request.level or 4
    if not 1 <= chosen <= 8:
        raise typer.BadParameter("level is 1 to 8")
    with tempfile.TemporaryDirectory() as tmp:
        edge_file = Path(tmp) / "edge.cbor"
        document = issue_from_home(
            place,
            lambda issuer: SkillAttestation(
                issuer=issuer, subject=request.sender, skill=request.skill, level=chosen,
                evidence=evidence or request.evidence, relationship=request.context,
            ),
            as_=request.recipient, fmt="rdfc", edge_out=edge_file,
        )  # fmt: skip
        edge = edge_file.read_bytes()
    credential = json.dumps(document) if isinstance(document, dict) else document
    answer = Answer.create(key, request, credential=credential, edge=edge, time=int(time.time()))
    _send_answer(place, request, answer, key)
    result = {"request": request.id, "decision": "accepted", "to": request.sender, "level": chosen}
    if as_json:
        emit_json(result)
    else:
        stdout.print(
            f"attested {request.skill!r} at level {chosen} for {request.sender}; "
            f"sent to {request.reply_node}"
        )


@app.command("decline")
def decline_cmd(
    request_id: Annotated[str, typer.Argument(help="The request (its id or a unique prefix).")],
    home: HomeOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """Decline a request: the worker is told, nothing is issued."""
    place = Home(home_path(home))
    request = _pending_request(place, request_id)
    key = place.identities.key(request.recipient)
    answer = Answer.create(key, request, credential=None, edge=None, time=int(time.time()))
    _send_answer(place, request, answer, key)
    if as_json:
        emit_json({"request": request.id, "decision": "declined", "to": request.sender})
    else:
        stdout.print(f"declined request {request.id} from {request.sender}")


# -- answers reach the worker ----------------------------------------------------------------


def fetch_answers(place: Home, node: str) -> tuple[list[str], list[str]]:
    """Fetch sealed answers from ``node`` into the wallet (accepted ones wait for your
    consent in the inbox); (what happened, what was refused)."""
    done: list[str] = []
    refused: list[str] = []
    asked = _exchange_dir(place, "asked")
    with NodeClient(_address(node)) as client, CredentialStore.in_home(place.path) as store:
        for key in _mailbox_keys(place, None):
            handled: list[str] = []
            for message in _fetch(client, key):
                mail_id = str(message["id"])
                try:
                    sender, document = open_sealed(key, _unb64(message["data"]))
                    answer = Answer.from_bytes(document)
                    path = asked / f"{answer.request}.cbor"
                    if not path.exists():
                        raise ExchangeError(
                            f"an answer to a request we did not send ({answer.request})"
                        )
                    request = Request.from_bytes(path.read_bytes())
                    if (
                        answer.sender != sender
                        or sender != request.recipient
                        or answer.token != request.token
                    ):
                        raise ExchangeError(f"the answer to {request.id} is not from whom we asked")
                    if answer.decision == "declined":
                        done.append(f"{sender} declined request {request.id} ({request.skill!r})")
                    else:
                        assert answer.credential is not None
                        item = store.import_credential(
                            answer.credential, personas=[key.did], edge=answer.edge
                        )
                        done.append(
                            f"{sender} vouched for {request.skill!r}: {item.id} waits in your inbox"
                        )
                    path.with_suffix(".done").write_text(answer.decision)
                except (ExchangeError, WalletError) as e:
                    refused.append(str(e))
                handled.append(mail_id)
            _delete(client, key, handled)
    return done, refused
