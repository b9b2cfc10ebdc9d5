"""Musette's credentials layer: identities, credential models, proofs, verification and
offline transport. It imports nothing else of Musette's.

What callers use::

    KeyPair, Ed25519PublicKey            did:key identities          (keys)
    SkillAttestation, CommunityBadge,    Open Badges 3.0 models      (models)
    Endorsement, SkillClaim
    issue, present                       sign in every format        (issuance)
    parse_input, Verifier, Report        verify offline              (inputs, verifier, report)
    CredentialCheck                      the interface for status and trust checks
    encode_payload, decode_payload       MUS1: QR payloads           (transport)
    CredentialError and its subclasses   (errors)
"""

from .errors import CredentialError, InputError
from .inputs import ParsedInput, parse_input
from .issuance import FORMATS, issue, present
from .keys import Ed25519PublicKey, KeyPair
from .models import CommunityBadge, Endorsement, SkillAttestation, SkillClaim, normalize_skill
from .report import Check, CheckStatus, Report
from .resolver import OfflineResolver
from .transport import decode_payload, encode_payload
from .verifier import CredentialCheck, Verifier

__all__ = [
    "FORMATS",
    "Check",
    "CheckStatus",
    "CommunityBadge",
    "CredentialCheck",
    "CredentialError",
    "Ed25519PublicKey",
    "Endorsement",
    "InputError",
    "KeyPair",
    "OfflineResolver",
    "ParsedInput",
    "Report",
    "SkillAttestation",
    "SkillClaim",
    "Verifier",
    "decode_payload",
    "encode_payload",
    "issue",
    "normalize_skill",
    "parse_input",
    "present",
]
