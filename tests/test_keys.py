"""did:key identities and key encodings, against the published did:key vectors."""

from __future__ import annotations

import json

import pytest
from hypothesis import given
from hypothesis import strategies as st

from credentials.errors import (
    DidError,
    InvalidSignatureError,
    KeyFormatError,
    UnsupportedDidMethodError,
)
from credentials.keys import (
    Ed25519PublicKey,
    KeyPair,
    b58decode,
    b58encode,
    did_key_document,
)
from credentials.resolver import OfflineResolver
from tests.conftest import shared_vectors_dir

seeds = st.binary(min_size=32, max_size=32)


def _did_key_vectors() -> dict[str, dict[str, object]]:
    path = shared_vectors_dir("did-key") / "ed25519-x25519.json"
    vectors: dict[str, dict[str, object]] = json.loads(path.read_text())
    return vectors


def test_did_key_vectors_reproduce_did_and_document() -> None:
    vectors = _did_key_vectors()
    assert len(vectors) == 5
    for did, vector in vectors.items():
        pair = KeyPair(seed=bytes.fromhex(str(vector["seed"])))
        assert pair.did == did
        document = vector["didDocument"]
        assert isinstance(document, dict)
        representation = document["verificationMethod"][0]["type"]
        assert did_key_document(did, representation=representation) == document
        agreement = vector["keyAgreementKeyPair"]
        assert isinstance(agreement, dict)
        if "privateKeyBase58" in agreement:
            assert b58encode(pair.x25519_secret()) == agreement["privateKeyBase58"]


def test_vc_di_eddsa_key_pair_multikey() -> None:
    pair_file = shared_vectors_dir("w3c-vc-di-eddsa") / "keyPair.json"
    data = json.loads(pair_file.read_text())
    pair = KeyPair.from_multibase(data["privateKeyMultibase"])
    assert pair.public.multibase == data["publicKeyMultibase"]
    assert KeyPair.from_multibase(pair.secret_multibase) == pair


@given(seeds)
def test_encodings_round_trip(seed: bytes) -> None:
    pair = KeyPair(seed=seed)
    assert Ed25519PublicKey.from_did(pair.did) == pair.public
    assert Ed25519PublicKey.from_did(pair.verification_method) == pair.public
    assert Ed25519PublicKey.from_multibase(pair.public.multibase) == pair.public
    assert Ed25519PublicKey.from_jwk(pair.public.to_jwk()) == pair.public
    assert KeyPair.from_jwk(pair.to_jwk()) == pair
    assert KeyPair.from_multibase(pair.secret_multibase) == pair


@given(st.binary(max_size=64))
def test_base58_round_trip(data: bytes) -> None:
    assert b58decode(b58encode(data)) == data


@given(seeds, st.binary(max_size=256), st.integers(min_value=0, max_value=511))
def test_signature_verifies_and_any_bit_flip_fails(seed: bytes, message: bytes, bit: int) -> None:
    pair = KeyPair(seed=seed)
    signature = pair.sign(message)
    pair.public.verify(message, signature)
    flipped = bytearray(signature)
    flipped[bit // 8] ^= 1 << (bit % 8)
    with pytest.raises(InvalidSignatureError):
        pair.public.verify(message, bytes(flipped))


def test_wycheproof_ed25519() -> None:
    data = json.loads((shared_vectors_dir("wycheproof") / "ed25519_test.json").read_text())
    count = 0
    for group in data["testGroups"]:
        raw = bytes.fromhex(group["publicKey"]["pk"])
        for case in group["tests"]:
            count += 1
            message, signature = bytes.fromhex(case["msg"]), bytes.fromhex(case["sig"])
            try:
                Ed25519PublicKey(raw=raw).verify(message, signature)
                accepted = True
            except (InvalidSignatureError, KeyFormatError):
                accepted = False
            assert accepted == (case["result"] == "valid"), case["tcId"]
    assert count > 100


@pytest.mark.parametrize(
    ("did", "error"),
    [
        ("did:web:example.com", UnsupportedDidMethodError),
        ("did:example:123", UnsupportedDidMethodError),
        ("did:key:zBadBase58l0", DidError),
        ("did:key:z6LShs9GGnqk85isEBzzshkuVWrVKsRp24GnDuHk8QWkARMW", DidError),  # X25519 key
        ("not-a-did", DidError),
    ],
)
def test_bad_dids_are_refused(did: str, error: type[Exception]) -> None:
    with pytest.raises(error):
        OfflineResolver().resolve(did + "#k", purpose="assertionMethod")


def test_jwk_with_mismatched_public_half_is_refused() -> None:
    one, two = KeyPair.generate(), KeyPair.generate()
    with pytest.raises(KeyFormatError):
        KeyPair.from_jwk({**one.to_jwk(), "x": two.to_jwk()["x"]})


def test_did_web_resolves_only_from_cache() -> None:
    pair = KeyPair.generate()
    did = "did:web:guild.example"
    document = {
        "id": did,
        "verificationMethod": [
            {
                "id": f"{did}#key-1",
                "type": "Multikey",
                "controller": did,
                "publicKeyMultibase": pair.public.multibase,
            }
        ],
        "assertionMethod": ["#key-1"],
    }
    with pytest.raises(UnsupportedDidMethodError):
        OfflineResolver().resolve(f"{did}#key-1", purpose="assertionMethod")
    resolved = OfflineResolver(cached_documents={did: document}).resolve(
        f"{did}#key-1", purpose="assertionMethod"
    )
    assert resolved.key == pair.public
    assert resolved.controller == did
    with pytest.raises(DidError):
        OfflineResolver(cached_documents={did: document}).resolve(
            f"{did}#key-1", purpose="authentication"
        )
