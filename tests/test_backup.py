"""Backup and restore across homes, through the CLI: same identities, credentials and
ledger; a tampered archive or a wrong passphrase restores nothing."""

from __future__ import annotations

import json
from pathlib import Path

from tests.test_cli import musette
from tests.test_keystore import _cli


def test_backup_restore_round_trip_and_refusals(tmp_path: Path) -> None:
    issuer, worker = tmp_path / "issuer", tmp_path / "worker"
    musette(issuer, "persona", "new")
    did = json.loads(musette(worker, "persona", "new", "--name", "freelance", "--json").stdout)[
        "did"
    ]
    musette(worker, "persona", "new", "--name", "volunteer")
    out, edge = tmp_path / "c.json", tmp_path / "c.edge"
    musette(
        issuer,
        "issue",
        "skill",
        "--subject",
        did,
        "--skill",
        "Welding",
        "--out",
        str(out),
        "--edge-out",
        str(edge),
    )
    item = json.loads(
        musette(worker, "wallet", "import", str(out), "--edge", str(edge), "--json").stdout
    )
    assert musette(worker, "accept", item["id"]).returncode == 0
    archive = tmp_path / "backup.musette"
    made = musette(worker, "backup", str(archive), "--json")
    assert made.returncode == 0, made.stderr
    assert set(json.loads(made.stdout)["files"]) >= {
        "identities.json",
        "keystore.json",
        "wallet.db",
        "ledger.db",
    }
    raw = archive.read_bytes()
    assert b"Welding" not in raw  # the contents are encrypted
    # restore on "another machine": a fresh home
    restored = tmp_path / "restored"
    result = musette(restored, "restore", str(archive), "--json")
    assert result.returncode == 0, result.stderr
    same = lambda home, *args: json.loads(musette(home, *args, "--json").stdout)  # noqa: E731
    assert same(restored, "persona", "list") == same(worker, "persona", "list")
    assert same(restored, "wallet", "list") == same(worker, "wallet", "list")
    assert same(restored, "ledger", "show") == same(worker, "ledger", "show")
    # the restored keys sign as the originals
    signed = musette(
        restored,
        "issue",
        "endorse",
        "--as",
        "freelance",
        "--subject",
        did,
        "--comment",
        "self",
        "--json",
    )
    assert signed.returncode == 0, signed.stderr
    assert json.loads(signed.stdout)["issuer"]["id"] == did
    # never over an existing wallet
    again = musette(restored, "restore", str(archive))
    assert again.returncode == 2
    assert "empty home" in again.stderr
    # a tampered archive restores nothing
    tampered = bytearray(raw)
    tampered[-10] ^= 0x01
    (tmp_path / "tampered.musette").write_bytes(bytes(tampered))
    refused = musette(tmp_path / "t", "restore", str(tmp_path / "tampered.musette"))
    assert refused.returncode == 2
    assert "tampered" in refused.stderr
    assert not (tmp_path / "t" / "keystore.json").exists()
    # a wrong passphrase restores nothing either
    wrong = _cli(tmp_path / "w", "restore", str(archive), passphrase="not it")
    assert wrong.returncode == 2
    assert not (tmp_path / "w" / "identities.json").exists()
    assert musette(tmp_path / "g", "restore", str(out)).returncode == 2  # not an archive
