"""The keystore: a home's secret keys, encrypted at rest under the wallet passphrase.

``keystore.json`` (versioned) holds the KDF parameters and one sealed box::

    {"version": 1, "kdf": {"alg": "argon2id13", "profile": "moderate", "opslimit": 3,
     "memlimit": 268435456, "salt": <b64>}, "sealed": <b64 XSalsa20-Poly1305 box>}

The box key is derived from the passphrase by Argon2id (libsodium ``crypto_pwhash``,
PyNaCl's *moderate* limits: ~0.5 s and 256 MiB per unlock here) and the box, a PyNaCl
``SecretBox`` (XSalsa20-Poly1305, random nonce), holds the JSON map name → seed. A wrong
passphrase fails the box's authentication: :class:`WrongPassphraseError`, and nothing is
decrypted. Public facts (names, DIDs, the default) stay in ``identities.json`` so that
read-only commands never ask for a passphrase.

``MUSETTE_KDF=insecure-test`` selects libsodium's minimum limits, for tests only; it is
recorded in the file (``"profile": "insecure-test"``) and warns every time it is used.
No secret ever appears in an error message or a log line.
"""

from __future__ import annotations

import base64
import binascii
import json
import os
import warnings
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Final

import nacl.exceptions
import nacl.pwhash.argon2id as argon2id
import nacl.secret
import nacl.utils

from .errors import HomeError, WalletError

__all__ = [
    "KEYSTORE_VERSION",
    "KdfProfile",
    "Keystore",
    "WrongPassphraseError",
    "derive_key",
    "kdf_profile_from_env",
]

KEYSTORE_VERSION: Final = 1
INSECURE_PROFILE: Final = "insecure-test"


class WrongPassphraseError(WalletError):
    """The passphrase does not open the keystore."""


class InsecureKdfWarning(UserWarning):
    """The keystore uses the test-only KDF profile."""


@dataclass(frozen=True, slots=True)
class KdfProfile:
    name: str
    opslimit: int
    memlimit: int


PROFILES: Final = {
    "moderate": KdfProfile("moderate", argon2id.OPSLIMIT_MODERATE, argon2id.MEMLIMIT_MODERATE),
    INSECURE_PROFILE: KdfProfile(INSECURE_PROFILE, argon2id.OPSLIMIT_MIN, argon2id.MEMLIMIT_MIN),
}


def kdf_profile_from_env() -> KdfProfile:
    """``moderate``, or the profile named by ``MUSETTE_KDF`` (refusing unknown names)."""
    name = os.environ.get("MUSETTE_KDF", "moderate")
    if name not in PROFILES:
        raise HomeError(f"MUSETTE_KDF={name!r} is not a KDF profile ({', '.join(PROFILES)})")
    return PROFILES[name]


def _warn_if_insecure(profile: KdfProfile) -> None:
    if profile.name == INSECURE_PROFILE:
        warnings.warn(
            "the keystore uses the insecure-test KDF profile: its keys are NOT protected; "
            "use it for tests only",
            InsecureKdfWarning,
            stacklevel=3,
        )


def derive_key(passphrase: str, salt: bytes, profile: KdfProfile) -> bytes:
    """The 32-byte SecretBox key for ``passphrase`` (Argon2id, ``profile``'s limits)."""
    return bytes(
        argon2id.kdf(
            nacl.secret.SecretBox.KEY_SIZE,
            passphrase.encode("utf-8"),
            salt,
            opslimit=profile.opslimit,
            memlimit=profile.memlimit,
        )
    )


def _b64(data: bytes) -> str:
    return base64.b64encode(data).decode("ascii")


def _unb64(text: Any, what: str) -> bytes:
    if not isinstance(text, str):
        raise HomeError(f"keystore is corrupted: {what} is missing")
    try:
        return base64.b64decode(text, validate=True)
    except (binascii.Error, ValueError) as e:
        raise HomeError(f"keystore is corrupted: {what} is not base64") from e


