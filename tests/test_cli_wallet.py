"""The worker's side from the command line: import, list, inbox, accept, refuse, withdraw."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from tests.test_cli import musette


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    base = tmp_path_factory.mktemp("wallet-cli")
    issuer, worker, other = base / "issuer", base / "worker", base / "other"
    musette(issuer, "persona", "new", "--name", "amira")
    worker_did = json.loads(
        musette(worker, "persona", "new", "--name", "freelance", "--json").stdout
    )["did"]
    other_did = json.loads(musette(other, "persona", "new", "--json").stdout)["did"]
    made = {}
    for name, subject in (("tig", worker_did), ("brazing", worker_did), ("stranger", other_did)):
        out, edge = base / f"{name}.json", base / f"{name}.edge"
        result = musette(
            issuer,
            "issue",
            "skill",
            "--subject",
            subject,
            "--skill",
            name,
            "--level",
            "5",
            "--out",
            str(out),
            "--edge-out",
            str(edge),
        )
        assert result.returncode == 0, result.stderr
        made[name] = (out, edge)
    return {"base": base, "worker": worker, "made": made}


def test_consent_flow(world: dict[str, Any]) -> None:
    worker, made = world["worker"], world["made"]
    imported = {}
    for name in ("tig", "brazing"):
        out, edge = made[name]
        result = musette(worker, "wallet", "import", str(out), "--edge", str(edge), "--json")
        assert result.returncode == 0, result.stderr
        imported[name] = json.loads(result.stdout)["id"]
    inbox = json.loads(musette(worker, "inbox", "--json").stdout)
    assert {item["id"] for item in inbox} == set(imported.values())
    assert all(item["state"] == "pending" for item in inbox)
    # nothing is public before consent
    assert (
        not (worker / "ledger.db").exists()
        or not json.loads(musette(worker, "ledger", "show", "--json").stdout)["feeds"]
    )
    accepted = musette(worker, "accept", imported["tig"], "--json")
    assert accepted.returncode == 0, accepted.stderr
    assert json.loads(accepted.stdout)["state"] == "accepted"
    feeds = json.loads(musette(worker, "ledger", "show", "--json").stdout)["feeds"]
    assert [e["kind"] for e in feeds[0]["entries"]] == ["acceptance"]
    assert "tig" in feeds[0]["entries"][0]["summary"]
    refused = musette(worker, "refuse", imported["brazing"])
    assert refused.returncode == 0
    assert [i["id"] for i in json.loads(musette(worker, "wallet", "list", "--json").stdout)] == [
        imported["tig"]
    ]
    withdrawn = musette(worker, "withdraw", imported["tig"], "--json")
    assert withdrawn.returncode == 0, withdrawn.stderr
    feeds = json.loads(musette(worker, "ledger", "show", "--json").stdout)["feeds"]
    assert [e["kind"] for e in feeds[0]["entries"]] == ["acceptance", "withdrawal"]
    assert musette(worker, "ledger", "verify").returncode == 0


def test_search_show_and_delete(world: dict[str, Any], tmp_path: Path) -> None:
    out, edge = world["made"]["tig"]
    home = tmp_path / "w"
    # a fresh worker home with the same persona cannot exist; use the real one's copy
    result = musette(world["worker"], "wallet", "list", "--skill", "  TIG ", "--json")
    items = json.loads(result.stdout)
    if not items:
        musette(world["worker"], "wallet", "import", str(out), "--edge", str(edge))
        items = json.loads(
            musette(world["worker"], "wallet", "list", "--skill", "TIG", "--json").stdout
        )
    item_id = items[0]["id"]
    shown = json.loads(musette(world["worker"], "wallet", "show", item_id[:5], "--json").stdout)
    assert shown["document"]["credentialSubject"]["achievement"]["name"] == "tig"
    assert musette(world["worker"], "wallet", "list", "--state", "nonsense").returncode == 2
    assert musette(world["worker"], "wallet", "list", "--since", "yesterday").returncode == 2
    by_type = musette(
        world["worker"],
        "wallet",
        "list",
        "--type",
        "OpenBadgeCredential",
        "--since",
        "2020-01-01",
        "--json",
    )
    assert item_id in [i["id"] for i in json.loads(by_type.stdout)]
    future = musette(world["worker"], "wallet", "list", "--since", "2999-01-01", "--json")
    assert json.loads(future.stdout) == []
    assert musette(home, "wallet", "show", "ffffffff").returncode == 2


def test_imports_that_are_refused(world: dict[str, Any]) -> None:
    worker, made = world["worker"], world["made"]
    stranger = musette(worker, "wallet", "import", str(made["stranger"][0]))
    assert stranger.returncode == 2
    assert "persona" in stranger.stderr
    out, edge = made["brazing"]
    assert musette(worker, "wallet", "import", str(out), "--edge", str(edge)).returncode == 0
    duplicate = musette(worker, "wallet", "import", str(out))
    assert duplicate.returncode == 2
    assert "already" in duplicate.stderr
    document = json.loads(out.read_text())
    document["credentialSubject"]["achievement"]["name"] = "welding, honest"
    tampered = musette(worker, "wallet", "import", "-", stdin=json.dumps(document))
    assert tampered.returncode == 1  # a recognised document that failed a check
    assert "proof" in tampered.stderr
    wrong_edge = musette(worker, "wallet", "import", str(made["tig"][0]), "--edge", str(edge))
    assert wrong_edge.returncode == 2
    no_edge_id = json.loads(
        musette(worker, "wallet", "list", "--state", "pending", "--json").stdout
    )
    assert no_edge_id


def test_present_from_the_wallet_with_stapled_status(tmp_path: Path) -> None:
    issuer, worker = tmp_path / "issuer", tmp_path / "worker"
    musette(issuer, "persona", "new")
    did = json.loads(musette(worker, "persona", "new", "--json").stdout)["did"]
    ids = {}
    for skill in ("Welding", "Brazing"):
        out = tmp_path / f"{skill}.json"
        musette(issuer, "issue", "skill", "--subject", did, "--skill", skill, "--out", str(out))
        ids[skill] = json.loads(musette(worker, "wallet", "import", str(out), "--json").stdout)[
            "id"
        ]
    assert musette(issuer, "revoke", str(tmp_path / "Brazing.json")).returncode == 0
    for purpose in ("revocation", "suspension"):
        lst = tmp_path / f"{purpose}.json"
        musette(issuer, "status-list", "export", "--purpose", purpose, "--out", str(lst))
        kept = musette(worker, "wallet", "import", str(lst), "--json")
        assert kept.returncode == 0, kept.stderr
        assert "status_list" in json.loads(kept.stdout)
    vp = tmp_path / "vp.json"
    made = musette(
        worker,
        "present",
        "--skill",
        "  welding",
        "--credential",
        ids["Brazing"][:6],
        "--challenge",
        "n",
        "--domain",
        "d",
        "--out",
        str(vp),
    )
    assert made.returncode == 0, made.stderr
    inner = json.loads(vp.read_text())["verifiableCredential"]
    assert sum("BitstringStatusListCredential" in c["type"] for c in inner) == 2
    report = musette(
        tmp_path / "recruiter", "verify", "--json", str(vp), "--challenge", "n", "--domain", "d"
    )
    assert report.returncode == 1
    result = json.loads(report.stdout)
    statuses = [
        next(c for c in r["checks"] if c["name"] == "status") for r in result["credentials"][:2]
    ]
    # --credential first (Brazing, revoked), then the --skill match (Welding)
    assert [s["status"] for s in statuses] == ["failed", "passed"]
    assert statuses[0]["detail"].startswith("revoked")
    assert next(c for c in result["checks"] if c["name"] == "subject-binding")["status"] == "passed"
    qr = musette(
        worker,
        "present",
        "--credential",
        ids["Welding"],
        "--challenge",
        "n",
        "--domain",
        "d",
        "--qr",
        "--json",
    )
    assert qr.returncode == 0, qr.stderr
    assert json.loads(qr.stdout)["payload"].startswith("MUS1:")
    missing = musette(
        worker, "present", "--credential", "ffffffff", "--challenge", "n", "--domain", "d"
    )
    assert missing.returncode == 2
