"""Data Integrity proofs with Ed25519: ``eddsa-rdfc-2022``, ``eddsa-jcs-2022`` and
``Ed25519Signature2020``, signed and verified with PyNaCl.

All three follow the same steps (W3C VC Data Integrity EdDSA Cryptosuites v1.0):

1. transformation — canonicalize the document without its ``proof``
   (RDFC-1.0 for ``eddsa-rdfc-2022`` and ``Ed25519Signature2020``, RFC 8785 JCS for
   ``eddsa-jcs-2022``) (§3.2.3 / §3.3.3);
2. proof configuration — the proof options without ``proofValue``, with the document's
   ``@context``, canonicalized the same way (§3.2.5 / §3.3.5);
3. hashing — ``SHA-256(canonical proof config) ‖ SHA-256(canonical document)`` (§3.2.4);
4. the Ed25519 signature of that 64-byte value, encoded as multibase base58btc (§3.2.6).

Verification redoes 1–3 and checks the signature with the key that ``verificationMethod``
resolves to (offline, see :mod:`credentials.resolver`). It raises; it never returns False.
"""

from __future__ import annotations

import copy
import hashlib
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, Final

import rfc8785

from . import rdfc
from .errors import InvalidSignatureError, KeyFormatError, ProofError
from .keys import KeyPair, b58encode, multibase_decode
from .loader import CONTEXT_ED25519_2020
from .resolver import ResolvedKey, Resolver

__all__ = [
    "SUITES",
    "VerifiedProof",
    "canonical_parts",
    "sign",
    "suite_of",
    "verify",
]

EDDSA_RDFC_2022: Final = "eddsa-rdfc-2022"
EDDSA_JCS_2022: Final = "eddsa-jcs-2022"
ED25519_SIGNATURE_2020: Final = "Ed25519Signature2020"
SUITES: Final = (EDDSA_RDFC_2022, EDDSA_JCS_2022, ED25519_SIGNATURE_2020)


@dataclass(frozen=True, slots=True)
class VerifiedProof:
    """What a verified proof establishes: which key signed, for which purpose."""

    suite: str
    purpose: str
    method: ResolvedKey
    created: str | None
    challenge: str | None
    domain: str | None


def suite_of(proof: Mapping[str, Any]) -> str:
    """The suite name of a proof object, or ProofError if we do not implement it."""
    kind = proof.get("type")
    if kind == "DataIntegrityProof":
        suite = proof.get("cryptosuite")
        if suite in (EDDSA_RDFC_2022, EDDSA_JCS_2022):
            return str(suite)
        raise ProofError(f"unsupported Data Integrity cryptosuite {suite!r}")
    if kind == ED25519_SIGNATURE_2020:
        return ED25519_SIGNATURE_2020
    raise ProofError(f"unsupported proof type {kind!r}")


def _canonicalize(suite: str, document: Mapping[str, Any]) -> bytes:
    if suite == EDDSA_JCS_2022:
        return rfc8785.dumps(document)
    return rdfc.canonicalize(document).encode("utf-8")


def _proof_config(
    suite: str, document: Mapping[str, Any], proof: Mapping[str, Any]
) -> dict[str, Any]:
    config = {k: v for k, v in proof.items() if k != "proofValue"}
    if suite == EDDSA_JCS_2022 and "@context" in config:
        # eddsa-jcs-2022 §3.3.2: a proof's own @context must be a prefix of the document's.
        own = config["@context"]
        own_list = own if isinstance(own, list) else [own]
        doc_ctx = document.get("@context")
        doc_list = doc_ctx if isinstance(doc_ctx, list) else [doc_ctx]
        if doc_list[: len(own_list)] != own_list:
            raise ProofError("proof @context is not a prefix of the document's @context")
        return config
    config["@context"] = document.get("@context")
    return config


def canonical_parts(
    document: Mapping[str, Any], proof: Mapping[str, Any]
) -> tuple[bytes, bytes, bytes]:
    """(canonical document, canonical proof configuration, hash data) for a proof.

    ``document`` is the unsecured document (without ``proof``). Exposed so that tests can
    compare every intermediate with the published vectors.
    """
    suite = suite_of(proof)
    canonical_document = _canonicalize(suite, document)
    canonical_config = _canonicalize(suite, _proof_config(suite, document, proof))
    hash_data = (
        hashlib.sha256(canonical_config).digest() + hashlib.sha256(canonical_document).digest()
    )
    return canonical_document, canonical_config, hash_data


