"""The gossip core with real entries and real signatures: convergence of any two or three
replicas (property tests), the laws of the head index, the wire envelope's refusals, and
nodes that misbehave (forged entries, a forked feed, a flood) over the in-memory network.
"""

from __future__ import annotations

import functools
import hashlib
import random
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from credentials.keys import KeyPair
from ledger import merkle
from ledger.entries import Checkpoint, Entry
from ledger.statuslist import list_id
from node.gossip.engine import GossipConfig, GossipNode, RoundReport
from node.gossip.errors import WireError
from node.gossip.index import MAX_DEPTH, Head, HeadIndex, key_of
from node.gossip.memory import MemoryNetwork, MemoryReplica
from node.gossip.peers import PeerBook
from node.gossip.wire import MAX_SKEW, MessageType, open_envelope, seal

T = 1_780_000_000
AUTHORS = 6  # feeds in the pool: the first TEMPLATE_FEEDS are in the template
TEMPLATE_FEEDS = 3
TEMPLATE_LENGTH = 2
LONGEST = 5  # entries in each pooled feed


def _key(name: str) -> KeyPair:
    return KeyPair(seed=hashlib.sha256(name.encode()).digest())


def _clock() -> float:
    return float(T)


@dataclass(frozen=True, slots=True)
class Chain:
    """One author's feed as written: entries, and the author's checkpoint at each size."""

    key: KeyPair
    entries: tuple[bytes, ...]
    checkpoints: tuple[bytes, ...]  # checkpoints[n - 1] has size n

    @property
    def author(self) -> str:
        return self.key.did


def _write(key: KeyPair, length: int, *, tag: str = "", after: Chain | None = None) -> Chain:
    """A feed of ``length`` entries; with ``after``, its entries first, then new ones
    (made different from any other continuation by ``tag``)."""
    entries = list(after.entries) if after else []
    checkpoints = list(after.checkpoints) if after else []
    prev = Entry.from_bytes(entries[-1], verify=False).hash if entries else None
    for seq in range(len(entries), length):
        if seq % 2:
            body: dict[str, Any] = {
                "credential": hashlib.sha256(f"{tag}{seq}".encode()).digest(),
                "list": list_id(key.did, 1),
                "index": seq,
            }
            kind = "revocation"
        else:
            body = {"target": "did:key:z6MkhaXgBZDvotDkL5257faiztiGiC2QtKLGpbnnEGta2doK"}
            body["reason"] = f"{tag}{seq}"
            kind = "flag"
        entry = Entry.create(key, seq=seq, prev=prev, time=T, kind=kind, body=body)
        entries.append(entry.signed)
        prev = entry.hash
        root = merkle.root([merkle.leaf_hash(e) for e in entries])
        checkpoints.append(Checkpoint.create(key, size=seq + 1, root=root, time=T).signed)
    return Chain(key, tuple(entries), tuple(checkpoints))


@functools.cache
def _pool() -> tuple[Chain, ...]:
    return tuple(_write(_key(f"author {i}"), LONGEST) for i in range(AUTHORS))


@functools.cache
def _template() -> MemoryReplica:
    template = MemoryReplica()
    for chain in _pool()[:TEMPLATE_FEEDS]:
        _give(template, chain, TEMPLATE_LENGTH)
    return template


def _give(replica: MemoryReplica, chain: Chain, size: int, *, checkpoint: bool = True) -> None:
    """Store the first ``size`` entries of ``chain`` (with the checkpoint of that size)."""
    checkpoints = [chain.checkpoints[size - 1]] if checkpoint and size else []
    report = replica.ingest(chain.entries[:size], checkpoints, [])
    assert not report.refused, report.refused


def _state(replica: MemoryReplica) -> tuple[bytes, dict[str, Head], dict[str, list[bytes]]]:
    """Root fingerprint, heads, and the entries of every feed not known to have forked
    (nodes may keep different histories of a forked feed: only the mark must agree)."""
    heads = {head.author: head for head in replica.index()}
    entries = {a: replica.entries(a, 0, 1000) for a, head in heads.items() if not head.forked}
    return replica.index().fingerprint(""), heads, entries


