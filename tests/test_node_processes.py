"""Several ``musette node serve`` processes on loopback: revocations spread, a node killed
with SIGKILL loses nothing it acknowledged, and malicious peers are refused and dropped
while honest nodes keep converging."""

from __future__ import annotations

import http.server
import json
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from credentials.keys import KeyPair
from ledger import merkle
from ledger.bundle import Bundle, FeedPart
from ledger.entries import Checkpoint, Entry
from ledger.store import LedgerStore
from node.gossip.wire import MessageType, open_envelope, seal
from node.processes import NodeProcess, free_ports
from tests.cli import musette


def wait_for(condition: Callable[[], Any], timeout: float = 60.0, what: str = "") -> Any:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = condition()
        if value:
            return value
        time.sleep(0.2)
    raise AssertionError(f"timed out waiting for {what}")


@pytest.fixture
def nodes() -> Iterator[list[NodeProcess]]:
    started: list[NodeProcess] = []
    yield started
    for node in started:
        node.stop()


def status_at(node: NodeProcess, credential: dict[str, Any]) -> str:
    response = httpx.post(
        f"{node.url}/status/check", json={"credential": credential}, trust_env=False, timeout=10
    )
    assert response.status_code == 200, response.text
    return str(response.json()["status"])


def flag_entries(
    key: KeyPair, start: int, count: int, prev: bytes | None, tag: str = ""
) -> list[Entry]:
    out = []
    for seq in range(start, start + count):
        entry = Entry.create(
            key,
            seq=seq,
            prev=prev,
            time=int(time.time()),
            kind="flag",
            body={
                "target": "did:key:z6MkhaXgBZDvotDkL5257faiztiGiC2QtKLGpbnnEGta2doK",
                "reason": f"{tag}{seq}",
            },
        )
        prev = entry.hash
        out.append(entry)
    return out


