"""Errors raised by the wallet layer.

WalletError
├── HomeError          the home folder is unusable (permissions, corrupt files)
│   └── CredentialStoreError    wallet.db cannot be used (corrupt, newer schema)
├── IdentityError      an identity name or DID that the home does not hold
├── ImportRefusedError          a credential the store will not take (nothing stored)
│   ├── UnreadableCredentialError   not a credential we can read (JSON-LD, JWT, MUS1:)
│   ├── UnverifiedCredentialError   its verification report is not verified
│   ├── ForeignSubjectError         its subject is none of the holder's personas
│   ├── EdgeMismatchError           the edge statement given with it does not match it
│   └── DuplicateCredentialError    the store already holds it (same digest)
├── NotFoundError               no stored credential has that id or prefix
│   └── AmbiguousIdError        more than one stored credential has that prefix
└── StateError                  a state change the consent rules do not allow
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from credentials.report import Report

__all__ = [
    "AmbiguousIdError",
    "CredentialStoreError",
    "DuplicateCredentialError",
    "EdgeMismatchError",
    "ForeignSubjectError",
    "HomeError",
    "IdentityError",
    "ImportRefusedError",
    "NotFoundError",
    "StateError",
    "UnreadableCredentialError",
    "UnverifiedCredentialError",
    "WalletError",
]


class WalletError(Exception):
    """Base of every error raised by ``wallet``."""


class HomeError(WalletError):
    """The home folder or one of its files cannot be used."""


class IdentityError(WalletError):
    """No identity of that name or DID in this home, or a name already taken."""


class CredentialStoreError(HomeError):
    """The credential store file cannot be used: not a database, corrupt, or written by a
    newer Musette (a schema this one does not know)."""


class ImportRefusedError(WalletError):
    """A credential the store refuses to import; nothing was stored."""


class UnreadableCredentialError(ImportRefusedError):
    """The input is not a single credential we read (JSON-LD, JWT or a MUS1: payload)."""


class UnverifiedCredentialError(ImportRefusedError):
    """The credential did not verify; ``report`` holds every check and its outcome."""

    def __init__(self, message: str, report: Report) -> None:
        super().__init__(message)
        self.report = report


class ForeignSubjectError(ImportRefusedError):
    """The credential's subject is none of the holder's personas."""


class EdgeMismatchError(ImportRefusedError):
    """The edge statement is invalid or is not the edge of this credential."""


class DuplicateCredentialError(ImportRefusedError):
    """The store already holds this credential (same credential digest)."""


class NotFoundError(WalletError):
    """No stored credential has that id (or id prefix)."""


class AmbiguousIdError(NotFoundError):
    """More than one stored credential has that id prefix: give more characters."""


class StateError(WalletError):
    """A state change that the consent rules do not allow (e.g. pending → withdrawn)."""
