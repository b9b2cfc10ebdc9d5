"""``musette node serve|peers|sync`` and ``musette ledger push``: running a node, and
handing a home's entries to one (``specs/api.md``, ``specs/gossip.md``)."""

from __future__ import annotations

import contextlib
import logging
import signal
import socket
import threading
import time
from collections.abc import Iterator
from typing import Annotated, Any

import typer
import uvicorn
from rich.progress import BarColumn, Progress, TextColumn

from ledger import merkle
from ledger.bundle import Bundle
from ledger.statuslist import list_owner
from ledger.store import LedgerStore

from .client import HttpTransport, NodeClient
from .common import Failed, HomeOpt, JsonOpt, app, home_path
from .home import Home
from .ledger_cli import ledger_app, status_list_document
from .nodedb import NodeDatabase
from .output import emit_json, stderr, stdout
from .service import NodeService, normalize_address

node_app = typer.Typer(
    help="Run a node: serve the ledger over HTTP and gossip.", no_args_is_help=True
)
app.add_typer(node_app, name="node")

_STEPS = ("digest", "reconcile", "pull", "push")


def _address(url: str) -> str:
    try:
        return normalize_address(url)
    except ValueError as e:
        raise typer.BadParameter(str(e)) from e


@node_app.command("serve")
def serve(
    host: Annotated[str, typer.Option(help="Address to listen on.")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="Port (0: any free port, printed).")] = 8470,
    peer: Annotated[
        list[str] | None, typer.Option("--peer", help="Another node's URL (repeatable).")
    ] = None,
    interval: Annotated[float, typer.Option(help="Seconds between gossip rounds.")] = 2.0,
    fanout: Annotated[int, typer.Option(help="Peers per round (at most 3).")] = 3,
    trust_interval: Annotated[
        float,
        typer.Option(help="Seconds between trust snapshots from your anchors (0: never)."),
    ] = 600.0,
    home: HomeOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """Serve this home's ledger and gossip with peers until interrupted (Ctrl-C)."""
    from .api import create_app

    if not 1 <= fanout <= 3:
        raise typer.BadParameter("fanout is 1 to 3")
    if interval <= 0:
        raise typer.BadParameter("interval must be positive")
    peers = [_address(p) for p in peer or []]
    logging.basicConfig(level=logging.INFO, format="musette node: %(message)s")
    logging.getLogger("httpx").setLevel(logging.WARNING)
    service = NodeService(Home(home_path(home)), peers=peers, fanout=fanout)
    # IPPROTO_TCP named explicitly: asyncio sets TCP_NODELAY only on sockets that say TCP,
    # and without it every response waits ~40 ms for the client's delayed ACK.
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    listener = socket.socket(family, socket.SOCK_STREAM, socket.IPPROTO_TCP)
    listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    try:
        listener.bind((host, port))
    except OSError as e:
        service.close()
        raise typer.BadParameter(f"cannot listen on {host}:{port}: {e.strerror}") from e
    bound = listener.getsockname()[1]
    url = f"http://{host}:{bound}"
    config = uvicorn.Config(
        create_app(service), log_level="warning", access_log=False, lifespan="off"
    )
    server = _Server(config)
    for signum in (signal.SIGINT, signal.SIGTERM):
        signal.signal(signum, server.request_exit)
    transport = HttpTransport()
    gossip = threading.Thread(
        target=service.run_gossip,
        args=(transport, interval, trust_interval),
        name="gossip",
        daemon=True,
    )
    summary = service.summary()
    if as_json:
        emit_json({"url": url, **summary})
    else:
        stdout.print(
            f"node {service.did}\nserving {summary['feeds']} feeds at {url}; "
            f"gossip every {interval:g} s with {len(service.addresses)} peers (Ctrl-C stops)"
        )
    gossip.start()
    try:
        server.run(sockets=[listener])
    finally:
        service.stop()
        gossip.join(timeout=30)
        transport.close()
        service.close()
        listener.close()
    if not as_json:
        stdout.print("node stopped")


class _Server(uvicorn.Server):
    """uvicorn, with our own Ctrl-C and SIGTERM handling: both ask for a clean shutdown,
    after which ``serve`` closes the gossip loop and the databases and exits 0 (uvicorn's
    own handling re-raises the signal once the server is down)."""

    @contextlib.contextmanager
    def capture_signals(self) -> Iterator[None]:
        yield

    def request_exit(self, signum: int, frame: object) -> None:
        self.should_exit = True


@node_app.command("peers")
def peers_cmd(home: HomeOpt = None, as_json: JsonOpt = False) -> None:
    """Peers this home's node knows: address, score, bans (read from node.db)."""
    path = home_path(home) / "node.db"
    if not path.exists():
        records = []
    else:
        db = NodeDatabase(path)
        try:
            records = list(db.load())
        finally:
            db.close()
    now = time.time()
    rows = [r.to_json(now) for r in sorted(records, key=lambda r: (r.address or "", r.peer))]
    if as_json:
        emit_json({"peers": rows})
        return
    if not rows:
        stdout.print("no peers yet")
    for row in rows:
        state = "DROPPED" if row["banned"] else "ok"
        why = f" (last: {row['last_reason']})" if row["last_reason"] else ""
        stdout.print(f"{row['address'] or '-'}  {row['peer']}  score {row['score']}  {state}{why}")