class Network:
    """Nodes over one MemoryNetwork, each with its own key, replica and peer book."""

    def __init__(self, clock: Callable[[], float] = _clock) -> None:
        self.net = MemoryNetwork(random.Random(7))
        self.clock = clock
        self.nodes: dict[str, GossipNode] = {}

    def add(
        self, name: str, replica: MemoryReplica | None = None, *, key: KeyPair | None = None
    ) -> GossipNode:
        node = GossipNode(
            key or _key(f"node {name}"),
            replica if replica is not None else _template().clone(),
            PeerBook(clock=self.clock),
            clock=self.clock,
            rng=random.Random(name),
        )
        self.nodes[name] = node
        self.net.register(name, node.handle)
        return node

    def sync(self, name: str, peer: str) -> RoundReport:
        return self.nodes[name].sync(self.net, peer)

    def replica(self, name: str) -> MemoryReplica:
        replica = self.nodes[name].replica
        assert isinstance(replica, MemoryReplica)
        return replica


def _converged(*replicas: MemoryReplica) -> bool:
    first = _state(replicas[0])
    return all(_state(r) == first for r in replicas[1:])


# -- convergence ---------------------------------------------------------------------------

# For each pooled author: how many of its entries a replica gets (0: none beyond the
# template), and whether it gets the checkpoint of that size.
_holdings = st.lists(
    st.tuples(st.integers(0, LONGEST), st.booleans()), min_size=AUTHORS, max_size=AUTHORS
)


def _fill(replica: MemoryReplica, holdings: Sequence[tuple[int, bool]]) -> MemoryReplica:
    for chain, (size, checkpoint) in zip(_pool(), holdings, strict=True):
        if size:
            _give(replica, chain, size, checkpoint=checkpoint)
    return replica


@settings(max_examples=25, deadline=None)
@given(a=_holdings, b=_holdings)
def test_two_replicas_converge_in_one_sync_and_stay(
    a: list[tuple[int, bool]], b: list[tuple[int, bool]]
) -> None:
    network = Network()
    network.add("a", _fill(_template().clone(), a))
    network.add("b", _fill(_template().clone(), b))
    equal = _converged(network.replica("a"), network.replica("b"))
    report = network.sync("a", "b")
    assert report.error is None, report.error
    assert _converged(network.replica("a"), network.replica("b")), report.to_json()
    # Each feed ends at the longer of the two copies: nothing lost, nothing invented.
    heads = _state(network.replica("a"))[1]
    for i, chain in enumerate(_pool()):
        template = TEMPLATE_LENGTH if i < TEMPLATE_FEEDS else 0
        size = max(a[i][0], b[i][0], template)
        assert (heads[chain.author].size if chain.author in heads else 0) == size
    assert report.in_sync == equal
    # Idempotent: a second round finds them in sync, with one digest each way, and changes
    # nothing.
    before = _state(network.replica("a"))
    again = network.sync("a", "b")
    assert again.in_sync
    assert again.messages == 1
    assert again.pulled == again.pushed == 0
    assert _state(network.replica("a")) == _state(network.replica("b")) == before


@settings(max_examples=25, deadline=None)
@given(
    holdings=st.lists(_holdings, min_size=3, max_size=3),
    order=st.permutations([("a", "b"), ("b", "c"), ("a", "c")]),
    flips=st.lists(st.booleans(), min_size=3, max_size=3),
)
def test_three_replicas_syncing_pairwise_in_any_order_converge(
    holdings: list[list[tuple[int, bool]]], order: list[tuple[str, str]], flips: list[bool]
) -> None:
    network = Network()
    for name, held in zip("abc", holdings, strict=True):
        network.add(name, _fill(_template().clone(), held))
    for (one, other), flip in zip(order, flips, strict=True):
        starter, peer = (other, one) if flip else (one, other)
        assert network.sync(starter, peer).error is None
    assert _converged(network.replica("a"), network.replica("b"), network.replica("c"))


