"""Generate Musette's own gossip vectors (``specs/gossip.md``): the head index of a small
fixed set of heads (keys, item hashes, range fingerprints), the envelopes of the first
steps of a real round between two nodes (DIGEST and two RECONCILE exchanges, and the PULL
request the initiator then plans), and broken envelopes, each named after what it breaks.

    .venv/bin/python specs/vectors/gossip/generate.py [OUTPUT_DIR]

Writes into OUTPUT_DIR (this folder by default) one ``<name>.cbor`` per envelope (its
exact bytes) and ``manifest.json``: for each envelope its hex, its fields (body in
diagnostic-like JSON, byte strings as ``h'…'``), the exact signing input, the time and
request (``answering``) a reader must open it with, and the outcome: ``valid`` or
``WireError``.

The round is played by the engine itself (``GossipNode.sync`` against
``GossipNode.answer``) over a transport that records each exchange and stops the round at
its first PULL: the bytes here are the bytes the code sends. The signing inputs and the
fingerprints are computed again below from the formulas of the spec, independently of
``node.gossip``, and must agree (``tests/test_gossip_vectors.py`` checks both, and that a
second run rewrites identical files).

Deterministic: fixed seeds, a fixed clock, and Ed25519 signatures are deterministic.
"""

from __future__ import annotations

import hashlib
import json
import random
import struct
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import cbor2

from credentials.keys import KeyPair
from ledger.store import IngestReport
from node.gossip.engine import GossipNode
from node.gossip.errors import TransportError
from node.gossip.index import Head, HeadIndex
from node.gossip.peers import PeerBook
from node.gossip.wire import MAX_SKEW, MessageType, open_envelope

HERE = Path(__file__).resolve().parent
#: The initiator (node A) and the responder (node B) of the recorded round.
NODE_A = KeyPair(seed=bytes(range(128, 160)))
NODE_B = KeyPair(seed=bytes(range(160, 192)))
#: The authors whose heads the nodes hold: seeds 0x01…01 to 0x07…07 (author 1 to 7).
AUTHORS = [KeyPair(seed=bytes([n]) * 32).did for n in range(1, 8)]
#: A's requests are sent at T; B answers at T + 1 (within MAX_SKEW of each other).
T = 1_780_000_000
ADDRESS_B = "mem://b"

DOMAIN = b"musette-gossip/1"
FP_DOMAIN = b"musette-fp/1"


def _root(label: str) -> bytes:
    """A stand-in Merkle root: the index hashes (author, size, root) and checks nothing
    else, so the heads need no real feeds behind them."""
    return hashlib.sha256(f"musette gossip vector root: {label}".encode()).digest()


# Node B (responder): authors 1–6, author 5 forked.
HEADS_B = [
    Head(AUTHORS[0], 3, _root("author 1, size 3")),
    Head(AUTHORS[1], 4, _root("author 2, size 4")),
    Head(AUTHORS[2], 2, _root("author 3, size 2")),
    Head(AUTHORS[3], 5, _root("author 4, size 5")),
    Head(AUTHORS[4], forked=True),
    Head(AUTHORS[5], 1, _root("author 6, size 1")),
]
# Node A (initiator): same heads for authors 1, 3, 4; author 2 shorter; no author 5 or 6;
# author 7, which B lacks. Its plan: pull 2 from size 2, pull 6 from 0, pull the fork proof
# of 5, push 7.
HEADS_A = [
    HEADS_B[0],
    Head(AUTHORS[1], 2, _root("author 2, size 2")),
    HEADS_B[2],
    HEADS_B[3],
    Head(AUTHORS[6], 1, _root("author 7, size 1")),
]


# -- the formulas of specs/gossip.md, written out (not imported) ---------------------------


def key_of(author: str) -> str:
    """§2.1: the first 16 hex digits of SHA-256(author)."""
    return hashlib.sha256(author.encode()).hexdigest()[:16]


def item_hash(head: Head) -> bytes:
    """§2.1: SHA-256(author ‖ 0x00 ‖ (size u64be ‖ root | "fork"))."""
    tail = b"fork" if head.forked else struct.pack(">Q", head.size) + head.root
    return hashlib.sha256(head.author.encode() + b"\x00" + tail).digest()


