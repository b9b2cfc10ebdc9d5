"""The node's HTTP service (FastAPI; routes and statuses in ``specs/api.md``).

Every error is a JSON problem detail (RFC 9457, ``application/problem+json``) with a 4xx
status for anything the client sent wrong; a 5xx means a bug here. Request bodies are
capped before they are read in full (:class:`_Guard`); non-gossip routes are rate-limited
per client address, gossip per node key (every gossip message is signed by its node).
"""

from __future__ import annotations

import base64
import json
import time
from collections.abc import Awaitable, Callable, Mapping, MutableMapping
from dataclasses import dataclass
from typing import Any, Final

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, Response
from starlette.concurrency import run_in_threadpool
from starlette.exceptions import HTTPException

from credentials.errors import CredentialError
from credentials.inputs import ParsedInput, document_kind, parse_input
from credentials.report import Report
from credentials.verifier import Verifier
from ledger.bundle import Bundle
from ledger.errors import EncodingError, LedgerError, ProofError
from ledger.statuslist import PURPOSES
from ledger.trust_snapshot import latest_snapshot, snapshot_entries

from .errors import (
    BadProof,
    MailboxError,
    MailboxFull,
    MalformedMessage,
    MessageTooLarge,
    QuotaExceeded,
    Replay,
)
from .gossip.errors import WireError
from .gossip.wire import MAX_MESSAGE_BYTES, MessageType
from .mailbox import MAX_MESSAGE_BYTES as MAX_SEALED_BYTES
from .mailbox import StoredMessage
from .service import NodeService
from .status import StatusSources, credential_status, stapled_lists, status_subject
from .web import register_pages

__all__ = ["ApiLimits", "create_app"]

CBOR: Final = "application/cbor"
PROBLEM: Final = "application/problem+json"
_Scope = MutableMapping[str, Any]
_Receive = Callable[[], Awaitable[MutableMapping[str, Any]]]
_Send = Callable[[MutableMapping[str, Any]], Awaitable[None]]


@dataclass(frozen=True, slots=True)
class ApiLimits:
    body_bytes: int = 1024 * 1024  # JSON routes
    ledger_bytes: int = MAX_MESSAGE_BYTES  # /gossip and /entries
    mailbox_bytes: int = MAX_SEALED_BYTES  # /mailbox/… (one sealed message, or a small JSON)
    rate: float = 100.0  # requests per second per client address (non-gossip routes)
    burst: float = 400.0
    max_entries_page: int = 1000


class Problem(HTTPException):
    """An HTTP error with an RFC 9457 problem type."""

    def __init__(self, status: int, kind: str, detail: str) -> None:
        super().__init__(status_code=status, detail=detail)
        self.kind = kind


def _problem(
    status: int, kind: str, detail: str, headers: Mapping[str, str] | None = None
) -> JSONResponse:
    titles = {
        400: "Bad Request",
        401: "Unauthorized",
        403: "Forbidden",
        404: "Not Found",
        405: "Method Not Allowed",
        409: "Conflict",
        413: "Content Too Large",
        415: "Unsupported Media Type",
        422: "Unprocessable Content",
        429: "Too Many Requests",
    }
    body = {
        "type": f"urn:musette:problem:{kind}",
        "title": titles.get(status, "Error"),
        "status": status,
        "detail": detail,
    }
    headers = {**({"Retry-After": "1"} if status == 429 else {}), **(headers or {})}
    return JSONResponse(body, status_code=status, media_type=PROBLEM, headers=headers)


