"""The anti-entropy engine: one node's side of push-pull gossip (``specs/gossip.md`` §4).

A round with one peer, driven by the node that starts it:

1. **digest** — each side sends the fingerprint of all its heads (126-byte envelopes);
   equal fingerprints end the round;
2. **reconcile** — the initiator asks for ranges of the peer's heads by hex prefix; for
   each range the peer answers with its heads (when it has few there) or the
   fingerprints of the range's 16 sub-ranges, and the initiator descends only where
   fingerprints differ, so the cost follows the number of differing feeds;
3. **pull** — fork proofs first, then the entries the peer has beyond ours, each feed
   with the author's checkpoint and a consistency proof from our size;
4. **push** — fork proofs first, then the entries we have beyond the peer's.

Every entry is verified and admitted by the replica before it is stored. A peer whose
head is not an extension of ours (or ours of its) has a feed that forked: the initiator
fetches the peer's copy from the start until the first entry that differs, which the
replica turns into an equivocation proof, and that proof spreads ahead of everything else.

The engine is pure: the replica, the transport, the clock and the random source come in.
"""

from __future__ import annotations

import random
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Final, Protocol

from credentials.keys import KeyPair
from ledger import merkle
from ledger.entries import Checkpoint
from ledger.errors import LedgerError, ProofError
from ledger.store import IngestReport

from .errors import GossipError, PeerError, RefusedError, TransportError, WireError
from .index import FANOUT, MAX_DEPTH, Head, HeadIndex, key_of
from .peers import PeerBook
from .replica import Replica
from .wire import Envelope, MessageType, open_envelope, seal

__all__ = ["GossipConfig", "GossipNode", "RoundReport", "Transport"]

_HEX: Final = frozenset("0123456789abcdef")


class Transport(Protocol):
    def exchange(self, address: str, request: bytes) -> bytes:
        """Send ``request`` to the node at ``address``; its response, or TransportError."""
        ...


@dataclass(frozen=True, slots=True)
class GossipConfig:
    fanout: int = 3  # peers per round
    list_below: int = 4  # a range with at most this many heads is answered with its heads
    max_prefixes: int = 512  # ranges asked for in one reconcile request
    # Reconcile requests in one round (the rest waits for the next); above MAX_DEPTH + 1,
    # so that a round can always descend to some range's heads.
    max_reconcile: int = 32
    max_entries: int = 2000  # entries in one pull or push message
    max_bytes: int = 2 * 1024 * 1024  # entry bytes in one pull or push message
    probe_pages: int = 8  # pages fetched per round while looking for a fork


@dataclass(slots=True)
class RoundReport:
    """What one exchange with one peer did."""

    address: str
    peer: str | None = None
    in_sync: bool = False
    differing: int = 0  # heads that differed
    pulled: int = 0  # entries stored from the peer
    pushed: int = 0  # entries the peer stored from us
    forks: int = 0  # fork proofs learned
    refused: list[str] = field(default_factory=list)
    bytes_out: int = 0
    bytes_in: int = 0
    messages: int = 0
    error: str | None = None

    def to_json(self) -> dict[str, Any]:
        return {
            "address": self.address,
            "peer": self.peer,
            "in_sync": self.in_sync,
            "differing": self.differing,
            "pulled": self.pulled,
            "pushed": self.pushed,
            "forks": self.forks,
            "refused": self.refused[:20],
            "bytes_out": self.bytes_out,
            "bytes_in": self.bytes_in,
            "messages": self.messages,
            "error": self.error,
        }


@dataclass(slots=True)
class _Plan:
    """What the initiator will do after reconciling: authors to pull, push, probe."""

    pull: dict[str, tuple[int, Head]] = field(default_factory=dict)  # author -> (from, theirs)
    push: dict[str, int] = field(default_factory=dict)  # author -> their size
    probe: dict[str, int] = field(default_factory=dict)  # author -> how far to compare
    pull_forks: list[str] = field(default_factory=list)
    push_forks: list[str] = field(default_factory=list)


def _expect(condition: bool, what: str) -> None:
    if not condition:
        raise PeerError(what)