def test_sync_in_sync_costs_a_digest_each_way() -> None:
    network = Network()
    network.add("a")
    network.add("b")
    report = network.sync("a", "b")
    assert report.in_sync
    assert report.messages == 1
    assert report.bytes_out <= 128
    assert report.bytes_in <= 128


# -- the head index ------------------------------------------------------------------------

_authors = st.sampled_from([f"did:key:z6Mk{i:04d}" for i in range(40)])
_heads = st.builds(
    Head,
    author=_authors,
    size=st.integers(1, 2**40),
    root=st.binary(min_size=32, max_size=32),
)
_head_sets = st.lists(_heads, max_size=30, unique_by=lambda h: h.author)


def _expected_fingerprint(heads: Sequence[Head]) -> bytes:
    """``specs/gossip.md`` §2, recomputed from the heads."""
    if not heads:
        return b""
    total = sum(h.item_hash for h in heads) % (1 << 256)
    data = b"musette-fp/1" + len(heads).to_bytes(8, "big") + total.to_bytes(32, "big")
    return hashlib.sha256(data).digest()[:16]


def _prefixes(index: HeadIndex) -> set[str]:
    """Every prefix of every key, up to the full key, and some that hold nothing."""
    found = {"", "0", "f", "00", "fff", "0123456"}
    for head in index:
        key = key_of(head.author)
        found |= {key[:n] for n in range(len(key) + 1)}
    return found


@settings(max_examples=50, deadline=None)
@given(heads=_head_sets, seed=st.integers(0, 2**32))
def test_fingerprint_is_independent_of_insertion_order(heads: list[Head], seed: int) -> None:
    shuffled = list(heads)
    random.Random(seed).shuffle(shuffled)
    built = HeadIndex(heads)
    grown = HeadIndex()
    for head in shuffled:
        grown.set(head)
    for prefix in _prefixes(built):
        assert built.fingerprint(prefix) == grown.fingerprint(prefix)
        assert built.count(prefix) == grown.count(prefix)
    assert sorted(built.heads(), key=lambda h: h.author) == sorted(heads, key=lambda h: h.author)


@settings(max_examples=50, deadline=None)
@given(heads=_head_sets)
def test_range_fingerprints_and_children_are_consistent(heads: list[Head]) -> None:
    index = HeadIndex(heads)
    assert index.fingerprint("") == _expected_fingerprint(heads)
    for prefix in _prefixes(index):
        inside = [h for h in heads if key_of(h.author).startswith(prefix)]
        # Cached sums (short prefixes) and scans (long ones) agree with the formula.
        assert index.fingerprint(prefix) == _expected_fingerprint(inside)
        assert index.count(prefix) == len(inside)
        if len(prefix) < 16:
            children = index.children(prefix)
            assert len(children) == 16
            counts = [index.count(prefix + d) for d in "0123456789abcdef"]
            assert sum(counts) == len(inside)
            for child, count in zip(children, counts, strict=True):
                assert (child == b"") == (count == 0)
                assert len(child) in (0, 16)


@settings(max_examples=50, deadline=None)
@given(
    heads=_head_sets.filter(bool),
    pick=st.integers(0, 100),
    change=st.sampled_from(["size", "root", "forked"]),
)
def test_fingerprint_changes_with_a_head_and_is_restored(
    heads: list[Head], pick: int, change: str
) -> None:
    index = HeadIndex(heads)
    old = heads[pick % len(heads)]
    key = key_of(old.author)
    before = {p: index.fingerprint(p) for p in _prefixes(index)}
    if change == "size":
        new = Head(old.author, old.size + 1, old.root)
    elif change == "root":
        new = Head(old.author, old.size, hashlib.sha256(old.root).digest())
    else:
        new = Head(old.author, forked=True)
    index.set(new)
    assert index.get(old.author) == new
    assert len(index) == len(heads)
    for prefix, fingerprint in before.items():
        changed = index.fingerprint(prefix) != fingerprint
        assert changed == key.startswith(prefix), prefix
    index.set(old)
    assert {p: index.fingerprint(p) for p in before} == before


