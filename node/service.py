"""A running node: the home's ledger, its own identity, its peers and its gossip
(:class:`NodeService`), shared by the HTTP app (:mod:`node.api`) and ``musette node``.
"""

from __future__ import annotations

import hashlib
import logging
import threading
import time
from collections.abc import Callable, Iterable
from datetime import UTC, datetime
from typing import Any, Final

from credentials.keys import KeyPair
from ledger.bundle import Bundle
from ledger.errors import StatusListError
from ledger.statuslist import PURPOSES, list_of_credential, list_owner
from ledger.store import IngestReport, LedgerStore
from ledger.trust_ledger import trust_graph
from ledger.trust_snapshot import snapshot_bodies
from wallet.errors import IdentityError

from .gossip.engine import GossipConfig, GossipNode, RoundReport, Transport
from .gossip.peers import PeerBook
from .gossip.replica import StoreReplica
from .home import Home
from .ledger_cli import status_list_document
from .mailbox import Mailboxes
from .nodedb import NodeDatabase

__all__ = ["NODE_IDENTITY", "NodeService", "node_key", "normalize_address"]

NODE_IDENTITY: Final = "node"
log = logging.getLogger("musette.node")


def node_key(home: Home) -> KeyPair:
    """The node's own did:key (identity ``node`` of the home, created on first use; never
    the home's default persona)."""
    identities = home.identities
    try:
        identities.find(NODE_IDENTITY)
    except IdentityError:
        identities.create(NODE_IDENTITY, may_be_default=False)
    return identities.key(NODE_IDENTITY)


def normalize_address(url: str) -> str:
    """A peer's base URL, as peers are compared: scheme and host, no trailing slash."""
    text = url.strip().rstrip("/")
    if not text.startswith(("http://", "https://")):
        raise ValueError(f"a node address is an http:// or https:// URL, not {url!r}")
    return text


