"""Gossip convergence and bytes: the real gossip core over a simulated network.

Every node is a :class:`~node.gossip.engine.GossipNode` with its own Ed25519 node key, over
a deferred :class:`~node.gossip.memory.MemoryReplica` cloned from one template ledger of
real signed feeds (verified once, in the template); messages are real signed envelopes,
every entry a node receives is verified again by it. The network is
:class:`~node.gossip.memory.MemoryNetwork`, with fixed seeds.

1. **Spread of a revocation.** One new revocation (with its author's new checkpoint) is
   written at one random live node before round 1. In each round every live node calls
   ``node.round()`` (at most ``fanout`` = 3 peers, push-pull), then every replica commits
   what it received: a round is synchronous, news crosses one hop per round. The count is
   the rounds until at least 99.9 % of live nodes hold the entry.

   Membership: every node knows every address (full membership, which the targets
   assume). So that a round costs O(fanout) and not O(N log N) per node (``round()``
   sorts its address list), each node is handed, each round, a fresh uniform sample of
   ``--offer`` addresses of the full list (never itself) to choose its peers from: a
   uniform choice of 3 among a uniform sample is a uniform choice among all.

   Scenarios: 1,000 nodes; with 10 % of messages lost (each request and each response,
   independently: a lost message ends that exchange); with 20 % silent nodes (crashed:
   they neither answer nor start rounds, and are not counted among the holders needed);
   10,000 nodes. A round is 10 s of the shared simulated clock (ban back-offs count in it).
   Rounds are shown as p50/p99/max over seeds (nearest rank: with 20 seeds p99 is the max).

2. **Bytes.** Two nodes already in sync: one exchange, both ways, signatures included.
   Then growth: two replicas of a ledger of 1,000 feeds × 10 entries (10^4 entries), one
   of which gets 10 new entries (with checkpoints) in 10 different feeds; rounds of
   ``sync`` until their root fingerprints agree, bytes summed both ways; again with
   10,000 feeds × 10 entries (10^5 entries). Measured with the node lacking the entries
   starting the rounds (pull) and with the node holding them starting (push).

Run: ``.venv/bin/python bench/gossip.py [--quick] [--workers N]``. Prints figures and ends
with one line per target; asserts nothing. Seeds run in parallel over ``--workers``
processes (default: the CPU count).
"""

from __future__ import annotations

import argparse
import hashlib
import math
import multiprocessing
import os
import random
import sys
import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from credentials.keys import KeyPair
from ledger import merkle
from ledger.entries import Checkpoint, Entry
from ledger.statuslist import list_id
from node.gossip.engine import GossipNode, RoundReport
from node.gossip.memory import MemoryNetwork, MemoryReplica
from node.gossip.peers import PeerBook

T = 1_780_000_000
ROUND_SECONDS = 10.0
HOLDERS = 0.999  # fraction of live nodes that must hold the entry
SYNC_BYTES_TARGET = 128  # each way, two nodes in sync
GROWTH_TARGET = 2.0  # bytes at 10^5 entries ÷ bytes at 10^4 entries, 10 differing


@dataclass(frozen=True, slots=True)
class Scenario:
    name: str
    nodes: int
    seeds: int
    target: int  # p99 rounds
    loss: float = 0.0
    silent: float = 0.0


# -- ledgers ------------------------------------------------------------------------------


def key_from(rng: random.Random) -> KeyPair:
    return KeyPair(seed=rng.randbytes(32))


def flag(key: KeyPair, seq: int, prev: bytes | None) -> Entry:
    body = {"target": "did:key:z6MkhaXgBZDvotDkL5257faiztiGiC2QtKLGpbnnEGta2doK", "reason": "r"}
    return Entry.create(key, seq=seq, prev=prev, time=T, kind="flag", body=body)


def revocation(key: KeyPair, seq: int, prev: bytes | None, index: int) -> Entry:
    body = {
        "credential": hashlib.sha256(index.to_bytes(8, "big")).digest(),
        "list": list_id(key.did, 1),
        "index": index,
    }
    return Entry.create(key, seq=seq, prev=prev, time=T, kind="revocation", body=body)