def test_a_new_head_changes_the_fingerprint_and_an_empty_index_has_none() -> None:
    index = HeadIndex()
    assert index.fingerprint("") == b""
    assert index.children("") == [b""] * 16
    index.set(Head("did:key:z6Mkone", 1, bytes(32)))
    assert len(index.fingerprint("")) == 16


# -- the wire ------------------------------------------------------------------------------

NODE = _key("wire node")


@settings(max_examples=25, deadline=None)
@given(
    kind=st.sampled_from(list(MessageType)),
    body=st.recursive(
        st.none()
        | st.booleans()
        | st.integers(-(2**63), 2**63 - 1)
        | st.binary(max_size=40)
        | st.text(max_size=20),
        lambda inner: (
            st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=8), inner, max_size=4)
        ),
        max_leaves=12,
    ),
)
def test_seal_then_open_round_trips(kind: MessageType, body: Any) -> None:
    request = seal(NODE, kind, body, time=T)
    opened = open_envelope(request, now=T)
    assert opened.type is kind
    assert opened.sender_did == NODE.did
    assert opened.time == T
    assert opened.body == body
    assert opened.raw == request
    response = seal(NODE, kind, body, time=T + 1, answering=request)
    assert open_envelope(response, now=T, answering=request).body == body


def test_a_digest_envelope_is_at_most_128_bytes() -> None:
    for fingerprint in (bytes(16), b""):
        request = seal(NODE, MessageType.DIGEST, fingerprint, time=T)
        assert len(request) <= 128
        response = seal(NODE, MessageType.DIGEST, fingerprint, time=T, answering=request)
        assert len(response) <= 128


@pytest.mark.parametrize("answering", [False, True], ids=["request", "response"])
def test_any_flipped_bit_is_refused(answering: bool) -> None:
    request = seal(NODE, MessageType.DIGEST, bytes(range(16)), time=T)
    message = seal(NODE, MessageType.DIGEST, b"\x01" * 16, time=T, answering=request)
    sealed = message if answering else request
    context = request if answering else None
    for position in range(len(sealed)):
        for bit in range(8):
            damaged = bytearray(sealed)
            damaged[position] ^= 1 << bit
            with pytest.raises(WireError):
                open_envelope(bytes(damaged), now=T, answering=context)


def test_a_response_bound_to_another_request_is_refused() -> None:
    first = seal(NODE, MessageType.DIGEST, bytes(16), time=T)
    second = seal(NODE, MessageType.DIGEST, bytes(16), time=T + 1)
    response = seal(NODE, MessageType.DIGEST, bytes(16), time=T, answering=first)
    with pytest.raises(WireError, match="response signature does not verify"):
        open_envelope(response, now=T, answering=second)
    with pytest.raises(WireError):  # nor is it a request
        open_envelope(response, now=T)


@pytest.mark.parametrize("offset", [-MAX_SKEW - 1, MAX_SKEW + 1, -(10**6)])
def test_a_message_out_of_time_is_refused(offset: int) -> None:
    request = seal(NODE, MessageType.DIGEST, bytes(16), time=T + offset)
    with pytest.raises(WireError, match="from ours"):
        open_envelope(request, now=T)
    assert open_envelope(request, now=T + offset).time == T + offset


# -- misbehaving peers ---------------------------------------------------------------------


def _forge(signed: bytes) -> bytes:
    """The entry with its signature's last byte flipped (a valid CBOR shape still)."""
    return signed[:-1] + bytes([signed[-1] ^ 1])


