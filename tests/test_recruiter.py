"""The recruiter from the command line (``specs/recruiter.md``): presentation requests
accepted once, the offline bundle (presentation, status lists, a node's signed trust
snapshot) verified with no network, recruiter policies, and the recruiter's cache."""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from node.processes import NodeProcess, free_ports
from tests.cli import error_line, musette, ok

DOMAIN = "jobs.example"


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, Any]]:
    base = tmp_path_factory.mktemp("recruiter")
    issuer, worker, node_home = base / "issuer", base / "worker", base / "node"
    issuer_did = ok(issuer, "id", "new", "--name", "guild")["did"]
    worker_did = ok(worker, "id", "new", "--name", "amira")["did"]
    files: dict[str, Path] = {}
    for name, skill in (("kept", "TIG welding"), ("revoked", "MIG welding")):
        out, edge = base / f"{name}.json", base / f"{name}.edge"
        ok(
            issuer, "issue", "skill", "--subject", worker_did, "--skill", skill,
            "--level", "6", "--out", str(out), "--edge-out", str(edge),
        )  # fmt: skip
        files[name] = out
    imported = ok(worker, "wallet", "import", str(files["kept"]), "--edge", str(base / "kept.edge"))
    ok(worker, "accept", imported["id"])
    ok(issuer, "revoke", str(files["revoked"]))
    lists: list[str] = []
    for purpose in ("revocation", "suspension"):
        out = base / f"{purpose}.list.json"
        assert musette(issuer, "status-list", "export", "--purpose", purpose, "--out", str(out))
        lists += ["--status-list", str(out)]

    # A node anchored on the guild publishes trust snapshots; the worker's edge reaches it.
    ok(node_home, "trust", "anchors", "add", issuer_did)
    (port,) = free_ports(1)
    node = NodeProcess(node_home, port, interval=0.3, options=["--trust-interval", "0.5"])
    node.start()
    try:
        ok(worker, "ledger", "push", node.url)
        deadline, snapshot = time.monotonic() + 60, None
        while snapshot is None and time.monotonic() < deadline:
            answer = httpx.get(f"{node.url}/trust/snapshot", trust_env=False)
            if answer.status_code == 200:
                body = answer.json()
                if issuer_did in body["scores"].get("tig welding", {}):
                    snapshot = body
            time.sleep(0.3)
        assert snapshot is not None, "the node published no snapshot listing the issuer"
        yield {
            "base": base,
            "issuer": issuer,
            "worker": worker,
            "issuer_did": issuer_did,
            "files": files,
            "lists": lists,
            "node": node,
            "snapshot": snapshot,
        }
    finally:
        node.stop()