def sign(
    document: Mapping[str, Any],
    key: KeyPair,
    *,
    suite: str = EDDSA_RDFC_2022,
    purpose: str = "assertionMethod",
    created: datetime | None = None,
    challenge: str | None = None,
    domain: str | None = None,
) -> dict[str, Any]:
    """Return a copy of ``document`` with a new proof by ``key`` (its did:key method).

    For ``Ed25519Signature2020`` the suite's context is appended to ``@context`` when absent,
    since that context is what defines the proof's terms.
    """
    if suite not in SUITES:
        raise ProofError(f"unsupported suite {suite!r}; choose one of {', '.join(SUITES)}")
    unsecured = copy.deepcopy(dict(document))
    unsecured.pop("proof", None)
    if suite == ED25519_SIGNATURE_2020:
        contexts = unsecured.get("@context", [])
        contexts = contexts if isinstance(contexts, list) else [contexts]
        if CONTEXT_ED25519_2020 not in contexts:
            unsecured["@context"] = [*contexts, CONTEXT_ED25519_2020]
        proof: dict[str, Any] = {"type": ED25519_SIGNATURE_2020}
    else:
        proof = {"type": "DataIntegrityProof", "cryptosuite": suite}
    when = (created or datetime.now(UTC)).astimezone(UTC).replace(microsecond=0)
    proof["created"] = when.strftime("%Y-%m-%dT%H:%M:%SZ")
    proof["verificationMethod"] = key.verification_method
    proof["proofPurpose"] = purpose
    if challenge is not None:
        proof["challenge"] = challenge
    if domain is not None:
        proof["domain"] = domain
    if suite == EDDSA_JCS_2022:
        proof["@context"] = unsecured.get("@context")
    _, _, hash_data = canonical_parts(unsecured, proof)
    proof["proofValue"] = "z" + b58encode(key.sign(hash_data))
    return {**unsecured, "proof": proof}


def verify(
    document: Mapping[str, Any], resolver: Resolver, *, expected_purpose: str
) -> VerifiedProof:
    """Verify the single proof of ``document``; raise ProofError / InvalidSignatureError.

    ``expected_purpose`` is ``assertionMethod`` for credentials and ``authentication`` for
    presentations; a proof made for another purpose is refused (a key authorised to log in
    must not be able to issue). Challenge and domain are returned, not judged: the caller
    compares them with what it asked for.
    """
    proof = document.get("proof")
    if proof is None:
        raise ProofError("document has no proof")
    if isinstance(proof, list):
        if len(proof) != 1:
            raise ProofError(f"document has {len(proof)} proofs; proof sets are not supported")
        proof = proof[0]
    if not isinstance(proof, Mapping):
        raise ProofError("proof is not an object")
    suite = suite_of(proof)
    purpose = proof.get("proofPurpose")
    if purpose != expected_purpose:
        raise ProofError(f"proof purpose is {purpose!r}, expected {expected_purpose!r}")
    vm = proof.get("verificationMethod")
    if not isinstance(vm, str):
        raise ProofError("proof has no verificationMethod URL")
    value = proof.get("proofValue")
    if not isinstance(value, str) or not value.startswith("z"):
        raise ProofError("proofValue is not a multibase base58btc string")
    try:
        signature = multibase_decode(value)
    except KeyFormatError as e:
        raise ProofError(f"proofValue: {e}") from e
    method = resolver.resolve(vm, purpose=expected_purpose)
    unsecured = {k: v for k, v in document.items() if k != "proof"}
    _, _, hash_data = canonical_parts(unsecured, proof)
    try:
        method.key.verify(hash_data, signature)
    except InvalidSignatureError as e:
        raise InvalidSignatureError(f"{suite} signature does not verify with {vm}") from e

    def text(name: str) -> str | None:
        item = proof.get(name)
        return item if isinstance(item, str) else None

    return VerifiedProof(
        suite=suite,
        purpose=expected_purpose,
        method=method,
        created=text("created"),
        challenge=text("challenge"),
        domain=text("domain"),
    )
