"""A home's identities: named did:key key pairs.

Interim storage (the wallet issue replaces it with an encrypted keystore and migrates
homes written by this version): ``identities.json`` lists the identities and which one is
the default, each secret seed sits in ``keys/<name>.key`` with mode 0600, and every write
goes through a temporary file and ``os.replace`` so a crash leaves the old or the new
state, never a torn file. The schema carries a version.
"""

from __future__ import annotations

import json
import os
import re
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from credentials.errors import KeyFormatError
from credentials.keys import KeyPair, b58decode, b58encode

from .errors import HomeError, IdentityError

__all__ = ["SCHEMA_VERSION", "Identity", "IdentityStore"]

SCHEMA_VERSION = 1
_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$")


@dataclass(frozen=True, slots=True)
class Identity:
    name: str
    did: str


def _write_atomic(path: Path, data: bytes, mode: int = 0o600) -> None:
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


class IdentityStore:
    """The identities of one home folder."""

    def __init__(self, home: Path) -> None:
        self.home = home
        self._index = home / "identities.json"

    def _read(self) -> dict[str, Any]:
        if not self._index.exists():
            return {"version": SCHEMA_VERSION, "default": None, "identities": []}
        try:
            data: dict[str, Any] = json.loads(self._index.read_text("utf-8"))
        except (OSError, ValueError) as e:
            raise HomeError(f"cannot read {self._index}: {e}") from e
        version = data.get("version")
        if version != SCHEMA_VERSION:
            raise HomeError(
                f"{self._index} has schema version {version!r}; this musette reads {SCHEMA_VERSION}"
            )
        return data

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

    def create(self, name: str | None = None) -> Identity:
        """Generate a new identity; the first one of a home becomes its default."""
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
        pair = KeyPair.generate()
        _write_atomic(self.home / "keys" / f"{name}.key", (b58encode(pair.seed) + "\n").encode())
        data["identities"].append({"name": name, "did": pair.did})
        if data["default"] is None:
            data["default"] = name
        _write_atomic(self._index, json.dumps(data, indent=2).encode("utf-8"), 0o644)
        return Identity(name=name, did=pair.did)

    def find(self, ref: str | None) -> Identity:
        """The identity named ``ref`` (a name or a DID), or the default when ``ref`` is None."""
        if ref is None:
            found = self.default()
            if found is None:
                raise IdentityError("this home has no identity yet: run 'musette id new'")
            return found
        for identity in self.list():
            if ref in (identity.name, identity.did):
                return identity
        raise IdentityError(f"no identity {ref!r} in {self.home}")

    def key(self, ref: str | None) -> KeyPair:
        """The key pair of an identity (reads the secret; never log the result)."""
        identity = self.find(ref)
        path = self.home / "keys" / f"{identity.name}.key"
        try:
            pair = KeyPair(seed=b58decode(path.read_text("ascii").strip()))
        except (OSError, UnicodeDecodeError, KeyFormatError) as e:
            raise HomeError(f"cannot read the key of {identity.name!r}: {e}") from e
        if pair.did != identity.did:
            raise HomeError(f"key file of {identity.name!r} does not match its DID")
        return pair