def _text(value: Any, what: str, limit: int = 1000) -> str:
    _expect(isinstance(value, str) and len(value) <= limit, f"{what} must be text")
    return str(value)


def _uint(value: Any, what: str) -> int:
    _expect(
        isinstance(value, int) and not isinstance(value, bool) and 0 <= value < 2**62,
        f"{what} must be an unsigned integer",
    )
    return int(value)


def _blobs(value: Any, what: str) -> list[bytes]:
    _expect(
        isinstance(value, list) and all(isinstance(x, bytes) for x in value),
        f"{what} must be a list of byte strings",
    )
    return list(value)


def _list(value: Any, what: str) -> list[Any]:
    _expect(isinstance(value, list), f"{what} must be a list")
    return value  # type: ignore[no-any-return]


def _map(value: Any, what: str) -> Mapping[str, Any]:
    _expect(isinstance(value, dict), f"{what} must be a map")
    return value  # type: ignore[no-any-return]


def _head(value: Any) -> Head:
    _expect(isinstance(value, list) and len(value) in (1, 3), "a head is [author, size, root]")
    author = _text(value[0], "a head's author")
    if len(value) == 1:
        return Head(author, forked=True)
    root = value[2]
    _expect(isinstance(root, bytes) and len(root) == 32, "a head's root must be 32 bytes")
    size = _uint(value[1], "a head's size")
    _expect(size > 0, "a head's size must be positive")
    return Head(author, size, root)


