"""The didkit adapter: VC 1.1 round trips, refusals, no network, bounded time, clean exits.

Every call goes through one module-scoped :class:`DidkitWorker`; tests that must prove
that didkit is never reached use a *tripwire* worker whose process cannot start (reaching
it would raise "didkit worker died", not the error the test expects).
"""

from __future__ import annotations

import base64
import copy
import json
import os
import signal
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from credentials import _didkit
from credentials._didkit import DidkitWorker
from credentials.errors import (
    CredentialError,
    DataModelError,
    InvalidSignatureError,
    LimitExceededError,
    MalformedInputError,
    ProofError,
    UnsupportedDidMethodError,
)
from credentials.keys import KeyPair

ROOT = Path(__file__).resolve().parent.parent
OB_CONTEXT = "https://purl.imsglobal.org/spec/ob/v3p0/context.json"
STATUS_2021_CONTEXT = "https://w3id.org/vc/status-list/2021/v1"
ISSUER = KeyPair(seed=bytes(range(32)))
HOLDER = KeyPair(seed=bytes(range(1, 33)))
STRANGER = KeyPair(seed=bytes(range(2, 34)))


def badge(issuer: KeyPair = ISSUER, subject: KeyPair = HOLDER) -> dict[str, Any]:
    """A VC 1.1 OpenBadgeCredential for a Competency, on the unversioned OB context."""
    return {
        "@context": [_didkit.VC_V1_CONTEXT, OB_CONTEXT],
        "id": "urn:uuid:6f1ee0b8-4b0e-4d43-9d8c-1d3f1f0a8c11",
        "type": ["VerifiableCredential", "OpenBadgeCredential"],
        "issuer": {"id": issuer.did, "type": "Profile", "name": "Musette test issuer"},
        "issuanceDate": "2024-01-01T00:00:00Z",
        "name": "Python",
        "credentialSubject": {
            "id": subject.did,
            "type": "AchievementSubject",
            "achievement": {
                "id": "urn:uuid:0b6bb2a4-5d1c-4f0e-8a55-3f0d1c2e9a77",
                "type": "Achievement",
                "achievementType": "Competency",
                "name": "Python",
                "description": "Writes and reviews production Python.",
                "criteria": {"narrative": "Peer-reviewed contributions."},
            },
        },
    }


def presentation(*credentials: Any, holder: KeyPair | None = HOLDER) -> dict[str, Any]:
    document: dict[str, Any] = {
        "@context": [_didkit.VC_V1_CONTEXT],
        "type": ["VerifiablePresentation"],
        "verifiableCredential": list(credentials),
    }
    if holder is not None:
        document["holder"] = holder.did
    return document


def poison(nodes: int = 9) -> dict[str, Any]:
    """``nodes`` labelled blank nodes, each linked to all the others (RDFC's worst case)."""
    document = badge()
    document["credentialSubject"]["https://example.org/related"] = [
        {
            "@id": f"_:b{i}",
            "https://example.org/link": [{"@id": f"_:b{j}"} for j in range(nodes) if j != i],
        }
        for i in range(nodes)
    ]
    return document


@pytest.fixture(scope="module")
def worker() -> Iterator[DidkitWorker]:
    with DidkitWorker() as running:
        yield running


@pytest.fixture
def tripwire() -> Iterator[DidkitWorker]:
    """A worker that cannot start: a test that reaches it fails with "worker died"."""
    with DidkitWorker(command=[sys.executable, "-c", "raise SystemExit(97)"]) as dead:
        yield dead
        assert dead.pid is None


@pytest.fixture(scope="module")
def signed(worker: DidkitWorker) -> dict[str, Any]:
    return _didkit.issue_ld(badge(), ISSUER, worker=worker)


class Listener:
    """A TCP listener on 127.0.0.1 that records every connection made to it."""

    def __init__(self) -> None:
        self._socket = socket.create_server(("127.0.0.1", 0))
        self._socket.settimeout(0.1)
        self.port = self._socket.getsockname()[1]
        self.connections = 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._accept, daemon=True)
        self._thread.start()

    def _accept(self) -> None:
        while not self._stop.is_set():
            try:
                connection, _ = self._socket.accept()
            except TimeoutError:
                continue
            self.connections += 1
            connection.close()

    def close(self) -> None:
        self._stop.set()
        self._thread.join()
        self._socket.close()


