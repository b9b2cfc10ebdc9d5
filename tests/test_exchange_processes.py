"""The exchange end to end across processes: a worker asks two peers through their
mailbox node; one vouches, one declines; the answer reaches the worker's reply node, waits
for consent, and once accepted its edge gossips to the other node. The nodes hold only
ciphertext."""

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


def test_ask_answer_decline_accept_and_gossip(tmp_path: Path, nodes: list[NodeProcess]) -> None:
    p1, p2 = free_ports(2)
    mailbox_home, reply_home = tmp_path / "node-peers", tmp_path / "node-worker"
    mailbox = NodeProcess(mailbox_home, p1, peers=[f"http://127.0.0.1:{p2}"], interval=0.3)
    nodes.append(mailbox.start())
    reply = NodeProcess(reply_home, p2, peers=[mailbox.url], interval=0.3)
    nodes.append(reply.start())

    chloe, amira, bastien = tmp_path / "chloe", tmp_path / "amira", tmp_path / "bastien"
    chloe_did = ok(chloe, "id", "new", "--name", "chloe")["did"]
    ok(amira, "id", "new", "--name", "amira")
    ok(bastien, "id", "new", "--name", "bastien")
    for peer in (amira, bastien):
        card = ok(peer, "card", "--node", mailbox.url)["card"]
        ok(chloe, "contacts", "add", card)
    assert {c["name"] for c in ok(chloe, "contacts", "list")["contacts"]} == {"amira", "bastien"}

    for name in ("amira", "bastien"):
        asked = ok(
            chloe, "ask", name, "--skill", "TIG welding", "--level", "5",
            "--context", "Two years on the Vénissieux site", "--reply-node", reply.url,
        )  # fmt: skip
        assert asked["delivered"] == mailbox.url

    # The mailbox node never saw a readable request.
    for path in mailbox_home.glob("node.db*"):
        data = path.read_bytes()
        assert b"TIG welding" not in data
        assert "Vénissieux".encode() not in data

    waiting = ok(amira, "requests", "--node", mailbox.url)["requests"]
    assert len(waiting) == 1
    assert waiting[0]["from"] == chloe_did
    assert waiting[0]["skill"] == "TIG welding"
    ok(amira, "answer", waiting[0]["id"], "--evidence", "Welded the manifolds, zero rejects")
    # Fetched once, deleted from the node: a second fetch brings nothing new.
    assert ok(amira, "requests", "--node", mailbox.url)["requests"] == []

    declined = ok(bastien, "requests", "--node", mailbox.url)["requests"]
    ok(bastien, "decline", declined[0]["id"])

    inbox = ok(chloe, "inbox", "--node", reply.url)
    assert len(inbox["pending"]) == 1
    assert any("declined" in line for line in inbox["fetched"])
    assert inbox["refused"] == []
    credential_id = inbox["pending"][0]["id"]
    ok(chloe, "accept", credential_id)

    # The acceptance (with Amira's edge) goes to the reply node and gossips to the other.
    ok(chloe, "ledger", "push", reply.url)
    deadline = time.monotonic() + 30
    feeds: list[dict[str, Any]] = []
    while time.monotonic() < deadline:
        feeds = httpx.get(f"{mailbox.url}/feeds", trust_env=False).json()["feeds"]
        if any(f["author"] == chloe_did for f in feeds):
            break
        time.sleep(0.3)
    assert any(f["author"] == chloe_did for f in feeds), "the edge did not gossip"
