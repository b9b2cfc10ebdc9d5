"""Backup and restore: one archive of a home's keys, credentials and ledger, encrypted
under the wallet passphrase (``specs/wallet.md`` §4).

Archive (deterministic CBOR)::

    {"v": 1, "type": "musette-backup",
     "kdf": {"alg": "argon2id13", "profile", "opslimit", "memlimit", "salt": bstr},
     "sealed": bstr}      # SecretBox(Argon2id(passphrase, salt)) of zlib(CBOR(contents))

    contents = {"v": 1, "created": uint, "files": {name: bstr}}

``files`` holds ``identities.json``, ``keystore.json`` (itself sealed), ``config.json``,
and consistent snapshots of ``wallet.db`` and ``ledger.db`` (SQLite's online backup).
Poly1305 authenticates the whole archive: a tampered archive, or a wrong passphrase, opens
nothing. Restore writes into an empty home only, then checks what it wrote (the keystore
opens, every ledger signature verifies).
"""

from __future__ import annotations

import sqlite3
import tempfile
import time
import zlib
from pathlib import Path
from typing import Any, Final

import cbor2
import nacl.exceptions
import nacl.pwhash.argon2id as argon2id
import nacl.secret
import nacl.utils

from ledger.store import LedgerStore

from .errors import HomeError, WalletError
from .identities import IdentityStore, write_atomic
from .keystore import PROFILES, KdfProfile, derive_key, kdf_profile_from_env

__all__ = ["BACKUP_VERSION", "BackupError", "create_backup", "restore_backup"]

BACKUP_VERSION: Final = 1
_TYPE: Final = "musette-backup"
_PLAIN_FILES: Final = ("identities.json", "keystore.json", "config.json")
_DATABASES: Final = ("wallet.db", "ledger.db")
_MAX_ARCHIVE: Final = 512 * 1024 * 1024
_MAX_CONTENTS: Final = 2 * 1024 * 1024 * 1024


class BackupError(WalletError):
    """An archive that cannot be made or restored."""


def _snapshot(database: Path) -> bytes:
    """A consistent copy of a live SQLite database (its WAL included)."""
    with tempfile.TemporaryDirectory() as tmp:
        copy_path = Path(tmp) / "copy.db"
        source = sqlite3.connect(database)
        target = sqlite3.connect(copy_path)
        try:
            source.backup(target)
        finally:
            target.close()
            source.close()
        return copy_path.read_bytes()


def create_backup(home: Path, out: Path, identities: IdentityStore) -> dict[str, Any]:
    """Write the encrypted archive of ``home`` to ``out``; the passphrase must open the
    home's keystore (so nobody archives a wallet under a passphrase of their choosing)."""
    if not identities.keystore.exists():
        raise BackupError(f"{home} has no wallet to back up")
    identities.unlock_or_create()
    files: dict[str, bytes] = {}
    for name in _PLAIN_FILES:
        if (home / name).exists():
            files[name] = (home / name).read_bytes()
    for name in _DATABASES:
        if (home / name).exists():
            try:
                files[name] = _snapshot(home / name)
            except sqlite3.DatabaseError as e:
                raise BackupError(f"cannot read {home / name}: {e}") from e
    contents = cbor2.dumps(
        {"v": BACKUP_VERSION, "created": int(time.time()), "files": files}, canonical=True
    )
    profile = kdf_profile_from_env()
    salt = nacl.utils.random(argon2id.SALTBYTES)
    box = nacl.secret.SecretBox(derive_key(identities.passphrase(), salt, profile))
    archive = {
        "v": BACKUP_VERSION,
        "type": _TYPE,
        "kdf": {
            "alg": "argon2id13",
            "profile": profile.name,
            "opslimit": profile.opslimit,
            "memlimit": profile.memlimit,
            "salt": salt,
        },
        "sealed": bytes(box.encrypt(zlib.compress(contents, 6))),
    }
    data = cbor2.dumps(archive, canonical=True)
    write_atomic(out, data)
    return {"archive": str(out), "files": sorted(files), "bytes": len(data)}


def _open(archive: Path, passphrase: str) -> dict[str, bytes]:
    try:
        raw = archive.read_bytes()
    except OSError as e:
        raise BackupError(f"cannot read {archive}: {e.strerror}") from e
    if len(raw) > _MAX_ARCHIVE:
        raise BackupError(f"{archive} is over {_MAX_ARCHIVE} bytes")
    try:
        outer = cbor2.loads(raw)
        kdf = outer["kdf"]
        if outer.get("type") != _TYPE or outer.get("v") != BACKUP_VERSION:
            raise BackupError(f"{archive} is not a version {BACKUP_VERSION} Musette backup")
        profile = KdfProfile(str(kdf["profile"]), int(kdf["opslimit"]), int(kdf["memlimit"]))
        salt, sealed = bytes(kdf["salt"]), bytes(outer["sealed"])
    except (cbor2.CBORDecodeError, KeyError, TypeError, ValueError, AttributeError) as e:
        raise BackupError(f"{archive} is not a Musette backup archive") from e
    if profile.name not in PROFILES or kdf.get("alg") != "argon2id13":
        raise BackupError(f"{archive} uses an unknown key derivation")
    box = nacl.secret.SecretBox(derive_key(passphrase, salt, profile))
    try:
        compressed = box.decrypt(sealed)
    except nacl.exceptions.CryptoError as e:
        raise BackupError(
            f"{archive} does not open: wrong passphrase, or the archive was tampered with"
        ) from e
    inflater = zlib.decompressobj()
    try:
        plain = inflater.decompress(compressed, _MAX_CONTENTS)
    except zlib.error as e:
        raise BackupError(f"{archive} is damaged inside its authenticated box") from e
    if inflater.unconsumed_tail:
        raise BackupError(f"{archive} holds more than {_MAX_CONTENTS} bytes")
    contents = cbor2.loads(plain)
    files = contents.get("files") if isinstance(contents, dict) else None
    if not isinstance(files, dict) or not all(
        isinstance(k, str) and isinstance(v, bytes) for k, v in files.items()
    ):
        raise BackupError(f"{archive} has no file table")
    unknown = set(files) - set(_PLAIN_FILES) - set(_DATABASES)
    if unknown:
        raise BackupError(f"{archive} holds unexpected files: {sorted(unknown)}")
    return files


def restore_backup(archive: Path, home: Path, identities: IdentityStore) -> dict[str, Any]:
    """Restore ``archive`` into ``home``, which must hold no wallet yet."""
    present = [n for n in (*_PLAIN_FILES, *_DATABASES) if (home / n).exists()]
    if present:
        raise BackupError(f"{home} already holds {', '.join(present)}: restore into an empty home")
    files = _open(archive, identities.passphrase())
    written = []
    for name, data in files.items():
        write_atomic(home / name, data)
        written.append(name)
    try:
        identities.unlock_or_create()  # the restored keystore opens with the passphrase
    except WalletError:
        for name in written:
            (home / name).unlink(missing_ok=True)
        raise
    if "ledger.db" in files:
        with LedgerStore(home / "ledger.db") as store:
            _, fault = store.verify_all()
        if fault is not None:
            raise HomeError(f"the restored ledger does not verify: {fault}")
    return {"home": str(home), "files": sorted(written)}
