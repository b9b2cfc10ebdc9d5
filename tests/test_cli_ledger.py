"""The ledger from the command line: revoke, suspend, status, status lists, the ledger's
show/verify/export/import, and the status check of ``musette verify``."""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path
from typing import Any

import pytest

from ledger.statuslist import StatusList
from tests.test_cli import musette


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    base = tmp_path_factory.mktemp("ledger-cli")
    issuer, worker = base / "issuer", base / "worker"
    issuer_did = json.loads(musette(issuer, "id", "new", "--json").stdout)["did"]
    worker_did = json.loads(musette(worker, "id", "new", "--json").stdout)["did"]
    files = {}
    for name in ("revoked", "suspended", "kept"):
        out = base / f"{name}.json"
        edge = base / f"{name}.edge"
        result = musette(
            issuer,
            "issue",
            "skill",
            "--subject",
            worker_did,
            "--skill",
            name,
            "--out",
            str(out),
            "--edge-out",
            str(edge),
        )
        assert result.returncode == 0, result.stderr
        files[name] = out
    return {
        "base": base,
        "issuer": issuer,
        "worker": worker,
        "issuer_did": issuer_did,
        "worker_did": worker_did,
        "files": files,
    }


def test_issued_credentials_carry_two_status_entries_at_one_random_index(
    world: dict[str, Any],
) -> None:
    indices = set()
    for path in world["files"].values():
        entries = json.loads(path.read_text())["credentialStatus"]
        assert [e["statusPurpose"] for e in entries] == ["revocation", "suspension"]
        assert entries[0]["statusListIndex"] == entries[1]["statusListIndex"]
        assert world["issuer_did"].removeprefix("did:key:") in entries[0]["statusListCredential"]
        indices.add(entries[0]["statusListIndex"])
    assert len(indices) == 3
    assert (world["base"] / "kept.edge").read_bytes()[:1] == b"\xd2"  # COSE_Sign1 tag 18


def test_revoke_suspend_unsuspend_and_status(world: dict[str, Any]) -> None:
    issuer, files = world["issuer"], world["files"]
    revoked = musette(issuer, "revoke", str(files["revoked"]), "--reason", "mistake", "--json")
    assert revoked.returncode == 0, revoked.stderr
    assert json.loads(revoked.stdout)["status"] == "revoked"
    assert musette(issuer, "suspend", str(files["suspended"])).returncode == 0
    status = musette(issuer, "status", "--json", str(files["suspended"]))
    assert status.returncode == 1
    assert json.loads(status.stdout)["status"] == "suspended"
    assert musette(issuer, "unsuspend", str(files["suspended"])).returncode == 0
    assert (
        json.loads(musette(issuer, "status", "--json", str(files["suspended"])).stdout)["status"]
        == "valid"
    )
    assert musette(issuer, "suspend", str(files["suspended"])).returncode == 0
    kept = json.loads(musette(issuer, "status", "--json", str(files["kept"])).stdout)
    assert kept["status"] == "valid"
    unknown = json.loads(musette(world["worker"], "status", "--json", str(files["kept"])).stdout)
    assert unknown["status"] == "unknown"
    assert not (world["worker"] / "ledger.db").exists()  # read-only: nothing created


def _ensure_statuses(world: dict[str, Any]) -> None:
    """Revoked and suspended as the test above leaves them, when run on its own."""
    for name, command in (("revoked", "revoke"), ("suspended", "suspend")):
        path = str(world["files"][name])
        current = json.loads(musette(world["issuer"], "status", "--json", path).stdout)
        if current["status"] in ("valid", "unknown"):
            assert musette(world["issuer"], command, path).returncode == 0


def test_only_the_issuer_can_revoke(world: dict[str, Any]) -> None:
    result = musette(world["worker"], "revoke", str(world["files"]["kept"]))
    assert result.returncode == 2
    assert "only its issuer" in result.stderr


def test_verify_with_status_lists(world: dict[str, Any]) -> None:
    _ensure_statuses(world)
    base, issuer, files = world["base"], world["issuer"], world["files"]
    lists = []
    for purpose in ("revocation", "suspension"):
        out = base / f"{purpose}.list.json"
        assert (
            musette(
                issuer, "status-list", "export", "--purpose", purpose, "--out", str(out)
            ).returncode
            == 0
        )
        lists += ["--status-list", str(out)]
    outcomes = {}
    for name, path in files.items():
        result = musette(base / "recruiter", "verify", "--json", str(path), *lists)
        status = next(c for c in json.loads(result.stdout)["checks"] if c["name"] == "status")
        outcomes[name] = (result.returncode, status["status"], status["detail"].split(" ")[0])
    assert outcomes["kept"][:2] == (0, "passed")
    assert outcomes["revoked"] == (1, "failed", "revoked")
    assert outcomes["suspended"][:2] == (1, "failed")
    # no list at hand, no ledger: not-checked, never passed
    bare = musette(base / "recruiter", "verify", "--json", str(files["kept"]))
    status = next(c for c in json.loads(bare.stdout)["checks"] if c["name"] == "status")
    assert status["status"] == "not-checked"
    # a forged list is refused and says so, it does not pass
    forged = json.loads((base / "revocation.list.json").read_text())
    # the attack: swap in an empty list (nothing revoked) under the issuer's signature
    forged["credentialSubject"]["encodedList"] = StatusList.empty().encode()
    (base / "forged.json").write_text(json.dumps(forged))
    result = musette(
        base / "recruiter",
        "verify",
        "--json",
        str(files["revoked"]),
        "--status-list",
        str(base / "forged.json"),
    )
    status = next(c for c in json.loads(result.stdout)["checks"] if c["name"] == "status")
    assert status["status"] == "failed"
    assert "does not verify" in status["detail"], status["detail"]


