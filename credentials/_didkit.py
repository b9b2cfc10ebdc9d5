"""The one adapter around didkit 0.3.3: VC 1.1 proofs, run in a separate worker process.

didkit covers VC 1.1 (``https://www.w3.org/2018/credentials/v1`` first): Ed25519Signature2018
and Ed25519Signature2020 JSON-LD proofs, and JWT-VC / JWT-VP signed with EdDSA. Nothing
else in Musette uses didkit (only the worker process, :mod:`credentials._didkit_worker`,
imports it); everything goes through the functions here.

The traps of didkit 0.3.3, and what this module does about each:

1. Its async runtime can kill the interpreter that loaded it (SIGSEGV/SIGABRT at exit, and
   ``FATAL: exception not rethrown`` when an awaited call is abandoned). didkit therefore
   runs only in a child process, :class:`DidkitWorker` (:mod:`credentials._didkit_worker`,
   re-exported here), which always ends with ``os._exit``. The interpreter that imports
   this module never loads didkit and exits with its own status. A worker that dies is
   restarted once per call, then :class:`ProofError` ``"didkit worker died"``.
2. It does not check validity dates of JSON-LD credentials: the caller does (with its clock).
   It *does* refuse an expired or not-yet-valid JWT (``exp``/``nbf``, system clock) with the
   bare reason ``No applicable JWS or proof``: check the validity period first.
3. Its ``verify_presentation`` does not verify the credentials inside, does not bind the
   holder to the subject, accepts a presentation without a holder signed by any key, and
   accepts any challenge (or none) when not told one. Here a presentation must name its
   holder and be signed by the holder's key, and a challenge or domain passed in must be
   the proof's, present and equal. Without one, **nothing** is checked about replay: the
   caller compares the proof's challenge itself. Embedded credentials are the caller's to
   verify, one by one, and so is the holder-subject binding.
4. It resolves the *issuer*'s (or holder's) DID as well as the verification method, and
   fetches ``did:web`` documents and status lists over HTTP with no timeout. Here every
   DID didkit would resolve must be an Ed25519 ``did:key``, checked before didkit is
   called; status is never requested (``checks: ["proof"]``: didkit fetches a status list
   only when ``credentialStatus`` is among the checks); and the worker runs with every
   HTTP proxy variable pointing at ``127.0.0.1:0``, so a request that slipped through
   fails locally in milliseconds, without even a DNS lookup.
5. It reports ``checks: ["proof"]`` on failure too: a result is judged by ``errors``.
6. Its RDF canonicalization can be made to run for minutes by a few linked blank nodes:
   :func:`credentials.limits.check_structure` runs before any LD document is handed over,
   and every call has a timeout after which the worker is killed (LimitExceededError).

Errors (all from :mod:`credentials.errors`)::

    MalformedInputError / LimitExceededError   not a JWT, too big, over a structural limit
    DataModelError                             not a VC 1.1 credential or presentation
    DidError / UnsupportedDidMethodError       a DID didkit would have to resolve online
    ProofError                                 no proof, wrong purpose, challenge mismatch,
    └── InvalidSignatureError                  …didkit's reason; the signature is wrong
"""

from __future__ import annotations

import base64
import json
import re
from collections.abc import Mapping
from typing import Any, Literal

from ._didkit_worker import CALL_TIMEOUT_SECONDS, DidkitWorker, shutdown, worker_or_shared
from .errors import (
    DataModelError,
    InvalidSignatureError,
    MalformedInputError,
    ProofError,
)
from .keys import Ed25519PublicKey, KeyPair
from .limits import check_json_size, check_structure
from .rdfc import check_canonicalization_cost

__all__ = [
    "CALL_TIMEOUT_SECONDS",
    "LD_PROOF_TYPES",
    "VC_V1_CONTEXT",
    "DidkitWorker",
    "ProofPurpose",
    "ProofType",
    "decode_jwt_unverified",
    "issue_jwt",
    "issue_ld",
    "shutdown",
    "verify_jwt",
    "verify_ld",
]

