"""Server-rendered pages of the node: an index, the recruiter's verify page, one persona's
verifiable CV and the node's own page.

Plain HTML with a little inline CSS: no scripts, no external assets, so the pages work from
loopback and print well. Every value shown is escaped (:func:`html.escape`). The verify page
runs the same verification as ``POST /credentials/verify`` (the node's ledger as status
source); a bad input gives an error page with status 400, never a 5xx. Request bodies are
capped by the API's guard like any other route.

A CV page shows one persona only and never links to another: personas are kept apart.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from email.parser import BytesParser
from email.policy import HTTP
from html import escape
from typing import Any, Final
from urllib.parse import parse_qs, quote

from fastapi import FastAPI, Request
from fastapi.responses import HTMLResponse
from starlette.concurrency import run_in_threadpool

from credentials import transport
from credentials.errors import CredentialError
from credentials.inputs import parse_input
from credentials.report import CheckStatus, Report
from credentials.verifier import Verifier
from ledger.errors import LedgerError
from ledger.trust import TrustError, compute
from ledger.trust_ledger import trust_graph
from wallet.store import CredentialStore, StoredCredential

from .service import NodeService
from .status import StatusSources, credential_status, stapled_lists, status_subject

__all__ = ["register_pages"]

_MAX_REVOCATIONS: Final = 20
_SHOWN: Final = ("accepted", "pending")

_CSS: Final = """
body{font:16px/1.45 system-ui,sans-serif;max-width:60rem;margin:1.5rem auto;padding:0 1rem;
color:#1b1b1b;background:#fff}
h1{font-size:1.6rem}h2{font-size:1.25rem;margin-top:1.6rem;border-bottom:1px solid #ccc}
code,.did{font-family:ui-monospace,monospace;font-size:.85em;word-break:break-all}
table{border-collapse:collapse;width:100%}td,th{text-align:left;padding:.3rem .5rem;
border-bottom:1px solid #e3e3e3;vertical-align:top}
td{overflow-wrap:anywhere}
.mark{display:inline-block;white-space:nowrap;min-width:8.5rem;font-weight:700;padding:.1rem .4rem;
border-radius:.25rem;color:#fff}
.mark.passed{background:#1a7f37}.mark.failed{background:#cf222e}
.mark.not-checked{background:#b35900}
.banner{padding:.8rem 1rem;border-radius:.4rem;font-size:1.2rem;font-weight:700;color:#fff}
.banner.ok{background:#1a7f37}.banner.bad{background:#cf222e}
.error{border:2px solid #cf222e;padding:.8rem 1rem;border-radius:.4rem}
.revoked,.suspended{color:#cf222e;font-weight:700;text-transform:uppercase}
.valid{color:#1a7f37;font-weight:700}.unknown{color:#b35900;font-weight:700}
.claim{border:1px solid #ddd;border-radius:.4rem;padding:.6rem 1rem;margin:.6rem 0;
display:flex;gap:1rem;justify-content:space-between;break-inside:avoid}
.qr svg{width:9rem;height:auto}.note{color:#555;font-size:.9em}
textarea{width:100%;min-height:8rem;font-family:ui-monospace,monospace}
nav a{margin-right:1rem}
@media print{nav,form,.noprint{display:none}body{margin:0;max-width:none;font-size:11pt}
.claim{border-color:#999}.mark,.banner{color:#000;border:1px solid #000;background:none}
a{color:#000;text-decoration:none}}
"""

_MARKS: Final = {
    CheckStatus.PASSED: "passed",
    CheckStatus.FAILED: "FAILED",
    CheckStatus.NOT_CHECKED: "could not check",
}


class _BadInput(Exception):
    """What the person sent cannot be read; shown on the page with status 400."""


def _page(title: str, body: str, status: int = 200) -> HTMLResponse:
    document = (
        "<!doctype html>\n<html lang=en><head><meta charset=utf-8>"
        '<meta name=viewport content="width=device-width,initial-scale=1">'
        f"<title>{escape(title)} · Musette</title><style>{_CSS}</style></head><body>"
        '<nav><a href="/">Musette node</a><a href="/verify">Verify</a>'
        '<a href="/node">Node</a></nav>'
        f"<h1>{escape(title)}</h1>{body}</body></html>\n"
    )
    return HTMLResponse(document, status_code=status)


def _error(message: str) -> str:
    return f"<p class=error role=alert>{escape(message)}</p>"


def _error_page(title: str, message: str, status: int) -> HTMLResponse:
    return _page(title, _error(message), status)


# -- verify -------------------------------------------------------------------------------


_VERIFY_FORM: Final = """
<form method=post action=/verify enctype=multipart/form-data>
<p><label>Upload a file (JSON credential or presentation, JWT, or MUS1: payload):<br>
<input type=file name=file id=file></label></p>
<p><label>…or paste it here:<br><textarea name=text id=text></textarea></label></p>
<p><button type=submit id=submit>Verify</button></p>
</form>
<p class=note>Verification runs on this node, with its ledger as the status source.</p>
"""


def _form_fields(content_type: str, body: bytes) -> dict[str, bytes]:
    """The fields of a form post (multipart or urlencoded); _BadInput if it is neither."""
    kind = content_type.split(";", 1)[0].strip().lower()
    if kind == "application/x-www-form-urlencoded":
        try:
            pairs = parse_qs(body.decode("utf-8"), keep_blank_values=True, strict_parsing=False)
        except UnicodeDecodeError as e:
            raise _BadInput("the form is not UTF-8") from e
        return {k: v[0].encode("utf-8") for k, v in pairs.items() if v}
    if kind != "multipart/form-data":
        raise _BadInput("send the form as multipart/form-data or urlencoded")
    head = f"Content-Type: {content_type}\r\nMIME-Version: 1.0\r\n\r\n".encode("latin-1")
    message = BytesParser(policy=HTTP).parsebytes(head + body)
    if not message.is_multipart():
        raise _BadInput("the multipart form could not be read")
    fields: dict[str, bytes] = {}
    for part in message.iter_parts():
        name = part.get_param("name", header="content-disposition")
        data = part.get_payload(decode=True)
        if isinstance(name, str) and isinstance(data, bytes):
            fields[name] = data
    return fields


def _submitted_text(fields: Mapping[str, bytes]) -> str:
    raw = fields.get("file", b"").strip() or fields.get("text", b"").strip()
    if not raw:
        raise _BadInput("nothing to verify: upload a file or paste a document")
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError as e:
        raise _BadInput("the document is not UTF-8 text") from e


def _report_html(report: Report) -> str:
    what = escape(report.kind)
    if report.verified:
        banner = f'<p class="banner ok" id=verdict>✔ Verified {what}</p>'
    else:
        banner = f'<p class="banner bad" id=verdict>✘ Not verified {what}</p>'
    rows = "".join(
        f'<tr class=check data-check="{escape(c.name)}" data-status="{escape(c.status.value)}">'
        f'<td><span class="mark {escape(c.status.value)}">{escape(_MARKS[c.status])}</span></td>'
        f"<th scope=row>{escape(c.name)}</th><td>{escape(c.detail)}</td></tr>"
        for c in report.checks
    )
    nested = "".join(
        f"<h3>Credential {i + 1} of the presentation</h3>{_report_html(r)}"
        for i, r in enumerate(report.credentials)
    )
    return f"{banner}<table><tbody>{rows}</tbody></table>{nested}"


def _verify_text(service: NodeService, text: str) -> Report:
    """The report of ``POST /credentials/verify`` (and ``/presentations/verify``) for
    ``text``, without a challenge or domain. Raises _BadInput for unreadable input."""
    try:
        parsed = parse_input(text)
        sources = StatusSources(
            lists=stapled_lists(parsed.document), store=service.store, lock=service.replica.lock
        )
        return Verifier(checks=(sources,)).verify(parsed)
    except (CredentialError, LedgerError, ValueError, RecursionError) as e:
        raise _BadInput(f"this could not be read as a credential or presentation: {e}") from e


# -- CV -----------------------------------------------------------------------------------


def _qr_svg(document: Any) -> str:
    try:
        payload = transport.encode_payload(document)
        svg: str = transport.qr_code(payload).svg_inline(scale=3, border=2, title="MUS1 QR")
    except (CredentialError, ValueError) as e:
        return f"<p class=note>no QR: {escape(str(e))}</p>"
    return f'<div class=qr title="MUS1: payload">{svg}</div>'


def _status_html(service: NodeService, stored: StoredCredential) -> tuple[str, Any]:
    """The ledger status of a stored credential, as HTML, and the document it carries."""
    try:
        parsed = parse_input(stored.raw)
        document, token = status_subject(parsed)
        with service.replica.lock:
            found = credential_status(service.store, document, token)
    except (CredentialError, LedgerError) as e:
        return f"<span class=unknown>status unknown</span> ({escape(str(e))})", None
    carried = parsed.document if parsed.document is not None else parsed.token
    label = escape(found.status)
    return (
        f'<span class="status {label}" data-status="{label}">{label}</span> '
        f"<span class=note>{escape(found.detail)}</span>",
        carried,
    )


def _trust_html(service: NodeService, claims: Iterable[StoredCredential]) -> dict[str, str]:
    """Per credential id, the trust figure of its issuer from this node's anchors."""
    anchors = service.home.trust_anchors()
    if not anchors:
        return {c.id: "no anchors configured" for c in claims}
    with service.replica.lock:
        graph = trust_graph(service.store)
    shown: dict[str, str] = {}
    by_skill: dict[str, Any] = {}
    for claim in claims:
        try:
            scores = by_skill.get(claim.skill_key)
            if scores is None:
                scores = by_skill[claim.skill_key] = compute(graph, anchors, skill=claim.skill_key)
            figure = scores.figure(claim.issuer, [claim.issuer, claim.digest.hex()], graph.flags)
        except (TrustError, LedgerError) as e:
            shown[claim.id] = f"not computed ({e})"
            continue
        flagged = f", flagged by {len(figure.flaggers)}" if figure.flaggers else ""
        shown[claim.id] = f"{figure.value:.3f}{flagged}"
    return shown


def _cv_html(service: NodeService, name: str, did: str) -> str:
    with CredentialStore.in_home(service.home.path) as store:
        claims = [c for c in store.list(persona=did) if c.state in _SHOWN]
    trust = _trust_html(service, claims)
    groups: dict[str, list[StoredCredential]] = {}
    for claim in claims:
        groups.setdefault(claim.skill, []).append(claim)
    parts = [f"<p>Persona <b>{escape(name)}</b>: <span class=did>{escape(did)}</span></p>"]
    parts.append(
        "<p class=note>Trust figures are from this node's anchors — a recruiter computes "
        "their own. Each QR carries the credential itself (a MUS1: payload) for a verifier "
        "to check offline.</p>"
    )
    if not claims:
        parts.append("<p>No accepted or pending credentials for this persona yet.</p>")
    for skill in sorted(groups, key=str.casefold):
        parts.append(f"<h2 class=skill>{escape(skill)}</h2>")
        for claim in groups[skill]:
            status, carried = _status_html(service, claim)
            level = "—" if claim.level is None else str(claim.level)
            qr = _qr_svg(carried) if carried is not None else ""
            parts.append(
                f'<div class=claim data-id="{escape(claim.id)}"><div>'
                f"<p><b>{escape(claim.skill)}</b>, level {escape(level)}"
                f" <span class=note>({escape(claim.state)})</span></p>"
                f"<p>Issuer: <span class=did>{escape(claim.issuer)}</span></p>"
                f"<p>Status: {status}</p>"
                f"<p>Issued: {escape(claim.issued or '—')}"
                f" · valid until {escape(claim.valid_until or 'no end')}</p>"
                f"<p>Trust of the issuer (from this node's anchors — a recruiter computes "
                f"their own): <span class=trust>{escape(trust[claim.id])}</span></p>"
                f"</div>{qr}</div>"
            )
    return "".join(parts)


# -- node ---------------------------------------------------------------------------------


def _node_html(service: NodeService) -> str:
    summary = service.summary()
    now = service.clock()
    peers = service.peers.records()
    with service.replica.lock:
        revocations = sorted(
            (e for e in service.store.entries() if e.kind == "revocation"),
            key=lambda e: (e.time, e.author, e.seq),
            reverse=True,
        )[:_MAX_REVOCATIONS]
    rows = "".join(
        f"<tr><td><code>{escape(json.dumps(r.to_json(now), sort_keys=True))}</code></td></tr>"
        for r in peers
    )
    revoked = "".join(
        f"<tr><td>{e.time}</td><td class=did>{escape(e.author)}</td>"
        f"<td>{escape(str(e.body.get('list', '')))}</td>"
        f"<td>{escape(str(e.body.get('index', '')))}</td></tr>"
        for e in revocations
    )
    last = summary.get("last_round") or "none yet"
    return (
        f"<p>Node DID: <span class=did id=node-did>{escape(service.did)}</span></p>"
        f"<p>Feeds: {escape(str(summary['feeds']))} · entries: "
        f"{escape(str(summary['entries']))} · forks: {escape(str(summary['forks']))}</p>"
        f"<p>Gossip rounds: {escape(str(summary['rounds']))} · last round: "
        f"{escape(str(last))}</p>"
        f"<h2>Peers ({len(peers)})</h2>"
        + (f"<table><tbody>{rows}</tbody></table>" if peers else "<p>No peers known.</p>")
        + f"<h2>Recent revocations ({len(revocations)})</h2>"
        + (
            "<table><thead><tr><th>time (Unix)</th><th>issuer</th><th>list</th>"
            f"<th>index</th></tr></thead><tbody>{revoked}</tbody></table>"
            if revocations
            else "<p>No revocations in this node's ledger.</p>"
        )
    )


# -- routes -------------------------------------------------------------------------------


def register_pages(app: FastAPI, service: NodeService) -> None:
    """Add the HTML pages (``/``, ``/verify``, ``/cv/{persona}``, ``/node``) to ``app``."""

    def personas() -> list[tuple[str, str]]:
        return [(i.name, i.did) for i in service.home.identities.list() if i.name != "node"]

    @app.get("/", response_class=HTMLResponse, include_in_schema=False)
    def index() -> HTMLResponse:
        links = "".join(
            f'<li><a href="/cv/{escape(quote(name, safe=""))}">CV of {escape(name)}</a></li>'
            for name, _ in personas()
        )
        body = (
            '<ul><li><a href="/verify">Verify a credential or presentation</a></li>'
            f'{links}<li><a href="/node">This node</a></li></ul>'
        )
        return _page("Musette node", body)

    @app.get("/verify", response_class=HTMLResponse, include_in_schema=False)
    def verify_form() -> HTMLResponse:
        return _page("Verify a credential", _VERIFY_FORM)

    @app.post("/verify", response_class=HTMLResponse, include_in_schema=False)
    async def verify_page(request: Request) -> HTMLResponse:
        body = await request.body()
        try:
            fields = _form_fields(request.headers.get("content-type", ""), body)
            text = _submitted_text(fields)
            report = await run_in_threadpool(_verify_text, service, text)
        except _BadInput as e:
            return _page("Verify a credential", _error(str(e)) + _VERIFY_FORM, 400)
        return _page("Verification report", _report_html(report) + _VERIFY_FORM)

    @app.get("/cv/{persona}", response_class=HTMLResponse, include_in_schema=False)
    def cv(persona: str) -> HTMLResponse:
        found = next(((n, d) for n, d in personas() if n == persona), None)
        if found is None:
            return _error_page("Not found", f"this node has no persona named {persona!r}", 404)
        return _page(f"Verifiable CV: {found[0]}", _cv_html(service, *found))

    @app.get("/node", response_class=HTMLResponse, include_in_schema=False)
    def node_page() -> HTMLResponse:
        return _page("This node", _node_html(service))