def test_ledger_show_verify_export_import(world: dict[str, Any]) -> None:
    base, issuer = world["base"], world["issuer"]
    _ensure_statuses(world)
    shown = json.loads(musette(issuer, "ledger", "show", "--json").stdout)
    kinds = [e["kind"] for e in shown["feeds"][0]["entries"]]
    assert "revocation" in kinds
    verified = musette(issuer, "ledger", "verify", "--json")
    assert verified.returncode == 0
    assert json.loads(verified.stdout)["ok"] is True
    bundle = base / "bundle.cbor"
    assert musette(issuer, "ledger", "export", str(bundle)).returncode == 0
    other = base / "other"
    imported = musette(other, "ledger", "import", "--json", str(bundle))
    assert imported.returncode == 0, imported.stdout
    assert json.loads(imported.stdout)["stored"] == len(kinds)
    again = json.loads(musette(other, "ledger", "import", "--json", str(bundle)).stdout)
    assert again["known"] == len(kinds)
    # the importing home now knows the revocation
    status = json.loads(musette(other, "status", "--json", str(world["files"]["revoked"])).stdout)
    assert status["status"] == "revoked"
    # a bit-flipped bundle: refused entries, nothing forged stored
    data = bytearray(bundle.read_bytes())
    data[len(data) // 2] ^= 0x01
    (base / "flipped.cbor").write_bytes(bytes(data))
    flipped = musette(base / "third", "ledger", "import", str(base / "flipped.cbor"))
    assert flipped.returncode in (1, 2)
    assert musette(base / "not", "ledger", "import", str(world["files"]["kept"])).returncode == 2


def test_ledger_verify_reports_a_tampered_database(world: dict[str, Any], tmp_path: Path) -> None:
    _ensure_statuses(world)
    home = tmp_path / "h"
    bundle = world["base"] / "bundle2.cbor"
    assert musette(world["issuer"], "ledger", "export", str(bundle)).returncode == 0
    assert musette(home, "ledger", "import", str(bundle)).returncode == 0
    conn = sqlite3.connect(home / "ledger.db")
    data = bytearray(conn.execute("SELECT data FROM entries WHERE seq=0").fetchone()[0])
    data[-3] ^= 0x40
    conn.execute("UPDATE entries SET data=? WHERE seq=0", (bytes(data),))
    conn.commit()
    conn.close()
    result = musette(home, "ledger", "verify", "--json")
    assert result.returncode == 1
    assert "entry 0" in json.loads(result.stdout)["first_fault"]
    (home / "ledger.db").write_bytes(b"garbage" * 1000)
    broken = musette(home, "ledger", "verify")
    assert broken.returncode == 2
    assert "not a usable" in broken.stderr


def test_public_node_gives_https_status_lists(tmp_path: Path) -> None:
    home = tmp_path / "guild"
    did = json.loads(musette(home, "id", "new", "--json").stdout)["did"]
    assert musette(home, "config", "public-node", "http://insecure.example").returncode == 2
    assert musette(home, "config", "public-node", "https://node.guild.example/").returncode == 0
    out = tmp_path / "badge.json"
    made = musette(
        home,
        "issue",
        "badge",
        "--subject",
        did,
        "--badge",
        "b",
        "--criteria",
        "c",
        "--out",
        str(out),
    )
    assert made.returncode == 0, made.stderr
    entry = json.loads(out.read_text())["credentialStatus"][0]
    fingerprint = did.removeprefix("did:key:")
    assert entry["statusListCredential"] == (
        f"https://node.guild.example/status/{fingerprint}/0/revocation"
    )
    assert musette(home, "revoke", str(out)).returncode == 0
    lists = tmp_path / "list.json"
    assert musette(home, "status-list", "export", "--out", str(lists)).returncode == 0
    result = musette(tmp_path / "r", "verify", "--json", str(out), "--status-list", str(lists))
    status = next(c for c in json.loads(result.stdout)["checks"] if c["name"] == "status")
    assert status["status"] == "failed"
    assert status["detail"].startswith("revoked")