class GossipNode:
    """One node's gossip: answers peers (:meth:`handle`) and starts rounds (:meth:`sync`)."""

    def __init__(
        self,
        key: KeyPair,
        replica: Replica,
        peers: PeerBook,
        *,
        clock: Callable[[], float],
        rng: random.Random | None = None,
        config: GossipConfig | None = None,
    ) -> None:
        self.key = key
        self.replica = replica
        self.peers = peers
        self.clock = clock
        self.rng = rng or random.SystemRandom()
        self.config = config or GossipConfig()

    @property
    def did(self) -> str:
        return self.key.did

    def _now(self) -> int:
        return int(self.clock())

    # -- answering ----------------------------------------------------------------------

    def open_request(self, request: bytes, *, max_bytes: int) -> Envelope:
        """Verify a request's envelope (WireError); the caller then rate-limits its sender."""
        return open_envelope(request, now=self._now(), max_bytes=max_bytes)

    def answer(self, envelope: Envelope) -> bytes:
        """The signed response to a verified request; a malformed body gets an ERROR
        response and costs its sender score."""
        sender = envelope.sender_did
        try:
            kind, body = self._dispatch(envelope, sender)
        except (PeerError, LedgerError) as e:
            self.peers.penalize(sender, "bad-message")
            kind, body = MessageType.ERROR, {"error": str(e)[:500]}
        return seal(self.key, kind, body, time=self._now(), answering=envelope.raw)

    def handle(self, request: bytes, *, max_bytes: int = 4 * 1024 * 1024) -> bytes:
        """Verify, rate-limit and answer one request (the in-memory transport's entry point;
        the HTTP service does the same in steps, to answer with HTTP statuses)."""
        envelope = self.open_request(request, max_bytes=max_bytes)
        if self.peers.banned(envelope.sender_did):
            raise PeerError("this node has dropped you for a while (back-off)")
        if not self.peers.allow(envelope.sender_did):
            raise PeerError("too many requests")
        return self.answer(envelope)

    def _dispatch(self, envelope: Envelope, sender: str) -> tuple[MessageType, Any]:
        body = envelope.body
        if envelope.type is MessageType.DIGEST:
            _expect(isinstance(body, bytes) and len(body) <= 16, "a digest is 16 bytes")
            return MessageType.DIGEST, self.replica.index().fingerprint("")
        if envelope.type is MessageType.RECONCILE:
            return MessageType.RECONCILE, self._answer_reconcile(_map(body, "reconcile"))
        if envelope.type is MessageType.PULL:
            return MessageType.PULL, self._answer_pull(_map(body, "pull"))
        if envelope.type is MessageType.PUSH:
            return MessageType.PUSH, self._answer_push(_map(body, "push"), sender)
        raise PeerError(f"a {envelope.type.name} message is not a request")

    def _answer_reconcile(self, body: Mapping[str, Any]) -> dict[str, Any]:
        prefixes = _list(body.get("prefixes"), "prefixes")
        _expect(len(prefixes) <= self.config.max_prefixes, "too many prefixes in one request")
        index = self.replica.index()
        ranges: list[list[Any]] = []
        for prefix in prefixes:
            text = _text(prefix, "a prefix", MAX_DEPTH)
            _expect(set(text) <= _HEX, "a prefix is lower-case hex")
            if len(text) >= MAX_DEPTH or index.count(text) <= self.config.list_below:
                ranges.append(["h", [h.to_wire() for h in index.heads(text)]])
            else:
                ranges.append(["f", index.children(text)])
        return {"ranges": ranges}

    def _answer_pull(self, body: Mapping[str, Any]) -> dict[str, Any]:
        forks = body.get("forks", [])
        wants = body.get("feeds", [])
        _expect(isinstance(forks, list) and isinstance(wants, list), "pull lists forks and feeds")
        proofs = [p for a in forks if (p := self.replica.fork_proof(_text(a, "author")))]
        budget = _Budget(self.config)
        feeds: list[list[Any]] = []
        for want in wants:
            _expect(isinstance(want, list) and len(want) == 3, "a wanted feed: [author, from, to]")
            author = _text(want[0], "author")
            start, end = _uint(want[1], "from"), _uint(want[2], "to")
            head = self.replica.index().get(author)
            if head is None or head.forked or budget.spent:
                continue
            end = min(end, head.size)
            if start >= end:
                continue
            entries = budget.take(
                self.replica.entries(author, start, min(end, start + budget.entries))
            )
            if entries:
                feeds.append(self._feed_message(author, start, entries, head.size))
        return {"forks": proofs, "feeds": feeds}

    def _feed_message(self, author: str, start: int, entries: list[bytes], size: int) -> list[Any]:
        """``[author, from, entries, checkpoint, consistency proof]`` for a pull or push."""
        end = start + len(entries)
        checkpoint = self.replica.checkpoint(author) if end == size else None
        if checkpoint is not None and Checkpoint.from_bytes(checkpoint, verify=False).size != end:
            checkpoint = None
        proof = self.replica.consistency(author, start, end) if start > 0 else []
        return [author, start, entries, checkpoint, proof]

    def _answer_push(self, body: Mapping[str, Any], sender: str) -> dict[str, Any]:
        forks = _blobs(body.get("forks", []), "forks")
        feeds = body.get("feeds", [])
        _expect(isinstance(feeds, list), "push lists feeds")
        _expect(len(forks) <= 1000, "too many fork proofs in one message")
        checked = self._check_feeds(feeds, expect=None)
        report = self.replica.ingest(checked.entries, checked.checkpoints, forks)
        self._charge(sender, report, checked.bad)
        return {
            "stored": report.stored,
            "known": report.known,
            "forks": len(report.forks),
            "refused": [*checked.refused, *report.refused][:50],
        }

    # -- checking what a peer sends ------------------------------------------------------

    def _check_feeds(
        self, feeds: Sequence[Any], *, expect: Mapping[str, tuple[int, Head]] | None
    ) -> _Checked:
        """Entries and checkpoints of feed messages whose consistency proof holds against
        our copy; the reasons for the others, and how many were bad proofs.

        ``expect`` (when pulling) maps each author we asked for to (from, their head)."""
        index = self.replica.index()
        checked = _Checked()
        total = 0
        for feed in feeds:
            _expect(isinstance(feed, list) and len(feed) == 5, "a feed message has 5 fields")
            author = _text(feed[0], "author")
            start = _uint(feed[1], "from")
            batch = _blobs(feed[2], "entries")
            proof = _blobs(feed[4], "proof")
            checkpoint = feed[3]
            _expect(checkpoint is None or isinstance(checkpoint, bytes), "checkpoint: bytes")
            total += len(batch)
            _expect(total <= self.config.max_entries, "too many entries in one message")
            if expect is not None:
                _expect(author in expect and expect[author][0] == start, "a feed not asked for")
            mine = index.get(author)
            if mine is not None and mine.forked:
                continue
            size = mine.size if mine else 0
            if start > size:
                checked.refused.append(f"{author}: entries from {start} leave a gap after {size}")
                continue
            new_root = None
            if checkpoint is not None:
                try:
                    held = Checkpoint.from_bytes(checkpoint)
                except LedgerError as e:
                    checked.refused.append(f"{author}: checkpoint refused: {e}")
                    checked.bad += 1
                    continue
                _expect(held.author == author, "a checkpoint of another author")
                if held.size == start + len(batch):
                    new_root = held.root
            elif expect is not None and start + len(batch) == expect[author][1].size:
                new_root = expect[author][1].root
            if new_root is not None and 0 < start == size:
                try:
                    merkle.verify_consistency(
                        start, start + len(batch), mine.root if mine else b"", new_root, proof
                    )
                except ProofError:
                    checked.refused.append(f"{author}: its head does not extend ours")
                    checked.suspect.append(author)
                    continue
            checked.entries += batch
            if checkpoint is not None:
                checked.checkpoints.append(checkpoint)
        return checked

    def _charge(self, peer: str, report: IngestReport, bad_checkpoints: int = 0) -> bool:
        """Score a peer for what it sent us; whether it cost the peer anything."""
        charged = False
        if report.invalid or bad_checkpoints:
            self.peers.penalize(peer, "invalid-entry", min(20, report.invalid + bad_checkpoints))
            charged = True
        if any(proof.author == peer for proof in report.forks):
            self.peers.penalize(peer, "own-fork")
            charged = True
        return charged

    # -- starting a round -----------------------------------------------------------------

    def round(self, transport: Transport, addresses: Iterable[str]) -> list[RoundReport]:
        """One gossip round: at most ``fanout`` random peers that are not banned."""
        candidates = self.peers.candidates(sorted(set(addresses)))
        chosen = self.rng.sample(candidates, min(self.config.fanout, len(candidates)))
        return [self.sync(transport, address) for address in chosen]

    def sync(
        self, transport: Transport, address: str, progress: Callable[[str], None] | None = None
    ) -> RoundReport:
        """Push-pull anti-entropy with the node at ``address``; never raises.
        ``progress`` is told each step (``digest``, ``reconcile``, ``pull``, ``push``)."""
        session = _Session(self, transport, address, progress)
        try:
            session.run()
        except RefusedError as e:
            session.report.error = str(e)
        except TransportError as e:
            session.report.error = str(e)
            self.peers.penalize(session.peer, "unreachable")
        except (WireError, PeerError) as e:
            session.report.error = str(e)
            self.peers.penalize(session.peer, "bad-message")
        except GossipError as e:
            session.report.error = str(e)
        else:
            if not session.charged:  # a round that cost the peer score earns it nothing
                self.peers.reward(session.peer)
        session.report.peer = session.peer if session.peer.startswith("did:") else None
        return session.report