class _Guard:
    """Caps request bodies (413 before reading past the limit) and rate-limits non-gossip
    routes per client address (429)."""

    def __init__(self, app: Callable[..., Awaitable[None]], limits: ApiLimits) -> None:
        self.app = app
        self.limits = limits
        self.buckets: dict[str, tuple[float, float]] = {}

    def _allowed(self, client: str) -> bool:
        now = time.monotonic()
        if len(self.buckets) > 10_000:  # forget the clients whose buckets have refilled
            refill = self.limits.burst / self.limits.rate
            self.buckets = {c: b for c, b in self.buckets.items() if now - b[1] < refill}
        tokens, at = self.buckets.get(client, (self.limits.burst, now))
        tokens = min(self.limits.burst, tokens + (now - at) * self.limits.rate)
        if tokens < 1:
            self.buckets[client] = (tokens, now)
            return False
        self.buckets[client] = (tokens - 1, now)
        return True

    async def __call__(self, scope: _Scope, receive: _Receive, send: _Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        path = scope.get("path", "")
        ledger_route = path in ("/gossip", "/entries")
        limit = self.limits.ledger_bytes if ledger_route else self.limits.body_bytes
        if path.startswith("/mailbox/"):
            limit = self.limits.mailbox_bytes
        client = (scope.get("client") or ("?", 0))[0]
        if path != "/gossip" and not self._allowed(client):
            refusal = _problem(429, "rate-limited", "too many requests; slow down")
            await refusal(scope, receive, send)
            return
        headers = dict(scope.get("headers") or [])
        declared = headers.get(b"content-length")
        if declared is not None and (not declared.isdigit() or int(declared) > limit):
            detail = f"request body over the limit of {limit} bytes for {path}"
            await _problem(413, "too-large", detail)(scope, receive, send)
            return
        seen = 0

        async def capped() -> MutableMapping[str, Any]:
            nonlocal seen
            message = await receive()
            if message["type"] == "http.request":
                seen += len(message.get("body", b""))
                if seen > limit:
                    raise Problem(413, "too-large", f"request body over {limit} bytes")
            return message

        await self.app(scope, capped, send)


def _json_body(raw: bytes) -> dict[str, Any]:
    try:
        value = json.loads(raw)
    except (ValueError, RecursionError) as e:
        raise Problem(400, "malformed-json", f"the body is not JSON: {e}") from e
    if not isinstance(value, dict):
        raise Problem(400, "malformed-request", "the body must be a JSON object")
    return value


def _document_text(value: Any, member: str) -> str:
    if isinstance(value, str):
        return value  # a VC-JWT, SD-JWT or MUS1: payload
    if isinstance(value, dict):
        return json.dumps(value)
    raise Problem(400, "malformed-request", f"{member} must be a JSON object or a string")


def _vc_api_result(report: Report) -> JSONResponse:
    """A W3C VC API verification result: checks passed, warnings (not checked), errors
    (failed), with our full report beside them; 200 when verified, 400 otherwise."""
    checks = [c.name for c in report.checks if c.status.value == "passed"]
    warnings = [
        {"check": c.name, "message": c.detail}
        for c in report.checks
        if c.status.value == "not-checked"
    ]
    errors = [
        {"check": c.name, "message": c.detail} for c in report.checks if c.status.value == "failed"
    ]
    body = {
        "verified": report.verified,
        "checks": checks,
        "warnings": warnings,
        "errors": errors,
        "report": report.to_json(),
    }
    return JSONResponse(body, status_code=200 if report.verified else 400)


def create_app(service: NodeService, limits: ApiLimits | None = None) -> FastAPI:
    limits = limits or ApiLimits()
    app = FastAPI(
        title="Musette node",
        version="0.1.0",
        summary="Feeds, gossip, status lists and offline-grade verification of skill credentials.",
        docs_url=None,
        redoc_url=None,
    )

    @app.exception_handler(Problem)
    async def _on_problem(_: Request, e: Problem) -> JSONResponse:
        return _problem(e.status_code, e.kind, str(e.detail))

    @app.exception_handler(HTTPException)
    async def _on_http(_: Request, e: HTTPException) -> JSONResponse:
        kinds = {404: "not-found", 405: "method-not-allowed"}
        # e.headers carries a 405's Allow (RFC 9110 §15.5.6: a 405 MUST send it)
        kind = kinds.get(e.status_code, "http")
        return _problem(e.status_code, kind, str(e.detail), headers=e.headers)

    @app.exception_handler(RequestValidationError)
    async def _on_invalid(_: Request, e: RequestValidationError) -> JSONResponse:
        first = e.errors()[0] if e.errors() else {}
        where = ".".join(str(p) for p in first.get("loc", ()))
        return _problem(400, "malformed-request", f"{where}: {first.get('msg', 'invalid')}")

    # -- health and feeds ------------------------------------------------------------------

    @app.get("/health", summary="The node is up; its identity and ledger in figures.")
    def health() -> dict[str, Any]:
        return service.summary()

    @app.get("/feeds", summary="Feed heads, in author order, a page at a time.")
    def feeds(after: str = "", limit: int = 500) -> dict[str, Any]:
        if not 1 <= limit <= 5000:
            raise Problem(400, "malformed-request", "limit is 1 to 5000")
        heads = sorted(service.replica.index(), key=lambda h: h.author)
        page = [h for h in heads if h.author > after][:limit]
        return {
            "feeds": [
                {"author": h.author, "size": h.size, "root": h.root.hex(), "forked": h.forked}
                for h in page
            ],
            "next": page[-1].author if len(page) == limit else None,
        }

    @app.get("/feeds/{author}/entries", summary="Signed entries of a feed, by range.")
    def feed_entries(
        author: str, start: int = 0, end: int | None = None, proof_from: int | None = None
    ) -> dict[str, Any]:
        head = service.replica.index().get(author)
        if head is None or head.forked:
            kind = "no such feed" if head is None else "a forked feed (see its fork proof)"
            raise Problem(404, "no-feed", f"{author}: {kind}")
        stop = min(head.size, end if end is not None else head.size)
        stop = min(stop, start + limits.max_entries_page)
        if start < 0 or start > stop:
            raise Problem(400, "bad-range", f"start must be 0 to {stop}")
        entries = service.replica.entries(author, start, stop)
        checkpoint = service.replica.checkpoint(author) if stop == head.size else None
        proof: list[bytes] = []
        if proof_from is not None:
            try:
                proof = service.replica.consistency(author, proof_from, stop)
            except (ProofError, ValueError) as e:
                raise Problem(400, "bad-range", str(e)) from e
        b64 = _b64
        return {
            "author": author,
            "size": head.size,
            "root": head.root.hex(),
            "start": start,
            "entries": [b64(e) for e in entries],
            "checkpoint": b64(checkpoint) if checkpoint else None,
            "consistency": [b64(p) for p in proof],
        }

    @app.post(
        "/entries",
        summary="Submit signed entries (a CBOR ledger bundle); each is verified first.",
        openapi_extra={"requestBody": {"content": {CBOR: {"schema": {"type": "string"}}}}},
    )
    async def submit(request: Request) -> JSONResponse:
        raw = await request.body()
        try:
            bundle = Bundle.from_bytes(raw, max_bytes=limits.ledger_bytes)
        except EncodingError as e:
            raise Problem(400, "malformed-bundle", str(e)) from e
        report = await run_in_threadpool(service.submit, bundle)
        body = {
            "stored": report.stored,
            "known": report.known,
            "refused": report.refused[:100],
            "forks": [{"author": f.author, "variant": f.variant} for f in report.forks],
        }
        status = 200 if not (report.invalid and not report.stored) else 422
        return JSONResponse(body, status_code=status)

    # -- gossip -----------------------------------------------------------------------------

    @app.post(
        "/gossip",
        summary="One signed gossip message in, one out (CBOR, specs/gossip.md).",
        openapi_extra={"requestBody": {"content": {CBOR: {"schema": {"type": "string"}}}}},
    )
    async def gossip(request: Request) -> Response:
        raw = await request.body()
        return await run_in_threadpool(_gossip, raw)

    def _gossip(raw: bytes) -> Response:
        node = service.gossip
        try:
            envelope = node.open_request(raw, max_bytes=limits.ledger_bytes)
        except WireError as e:
            return _problem(400, "bad-envelope", str(e))
        sender = envelope.sender_did
        if service.peers.banned(sender):
            return _problem(403, "dropped", "this node has dropped you for a while (back-off)")
        if not service.peers.allow(sender):
            return _problem(429, "rate-limited", "too many gossip requests from your node")
        answer = node.answer(envelope)
        status = 400 if answer_is_error(answer) else 200
        return Response(answer, status_code=status, media_type=CBOR)

    @app.get("/trust/snapshot", summary="The node's latest signed trust snapshot.")
    def trust_snapshot(author: str | None = None) -> dict[str, Any]:
        who = author or service.did
        with service.replica.lock:
            snapshot = latest_snapshot(service.store, who)
            signed = snapshot_entries(service.store, who) if snapshot else []
        if snapshot is None:
            raise Problem(404, "no-snapshot", f"this node holds no trust snapshot of {who}")
        return {
            "author": snapshot.author,
            "time": snapshot.time,
            "anchors": list(snapshot.anchors),
            "scores": snapshot.scores,
            "entries": [_b64(e) for e in signed],
        }

    @app.get("/peers", summary="Peers this node knows, with scores and bans.")
    def peers() -> dict[str, Any]:
        now = service.clock()
        return {
            "node": service.did,
            "addresses": sorted(service.addresses),
            "peers": [r.to_json(now) for r in service.peers.records()],
        }

    # -- status -------------------------------------------------------------------------------

    @app.get(
        "/status/{fingerprint}/{number}/{purpose}",
        summary="An issuer's latest Bitstring Status List credential.",
    )
    def status_list(fingerprint: str, number: int, purpose: str) -> JSONResponse:
        if purpose not in PURPOSES:
            raise Problem(404, "not-found", f"purpose is one of {', '.join(PURPOSES)}")
        try:
            document = service.status_list(fingerprint, number, purpose)
        except (LedgerError, CredentialError) as e:
            raise Problem(400, "bad-list", str(e)) from e
        if document is None:
            raise Problem(404, "no-list", "this node holds no such status list")
        return JSONResponse(document, media_type="application/vc+ld+json")

    @app.post("/status-lists", summary="Hand the node a signed status list credential to serve.")
    async def put_status_list(request: Request) -> dict[str, Any]:
        document = _json_body(await request.body())
        report = await run_in_threadpool(Verifier().verify, parse_input(json.dumps(document)))
        if not report.verified:
            failed = next((c for c in report.checks if c.status.value != "passed"), None)
            why = f"{failed.name}: {failed.detail}" if failed else "not verified"
            raise Problem(422, "unverified", f"the status list does not verify ({why})")
        try:
            kept = await run_in_threadpool(service.accept_status_list, document)
        except LedgerError as e:
            raise Problem(422, "bad-list", str(e)) from e
        return {"kept": kept, "id": document.get("id")}

    @app.post("/status/check", summary="A credential's status as this node's ledger knows it.")
    async def status_check(request: Request) -> dict[str, Any]:
        body = _json_body(await request.body())
        text = _document_text(body.get("credential"), "credential")
        # off the event loop: the replica's lock may be held by a gossip round or a verify
        return await run_in_threadpool(_status_of, text)

    def _status_of(text: str) -> dict[str, Any]:
        document, token = status_subject(parse_input(text))
        with service.replica.lock:
            found = credential_status(service.store, document, token)
        return found.to_json()

    # -- VC API verification ------------------------------------------------------------------

    def _verify(text: str, options: dict[str, Any], kind: str) -> JSONResponse:
        parsed = parse_input(text)
        if _kind(parsed) != kind:
            raise Problem(400, "wrong-kind", f"this route verifies a {kind}, not a {_kind(parsed)}")
        challenge, domain = options.get("challenge"), options.get("domain")
        if not all(v is None or isinstance(v, str) for v in (challenge, domain)):
            raise Problem(400, "malformed-request", "options.challenge and domain are strings")
        # Only the status lookup touches the ledger: the lock is taken for it alone, so
        # verifications run side by side and never hold up gossip.
        sources = StatusSources(
            lists=stapled_lists(parsed.document), store=service.store, lock=service.replica.lock
        )
        report = Verifier(checks=(sources,)).verify(parsed, challenge=challenge, domain=domain)
        return _vc_api_result(report)

    async def _verify_route(request: Request, member: str, kind: str) -> JSONResponse:
        body = _json_body(await request.body())
        text = _document_text(body.get(member), member)
        options = body.get("options") or {}
        if not isinstance(options, dict):
            raise Problem(400, "malformed-request", "options must be an object")
        return await run_in_threadpool(_verify, text, options, kind)

    @app.post("/credentials/verify", summary="Verify a credential (W3C VC API shape).")
    async def verify_credential(request: Request) -> JSONResponse:
        return await _verify_route(request, "verifiableCredential", "credential")

    @app.post("/presentations/verify", summary="Verify a presentation (W3C VC API shape).")
    async def verify_presentation(request: Request) -> JSONResponse:
        return await _verify_route(request, "verifiablePresentation", "presentation")

    # -- mailboxes (specs/exchange.md §3) ----------------------------------------------------

    mailboxes = service.mailboxes

    @app.post(
        "/mailbox/{recipient}",
        status_code=201,
        summary="Deposit one sealed message (CBOR, at most 64 KiB) for a recipient.",
        openapi_extra={"requestBody": {"content": {CBOR: {"schema": {"type": "string"}}}}},
    )
    async def mailbox_deposit(recipient: str, request: Request) -> JSONResponse:
        raw = await request.body()
        message_id = await run_in_threadpool(mailboxes.deposit, recipient, raw)
        return JSONResponse({"id": message_id}, status_code=201)

    @app.get(
        "/mailbox/{recipient}/challenge",
        summary="A fresh challenge for the recipient to sign (one use, 120 s).",
    )
    def mailbox_challenge(recipient: str) -> dict[str, Any]:
        challenge, expires = mailboxes.challenge(recipient)
        return {"challenge": challenge, "expires": expires}

    @app.post(
        "/mailbox/{recipient}/expect",
        summary="The recipient registers a token an answer will carry (signed challenge).",
    )
    async def mailbox_expect(recipient: str, request: Request) -> dict[str, Any]:
        body = _json_body(await request.body())
        challenge, signature = _proof(body)
        token_text = body.get("token")
        token = _unb64(token_text, "token")
        expires = body.get("expires")
        if not isinstance(expires, int) or isinstance(expires, bool) or expires < 0:
            raise Problem(400, "malformed-request", "expires is a Unix time (an integer)")

        def expect() -> int:
            mailboxes.verify_proof(recipient, "expect", challenge, signature, str(token_text))
            return mailboxes.expect(recipient, token, expires)

        return {"expires": await run_in_threadpool(expect)}

    @app.post(
        "/mailbox/{recipient}/fetch",
        summary="The recipient lists and fetches its messages (signed challenge).",
    )
    async def mailbox_fetch(recipient: str, request: Request) -> dict[str, Any]:
        challenge, signature = _proof(_json_body(await request.body()))

        def fetch() -> list[StoredMessage]:
            mailboxes.verify_proof(recipient, "fetch", challenge, signature)
            return mailboxes.fetch(recipient)

        messages = await run_in_threadpool(fetch)
        return {
            "messages": [
                {
                    "id": m.id,
                    "from": m.sender,
                    "token": _b64(m.token) if m.token is not None else None,
                    "size": m.size,
                    "time": m.time,
                    "expires": m.expires,
                    "data": _b64(m.data),
                }
                for m in messages
            ]
        }

    @app.post(
        "/mailbox/{recipient}/delete",
        summary="The recipient deletes messages by id (signed challenge).",
    )
    async def mailbox_delete(recipient: str, request: Request) -> dict[str, Any]:
        body = _json_body(await request.body())
        challenge, signature = _proof(body)
        ids = body.get("ids")
        if not isinstance(ids, list) or not all(isinstance(i, str) and "," not in i for i in ids):
            raise Problem(400, "malformed-request", "ids is a list of message ids")

        def delete() -> int:
            mailboxes.verify_proof(recipient, "delete", challenge, signature, ",".join(ids))
            return mailboxes.delete(recipient, ids)

        return {"deleted": await run_in_threadpool(delete)}

    @app.exception_handler(MailboxError)
    async def _on_mailbox(_: Request, e: MailboxError) -> JSONResponse:
        return _mailbox_problem(e)

    @app.exception_handler(CredentialError)
    async def _on_credential(_: Request, e: CredentialError) -> JSONResponse:
        return _problem(400, "bad-document", str(e))

    @app.exception_handler(LedgerError)
    async def _on_ledger(_: Request, e: LedgerError) -> JSONResponse:
        return _problem(400, "bad-ledger-data", str(e))

    register_pages(app, service)
    app.add_middleware(_Guard, limits=limits)
    return app


def _kind(parsed: ParsedInput) -> str:
    """``credential`` or ``presentation`` (a JWT's or SD-JWT's kind from its payload)."""
    if parsed.document is not None:
        return document_kind(parsed.document)
    return "credential" if parsed.format == "sd-jwt" else "document"


def answer_is_error(envelope: bytes) -> bool:
    """Whether a signed response is an ERROR message (its type is the second element)."""
    return len(envelope) > 2 and envelope[2] == MessageType.ERROR


def _mailbox_problem(e: MailboxError) -> JSONResponse:
    """The status of a mailbox refusal (``specs/api.md`` §7 and §8): a full mailbox is 429, not
    507, since a 5xx would claim a fault of the node and the condition passes."""
    if isinstance(e, QuotaExceeded):
        kind = "mailbox-full" if isinstance(e, MailboxFull) else "quota-exceeded"
        return _problem(429, kind, str(e), headers={"Retry-After": str(e.retry_after)})
    for cls, status, kind in _MAILBOX_STATUSES:
        if isinstance(e, cls):
            return _problem(status, kind, str(e))
    return _problem(400, "mailbox", str(e))


_MAILBOX_STATUSES: Final[tuple[tuple[type[MailboxError], int, str], ...]] = (
    (MessageTooLarge, 413, "too-large"),  # before its base, MalformedMessage
    (MalformedMessage, 400, "malformed-message"),
    (Replay, 409, "replay"),
    (BadProof, 403, "bad-proof"),
)


def _unb64(value: Any, member: str) -> bytes:
    """Unpadded base64url, strictly (one text for one value: it may be signed as text)."""
    if isinstance(value, str) and value.isascii():
        try:
            raw = base64.urlsafe_b64decode(value + "=" * (-len(value) % 4))
        except ValueError:
            pass
        else:
            if _b64(raw) == value:
                return raw
    raise Problem(400, "malformed-request", f"{member} must be unpadded base64url")


def _proof(body: dict[str, Any]) -> tuple[str, bytes]:
    """The challenge and signature of a recipient's request (``specs/exchange.md`` §3.1)."""
    challenge = body.get("challenge")
    if not isinstance(challenge, str):
        raise Problem(400, "malformed-request", "challenge must be a string")
    return challenge, _unb64(body.get("signature"), "signature")


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()
