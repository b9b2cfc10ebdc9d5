"""``musette demo``, act one: a community and two peers issue to a worker, and a
recruiter verifies offline.

Everything runs in temporary homes on this machine, through the same library calls the
CLI commands make. The demo checks its own story: genuine documents must verify, the
tampered one must not; it returns False otherwise so ``make demo`` fails loudly.
"""

from __future__ import annotations

import copy
import secrets
import tempfile
from pathlib import Path
from typing import Any

from rich.markup import escape
from rich.rule import Rule

from credentials import transport
from credentials.inputs import ParsedInput, parse_input
from credentials.issuance import issue, present
from credentials.models import CommunityBadge, SkillAttestation
from credentials.verifier import Verifier
from wallet.identities import IdentityStore

from .output import describe_claim, print_report, stdout

__all__ = ["run_demo"]


def _parsed(document: dict[str, Any] | str) -> ParsedInput:
    if isinstance(document, str):
        return ParsedInput(format="jwt", token=document, via="jwt")
    return ParsedInput(format="jsonld", document=document)


def run_demo(root: Path | None = None) -> bool:
    with tempfile.TemporaryDirectory(prefix="musette-demo-") as tmp:
        base = root or Path(tmp)
        return _story(base)


def _story(base: Path) -> bool:
    ok = True
    homes = {who: IdentityStore(base / who) for who in ("guild", "amira", "bastien", "chloe")}
    ids = {who: store.create("main") for who, store in homes.items()}
    worker = ids["chloe"].did
    stdout.print(Rule("Musette — act one: skills issued by peers, verified offline"))
    for who, identity in ids.items():
        stdout.print(f"  {who:<8} {identity.did}")

    stdout.print(Rule("Issuing"))
    badge = issue(
        CommunityBadge(
            issuer=ids["guild"].did,
            issuer_name="Lyon Welders' Guild",
            subject=worker,
            badge="Certified TIG Welder",
            criteria="Passed the guild's practical test: three TIG joints on stainless steel, "
            "inspected by two members.",
            alignment=("http://data.europa.eu/esco/skill/4dd8b6d5-e5c8-4e5b-9a75-d2a34c3e0ecf",),
        ).to_jsonld(),
        homes["guild"].key(None),
    )
    attestation = issue(
        SkillAttestation(
            issuer=ids["amira"].did,
            issuer_name="Amira Haddad",
            subject=worker,
            skill="TIG welding",
            level=6,
            evidence="Welded the stainless manifolds of the Vénissieux job, zero rejects.",
            relationship="Her site foreman for two years",
        ).to_jsonld(),
        homes["amira"].key(None),
    )
    peer_jcs = issue(
        SkillAttestation(
            issuer=ids["bastien"].did,
            issuer_name="Bastien Roux",
            subject=worker,
            skill="Technical drawing reading",
            level=4,
            evidence="Read and corrected our piping isometrics.",
            relationship="Co-worker on three projects",
            alignment=("digcomp:3",),
        ).to_jsonld(),
        homes["bastien"].key(None),
        fmt="jcs",
    )
    peer_jwt = issue(
        SkillAttestation(
            issuer=ids["bastien"].did,
            subject=worker,
            skill="Team leadership",
            level=3,
            relationship="Co-worker on three projects",
        ).to_jsonld(model="1.1"),
        homes["bastien"].key(None),
        fmt="jwt",
    )
    for label, doc in (
        ("badge (eddsa-rdfc-2022)", badge),
        ("attestation (eddsa-rdfc-2022)", attestation),
        ("attestation (eddsa-jcs-2022)", peer_jcs),
        ("attestation (VC-JWT, didkit)", peer_jwt),
    ):
        claim = describe_claim(doc) if isinstance(doc, dict) else "VC-JWT, " + f"{len(doc)} chars"
        stdout.print(f"  {label:<32} {escape(claim)}")

    stdout.print(Rule("The worker presents, by QR, to a recruiter"))
    challenge, domain = secrets.token_urlsafe(16), "recruit.example"
    vp = present(
        [badge, attestation, peer_jcs],
        homes["chloe"].key(None),
        challenge=challenge,
        domain=domain,
    )
    single = transport.encode_payload(attestation)
    stdout.print(
        f"  one attestation as a QR payload: {len(single)} characters, "
        f"QR version {transport.qr_version(single)} (level M)"
    )
    payload = transport.encode_payload(vp)
    stdout.print(
        f"  the presentation of 3 credentials: {len(payload)} characters, "
        f"QR version {transport.qr_version(payload)} (level M)"
    )

    stdout.print(Rule("The recruiter verifies, offline"))
    verifier = Verifier()
    report = verifier.verify(
        parse_input(transport.encode_payload(vp)), challenge=challenge, domain=domain
    )
    print_report(report, title="presentation from Chloé (via MUS1 payload)")
    ok &= report.verified

    stdout.print(Rule("A forger edits the level of a claim"))
    assert isinstance(attestation, dict)
    forged = copy.deepcopy(attestation)
    forged["credentialSubject"]["result"][0]["achievedLevel"] = "urn:musette:digcomp-level:8"
    forged_report = verifier.verify(_parsed(forged))
    print_report(forged_report, title="forged attestation")
    ok &= not forged_report.verified

    stdout.print(Rule("A replayed presentation (wrong challenge)"))
    replay = verifier.verify(_parsed(vp), challenge="another-challenge", domain=domain)
    print_report(replay, title="replayed presentation")
    ok &= not replay.verified

    verdict = "[green]the story holds[/green]" if ok else "[red]the story does not hold[/red]"
    stdout.print(Rule(f"Act one done: {verdict}"))
    return bool(ok)
