"""The ``musette`` command line: the composition root of every layer.

Conventions (every command): ``--home DIR`` or ``MUSETTE_HOME``; ``--json`` for machine
output; ``--as NAME|DID`` on commands that sign; exit status 0 success, 1 a recognised
document that failed a check, 2 input we do not recognise, over a limit, or a usage
error. Errors are one line on stderr; ``--debug`` adds the traceback.
"""

from __future__ import annotations

import contextlib
import json
import shutil
import sys
import traceback
import warnings
from collections.abc import Mapping
from datetime import UTC, datetime
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.markup import escape

from credentials import transport
from credentials.errors import CredentialError, InputError
from credentials.inputs import document_kind, parse_input
from credentials.issuance import FORMATS, Format, present
from credentials.keys import KeyPair
from credentials.models import CommunityBadge, Endorsement, SkillAttestation
from credentials.report import Check, CheckStatus
from credentials.verifier import CredentialCheck, Verifier
from ledger.errors import LedgerError
from ledger.store import LedgerStore
from ledger.trust_check import TrustCheck
from wallet.errors import UnverifiedCredentialError, WalletError

from . import (  # noqa: F401  (they register their commands)
    backup_cli,
    exchange_cli,
    ledger_cli,
    node_cli,
    recruiter_cli,
    trust_cli,
)
from .bundle import Bundle, BundleError, Policy, claim_rows, is_bundle, make_bundle, read_bundle
from .common import (
    EXIT_FAILED,
    EXIT_INPUT,
    EXIT_OK,
    AsOpt,
    Failed,
    FormatOpt,
    HomeOpt,
    JsonOpt,
    OutOpt,
    app,
    home_path,
    read_source,
)
from .errors import NodeError
from .home import Home
from .issuing import ISSUE_FORMATS, IssueFormat, issue_from_home
from .output import describe_claim, emit_json, print_report, stderr, stdout
from .presenting import (
    choose_credentials,
    held_status_lists,
    is_sd_jwt,
    present_selective,
    presenting_persona,
)
from .recruiter_cli import (
    CacheState,
    RequestStore,
    UsedRequestError,
    cache_state,
    fetch_snapshot,
    print_claims,
)
from .status import StatusSources, stapled_lists
from .trust_cli import configured_anchors, trust_check_for
from .wallet_cli import wallet_app

NoStatusOpt = Annotated[
    bool, typer.Option("--no-status", help="Issue without a status entry (cannot be revoked).")
]
EdgeOutOpt = Annotated[
    Path | None,
    typer.Option("--edge-out", help="Write the signed edge statement for the subject here."),
]

id_app = typer.Typer(help="Identities (another name for 'persona').", no_args_is_help=True)
persona_app = typer.Typer(help="Personas: one did:key identity each.", no_args_is_help=True)
app.add_typer(persona_app, name="persona")
issue_app = typer.Typer(help="Issue a credential to someone.", no_args_is_help=True)
qr_app = typer.Typer(help="QR payloads (MUS1:) for offline transport.", no_args_is_help=True)
app.add_typer(id_app, name="id")
app.add_typer(issue_app, name="issue")
app.add_typer(qr_app, name="qr")


def _format(value: str) -> Format:
    if value not in FORMATS:
        raise typer.BadParameter(f"unknown format {value!r}; choose one of {', '.join(FORMATS)}")
    return value


def _issue_format(value: str) -> IssueFormat:
    if value not in ISSUE_FORMATS:
        choices = ", ".join(ISSUE_FORMATS)
        raise typer.BadParameter(f"unknown format {value!r}; choose one of {choices}")
    return value


def _write_output(document: dict[str, Any] | str, out: Path | None, as_json: bool) -> None:
    text = (
        document
        if isinstance(document, str)
        else json.dumps(document, indent=2, ensure_ascii=False)
    )
    if out is not None:
        out.write_text(text + "\n", encoding="utf-8")
        if as_json:
            emit_json({"written": str(out)})
        else:
            stderr.print(f"written to {out}")
        return
    sys.stdout.write(text + "\n")