@dataclass(slots=True)
class _Checked:
    """Feed messages sorted: what to ingest, what was refused and why, bad checkpoints,
    and the authors whose head does not extend ours (to probe for a fork)."""

    entries: list[bytes] = field(default_factory=list)
    checkpoints: list[bytes] = field(default_factory=list)
    refused: list[str] = field(default_factory=list)
    bad: int = 0
    suspect: list[str] = field(default_factory=list)


class _Budget:
    """How many entries and bytes one pull or push message may still carry."""

    def __init__(self, config: GossipConfig) -> None:
        self.entries = config.max_entries
        self.bytes = config.max_bytes

    @property
    def spent(self) -> bool:
        return self.entries <= 0 or self.bytes <= 0

    def take(self, entries: list[bytes]) -> list[bytes]:
        kept: list[bytes] = []
        for data in entries:
            if self.entries <= 0 or len(data) > self.bytes:
                self.entries = 0  # spent: the rest waits for the next round
                break
            kept.append(data)
            self.entries -= 1
            self.bytes -= len(data)
        return kept


class _Session:
    """The initiator's side of one round with one peer."""

    def __init__(
        self,
        node: GossipNode,
        transport: Transport,
        address: str,
        progress: Callable[[str], None] | None = None,
    ) -> None:
        self.node = node
        self.progress = progress
        self.charged = False
        self.transport = transport
        self.address = address
        self.peer = node.peers.peer_at(address)
        self.report = RoundReport(address)

    def ask(self, kind: MessageType, body: Any) -> Any:
        node = self.node
        if self.progress is not None:
            self.progress(kind.name.lower())
        request = seal(node.key, kind, body, time=node._now())
        self.report.bytes_out += len(request)
        self.report.messages += 1
        raw = self.transport.exchange(self.address, request)
        self.report.bytes_in += len(raw)
        envelope = open_envelope(raw, now=node._now(), answering=request)
        did = envelope.sender_did
        if did != self.peer:
            node.peers.bind(self.address, did)
            self.peer = did
        if envelope.type is MessageType.ERROR:
            error = envelope.body.get("error") if isinstance(envelope.body, dict) else None
            raise GossipError(f"peer refused: {error}")
        _expect(envelope.type is kind, f"asked {kind.name}, got {envelope.type.name}")
        return envelope.body

    def run(self) -> None:
        node = self.node
        index = node.replica.index()
        theirs = self.ask(MessageType.DIGEST, index.fingerprint(""))
        _expect(isinstance(theirs, bytes) and len(theirs) <= 16, "a digest is 16 bytes")
        if theirs == index.fingerprint(""):
            self.report.in_sync = True
            return
        plan = self._plan(index, self._reconcile(index))
        self._pull(plan)
        self._push(plan)

    def _reconcile(self, index: HeadIndex) -> dict[str, list[Head]]:
        """The peer's heads in every range where they differ from ours (by prefix).

        At most ``max_reconcile`` requests, deepest ranges first: a round cut short by
        the budget has still settled some ranges down to their heads, so the next round
        goes further (the ranges settled no longer differ), and a peer that answers every
        range with fresh fingerprints reaches the longest prefix, a protocol error, within
        ``MAX_DEPTH + 1`` requests instead of leading us down 16^k ranges."""
        config = self.node.config
        listed: dict[str, list[Head]] = {}
        pending = [""]
        for requests_left in reversed(range(config.max_reconcile)):
            if not pending:
                break
            batch = pending[-config.max_prefixes :]
            del pending[-len(batch) :]
            body = _map(self.ask(MessageType.RECONCILE, {"prefixes": batch}), "reconcile")
            ranges = _list(body.get("ranges"), "ranges")
            _expect(len(ranges) == len(batch), "one range for each prefix asked")
            for prefix, answer in zip(batch, ranges, strict=True):
                _expect(isinstance(answer, list) and len(answer) == 2, "a range is [kind, data]")
                kind, data = answer
                _expect(isinstance(data, list), "a range's data is a list")
                if kind == "h":
                    heads = [_head(h) for h in data]
                    _expect(
                        all(key_of(h.author).startswith(prefix) for h in heads),
                        "a head outside its range",
                    )
                    listed[prefix] = heads
                elif kind == "f":
                    _expect(len(prefix) < MAX_DEPTH and len(data) == FANOUT, "16 sub-ranges")
                    for digit, fingerprint in zip("0123456789abcdef", data, strict=True):
                        _expect(isinstance(fingerprint, bytes), "a fingerprint is bytes")
                        if fingerprint != index.fingerprint(prefix + digit):
                            pending.append(prefix + digit)
                else:
                    raise PeerError(f"unknown range kind {kind!r}")
            # Drop what the requests left could never ask (the shallowest ranges).
            del pending[: max(0, len(pending) - requests_left * config.max_prefixes)]
        return listed

    def _plan(self, index: HeadIndex, listed: Mapping[str, list[Head]]) -> _Plan:
        plan = _Plan()
        replica = self.node.replica
        for prefix, heads in listed.items():
            theirs = {h.author: h for h in heads}
            mine = {h.author: h for h in index.heads(prefix)}
            for author in sorted(theirs.keys() | mine.keys()):
                m, t = mine.get(author), theirs.get(author)
                if m == t:
                    continue
                self.report.differing += 1
                if t is not None and t.forked:
                    plan.pull_forks.append(author)
                elif m is not None and m.forked:
                    plan.push_forks.append(author)
                elif t is None:
                    plan.push[author] = 0
                elif m is None:
                    plan.pull[author] = (0, t)
                elif t.size > m.size:
                    plan.pull[author] = (m.size, t)
                elif t.size == m.size:
                    plan.probe[author] = t.size
                elif replica.root_at(author, t.size) == t.root:
                    plan.push[author] = t.size
                else:
                    plan.probe[author] = t.size
        return plan

    def _pull(self, plan: _Plan) -> None:
        wants = [[a, start, head.size] for a, (start, head) in plan.pull.items()]
        if wants or plan.pull_forks:
            self._pull_feeds(plan, wants)
        for author, size in plan.probe.items():
            self._probe(author, size)

    def _pull_feeds(self, plan: _Plan, wants: list[list[Any]]) -> None:
        node = self.node
        body = _map(self.ask(MessageType.PULL, {"forks": plan.pull_forks, "feeds": wants}), "pull")
        forks = _blobs(body.get("forks", []), "forks")
        feeds = body.get("feeds", [])
        _expect(isinstance(feeds, list), "feeds must be a list")
        checked = node._check_feeds(feeds, expect=plan.pull)
        for author in checked.suspect:
            mine = node.replica.index().get(author)
            plan.probe[author] = min(plan.pull[author][1].size, mine.size if mine else 0)
        report = node.replica.ingest(checked.entries, checked.checkpoints, forks)
        self.charged |= node._charge(self.peer, report, checked.bad)
        self._tally(report, checked.refused)

    def _probe(self, author: str, size: int) -> None:
        """Fetch the peer's copy of a feed that forked from ours, page by page, until the
        first entry that differs: the replica records it as an equivocation proof."""
        node = self.node
        start = 0
        for _ in range(node.config.probe_pages):
            if node.replica.fork_proof(author) is not None:
                return
            if start >= size:
                break
            want = {"forks": [], "feeds": [[author, start, size]]}
            body = _map(self.ask(MessageType.PULL, want), "pull")
            feeds = body.get("feeds", [])
            _expect(isinstance(feeds, list) and len(feeds) <= 1, "one feed asked for")
            if not feeds:
                return
            feed = feeds[0]
            _expect(isinstance(feed, list) and len(feed) == 5 and feed[0] == author, "that feed")
            _expect(_uint(feed[1], "from") == start, "from where it was asked")
            batch = _blobs(feed[2], "entries")
            if not batch:
                return
            report = node.replica.ingest(batch, [], [])
            self.charged |= node._charge(self.peer, report)
            self._tally(report, [])
            if report.forks:
                return
            start += len(batch)
        if node.replica.fork_proof(author) is None and start >= size:
            # Its whole copy matched ours: the head or proof that said otherwise was false.
            node.peers.penalize(self.peer, "bad-proof")
            self.charged = True

    def _push(self, plan: _Plan) -> None:
        node = self.node
        replica = node.replica
        index = replica.index()
        forks = [p for a in plan.push_forks if (p := replica.fork_proof(a))]
        # Forks found this round (by the probe) go to the peer too, ahead of everything.
        forks += [p for a in plan.probe if (p := replica.fork_proof(a))]
        budget = _Budget(node.config)
        feeds: list[list[Any]] = []
        for author, their_size in plan.push.items():
            mine = index.get(author)
            if mine is None or mine.forked or budget.spent:
                continue
            stop = min(mine.size, their_size + budget.entries)
            entries = budget.take(replica.entries(author, their_size, stop))
            if entries:
                feeds.append(node._feed_message(author, their_size, entries, mine.size))
        if not (forks or feeds):
            return
        body = _map(self.ask(MessageType.PUSH, {"forks": forks, "feeds": feeds}), "push")
        stored = body.get("stored", 0)
        self.report.pushed += _uint(stored, "stored")
        refused = body.get("refused", [])
        if isinstance(refused, list):
            self.report.refused += [f"peer: {r}" for r in refused if isinstance(r, str)][:20]

    def _tally(self, report: IngestReport, refused: list[str]) -> None:
        self.report.pulled += report.stored
        self.report.forks += len(report.forks)
        self.report.refused += refused + report.refused[:20]
