"""``musette recruiter request|requests|sync``: what a recruiter keeps in their home
(``specs/recruiter.md``).

- ``<home>/recruiter/requests.json``: the presentation requests this recruiter issued,
  each a fresh random challenge; ``musette verify --request ID`` accepts a presentation
  only for a request issued here and not yet used.
- ``<home>/recruiter/cache.json``: when the recruiter last synced with a node, and that
  node's trust snapshot (its signed entries), so that verify can say how old the cache is.

Both files are written atomically (a temporary file, then ``os.replace``).
"""

from __future__ import annotations

import json
import os
import secrets
import shutil
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Annotated, Any, Final

import typer
from rich.markup import escape

from credentials import transport
from credentials.errors import InputError
from ledger.errors import LedgerError
from ledger.trust_snapshot import Snapshot

from .bundle import SignedSnapshot, make_bundle
from .client import HttpTransport, NodeClient
from .common import Failed, HomeOpt, JsonOpt, app, home_path
from .errors import NodeError
from .home import Home
from .output import emit_json, stderr, stdout
from .service import NodeService, normalize_address

__all__ = [
    "CacheState",
    "RequestStore",
    "UnknownRequestError",
    "UsedRequestError",
    "cache_state",
    "fetch_snapshot",
]

recruiter_app = typer.Typer(
    help="Recruiter: presentation requests, and a cache of a node's ledger.",
    no_args_is_help=True,
)
app.add_typer(recruiter_app, name="recruiter")

_DIR: Final = "recruiter"
_REQUESTS: Final = "requests.json"
_CACHE: Final = "cache.json"
_VERSION: Final = 1


class UnknownRequestError(InputError):
    """A request id this recruiter never issued."""


class UsedRequestError(InputError):
    """A request whose challenge was already answered by a verified presentation."""


def _write_atomic(path: Path, value: Any) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    handle, name = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(handle, "w", encoding="utf-8") as out:
            out.write(json.dumps(value, indent=2) + "\n")
            out.flush()
            os.fsync(out.fileno())
        os.replace(name, path)
    except BaseException:
        Path(name).unlink(missing_ok=True)
        raise


def _read_json(path: Path) -> Any:
    try:
        return json.loads(path.read_text("utf-8"))
    except (OSError, ValueError) as e:
        raise InputError(f"cannot read {path}: {e}") from e


# -- requests -----------------------------------------------------------------------------


class RequestStore:
    """The presentation requests of one home (``<home>/recruiter/requests.json``)."""

    def __init__(self, home: Path) -> None:
        self.path = home / _DIR / _REQUESTS

    def _load(self) -> list[dict[str, Any]]:
        if not self.path.exists():
            return []
        data = _read_json(self.path)
        if not isinstance(data, dict) or data.get("version") != _VERSION:
            raise InputError(f"{self.path} is not a request store of version {_VERSION}")
        requests = data.get("requests")
        if not isinstance(requests, list):
            raise InputError(f"{self.path} holds no request list")
        return requests

    def _save(self, requests: list[dict[str, Any]]) -> None:
        _write_atomic(self.path, {"version": _VERSION, "requests": requests})

    def new(self, domain: str, *, now: int | None = None) -> dict[str, Any]:
        """A fresh request: a random id and a 256-bit random challenge."""
        request = {
            "id": secrets.token_hex(6),
            "challenge": secrets.token_urlsafe(32),
            "domain": domain,
            "created": int(time.time()) if now is None else now,
            "used": None,
        }
        self._save([*self._load(), request])
        return request

    def list(self) -> list[dict[str, Any]]:
        return self._load()

    def open(self, request_id: str) -> dict[str, Any]:
        """The request, still unused; UnknownRequestError or UsedRequestError otherwise."""
        for request in self._load():
            if request.get("id") == request_id:
                if request.get("used") is not None:
                    when = time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime(request["used"]))
                    raise UsedRequestError(
                        f"request {request_id} was already used ({when}): "
                        "a challenge is accepted once; issue a new request"
                    )
                return request
        raise UnknownRequestError(
            f"request {request_id!r} was not issued by this recruiter "
            "('musette recruiter request' makes one)"
        )

    def mark_used(self, request_id: str, *, now: int | None = None) -> None:
        requests = self._load()
        for request in requests:
            if request.get("id") == request_id:
                request["used"] = int(time.time()) if now is None else now
        self._save(requests)


