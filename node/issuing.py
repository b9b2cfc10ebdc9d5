"""Issuing from a home: a status entry at a random index of the issuer's list, the
signature, and the edge statement handed to the subject with the credential.

``sd-jwt`` issues a skill attestation as an SD-JWT VC (``specs/sd-jwt.md`` §5): every
content claim disclosable, bound to the subject's did:key, its ``status`` claim naming
the same revocation list and random index a JSON-LD credential's entry would.
"""

from __future__ import annotations

import time
from datetime import datetime
from pathlib import Path
from typing import Any, Final, Literal

from credentials.errors import DataModelError
from credentials.issuance import FORMATS, Format, data_model_for, issue
from credentials.keys import KeyPair
from credentials.models import SkillAttestation, SkillClaim
from credentials.sd_jwt import issue_sd_jwt, skill_attestation_claims
from credentials.sd_jwt_view import issuer_signed_jwt, status_claim
from ledger.entries import EdgeStatement
from ledger.errors import StoreError
from ledger.statuslist import (
    MIN_ENTRIES,
    attach_status,
    list_credential_id,
    list_id,
    status_entries,
)

from .home import Home

__all__ = ["ISSUE_FORMATS", "IssueFormat", "issue_from_home"]

IssueFormat = Format | Literal["sd-jwt"]
ISSUE_FORMATS: Final[tuple[IssueFormat, ...]] = (*FORMATS, "sd-jwt")

# didkit bundles no status-list context, so its JSON-LD format cannot carry the entry.
_NO_STATUS_FORMATS = ("ld2018",)
_MAX_LISTS = 1000
# What a holder may keep to itself: everything that describes the skill (specs/sd-jwt.md §2).
_DISCLOSABLE: Final = ("skill", "level", "description", "evidence", "relationship", "alignment")


def _allocate(place: Home, issuer: str, credential_id: str) -> tuple[str, int]:
    """(list id, index): a fresh random index on the first of the issuer's lists with room."""
    with place.ledger() as store:
        public_node = place.config().get("public_node")
        for number in range(_MAX_LISTS):
            lid = list_id(issuer, number, base_url=public_node)
            if store.allocations(lid) < MIN_ENTRIES:
                break
        else:
            raise StoreError("every status list of this issuer is full")
        return lid, store.allocate_index(lid, MIN_ENTRIES, credential_id)


def issue_from_home(
    place: Home,
    model: Any,
    *,
    as_: str | None,
    fmt: IssueFormat,
    with_status: bool = True,
    edge_out: Path | None = None,
) -> dict[str, Any] | str:
    """Build ``model`` (a credentials.models class taking ``issuer``) as ``place``'s
    identity ``as_``, give it a status entry, sign it, and write its edge statement."""
    key = place.identities.key(as_)
    if fmt == "sd-jwt":
        return _issue_sd_jwt(place, model(key.did), key, with_status, edge_out)
    document = model(key.did).to_jsonld(model=data_model_for(fmt))
    if with_status and fmt not in _NO_STATUS_FORMATS:
        lid, index = _allocate(place, key.did, str(document["id"]))
        entries = status_entries(lid, index)
        if data_model_for(fmt) == "1.1":
            entries = entries[:1]  # VC 1.1 describes one status: revocation
        document = attach_status(document, entries)
    signed = issue(document, key, fmt=fmt)
    if edge_out is not None:
        edge = EdgeStatement.create(
            signed, SkillClaim.from_credential(document), key, time=int(time.time())
        )
        edge_out.write_bytes(edge.signed)
    return signed


def _issue_sd_jwt(
    place: Home, attestation: Any, key: KeyPair, with_status: bool, edge_out: Path | None
) -> str:
    if not isinstance(attestation, SkillAttestation):
        raise DataModelError("only skill attestations are issued as SD-JWT VCs (--format sd-jwt)")
    claims = skill_attestation_claims(attestation)
    status = None
    if with_status:
        lid, index = _allocate(place, key.did, attestation.credential_id)
        status = status_claim(list_credential_id(lid, "revocation"), index)
    valid_until: datetime | None = attestation.valid_until
    token = issue_sd_jwt(
        claims,
        key,
        disclosable=[name for name in _DISCLOSABLE if name in claims],
        holder_did=attestation.subject,
        iat=attestation.valid_from,
        exp=valid_until,
        status=status,
    )
    if edge_out is not None:
        # The edge names the issuer-signed JWT: the one digest every presentation shares.
        claim = SkillClaim(
            kind="skill",
            issuer=key.did,
            subject=attestation.subject,
            name=str(claims["skill"]),
            level=attestation.level,
            alignment=tuple(attestation.alignment),
        )
        edge = EdgeStatement.create(issuer_signed_jwt(token), claim, key, time=int(time.time()))
        edge_out.write_bytes(edge.signed)
    return token