@dataclass(slots=True)
class Feed:
    """An author's feed as written: its key, its entries, the hash of its last entry."""

    key: KeyPair
    entries: list[bytes]
    last: bytes | None
    leaves: list[bytes]

    def append(self, entry: Entry) -> bytes:
        """Append ``entry``; the author's checkpoint of the new size."""
        self.entries.append(entry.signed)
        self.leaves.append(merkle.leaf_hash(entry.signed))
        self.last = entry.hash
        return self.checkpoint()

    def checkpoint(self) -> bytes:
        root = merkle.root(self.leaves)
        return Checkpoint.create(self.key, size=len(self.entries), root=root, time=T).signed


def write_feeds(rng: random.Random, count: int, length: int) -> list[Feed]:
    feeds = []
    for _ in range(count):
        feed = Feed(key_from(rng), [], None, [])
        for seq in range(length):
            entry = flag(feed.key, seq, feed.last)
            feed.entries.append(entry.signed)
            feed.leaves.append(merkle.leaf_hash(entry.signed))
            feed.last = entry.hash
        feeds.append(feed)
    return feeds


def template_of(feeds: Sequence[Feed]) -> MemoryReplica:
    """A replica holding ``feeds`` and their checkpoints, every signature verified once."""
    replica = MemoryReplica()
    for feed in feeds:
        report = replica.ingest(feed.entries, [feed.checkpoint()], [])
        if report.stored != len(feed.entries):
            raise RuntimeError(f"template refused entries: {report.refused[:3]}")
    return replica


# -- 1. spread of a revocation ------------------------------------------------------------


@dataclass(slots=True)
class Spread:
    rounds: int | None  # None: not reached within the round limit
    exchanges: int
    failed: int
    bytes: int
    seconds: float  # the whole run of one seed, building its nodes included
    gossip_seconds: float  # the rounds alone


def spread(scenario: Scenario, seed: int, feeds: int, length: int, offer: int) -> Spread:
    """Rounds until 99.9 % of live nodes hold a revocation written at one of them."""
    started = time.perf_counter()
    rng = random.Random(f"{scenario.name}/{seed}")
    written = write_feeds(rng, feeds, length)
    template = template_of(written)
    now = [float(T)]

    def clock() -> float:
        return now[0]

    network = MemoryNetwork(random.Random(rng.random()), loss=scenario.loss)
    addresses = [f"n{i}" for i in range(scenario.nodes)]
    nodes: dict[str, GossipNode] = {}
    replicas: dict[str, MemoryReplica] = {}
    for address in addresses:
        replica = template.clone(deferred=True)
        node = GossipNode(
            key_from(rng),
            replica,
            PeerBook(clock=clock),
            clock=clock,
            rng=random.Random(rng.random()),
        )
        network.register(address, node.handle)
        nodes[address] = node
        replicas[address] = replica
    network.silent = set(rng.sample(addresses, int(scenario.silent * scenario.nodes)))
    live = [a for a in addresses if a not in network.silent]

    feed = rng.choice(written)
    entry = revocation(feed.key, len(feed.entries), feed.last, seed)
    checkpoint = feed.append(entry)
    origin = rng.choice(live)
    replicas[origin].ingest([entry.signed], [checkpoint], [])
    replicas[origin].commit()

    author = feed.key.did
    needed = math.ceil(HOLDERS * len(live))
    waiting = [a for a in live if a != origin]
    exchanges = failed = total_bytes = 0
    rounds: int | None = None
    gossip_started = time.perf_counter()
    for number in range(1, 61):
        now[0] += ROUND_SECONDS
        order = list(live)
        rng.shuffle(order)
        for address in order:
            others = rng.sample(addresses, offer + 1)
            offered = [a for a in others if a != address][:offer]
            reports: list[RoundReport] = nodes[address].round(network, offered)
            exchanges += len(reports)
            failed += sum(1 for r in reports if r.error is not None)
            total_bytes += sum(r.bytes_out + r.bytes_in for r in reports)
        for replica in replicas.values():
            replica.commit()
        waiting = [a for a in waiting if not replicas[a].holds(author, entry.signed)]
        if len(live) - len(waiting) >= needed:
            rounds = number
            break
    end = time.perf_counter()
    return Spread(rounds, exchanges, failed, total_bytes, end - started, end - gossip_started)