@pytest.fixture
def listener() -> Iterator[Listener]:
    running = Listener()
    yield running
    running.close()


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def _jws(header: dict[str, Any], claims: dict[str, Any], key: KeyPair) -> str:
    signing_input = f"{_b64(json.dumps(header).encode())}.{_b64(json.dumps(claims).encode())}"
    return f"{signing_input}.{_b64(key.sign(signing_input.encode('ascii')))}"


# --------------------------------------------------------------------------- round trips


@pytest.mark.parametrize("proof_type", ["Ed25519Signature2018", "Ed25519Signature2020"])
def test_ld_credential_round_trip(worker: DidkitWorker, proof_type: Any) -> None:
    credential = _didkit.issue_ld(badge(), ISSUER, proof_type=proof_type, worker=worker)
    assert credential["proof"]["type"] == proof_type
    assert credential["proof"]["verificationMethod"] == ISSUER.verification_method
    assert credential["@context"][0] == _didkit.VC_V1_CONTEXT
    unsigned = {k: v for k, v in credential.items() if k != "proof"}
    assert unsigned == badge()  # didkit adds the proof and changes nothing else
    _didkit.verify_ld(credential, worker=worker)


def test_jwt_credential_round_trip(worker: DidkitWorker) -> None:
    token = _didkit.issue_jwt(badge(), ISSUER, worker=worker)
    header, _ = _didkit.decode_jwt_unverified(token)
    assert header == {"alg": "EdDSA", "kid": ISSUER.verification_method}
    claims = _didkit.verify_jwt(token, worker=worker)
    assert claims["iss"] == ISSUER.did
    assert claims["sub"] == HOLDER.did
    achievement = claims["vc"]["credentialSubject"]["achievement"]
    assert achievement["achievementType"] == "Competency"


# --------------------------------------------------------------------------- forgeries


@pytest.mark.parametrize("proof_type", ["Ed25519Signature2018", "Ed25519Signature2020"])
def test_tampered_claim_is_an_invalid_signature(worker: DidkitWorker, proof_type: Any) -> None:
    credential = _didkit.issue_ld(badge(), ISSUER, proof_type=proof_type, worker=worker)
    credential["credentialSubject"]["achievement"]["name"] = "Rust"
    with pytest.raises(InvalidSignatureError):
        _didkit.verify_ld(credential, worker=worker)


def test_tampered_jwt_claim_is_an_invalid_signature(worker: DidkitWorker) -> None:
    header, claims, signature = _didkit.issue_jwt(badge(), ISSUER, worker=worker).split(".")
    body = json.loads(base64.urlsafe_b64decode(claims + "=" * (-len(claims) % 4)))
    body["vc"]["credentialSubject"]["achievement"]["name"] = "Rust"
    forged = f"{header}.{_b64(json.dumps(body).encode())}.{signature}"
    with pytest.raises(InvalidSignatureError):
        _didkit.verify_jwt(forged, worker=worker)


def test_signing_for_another_issuer_is_refused(worker: DidkitWorker) -> None:
    with pytest.raises(DataModelError, match="issuer"):
        _didkit.issue_ld(badge(issuer=STRANGER), ISSUER, worker=worker)


def test_proof_by_a_key_that_is_not_the_issuers(
    worker: DidkitWorker, signed: dict[str, Any]
) -> None:
    swapped_method = copy.deepcopy(signed)
    swapped_method["proof"]["verificationMethod"] = STRANGER.verification_method
    with pytest.raises(ProofError, match="not by the issuer"):
        _didkit.verify_ld(swapped_method, worker=worker)
    swapped_issuer = copy.deepcopy(signed)
    swapped_issuer["issuer"]["id"] = STRANGER.did
    with pytest.raises(ProofError, match="not by the issuer"):
        _didkit.verify_ld(swapped_issuer, worker=worker)


def test_issuer_and_method_swapped_together_fail_the_signature(
    worker: DidkitWorker, signed: dict[str, Any]
) -> None:
    forged = copy.deepcopy(signed)
    forged["issuer"]["id"] = STRANGER.did
    forged["proof"]["verificationMethod"] = STRANGER.verification_method
    with pytest.raises(InvalidSignatureError):
        _didkit.verify_ld(forged, worker=worker)