def fingerprint(heads: list[Head], prefix: str = "") -> tuple[int, int, bytes]:
    """§2.2: (count, sum mod 2^256, fingerprint) of the heads whose key starts with prefix."""
    items = [item_hash(h) for h in heads if key_of(h.author).startswith(prefix)]
    total = sum(int.from_bytes(i, "big") for i in items) % (1 << 256)
    if not items:
        return 0, 0, b""
    data = FP_DOMAIN + struct.pack(">Q", len(items)) + total.to_bytes(32, "big")
    return len(items), total, hashlib.sha256(data).digest()[:16]


def signing_input(kind: int, key: bytes, time: int, context: bytes, body: bytes) -> bytes:
    """§3.2: domain ‖ type ‖ key ‖ time (u64 big-endian) ‖ context ‖ SHA-256(body)."""
    digest = hashlib.sha256(body).digest()
    return DOMAIN + bytes([kind]) + key + struct.pack(">Q", time) + context + digest


# -- the recorded round -----------------------------------------------------------------


class _HeadsOnly:
    """A replica holding heads and nothing else: enough for DIGEST and RECONCILE."""

    def __init__(self, heads: list[Head]) -> None:
        self._index = HeadIndex(heads)

    def index(self) -> HeadIndex:
        return self._index

    def entries(self, author: str, start: int, end: int) -> list[bytes]:
        return []

    def checkpoint(self, author: str) -> bytes | None:
        return None

    def consistency(self, author: str, old_size: int, new_size: int) -> list[bytes]:
        return []

    def root_at(self, author: str, size: int) -> bytes:
        raise AssertionError("not reached: A holds no feed longer than B's")

    def fork_proof(self, author: str) -> bytes | None:
        return None

    def ingest(
        self, entries: Any, checkpoints: Any, forks: Any
    ) -> IngestReport:  # pragma: no cover - not reached
        raise AssertionError("not reached: the round stops at its first PULL")


@dataclass(slots=True)
class _Recorder:
    """Delivers A's requests to B and records them; stops the round at the first PULL."""

    responder: GossipNode
    exchanges: list[tuple[bytes, bytes | None]]

    def exchange(self, address: str, request: bytes) -> bytes:
        kind = open_envelope(request, now=T).type
        if kind is MessageType.PULL:
            self.exchanges.append((request, None))
            raise TransportError("the recording stops here")
        response = self.responder.handle(request)
        self.exchanges.append((request, response))
        return response


def _node(key: KeyPair, heads: list[Head], now: int) -> GossipNode:
    clock = lambda: float(now)  # noqa: E731 - a fixed clock
    return GossipNode(
        key, _HeadsOnly(heads), PeerBook(clock=clock), clock=clock, rng=random.Random(0)
    )


def record_round() -> list[tuple[bytes, bytes | None]]:
    """A's DIGEST, RECONCILE, RECONCILE exchanges with B, and A's PULL request."""
    recorder = _Recorder(_node(NODE_B, HEADS_B, T + 1), [])
    report = _node(NODE_A, HEADS_A, T).sync(recorder, ADDRESS_B)
    assert report.error == "the recording stops here", report.error
    kinds = [open_envelope(req, now=T).type for req, _ in recorder.exchanges]
    assert kinds == [
        MessageType.DIGEST,
        MessageType.RECONCILE,
        MessageType.RECONCILE,
        MessageType.PULL,
    ], kinds
    return recorder.exchanges


# -- vectors ----------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Vector:
    name: str
    data: bytes
    description: str
    now: int  # the receiver's clock when opening it
    answering: str | None  # the file of the request a reader opens it as answering
    error: str | None = None  # None: valid; else the exception class
    signed_for: str | None = None  # the request it was sealed to answer (default: answering)


def diagnostic(value: Any) -> Any:
    """A decoded CBOR value as JSON: byte strings as ``h'<hex>'``, map order kept."""
    if isinstance(value, bytes):
        return f"h'{value.hex()}'"
    if isinstance(value, dict):
        return {str(key): diagnostic(item) for key, item in value.items()}
    if isinstance(value, list):
        return [diagnostic(item) for item in value]
    return value


