"""A home's identities (personas): named did:key key pairs.

``identities.json`` (schema version 2) lists the identities and the default, all public;
the secret seeds live in the encrypted :mod:`wallet.keystore`. Every write goes through a
temporary file and ``os.replace``, so a crash leaves the old or the new state.

Migration: a home written by Musette 0.1 before the keystore (schema version 1) kept each
seed in plaintext in ``keys/<name>.key``. The first command that needs a key seals those
seeds into a new keystore under the passphrase, writes schema 2, then overwrites and
deletes the plaintext files. Read-only commands read both versions and never ask for a
passphrase.
"""

from __future__ import annotations

import json
import os
import re
import tempfile
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from credentials.errors import KeyFormatError
from credentials.keys import KeyPair, b58decode

from .errors import HomeError, IdentityError
from .keystore import Keystore

__all__ = ["SCHEMA_VERSION", "Identity", "IdentityStore", "PassphraseSource", "write_atomic"]

SCHEMA_VERSION = 2
_LEGACY_VERSION = 1
_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$")

PassphraseSource = Callable[[], str]


@dataclass(frozen=True, slots=True)
class Identity:
    name: str
    did: str


def write_atomic(path: Path, data: bytes, mode: int = 0o600) -> None:
    """Write ``data`` to ``path`` through a synced temporary file and ``os.replace``."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.")
    try:
        os.fchmod(fd, mode)
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def _no_passphrase() -> str:
    raise HomeError("this command needs the wallet passphrase, and none was given")


class IdentityStore:
    """The identities of one home folder.

    ``passphrase`` is asked (at most once) only by operations that need a secret key.
    """

    def __init__(self, home: Path, passphrase: PassphraseSource = _no_passphrase) -> None:
        self.home = home
        self._index = home / "identities.json"
        self._passphrase = passphrase
        self.keystore = Keystore(home / "keystore.json")

    # -- the public index -------------------------------------------------------------

    def _read(self) -> dict[str, Any]:
        if not self._index.exists():
            return {"version": SCHEMA_VERSION, "default": None, "identities": []}
        try:
            data: dict[str, Any] = json.loads(self._index.read_text("utf-8"))
        except (OSError, ValueError) as e:
            raise HomeError(f"cannot read {self._index}: {e}") from e
        version = data.get("version")
        if version not in (SCHEMA_VERSION, _LEGACY_VERSION):
            raise HomeError(
                f"{self._index} has schema version {version!r}; this musette reads "
                f"{_LEGACY_VERSION} and {SCHEMA_VERSION}"
            )
        return data

    def _write(self, data: dict[str, Any]) -> None:
        write_atomic(self._index, json.dumps(data, indent=2).encode("utf-8"), 0o644)

    def list(self) -> list[Identity]:
        return [Identity(name=i["name"], did=i["did"]) for i in self._read()["identities"]]

    def default(self) -> Identity | None:
        data = self._read()
        return next(
            (
                Identity(name=i["name"], did=i["did"])
                for i in data["identities"]
                if i["name"] == data["default"]
            ),
            None,
        )

    def find(self, ref: str | None) -> Identity:
        """The identity named ``ref`` (a name or a DID), or the default when ``ref`` is None."""
        if ref is None:
            found = self.default()
            if found is None:
                raise IdentityError("this home has no identity yet: run 'musette persona new'")
            return found
        for identity in self.list():
            if ref in (identity.name, identity.did):
                return identity
        raise IdentityError(f"no identity {ref!r} in {self.home}")

    # -- secrets ----------------------------------------------------------------------

    def passphrase(self) -> str:
        """The wallet passphrase, from this store's source (for backups)."""
        return self._passphrase()

    def unlock_or_create(self) -> None:
        """Open the keystore (creating it, or migrating a schema-1 home, on first use)."""
        self._open_keystore()

    def _open_keystore(self) -> Keystore:
        """The unlocked keystore, created on first use and migrated from schema 1."""
        data = self._read()
        if not self.keystore.exists():
            self.keystore.create(self._passphrase())
        else:
            self.keystore.unlock(self._passphrase())
        if data["version"] == _LEGACY_VERSION:
            self._migrate_legacy(data)
        return self.keystore

    def _migrate_legacy(self, data: dict[str, Any]) -> None:
        legacy = []
        for identity in data["identities"]:
            path = self.home / "keys" / f"{identity['name']}.key"
            try:
                pair = KeyPair(seed=b58decode(path.read_text("ascii").strip()))
            except (OSError, UnicodeDecodeError, KeyFormatError) as e:
                raise HomeError(f"cannot migrate the key of {identity['name']!r}: {e}") from e
            if pair.did != identity["did"]:
                raise HomeError(f"key file of {identity['name']!r} does not match its DID")
            self.keystore.put(identity["name"], pair.seed)
            legacy.append(path)
        self._write({**data, "version": SCHEMA_VERSION})
        for path in legacy:  # sealed and recorded first: only then erase the plaintext
            size = path.stat().st_size
            with path.open("r+b") as handle:
                handle.write(b"\0" * size)
                handle.flush()
                os.fsync(handle.fileno())
            path.unlink()
        keys_dir = self.home / "keys"
        if keys_dir.is_dir() and not any(keys_dir.iterdir()):
            keys_dir.rmdir()

    def create(self, name: str | None = None, *, may_be_default: bool = True) -> Identity:
        """Generate a new identity; the first one of a home becomes its default (unless
        ``may_be_default`` is false: a node's own identity is never a persona)."""
        data = self._read()
        taken = {i["name"] for i in data["identities"]}
        if name is None:
            name = next(f"id{n}" for n in range(1, len(taken) + 2) if f"id{n}" not in taken)
        if not _NAME.match(name):
            raise IdentityError(
                f"identity name {name!r} must be 1-64 letters, digits, '.', '_' or '-'"
            )
        if name in taken:
            raise IdentityError(f"an identity named {name!r} already exists")
        keystore = self._open_keystore()
        data = self._read()  # the migration may have rewritten it
        pair = KeyPair.generate()
        keystore.put(name, pair.seed)
        data["identities"].append({"name": name, "did": pair.did})
        if data["default"] is None and may_be_default:
            data["default"] = name
        self._write({**data, "version": SCHEMA_VERSION})
        return Identity(name=name, did=pair.did)

    def key(self, ref: str | None) -> KeyPair:
        """The key pair of an identity (unlocks the keystore; never log the result)."""
        identity = self.find(ref)
        seed = self._open_keystore().get(identity.name)
        try:
            pair = KeyPair(seed=seed)
        except KeyFormatError as e:
            raise HomeError(f"the keystore's key of {identity.name!r} is corrupted") from e
        if pair.did != identity.did:
            raise HomeError(f"the keystore's key of {identity.name!r} does not match its DID")
        return pair
