"""The verifier's pipeline: order of checks, the injected clock, plug-in checks, JWTs and
presentations, through the library (the CLI's exit statuses are in test_cli.py)."""

from __future__ import annotations

import copy
from collections.abc import Mapping
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from credentials.errors import InputError
from credentials.inputs import ParsedInput, parse_input
from credentials.issuance import issue, present
from credentials.keys import KeyPair
from credentials.models import SkillAttestation
from credentials.report import Check
from credentials.resolver import OfflineResolver
from credentials.verifier import Verifier

ISSUER, WORKER, OTHER = KeyPair.generate(), KeyPair.generate(), KeyPair.generate()
START = datetime(2026, 1, 1, tzinfo=UTC)


def _attestation(
    *, model: str = "2.0", until: datetime | None = None, subject: KeyPair = WORKER
) -> dict[str, Any]:
    return SkillAttestation(
        issuer=ISSUER.did,
        subject=subject.did,
        skill="Bookkeeping",
        level=3,
        valid_from=START,
        valid_until=until,
    ).to_jsonld(model=model)  # type: ignore[arg-type]


def _parsed(document: dict[str, Any] | str) -> ParsedInput:
    if isinstance(document, str):
        return parse_input(document)
    return ParsedInput(format="jsonld", document=document)


def _at(when: datetime) -> Verifier:
    return Verifier(clock=lambda: when)


def _status(report: Any, name: str) -> str:
    check = report.check(name)
    assert check is not None, report.to_json()
    return str(check.status)


def test_checks_run_in_the_documented_order() -> None:
    signed = issue(_attestation(), ISSUER)
    assert isinstance(signed, dict)
    report = Verifier().verify(_parsed(signed))
    assert [c.name for c in report.checks] == [
        "parse",
        "data-model",
        "contexts",
        "proof",
        "issuer-binding",
        "validity",
        "status",
    ]
    assert report.verified
    assert _status(report, "status") == "not-checked"


def test_the_clock_is_injected() -> None:
    signed = issue(_attestation(until=START + timedelta(days=30)), ISSUER)
    assert isinstance(signed, dict)
    assert _at(START + timedelta(days=1)).verify(_parsed(signed)).verified
    late = _at(START + timedelta(days=31)).verify(_parsed(signed))
    assert not late.verified
    assert _status(late, "validity") == "failed"
    assert "expired" in str(late.check("validity"))
    early = _at(START - timedelta(days=1)).verify(_parsed(signed))
    assert _status(early, "validity") == "failed"
    assert _status(early, "proof") == "passed"


@pytest.mark.parametrize("fmt", ["jwt", "ld2018"])
def test_didkit_formats_report_expiry_by_our_clock(fmt: str) -> None:
    signed = issue(_attestation(model="1.1", until=START + timedelta(days=30)), ISSUER, fmt=fmt)  # type: ignore[arg-type]
    inside = _at(START + timedelta(days=1)).verify(_parsed(signed))
    assert inside.verified, inside.to_json()
    late = _at(datetime.now(UTC)).verify(_parsed(signed))
    assert _status(late, "proof") == "passed", late.to_json()
    assert _status(late, "validity") == "failed"
    assert not late.verified


def test_tampered_jwt_fails_its_proof() -> None:
    token = issue(_attestation(model="1.1"), ISSUER, fmt="jwt")
    assert isinstance(token, str)
    header, payload, signature = token.split(".")
    forged = f"{header}.{payload}.{signature[:-4]}AAAA"
    report = Verifier().verify(parse_input(forged))
    assert _status(report, "proof") == "failed"


def test_a_jwt_shaped_string_that_is_no_jwt_is_an_input_error() -> None:
    with pytest.raises(InputError):
        parse_input("abc.def.ghi")


class _Revoked:
    name = "status"

    def check(self, credential: Mapping[str, Any], *, now: datetime) -> Check:
        return Check.failed("status", f"revoked (as of {now:%Y-%m-%d})")


class _Trust:
    name = "trust"

    def check(self, credential: Mapping[str, Any], *, now: datetime) -> Check:
        return Check.not_checked("trust", "no anchors configured")


def test_plugged_checks_run_after_the_built_in_ones() -> None:
    signed = issue(_attestation(), ISSUER)
    assert isinstance(signed, dict)
    report = Verifier(checks=(_Revoked(), _Trust())).verify(_parsed(signed))
    assert [c.name for c in report.checks][-2:] == ["status", "trust"]
    assert not report.verified
    trusting = Verifier(checks=(_Trust(),)).verify(_parsed(signed))
    assert trusting.verified  # not-checked trust never fails a claim by itself
    assert _status(trusting, "trust") == "not-checked"


