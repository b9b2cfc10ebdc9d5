"""Generate Musette's own ledger vectors (``specs/ledger.md``): signed entries of every
kind, a feed with its checkpoints, Merkle root and proofs, the three fork-proof forms,
and broken objects, each named after what it breaks.

    .venv/bin/python specs/vectors/ledger/generate.py [OUTPUT_DIR]

Writes into OUTPUT_DIR (this folder by default) one ``<name>.cbor`` per vector (the exact
bytes: a COSE_Sign1 for entries, edge statements and checkpoints, the deterministic CBOR
of ``ForkProof.to_bytes`` for fork proofs) and ``manifest.json``, which gives for each
file its hex, its payload in diagnostic-like JSON (byte strings as ``h'…'``), and the
outcome a reader must reach: ``valid`` or the ``ledger.errors`` class it must raise, at
which ``check`` (``parse``, ``admission`` after the entries listed in ``feed``,
``checkpoint`` offered to a store holding ``feed``, or ``fork-proof``).

Deterministic: fixed seeds, fixed times, fixed credential ids, and Ed25519 signatures are
deterministic, so a second run rewrites identical files (``tests/test_ledger_vectors.py``
checks it, and checks every outcome).
"""

from __future__ import annotations

import json
import sys
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import cbor2

from credentials import dataintegrity
from credentials.keys import KeyPair
from credentials.models import SkillAttestation, SkillClaim
from ledger import cose, encoding, merkle
from ledger.entries import (
    FORMAT_VERSION,
    Checkpoint,
    EdgeStatement,
    Entry,
    credential_digest,
)
from ledger.forks import ForkProof
from ledger.statuslist import list_id

HERE = Path(__file__).resolve().parent
ISSUER = KeyPair(seed=bytes(range(32)))
WORKER = KeyPair(seed=bytes(range(64, 96)))
STRANGER = KeyPair(seed=bytes(range(96, 128)))
ISSUED = datetime(2026, 1, 15, 9, 30, tzinfo=UTC)
#: The issuer's status entries are written at T, the worker's feed the day before.
T = 1_780_000_000
WORKER_T = T - 86_400


@dataclass(frozen=True, slots=True)
class Vector:
    """One file: its bytes, what it is, and what a reader must make of it."""

    name: str
    data: bytes
    kind: str  # "entry" | "edge-statement" | "checkpoint" | "fork-proof"
    description: str
    expected: dict[str, Any]
    # The CBOR the signature covers (for a corrupted message, that of the message it was
    # made from); None for a fork proof, whose bytes are themselves the CBOR.
    payload: bytes | None = None
    kid: str | None = None  # the did:key the COSE kid names (not always the real signer)


def _credential(skill: str, level: int, credential_id: str) -> dict[str, Any]:
    attestation = SkillAttestation(
        issuer=ISSUER.did,
        issuer_name="Amira Haddad",
        subject=WORKER.did,
        skill=skill,
        level=level,
        evidence="Observed on site over two years.",
        valid_from=ISSUED,
        credential_id=credential_id,
    )
    return dataintegrity.sign(attestation.to_jsonld(), ISSUER, created=ISSUED)


def _sign(payload: bytes, key: KeyPair, *, kid: KeyPair | None = None) -> bytes:
    """A COSE_Sign1 in the ledger profile over ``payload`` (any bytes), kid = a did:key."""
    return cose.sign1(payload, key, kid=(kid or key).did.encode("ascii"))


def _entry_map(
    key: KeyPair, seq: int, prev: bytes | None, time: int, kind: str, body: Mapping[str, Any]
) -> dict[str, Any]:
    # Insertion order is not the canonical order ("author" sorts last): only
    # entry-non-deterministic-cbor encodes this map without sorting it.
    return {
        "v": FORMAT_VERSION,
        "author": key.did,
        "seq": seq,
        "prev": prev,
        "time": time,
        "kind": kind,
        "body": dict(body),
    }


def _payload(signed: bytes) -> bytes:
    return cose.decode_sign1(signed).payload


def _entry(vector: str, entry: Entry, description: str, expected: dict[str, Any]) -> Vector:
    return Vector(
        vector, entry.signed, "entry", description, expected, _payload(entry.signed), entry.author
    )


def _valid(check: str, feed: Sequence[str] | None = None) -> dict[str, Any]:
    expected: dict[str, Any] = {"valid": True, "check": check}
    if feed is not None:
        expected["feed"] = list(feed)
    return expected


