"""SD-JWT VCs seen by the rest of Musette: the status claim, the credential-like view
that status checks read, the skill claim, and the digest that names the credential.

Pure functions of text and claims (``specs/sd-jwt.md`` §5). Nothing here verifies: the
``*_unverified`` readers are for code that verified first (the verifier, the wallet) or
that only needs to know what a token says about itself (``musette revoke`` as its issuer).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Final

from .errors import MalformedInputError
from .models import SkillClaim
from .sd_jwt import VCT_SKILL_ATTESTATION, _parse_sd_jwt

__all__ = [
    "credential_view",
    "issuer_signed_jwt",
    "payload_unverified",
    "skill_claim",
    "status_claim",
]

# IETF Token Status List §6.1 (draft-ietf-oauth-status-list): the referenced token's
# ``status`` claim is {"status_list": {"idx": <int>, "uri": <list>}}.
_STATUS_LIST: Final = "status_list"


def status_claim(list_credential: str, index: int) -> dict[str, Any]:
    """The ``status`` claim of an SD-JWT VC at ``index`` of the revocation list credential
    ``list_credential`` (the same list and index a JSON-LD credential's entry names)."""
    return {_STATUS_LIST: {"idx": index, "uri": list_credential}}


def issuer_signed_jwt(sd_jwt: str) -> str:
    """The issuer-signed JWT of an SD-JWT or SD-JWT+KB: what its digest covers, the same for
    the issued token and for every presentation of it. Raises MalformedInputError."""
    return _parse_sd_jwt(sd_jwt).issuer_jwt.token


def payload_unverified(sd_jwt: str) -> dict[str, Any]:
    """The issuer-signed payload as it reads, nothing checked (disclosures not folded in).
    Raises MalformedInputError for text that is not an SD-JWT."""
    return dict(_parse_sd_jwt(sd_jwt).issuer_jwt.payload)


def credential_view(claims: Mapping[str, Any]) -> dict[str, Any]:
    """A VC-shaped mapping of SD-JWT claims for checks written for VCs (status, trust):
    ``issuer`` from ``iss``, ``credentialSubject.id`` from ``sub``, and the ``status``
    claim as one ``BitstringStatusListEntry`` of purpose ``revocation``.

    A ``status`` claim of another shape is carried over as an entry without list or
    index, so that the status check fails on it rather than ignoring it.
    """
    view: dict[str, Any] = {"type": ["VerifiableCredential"], "issuer": claims.get("iss")}
    if isinstance(claims.get("sub"), str):
        view["credentialSubject"] = {"id": claims["sub"]}
    status = claims.get("status")
    if status is not None:
        reference = status.get(_STATUS_LIST) if isinstance(status, Mapping) else None
        entry: dict[str, Any] = {"type": "BitstringStatusListEntry", "statusPurpose": "revocation"}
        if isinstance(reference, Mapping):
            idx, uri = reference.get("idx"), reference.get("uri")
            if isinstance(idx, int) and not isinstance(idx, bool):
                entry["statusListIndex"] = str(idx)
            if isinstance(uri, str):
                entry["statusListCredential"] = uri
        view["credentialStatus"] = [entry]
    return view


def skill_claim(claims: Mapping[str, Any]) -> SkillClaim:
    """The skill claim of an SD-JWT skill attestation (its ``skill`` and ``level`` must be
    among ``claims``). Raises MalformedInputError for another ``vct`` or missing claims."""
    if claims.get("vct") != VCT_SKILL_ATTESTATION:
        raise MalformedInputError(f"SD-JWT vct {claims.get('vct')!r} is not a skill attestation")
    skill, level = claims.get("skill"), claims.get("level")
    if not isinstance(skill, str) or isinstance(level, bool) or not isinstance(level, int):
        raise MalformedInputError("the SD-JWT does not disclose its skill and level")
    alignment = claims.get("alignment", [])
    return SkillClaim(
        kind="skill",
        issuer=str(claims.get("iss", "")),
        subject=claims.get("sub") if isinstance(claims.get("sub"), str) else None,
        name=skill,
        level=level,
        alignment=tuple(str(a) for a in alignment) if isinstance(alignment, list) else (),
    )
