"""``musette node sync|peers``, ``musette ledger push`` and ``musette status --node``
against a real node process, and their one-line errors."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest

from credentials.keys import KeyPair
from ledger.store import LedgerStore
from node.processes import NodeProcess, free_ports
from tests.cli import musette

TARGET = "did:key:z6MkhaXgBZDvotDkL5257faiztiGiC2QtKLGpbnnEGta2doK"


@pytest.fixture(scope="module")
def node(tmp_path_factory: pytest.TempPathFactory) -> Iterator[NodeProcess]:
    home = tmp_path_factory.mktemp("served") / "node"
    with LedgerStore(home / "ledger.db") as store:
        for n in range(3):
            key = KeyPair.generate()
            store.append_many(
                key, [("flag", {"target": TARGET, "reason": f"{n}.{i}"}) for i in range(5)]
            )
    process = NodeProcess(home, free_ports(1)[0], interval=60).start()
    yield process
    process.stop()


def test_sync_pulls_and_pushes_then_is_in_sync(tmp_path: Path, node: NodeProcess) -> None:
    home = tmp_path / "laptop"
    with LedgerStore(home / "ledger.db") as store:
        store.append(KeyPair.generate(), "flag", {"target": TARGET, "reason": "mine"})
    first = musette(home, "node", "sync", node.url, "--json")
    assert first.returncode == 0, first.stderr
    report = json.loads(first.stdout)
    assert report["pulled"] == 15
    assert report["pushed"] == 1
    assert report["error"] is None
    again = json.loads(musette(home, "node", "sync", node.url, "--json").stdout)
    assert again["in_sync"] is True
    assert again["bytes_out"] <= 128
    assert again["bytes_in"] <= 128
    text = musette(home, "node", "sync", node.url)
    assert "already in sync" in text.stdout
    peers = json.loads(musette(home, "node", "peers", "--json").stdout)["peers"]
    assert [p["address"] for p in peers] == [node.url]
    assert peers[0]["peer"] == node.health()["node"]
    assert peers[0]["score"] > 0


def test_push_hands_over_only_what_the_node_lacks(tmp_path: Path, node: NodeProcess) -> None:
    home = tmp_path / "issuer"
    key = KeyPair.generate()
    with LedgerStore(home / "ledger.db") as store:
        store.append_many(key, [("flag", {"target": TARGET, "reason": str(i)}) for i in range(4)])
    pushed = json.loads(musette(home, "ledger", "push", node.url, "--json").stdout)
    assert (pushed["sent"], pushed["stored"], pushed["refused"]) == (4, 4, [])
    with LedgerStore(home / "ledger.db") as store:
        store.append(key, "flag", {"target": TARGET, "reason": "one more"})
    again = json.loads(musette(home, "ledger", "push", node.url, "--json").stdout)
    assert (again["sent"], again["stored"]) == (1, 1)


def test_errors_are_one_line(tmp_path: Path) -> None:
    (dead,) = free_ports(1)
    home = tmp_path / "h"
    for args in (
        ("node", "sync", f"http://127.0.0.1:{dead}"),
        ("ledger", "push", f"http://127.0.0.1:{dead}"),
        ("node", "sync", "ftp://example.org"),
        ("node", "serve", "--fanout", "9"),
    ):
        result = musette(home, *args)
        assert result.returncode in (1, 2), args
        lines = [line for line in result.stderr.splitlines() if "insecure-test" not in line]
        assert len(lines) == 1, (args, result.stderr)
        assert lines[0].startswith("musette: error:"), lines
    assert json.loads(musette(home, "node", "peers", "--json").stdout)["peers"][0]["score"] < 0


def test_status_from_an_unreachable_node_is_an_error(tmp_path: Path) -> None:
    (dead,) = free_ports(1)
    credential = tmp_path / "c.json"
    home = tmp_path / "h"
    did = json.loads(musette(home, "id", "new", "--json").stdout)["did"]
    issued = musette(
        home, "issue", "skill", "--subject", did, "--skill", "Knitting", "--out", str(credential)
    )
    assert issued.returncode == 0, issued.stderr
    result = musette(home, "status", str(credential), "--node", f"http://127.0.0.1:{dead}")
    assert result.returncode == 2
    assert "cannot reach the node" in result.stderr