def _flip_signature(data: bytes) -> bytes:
    flipped = bytearray(data)
    flipped[-64] ^= 0x01  # the lowest bit of the signature's first byte
    return bytes(flipped)


def _resealed(outer: list[Any], key: KeyPair, *, kind: int, time: int) -> list[Any]:
    """``outer`` with another type or time, validly signed for it."""
    version, _, public, _, body, _ = outer
    signature = key.sign(signing_input(kind, public, time, bytes(32), body))
    return [version, kind, public, time, body, signature]


def build() -> tuple[list[Vector], dict[str, Any]]:
    """The vectors in manifest order, and the manifest's other sections."""
    (digest_q, digest_r), (rec1_q, rec1_r), (rec2_q, rec2_r), (pull_q, _) = record_round()
    assert digest_r is not None
    assert rec1_r is not None
    assert rec2_r is not None
    vectors = [
        Vector(
            "digest-request",
            digest_q,
            "A's DIGEST: the fingerprint of all its heads (a 126-byte envelope).",
            T,
            None,
        ),
        Vector(
            "digest-response",
            digest_r,
            "B's DIGEST answer: the fingerprint of all its "
            "heads, which differs, so the round goes on.",
            T + 1,
            "digest-request.cbor",
        ),
        Vector(
            "reconcile-request-1",
            rec1_q,
            'A\'s first RECONCILE: the whole key space (prefix "").',
            T,
            None,
        ),
        Vector(
            "reconcile-response-1",
            rec1_r,
            "B's answer: B holds more than 4 heads, so "
            'the range "" comes as the fingerprints of its 16 sub-ranges ("f").',
            T + 1,
            "reconcile-request-1.cbor",
        ),
        Vector(
            "reconcile-request-2",
            rec2_q,
            "A's second RECONCILE: the one-digit prefixes whose fingerprint differs from A's.",
            T,
            None,
        ),
        Vector(
            "reconcile-response-2",
            rec2_r,
            "B's answer: each of those ranges holds at "
            'most 4 heads, so each comes as its heads ("h"); a forked mark is [author].',
            T + 1,
            "reconcile-request-2.cbor",
        ),
        Vector(
            "pull-request",
            pull_q,
            "A's PULL after planning: the fork proof of author 5, "
            "author 2 from A's size 2 to B's 4, author 6 from 0 to 1 (author 7 waits for "
            "the PUSH).",
            T,
            None,
        ),
    ]

    # -- broken: each keeps the digest request's content and breaks one thing
    outer = cbor2.loads(digest_q)
    # 0x86 (array of 6), then version, type, key as they were, the time as 0x1b + 8 bytes.
    start = b"\x86" + b"".join(cbor2.dumps(x) for x in outer[:3])
    tail = b"".join(cbor2.dumps(x) for x in outer[4:])
    non_deterministic = start + b"\x1b" + struct.pack(">Q", outer[3]) + tail
    assert cbor2.loads(non_deterministic) == outer
    assert non_deterministic != digest_q
    vectors += [
        Vector(
            "digest-request-bit-flipped-signature",
            _flip_signature(digest_q),
            "digest-request with the lowest bit of its signature's first byte flipped.",
            T,
            None,
            "WireError",
        ),
        Vector(
            "digest-response-bound-to-another-request",
            digest_r,
            "digest-response "
            "opened as the answer to reconcile-request-1: its signature binds it to "
            "digest-request (context = SHA-256 of that envelope).",
            T + 1,
            "reconcile-request-1.cbor",
            "WireError",
            signed_for="digest-request.cbor",
        ),
        Vector(
            "digest-request-stale",
            cbor2.dumps(_resealed(outer, NODE_A, kind=outer[1], time=T - MAX_SKEW - 1)),
            f"digest-request validly signed at "
            f"T - {MAX_SKEW + 1} s, opened at T: over the ±{MAX_SKEW} s limit.",
            T,
            None,
            "WireError",
        ),
        Vector(
            "digest-request-non-deterministic-cbor",
            non_deterministic,
            "digest-request "
            "with its time written as an 8-byte integer (0x1b) instead of 4: same values, "
            "same valid signature, another encoding.",
            T,
            None,
            "WireError",
        ),
        Vector(
            "digest-request-wrong-version",
            cbor2.dumps([2, *outer[1:]]),
            "digest-request "
            "with version 2 (the signature, whose domain string names version 1, is "
            "unchanged).",
            T,
            None,
            "WireError",
        ),
        Vector(
            "digest-request-unknown-type",
            cbor2.dumps(_resealed(outer, NODE_A, kind=5, time=T)),
            "digest-request as message type 5, validly signed for it.",
            T,
            None,
            "WireError",
        ),
    ]

    heads_b = []
    for head in sorted(HEADS_B, key=lambda h: key_of(h.author)):
        heads_b.append(
            {
                "author": head.author,
                "key": key_of(head.author),
                "wire": diagnostic(head.to_wire()),
                "item_hash": item_hash(head).hex(),
            }
        )
    ranges: dict[str, Any] = {}
    empty = next(d for d in "0123456789abcdef" if not fingerprint(HEADS_B, d)[0])
    for prefix in ("", key_of(AUTHORS[0])[:1], key_of(AUTHORS[0])[:2], empty):
        count, total, fp = fingerprint(HEADS_B, prefix)
        ranges[prefix] = {"count": count, "sum": f"{total:064x}", "fingerprint": fp.hex()}
    sections = {
        "keys": {
            "node_a": NODE_A.did,
            "node_b": NODE_B.did,
            "authors": AUTHORS,
            "seeds": "node A bytes 128..159, node B 160..191; author n (1..7) the byte n "
            "repeated 32 times",
        },
        "time": {"request": T, "response": T + 1, "max_skew": MAX_SKEW},
        "index": {
            "description": "Node B's heads (authors 1-6, author 5 forked; roots are "
            "SHA-256 of a label, the index checks nothing else), in key order.",
            "heads": heads_b,
            "ranges": ranges,
            "children": [fingerprint(HEADS_B, d)[2].hex() for d in "0123456789abcdef"],
            "node_a_fingerprint": fingerprint(HEADS_A)[2].hex(),
        },
    }
    return vectors, sections