def _error(error: str, check: str, feed: Sequence[str] | None = None) -> dict[str, Any]:
    expected: dict[str, Any] = {"valid": False, "check": check, "error": error}
    if feed is not None:
        expected["feed"] = list(feed)
    return expected


def build() -> tuple[list[Vector], dict[str, Any]]:
    """The vectors in manifest order, and the manifest's other sections."""
    vectors: list[Vector] = []
    credential_a = _credential("TIG welding", 6, "urn:uuid:6f0c2d4e-8a1b-4c3d-9e5f-1a2b3c4d5e6f")
    credential_b = _credential("MIG welding", 4, "urn:uuid:0b1c2d3e-4f50-4617-8a9b-acbdcedf0a1b")
    digest_a, digest_b = credential_digest(credential_a), credential_digest(credential_b)

    # -- the edge statement and the worker's feed: acceptance, flag, snapshot, withdrawal
    edge = EdgeStatement.create(
        credential_a,
        SkillClaim.from_credential(credential_a),
        ISSUER,
        time=int(ISSUED.timestamp()),
    )
    vectors.append(
        Vector(
            "edge-statement",
            edge.signed,
            "edge-statement",
            "The issuer's signed edge statement of credential A (issuer -> worker, TIG "
            "welding, level 6), as handed to the worker; embedded in entry-acceptance.",
            _valid("parse"),
            _payload(edge.signed),
            ISSUER.did,
        )
    )
    acceptance = Entry.create(
        WORKER, seq=0, prev=None, time=WORKER_T, kind="acceptance", body={"edge": edge.signed}
    )
    flag = Entry.create(
        WORKER,
        seq=1,
        prev=acceptance.hash,
        time=WORKER_T + 60,
        kind="flag",
        body={"target": STRANGER.did, "reason": "Claims a guild certification he does not hold."},
    )
    snapshot_body = {"scores": {ISSUER.did: 900, STRANGER.did: 0}}
    snapshot = Entry.create(
        WORKER,
        seq=2,
        prev=flag.hash,
        time=WORKER_T + 120,
        kind="trust-snapshot",
        body=snapshot_body,
    )
    withdrawal = Entry.create(
        WORKER,
        seq=3,
        prev=snapshot.hash,
        time=WORKER_T + 180,
        kind="withdrawal",
        body={"credential": digest_a},
    )
    worker_feed = [acceptance, flag, snapshot, withdrawal]
    worker_names = [
        "entry-acceptance",
        "entry-flag",
        "entry-trust-snapshot",
        "entry-withdrawal",
    ]
    worker_files = [f"{name}.cbor" for name in worker_names]
    descriptions = [
        "Worker's feed, seq 0: accepts credential A by publishing the issuer's edge "
        "statement (edge-statement.cbor) in its body: two signatures.",
        "Worker's feed, seq 1: a flag whose target is a DID (text).",
        "Worker's feed, seq 2: a trust snapshot (body reserved for the trust metric).",
        "Worker's feed, seq 3: withdraws its acceptance of credential A.",
    ]
    for position, (name, entry, description) in enumerate(
        zip(worker_names, worker_feed, descriptions, strict=True)
    ):
        vectors.append(
            _entry(name, entry, description, _valid("admission", worker_files[:position]))
        )

    # -- the issuer's feed: revocation of A, suspension and unsuspension of B -----------
    status_list = list_id(ISSUER.did, 0)
    revocation = Entry.create(
        ISSUER,
        seq=0,
        prev=None,
        time=T,
        kind="revocation",
        body={
            "credential": digest_a,
            "list": status_list,
            "index": 28939,
            "reason": "issued by mistake",
        },
    )
    suspension = Entry.create(
        ISSUER,
        seq=1,
        prev=revocation.hash,
        time=T + 60,
        kind="suspension",
        body={"credential": digest_b, "list": status_list, "index": 4071, "reason": "under review"},
    )
    unsuspension = Entry.create(
        ISSUER,
        seq=2,
        prev=suspension.hash,
        time=T + 120,
        kind="unsuspension",
        body={"credential": digest_b, "list": status_list, "index": 4071},
    )
    issuer_feed = [revocation, suspension, unsuspension]
    issuer_names = ["entry-revocation", "entry-suspension", "entry-unsuspension"]
    issuer_files = [f"{name}.cbor" for name in issuer_names]
    descriptions = [
        "Issuer's feed, seq 0: revokes credential A on its own status list 0 (the example "
        "of specs/ledger.md §2.1).",
        "Issuer's feed, seq 1: suspends credential B on the same list.",
        "Issuer's feed, seq 2: lifts the suspension of B (no reason: the field is optional).",
    ]
    for position, (name, entry, description) in enumerate(
        zip(issuer_names, issuer_feed, descriptions, strict=True)
    ):
        vectors.append(
            _entry(name, entry, description, _valid("admission", issuer_files[:position]))
        )

    # -- checkpoints, root and proofs of the worker's feed ------------------------------
    leaves = [merkle.leaf_hash(entry.signed) for entry in worker_feed]
    root = merkle.root(leaves)
    root_3 = merkle.root(leaves[:3])
    checkpoint_3 = Checkpoint.create(WORKER, size=3, root=root_3, time=WORKER_T + 120)
    checkpoint_4 = Checkpoint.create(WORKER, size=4, root=root, time=WORKER_T + 180)
    vectors.append(
        Vector(
            "checkpoint-size-3",
            checkpoint_3.signed,
            "checkpoint",
            "The worker's checkpoint of its first 3 entries: the old tree of the "
            "consistency proof.",
            _valid("checkpoint", worker_files[:3]),
            _payload(checkpoint_3.signed),
            WORKER.did,
        )
    )
    vectors.append(
        Vector(
            "checkpoint-size-4",
            checkpoint_4.signed,
            "checkpoint",
            "The worker's checkpoint of its 4 entries: size 4, the feed's Merkle root.",
            _valid("checkpoint", worker_files),
            _payload(checkpoint_4.signed),
            WORKER.did,
        )
    )

    # -- a rival history of the worker: the same acceptance, another seq 1 --------------
    rival_flag = Entry.create(
        WORKER,
        seq=1,
        prev=acceptance.hash,
        time=WORKER_T + 60,
        kind="flag",
        body={"target": digest_b, "reason": "A credential target is its digest (bytes)."},
    )
    rival_snapshot = Entry.create(
        WORKER,
        seq=2,
        prev=rival_flag.hash,
        time=WORKER_T + 120,
        kind="trust-snapshot",
        body=snapshot_body,
    )
    rival_withdrawal = Entry.create(
        WORKER,
        seq=3,
        prev=rival_snapshot.hash,
        time=WORKER_T + 180,
        kind="withdrawal",
        body={"credential": digest_a},
    )
    rival_feed = [acceptance, rival_flag, rival_snapshot, rival_withdrawal]
    rival_root = merkle.root([merkle.leaf_hash(entry.signed) for entry in rival_feed])
    rival_checkpoint = Checkpoint.create(WORKER, size=4, root=rival_root, time=WORKER_T + 180)
    forks = [
        (
            "fork-equivocation",
            ForkProof.equivocation(flag.signed, rival_flag.signed),
            "Two different signed entries of the worker at seq 1 (entry-flag and a rival "
            "flag chained to the same acceptance).",
        ),
        (
            "fork-checkpoints",
            ForkProof.checkpoints(checkpoint_4.signed, rival_checkpoint.signed),
            "Two signed checkpoints of the worker of size 4 with different roots "
            "(checkpoint-size-4 and checkpoint-contradicting-feed).",
        ),
        (
            "fork-entries",
            ForkProof.against_entries(
                rival_checkpoint.signed, [entry.signed for entry in worker_feed]
            ),
            "checkpoint-contradicting-feed and the worker's 4 chained entries, whose "
            "Merkle root is not the checkpoint's.",
        ),
    ]
    for name, proof, description in forks:
        vectors.append(
            Vector(
                name,
                proof.to_bytes(),
                "fork-proof",
                description,
                {**_valid("fork-proof"), "variant": proof.variant},
            )
        )

    # -- broken: parsing -----------------------------------------------------------------
    flag_payload = _payload(flag.signed)
    flipped = bytearray(flag.signed)
    flipped[-64] ^= 0x01  # the first byte of the 64-byte signature (R)

    def broken(
        name: str,
        data: bytes,
        description: str,
        expected: dict[str, Any],
        payload: bytes,
        kid: KeyPair,
    ) -> None:
        vectors.append(Vector(name, data, "entry", description, expected, payload, kid.did))

    broken(
        "entry-bit-flipped-signature",
        bytes(flipped),
        "entry-flag with the lowest bit of its signature's first byte flipped.",
        _error("SignatureError", "parse"),
        flag_payload,
        WORKER,
    )
    broken(
        "entry-truncated",
        flag.signed[:-1],
        "entry-flag without its last byte: the signature string announces 64 bytes, 63 follow.",
        _error("EncodingError", "parse"),
        flag_payload,
        WORKER,
    )
    broken(
        "entry-trailing-byte",
        flag.signed + b"\x00",
        "entry-flag followed by one more byte (0x00) after the COSE_Sign1.",
        _error("EncodingError", "parse"),
        flag_payload,
        WORKER,
    )
    flag_map = _entry_map(
        WORKER,
        1,
        acceptance.hash,
        WORKER_T + 60,
        "flag",
        {"target": flag.body["target"], "reason": flag.body["reason"]},
    )
    unsorted = cbor2.dumps(flag_map)  # insertion order, not RFC 8949 §4.2.1 order
    assert unsorted != encoding.encode(flag_map)
    broken(
        "entry-non-deterministic-cbor",
        _sign(unsorted, WORKER),
        'The content of entry-flag, its map keys in insertion order ("author" before '
        '"seq", "target" before "reason") instead of deterministic order, validly signed '
        "by the worker: one content must have one encoding.",
        _error("EncodingError", "parse"),
        unsorted,
        WORKER,
    )
    unknown = encoding.encode(
        _entry_map(WORKER, 1, acceptance.hash, WORKER_T + 60, "endorsement-request", {})
    )
    broken(
        "entry-unknown-kind",
        _sign(unknown, WORKER),
        'A validly signed entry of kind "endorsement-request", which is not a ledger kind.',
        _error("EncodingError", "parse"),
        unknown,
        WORKER,
    )
    version_map = {**flag_map, "v": FORMAT_VERSION + 1}
    version = encoding.encode(version_map)
    broken(
        "entry-wrong-version",
        _sign(version, WORKER),
        'The content of entry-flag with "v": 2, validly signed by the worker.',
        _error("EncodingError", "parse"),
        version,
        WORKER,
    )
    broken(
        "entry-signed-by-another-key",
        _sign(flag_payload, STRANGER, kid=WORKER),
        "The payload of entry-flag under a kid naming the worker, signed by the stranger.",
        _error("SignatureError", "parse"),
        flag_payload,
        WORKER,
    )
    impostor = encoding.encode(
        _entry_map(STRANGER, 0, None, WORKER_T, "acceptance", {"edge": edge.signed})
    )
    broken(
        "acceptance-by-someone-else",
        _sign(impostor, STRANGER),
        "The stranger publishes the worker's edge statement as its own acceptance: both "
        "signatures verify, but an acceptance is the edge's subject's to write "
        "(specs/ledger.md §3 step 2, refused while parsing the body).",
        _error("ForbiddenError", "parse"),
        impostor,
        STRANGER,
    )

    # -- broken: admission ---------------------------------------------------------------
    skipping = encoding.encode(
        _entry_map(WORKER, 2, acceptance.hash, WORKER_T + 60, "flag", flag.body)
    )
    broken(
        "entry-out-of-sequence",
        _sign(skipping, WORKER),
        "Offered after entry-acceptance: seq 2 where the feed has 1 entry (its prev is "
        "entry-acceptance's hash, so only the sequence is wrong).",
        _error("SequenceError", "admission", worker_files[:1]),
        skipping,
        WORKER,
    )
    spliced = encoding.encode(
        _entry_map(WORKER, 1, revocation.hash, WORKER_T + 60, "flag", flag.body)
    )
    broken(
        "entry-broken-chain",
        _sign(spliced, WORKER),
        "Offered after entry-acceptance: seq 1, but prev is the hash of another feed's "
        "entry (entry-revocation), not of entry-acceptance.",
        _error("SequenceError", "admission", worker_files[:1]),
        spliced,
        WORKER,
    )
    foreign = encoding.encode(
        _entry_map(
            WORKER,
            4,
            withdrawal.hash,
            WORKER_T + 240,
            "revocation",
            {"credential": digest_a, "list": status_list, "index": 28939},
        )
    )
    broken(
        "revocation-of-another-issuers-list",
        _sign(foreign, WORKER),
        "The worker, after its 4 entries, revokes credential A on the issuer's list 0: "
        "nobody changes the status of another issuer's credential.",
        _error("ForbiddenError", "admission", worker_files),
        foreign,
        WORKER,
    )
    again = encoding.encode(
        _entry_map(
            WORKER, 4, withdrawal.hash, WORKER_T + 240, "withdrawal", {"credential": digest_a}
        )
    )
    broken(
        "withdrawal-without-acceptance",
        _sign(again, WORKER),
        "The worker, after its 4 entries, withdraws credential A again: its acceptance "
        "was withdrawn at seq 3, so none is in force.",
        _error("ForbiddenError", "admission", worker_files),
        again,
        WORKER,
    )

    # -- broken: a checkpoint the feed contradicts ----------------------------------------
    vectors.append(
        Vector(
            "checkpoint-contradicting-feed",
            rival_checkpoint.signed,
            "checkpoint",
            "A validly signed checkpoint of the worker, size 4, whose root is that of a "
            "rival history (seq 1 replaced): offered to a store holding the worker's 4 "
            "entries, it is recorded as a fork (fork-entries is that evidence).",
            _error("ForkError", "checkpoint", worker_files),
            _payload(rival_checkpoint.signed),
            WORKER.did,
        )
    )

    inclusion_index, old_size = 2, 3
    sections = {
        "keys": {
            "issuer": ISSUER.did,
            "worker": WORKER.did,
            "stranger": STRANGER.did,
            "seeds": "issuer bytes 0..31, worker 64..95, stranger 96..127 (as the "
            "credential vectors)",
        },
        "credentials": {
            "A": {"digest": digest_a.hex(), "document": credential_a},
            "B": {"digest": digest_b.hex(), "document": credential_b},
        },
        "feeds": {
            "worker": {
                "author": WORKER.did,
                "entries": worker_files,
                "leaf_hashes": [leaf.hex() for leaf in leaves],
                "root": root.hex(),
                "checkpoint": "checkpoint-size-4.cbor",
                "inclusion": {
                    "entry": worker_files[inclusion_index],
                    "index": inclusion_index,
                    "tree_size": len(leaves),
                    "leaf_hash": leaves[inclusion_index].hex(),
                    "proof": [h.hex() for h in merkle.inclusion_proof(leaves, inclusion_index)],
                },
                "consistency": {
                    "old_size": old_size,
                    "new_size": len(leaves),
                    "old_root": root_3.hex(),
                    "old_checkpoint": "checkpoint-size-3.cbor",
                    "proof": [h.hex() for h in merkle.consistency_proof(leaves, old_size)],
                },
            },
            "issuer": {
                "author": ISSUER.did,
                "entries": issuer_files,
                "leaf_hashes": [merkle.leaf_hash(e.signed).hex() for e in issuer_feed],
                "root": merkle.root([merkle.leaf_hash(e.signed) for e in issuer_feed]).hex(),
            },
        },
    }
    return vectors, sections