@node_app.command("sync")
def sync_cmd(
    url: Annotated[str, typer.Argument(help="The node to gossip with, now.")],
    home: HomeOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """One push-pull round with the node at URL, now (the home needs no running node)."""
    address = _address(url)
    service = NodeService(Home(home_path(home)), peers=[address])
    transport = HttpTransport()
    try:
        with Progress(
            TextColumn("sync with {task.fields[peer]}: {task.description}"),
            BarColumn(),
            console=stderr,
            transient=True,
            disable=as_json or not stderr.is_terminal,
        ) as bar:
            task = bar.add_task("digest", total=len(_STEPS), peer=address)

            def step(name: str) -> None:
                bar.update(task, description=name, completed=_STEPS.index(name))

            report = service.gossip.sync(transport, address, progress=step)
            bar.update(task, completed=len(_STEPS))
    finally:
        transport.close()
        service.close()
    if as_json:
        emit_json(report.to_json())
    elif report.error:
        stderr.print(f"musette: error: sync with {address} failed: {report.error}")
    elif report.in_sync:
        stdout.print(f"already in sync with {address} ({report.bytes_out + report.bytes_in} bytes)")
    else:
        stdout.print(
            f"synced with {address}: {report.differing} feeds differed, pulled "
            f"{report.pulled} entries, pushed {report.pushed}, {report.forks} fork proofs "
            f"({report.messages} messages, {report.bytes_out + report.bytes_in} bytes)"
        )
        for reason in report.refused[:10]:
            stdout.print(f"  refused: {reason}")
    if report.error:
        raise Failed


@ledger_app.command("push")
def ledger_push(
    url: Annotated[str, typer.Argument(help="The node to hand this home's entries to.")],
    home: HomeOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """Hand a node the entries it lacks from this home's ledger, and the home's signed
    status lists to serve (for a home that runs no node)."""
    out = push_ledger(Home(home_path(home)), _address(url))
    served = out["status_lists"]
    address = out["node"]
    if as_json:
        emit_json(out)
    else:
        stdout.print(
            f"{out['sent']} entries sent to {address}: {out['stored']} stored, "
            f"{out['known']} already known, {len(out['refused'])} refused; "
            f"{len(served)} status lists handed over"
        )
        for reason in out["refused"][:10]:
            stdout.print(f"  refused: {reason}")
    if out["refused"]:
        raise Failed


def push_ledger(place: Home, address: str) -> dict[str, Any]:
    """Hand the node at ``address`` what it lacks of ``place``'s ledger, and the home's
    freshly signed status lists; what was sent, stored and refused."""
    with NodeClient(address) as client:
        theirs = _node_heads(client)
        with place.ledger() as store:
            starts: dict[str, int] = {}
            skipped: list[str] = []
            for author, size, _root in store.heads():
                known = theirs.get(author)
                if known is None:
                    starts[author] = 0
                elif known[0] is None:
                    skipped.append(f"{author}: the node holds a fork proof against it")
                elif known[0] < size:
                    if merkle.root(store.leaf_hashes(author, known[0])) != known[1]:
                        skipped.append(f"{author}: the node's copy forked from ours")
                    else:
                        starts[author] = known[0]
            bundle = Bundle.of_store(store, sorted(starts), starts)
            lists = _own_status_lists(place, store)
        result: dict[str, Any] = {"stored": 0, "known": 0, "refused": [], "forks": []}
        if bundle.entries:
            result = client.post_cbor("/entries", bundle.to_bytes())
        served = [client.post_json("/status-lists", doc).get("id") for doc in lists]
    return {
        "node": address,
        "sent": len(bundle.entries),
        "stored": result.get("stored", 0),
        "known": result.get("known", 0),
        "refused": result.get("refused", []) + skipped,
        "forks": result.get("forks", []),
        "status_lists": served,
    }


def _node_heads(client: NodeClient) -> dict[str, tuple[int | None, bytes]]:
    """The node's heads: author -> (size, root), size None for a forked author."""
    heads: dict[str, tuple[int | None, bytes]] = {}
    after = ""
    while True:
        page = client.get("/feeds", after=after, limit=5000)
        for feed in page.get("feeds", []):
            size = None if feed.get("forked") else int(feed["size"])
            heads[str(feed["author"])] = (size, bytes.fromhex(feed.get("root") or ""))
        after = page.get("next") or ""
        if not after:
            return heads


def _own_status_lists(place: Home, store: LedgerStore) -> list[dict[str, Any]]:
    """Freshly signed list credentials of every list this home's issuers allocated from."""
    lists = [r[0] for r in store.db.conn.execute("SELECT DISTINCT list FROM allocations")]
    if not lists:
        return []
    mine = {i.did: i.name for i in place.identities.list()}
    documents = []
    for list_id in sorted(lists):
        owner = list_owner(list_id)
        if owner not in mine:
            continue
        key = place.identities.key(mine[owner])
        number = int(list_id.rsplit(":" if list_id.startswith("urn:") else "/", 1)[1])
        for purpose in ("revocation", "suspension"):
            documents.append(status_list_document(store, key, purpose, number))
    return documents