def _spread_job(job: tuple[Scenario, int, int, int, int]) -> Spread:
    return spread(*job)


def percentile(values: Sequence[float], q: float) -> float:
    """Nearest-rank percentile."""
    ordered = sorted(values)
    return ordered[max(0, math.ceil(q * len(ordered)) - 1)]


# -- 2. bytes -----------------------------------------------------------------------------


def in_sync_bytes() -> RoundReport:
    """One exchange between two nodes that hold the same ledger."""
    rng = random.Random("in-sync")
    template = template_of(write_feeds(rng, 50, 4))
    network = MemoryNetwork(random.Random(1))
    nodes = []
    for address in ("a", "b"):
        node = GossipNode(
            key_from(rng), template.clone(), PeerBook(clock=lambda: T), clock=lambda: T, rng=rng
        )
        network.register(address, node.handle)
        nodes.append(node)
    return nodes[0].sync(network, "b")


def growth_bytes(written: list[Feed], template: MemoryReplica, pull: bool) -> tuple[int, int]:
    """(bytes both ways, rounds) for two replicas of ``template`` to agree again after one
    gets 10 new entries in 10 different feeds."""
    rng = random.Random(f"growth/{len(written)}")
    network = MemoryNetwork(random.Random(1))
    holder, lacker = template.clone(), template.clone()
    for feed in rng.sample(written, 10):
        # Each feed is changed on a copy: ``written`` serves the next measurement too.
        copy = Feed(feed.key, list(feed.entries), feed.last, list(feed.leaves))
        entry = revocation(copy.key, len(copy.entries), copy.last, 0)
        checkpoint = copy.append(entry)
        ingested = holder.ingest([entry.signed], [checkpoint], [])
        if ingested.stored != 1:
            raise RuntimeError(f"new entry refused: {ingested.refused}")
    nodes = {}
    for address, replica in (("holder", holder), ("lacker", lacker)):
        node = GossipNode(
            key_from(rng), replica, PeerBook(clock=lambda: T), clock=lambda: T, rng=rng
        )
        network.register(address, node.handle)
        nodes[address] = node
    start, peer = (nodes["lacker"], "holder") if pull else (nodes["holder"], "lacker")
    total = rounds = 0
    while holder.index().fingerprint("") != lacker.index().fingerprint(""):
        if rounds >= 10:
            raise RuntimeError("the two replicas did not agree within 10 rounds")
        report = start.sync(network, peer)
        if report.error is not None:
            raise RuntimeError(f"sync failed: {report.error}")
        total += report.bytes_out + report.bytes_in
        rounds += 1
    return total, rounds