def test_presentation_verifies_every_credential_inside() -> None:
    good = issue(_attestation(), ISSUER)
    forged = copy.deepcopy(good)
    assert isinstance(forged, dict)
    forged["credentialSubject"]["achievement"]["name"] = "Forgery"
    vp = present([good, forged], WORKER, challenge="c", domain="d")
    report = Verifier().verify(_parsed(vp), challenge="c", domain="d")
    assert not report.verified
    assert _status(report, "credentials") == "failed"
    assert [r.verified for r in report.credentials] == [True, False]
    assert _status(report, "holder-binding") == "passed"


def test_presentation_signed_by_someone_else_than_its_holder() -> None:
    vp = present([issue(_attestation(), ISSUER)], WORKER, challenge="c", domain="d")
    assert isinstance(vp, dict)
    vp["holder"] = OTHER.did
    report = Verifier().verify(_parsed(vp), challenge="c", domain="d")
    assert _status(report, "proof") == "failed"  # the holder is signed over
    assert not report.verified


def test_presentation_without_a_challenge_asked_says_so() -> None:
    vp = present([issue(_attestation(), ISSUER)], WORKER, challenge="c", domain="d")
    report = Verifier().verify(_parsed(vp))
    assert _status(report, "challenge") == "not-checked"
    assert report.verified
    missing = Verifier().verify(_parsed(vp), challenge="expected")
    assert _status(missing, "challenge") == "failed"


@pytest.mark.parametrize("fmt", ["jcs", "ld2018", "jwt"])
def test_presentations_in_every_format(fmt: str) -> None:
    model = "1.1" if fmt in ("ld2018", "jwt") else "2.0"
    credential = issue(_attestation(model=model), ISSUER, fmt=fmt)  # type: ignore[arg-type]
    vp = present([credential], WORKER, challenge="n", domain="recruit.example", fmt=fmt)  # type: ignore[arg-type]
    report = Verifier().verify(_parsed(vp), challenge="n", domain="recruit.example")
    assert report.verified, report.to_json()
    replay = Verifier().verify(_parsed(vp), challenge="other", domain="recruit.example")
    assert not replay.verified


def test_did_web_issuer_verifies_only_from_a_cached_document() -> None:
    did = "did:web:guild.example"
    document = _attestation()
    document["issuer"]["id"] = did
    from credentials import dataintegrity

    signed = dataintegrity.sign(document, ISSUER)
    signed["proof"]["verificationMethod"] = f"{did}#key-1"
    # re-sign with the did:web method so the proof names it
    unsecured = {k: v for k, v in signed.items() if k != "proof"}
    proof = {k: v for k, v in signed["proof"].items() if k != "proofValue"}
    _, _, data = dataintegrity.canonical_parts(unsecured, proof)
    from credentials.keys import b58encode

    signed["proof"]["proofValue"] = "z" + b58encode(ISSUER.sign(data))
    offline = Verifier().verify(_parsed(signed))
    assert _status(offline, "proof") == "failed"
    assert "cannot be resolved offline" in str(offline.check("proof"))
    cached = {
        did: {
            "id": did,
            "verificationMethod": [
                {
                    "id": f"{did}#key-1",
                    "type": "Multikey",
                    "controller": did,
                    "publicKeyMultibase": ISSUER.public.multibase,
                }
            ],
            "assertionMethod": [f"{did}#key-1"],
        }
    }
    online_once = Verifier(resolver=OfflineResolver(cached_documents=cached)).verify(
        _parsed(signed)
    )
    assert online_once.verified, online_once.to_json()


def test_report_json_shape_is_stable() -> None:
    signed = issue(_attestation(), ISSUER)
    shape = Verifier().verify(_parsed(signed)).to_json()
    assert set(shape) == {"verified", "checks", "credentials"}
    for check in shape["checks"]:
        assert set(check) == {"name", "status", "detail"}
        assert check["status"] in {"passed", "failed", "not-checked"}


def test_self_asserted_credential_without_its_own_proof_is_refused() -> None:
    unsigned = _attestation(subject=WORKER)
    unsigned["issuer"]["id"] = WORKER.did  # self-asserted: the holder is the issuer
    vp = present([unsigned], WORKER, challenge="c", domain="d")
    report = Verifier().verify(_parsed(vp), challenge="c", domain="d")
    assert _status(report, "proof") == "passed"
    assert _status(report, "credentials") == "failed"
    assert report.credentials[0].check("proof") == Check.failed("proof", "document has no proof")
    assert not report.verified
