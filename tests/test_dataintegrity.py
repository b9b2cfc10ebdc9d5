"""Data Integrity EdDSA suites against every intermediate of the published vectors, and
sign/verify laws."""

from __future__ import annotations

import copy
import hashlib
import json
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from credentials import dataintegrity
from credentials.errors import InvalidSignatureError, ProofError
from credentials.keys import KeyPair, b58encode
from credentials.resolver import OfflineResolver
from tests.conftest import shared_vectors_dir

# folder, file suffix, proof config file, signed file
VECTOR_SETS = [
    ("eddsa-rdfc-2022", "DataInt", "proofConfigDataInt.json", "signedDataInt.json"),
    ("eddsa-jcs-2022", "JCS", "proofConfigJCS.json", "signedJCS.json"),
    ("Ed25519Signature2020", "EdSig", "proofConfigEdSig.json", "signedEdSig.json"),
]


def _read(folder: Path, name: str) -> str:
    return (folder / name).read_text().strip()


@pytest.mark.parametrize(("suite", "suffix", "config_file", "signed_file"), VECTOR_SETS)
def test_every_intermediate_of_the_published_vectors(
    suite: str, suffix: str, config_file: str, signed_file: str
) -> None:
    root = shared_vectors_dir("w3c-vc-di-eddsa")
    folder = root / suite
    signed = json.loads((folder / signed_file).read_text())
    config = json.loads((folder / config_file).read_text())
    unsecured = {k: v for k, v in signed.items() if k != "proof"}
    canonical_document, canonical_config, hash_data = dataintegrity.canonical_parts(
        unsecured, signed["proof"]
    )
    assert canonical_document.decode().strip() == _read(folder, f"canonDoc{suffix}.txt")
    assert canonical_config.decode().strip() == _read(folder, f"proofCanon{suffix}.txt")
    # the published proof configuration canonicalizes the same way
    assert dataintegrity.canonical_parts(unsecured, config)[1] == canonical_config
    assert hashlib.sha256(canonical_document).hexdigest() == _read(folder, f"docHash{suffix}.txt")
    assert hashlib.sha256(canonical_config).hexdigest() == _read(folder, f"proofHash{suffix}.txt")
    assert hash_data.hex() == _read(folder, f"combinedHash{suffix}.txt")
    key = KeyPair.from_multibase(
        json.loads((root / "keyPair.json").read_text())["privateKeyMultibase"]
    )
    signature = key.sign(hash_data)
    assert signature.hex() == _read(folder, f"sigHex{suffix}.txt")
    assert "z" + b58encode(signature) == _read(folder, f"sigBTC58{suffix}.txt")
    # signing the unsecured document with the vector's options reproduces the signed file
    created = datetime.fromisoformat(config["created"].replace("Z", "+00:00"))
    resigned = dataintegrity.sign(
        {k: v for k, v in unsecured.items()},
        key,
        suite=dataintegrity.suite_of(config),
        created=created,
    )
    assert resigned == signed
    # and it verifies (the key is a did:key, resolvable offline)
    proof = dataintegrity.verify(signed, OfflineResolver(), expected_purpose="assertionMethod")
    assert proof.method.key == key.public


def _credential(subject_name: str, extra: dict[str, Any]) -> dict[str, Any]:
    return {
        "@context": [
            "https://www.w3.org/ns/credentials/v2",
            "https://purl.imsglobal.org/spec/ob/v3p0/context-3.0.3.json",
        ],
        "id": "urn:uuid:7bd3b2a4-0d36-4b2e-9a6c-1e0f7f1b3e11",
        "type": ["VerifiableCredential", "OpenBadgeCredential"],
        "issuer": {"id": "did:example:placeholder", "type": ["Profile"]},
        "validFrom": "2026-01-01T00:00:00Z",
        "name": subject_name,
        "credentialSubject": {
            "type": ["AchievementSubject"],
            "achievement": {
                "id": "urn:uuid:0b0f1d1e-5d9a-4f0e-8a57-3c3b8a1c2d4e",
                "type": ["Achievement"],
                "name": subject_name,
                "description": "d",
                "criteria": {"narrative": "n"},
                **extra,
            },
        },
    }


texts = st.text(min_size=1, max_size=40)


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    seed=st.binary(min_size=32, max_size=32),
    name=texts,
    narrative=texts,
    suite=st.sampled_from(dataintegrity.SUITES),
    data=st.data(),
)
def test_sign_verify_and_tamper(
    seed: bytes, name: str, narrative: str, suite: str, data: st.DataObject
) -> None:
    key = KeyPair(seed=seed)
    document = _credential(name, {"criteria": {"narrative": narrative}})
    document["issuer"]["id"] = key.did
    signed = dataintegrity.sign(
        document, key, suite=suite, created=datetime(2026, 1, 1, tzinfo=UTC)
    )
    dataintegrity.verify(signed, OfflineResolver(), expected_purpose="assertionMethod")
    # a changed claim fails
    tampered = copy.deepcopy(signed)
    other = data.draw(texts.filter(lambda t: t != name))
    tampered["name"] = other
    with pytest.raises(InvalidSignatureError):
        dataintegrity.verify(tampered, OfflineResolver(), expected_purpose="assertionMethod")
    # a flipped bit in the signature fails
    flipped = copy.deepcopy(signed)
    value = flipped["proof"]["proofValue"]
    position = data.draw(st.integers(min_value=1, max_value=len(value) - 1))
    replacement = "2" if value[position] != "2" else "3"
    flipped["proof"]["proofValue"] = value[:position] + replacement + value[position + 1 :]
    with pytest.raises(ProofError):
        dataintegrity.verify(flipped, OfflineResolver(), expected_purpose="assertionMethod")


def test_wrong_purpose_and_missing_proof_are_refused() -> None:
    key = KeyPair.generate()
    document = _credential("x", {})
    signed = dataintegrity.sign(document, key)
    with pytest.raises(ProofError, match="purpose"):
        dataintegrity.verify(signed, OfflineResolver(), expected_purpose="authentication")
    with pytest.raises(ProofError, match="no proof"):
        dataintegrity.verify(document, OfflineResolver(), expected_purpose="assertionMethod")
    with pytest.raises(ProofError, match="unsupported"):
        dataintegrity.verify(
            {**signed, "proof": {**signed["proof"], "cryptosuite": "ecdsa-rdfc-2019"}},
            OfflineResolver(),
            expected_purpose="assertionMethod",
        )