def _bundle(world: dict[str, Any], name: str, *credentials: str, trust: bool = True) -> Path:
    out = Path(world["base"]) / f"{name}.bundle.json"
    paths = [str(world["files"][c]) for c in credentials]
    extra = ["--trust-from", world["node"].url] if trust else []
    result = musette(
        world["worker"], "present", "--challenge", "c-" + name, "--domain", DOMAIN,
        *paths, *world["lists"], "--bundle", *extra, "--out", str(out),
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    return out


# -- requests -----------------------------------------------------------------------------


def test_a_request_is_accepted_once(world: dict[str, Any], tmp_path: Path) -> None:
    recruiter = tmp_path / "recruiter"
    request = ok(recruiter, "recruiter", "request", "--domain", DOMAIN)
    assert len(request["challenge"]) >= 40
    assert request["used"] is None
    assert request["payload"].startswith("MUS1:")
    vp = tmp_path / "vp.json"
    made = musette(
        world["worker"], "present", "--challenge", request["challenge"], "--domain", DOMAIN,
        str(world["files"]["kept"]), "--out", str(vp),
    )  # fmt: skip
    assert made.returncode == 0, made.stderr
    first = musette(recruiter, "verify", str(vp), "--request", request["id"], "--json")
    assert first.returncode == 0, first.stdout + first.stderr
    challenge = next(c for c in json.loads(first.stdout)["checks"] if c["name"] == "challenge")
    assert challenge["status"] == "passed"
    again = musette(recruiter, "verify", str(vp), "--request", request["id"])
    assert again.returncode == 1
    assert "already used" in error_line(again)
    listed = ok(recruiter, "recruiter", "requests")["requests"]
    assert listed[0]["used"] is not None


def test_a_presentation_for_another_challenge_fails_and_leaves_the_request_open(
    world: dict[str, Any], tmp_path: Path
) -> None:
    recruiter = tmp_path / "recruiter"
    request = ok(recruiter, "recruiter", "request", "--domain", DOMAIN)
    vp = tmp_path / "vp.json"
    made = musette(
        world["worker"], "present", "--challenge", "not-the-one", "--domain", DOMAIN,
        str(world["files"]["kept"]), "--out", str(vp),
    )  # fmt: skip
    assert made.returncode == 0, made.stderr
    assert musette(recruiter, "verify", str(vp), "--request", request["id"]).returncode == 1
    assert ok(recruiter, "recruiter", "requests")["requests"][0]["used"] is None


def test_an_unknown_request_is_refused(world: dict[str, Any], tmp_path: Path) -> None:
    result = musette(tmp_path / "r", "verify", str(world["files"]["kept"]), "--request", "abc")
    assert result.returncode == 2
    assert "not issued by this recruiter" in error_line(result)


def test_request_prints_the_challenge_and_a_qr(tmp_path: Path) -> None:
    result = musette(tmp_path / "r", "recruiter", "request", "--domain", DOMAIN)
    assert result.returncode == 0, result.stderr
    assert "challenge" in result.stdout
    assert "MUS1:" in result.stdout
    stored = json.loads((tmp_path / "r" / "recruiter" / "requests.json").read_text())
    assert stored["requests"][0]["domain"] == DOMAIN


# -- bundles ------------------------------------------------------------------------------


def test_bundle_round_trip_offline(world: dict[str, Any], tmp_path: Path) -> None:
    path = _bundle(world, "both", "kept", "revoked")
    bundle = json.loads(path.read_text())
    assert bundle["type"] == "MusetteBundle"
    assert bundle["version"] == 1
    assert len(bundle["status_lists"]) == 2
    assert bundle["trust_snapshot"]["author"] == world["snapshot"]["author"]
    world["node"].stop()  # offline from here on: nothing may be fetched
    try:
        recruiter = tmp_path / "recruiter"
        result = musette(recruiter, "verify", str(path), "--challenge", "c-both", "--json")
        assert result.returncode == 1, result.stderr
        report = json.loads(result.stdout)
        kept, revoked = report["claims"]
        assert kept["genuine"]
        assert not kept["revoked"]
        assert not kept["expired"]
        assert kept["accepted"]
        assert kept["status"] == "passed"
        assert isinstance(kept["status_age_seconds"], int)
        figure = world["snapshot"]["scores"]["tig welding"][world["issuer_did"]]
        assert kept["trust"] == pytest.approx(figure)
        assert kept["trust_status"] == "passed"
        assert revoked["genuine"]
        assert revoked["revoked"]
        assert not revoked["accepted"]
        text = musette(recruiter, "verify", str(path), "--challenge", "c-both")
        assert text.returncode == 1
        assert "claims (policy lenient)" in text.stdout
        assert "REJECTED" in text.stdout
    finally:
        world["node"].start()


def test_a_valid_bundle_passes_and_max_status_age_applies(
    world: dict[str, Any], tmp_path: Path
) -> None:
    path = _bundle(world, "kept", "kept")
    recruiter = tmp_path / "recruiter"
    good = musette(recruiter, "verify", str(path), "--json")
    assert good.returncode == 0, good.stdout + good.stderr
    assert json.loads(good.stdout)["claims"][0]["accepted"]
    stale = musette(recruiter, "verify", str(path), "--max-status-age", "0", "--json")
    assert stale.returncode == 1
    problems = json.loads(stale.stdout)["claims"][0]["problems"]
    assert any("over the policy's maximum" in p for p in problems)


def test_strict_policy_fails_a_claim_whose_trust_was_not_checked(
    world: dict[str, Any], tmp_path: Path
) -> None:
    path = _bundle(world, "untrusted", "kept", trust=False)
    assert json.loads(path.read_text())["trust_snapshot"] is None
    recruiter = tmp_path / "recruiter"
    lenient = musette(recruiter, "verify", str(path), "--json")
    assert lenient.returncode == 0, lenient.stdout + lenient.stderr
    row = json.loads(lenient.stdout)["claims"][0]
    assert row["trust_status"] == "not-checked"
    assert row["not_checked"]
    strict = musette(recruiter, "verify", str(path), "--policy", "strict", "--json")
    assert strict.returncode == 1
    row = json.loads(strict.stdout)["claims"][0]
    assert not row["accepted"]
    assert any(p.startswith("strict policy: trust") for p in row["problems"])


def test_a_tampered_bundle_fails(world: dict[str, Any], tmp_path: Path) -> None:
    bundle = json.loads(_bundle(world, "tamper", "kept").read_text())
    credential = bundle["presentation"]["verifiableCredential"][0]
    credential["credentialSubject"]["achievement"]["name"] = "TIG welding!"  # one character
    path = tmp_path / "tampered.json"
    path.write_text(json.dumps(bundle))
    result = musette(tmp_path / "r", "verify", str(path), "--json")
    assert result.returncode == 1
    assert not json.loads(result.stdout)["claims"][0]["genuine"]


def test_a_tampered_snapshot_fails_trust(world: dict[str, Any], tmp_path: Path) -> None:
    bundle = json.loads(_bundle(world, "snap", "kept").read_text())
    entry = bundle["trust_snapshot"]["entries"][0]
    bundle["trust_snapshot"]["entries"][0] = (
        entry[:-8] + ("A" if entry[-8] != "A" else "B") + entry[-7:]
    )
    path = tmp_path / "tampered.json"
    path.write_text(json.dumps(bundle))
    result = musette(tmp_path / "r", "verify", str(path), "--json")
    assert result.returncode == 1
    row = json.loads(result.stdout)["claims"][0]
    assert row["trust_status"] == "failed"


@pytest.mark.parametrize(
    "document",
    [
        {"type": "MusetteBundle", "version": 1, "presentation": []},
        {"type": "MusetteBundle", "version": 2, "presentation": {}},
        {"type": "MusetteBundle", "version": 1, "presentation": {}, "status_lists": [{}]},
        {
            "type": "MusetteBundle",
            "version": 1,
            "presentation": {},
            "trust_snapshot": {"author": "did:key:z", "entries": ["!!"]},
        },
    ],
)
def test_a_malformed_bundle_is_a_one_line_input_error(
    document: dict[str, Any], tmp_path: Path
) -> None:
    path = tmp_path / "bad.json"
    path.write_text(json.dumps(document))
    result = musette(tmp_path / "r", "verify", str(path))
    assert result.returncode == 2
    assert "bundle" in error_line(result) or "trust snapshot" in error_line(result)


# -- the cache ----------------------------------------------------------------------------


def test_recruiter_sync_caches_and_verify_reports_its_age(
    world: dict[str, Any], tmp_path: Path
) -> None:
    recruiter = tmp_path / "recruiter"
    synced = ok(recruiter, "recruiter", "sync", world["node"].url)
    assert synced["error"] is None
    assert synced["trust_snapshot"]
    path = _bundle(world, "cached", "kept", trust=False)
    result = musette(recruiter, "verify", str(path), "--json")
    assert result.returncode == 0, result.stdout + result.stderr
    report = json.loads(result.stdout)
    assert report["cache"]["age"] < 60
    assert report["claims"][0]["trust_status"] == "passed"  # from the cached snapshot
    text = musette(recruiter, "verify", str(path))
    assert "ledger cache synced" in text.stdout