class ForgingReplica(MemoryReplica):
    """A replica that serves its entries with broken signatures."""

    def entries(self, author: str, start: int, end: int) -> list[bytes]:
        return [_forge(e) for e in super().entries(author, start, end)]


def test_a_peer_serving_a_forged_entry_is_refused_and_scored() -> None:
    network = Network()
    honest = network.add("honest")
    forger_replica = ForgingReplica()
    for chain in _pool()[:TEMPLATE_FEEDS]:
        _give(forger_replica, chain, TEMPLATE_LENGTH)
    victim = _pool()[4]
    _give(forger_replica, victim, 3)
    forger = network.add("forger", forger_replica)

    pulled = network.sync("honest", "forger")
    assert pulled.pulled == 0
    assert any("entry refused" in r for r in pulled.refused)
    assert network.replica("honest").index().get(victim.author) is None
    assert network.replica("honest").entries(victim.author, 0, 10) == []
    after_pull = honest.peers.get(forger.did).score
    assert after_pull < 0

    # Pushed, the same forgeries are refused and cost the forger again.
    pushed = network.sync("forger", "honest")
    assert pushed.pushed == 0
    assert network.replica("honest").index().get(victim.author) is None
    assert honest.peers.get(forger.did).score < after_pull

    # An honest third node still brings the honest node the real feed.
    friend = _template().clone()
    _give(friend, victim, 3)
    network.add("friend", friend)
    assert network.sync("honest", "friend").error is None
    assert network.replica("honest").entries(victim.author, 0, 10) == list(victim.entries[:3])


@pytest.mark.parametrize("longer", [False, True], ids=["same-length", "longer"])
def test_a_peer_forking_its_own_feed_is_proven_and_banned(longer: bool) -> None:
    """The peer's node key signs its feed; it shows the honest node one history and keeps
    another: the honest node proves the fork, bans the peer, and the proof spreads."""
    network = Network()
    mallory = _key("node mallory")
    common = _write(mallory, 3, tag="common")
    told = _write(mallory, 4, tag="told", after=common)  # what the honest node was given
    kept = _write(mallory, 5 if longer else 4, tag="kept", after=common)

    honest_replica = _template().clone()
    _give(honest_replica, told, 4)
    honest = network.add("honest", honest_replica)
    mallory_replica = _template().clone()
    _give(mallory_replica, kept, len(kept.entries))
    network.add("mallory", mallory_replica, key=mallory)
    third = network.add("third")
    # The honest node has something new to share meanwhile.
    news = _pool()[5]
    _give(honest_replica, news, 4)

    report = network.sync("honest", "mallory")
    assert report.forks == 1, report.to_json()
    assert network.replica("honest").fork_proof(mallory.did) is not None
    assert network.replica("honest").index().get(mallory.did) == Head(mallory.did, forked=True)
    assert honest.peers.banned(mallory.did)
    assert "mallory" not in honest.peers.candidates(["mallory", "third"])
    # A banned peer's requests are refused.
    assert network.sync("mallory", "honest").error is not None

    # The proof spreads to a third node, ahead of the feed itself.
    spread = network.sync("third", "honest")
    assert spread.error is None
    assert network.replica("third").fork_proof(mallory.did) is not None
    assert network.replica("third").index().get(mallory.did) == Head(mallory.did, forked=True)
    assert network.replica("third").entries(mallory.did, 0, 10) == []
    assert _converged(network.replica("honest"), network.replica("third"))
    assert third.replica.index().get(news.author) == honest.replica.index().get(news.author)


def test_a_flooding_peer_is_refused_then_banned_while_honest_nodes_converge() -> None:
    network = Network()
    honest = network.add("honest")
    flooder = network.add("flooder")
    friend = _template().clone()
    _give(friend, _pool()[4], 5)
    network.add("friend", friend)

    refused = 0
    for i in range(200):
        report = network.sync("flooder", "honest")
        refused += report.error is not None
        if i == 100:
            # The honest node's own rounds are not slowed by the flood.
            assert network.sync("friend", "honest").error is None
    assert refused >= 200 - int(honest.peers.burst)
    assert honest.peers.banned(flooder.did)
    assert not honest.peers.banned(network.nodes["friend"].did)
    assert _converged(network.replica("honest"), network.replica("friend"))