def test_jwt_signed_by_a_key_that_is_not_the_issuers(worker: DidkitWorker) -> None:
    header, claims = _didkit.decode_jwt_unverified(
        _didkit.issue_jwt(badge(), ISSUER, worker=worker)
    )
    with pytest.raises(InvalidSignatureError):  # kid names the issuer, stranger signed
        _didkit.verify_jwt(_jws(header, claims, STRANGER), worker=worker)
    with pytest.raises(ProofError, match="kid"):
        _didkit.verify_jwt(
            _jws({**header, "kid": STRANGER.verification_method}, claims, STRANGER),
            worker=worker,
        )
    # didkit itself accepts this one: iss and kid agree, but vc.issuer names someone else.
    claims_as_stranger = {**claims, "iss": STRANGER.did}
    header_as_stranger = {**header, "kid": STRANGER.verification_method}
    with pytest.raises(ProofError, match="issuer inside the JWT"):
        _didkit.verify_jwt(_jws(header_as_stranger, claims_as_stranger, STRANGER), worker=worker)


def test_jwt_without_eddsa_is_refused(worker: DidkitWorker) -> None:
    _, claims = _didkit.decode_jwt_unverified(_didkit.issue_jwt(badge(), ISSUER, worker=worker))
    unsigned = f"{_b64(json.dumps({'alg': 'none'}).encode())}.{_b64(json.dumps(claims).encode())}."
    with pytest.raises(ProofError, match="EdDSA"):
        _didkit.verify_jwt(unsigned, worker=worker)


def test_wrong_purpose_and_missing_proof(worker: DidkitWorker, signed: dict[str, Any]) -> None:
    as_authentication = _didkit.issue_ld(
        badge(), ISSUER, proof_purpose="authentication", worker=worker
    )
    with pytest.raises(ProofError, match="purpose"):
        _didkit.verify_ld(as_authentication, worker=worker)
    with pytest.raises(ProofError, match="no proof"):
        _didkit.verify_ld(badge(), worker=worker)
    with pytest.raises(ProofError, match="proof sets"):
        _didkit.verify_ld({**signed, "proof": [signed["proof"]]}, worker=worker)


def test_vc2_documents_are_not_didkits(tripwire: DidkitWorker) -> None:
    document = {**badge(), "@context": ["https://www.w3.org/ns/credentials/v2", OB_CONTEXT]}
    with pytest.raises(DataModelError, match=r"VC 1\.1"):
        _didkit.issue_ld(document, ISSUER, worker=tripwire)


# --------------------------------------------------------------------------- presentations


def test_ld_presentation_with_challenge_and_domain(
    worker: DidkitWorker, signed: dict[str, Any]
) -> None:
    vp = _didkit.issue_ld(
        presentation(signed), HOLDER, challenge="c-1", domain="verifier.example", worker=worker
    )
    assert vp["proof"]["proofPurpose"] == "authentication"
    _didkit.verify_ld(vp, challenge="c-1", domain="verifier.example", worker=worker)
    with pytest.raises(ProofError, match="different challenge"):
        _didkit.verify_ld(vp, challenge="c-2", domain="verifier.example", worker=worker)
    with pytest.raises(ProofError, match="domain"):
        _didkit.verify_ld(vp, challenge="c-1", domain="evil.example", worker=worker)
    # Without an expected challenge nothing is checked about replay: the caller compares.
    _didkit.verify_ld(vp, worker=worker)


def test_ld_presentation_without_challenge_refused_when_one_is_expected(
    worker: DidkitWorker, signed: dict[str, Any]
) -> None:
    vp = _didkit.issue_ld(presentation(signed), HOLDER, worker=worker)
    with pytest.raises(ProofError, match="no challenge"):
        _didkit.verify_ld(vp, challenge="c-1", worker=worker)


def test_presentation_must_be_signed_by_its_holder(
    worker: DidkitWorker, signed: dict[str, Any]
) -> None:
    # didkit accepts a presentation with no holder, signed by anybody.
    anonymous = _didkit.issue_ld(
        presentation(signed, holder=STRANGER), STRANGER, challenge="c", worker=worker
    )
    del anonymous["holder"]
    with pytest.raises(ProofError, match="holder"):
        _didkit.verify_ld(anonymous, challenge="c", worker=worker)
    borrowed = _didkit.issue_ld(presentation(signed), HOLDER, challenge="c", worker=worker)
    borrowed["holder"] = STRANGER.did
    with pytest.raises(ProofError, match="not by the holder"):
        _didkit.verify_ld(borrowed, challenge="c", worker=worker)


