"""Trust across processes: a node publishes a signed snapshot from its anchors, the
snapshot gossips to another node, and a recruiter with no anchors of its own verifies an
attestation with that node's figure, offline, after one sync."""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from node.processes import NodeProcess, free_ports
from tests.cli import ok


@pytest.fixture
def nodes() -> Iterator[list[NodeProcess]]:
    started: list[NodeProcess] = []
    yield started
    for node in started:
        node.stop()


def test_snapshot_gossips_and_serves_an_offline_recruiter(
    tmp_path: Path, nodes: list[NodeProcess]
) -> None:
    guild, amira, chloe = tmp_path / "guild", tmp_path / "amira", tmp_path / "chloe"
    guild_did = ok(guild, "id", "new", "--name", "guild")["did"]
    amira_did = ok(amira, "id", "new", "--name", "amira")["did"]
    chloe_did = ok(chloe, "id", "new", "--name", "chloe")["did"]
    # The guild attests Amira's welding; Amira accepts, which publishes the edge.
    badge, edge = tmp_path / "amira-tig.json", tmp_path / "amira-tig.edge"
    ok(
        guild, "issue", "skill", "--subject", amira_did, "--skill", "TIG welding",
        "--level", "6", "--out", str(badge), "--edge-out", str(edge),
    )  # fmt: skip
    imported = ok(amira, "wallet", "import", str(badge), "--edge", str(edge))
    ok(amira, "accept", imported["id"])
    # Amira attests Chloé's welding: the claim a recruiter will weigh.
    attestation = tmp_path / "chloe-tig.json"
    ok(
        amira, "issue", "skill", "--subject", chloe_did, "--skill", "TIG welding",
        "--level", "5", "--out", str(attestation),
    )  # fmt: skip

    one, two = tmp_path / "node-one", tmp_path / "node-two"
    ok(one, "trust", "anchors", "add", guild_did)
    p1, p2 = free_ports(2)
    first = NodeProcess(
        one, p1, peers=[f"http://127.0.0.1:{p2}"], interval=0.3, options=["--trust-interval", "0.5"]
    )
    first.start()
    nodes.append(first)
    second = NodeProcess(two, p2, peers=[first.url], interval=0.3).start()
    nodes.append(second)
    node_did = first.health()["node"]
    pushed = ok(amira, "ledger", "push", first.url)
    assert pushed["stored"] >= 1

    def snapshot_at_second() -> dict[str, Any] | None:
        answer = httpx.get(
            f"{second.url}/trust/snapshot", params={"author": node_did}, trust_env=False
        )
        if answer.status_code != 200:
            return None
        body: dict[str, Any] = answer.json()
        return body if amira_did in body["scores"].get("tig welding", {}) else None

    deadline = time.monotonic() + 60
    snapshot = None
    while snapshot is None and time.monotonic() < deadline:
        snapshot = snapshot_at_second()
        time.sleep(0.3)
    assert snapshot is not None, "the snapshot did not reach the second node"
    assert snapshot["anchors"] == [guild_did]
    assert 0 < snapshot["scores"]["tig welding"][amira_did] <= 1

    # The recruiter has no anchors: one sync, then an offline check with the node's figure.
    recruiter = tmp_path / "recruiter"
    synced = ok(recruiter, "node", "sync", second.url)
    assert synced["error"] is None
    report = ok(recruiter, "verify", str(attestation), "--trust-from", node_did)
    trust = next(c for c in report["checks"] if c["name"] == "trust")
    assert trust["status"] == "passed"
    assert trust["value"] == pytest.approx(snapshot["scores"]["tig welding"][amira_did])
    assert "per the snapshot of" in trust["detail"]
    without = ok(recruiter, "verify", str(attestation))
    assert next(c for c in without["checks"] if c["name"] == "trust")["status"] == "not-checked"
