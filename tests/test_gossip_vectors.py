"""Musette's own gossip vectors (specs/vectors/gossip): regenerating changes nothing, each
envelope opens (or is refused) through ``node.gossip.wire.open_envelope`` as its manifest
says, and the signing inputs, item hashes and fingerprints follow the formulas of
``specs/gossip.md``, recomputed here without ``node.gossip``."""

from __future__ import annotations

import hashlib
import importlib.util
import json
import struct
import sys
from types import ModuleType
from typing import Any

import cbor2
import pytest

from credentials.keys import Ed25519PublicKey
from node.gossip.errors import WireError
from node.gossip.index import Head, HeadIndex, key_of
from node.gossip.wire import MAX_SKEW, MessageType, open_envelope
from tests.conftest import SPEC_VECTORS

FOLDER = SPEC_VECTORS / "gossip"
MANIFEST: dict[str, Any] = json.loads((FOLDER / "manifest.json").read_text(encoding="utf-8"))
VECTORS: dict[str, Any] = MANIFEST["vectors"]
VALID = [name for name, vector in VECTORS.items() if vector["expected"]["valid"]]
NEGATIVE = [name for name, vector in VECTORS.items() if not vector["expected"]["valid"]]

# Our wording of each refusal, so that a vector fails for the reason it is named after
# (implementation detail: kept here, not in the manifest).
REASONS: dict[str, str] = {
    "digest-request-bit-flipped-signature.cbor": "message signature does not verify",
    "digest-response-bound-to-another-request.cbor": "response signature does not verify",
    "digest-request-stale.cbor": f"limit ±{MAX_SKEW} s",
    "digest-request-non-deterministic-cbor.cbor": "deterministic CBOR",
    "digest-request-wrong-version.cbor": "gossip version 2",
    "digest-request-unknown-type.cbor": "unknown message type 5",
}


def _generator() -> ModuleType:
    spec = importlib.util.spec_from_file_location("_gossip_vectors", FOLDER / "generate.py")
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # its dataclasses look their module up there
    try:
        spec.loader.exec_module(module)
    finally:
        del sys.modules[spec.name]
    return module


def _read(name: str) -> bytes:
    return (FOLDER / name).read_bytes()


def _open(name: str) -> Any:
    vector = VECTORS[name]
    answering = vector["open"]["answering"]
    request = _read(answering) if answering else None
    return open_envelope(_read(name), now=vector["open"]["now"], answering=request)


# -- the formulas of specs/gossip.md §2 and §3.2, again ---------------------------------


def _item_hash(author: str, size: int, root: bytes, forked: bool) -> bytes:
    tail = b"fork" if forked else size.to_bytes(8, "big") + root
    return hashlib.sha256(author.encode() + b"\x00" + tail).digest()


def _fingerprint(items: list[bytes]) -> bytes:
    if not items:
        return b""
    total = sum(int.from_bytes(item, "big") for item in items) % 2**256
    data = b"musette-fp/1" + len(items).to_bytes(8, "big") + total.to_bytes(32, "big")
    return hashlib.sha256(data).digest()[:16]


def _signing_input(kind: int, key: bytes, time: int, context: bytes, body: bytes) -> bytes:
    return b"".join(
        (
            b"musette-gossip/1",
            bytes([kind]),
            key,
            struct.pack(">Q", time),
            context,
            hashlib.sha256(body).digest(),
        )
    )


def _head(wire: list[Any]) -> Head:
    if len(wire) == 1:
        return Head(wire[0], forked=True)
    return Head(wire[0], wire[1], bytes.fromhex(wire[2][2:-1]))


HEADS_B = [_head(record["wire"]) for record in MANIFEST["index"]["heads"]]


# -- the files ----------------------------------------------------------------------------


def test_generator_reproduces_the_committed_vectors() -> None:
    produced: dict[str, bytes] = _generator().render()
    committed = sorted(p.name for p in FOLDER.iterdir() if p.suffix in (".cbor", ".json"))
    assert sorted(produced) == committed
    for name, data in produced.items():
        assert data == _read(name), name


def test_manifest_names_every_file_with_its_bytes() -> None:
    assert sorted(VECTORS) == sorted(p.name for p in FOLDER.glob("*.cbor"))
    for name, vector in VECTORS.items():
        assert bytes.fromhex(vector["hex"]) == _read(name), name
        assert vector["length"] == len(_read(name)), name


# -- envelopes ----------------------------------------------------------------------------