def test_revocation_reaches_the_farthest_node(tmp_path: Path, nodes: list[NodeProcess]) -> None:
    a, b, c = (tmp_path / n for n in "abc")
    issuer = json.loads(musette(a, "id", "new", "--name", "amira", "--json").stdout)["did"]
    worker = json.loads(musette(tmp_path / "w", "id", "new", "--json").stdout)["did"]
    credential_file = tmp_path / "tig.json"
    result = musette(
        a, "issue", "skill", "--subject", worker, "--skill", "TIG welding", "--as", "amira",
        "--out", str(credential_file),
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    credential = json.loads(credential_file.read_text())
    pa, pb, pc = free_ports(3)
    url = {p: f"http://127.0.0.1:{p}" for p in (pa, pb, pc)}
    # A line: A - B - C. C hears of A's entries only through B.
    nodes += [
        NodeProcess(a, pa, peers=[url[pb]]).start(),
        NodeProcess(b, pb, peers=[url[pa], url[pc]]).start(),
        NodeProcess(c, pc, peers=[url[pb]]).start(),
    ]
    far = nodes[2]
    assert status_at(far, credential) == "unknown"
    rounds_before = far.health()["rounds"]
    # Another command writes to A's home while A serves: the node picks it up.
    revoked = musette(a, "revoke", str(credential_file), "--as", "amira", "--reason", "mistake")
    assert revoked.returncode == 0, revoked.stderr
    wait_for(lambda: status_at(far, credential) == "revoked", what="the revocation at C")
    rounds = far.health()["rounds"] - rounds_before
    assert rounds <= 10, f"took {rounds} rounds of C"
    asked = musette(
        tmp_path / "recruiter", "status", str(credential_file), "--node", far.url, "--json"
    )
    assert asked.returncode == 1
    answer = json.loads(asked.stdout)
    assert answer["status"] == "revoked"
    assert answer["issuer"] == issuer
    digests = {n.health()["digest"] for n in nodes}
    wait_for(lambda: len({n.health()["digest"] for n in nodes}) == 1, what="equal digests")
    assert digests
    for node in nodes:
        assert node.stop() == 0
    assert "node stopped" in nodes[0].log.read_text()
    verified = musette(c, "ledger", "verify", "--json")
    assert verified.returncode == 0
    assert json.loads(verified.stdout)["ok"] is True


def test_sigkill_loses_nothing_acknowledged(tmp_path: Path, nodes: list[NodeProcess]) -> None:
    a, b = tmp_path / "a", tmp_path / "b"
    with LedgerStore(a / "ledger.db") as store:
        for _ in range(12):
            key = KeyPair.generate()
            store.append_many(
                key,
                [
                    (
                        "flag",
                        {
                            "target": "did:key:z6MkhaXgBZDvotDkL5257faiztiGiC2QtKLGpbnnEGta2doK",
                            "reason": str(i),
                        },
                    )
                    for i in range(400)
                ],
            )
    pa, pb = free_ports(2)
    source = NodeProcess(a, pa, interval=30).start()
    nodes.append(source)
    total = source.health()["entries"]
    # Entries handed to B and acknowledged by it must survive a SIGKILL right after.
    key = KeyPair.generate()
    mine = flag_entries(key, 0, 50, None)
    leaves = [merkle.leaf_hash(e.signed) for e in mine]
    checkpoint = Checkpoint.create(key, size=50, root=merkle.root(leaves), time=int(time.time()))
    bundle = Bundle((FeedPart(key.did, [e.signed for e in mine], checkpoint.signed),))
    sink = NodeProcess(b, pb, peers=[source.url], interval=0.2).start()
    ack = httpx.post(
        f"{sink.url}/entries", content=bundle.to_bytes(),
        headers={"content-type": "application/cbor"}, trust_env=False, timeout=30,
    )  # fmt: skip
    assert ack.status_code == 200
    assert ack.json()["stored"] == 50
    # Kill B in the middle of pulling A's 4,800 entries.
    wait_for(lambda: 0 < sink.health()["entries"] < total, timeout=60, what="a partial sync")
    sink.kill()
    with LedgerStore(b / "ledger.db") as store:
        assert store.head(key.did).size == 50
        assert store.verify_all()[1] is None
    restarted = NodeProcess(b, pb, peers=[source.url], interval=0.2).start()
    nodes.append(restarted)
    wait_for(
        lambda: restarted.health()["entries"] == total + 50,
        timeout=120,
        what="B to converge after the restart",
    )
    with LedgerStore(b / "ledger.db") as store:
        assert store.verify_all() == (total + 50, None)


class _Garbage(http.server.BaseHTTPRequestHandler):
    """A peer that answers every gossip request with bytes that mean nothing."""

    def do_POST(self) -> None:
        self.rfile.read(int(self.headers.get("content-length", 0)))
        body = b"\x86\x01\x01garbage"
        self.send_response(200)
        self.send_header("content-type", "application/cbor")
        self.send_header("content-length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args: object) -> None:
        pass


def _gossip(url: str, key: KeyPair, kind: MessageType, body: Any) -> httpx.Response:
    request = seal(key, kind, body, time=int(time.time()))
    return httpx.post(
        f"{url}/gossip", content=request,
        headers={"content-type": "application/cbor"}, trust_env=False, timeout=10,
    )  # fmt: skip


def _peer(url: str, did: str) -> dict[str, Any] | None:
    peers = httpx.get(f"{url}/peers", trust_env=False, timeout=10).json()["peers"]
    return next((p for p in peers if did in (p["peer"], p["address"])), None)


def test_malicious_peers_are_refused_and_dropped(tmp_path: Path, nodes: list[NodeProcess]) -> None:
    garbage = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _Garbage)
    threading.Thread(target=garbage.serve_forever, daemon=True).start()
    liar = f"http://127.0.0.1:{garbage.server_address[1]}"
    one, two = tmp_path / "one", tmp_path / "two"
    issuer = json.loads(musette(one, "id", "new", "--name", "amira", "--json").stdout)["did"]
    credential_file = tmp_path / "c.json"
    musette(
        one,
        "issue",
        "skill",
        "--subject",
        issuer,
        "--skill",
        "Bookkeeping",
        "--as",
        "amira",
        "--out",
        str(credential_file),
    )
    credential = json.loads(credential_file.read_text())
    p1, p2 = free_ports(2)
    honest = NodeProcess(one, p1, peers=[f"http://127.0.0.1:{p2}", liar], interval=0.3).start()
    other = NodeProcess(two, p2, peers=[honest.url], interval=0.3).start()
    nodes += [honest, other]
    try:
        # Forged entries: a well-signed envelope carrying an entry whose signature is broken.
        mallory = KeyPair.generate()
        entries = flag_entries(mallory, 0, 3, None)
        forged = bytearray(entries[0].signed)
        forged[-5] ^= 0x01
        answer = _gossip(
            honest.url,
            mallory,
            MessageType.PUSH,
            {"forks": [], "feeds": [[mallory.did, 0, [bytes(forged)], None, []]]},
        )
        assert answer.status_code == 200
        reply = open_envelope(
            answer.content, now=int(time.time()), answering=answer.request.content
        )
        assert reply.body["stored"] == 0
        assert reply.body["refused"]
        assert honest.health()["entries"] == 0
        assert _peer(honest.url, mallory.did)["score"] < 0  # type: ignore[index]

        # A forked feed: Mallory's own feed, then another entry 2 of it.
        good = [e.signed for e in entries]
        _gossip(
            honest.url,
            mallory,
            MessageType.PUSH,
            {"forks": [], "feeds": [[mallory.did, 0, good, None, []]]},
        )
        assert honest.health()["entries"] == 3
        other_two = flag_entries(mallory, 2, 1, entries[1].hash, tag="other ")[0]
        assert other_two.signed != entries[2].signed
        _gossip(
            honest.url,
            mallory,
            MessageType.PUSH,
            {"forks": [], "feeds": [[mallory.did, 2, [other_two.signed], None, []]]},
        )
        assert honest.health()["forks"] == 1
        assert _peer(honest.url, mallory.did)["banned"]  # type: ignore[index]
        refused = _gossip(honest.url, mallory, MessageType.DIGEST, b"")
        assert refused.status_code == 403
        assert refused.headers["content-type"].startswith("application/problem+json")

        # Oversized bodies are refused before they are read.
        huge = httpx.post(
            f"{honest.url}/gossip", content=b"\0" * (5 * 1024 * 1024),
            headers={"content-type": "application/cbor"}, trust_env=False, timeout=30,
        )  # fmt: skip
        assert huge.status_code == 413

        # A flood from another key: rate-limited, then dropped.
        flooder = KeyPair.generate()
        codes = [
            _gossip(honest.url, flooder, MessageType.DIGEST, b"").status_code for _ in range(300)
        ]
        assert 429 in codes
        assert codes[-1] == 403

        # The peer answering garbage is dropped by the honest node's own rounds.
        wait_for(lambda: (_peer(honest.url, liar) or {}).get("banned"), what="the liar dropped")

        # Meanwhile honest nodes converge: the fork mark and a new revocation reach node two.
        revoked = musette(one, "revoke", str(credential_file), "--as", "amira")
        assert revoked.returncode == 0, revoked.stderr
        wait_for(lambda: status_at(other, credential) == "revoked", what="the revocation")
        wait_for(lambda: other.health()["forks"] == 1, what="the fork proof at node two")
    finally:
        garbage.shutdown()
        garbage.server_close()
