"""Errors raised by the wallet layer.

WalletError
├── HomeError          the home folder is unusable (permissions, corrupt files)
└── IdentityError      an identity name or DID that the home does not hold
"""

from __future__ import annotations

__all__ = ["HomeError", "IdentityError", "WalletError"]


class WalletError(Exception):
    """Base of every error raised by ``wallet``."""


class HomeError(WalletError):
    """The home folder or one of its files cannot be used."""


class IdentityError(WalletError):
    """No identity of that name or DID in this home, or a name already taken."""