ProofType = Literal["Ed25519Signature2018", "Ed25519Signature2020"]
ProofPurpose = Literal["assertionMethod", "authentication"]
_Kind = Literal["credential", "presentation"]

# VC DM 1.1 §4.1: the same URL as the loader's CONTEXT_VC_V1.
VC_V1_CONTEXT = "https://www.w3.org/2018/credentials/v1"
LD_PROOF_TYPES: frozenset[str] = frozenset({"Ed25519Signature2018", "Ed25519Signature2020"})
_PURPOSE: dict[_Kind, ProofPurpose] = {
    "credential": "assertionMethod",
    "presentation": "authentication",
}
_B64URL = re.compile(r"[A-Za-z0-9_-]*")


# --------------------------------------------------------------------------- shapes


def _kind(document: Mapping[str, Any]) -> _Kind:
    """Credential or presentation, VC 1.1 only (didkit bundles no VC 2.0 context)."""
    if not isinstance(document, Mapping):
        raise MalformedInputError("a JSON-LD credential or presentation is a JSON object")
    context = document.get("@context")
    first = context[0] if isinstance(context, list) and context else context
    if first != VC_V1_CONTEXT:
        raise DataModelError(
            f"didkit 0.3.3 handles VC 1.1 only: the first @context must be {VC_V1_CONTEXT}"
        )
    types = document.get("type")
    names = {types} if isinstance(types, str) else set(types) if isinstance(types, list) else set()
    is_vc = "VerifiableCredential" in names
    is_vp = "VerifiablePresentation" in names
    if is_vc == is_vp:
        raise DataModelError(
            "type must include exactly one of VerifiableCredential, VerifiablePresentation"
        )
    return "credential" if is_vc else "presentation"


def _id_of(value: Any, what: str) -> str:
    if isinstance(value, Mapping):
        value = value.get("id")
    if not isinstance(value, str):
        raise DataModelError(f"{what} must be a DID (a string, or an object with an id)")
    return value


def _signer_did(document: Mapping[str, Any], kind: _Kind) -> str:
    """The DID didkit resolves besides the proof's method: the issuer, or the holder."""
    if kind == "credential":
        return _id_of(document.get("issuer"), "issuer")
    if "holder" not in document:
        # didkit accepts a presentation without a holder signed by any key at all.
        raise ProofError("a presentation must name its holder, who signs it")
    return _id_of(document["holder"], "holder")


def _offline_did(did_or_url: str) -> str:
    """The DID of an Ed25519 did:key URL; DidError/UnsupportedDidMethodError for others.

    didkit would resolve any other method over the network (did:web, did:webkey…).
    """
    Ed25519PublicKey.from_did(did_or_url)
    return did_or_url.partition("#")[0]


def _guard_canonicalization(document: Mapping[str, Any]) -> None:
    """Bound the RDF canonicalization work before didkit sees ``document``."""
    check_json_size(json.dumps(document))
    check_structure(document)
    # The quad-level bound on RDFC's N-degree work; the worker's timeout stops whatever
    # both bounds miss.
    check_canonicalization_cost(document)


def _judge(reply: str, required_check: str) -> None:
    """Raise unless didkit's verification result has no errors (trap 5)."""
    try:
        result = json.loads(reply)
        errors, checks = result["errors"], result["checks"]
    except (ValueError, TypeError, KeyError) as e:
        raise ProofError("didkit returned a result that is not a verification report") from e
    if errors:
        reason = "; ".join(str(error) for error in errors)
        if "signature error" in reason:
            raise InvalidSignatureError(f"didkit: {reason}")
        raise ProofError(f"didkit: {reason}")
    if required_check not in checks:
        raise ProofError(f"didkit did not report the {required_check!r} check as run")


def _check_challenge(
    found_challenge: Any,
    found_domain: Any,
    *,
    challenge: str | None,
    domain: str | None,
) -> None:
    if challenge is not None and found_challenge != challenge:
        if found_challenge is None:
            raise ProofError("the proof carries no challenge, and one is expected")
        raise ProofError("the proof carries a different challenge from the one expected")
    if domain is not None:
        domains = found_domain if isinstance(found_domain, list) else [found_domain]
        if domain not in domains:
            raise ProofError("the proof is not bound to the expected domain")