class Keystore:
    """Seeds by identity name, sealed in ``<home>/keystore.json``. Unlocked once per
    instance: the derived box key is kept in memory, never written."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._box: nacl.secret.SecretBox | None = None
        self._seeds: dict[str, bytes] | None = None
        self._kdf: dict[str, Any] = {}

    def exists(self) -> bool:
        return self.path.exists()

    def _read(self) -> dict[str, Any]:
        try:
            data: Any = json.loads(self.path.read_text("utf-8"))
        except (OSError, ValueError) as e:
            raise HomeError(f"keystore {self.path} is unreadable or corrupted: {e}") from e
        if not isinstance(data, dict) or data.get("version") != KEYSTORE_VERSION:
            raise HomeError(
                f"keystore {self.path} has an unknown version; "
                f"this musette reads {KEYSTORE_VERSION}"
            )
        return data

    def create(self, passphrase: str, profile: KdfProfile | None = None) -> None:
        """A new, empty keystore sealed under ``passphrase``."""
        if self.exists():
            raise HomeError(f"a keystore already exists at {self.path}")
        if not passphrase:
            raise WalletError("the passphrase must not be empty")
        chosen = profile or kdf_profile_from_env()
        _warn_if_insecure(chosen)
        salt = nacl.utils.random(argon2id.SALTBYTES)
        self._box = nacl.secret.SecretBox(derive_key(passphrase, salt, chosen))
        self._seeds = {}
        self._kdf = {
            "alg": "argon2id13",
            "profile": chosen.name,
            "opslimit": chosen.opslimit,
            "memlimit": chosen.memlimit,
            "salt": _b64(salt),
        }
        self._save()

    def unlock(self, passphrase: str) -> None:
        """Open the keystore; WrongPassphraseError if ``passphrase`` does not."""
        if self._seeds is not None:
            return
        data = self._read()
        kdf = data.get("kdf")
        if not isinstance(kdf, Mapping) or kdf.get("alg") != "argon2id13":
            raise HomeError(f"keystore {self.path} is corrupted: unknown KDF")
        try:
            profile = KdfProfile(str(kdf["profile"]), int(kdf["opslimit"]), int(kdf["memlimit"]))
        except (KeyError, TypeError, ValueError) as e:
            raise HomeError(f"keystore {self.path} is corrupted: bad KDF parameters") from e
        _warn_if_insecure(profile)
        salt = _unb64(kdf.get("salt"), "the salt")
        box = nacl.secret.SecretBox(derive_key(passphrase, salt, profile))
        try:
            plain = box.decrypt(_unb64(data.get("sealed"), "the sealed box"))
        except nacl.exceptions.CryptoError as e:
            raise WrongPassphraseError("wrong passphrase: the keystore stays locked") from e
        try:
            seeds = {name: base64.b64decode(seed) for name, seed in json.loads(plain).items()}
        except (ValueError, AttributeError, binascii.Error) as e:
            raise HomeError(f"keystore {self.path} is corrupted inside its box") from e
        self._box, self._seeds, self._kdf = box, seeds, dict(kdf)

    def _save(self) -> None:
        assert self._box is not None
        assert self._seeds is not None
        plain = json.dumps({n: _b64(s) for n, s in self._seeds.items()}).encode("utf-8")
        sealed = self._box.encrypt(plain)
        document = {"version": KEYSTORE_VERSION, "kdf": self._kdf, "sealed": _b64(bytes(sealed))}
        from .identities import write_atomic  # the one atomic writer of the wallet

        write_atomic(self.path, json.dumps(document, indent=2).encode("utf-8"))

    def _require_unlocked(self) -> dict[str, bytes]:
        if self._seeds is None:
            raise WalletError("the keystore is locked")
        return self._seeds

    def put(self, name: str, seed: bytes) -> None:
        seeds = self._require_unlocked()
        seeds[name] = seed
        self._save()

    def get(self, name: str) -> bytes:
        seeds = self._require_unlocked()
        if name not in seeds:
            raise HomeError(f"the keystore holds no key for {name!r}")
        return seeds[name]

    def names(self) -> list[str]:
        return sorted(self._require_unlocked())
