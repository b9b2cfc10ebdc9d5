"""Errors raised by the credentials layer.

Every error here derives from :class:`CredentialError`; callers at the edges (CLI, HTTP)
catch that base and turn it into an exit status or a problem document. Each carries a
one-line reason a user can act on.

    CredentialError
    ├── InputError              input that is not a document we recognise, or over a limit
    │   ├── MalformedInputError     not JSON / not CBOR / not a JWT, wrong shape
    │   ├── LimitExceededError      over a size, depth or blank-node limit
    │   └── TransportError          a MUS1: payload that cannot be decoded
    ├── DataModelError          a VC 2.0 / 1.1 data-model rule is broken
    ├── ContextError            a JSON-LD context URL that is not bundled
    ├── DidError                a DID that cannot be parsed or resolved offline
    │   └── UnsupportedDidMethodError
    ├── ProofError              a proof that is missing, malformed or of an unknown suite
    │   └── InvalidSignatureError   the signature does not verify
    └── KeyFormatError          a key that is not a valid Ed25519 key in that encoding
"""

from __future__ import annotations

__all__ = [
    "ContextError",
    "CredentialError",
    "DataModelError",
    "DidError",
    "InputError",
    "InvalidSignatureError",
    "KeyFormatError",
    "LimitExceededError",
    "MalformedInputError",
    "ProofError",
    "TransportError",
    "UnsupportedDidMethodError",
]


class CredentialError(Exception):
    """Base of every error raised by ``credentials``."""


class InputError(CredentialError):
    """Input that is none of the documents we recognise, or is over a limit."""


class MalformedInputError(InputError):
    """Input that cannot be parsed as the format it claims to be."""


class LimitExceededError(InputError):
    """Input over a documented size, depth or complexity limit."""


class TransportError(InputError):
    """A ``MUS1:`` payload that cannot be decoded."""


class DataModelError(CredentialError):
    """A document that breaks a rule of the Verifiable Credentials data model."""


class ContextError(CredentialError):
    """A JSON-LD context URL that is not among the bundled documents."""


class DidError(CredentialError):
    """A DID or DID URL that cannot be parsed or resolved offline."""


class UnsupportedDidMethodError(DidError):
    """A DID whose method this verifier cannot resolve offline."""


class ProofError(CredentialError):
    """A proof that is absent, malformed, or of a suite we do not know."""


class InvalidSignatureError(ProofError):
    """A signature that does not verify against the key it names."""


class KeyFormatError(CredentialError):
    """Bytes or text that are not a valid Ed25519 key in the stated encoding."""
