"""The exchange commands: a request handed over as a file, one-line errors, and answers
that are not ours refused."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from node.processes import NodeProcess, free_ports
from tests.cli import error_line, musette, ok


@pytest.fixture(scope="module")
def node(tmp_path_factory: pytest.TempPathFactory) -> Iterator[NodeProcess]:
    process = NodeProcess(tmp_path_factory.mktemp("mail") / "node", free_ports(1)[0], interval=60)
    yield process.start()
    process.stop()


def test_a_request_handed_over_as_a_file(tmp_path: Path, node: NodeProcess) -> None:
    worker, peer = tmp_path / "worker", tmp_path / "peer"
    ok(worker, "id", "new", "--name", "chloe")
    ok(peer, "id", "new", "--name", "amira")
    card = ok(peer, "card")["card"]  # no mailbox node on this card
    ok(worker, "contacts", "add", card)
    refused = musette(
        worker, "ask", "amira", "--skill", "Welding", "--context", "x", "--reply-node", node.url
    )
    assert refused.returncode == 2
    assert "--out" in error_line(refused)
    handed = tmp_path / "request.sealed"
    ok(
        worker, "ask", "amira", "--skill", "Welding", "--context", "The shipyard",
        "--reply-node", node.url, "--out", str(handed),
    )  # fmt: skip
    waiting = ok(peer, "requests", "--file", str(handed))["requests"]
    assert [r["skill"] for r in waiting] == ["Welding"]
    ok(peer, "answer", waiting[0]["id"][:6], "--level", "4")
    assert ok(peer, "requests")["requests"] == []  # answered: no longer waiting
    inbox = ok(worker, "inbox", "--node", node.url)
    assert len(inbox["pending"]) == 1
    assert inbox["pending"][0]["skill"] == "Welding"
    # A request sealed for someone else is refused, and says why.
    other = tmp_path / "other"
    ok(other, "id", "new", "--name", "bastien")
    assert "not a request sealed for" in error_line(
        musette(other, "requests", "--file", str(handed))
    )


def test_errors_are_one_line(tmp_path: Path, node: NodeProcess) -> None:
    home = tmp_path / "h"
    ok(home, "id", "new", "--name", "x")
    for args, fragment in (
        (("ask", "nobody", "--skill", "s", "--context", "c", "--reply-node", node.url), "contact"),
        (("answer", "nope"), "no single waiting request"),
        (("decline", "nope"), "no single waiting request"),
        (("contacts", "add", "musette-contact:AAAA"), "contact"),
        (("ask", "x", "--skill", "s", "--context", "c", "--reply-node", "ftp://x"), "URL"),
    ):
        result = musette(home, *args)
        assert result.returncode == 2, args
        assert fragment in error_line(result), args