# -- main ---------------------------------------------------------------------------------


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="a short run (fewer seeds)")
    parser.add_argument("--workers", type=int, default=os.cpu_count() or 1)
    parser.add_argument("--feeds", type=int, default=50, help="feeds in the template ledger")
    parser.add_argument("--length", type=int, default=4, help="entries per template feed")
    parser.add_argument("--offer", type=int, default=32, help="addresses offered per round")
    args = parser.parse_args()
    quick = args.quick
    began = time.perf_counter()
    scenarios = [
        Scenario("1,000 nodes", 1_000, 4 if quick else 20, 12),
        Scenario("1,000 nodes, 10% loss", 1_000, 4 if quick else 20, 13, loss=0.1),
        Scenario("1,000 nodes, 20% silent", 1_000, 4 if quick else 20, 15, silent=0.2),
        Scenario("10,000 nodes", 10_000, 1 if quick else 5, 14),
    ]
    print(f"Musette gossip bench ({'quick' if quick else 'full'} run), {os.cpu_count()} CPUs")
    print(
        f"  template: {args.feeds} feeds × {args.length} entries; fanout 3; "
        f"{args.offer} addresses offered per round; {args.workers} worker processes\n"
    )
    print("1. rounds until 99.9% of live nodes hold a new revocation")
    print(
        f"  {'scenario':<26} {'seeds':>5} {'p50':>4} {'p99':>4} {'max':>4} "
        f"{'B/node/rnd':>10} {'failed':>7} {'µs/exch':>8} {'s/seed':>7}"
    )
    verdicts: list[str] = []
    jobs = [
        (s, seed, args.feeds, args.length, args.offer) for s in scenarios for seed in range(s.seeds)
    ]
    jobs.sort(key=lambda job: -job[0].nodes)  # the longest first: the workers end together
    with multiprocessing.Pool(args.workers) as pool:
        results = pool.map(_spread_job, jobs, chunksize=1)
    for scenario in scenarios:
        mine = [r for (s, *_), r in zip(jobs, results, strict=True) if s is scenario]
        reached = [r.rounds for r in mine if r.rounds is not None]
        rounds = [float(r) if r is not None else math.inf for r in (m.rounds for m in mine)]
        p50, p99, top = (percentile(rounds, q) for q in (0.5, 0.99, 1.0))
        node_rounds = sum(
            (scenario.nodes - int(scenario.silent * scenario.nodes)) * (r.rounds or 60)
            for r in mine
        )
        per_node = sum(r.bytes for r in mine) / node_rounds
        failed = sum(r.failed for r in mine) / max(1, sum(r.exchanges for r in mine))
        seconds = sum(r.seconds for r in mine) / len(mine)
        cost = sum(r.gossip_seconds for r in mine) / max(1, sum(r.exchanges for r in mine))
        shown = [f"{v:.0f}" if v != math.inf else "-" for v in (p50, p99, top)]
        print(
            f"  {scenario.name:<26} {len(mine):>5} {shown[0]:>4} {shown[1]:>4} {shown[2]:>4} "
            f"{per_node:>10.0f} {failed:>7.1%} {cost * 1e6:>8.0f} {seconds:>7.1f}"
        )
        ok = len(reached) == len(mine) and p99 <= scenario.target
        verdicts.append(
            f"  {'PASS' if ok else 'MISS'}  {scenario.name}: p99 {shown[1]} rounds "
            f"(target ≤ {scenario.target})"
        )
    print("  (B/node/rnd: bytes both ways per live node per round; failed: exchanges that")
    print("   ended early on a lost message or a silent peer; µs/exch: wall time of the rounds")
    print("   per exchange with one peer, signing, verifying and simulating all included)\n")

    print("2. bytes")
    report = in_sync_bytes()
    each_way = max(report.bytes_out, report.bytes_in)
    print(
        f"  two nodes in sync, one exchange: {report.bytes_out} B out, {report.bytes_in} B in, "
        f"{report.messages} message(s)"
    )
    verdicts.append(
        f"  {'PASS' if each_way <= SYNC_BYTES_TARGET else 'MISS'}  in sync: {each_way} B each "
        f"way (target ≤ {SYNC_BYTES_TARGET})"
    )
    rng = random.Random("growth")
    written = write_feeds(rng, 10_000, 10)
    print("  10 differing entries in 10 feeds, bytes both ways until in sync (rounds)")
    print(f"  {'ledger':<26} {'pull':>14} {'push':>14}")
    figures: dict[int, list[int]] = {}
    for count in (1_000, 10_000):
        template = template_of(written[:count])
        figures[count] = []
        row = []
        for pull in (True, False):
            total, taken = growth_bytes(written[:count], template, pull)
            figures[count].append(total)
            row.append(f"{total:>9} B ({taken})")
        label = f"{count:,} feeds × 10 ({count * 10:,})"
        print(f"  {label:<26} {row[0]:>14} {row[1]:>14}")
    ratios = [big / small for small, big in zip(figures[1_000], figures[10_000], strict=True)]
    print(f"  {'ratio 10^5 ÷ 10^4':<26} {ratios[0]:>14.2f} {ratios[1]:>14.2f}\n")
    verdicts.append(
        f"  {'PASS' if max(ratios) <= GROWTH_TARGET else 'MISS'}  growth 10^4 → 10^5 entries: "
        f"×{max(ratios):.2f} bytes (target ≤ ×{GROWTH_TARGET:.0f})"
    )

    print("Targets")
    print("\n".join(verdicts))
    print(f"\ntotal run time {time.perf_counter() - began:.0f} s")


if __name__ == "__main__":
    main()