# -- identities ---------------------------------------------------------------------------


def _persona_new(name: str | None, home: Path | None, as_json: bool) -> None:
    identity = Home(home_path(home)).identities.create(name)
    if as_json:
        emit_json({"did": identity.did, "name": identity.name})
    else:
        stdout.print(f"{identity.did}  ({identity.name})")


def _persona_list(home: Path | None, as_json: bool) -> None:
    store = Home(home_path(home)).identities
    default = store.default()
    identities = store.list()
    if as_json:
        emit_json([{"name": i.name, "did": i.did, "default": i == default} for i in identities])
        return
    for i in identities:
        stdout.print(f"{'*' if i == default else ' '} {i.name:<16} {i.did}")


NameOpt = Annotated[str | None, typer.Option("--name", help="A name for this persona.")]


@persona_app.command("new")
def persona_new(name: NameOpt = None, home: HomeOpt = None, as_json: JsonOpt = False) -> None:
    """Create a persona: its own did:key, so employers cannot link your personas.

    The first persona of a home is its default. Creating the first one initialises the
    wallet (the keystore, sealed under your passphrase)."""
    _persona_new(name, home, as_json)


@persona_app.command("list")
def persona_list(home: HomeOpt = None, as_json: JsonOpt = False) -> None:
    """List the personas of the home (no passphrase needed)."""
    _persona_list(home, as_json)


@id_app.command("new")
def id_new(name: NameOpt = None, home: HomeOpt = None, as_json: JsonOpt = False) -> None:
    """Another name for 'musette persona new'."""
    _persona_new(name, home, as_json)


@id_app.command("list")
def id_list(home: HomeOpt = None, as_json: JsonOpt = False) -> None:
    """Another name for 'musette persona list'."""
    _persona_list(home, as_json)


@wallet_app.command("init")
def wallet_init(home: HomeOpt = None, as_json: JsonOpt = False) -> None:
    """Create the home's encrypted keystore (or migrate an older home's plaintext keys)."""
    store = Home(home_path(home)).identities
    existed = store.keystore.exists()
    store.unlock_or_create()
    if as_json:
        emit_json({"keystore": str(store.keystore.path), "created": not existed})
    else:
        stdout.print(f"keystore {'opened' if existed else 'created'}: {store.keystore.path}")


# -- issuing ------------------------------------------------------------------------------


def _sign_and_write(
    build: Any,
    home: Path | None,
    as_: str | None,
    fmt: str,
    out: Path | None,
    as_json: bool,
    extra: tuple[bool, Path | None] = (False, None),
) -> None:
    no_status, edge_out = extra
    signed = issue_from_home(
        Home(home_path(home)),
        build,
        as_=as_,
        fmt=_issue_format(fmt),
        with_status=not no_status,
        edge_out=edge_out,
    )
    _write_output(signed, out, as_json)