class NodeService:
    """One node over one home. Thread-safe: the HTTP handlers and the gossip loop share it
    (the ledger connection is behind the replica's lock)."""

    def __init__(
        self,
        home: Home,
        *,
        peers: Iterable[str] = (),
        fanout: int = 3,
        clock: Callable[[], float] = time.time,
        key: KeyPair | None = None,
    ) -> None:
        self.home = home
        self.clock = clock
        self.key = key or node_key(home)
        self.store = LedgerStore(home.path / "ledger.db", shared=True)
        self.db = NodeDatabase(home.path / "node.db")
        self.mailboxes = Mailboxes(self.db, clock=clock)
        self.replica = StoreReplica(self.store)
        self.peers = PeerBook(self.db, clock=clock)
        self.gossip = GossipNode(
            self.key, self.replica, self.peers, clock=clock, config=GossipConfig(fanout=fanout)
        )
        self.addresses: set[str] = {normalize_address(p) for p in peers}
        self.addresses |= set(self.db.addresses())
        self.rounds = 0
        self.last_round: list[RoundReport] = []
        self.last_round_at: float | None = None
        self.started = clock()
        self._stop = threading.Event()
        self._trust_inputs: bytes | None = None

    @property
    def did(self) -> str:
        return self.key.did

    def close(self) -> None:
        self._stop.set()
        with self.replica.lock:
            self.store.close()
        self.db.close()

    # -- gossip ---------------------------------------------------------------------------

    def gossip_round(self, transport: Transport) -> list[RoundReport]:
        reports = self.gossip.round(transport, self.addresses)
        self.rounds += 1
        self.last_round = reports
        self.last_round_at = self.clock()
        for report in reports:
            if report.error:
                log.info("round with %s: %s", report.address, report.error)
            elif not report.in_sync:
                log.info(
                    "round with %s: pulled %d, pushed %d, forks %d",
                    report.address,
                    report.pulled,
                    report.pushed,
                    report.forks,
                )
        return reports

    def run_gossip(
        self, transport: Transport, interval: float, trust_interval: float = 0.0
    ) -> None:
        """Gossip every ``interval`` seconds until :meth:`stop` (the serve loop's thread),
        and publish a trust snapshot every ``trust_interval`` seconds (0: never) when the
        home has anchors and the trust inputs changed."""
        next_trust = self.clock()
        while not self._stop.wait(interval):
            try:
                self.gossip_round(transport)
                if trust_interval > 0 and self.clock() >= next_trust:
                    next_trust = self.clock() + trust_interval
                    self.publish_trust()
            except Exception:  # a round must never end the loop; it is logged
                log.exception("gossip round failed")

    def stop(self) -> None:
        self._stop.set()

    def publish_trust(self) -> int:
        """Sign a trust snapshot from the home's anchors into the node's feed when the
        trust inputs changed since the last one; the number of entries written."""
        anchors = self.home.trust_anchors()
        if not anchors:
            return 0
        with self.replica.lock:
            graph = trust_graph(self.store)
            if not len(graph):
                return 0  # nobody vouches for anybody yet: nothing to say
            inputs = hashlib.sha256(
                repr(
                    (
                        graph.nodes,
                        graph.src.tolist(),
                        graph.dst.tolist(),
                        graph.skill.tolist(),
                        graph.level.tolist(),
                        graph.flags,
                        sorted(graph.forked),
                        anchors,
                    )
                ).encode()
            ).digest()
            if inputs == self._trust_inputs:
                return 0
            bodies = snapshot_bodies(graph, anchors)
            entries = self.store.append_many(self.key, [("trust-snapshot", b) for b in bodies])
            self.replica.wrote([self.key.did])
            self._trust_inputs = inputs
        log.info("published a trust snapshot (%d entries)", len(entries))
        return len(entries)

    # -- what the HTTP routes need ------------------------------------------------------------

    def summary(self) -> dict[str, Any]:
        index = self.replica.index()
        heads = list(index)
        return {
            "status": "ok",
            "node": self.did,
            "version": "0.1.0",
            "feeds": sum(1 for h in heads if not h.forked),
            "entries": sum(h.size for h in heads),
            "forks": sum(1 for h in heads if h.forked),
            "digest": index.fingerprint("").hex(),
            "peers": len(self.addresses),
            "rounds": self.rounds,
            "last_round": _iso(self.last_round_at),
        }

    def submit(self, bundle: Bundle) -> IngestReport:
        return self.replica.ingest(bundle.entries, bundle.checkpoints, [])

    def accept_status_list(self, document: dict[str, Any]) -> bool:
        """Keep a signed list credential to serve (the caller verified its proof): its id
        must name a list of its own issuer. True if newer than the one held."""
        issuer = document.get("issuer")
        issuer = issuer.get("id") if isinstance(issuer, dict) else issuer
        base, purpose = list_of_credential(str(document.get("id", "")))
        subject = document.get("credentialSubject")
        if not isinstance(subject, dict) or subject.get("statusPurpose") != purpose:
            raise StatusListError(f"{document.get('id')} does not state its purpose {purpose}")
        owner = list_owner(base)
        if owner != issuer:
            raise StatusListError(f"{base} is a list of {owner}, not of its issuer {issuer}")
        valid_from = document.get("validFrom")
        if not isinstance(valid_from, str):
            raise StatusListError("a status list credential needs validFrom")
        return self.db.put_status_list(_list_key(base), purpose, valid_from, document)

    def status_list(self, fingerprint: str, number: int, purpose: str) -> dict[str, Any] | None:
        """The signed list credential ``/status/<fingerprint>/<number>/<purpose>``: freshly
        signed from the ledger when its issuer is an identity of this home, else the latest
        one its issuer handed to this node, else None."""
        owner = "did:key:" + fingerprint
        if purpose not in PURPOSES:
            return None
        mine = [i for i in self.home.identities.list() if i.did == owner]
        if mine and mine[0].name != NODE_IDENTITY:
            key = self.home.identities.key(mine[0].name)
            with self.replica.lock:
                return status_list_document(self.store, key, purpose, number)
        return self.db.status_list(f"{fingerprint}/{number}", purpose)


def _list_key(list_id: str) -> str:
    """``<fingerprint>/<number>`` of a list id, whatever node URL it names."""
    number = list_id.rsplit(":" if list_id.startswith("urn:") else "/", 1)[1]
    return f"{list_owner(list_id).removeprefix('did:key:')}/{number}"


def _iso(when: float | None) -> str | None:
    if when is None:
        return None
    return datetime.fromtimestamp(when, UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