def test_jwt_presentation_with_challenge_and_domain(
    worker: DidkitWorker, signed: dict[str, Any]
) -> None:
    token = _didkit.issue_jwt(
        presentation(signed), HOLDER, challenge="c-1", domain="verifier.example", worker=worker
    )
    claims = _didkit.verify_jwt(token, challenge="c-1", domain="verifier.example", worker=worker)
    assert (claims["nonce"], claims["aud"], claims["iss"]) == (
        "c-1",
        "verifier.example",
        HOLDER.did,
    )
    with pytest.raises(ProofError, match="different challenge"):
        _didkit.verify_jwt(token, challenge="c-2", worker=worker)
    assert _didkit.verify_jwt(token, worker=worker)["nonce"] == "c-1"  # the caller compares
    bare = _didkit.issue_jwt(presentation(signed), HOLDER, worker=worker)
    with pytest.raises(ProofError, match="no challenge"):
        _didkit.verify_jwt(bare, challenge="c-1", worker=worker)


# --------------------------------------------------------------------------- no network


def test_did_web_verification_method_is_refused_before_didkit(
    worker: DidkitWorker, tripwire: DidkitWorker, signed: dict[str, Any], listener: Listener
) -> None:
    web = f"did:web:127.0.0.1%3A{listener.port}"
    by_method = copy.deepcopy(signed)
    by_method["proof"]["verificationMethod"] = f"{web}#key-1"
    by_issuer = copy.deepcopy(signed)  # didkit resolves the issuer's DID too
    by_issuer["issuer"]["id"] = web
    for document in (by_method, by_issuer):
        with pytest.raises(UnsupportedDidMethodError):
            _didkit.verify_ld(document, worker=tripwire)
    header, claims = _didkit.decode_jwt_unverified(
        _didkit.issue_jwt(badge(), ISSUER, worker=worker)
    )
    with pytest.raises(UnsupportedDidMethodError):
        _didkit.verify_jwt(_jws({**header, "kid": f"{web}#key-1"}, claims, ISSUER), worker=tripwire)
    assert listener.connections == 0


def test_status_list_entry_is_not_fetched(worker: DidkitWorker, listener: Listener) -> None:
    document = badge()
    document["@context"].append(STATUS_2021_CONTEXT)
    url = f"http://127.0.0.1:{listener.port}/status/1"
    document["credentialStatus"] = {
        "id": f"{url}#94567",
        "type": "StatusList2021Entry",
        "statusPurpose": "revocation",
        "statusListIndex": "94567",
        "statusListCredential": url,
    }
    credential = _didkit.issue_ld(document, ISSUER, worker=worker)
    assert credential["credentialStatus"] == document["credentialStatus"]  # nothing stripped
    _didkit.verify_ld(credential, worker=worker)
    assert listener.connections == 0


def test_worker_http_fails_locally_if_a_request_slips_through(
    worker: DidkitWorker, signed: dict[str, Any]
) -> None:
    # Below the adapter's refusal: didkit would fetch https://example.com/.well-known/did.json
    # for this issuer; the worker's proxy variables make the attempt fail on 127.0.0.1:0.
    document = copy.deepcopy(signed)
    document["issuer"]["id"] = "did:web:example.com"
    started = time.monotonic()
    result = json.loads(
        worker.call(
            "verify_credential",
            json.dumps(document),
            json.dumps({"proofPurpose": "assertionMethod"}),
        )
    )
    assert time.monotonic() - started < 2
    assert any("Connection refused" in error for error in result["errors"]), result


# --------------------------------------------------------------------------- bounded time


def test_poison_blank_nodes_refused_before_didkit(
    tripwire: DidkitWorker, signed: dict[str, Any]
) -> None:
    started = time.monotonic()
    with pytest.raises(LimitExceededError, match="blank node"):
        _didkit.issue_ld(poison(), ISSUER, worker=tripwire)
    with pytest.raises(LimitExceededError, match="blank node"):
        _didkit.verify_ld({**poison(), "proof": signed["proof"]}, worker=tripwire)
    assert time.monotonic() - started < 5


def test_stalled_canonicalization_is_killed_by_the_timeout() -> None:
    # Straight to the worker, past the limits: didkit alone needs minutes for this one.
    with DidkitWorker(timeout=1.0) as worker:
        options = {
            "proofPurpose": "assertionMethod",
            "verificationMethod": ISSUER.verification_method,
        }
        started = time.monotonic()
        with pytest.raises(LimitExceededError, match="did not answer"):
            worker.call(
                "issue_credential",
                json.dumps(poison()),
                json.dumps(options),
                json.dumps(ISSUER.to_jwk()),
            )
        assert time.monotonic() - started < 5
        assert worker.pid is None  # killed
        _didkit.verify_ld(_didkit.issue_ld(badge(), ISSUER, worker=worker), worker=worker)