@issue_app.command("skill")
def issue_skill(
    subject: Annotated[str, typer.Option("--subject", help="DID of the person attested.")],
    skill: Annotated[str, typer.Option("--skill", help="The skill, free text.")],
    level: Annotated[int, typer.Option("--level", help="DigComp 2.2 level, 1-8.")] = 4,
    evidence: Annotated[str | None, typer.Option(help="What you saw them do.")] = None,
    relationship: Annotated[
        str | None, typer.Option(help="How you know each other (e.g. 'her team lead, 2 years').")
    ] = None,
    description: Annotated[str | None, typer.Option(help="A description of the skill.")] = None,
    alignment: Annotated[
        list[str] | None,
        typer.Option("--alignment", help="Framework URI (ESCO skill URI, or digcomp:1..5)."),
    ] = None,
    name: Annotated[str | None, typer.Option("--issuer-name", help="Your display name.")] = None,
    fmt: Annotated[
        str,
        typer.Option(
            "--format",
            help=f"Proof format: {', '.join(ISSUE_FORMATS)} (sd-jwt: selective disclosure).",
        ),
    ] = "rdfc",
    out: OutOpt = None,
    as_: AsOpt = None,
    home: HomeOpt = None,
    no_status: NoStatusOpt = False,
    edge_out: EdgeOutOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """Attest a peer's skill at a level (an Open Badges 3.0 competency credential, or with
    --format sd-jwt an SD-JWT VC whose holder chooses which claims to show)."""

    def build(issuer: str) -> SkillAttestation:
        return SkillAttestation(
            issuer=issuer,
            issuer_name=name,
            subject=subject,
            skill=skill,
            level=level,
            evidence=evidence,
            relationship=relationship,
            description=description,
            alignment=tuple(alignment or ()),
        )

    _sign_and_write(build, home, as_, fmt, out, as_json, (no_status, edge_out))


@issue_app.command("badge")
def issue_badge(
    subject: Annotated[str, typer.Option("--subject", help="DID of the person awarded.")],
    badge: Annotated[str, typer.Option("--badge", help="The badge's name.")],
    criteria: Annotated[str, typer.Option("--criteria", help="What earns the badge.")],
    description: Annotated[str | None, typer.Option(help="A description of the badge.")] = None,
    image: Annotated[str | None, typer.Option(help="URL of the badge image.")] = None,
    alignment: Annotated[list[str] | None, typer.Option("--alignment")] = None,
    name: Annotated[str | None, typer.Option("--issuer-name", help="The community's name.")] = None,
    fmt: FormatOpt = "rdfc",
    out: OutOpt = None,
    as_: AsOpt = None,
    home: HomeOpt = None,
    no_status: NoStatusOpt = False,
    edge_out: EdgeOutOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """Award a community badge with published criteria."""

    def build(issuer: str) -> CommunityBadge:
        return CommunityBadge(
            issuer=issuer,
            issuer_name=name,
            subject=subject,
            badge=badge,
            criteria=criteria,
            description=description,
            image=image,
            alignment=tuple(alignment or ()),
        )

    _sign_and_write(build, home, as_, fmt, out, as_json, (no_status, edge_out))


@issue_app.command("endorse")
def issue_endorse(
    subject: Annotated[
        str, typer.Option("--subject", help="What you endorse: a credential, achievement or DID.")
    ],
    comment: Annotated[str, typer.Option("--comment", help="Your endorsement.")],
    name: Annotated[str | None, typer.Option("--issuer-name", help="Your display name.")] = None,
    fmt: FormatOpt = "rdfc",
    out: OutOpt = None,
    as_: AsOpt = None,
    home: HomeOpt = None,
    no_status: NoStatusOpt = False,
    edge_out: EdgeOutOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """Endorse a credential, an achievement or an issuer (Open Badges 3.0 endorsement)."""

    def build(issuer: str) -> Endorsement:
        return Endorsement(issuer=issuer, issuer_name=name, subject=subject, comment=comment)

    _sign_and_write(build, home, as_, fmt, out, as_json, (no_status, edge_out))


@app.command("present")
def present_cmd(
    challenge: Annotated[str, typer.Option(help="The verifier's challenge (nonce).")],
    domain: Annotated[str, typer.Option(help="The verifier's domain.")],
    files: Annotated[
        list[str] | None, typer.Argument(help="Credential files to present (optional).")
    ] = None,
    credential: Annotated[
        list[str] | None, typer.Option("--credential", help="Wallet credential id (repeatable).")
    ] = None,
    skill: Annotated[
        str | None, typer.Option(help="Present every wallet credential of this skill.")
    ] = None,
    status_list: Annotated[
        list[Path] | None,
        typer.Option("--status-list", help="Also staple this status list file (repeatable)."),
    ] = None,
    disclose: Annotated[
        list[str] | None,
        typer.Option(
            "--disclose",
            help="SD-JWT VC: a claim to reveal (repeatable: skill, level…); the rest stays hidden.",
        ),
    ] = None,
    qr: Annotated[bool, typer.Option("--qr", help="Print a MUS1: QR payload instead.")] = False,
    bundle: Annotated[
        bool,
        typer.Option(
            "--bundle",
            help="Write an offline bundle: the presentation, its status lists and a snapshot.",
        ),
    ] = False,
    trust_from: Annotated[
        str | None,
        typer.Option(
            "--trust-from", help="With --bundle: carry this node's (URL) signed trust snapshot."
        ),
    ] = None,
    fmt: FormatOpt = "rdfc",
    out: OutOpt = None,
    as_: AsOpt = None,
    home: HomeOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """Sign a presentation of your credentials for a verifier's challenge and domain,
    stapling the issuers' latest status lists your wallet holds. An SD-JWT VC is presented
    alone, as an SD-JWT+KB revealing only the --disclose claims. With --bundle, write one
    offline bundle file instead (specs/recruiter.md)."""
    if trust_from is not None and not bundle:
        raise typer.BadParameter("--trust-from URL goes with --bundle")
    if bundle and qr:
        raise typer.BadParameter("--bundle and --qr are exclusive: a bundle is a file")
    place = Home(home_path(home))
    chosen = choose_credentials(place, files or [], credential or [], skill)
    persona = as_ or presenting_persona(place, chosen)
    key = place.identities.key(persona)
    documents: list[dict[str, Any] | str] = [document for _, document in chosen]
    vp: dict[str, Any] | str
    if any(is_sd_jwt(d) for d in documents):
        if status_list:
            raise InputError("an SD-JWT presentation carries no status lists: hand them over apart")
        vp = present_selective(
            documents, key, disclose=disclose or [], challenge=challenge, domain=domain
        )
    else:
        if disclose:
            raise InputError("--disclose applies to SD-JWT VCs; these credentials are not")
        lists = [_status_list_file(path) for path in status_list or []]
        lists += held_status_lists(place, documents)
        if bundle:
            _write_bundle(documents, lists, key, challenge, domain, fmt, trust_from, out, as_json)
            return
        vp = present(
            [*documents, *lists], key, challenge=challenge, domain=domain, fmt=_format(fmt)
        )
    if qr:
        payload = transport.encode_payload(vp)
        if as_json:
            emit_json({"payload": payload, "qr_version": transport.qr_version(payload)})
        else:
            sys.stdout.write(payload + "\n")
        return
    _write_output(vp, out, as_json)


def _write_bundle(
    documents: list[dict[str, Any] | str],
    lists: list[dict[str, Any]],
    key: KeyPair,
    challenge: str,
    domain: str,
    fmt: str,
    trust_from: str | None,
    out: Path | None,
    as_json: bool,
) -> None:
    """The offline bundle: the presentation (its status lists beside it, not stapled in
    it), and the signed trust snapshot of the node ``trust_from``, verified before it is
    carried."""
    if _format(fmt) == "jwt":
        raise InputError("a bundle carries a JSON-LD presentation: choose another --format")
    vp = present(documents, key, challenge=challenge, domain=domain, fmt=_format(fmt))
    assert isinstance(vp, dict)
    carried = fetch_snapshot(trust_from)[0] if trust_from is not None else None
    document = make_bundle(vp, lists, carried).to_json()
    if out is None:
        emit_json(document)
        return
    _write_output(document, out, False)
    if as_json:
        emit_json(
            {
                "bundle": str(out),
                "status_lists": len(document["status_lists"]),
                "trust_snapshot": carried is not None,
            }
        )


# -- verifying ----------------------------------------------------------------------------


@app.command("verify")
def verify_cmd(
    source: Annotated[str, typer.Argument(help="File, '-' for stdin, or a MUS1: payload.")],
    challenge: Annotated[
        str | None, typer.Option(help="Challenge you asked the holder to sign (asserted by you).")
    ] = None,
    domain: Annotated[str | None, typer.Option(help="Your domain, as asked.")] = None,
    status_list: Annotated[
        list[Path] | None,
        typer.Option("--status-list", help="A status list credential file (repeatable)."),
    ] = None,
    anchor: Annotated[
        list[str] | None,
        typer.Option("--anchor", help="Trust anchor DID (repeatable; default: configured ones)."),
    ] = None,
    trust_from: Annotated[
        str | None,
        typer.Option("--trust-from", help="Use this node's trust snapshot (a DID in the ledger)."),
    ] = None,
    min_trust: Annotated[
        float | None, typer.Option("--min-trust", help="Fail a claim whose trust is lower.")
    ] = None,
    request: Annotated[
        str | None,
        typer.Option("--request", help="Your request's id: its challenge, accepted once."),
    ] = None,
    max_status_age: Annotated[
        int | None,
        typer.Option("--max-status-age", help="Fail a claim whose status list is older (s)."),
    ] = None,
    policy: Annotated[
        str,
        typer.Option(
            "--policy", help="strict: a status or trust not checked fails the claim; or lenient."
        ),
    ] = "lenient",
    home: HomeOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """Verify a credential, presentation, JWT, MUS1: payload or offline bundle, offline."""
    if policy not in ("strict", "lenient"):
        raise typer.BadParameter(f"unknown policy {policy!r}; choose strict or lenient")
    if max_status_age is not None and max_status_age < 0:
        raise typer.BadParameter("--max-status-age must be 0 or more seconds")
    place = Home(home_path(home))
    requests = RequestStore(place.path)
    asked: Mapping[str, Any] | None = None
    if request is not None:
        if challenge is not None:
            raise typer.BadParameter("give --request ID or --challenge, not both")
        try:
            asked = requests.open(request)
        except UsedRequestError as e:
            stderr.print(f"musette: error: {escape(str(e))}")
            raise Failed from e  # a replayed answer: a document that fails a check
        challenge, domain = asked["challenge"], domain or asked["domain"]
    text = read_source(source)
    bundled = _bundle_in(text)
    if bundled is not None:
        try:
            parsed = parse_input(json.dumps(bundled.presentation))
        except InputError as e:
            raise BundleError(f"the bundle's presentation: {e}") from e
        if parsed.document is None or document_kind(parsed.document) != "presentation":
            raise BundleError("the bundle's presentation is not a verifiable presentation")
    else:
        parsed = parse_input(text)
    lists: list[Mapping[str, Any]] = [_status_list_file(path) for path in status_list or []]
    lists += stapled_lists(parsed.document)
    if bundled is not None:
        lists += bundled.status_lists
    cache = cache_state(place.path)
    ledger_file = place.path / "ledger.db"
    store = LedgerStore(ledger_file) if ledger_file.exists() else None
    disclosed: list[str] | None = None
    revealed: Mapping[str, Any] = {}
    try:
        trust = _trust_check(place, anchor, trust_from, min_trust, store, bundled, cache)
        verifier = Verifier(checks=(StatusSources(lists=lists, store=store), trust))
        if parsed.format == "sd-jwt":
            assert parsed.token is not None
            report, result = verifier.verify_sd_jwt(
                parsed.token, challenge=challenge, domain=domain
            )
            disclosed = sorted(result.disclosed)
            revealed = result.claims
        else:
            report = verifier.verify(parsed, challenge=challenge, domain=domain)
    finally:
        if store is not None:
            store.close()
    if asked is not None:
        answered = report.check("challenge")
        if answered is not None and answered.status is CheckStatus.PASSED:
            requests.mark_used(asked["id"])  # answered: this challenge is spent
    rows: list[dict[str, Any]] | None = None
    wants_policy = policy == "strict" or max_status_age is not None
    if (
        parsed.document is not None
        and report.kind == "presentation"
        and (bundled is not None or wants_policy)
    ):
        chosen = Policy(
            name="strict" if policy == "strict" else "lenient", max_status_age=max_status_age
        )
        rows = claim_rows(report, parsed.document, lists, chosen, datetime.now(UTC))
    if as_json:
        # The report's shape is stable; an SD-JWT adds one top-level key, "disclosed";
        # a bundle (or a policy) adds "claims", "policy"; a recruiter cache adds "cache".
        extra: dict[str, Any] = {} if disclosed is None else {"disclosed": disclosed}
        if rows is not None:
            extra["claims"] = rows
            extra["policy"] = {"name": policy, "max_status_age": max_status_age}
            extra["verified"] = report.verified and all(r["accepted"] for r in rows)
        if cache is not None:
            extra["cache"] = {"url": cache.url, "synced": cache.synced, "age": cache.age()}
        emit_json({**report.to_json(), **extra})
    else:
        title = parsed.description
        if bundled is not None:
            title = f"offline bundle: {title}"
        if parsed.document is not None and report.kind == "credential":
            title += f": {describe_claim(parsed.document)}"
        print_report(report, title=title)
        if disclosed is not None:
            shown = ", ".join(f"{p} = {_claim_text(revealed, p)}" for p in disclosed)
            stdout.print(f"  disclosed: {escape(shown or 'nothing')} (the rest stays hidden)")
        if rows is not None:
            print_claims(rows, policy)
        if cache is not None:
            stdout.print(f"  {escape(cache.describe())}")
    if not report.verified or (rows is not None and not all(r["accepted"] for r in rows)):
        raise Failed


def _bundle_in(text: str) -> Bundle | None:
    """The bundle ``text`` holds, or None when it is not one (a BundleError when it says
    it is a bundle but is malformed)."""
    if '"MusetteBundle"' not in text:
        return None
    try:
        value = json.loads(text)
    except (ValueError, RecursionError):
        return None  # not JSON: parse_input says what it is not
    return read_bundle(text) if is_bundle(value) else None


def _trust_check(
    place: Home,
    anchor: list[str] | None,
    trust_from: str | None,
    min_trust: float | None,
    store: LedgerStore | None,
    bundled: Bundle | None,
    cache: CacheState | None,
) -> CredentialCheck:
    """Your anchors first, then the snapshot you chose (--trust-from), then the bundle's
    snapshot (labelled with its author), then the one your last recruiter sync cached."""
    if anchor or trust_from is not None or configured_anchors(place):
        return trust_check_for(
            place, anchors=anchor, trust_from=trust_from, min_trust=min_trust, store=store
        )
    for signed, where in (
        (bundled.trust_snapshot if bundled is not None else None, "the bundle's"),
        (cache.snapshot if cache is not None else None, "the cached"),
    ):
        if signed is None:
            continue
        try:
            snapshot = signed.verified()
        except LedgerError as e:
            return FailedCheck("trust", f"{where} trust snapshot does not verify: {e}")
        return TrustCheck(snapshot=snapshot, min_trust=min_trust)
    return trust_check_for(place, min_trust=min_trust, store=store)


class FailedCheck:
    """A plug-in check that fails every credential, for a reason found before verifying
    (a bundled trust snapshot whose signatures do not hold)."""

    def __init__(self, name: str, detail: str) -> None:
        self.name, self._detail = name, detail

    def check(self, credential: Mapping[str, Any], *, now: datetime) -> Check:
        return Check.failed(self.name, self._detail)


def _claim_text(claims: Mapping[str, Any], path: str) -> str:
    value: Any = claims
    for part in path.split("."):
        value = value.get(part) if isinstance(value, Mapping) else None
    return json.dumps(value, ensure_ascii=False)[:120]


def _status_list_file(path: Path) -> dict[str, Any]:
    parsed = parse_input(read_source(str(path)))
    if parsed.document is None or "BitstringStatusListCredential" not in parsed.document.get(
        "type", []
    ):
        raise InputError(f"{path} is not a status list credential")
    return parsed.document


# -- QR -----------------------------------------------------------------------------------


@qr_app.command("encode")
def qr_encode(
    source: Annotated[str, typer.Argument(help="JSON file or '-' (a credential or presentation).")],
    png: Annotated[Path | None, typer.Option("--png", help="Also write a PNG image here.")] = None,
    show: Annotated[
        bool, typer.Option("--show/--no-show", help="Draw the QR in the terminal.")
    ] = True,
    as_json: JsonOpt = False,
) -> None:
    """Encode a document as a MUS1: payload (and a QR code)."""
    parsed = parse_input(read_source(source))
    payload = transport.encode_payload(
        parsed.document if parsed.document is not None else parsed.token
    )
    version = transport.qr_version(payload)
    if png is not None:
        transport.write_png(payload, png)
    if as_json:
        emit_json({"payload": payload, "qr_version": version, "png": str(png) if png else None})
        return
    sys.stdout.write(payload + "\n")
    if show:
        drawing = transport.terminal_qr(payload)
        width = len(drawing.splitlines()[0])
        if width <= shutil.get_terminal_size().columns:
            sys.stderr.write(drawing + "\n")
        else:  # a wrapped QR cannot be scanned: say so rather than draw it
            stderr.print(
                f"(the QR needs a terminal {width} columns wide; use --png FILE to save it)"
            )
    stderr.print(f"{len(payload)} characters, QR version {version} at error correction M")


@qr_app.command("decode")
def qr_decode(
    source: Annotated[str, typer.Argument(help="A MUS1: payload, or a file holding one.")],
) -> None:
    """Decode a MUS1: payload and print the JSON it holds."""
    emit_json(transport.decode_payload(read_source(source).strip()))


# -- demo ---------------------------------------------------------------------------------


@app.command("demo")
def demo_cmd(
    home: Annotated[
        Path | None,
        typer.Option(
            "--keep", "--dir", help="Keep the demo homes in this folder (default: a temp dir)."
        ),
    ] = None,
) -> None:
    """The whole story: peers and a community issue, the worker accepts, an issuer
    revokes, the revocation gossips across three nodes, the worker asks peers through
    mailboxes, and a recruiter verifies offline with trust figures."""
    from .demo import PASSPHRASE, run_demo

    if home is not None:
        home.mkdir(parents=True, exist_ok=True)
    if not run_demo(home):
        raise Failed
    if home is not None:
        chloe = home.resolve() / "chloe"
        stdout.print(
            f"homes kept in {home}. Serve Chloé's CV and the verify page again with:\n"
            f"  MUSETTE_PASSPHRASE='{PASSPHRASE}' musette --home {chloe} node serve --port 8470\n"
            "then open http://127.0.0.1:8470/ (her CV: /cv/main; the recruiter's page: /verify)"
        )


# -- entry point --------------------------------------------------------------------------


def _one_line_warning(
    message: Warning | str, category: type[Warning], *_: object, **__: object
) -> None:
    stderr.print(f"musette: warning: {escape(str(message))}")


def main(argv: list[str] | None = None) -> int:
    """Run the CLI and exit with its own status; errors are one line, never a traceback."""
    args = sys.argv[1:] if argv is None else argv
    warnings.showwarning = _one_line_warning
    try:
        app(args=args, prog_name="musette", standalone_mode=False)
        code = EXIT_OK
    except Failed:
        code = EXIT_FAILED
    except UnverifiedCredentialError as e:
        # a recognised document that failed a check, refused on import: status 1
        _error(str(e), "--debug" in args)
        code = EXIT_FAILED
    except (CredentialError, WalletError, LedgerError, NodeError, typer.BadParameter) as e:
        # Credential errors reaching here are about the input (a bad file, an unknown
        # identity, an over-limit document): a document that fails a check is reported.
        _error(str(e), "--debug" in args)
        code = EXIT_INPUT
    except typer.Abort:
        _error("aborted", False)
        code = EXIT_INPUT
    except typer.TyperException as e:  # usage errors: unknown command, bad option…
        show = getattr(e, "show", None)
        if callable(show):
            show()
        else:
            _error(str(e), "--debug" in args)
        code = EXIT_INPUT
    except KeyboardInterrupt:
        code = 130
    except Exception as e:  # the edge: one line for the user, always
        _error(f"internal error: {type(e).__name__}: {e}", "--debug" in args)
        code = 3
    with contextlib.suppress(BrokenPipeError):
        sys.stdout.flush()
        sys.stderr.flush()
    if argv is None:
        sys.exit(code)
    return code


def _error(message: str, debug: bool) -> None:
    stderr.print(f"musette: error: {escape(message)}")
    if debug:
        traceback.print_exc()
