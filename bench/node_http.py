"""The node's HTTP service under concurrent clients: requests per second and p50/p99
latency of its routes, beside a trivial FastAPI route served the same way.

Two uvicorn processes on loopback, each one worker with the settings ``musette node
serve`` uses (``log_level="warning"``, ``access_log=False``, ``lifespan="off"``): the node
(:func:`node.api.create_app` over a fresh home, its API rate limit and its per-peer gossip
bucket opened wide so the bench measures work, not refusals) and a throwaway app with one
route, ``GET /ping`` returning ``{}``. Clients are threads of this process, one
``httpx.Client`` (keep-alive) each, at ``--clients`` concurrencies (8 and 32 by default),
each firing requests back to back for ``--seconds`` per route. Routes:

* ``GET /ping`` — the trivial route, the baseline of the ratio column;
* ``GET /health`` — the node's summary (a head index and a count);
* ``POST /credentials/verify`` — a real ``eddsa-rdfc-2022`` skill attestation (RDF
  canonicalization and an Ed25519 verify per request, status looked up in the ledger);
* ``GET /feeds/{author}/entries`` — a feed of ``--entries`` signed flag entries, with its
  checkpoint;
* ``POST /gossip`` — a signed DIGEST envelope (126 bytes) from one of 64 peer keys; the
  node verifies it and answers with its own signed digest.

``ratio`` is the route's requests per second ÷ ``/ping``'s at the same concurrency. The
clients share this process's GIL, so the trivial route's figure is partly the clients'
own ceiling; the ratio says how much the node's work costs beyond HTTP itself.

Run: ``.venv/bin/python bench/node_http.py [--quick]``. Prints a table; asserts nothing.
"""

from __future__ import annotations

import argparse
import json
import os
import socket
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import httpx

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from credentials.issuance import issue
from credentials.keys import KeyPair
from credentials.models import SkillAttestation
from ledger.store import LedgerStore
from node.gossip.wire import MessageType, seal

FLAG_TARGET = "did:key:z6MkhaXgBZDvotDkL5257faiztiGiC2QtKLGpbnnEGta2doK"
PEERS = 64


# -- the servers (child processes) ------------------------------------------------------------


def serve(kind: str, home: Path) -> None:
    """Serve the node over ``home`` (or the ping app) on a free loopback port; print it."""
    import uvicorn
    from fastapi import FastAPI

    if kind == "node":
        from node.api import ApiLimits, create_app
        from node.home import Home
        from node.service import NodeService

        service = NodeService(Home(home), key=KeyPair.generate())
        service.peers.rate = service.peers.burst = 1e9
        app = create_app(service, ApiLimits(rate=1e9, burst=1e9))
    else:
        app = FastAPI()

        @app.get("/ping")
        def ping() -> dict[str, str]:
            return {}

    # IPPROTO_TCP, not 0: asyncio sets TCP_NODELAY only on sockets whose proto says TCP,
    # and without it each response waits ~40 ms on the client's delayed ACK.
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM, socket.IPPROTO_TCP)
    sock.bind(("127.0.0.1", 0))
    print(sock.getsockname()[1], flush=True)
    config = uvicorn.Config(app, log_level="warning", access_log=False, lifespan="off")
    uvicorn.Server(config).run(sockets=[sock])


class Server:
    """This script run as ``--serve KIND`` in a child process."""

    def __init__(self, kind: str, home: Path) -> None:
        self.process = subprocess.Popen(
            [sys.executable, __file__, "--serve", kind, "--home", str(home)],
            stdout=subprocess.PIPE,
            text=True,
        )
        assert self.process.stdout is not None
        port = self.process.stdout.readline().strip()
        if not port:
            raise SystemExit(f"the {kind} server did not start")
        self.url = f"http://127.0.0.1:{port}"
        deadline = time.monotonic() + 30
        while True:
            try:
                httpx.get(self.url + "/", trust_env=False, timeout=1)
                return
            except httpx.HTTPError:
                if time.monotonic() > deadline:
                    raise
                time.sleep(0.05)

    def stop(self) -> None:
        self.process.terminate()
        self.process.wait(timeout=30)


# -- the workloads --------------------------------------------------------------------------


@dataclass(frozen=True)
class Workload:
    name: str
    server: str  # "node" or "ping"
    call: Callable[[httpx.Client, int], httpx.Response]


