"""SD-JWT VC: issue, present with key binding, verify offline (specs/sd-jwt.md)."""

from __future__ import annotations

import base64
import hashlib
import itertools
import json
import re
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from credentials.errors import DataModelError, MalformedInputError, ProofError
from credentials.keys import KeyPair
from credentials.models import SkillAttestation
from credentials.report import CheckStatus
from credentials.resolver import OfflineResolver
from credentials.sd_jwt import (
    VCT_SKILL_ATTESTATION,
    SdJwtResult,
    issue_sd_jwt,
    present_sd_jwt,
    skill_attestation_claims,
    verify_sd_jwt,
)
from tests.conftest import ROOT

ISSUER = KeyPair(seed=bytes(range(32)))
HOLDER = KeyPair(seed=bytes(range(32, 64)))
MALLORY = KeyPair(seed=bytes(range(64, 96)))
T0 = datetime(2025, 3, 1, 12, 0, tzinfo=UTC)
NONCE = "n-0S6_WzA2Mj"
AUD = "https://recruiter.example/verify"
SECRET = "pairing on the payroll migration, weekly for six months"
DISCLOSABLE = ("skill", "level", "evidence", "relationship", "alignment")
CHECKS = (
    "parse",
    "proof",
    "issuer-binding",
    "validity",
    "disclosures",
    "holder-binding",
    "challenge",
    "domain",
)


def counter_salt() -> Callable[[], bytes]:
    """A deterministic salt source: 16 bytes from SHA-256 of a counter."""
    counter = itertools.count()
    return lambda: hashlib.sha256(str(next(counter)).encode()).digest()[:16]


def attestation() -> SkillAttestation:
    return SkillAttestation(
        issuer=ISSUER.did,
        subject=HOLDER.did,
        skill="Data pipeline design",
        level=5,
        evidence="Reviewed the ETL rewrite end to end.",
        relationship=SECRET,
        alignment=["digcomp:3"],
        valid_from=T0,
        credential_id="urn:uuid:5f1f7ce0-3b1e-4c4c-9a43-000000000001",
    )


def issue(**overrides: Any) -> str:
    args: dict[str, Any] = {
        "disclosable": DISCLOSABLE,
        "holder_did": HOLDER.did,
        "iat": T0,
        "exp": T0 + timedelta(days=365),
        "salt": counter_salt(),
    }
    args.update(overrides)
    claims = args.pop("claims", skill_attestation_claims(attestation()))
    return issue_sd_jwt(claims, ISSUER, **args)


def present(sd_jwt: str, disclose: tuple[str, ...], **overrides: Any) -> str:
    args: dict[str, Any] = {"nonce": NONCE, "audience": AUD, "iat": T0 + timedelta(minutes=1)}
    args.update(overrides)
    return present_sd_jwt(sd_jwt, HOLDER, disclose=disclose, **args)


def verify(presentation: str, **overrides: Any) -> SdJwtResult:
    args: dict[str, Any] = {
        "resolver": OfflineResolver(),
        "now": T0 + timedelta(minutes=2),
        "nonce": NONCE,
        "audience": AUD,
    }
    args.update(overrides)
    return verify_sd_jwt(presentation, **args)


def statuses(result: SdJwtResult) -> dict[str, str]:
    return {c.name: c.status.value for c in result.checks}


def assert_only_fails(result: SdJwtResult, *names: str) -> None:
    failed = {c.name for c in result.checks if c.status is CheckStatus.FAILED}
    assert failed == set(names), statuses(result)
    assert not result.verified


# --- helpers that forge what an attacker would send ----------------------------------------