# --------------------------------------------------------------------------- JSON-LD


def issue_ld(
    document: Mapping[str, Any],
    key: KeyPair,
    *,
    proof_type: ProofType = "Ed25519Signature2018",
    proof_purpose: ProofPurpose | None = None,
    challenge: str | None = None,
    domain: str | None = None,
    worker: DidkitWorker | None = None,
) -> dict[str, Any]:
    """Sign a VC 1.1 credential or presentation with a JSON-LD proof made by ``key``.

    The proof purpose defaults to ``assertionMethod`` for a credential and
    ``authentication`` for a presentation (another purpose yields a document that
    :func:`verify_ld` refuses: useful for negative vectors only). The issuer (holder) must
    be ``key.did``. Returns the signed document as didkit serialized it.

    Raises DataModelError, LimitExceededError, DidError, ProofError.
    """
    kind = _kind(document)
    if "proof" in document:
        raise ProofError("the document already has a proof (proof sets are not supported)")
    if proof_type not in LD_PROOF_TYPES:
        raise ProofError(f"unsupported proof type {proof_type!r}")
    if _signer_did(document, kind) != key.did:
        raise DataModelError(f"the {'issuer' if kind == 'credential' else 'holder'} is not key.did")
    _guard_canonicalization(document)
    options = {"type": proof_type, "proofPurpose": proof_purpose or _PURPOSE[kind]}
    signed = _issue(document, kind, key, options, challenge, domain, worker)
    result: dict[str, Any] = json.loads(signed)
    return result


def verify_ld(
    document: Mapping[str, Any],
    *,
    purpose: str | None = None,
    challenge: str | None = None,
    domain: str | None = None,
    worker: DidkitWorker | None = None,
) -> None:
    """Verify the one JSON-LD proof of a VC 1.1 credential or presentation; return or raise.

    This is the proof check only: validity dates, status, the credentials inside a
    presentation and the holder-subject binding are the caller's, and so is replay when
    no ``challenge`` is given (didkit then accepts any). Steps:

    (1) shape: VC 1.1 context first, a credential or a presentation, one proof object
        of a supported type with the expected purpose (``purpose``, by default
        assertionMethod for a credential and authentication for a presentation);
    (2) every DID didkit would resolve (proof method, issuer or holder) is a did:key and
        the method's DID is the issuer's (holder's): nothing resolves over the network;
    (3) the proof carries the challenge and domain given, if any, exactly;
    (4) canonicalization bounds (:mod:`credentials.limits`);
    (5) didkit verifies the signature, status never requested; judged by its errors.

    Raises DataModelError, LimitExceededError, DidError, UnsupportedDidMethodError,
    ProofError, InvalidSignatureError.
    """
    kind = _kind(document)  # (1)
    proof = document.get("proof")
    if proof is None:
        raise ProofError("the document has no proof")
    if not isinstance(proof, Mapping):
        raise ProofError("exactly one proof object is supported (proof sets are not)")
    if proof.get("type") not in LD_PROOF_TYPES:
        raise ProofError(f"unsupported proof type {proof.get('type')!r} for didkit")
    purpose = purpose or _PURPOSE[kind]
    if purpose not in _PURPOSE.values():
        raise ProofError(f"proof purpose {purpose!r} is not one didkit is used for here")
    if proof.get("proofPurpose") != purpose:
        raise ProofError(f"the proof's purpose is not {purpose!r}")
    method = proof.get("verificationMethod")
    if not isinstance(method, str):
        raise ProofError("the proof's verificationMethod must be a DID URL")
    signer = _offline_did(method)  # (2)
    if _offline_did(_signer_did(document, kind)) != signer:
        role = "issuer" if kind == "credential" else "holder"
        raise ProofError(f"the proof is made by a key of {signer[:60]}, not by the {role}")
    _check_challenge(  # (3)
        proof.get("challenge"),
        proof.get("domain"),
        challenge=challenge,
        domain=domain,
    )
    _guard_canonicalization(document)  # (4)
    options: dict[str, Any] = {"proofPurpose": purpose, "checks": ["proof"]}  # (5)
    for name, value in (("challenge", challenge), ("domain", domain)):
        if value is not None:
            options[name] = value
    op = "verify_credential" if kind == "credential" else "verify_presentation"
    _judge(worker_or_shared(worker).call(op, json.dumps(document), json.dumps(options)), "proof")