def _record(vector: Vector, files: dict[str, bytes]) -> dict[str, Any]:
    version, kind, public, time, body, signature = cbor2.loads(vector.data)
    # The context the envelope was signed with: SHA-256 of the request it was sealed to
    # answer (not always the one a reader is told to open it with), or 32 zero bytes.
    signed_for = vector.signed_for or vector.answering
    context = hashlib.sha256(files[signed_for]).digest() if signed_for else bytes(32)
    expected: dict[str, Any] = {"valid": vector.error is None}
    if vector.error is not None:
        expected["error"] = vector.error
    known = kind in MessageType._value2member_map_
    return {
        "description": vector.description,
        "length": len(vector.data),
        "hex": vector.data.hex(),
        "envelope": {
            "version": version,
            "type": kind,
            "type_name": MessageType(kind).name if known else None,
            "key": public.hex(),
            "time": time,
            "body": body.hex(),
            "body_diagnostic": diagnostic(cbor2.loads(body)) if body else None,
            "signature": signature.hex(),
        },
        "signed_for": signed_for,
        "context": context.hex(),
        "signing_input": signing_input(kind, public, time, context, body).hex(),
        "open": {"now": vector.now, "answering": vector.answering},
        "expected": expected,
    }


def render() -> dict[str, bytes]:
    """Every file of this folder the generator writes: name -> exact bytes."""
    vectors, sections = build()
    files = {f"{vector.name}.cbor": vector.data for vector in vectors}
    records = {f"{vector.name}.cbor": _record(vector, files) for vector in vectors}
    manifest = {**sections, "vectors": records}
    text = json.dumps(manifest, indent=2, ensure_ascii=False) + "\n"
    return {**files, "manifest.json": text.encode("utf-8")}


def write(folder: Path) -> None:
    for name, data in render().items():
        (folder / name).write_bytes(data)


if __name__ == "__main__":
    write(Path(sys.argv[1]) if len(sys.argv) > 1 else HERE)