def prepare(home: Path, entries: int) -> list[Workload]:
    """A feed in the node's home before it starts; a credential and gossip requests."""
    author = KeyPair.generate()
    with LedgerStore(home / "ledger.db") as store:
        store.append_many(
            author, [("flag", {"target": FLAG_TARGET, "reason": f"{i}"}) for i in range(entries)]
        )
    issuer, worker = KeyPair.generate(), KeyPair.generate()
    credential = issue(
        SkillAttestation(
            issuer=issuer.did, subject=worker.did, skill="TIG welding", level=5
        ).to_jsonld(),
        issuer,
    )
    verify_body = json.dumps({"verifiableCredential": credential}).encode()
    # Replays are fine: a request is only refused once its time is MAX_SKEW (300 s) old.
    now = int(time.time())
    digests = [
        seal(KeyPair.generate(), MessageType.DIGEST, b"\0" * 16, time=now) for _ in range(PEERS)
    ]
    json_type = {"content-type": "application/json"}
    cbor_type = {"content-type": "application/cbor"}

    def expect(response: httpx.Response, status: int = 200) -> httpx.Response:
        if response.status_code != status:
            raise SystemExit(f"{response.request.url}: HTTP {response.status_code} {response.text}")
        return response

    return [
        Workload("GET /ping (trivial)", "ping", lambda c, i: expect(c.get("/ping"))),
        Workload("GET /health", "node", lambda c, i: expect(c.get("/health"))),
        Workload(
            "POST /credentials/verify",
            "node",
            lambda c, i: expect(
                c.post("/credentials/verify", content=verify_body, headers=json_type)
            ),
        ),
        Workload(
            f"GET /feeds/…/entries ({entries})",
            "node",
            lambda c, i: expect(c.get(f"/feeds/{author.did}/entries")),
        ),
        Workload(
            "POST /gossip (digest)",
            "node",
            lambda c, i: expect(c.post("/gossip", content=digests[i % PEERS], headers=cbor_type)),
        ),
    ]


@dataclass(frozen=True)
class Result:
    requests: int
    seconds: float
    p50: float
    p99: float

    @property
    def rate(self) -> float:
        return self.requests / self.seconds


def run(url: str, workload: Workload, clients: int, seconds: float) -> Result:
    """``clients`` threads firing ``workload`` back to back for ``seconds``."""
    latencies: list[list[float]] = [[] for _ in range(clients)]
    barrier = threading.Barrier(clients + 1)
    stop_at = [0.0]

    def client(slot: int) -> None:
        with httpx.Client(base_url=url, trust_env=False, timeout=60) as http:
            workload.call(http, slot)  # warm the connection
            barrier.wait()
            mine = latencies[slot]
            i = slot
            while True:
                start = time.perf_counter()
                if start >= stop_at[0]:
                    return
                workload.call(http, i)
                mine.append(time.perf_counter() - start)
                i += clients

    threads = [threading.Thread(target=client, args=(n,)) for n in range(clients)]
    for thread in threads:
        thread.start()
    started = time.perf_counter()
    stop_at[0] = started + seconds
    barrier.wait()
    for thread in threads:
        thread.join()
    elapsed = time.perf_counter() - started
    merged = sorted(x for mine in latencies for x in mine)
    if not merged:
        return Result(0, elapsed, float("nan"), float("nan"))
    return Result(
        len(merged),
        elapsed,
        merged[len(merged) // 2],
        merged[min(len(merged) - 1, int(len(merged) * 0.99))],
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--clients", type=int, nargs="+", default=[8, 32])
    parser.add_argument("--seconds", type=float, default=3.0, help="per route and concurrency")
    parser.add_argument("--entries", type=int, default=100, help="entries in the fetched feed")
    parser.add_argument("--quick", action="store_true", help="1 s per measurement")
    parser.add_argument("--serve", choices=["node", "ping"], help=argparse.SUPPRESS)
    parser.add_argument("--home", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.serve:
        serve(args.serve, args.home)
        return
    seconds = 1.0 if args.quick else args.seconds
    with tempfile.TemporaryDirectory(prefix="musette-bench-http-") as tmp:
        home = Path(tmp) / "node"
        home.mkdir()
        workloads = prepare(home, args.entries)
        servers = {"node": Server("node", home), "ping": Server("ping", home)}
        try:
            print(
                f"Musette node HTTP bench: uvicorn, 1 worker each, loopback; "
                f"{os.cpu_count()} CPUs; {seconds:g} s per row; clients are threads of one process"
            )
            print(
                f"  {'route':<32} {'clients':>7} {'requests':>9} {'req/s':>8} "
                f"{'p50 ms':>8} {'p99 ms':>8} {'ratio':>6}"
            )
            for clients in args.clients:
                baseline = None
                for workload in workloads:
                    result = run(servers[workload.server].url, workload, clients, seconds)
                    baseline = baseline or result.rate
                    print(
                        f"  {workload.name:<32} {clients:>7} {result.requests:>9} "
                        f"{result.rate:>8.0f} {result.p50 * 1000:>8.2f} {result.p99 * 1000:>8.2f} "
                        f"{result.rate / baseline:>6.2f}"
                    )
        finally:
            for server in servers.values():
                server.stop()


if __name__ == "__main__":
    main()