# --------------------------------------------------------------------------- JWT


def issue_jwt(
    document: Mapping[str, Any],
    key: KeyPair,
    *,
    challenge: str | None = None,
    domain: str | None = None,
    worker: DidkitWorker | None = None,
) -> str:
    """Sign a VC 1.1 credential or presentation as a JWT (EdDSA), VC-JWT 1.1 encoding.

    For a presentation, ``challenge`` becomes ``nonce`` and ``domain`` becomes ``aud``.
    Raises DataModelError, LimitExceededError, ProofError.
    """
    kind = _kind(document)
    if "proof" in document:
        raise ProofError("a document to sign as a JWT must not carry a proof")
    if _signer_did(document, kind) != key.did:
        raise DataModelError(f"the {'issuer' if kind == 'credential' else 'holder'} is not key.did")
    check_json_size(json.dumps(document))
    check_structure(document)
    options = {"proofFormat": "jwt", "proofPurpose": _PURPOSE[kind]}
    token = _issue(document, kind, key, options, challenge, domain, worker)
    decode_jwt_unverified(token)  # what we hand back must parse
    return token


def _issue(
    document: Mapping[str, Any],
    kind: _Kind,
    key: KeyPair,
    options: dict[str, Any],
    challenge: str | None,
    domain: str | None,
    worker: DidkitWorker | None,
) -> str:
    """didkit's issue call for a credential or presentation; returns what didkit returned."""
    options = {**options, "verificationMethod": key.verification_method}
    if challenge is not None:
        options["challenge"] = challenge
    if domain is not None:
        options["domain"] = domain
    op = "issue_credential" if kind == "credential" else "issue_presentation"
    reply: str = worker_or_shared(worker).call(
        op, json.dumps(document), json.dumps(options), json.dumps(key.to_jwk())
    )
    return reply


def decode_jwt_unverified(token: str) -> tuple[dict[str, Any], dict[str, Any]]:
    """Split a compact JWS into its header and claims, **without** verifying anything.

    Strict: three base64url segments without padding, JSON objects without duplicate
    members or non-finite numbers. Raises MalformedInputError, LimitExceededError.
    """
    if not isinstance(token, str):
        raise MalformedInputError("a JWT is a string")
    check_json_size(token)
    parts = token.split(".")
    if len(parts) != 3:
        raise MalformedInputError("a JWT has three dot-separated parts")
    header = _jwt_json(parts[0], "header")
    claims = _jwt_json(parts[1], "claims")
    if not _B64URL.fullmatch(parts[2]):
        raise MalformedInputError("the JWT signature is not base64url")
    return header, claims


def _jwt_json(segment: str, what: str) -> dict[str, Any]:
    if not segment or not _B64URL.fullmatch(segment) or len(segment) % 4 == 1:
        raise MalformedInputError(f"the JWT {what} is not unpadded base64url")
    try:
        raw = base64.urlsafe_b64decode(segment + "=" * (-len(segment) % 4))
        value = json.loads(raw, object_pairs_hook=_no_duplicates, parse_constant=_no_constant)
    except (ValueError, RecursionError) as e:  # binascii and Unicode errors are ValueErrors
        raise MalformedInputError(f"the JWT {what} is not a JSON object: {e}") from e
    if not isinstance(value, dict):
        raise MalformedInputError(f"the JWT {what} is not a JSON object")
    return value