# --------------------------------------------------------------------------- the process


def test_the_worker_is_long_lived_and_restarted_once_when_killed(
    signed: dict[str, Any],
) -> None:
    with DidkitWorker() as worker:
        _didkit.verify_ld(signed, worker=worker)
        first = worker.pid
        _didkit.verify_ld(signed, worker=worker)
        assert worker.pid == first
        assert first is not None
        os.kill(first, signal.SIGKILL)
        _didkit.verify_ld(signed, worker=worker)
        assert worker.pid not in (None, first)


def test_a_worker_that_keeps_dying_raises(signed: dict[str, Any]) -> None:
    dies_on_request = (
        'import os, sys; sys.stdout.write(\'{"ready": "fake"}\\n\'); sys.stdout.flush(); '
        "sys.stdin.readline(); os._exit(9)"
    )
    worker = DidkitWorker(command=[sys.executable, "-c", dies_on_request])
    with worker, pytest.raises(ProofError, match=r"didkit worker died \(exit status 9"):
        _didkit.verify_ld(signed, worker=worker)
    never_starts = DidkitWorker(command=[sys.executable, "-c", "raise SystemExit(97)"])
    with never_starts, pytest.raises(ProofError, match="didkit worker died"):
        _didkit.verify_ld(signed, worker=never_starts)


_EXIT_SCRIPT = """
import sys
from credentials import _didkit
from credentials.keys import KeyPair

key = KeyPair(seed=bytes(32))
credential = {
    "@context": ["https://www.w3.org/2018/credentials/v1"],
    "type": ["VerifiableCredential"],
    "issuer": key.did,
    "issuanceDate": "2024-01-01T00:00:00Z",
    "credentialSubject": {"id": key.did},
}
_didkit.verify_ld(_didkit.issue_ld(credential, key))
_didkit.verify_jwt(_didkit.issue_jwt(credential, key))
assert "didkit" not in sys.modules, "didkit was loaded into the caller's interpreter"
sys.exit(3)
"""


def test_callers_exit_with_their_own_status() -> None:
    runs = [
        subprocess.Popen(
            [sys.executable, "-c", _EXIT_SCRIPT],
            cwd=ROOT,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
        )
        for _ in range(3)
    ]
    for run in runs:
        out, err = run.communicate(timeout=20)
        assert run.returncode == 3, (run.returncode, out, err)


# --------------------------------------------------------------------------- parsing


def _parts(header: bytes, claims: bytes, signature: str = "") -> str:
    return f"{_b64(header)}.{_b64(claims)}.{signature}"


@pytest.mark.parametrize(
    "token",
    [
        "",
        "a.b",
        "a.b.c.d",
        "!!!.e30.",
        _parts(b"[1]", b"{}"),
        _parts(b"{}", b"not json"),
        _parts(b"{}", b'{"iss": 1, "iss": 2}'),
        _parts(b"{}", b'{"n": NaN}'),
        _parts(b"{}", b"{}").replace(".", "=.", 1),
        _parts(b"{}", b"{}", "sig+"),
        _parts(b"{}", b"\xff\xfe"),
        _parts(b"{}", b"[" * 100_000),
    ],
    ids=[
        "empty",
        "two-parts",
        "four-parts",
        "not-base64url",
        "header-not-object",
        "claims-not-json",
        "duplicate-member",
        "nan",
        "padded",
        "signature-not-base64url",
        "not-utf8",
        "too-deep",
    ],
)
def test_decode_refuses_junk(token: str) -> None:
    with pytest.raises(MalformedInputError):
        _didkit.decode_jwt_unverified(token)


@pytest.fixture(scope="module")
def token(worker: DidkitWorker) -> str:
    return _didkit.issue_jwt(badge(), ISSUER, worker=worker)


@settings(max_examples=25, deadline=None)
@given(part=st.integers(0, 2), position=st.integers(0, 10_000), bit=st.integers(0, 7))
def test_any_bit_flip_in_a_jwt_is_refused(
    worker: DidkitWorker, token: str, part: int, position: int, bit: int
) -> None:
    segments = token.split(".")
    data = bytearray(base64.urlsafe_b64decode(segments[part] + "=" * (-len(segments[part]) % 4)))
    data[position % len(data)] ^= 1 << bit
    segments[part] = _b64(bytes(data))
    with pytest.raises(CredentialError):
        _didkit.verify_jwt(".".join(segments), worker=worker)
