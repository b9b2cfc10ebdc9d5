"""Errors raised by the ledger layer.

LedgerError
├── EncodingError         bytes that are not a well-formed entry, checkpoint or bundle
│                         (bad CBOR, not deterministic, wrong version, missing fields)
├── SignatureError        a COSE_Sign1 signature that does not verify
├── ProofError            a Merkle inclusion or consistency proof that does not verify
├── AdmissionError        a well-signed entry the feed must not take
│   ├── SequenceError         out of sequence, or not chained to the previous entry
│   └── ForbiddenError        not allowed for this author (revoking another's credential…)
├── ForkError             the author signed two histories that contradict each other
├── StatusListError       a status list credential that cannot be used
└── StoreError            the database is unusable (corrupt, wrong schema version)
"""

from __future__ import annotations

__all__ = [
    "AdmissionError",
    "EncodingError",
    "ForbiddenError",
    "ForkError",
    "LedgerError",
    "ProofError",
    "SequenceError",
    "SignatureError",
    "StatusListError",
    "StoreError",
]


class LedgerError(Exception):
    """Base of every error raised by ``ledger``."""


class EncodingError(LedgerError):
    """Bytes that are not a well-formed ledger object."""


class SignatureError(LedgerError):
    """A signature that does not verify."""


class ProofError(LedgerError):
    """A Merkle proof that does not verify."""


class AdmissionError(LedgerError):
    """A signed entry that the feed's admission rules refuse."""


class SequenceError(AdmissionError):
    """An entry out of sequence or not chained to its predecessor."""


class ForbiddenError(AdmissionError):
    """An entry its author is not allowed to write."""


class ForkError(LedgerError):
    """Two signed statements of one author that contradict each other."""


class StatusListError(LedgerError):
    """A status list credential that is malformed, unsigned or not the issuer's."""


class StoreError(LedgerError):
    """The database cannot be used as it is."""