def _no_duplicates(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    result = dict(pairs)
    if len(result) != len(pairs):
        raise ValueError("duplicate member names")
    return result


def _no_constant(name: str) -> Any:
    raise ValueError(f"{name} is not JSON")


def verify_jwt(
    token: str,
    *,
    challenge: str | None = None,
    domain: str | None = None,
    worker: DidkitWorker | None = None,
) -> dict[str, Any]:
    """Verify a JWT-VC or JWT-VP (EdDSA) and return its claims (with ``vc`` or ``vp``).

    (1) header ``alg`` is EdDSA, no ``crit``; ``kid`` and ``iss`` are did:key and the same
        DID; (2) claims hold exactly one of ``vc``/``vp`` whose issuer/holder, ``id`` and
        single subject id agree with ``iss``, ``jti`` and ``sub`` (VC-JWT 1.1 §6.3.1: the
        JWT claims replace them, so a disagreement is refused rather than resolved);
        (3) ``nonce``/``aud`` carry the challenge/domain given, if any (without one,
        replay is the caller's to check: the claims are returned); (4) didkit
        verifies the signature (it also refuses an expired or not-yet-valid token, with
        the reason ``No applicable JWS or proof``).

    Raises MalformedInputError, LimitExceededError, DataModelError, DidError,
    UnsupportedDidMethodError, ProofError, InvalidSignatureError.
    """
    header, claims = decode_jwt_unverified(token)
    if header.get("alg") != "EdDSA":  # (1)
        raise ProofError(f"JWT alg {header.get('alg')!r} is not EdDSA")
    if "crit" in header:
        raise ProofError("JWT header has critical extensions we do not implement")
    kid, iss = header.get("kid"), claims.get("iss")
    if not isinstance(kid, str) or not isinstance(iss, str):
        raise ProofError("a JWT-VC needs a kid header and an iss claim (both did:key)")
    if _offline_did(kid) != _offline_did(iss):
        raise ProofError("the JWT is signed by a key that is not the issuer's (kid ≠ iss)")
    if ("vc" in claims) == ("vp" in claims):  # (2)
        raise DataModelError("a JWT-VC holds exactly one of the claims vc, vp")
    kind: _Kind = "credential" if "vc" in claims else "presentation"
    body = claims["vc"] if kind == "credential" else claims["vp"]
    if not isinstance(body, Mapping):
        raise DataModelError(f"the {'vc' if kind == 'credential' else 'vp'} claim is not an object")
    role = "issuer" if kind == "credential" else "holder"
    if role in body and _id_of(body[role], role) != iss:
        raise ProofError(f"the {role} inside the JWT is not its iss claim")
    _same_if_both(body.get("id"), claims.get("jti"), "id", "jti")
    subject = body.get("credentialSubject")
    if isinstance(subject, Mapping):
        _same_if_both(subject.get("id"), claims.get("sub"), "credentialSubject.id", "sub")
    _check_challenge(  # (3)
        claims.get("nonce"),
        claims.get("aud"),
        challenge=challenge,
        domain=domain,
    )
    check_structure(body)
    options: dict[str, Any] = {
        "proofFormat": "jwt",
        "proofPurpose": _PURPOSE[kind],
        "checks": ["proof"],
    }
    # didkit refuses a JWT-VP with a nonce/aud unless told the same values: when the
    # caller asked for none, give it the token's own (the caller checks replay).
    found = {"challenge": claims.get("nonce"), "domain": claims.get("aud")}
    for name, value in (("challenge", challenge), ("domain", domain)):
        chosen = value if value is not None else found[name]
        if isinstance(chosen, str):
            options[name] = chosen
    op = "verify_credential" if kind == "credential" else "verify_presentation"
    _judge(worker_or_shared(worker).call(op, token, json.dumps(options)), "JWS")  # (4)
    return claims


def _same_if_both(inner: Any, claim: Any, inner_name: str, claim_name: str) -> None:
    if inner is not None and claim is not None and inner != claim:
        raise ProofError(f"the JWT's {claim_name} claim disagrees with {inner_name}")