@pytest.mark.parametrize("starter", ["holder", "other"])
@pytest.mark.parametrize("other_has", ["nothing", "template", "longer"])
def test_a_fork_proof_spreads_ahead_of_entries(starter: str, other_has: str) -> None:
    network = Network()
    chain = _pool()[0]  # a template feed
    forked_copy = _write(chain.key, TEMPLATE_LENGTH + 1, tag="other", after=None)
    holder = _template().clone()
    report = holder.ingest([forked_copy.entries[0]], [], [])  # differs from chain's entry 0
    assert len(report.forks) == 1
    assert holder.index().get(chain.author) == Head(chain.author, forked=True)
    network.add("holder", holder)

    other = MemoryReplica() if other_has == "nothing" else _template().clone()
    if other_has == "longer":
        _give(other, chain, LONGEST)
    network.add("other", other)
    before = holder.entries(chain.author, 0, 100)

    peer = "other" if starter == "holder" else "holder"
    assert network.sync(starter, peer).error is None
    assert other.index().get(chain.author) == Head(chain.author, forked=True)
    assert other.fork_proof(chain.author) is not None
    # The forked feed's entries do not travel either way.
    assert holder.entries(chain.author, 0, 100) == before
    assert _converged(holder, other)


def test_a_peer_answering_every_range_with_fresh_fingerprints_cannot_stall_a_round() -> None:
    """A liar whose every range "differs" would lead a node down 16^k ranges; deepest
    ranges first, the node reaches the longest prefix within MAX_DEPTH + 1 requests, a
    protocol error that costs the liar score, and goes on with others."""
    network = Network()
    honest = network.add("honest")
    liar = _key("node liar")
    noise = random.Random(3)
    asked: list[int] = []

    def lie(request: bytes) -> bytes:
        envelope = open_envelope(request, now=T)
        body: Any
        if envelope.type is MessageType.DIGEST:
            body = noise.randbytes(16)
        elif envelope.type is MessageType.RECONCILE:
            asked.append(len(envelope.body["prefixes"]))
            body = {
                "ranges": [
                    ["f", [noise.randbytes(16) for _ in range(16)]]
                    for _ in envelope.body["prefixes"]
                ]
            }
        else:
            body = {"forks": [], "feeds": []}
        return seal(liar, envelope.type, body, time=T, answering=request)

    network.net.register("liar", lie)
    report = network.sync("honest", "liar")
    assert report.error is not None
    assert len(asked) <= MAX_DEPTH + 1 < honest.config.max_reconcile
    assert max(asked) <= honest.config.max_prefixes
    assert honest.peers.get(liar.did).score < 0

    friend = _template().clone()
    _give(friend, _pool()[4], 3)
    network.add("friend", friend)
    assert network.sync("honest", "friend").error is None
    assert _converged(network.replica("honest"), friend)


def test_budgets_truncate_a_round_and_later_rounds_finish_the_work() -> None:
    """Tiny reconcile and entry budgets: no round does everything, each makes progress,
    and the two nodes end in sync."""
    network = Network()
    tight = GossipConfig(max_prefixes=2, max_reconcile=4, max_entries=3, list_below=1)
    network.add("empty", MemoryReplica())
    network.nodes["empty"].config = tight
    full = _template().clone()
    for chain in _pool()[TEMPLATE_FEEDS:]:
        _give(full, chain, LONGEST)
    network.add("full", full)
    network.nodes["full"].config = tight
    rounds = 0
    while not network.sync("empty", "full").in_sync:
        rounds += 1
        assert rounds < 40, "no progress"
    assert rounds > 1
    assert _converged(network.replica("empty"), full)
