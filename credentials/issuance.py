"""Signing credentials and presentations in every format we issue.

=========  ======================================  ================
format     proof                                   data model
=========  ======================================  ================
``rdfc``   Data Integrity ``eddsa-rdfc-2022``      VC 2.0 (default)
``jcs``    Data Integrity ``eddsa-jcs-2022``       VC 2.0
``ed2020`` ``Ed25519Signature2020`` (pyld path)    VC 2.0
``ld2018`` ``Ed25519Signature2018`` (didkit)       VC 1.1
``jwt``    VC-JWT, EdDSA (didkit)                  VC 1.1
=========  ======================================  ================

Every document is validated against its data model and checked against the structural
limits before it is signed: we never sign what we would refuse to verify.
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import Any, Final, Literal

from . import _didkit, dataintegrity, datamodel, limits
from .errors import DataModelError
from .keys import KeyPair
from .loader import CONTEXT_VC_V1, CONTEXT_VC_V2

__all__ = ["FORMATS", "Format", "data_model_for", "issue", "present"]

Format = Literal["rdfc", "jcs", "ed2020", "ld2018", "jwt"]
FORMATS: Final[tuple[Format, ...]] = ("rdfc", "jcs", "ed2020", "ld2018", "jwt")
_SUITE: Final = {
    "rdfc": dataintegrity.EDDSA_RDFC_2022,
    "jcs": dataintegrity.EDDSA_JCS_2022,
    "ed2020": dataintegrity.ED25519_SIGNATURE_2020,
}


def data_model_for(fmt: Format) -> Literal["2.0", "1.1"]:
    """The VC data model a format signs: didkit's formats know only VC 1.1."""
    return "1.1" if fmt in ("ld2018", "jwt") else "2.0"


def issue(
    credential: Mapping[str, Any],
    key: KeyPair,
    *,
    fmt: Format = "rdfc",
    created: datetime | None = None,
) -> dict[str, Any] | str:
    """Sign ``credential`` as its issuer ``key``; a dict for JSON-LD, a str for a JWT."""
    datamodel.validate_credential(credential)
    limits.check_structure(credential)
    issuer = credential.get("issuer")
    issuer_id = issuer.get("id") if isinstance(issuer, Mapping) else issuer
    if issuer_id != key.did:
        raise DataModelError(f"credential issuer {issuer_id!r} is not the signing key {key.did}")
    if fmt in _SUITE:
        return dataintegrity.sign(credential, key, suite=_SUITE[fmt], created=created)
    if fmt == "ld2018":
        return _didkit.issue_ld(dict(credential), key)
    if fmt == "jwt":
        return _didkit.issue_jwt(dict(credential), key)
    raise DataModelError(f"unknown format {fmt!r}; choose one of {', '.join(FORMATS)}")


def present(
    credentials: Sequence[Mapping[str, Any] | str],
    holder: KeyPair,
    *,
    challenge: str,
    domain: str,
    fmt: Format = "rdfc",
    created: datetime | None = None,
) -> dict[str, Any] | str:
    """A presentation of ``credentials`` signed by ``holder`` for a challenge and domain.

    The presentation's data model follows the format (VC 2.0 for our suites, VC 1.1 for
    didkit's); the credentials inside keep their own.
    """
    context = CONTEXT_VC_V1 if data_model_for(fmt) == "1.1" else CONTEXT_VC_V2
    if context == CONTEXT_VC_V2 and any(isinstance(c, str) for c in credentials):
        # VC DM 2.0 §4.13 admits only objects; a VC-JWT (VC 1.1) travels in a 1.1 VP.
        raise DataModelError(
            "a VC 2.0 presentation cannot carry a VC-JWT; present it with --format jwt or ld2018"
        )
    presentation: dict[str, Any] = {
        "@context": [context],
        "id": f"urn:uuid:{uuid.uuid4()}",
        "type": ["VerifiablePresentation"],
        "holder": holder.did,
        "verifiableCredential": list(credentials),
    }
    datamodel.validate_presentation(presentation)
    limits.check_structure(presentation)
    if fmt in _SUITE:
        return dataintegrity.sign(
            presentation,
            holder,
            suite=_SUITE[fmt],
            purpose="authentication",
            created=created,
            challenge=challenge,
            domain=domain,
        )
    if fmt == "ld2018":
        return _didkit.issue_ld(
            presentation, holder, proof_purpose="authentication", challenge=challenge, domain=domain
        )
    if fmt == "jwt":
        return _didkit.issue_jwt(presentation, holder, challenge=challenge, domain=domain)
    raise DataModelError(f"unknown format {fmt!r}; choose one of {', '.join(FORMATS)}")