@recruiter_app.command("request")
def request_cmd(
    domain: Annotated[str, typer.Option("--domain", help="Your domain, for the holder to sign.")],
    show: Annotated[
        bool, typer.Option("--show/--no-show", help="Draw the request's QR in the terminal.")
    ] = True,
    home: HomeOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """Make a presentation request: a fresh random challenge for your domain, kept in your
    home, printed with a QR for the worker to scan ('musette verify --request ID')."""
    if not domain.strip():
        raise typer.BadParameter("--domain must not be empty")
    request = RequestStore(home_path(home)).new(domain.strip())
    ask = {"type": "MusetteRequest", "challenge": request["challenge"], "domain": domain.strip()}
    payload = transport.encode_payload(ask)
    if as_json:
        emit_json({**request, "payload": payload})
        return
    stdout.print(f"request {request['id']}")
    stdout.print(f"  challenge {request['challenge']}")
    stdout.print(f"  domain    {request['domain']}")
    stdout.print(
        f"  the worker runs: musette present --challenge {request['challenge']} "
        f"--domain {request['domain']} …"
    )
    sys.stdout.write(payload + "\n")
    if show:
        drawing = transport.terminal_qr(payload)
        width = len(drawing.splitlines()[0])
        if width <= shutil.get_terminal_size().columns:
            sys.stderr.write(drawing + "\n")
        else:
            stderr.print(f"(the QR needs a terminal {width} columns wide)")


@recruiter_app.command("requests")
def requests_cmd(home: HomeOpt = None, as_json: JsonOpt = False) -> None:
    """The requests you issued, and whether each was used."""
    requests = RequestStore(home_path(home)).list()
    if as_json:
        emit_json({"requests": requests})
        return
    for r in requests:
        state = "used" if r.get("used") is not None else "open"
        stdout.print(f"{r['id']}  {state:<4}  {r['domain']}  {r['challenge']}")


# -- the cache ----------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class CacheState:
    url: str
    synced: int
    snapshot: SignedSnapshot | None

    def age(self, now: float | None = None) -> int:
        return max(0, int((time.time() if now is None else now) - self.synced))

    def describe(self, now: float | None = None) -> str:
        return f"ledger cache synced {_ago(self.age(now))} from {self.url}"


def _ago(seconds: int) -> str:
    if seconds < 120:
        return f"{seconds} s ago"
    if seconds < 2 * 3600:
        return f"{seconds // 60} min ago"
    if seconds < 48 * 3600:
        return f"{seconds // 3600} h ago"
    return f"{seconds // 86400} days ago"


def cache_state(home: Path) -> CacheState | None:
    """What ``musette recruiter sync`` last stored, or None (never synced)."""
    path = home / _DIR / _CACHE
    if not path.exists():
        return None
    data = _read_json(path)
    if not isinstance(data, dict) or not isinstance(data.get("synced"), int):
        raise InputError(f"{path} is not a recruiter cache")
    signed = data.get("trust_snapshot")
    snapshot = make_bundle({}, [], signed).trust_snapshot if isinstance(signed, dict) else None
    return CacheState(str(data.get("url", "")), data["synced"], snapshot)


def fetch_snapshot(url: str, author: str | None = None) -> tuple[dict[str, Any], Snapshot]:
    """A node's ``/trust/snapshot`` answer (``author`` and ``entries``), its entries
    verified here; a NodeError or LedgerError when it cannot be had or does not verify."""
    with NodeClient(url) as client:
        answer = client.get("/trust/snapshot", **({"author": author} if author else {}))
    if not isinstance(answer, dict):
        raise NodeError(f"the node at {url} answered /trust/snapshot with no object")
    carried = {"author": answer.get("author"), "entries": answer.get("entries")}
    signed = make_bundle({}, [], carried).trust_snapshot
    assert signed is not None
    return carried, signed.verified()


@recruiter_app.command("sync")
def sync_cmd(
    url: Annotated[str, typer.Argument(help="The node whose ledger to cache.")],
    home: HomeOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """One sync round with the node at URL into your home, plus its trust snapshot's
    signed entries; verify then says how old this cache is."""
    try:
        address = normalize_address(url)
    except ValueError as e:
        raise typer.BadParameter(str(e)) from e
    place = Home(home_path(home))
    service = NodeService(place, peers=[address])
    gossip = HttpTransport()
    try:
        report = service.gossip.sync(gossip, address)
    finally:
        gossip.close()
        service.close()
    if report.error:
        stderr.print(f"musette: error: sync with {address} failed: {report.error}")
        raise Failed
    carried: dict[str, Any] | None = None
    note = "no trust snapshot"
    try:
        carried, snapshot = fetch_snapshot(address)
        note = f"trust snapshot of {snapshot.author} ({len(carried['entries'])} entries)"
    except (NodeError, LedgerError) as e:
        note = f"no trust snapshot ({e})"
    synced = int(time.time())
    _write_atomic(
        place.path / _DIR / _CACHE,
        {"version": _VERSION, "url": address, "synced": synced, "trust_snapshot": carried},
    )
    if as_json:
        emit_json({**report.to_json(), "synced": synced, "trust_snapshot": carried is not None})
        return
    stdout.print(
        f"synced with {address}: pulled {report.pulled} entries; {note}; "
        "verify will report this cache's age"
    )


# -- the claims table ---------------------------------------------------------------------


def _age_text(seconds: int | None) -> str:
    return "—" if seconds is None else _ago(seconds).removesuffix(" ago")


def print_claims(rows: list[dict[str, Any]], policy: str) -> None:
    """One line per claim: accepted or not, genuine, revoked, expired, status age, trust;
    then what was not checked (the lenient policy says so plainly)."""
    stdout.print(f"  claims (policy {policy}):")
    stdout.print(
        f"    {'#':<3}{'verdict':<10}{'genuine':<9}{'revoked':<9}{'expired':<9}"
        f"{'status age':<12}{'trust':<8}claim"
    )
    for r in rows:
        if r["suspended"]:
            revoked = "susp."
        else:
            revoked = "yes" if r["revoked"] else ("?" if r["status"] == "not-checked" else "no")
        trust = "—" if r["trust"] is None else f"{r['trust']:.3f}"
        verdict = "accepted" if r["accepted"] else "REJECTED"
        stdout.print(
            f"    {r['number']:<3}{verdict:<10}{'yes' if r['genuine'] else 'NO':<9}"
            f"{revoked:<9}{'yes' if r['expired'] else 'no':<9}"
            f"{_age_text(r['status_age_seconds']):<12}{trust:<8}{escape(r['claim'])}"
        )
        for problem in r["problems"]:
            stdout.print(f"         ✗ {escape(problem)}")
        if r["accepted"]:
            for note in r["not_checked"]:
                stdout.print(f"         not checked: {escape(note)}")
