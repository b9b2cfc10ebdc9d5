"""The encrypted keystore: sealed at rest, wrong passphrases refused, old homes migrated."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import warnings
from pathlib import Path

import pytest

from credentials.keys import KeyPair, b58encode
from tests.conftest import ROOT
from wallet.errors import HomeError
from wallet.identities import IdentityStore
from wallet.keystore import PROFILES, InsecureKdfWarning, Keystore, WrongPassphraseError

PASS = "correct horse battery staple"


def _store(home: Path, passphrase: str = PASS) -> IdentityStore:
    return IdentityStore(home, lambda: passphrase)


def _home_bytes(home: Path) -> bytes:
    return b"".join(p.read_bytes() for p in home.rglob("*") if p.is_file())


def test_no_plaintext_key_anywhere_in_the_home(tmp_path: Path) -> None:
    store = _store(tmp_path)
    identity = store.create("worker")
    pair = store.key("worker")
    assert pair.did == identity.did
    everything = _home_bytes(tmp_path)
    for secret in (
        pair.seed,
        pair.seed.hex().encode(),
        b58encode(pair.seed).encode(),
        pair.to_jwk()["d"].encode(),
    ):
        assert secret not in everything
    assert not (tmp_path / "keys").exists()


def test_reopen_with_the_right_passphrase_and_refuse_a_wrong_one(tmp_path: Path) -> None:
    did = _store(tmp_path).create().did
    assert _store(tmp_path).key(None).did == did
    with pytest.raises(WrongPassphraseError, match="wrong passphrase"):
        _store(tmp_path, "not the passphrase").key(None)

    # read-only operations need no passphrase at all
    def refuse() -> str:
        raise AssertionError("asked for a passphrase")

    assert IdentityStore(tmp_path, refuse).list()[0].did == did


def test_corrupted_keystore_is_a_clear_error(tmp_path: Path) -> None:
    _store(tmp_path).create()
    path = tmp_path / "keystore.json"
    data = json.loads(path.read_text())
    sealed = bytearray(data["sealed"].encode())
    sealed[10] = ord("A") if sealed[10] != ord("A") else ord("B")
    data["sealed"] = sealed.decode()
    path.write_text(json.dumps(data))
    with pytest.raises(WrongPassphraseError):  # the box's authentication fails either way
        _store(tmp_path).key(None)
    path.write_text("{not json")
    with pytest.raises(HomeError, match="corrupted"):
        _store(tmp_path).key(None)


def test_legacy_plaintext_home_is_migrated(tmp_path: Path) -> None:
    pair = KeyPair.generate()
    (tmp_path / "keys").mkdir()
    key_file = tmp_path / "keys" / "old.key"
    key_file.write_text(b58encode(pair.seed) + "\n")
    (tmp_path / "identities.json").write_text(
        json.dumps(
            {"version": 1, "default": "old", "identities": [{"name": "old", "did": pair.did}]}
        )
    )
    store = _store(tmp_path)
    assert store.list()[0].did == pair.did  # read-only: schema 1 read as is
    assert store.key(None) == pair  # first key use migrates
    assert not key_file.exists()
    assert json.loads((tmp_path / "identities.json").read_text())["version"] == 2
    assert pair.seed not in _home_bytes(tmp_path)
    assert _store(tmp_path).key("old") == pair


def test_insecure_profile_is_named_and_warns(tmp_path: Path) -> None:
    keystore = Keystore(tmp_path / "keystore.json")
    with pytest.warns(InsecureKdfWarning, match="insecure-test"):
        keystore.create(PASS, PROFILES["insecure-test"])
    assert json.loads((tmp_path / "keystore.json").read_text())["kdf"]["profile"] == "insecure-test"


def test_moderate_profile_is_the_default(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("MUSETTE_KDF")
    keystore = Keystore(tmp_path / "keystore.json")
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        keystore.create(PASS)  # real Argon2id cost, once
    kdf = json.loads((tmp_path / "keystore.json").read_text())["kdf"]
    assert (kdf["profile"], kdf["opslimit"], kdf["memlimit"]) == (
        "moderate",
        PROFILES["moderate"].opslimit,
        PROFILES["moderate"].memlimit,
    )


def _cli(home: Path, *args: str, passphrase: str | None) -> subprocess.CompletedProcess[str]:
    env = dict(os.environ)
    env.pop("MUSETTE_PASSPHRASE", None)
    if passphrase is not None:
        env["MUSETTE_PASSPHRASE"] = passphrase
    return subprocess.run(
        [sys.executable, "-m", "node", "--home", str(home), *args],
        capture_output=True,
        text=True,
        env=env,
        cwd=ROOT,
        timeout=120,
        stdin=subprocess.DEVNULL,
    )


def test_cli_wrong_passphrase_exits_2_with_one_line(tmp_path: Path) -> None:
    made = _cli(tmp_path, "persona", "new", "--name", "freelance", "--json", passphrase=PASS)
    assert made.returncode == 0, made.stderr
    did = json.loads(made.stdout)["did"]
    assert did not in made.stderr
    wrong = _cli(
        tmp_path, "issue", "endorse", "--subject", did, "--comment", "c", passphrase="nope"
    )
    assert wrong.returncode == 2
    errors = [line for line in wrong.stderr.splitlines() if "warning" not in line]
    assert errors == [errors[0]]
    assert "wrong passphrase" in errors[0]
    assert "Traceback" not in wrong.stderr
    none = _cli(tmp_path, "issue", "endorse", "--subject", did, "--comment", "c", passphrase=None)
    assert none.returncode == 2
    assert "MUSETTE_PASSPHRASE" in none.stderr
    listed = _cli(
        tmp_path, "persona", "list", "--json", passphrase=None
    )  # read-only: no passphrase
    assert json.loads(listed.stdout) == [{"name": "freelance", "did": did, "default": True}]
    assert _cli(tmp_path, "wallet", "init", "--json", passphrase=PASS).returncode == 0