def b64e(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def b64d(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def sign_jwt(header: dict[str, Any], payload: dict[str, Any], key: KeyPair) -> str:
    head = b64e(json.dumps(header).encode()) + "." + b64e(json.dumps(payload).encode())
    return head + "." + b64e(key.sign(head.encode()))


def disclosure(salt: str, name: str, value: Any) -> str:
    return b64e(json.dumps([salt, name, value]).encode())


def digest(encoded: str) -> str:
    return b64e(hashlib.sha256(encoded.encode()).digest())


def bind(prefix: str, key: KeyPair = HOLDER, **claims: Any) -> str:
    """Append a KB-JWT over ``prefix`` (which ends in ``~``), as a holder would."""
    payload = {
        "iat": int((T0 + timedelta(minutes=1)).timestamp()),
        "aud": AUD,
        "nonce": NONCE,
        "sd_hash": b64e(hashlib.sha256(prefix.encode()).digest()),
    } | claims
    return prefix + sign_jwt({"alg": "EdDSA", "typ": "kb+jwt"}, payload, key)


def split(sd_jwt: str) -> tuple[str, list[str]]:
    jwt, *rest = sd_jwt.split("~")
    return jwt, rest[:-1]


def payload_of(jwt: str) -> dict[str, Any]:
    result: dict[str, Any] = json.loads(b64d(jwt.split(".")[1]))
    return result


def forge(payload: dict[str, Any], disclosures: list[str], key: KeyPair = ISSUER) -> str:
    header = {"alg": "EdDSA", "typ": "dc+sd-jwt", "kid": key.verification_method}
    return "~".join([sign_jwt(header, payload, key), *disclosures]) + "~"


def base_payload(**extra: Any) -> dict[str, Any]:
    return {
        "iss": ISSUER.did,
        "sub": HOLDER.did,
        "iat": int(T0.timestamp()),
        "vct": VCT_SKILL_ATTESTATION,
        "cnf": {"jwk": HOLDER.public.to_jwk()},
        "_sd_alg": "sha-256",
    } | extra


# --- round trip ----------------------------------------------------------------------------


def test_round_trip_verifies_with_every_check_in_order() -> None:
    result = verify(present(issue(), ("skill", "level")))
    assert tuple(c.name for c in result.checks) == CHECKS
    assert all(c.status is CheckStatus.PASSED for c in result.checks), statuses(result)
    assert result.verified
    assert result.report.to_json()["verified"] is True
    assert result.claims["skill"] == "Data pipeline design"
    assert result.claims["level"] == 5
    assert result.claims["iss"] == ISSUER.did
    assert result.claims["sub"] == HOLDER.did
    assert result.claims["vct"] == VCT_SKILL_ATTESTATION
    assert result.disclosed == {"skill", "level"}


def test_issuer_jwt_has_the_profile_header_and_no_disclosable_value() -> None:
    jwt, disclosures = split(issue(decoys=3))
    header = json.loads(b64d(jwt.split(".")[0]))
    assert header == {"alg": "EdDSA", "typ": "dc+sd-jwt", "kid": ISSUER.verification_method}
    payload = payload_of(jwt)
    assert payload["_sd_alg"] == "sha-256"
    assert len(payload["_sd"]) == len(DISCLOSABLE) + 3
    assert payload["_sd"] == sorted(payload["_sd"])
    assert set(map(digest, disclosures)) < set(payload["_sd"])
    assert not set(DISCLOSABLE) & set(payload)
    assert payload["cnf"] == {"jwk": HOLDER.public.to_jwk()}
    for encoded in disclosures:
        salt, _name, _value = json.loads(b64d(encoded))
        assert len(b64d(salt)) == 16


def test_undisclosed_values_appear_nowhere_in_the_presentation() -> None:
    presentation = present(issue(), ("skill", "level"))
    result = verify(presentation)
    assert result.verified
    assert set(result.claims) == {"iss", "sub", "iat", "exp", "vct", "cnf", "jti"} | {
        "skill",
        "level",
    }
    assert "relationship" not in result.claims
    assert SECRET not in presentation
    decoded = [b64d(piece) for part in presentation.split("~") for piece in part.split(".")]
    for blob in decoded:
        assert SECRET.encode() not in blob
        assert b"relationship" not in blob
        assert b"Reviewed the ETL" not in blob


def test_nested_paths_disclose_with_their_parents() -> None:
    claims = {
        "sub": HOLDER.did,
        "credentialSubject": {"achievement": {"name": "Rust", "secret": "s3cr3t"}, "x": 1},
    }
    sd_jwt = issue(
        claims=claims,
        disclosable=[
            "credentialSubject.achievement",
            "credentialSubject.achievement.name",
            "credentialSubject.achievement.secret",
        ],
    )
    result = verify(present(sd_jwt, ("credentialSubject.achievement.name",)))
    assert result.verified, statuses(result)
    assert result.claims["credentialSubject"] == {"achievement": {"name": "Rust"}, "x": 1}
    assert result.disclosed == {
        "credentialSubject.achievement",
        "credentialSubject.achievement.name",
    }
    none = verify(present(sd_jwt, ()))
    assert none.verified
    assert none.claims["credentialSubject"] == {"x": 1}


@settings(max_examples=25, deadline=None)
@given(st.sets(st.sampled_from(DISCLOSABLE)), st.integers(min_value=0, max_value=4))
def test_any_subset_verifies_and_discloses_exactly_it(chosen: set[str], decoys: int) -> None:
    result = verify(present(issue(decoys=decoys), tuple(sorted(chosen))))
    assert result.verified, statuses(result)
    assert result.disclosed == chosen
    assert set(DISCLOSABLE) & set(result.claims) == chosen


# --- what the issuer and holder refuse -----------------------------------------------------


@pytest.mark.parametrize(
    ("overrides", "reason"),
    [
        ({"disclosable": ["exp"]}, "in the clear"),
        ({"disclosable": ["nope"]}, "not among the claims"),
        ({"disclosable": ["skill.name"]}, "not an object"),
        ({"disclosable": ["a..b"]}, "empty segment"),
        ({"claims": {"sub": HOLDER.did, "cnf": {}}}, "set by the issuer"),
        ({"exp": T0}, "exp must be after iat"),
    ],
)
def test_issuer_refuses(overrides: dict[str, Any], reason: str) -> None:
    with pytest.raises(DataModelError, match=reason):
        issue(**overrides)


def test_holder_refuses_a_foreign_key_and_an_unknown_path() -> None:
    sd_jwt = issue()
    with pytest.raises(ProofError, match="cnf"):
        present_sd_jwt(sd_jwt, MALLORY, disclose=(), nonce=NONCE, audience=AUD, iat=T0)
    with pytest.raises(DataModelError, match="not a selectively disclosable"):
        present(sd_jwt, ("sub",))
    with pytest.raises(MalformedInputError, match="already a presentation"):
        present(present(sd_jwt, ()), ())


# --- negative cases: each fails the right check --------------------------------------------


def test_tampered_disclosure_fails_disclosures() -> None:
    jwt, disclosures = split(issue())
    salt, name, _ = json.loads(b64d(disclosures[1]))
    assert name == "level"
    tampered = disclosure(salt, name, 8)
    result = verify(bind(f"{jwt}~{tampered}~"))
    assert_only_fails(result, "disclosures")
    assert result.claims == {}


def test_tampered_disclosure_under_the_original_kb_jwt_also_breaks_binding() -> None:
    presentation = present(issue(), ("level",))
    jwt, level, kb = presentation.split("~")
    salt, name, _ = json.loads(b64d(level))
    result = verify(f"{jwt}~{disclosure(salt, name, 8)}~{kb}")
    assert_only_fails(result, "disclosures", "holder-binding")


def test_disclosure_the_issuer_did_not_sign_is_refused() -> None:
    jwt, disclosures = split(issue())
    extra = disclosure(b64e(bytes(16)), "level", 8)
    result = verify(bind(f"{jwt}~{disclosures[0]}~{extra}~"))
    assert_only_fails(result, "disclosures")
    detail = result.report.check("disclosures")
    assert detail is not None
    assert "not signed by the issuer" in detail.detail


def test_same_disclosure_twice_is_refused() -> None:
    jwt, disclosures = split(issue())
    result = verify(bind(f"{jwt}~{disclosures[0]}~{disclosures[0]}~"))
    assert_only_fails(result, "disclosures")


def test_removed_claim_under_the_original_signature_fails_proof() -> None:
    jwt, _ = split(issue())
    payload = payload_of(jwt)
    payload["_sd"] = payload["_sd"][1:]
    head, _, signature = jwt.split(".")
    edited = f"{head}.{b64e(json.dumps(payload).encode())}.{signature}"
    result = verify(bind(f"{edited}~"))
    assert_only_fails(result, "proof")
    assert result.report.check("issuer-binding") is not None


def test_removed_claim_re_signed_by_another_key_fails_issuer_binding() -> None:
    jwt, _ = split(issue())
    payload = payload_of(jwt)
    payload["_sd"] = payload["_sd"][1:]
    result = verify(bind(forge(payload, [], key=MALLORY)))
    assert_only_fails(result, "issuer-binding")


def test_re_signed_by_another_key_under_the_issuers_kid_fails_proof() -> None:
    jwt, _ = split(issue())
    header = {"alg": "EdDSA", "typ": "dc+sd-jwt", "kid": ISSUER.verification_method}
    result = verify(bind(sign_jwt(header, payload_of(jwt), MALLORY) + "~"))
    assert_only_fails(result, "proof")


def test_swapped_kb_jwt_fails_holder_binding() -> None:
    sd_jwt = issue()
    first = present(sd_jwt, ("skill",))
    second = present(sd_jwt, ("level",))
    swapped = second.rpartition("~")[0] + "~" + first.rpartition("~")[2]
    assert_only_fails(verify(swapped), "holder-binding")


def test_kb_jwt_by_another_key_fails_holder_binding() -> None:
    jwt, disclosures = split(issue())
    assert_only_fails(verify(bind(f"{jwt}~{disclosures[0]}~", key=MALLORY)), "holder-binding")


def test_kb_jwt_with_the_wrong_typ_fails_holder_binding() -> None:
    jwt, _ = split(issue())
    prefix = f"{jwt}~"
    payload = {
        "iat": int(T0.timestamp()),
        "aud": AUD,
        "nonce": NONCE,
        "sd_hash": b64e(hashlib.sha256(prefix.encode()).digest()),
    }
    token = sign_jwt({"alg": "EdDSA", "typ": "JWT"}, payload, HOLDER)
    assert_only_fails(verify(prefix + token), "holder-binding")


def test_stale_kb_jwt_fails_holder_binding() -> None:
    presentation = present(issue(), ())
    assert_only_fails(verify(presentation, now=T0 + timedelta(hours=1)), "holder-binding")


def test_missing_kb_jwt_fails_every_binding_check() -> None:
    result = verify(issue())
    assert_only_fails(result, "holder-binding", "challenge", "domain")
    relaxed = verify(issue(), nonce=None, audience=None)
    assert_only_fails(relaxed, "holder-binding")
    assert statuses(relaxed)["challenge"] == "not-checked"


def test_wrong_nonce_fails_challenge() -> None:
    result = verify(present(issue(), ("skill",), nonce="replayed"))
    assert_only_fails(result, "challenge")


def test_wrong_audience_fails_domain() -> None:
    result = verify(present(issue(), ("skill",), audience="https://other.example"))
    assert_only_fails(result, "domain")


def test_expired_token_fails_validity() -> None:
    sd_jwt = issue(exp=T0 + timedelta(days=1))
    later = T0 + timedelta(days=2)
    result = verify(present(sd_jwt, ("skill",), iat=later), now=later)
    assert_only_fails(result, "validity")
    assert statuses(result)["proof"] == "passed"
    check = result.report.check("validity")
    assert check is not None
    assert "expired" in check.detail


def test_not_yet_valid_and_future_iat_fail_validity() -> None:
    early = T0 - timedelta(days=1)
    nbf = issue(nbf=T0 + timedelta(days=1))
    assert_only_fails(verify(present(nbf, ()), now=T0 + timedelta(minutes=2)), "validity")
    result = verify(present(issue(), (), iat=early), now=early)
    assert_only_fails(result, "validity")


@pytest.mark.parametrize(
    ("name", "value", "reason"),
    [
        ("iss", "did:key:z6MkEvil", "overwrites"),
        ("_sd", ["x"], "reserved"),
        ("...", 1, "reserved"),
    ],
)
def test_signed_disclosure_with_a_forbidden_name_fails_disclosures(
    name: str, value: Any, reason: str
) -> None:
    evil = disclosure(b64e(bytes(16)), name, value)
    sd_jwt = forge(base_payload(_sd=[digest(evil)]), [evil])
    result = verify(bind(sd_jwt))
    assert_only_fails(result, "disclosures")
    check = result.report.check("disclosures")
    assert check is not None
    assert reason in check.detail


def test_digest_used_twice_fails_disclosures() -> None:
    d = disclosure(b64e(bytes(16)), "skill", "Rust")
    nested = {"_sd": [digest(d)]}
    sd_jwt = forge(base_payload(_sd=[digest(d)], inner=nested), [d])
    assert_only_fails(verify(bind(sd_jwt)), "disclosures")


def test_wrong_typ_on_the_issuer_jwt_fails_proof() -> None:
    jwt, _ = split(issue())
    header = {"alg": "EdDSA", "typ": "JWT", "kid": ISSUER.verification_method}
    assert_only_fails(verify(bind(sign_jwt(header, payload_of(jwt), ISSUER) + "~")), "proof")


def test_kid_falls_back_to_a_did_key_iss() -> None:
    jwt, _ = split(issue())
    token = sign_jwt({"alg": "EdDSA", "typ": "dc+sd-jwt"}, payload_of(jwt), ISSUER)
    assert verify(bind(token + "~")).verified


# --- malformed input raises ----------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "reason"),
    [
        ("", "no '~'"),
        ("just text", "no '~'"),
        ("a.b.!~", "not base64url"),
        ("a.b.c.d~", "three dot-separated"),
        ("ok~", "three dot-separated"),
        ("héllo~", "ASCII"),
    ],
)
def test_malformed_text_raises(text: str, reason: str) -> None:
    with pytest.raises(MalformedInputError, match=reason):
        verify(text)


@pytest.mark.parametrize(
    ("piece", "reason"),
    [
        ("!!!", "not base64url"),
        (b64e(b"{}"), "not a JSON array"),
        (b64e(b'["s","n"]'), "array-element"),
        (b64e(b'["s",1,2]'), r"\[salt, claim name, value\]"),
        (b64e(b"\xff"), "not UTF-8 JSON"),
    ],
)
def test_malformed_disclosure_raises(piece: str, reason: str) -> None:
    jwt, _ = split(issue())
    with pytest.raises(MalformedInputError, match=reason):
        verify(f"{jwt}~{piece}~")


def test_unsupported_sd_alg_and_bad_dates_raise() -> None:
    with pytest.raises(MalformedInputError, match="_sd_alg"):
        verify(forge(base_payload(_sd_alg="sha-512"), []))
    with pytest.raises(MalformedInputError, match="NumericDate"):
        verify(forge(base_payload(exp="tomorrow"), []))
    with pytest.raises(MalformedInputError, match="empty disclosure"):
        verify(split(issue())[0] + "~~~")


# --- the worked example of specs/sd-jwt.md -------------------------------------------------


def worked_example() -> dict[str, str]:
    """Regenerate the example of ``specs/sd-jwt.md`` §6 (fixed keys, salts and clock)."""
    sd_jwt = issue()
    return {"sd-jwt": sd_jwt, "presentation": present(sd_jwt, ("skill", "level"))}


def test_spec_worked_example_is_current() -> None:
    text = (ROOT / "specs" / "sd-jwt.md").read_text(encoding="utf-8")
    for label, value in worked_example().items():
        match = re.search(rf"<!-- example:{label} -->\n```text\n(.*?)\n```", text, re.S)
        assert match is not None, f"specs/sd-jwt.md has no {label} example block"
        assert "".join(match.group(1).split()) == value, f"{label} example is stale"
    assert verify(worked_example()["presentation"]).verified