@pytest.mark.parametrize("name", VALID)
def test_valid_vector(name: str) -> None:
    vector = VECTORS[name]
    fields = vector["envelope"]
    envelope = _open(name)
    assert envelope.type is MessageType[fields["type_name"]]
    assert envelope.sender.raw.hex() == fields["key"]
    assert envelope.time == fields["time"]
    assert envelope.raw == _read(name)
    body = bytes.fromhex(fields["body"])
    assert envelope.body == cbor2.loads(body)
    # Independently of node.gossip: the signature covers the signing input of §3.2.
    signed_for = vector["signed_for"]
    context = hashlib.sha256(_read(signed_for)).digest() if signed_for else bytes(32)
    assert signed_for == vector["open"]["answering"]
    assert context.hex() == vector["context"]
    tbs = _signing_input(fields["type"], bytes.fromhex(fields["key"]), envelope.time, context, body)
    assert tbs.hex() == vector["signing_input"]
    public = Ed25519PublicKey(raw=bytes.fromhex(fields["key"]))
    public.verify(tbs, bytes.fromhex(fields["signature"]))


@pytest.mark.parametrize("name", NEGATIVE)
def test_negative_vector(name: str) -> None:
    assert VECTORS[name]["expected"]["error"] == "WireError"
    with pytest.raises(WireError, match=REASONS[name]):
        _open(name)


def test_responses_name_their_request_and_no_other() -> None:
    responses = [n for n in VALID if VECTORS[n]["open"]["answering"]]
    assert responses
    for name in responses:
        now = VECTORS[name]["open"]["now"]
        with pytest.raises(WireError, match="response signature"):
            open_envelope(_read(name), now=now, answering=_read(name))
        with pytest.raises(WireError, match="message signature"):
            open_envelope(_read(name), now=now)


def test_digest_envelope_is_126_bytes() -> None:
    # 1 (array) + 1 (version) + 1 (type) + 34 (key) + 5 (time) + 18 (body) + 66 (signature)
    for name in ("digest-request.cbor", "digest-response.cbor"):
        assert len(_read(name)) == 126


def test_digests_carry_the_fingerprints_of_the_index() -> None:
    index = MANIFEST["index"]
    request = _open("digest-request.cbor")
    response = _open("digest-response.cbor")
    assert response.body.hex() == index["ranges"][""]["fingerprint"]
    assert request.body.hex() == index["node_a_fingerprint"]


def test_reconcile_response_splits_or_lists() -> None:
    first = _open("reconcile-response-1.cbor").body["ranges"]
    assert first == [["f", [bytes.fromhex(fp) for fp in MANIFEST["index"]["children"]]]]
    asked = _open("reconcile-request-2.cbor").body["prefixes"]
    listed = _open("reconcile-response-2.cbor").body["ranges"]
    assert len(listed) == len(asked)
    for prefix, (kind, heads) in zip(asked, listed, strict=True):
        assert kind == "h"
        assert 0 < len(heads) <= 4 or prefix == "f"  # "f": A's head, which B lacks
        assert all(key_of(head[0]).startswith(prefix) for head in heads)


# -- the head index -------------------------------------------------------------------------


def test_keys_and_item_hashes() -> None:
    for record, head in zip(MANIFEST["index"]["heads"], HEADS_B, strict=True):
        assert record["key"] == hashlib.sha256(head.author.encode()).hexdigest()[:16]
        assert record["key"] == key_of(head.author)
        expected = _item_hash(head.author, head.size, head.root, head.forked)
        assert record["item_hash"] == expected.hex()
        assert head.item_hash == int.from_bytes(expected, "big")


def test_range_fingerprints() -> None:
    index = HeadIndex(HEADS_B)
    items = {r["key"]: bytes.fromhex(r["item_hash"]) for r in MANIFEST["index"]["heads"]}
    for prefix, expected in MANIFEST["index"]["ranges"].items():
        inside = [item for key, item in items.items() if key.startswith(prefix)]
        total = sum(int.from_bytes(item, "big") for item in inside) % 2**256
        assert expected["count"] == len(inside) == index.count(prefix)
        assert expected["sum"] == f"{total:064x}"
        assert expected["fingerprint"] == _fingerprint(inside).hex()
        assert index.fingerprint(prefix).hex() == expected["fingerprint"]
    assert MANIFEST["index"]["ranges"][min(MANIFEST["index"]["ranges"], key=_count)] == {
        "count": 0,
        "sum": "0" * 64,
        "fingerprint": "",
    }
    children = [fp.hex() for fp in index.children("")]
    assert children == MANIFEST["index"]["children"]


def _count(prefix: str) -> int:
    return int(MANIFEST["index"]["ranges"][prefix]["count"])


def test_fingerprint_is_order_free_and_incremental() -> None:
    whole = HeadIndex(HEADS_B)
    built = HeadIndex()
    for head in reversed(HEADS_B):
        built.set(head)
    assert built.fingerprint("") == whole.fingerprint("")
    changed = whole.copy()
    first = HEADS_B[0]
    changed.set(Head(first.author, first.size + 1, bytes(32)))
    assert changed.fingerprint("") != whole.fingerprint("")
    changed.set(first)
    assert changed.fingerprint("") == whole.fingerprint("")
