"""Compact JWS with EdDSA (RFC 7515, RFC 8037): signature verification only.

didkit verifies VC-JWTs, but refuses a token outside its ``nbf``/``exp`` window with the
generic reason "No applicable JWS or proof", by the system clock. A report must say
"expired", by the verifier's clock, and still say whether the signature was genuine; so
for tokens outside their window the verifier checks the signature here, with PyNaCl.
"""

from __future__ import annotations

import base64
import binascii
from typing import Any

from .errors import MalformedInputError, ProofError
from .resolver import ResolvedKey, Resolver

__all__ = ["verify_eddsa_jws"]


def _b64url(segment: str) -> bytes:
    try:
        return base64.urlsafe_b64decode(segment + "=" * (-len(segment) % 4))
    except (binascii.Error, ValueError) as e:
        raise MalformedInputError("JWS segment is not base64url") from e


def verify_eddsa_jws(
    token: str, header: dict[str, Any], resolver: Resolver, *, purpose: str
) -> ResolvedKey:
    """Verify ``token``'s EdDSA signature with the key its ``kid`` resolves to offline.

    ``header`` is the token's decoded protected header. Raises ProofError (and
    InvalidSignatureError) or DidError; returns the key that signed.
    """
    if header.get("alg") != "EdDSA":
        raise ProofError(f"JWS alg is {header.get('alg')!r}; only EdDSA is accepted")
    kid = header.get("kid")
    if not isinstance(kid, str):
        raise ProofError("JWS header has no kid naming the signing key")
    signing_input, _, signature = token.rpartition(".")
    method = resolver.resolve(kid, purpose=purpose)
    method.key.verify(signing_input.encode("ascii"), _b64url(signature))
    return method