def diagnostic(value: Any) -> Any:
    """A decoded CBOR value as JSON: byte strings as ``h'<hex>'``, map keys as text, map
    order kept (so an unsorted map shows unsorted)."""
    if isinstance(value, bytes):
        return f"h'{value.hex()}'"
    if isinstance(value, dict):
        return {str(key): diagnostic(item) for key, item in value.items()}
    if isinstance(value, list):
        return [diagnostic(item) for item in value]
    return value


def write(folder: Path) -> None:
    vectors, sections = build()
    entries: dict[str, Any] = {}
    for vector in vectors:
        filename = f"{vector.name}.cbor"
        (folder / filename).write_bytes(vector.data)
        record: dict[str, Any] = {"object": vector.kind, "description": vector.description}
        if vector.kid is not None:
            record["kid"] = vector.kid
        record["hex"] = vector.data.hex()
        cbor = vector.data if vector.payload is None else vector.payload
        record["payload"] = diagnostic(cbor2.loads(cbor))
        record["expected"] = vector.expected
        entries[filename] = record
    manifest = {**sections, "vectors": entries}
    text = json.dumps(manifest, indent=2, ensure_ascii=False) + "\n"
    (folder / "manifest.json").write_text(text, encoding="utf-8")


if __name__ == "__main__":
    write(Path(sys.argv[1]) if len(sys.argv) > 1 else HERE)
