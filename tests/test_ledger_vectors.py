"""Musette's own ledger vectors (specs/vectors/ledger): regenerating changes nothing, and
each one gets the outcome its manifest names, through the pure functions (parsing,
``admit``, the Merkle proof checks, ``ForkProof.verify``) and through a store's ingest."""

from __future__ import annotations

import json
import subprocess
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import cbor2
import pytest

from credentials.models import SkillClaim
from ledger import cose, merkle
from ledger.entries import Checkpoint, EdgeStatement, Entry, credential_digest
from ledger.errors import (
    EncodingError,
    ForbiddenError,
    ForkError,
    LedgerError,
    ProofError,
    SequenceError,
    SignatureError,
)
from ledger.feed import FeedHead, admit
from ledger.forks import ForkProof
from ledger.store import IngestReport, LedgerStore
from tests.conftest import ROOT, SPEC_VECTORS

FOLDER = SPEC_VECTORS / "ledger"
MANIFEST: dict[str, Any] = json.loads((FOLDER / "manifest.json").read_text(encoding="utf-8"))
VECTORS: dict[str, Any] = MANIFEST["vectors"]
VALID = [name for name, vector in VECTORS.items() if vector["expected"]["valid"]]
NEGATIVE = [name for name, vector in VECTORS.items() if not vector["expected"]["valid"]]
ERRORS: dict[str, type[LedgerError]] = {
    error.__name__: error
    for error in (EncodingError, SignatureError, SequenceError, ForbiddenError, ForkError)
}

# Our wording of each refusal, so that a vector fails for the reason it is named after and
# not for another of the same class (implementation detail: kept here, not in the manifest).
REASONS: dict[str, str] = {
    "entry-bit-flipped-signature.cbor": "signature does not verify",
    "entry-truncated.cbor": "truncated",
    "entry-trailing-byte.cbor": "trailing bytes",
    "entry-non-deterministic-cbor.cbor": "deterministic",
    "entry-unknown-kind.cbor": "unknown kind",
    "entry-wrong-version.cbor": "format version 2",
    "entry-signed-by-another-key.cbor": "signature does not verify",
    "acceptance-by-someone-else.cbor": "edge's subject",
    "entry-out-of-sequence.cbor": "out of sequence",
    "entry-broken-chain.cbor": "does not chain",
    "revocation-of-another-issuers-list.cbor": "cannot change the status",
    "withdrawal-without-acceptance.cbor": "withdrawal must name a credential",
}


def _read(name: str) -> bytes:
    return (FOLDER / name).read_bytes()


def _diagnostic(value: Any) -> Any:
    """The manifest's rendering of decoded CBOR (byte strings as h'…', keys as text)."""
    if isinstance(value, bytes):
        return f"h'{value.hex()}'"
    if isinstance(value, dict):
        return {str(key): _diagnostic(item) for key, item in value.items()}
    if isinstance(value, list):
        return [_diagnostic(item) for item in value]
    return value


def _replay(files: Sequence[str], author: str) -> tuple[FeedHead, set[bytes]]:
    """The head and the acceptances in force of ``author``'s feed after ``files``, each
    parsed and admitted in turn (so the feed a vector is offered to is itself valid)."""
    head = FeedHead(author=author, size=0, last_hash=None)
    accepted: set[bytes] = set()
    for name in files:
        entry = Entry.from_bytes(_read(name))
        admit(head, entry, accepted=accepted.__contains__)
        if entry.kind == "acceptance":
            accepted.add(entry.edge().credential)
        elif entry.kind == "withdrawal":
            accepted.discard(bytes(entry.body["credential"]))
        head = FeedHead(author=author, size=entry.seq + 1, last_hash=entry.hash)
    return head, accepted


def _ingest(
    path: Path, entries: Sequence[bytes], checkpoints: Sequence[bytes] = (), *, author: str = ""
) -> tuple[IngestReport, bytes | None]:
    """Ingest into a fresh store: the report, and the checkpoint it then holds for
    ``author`` (None if it holds none)."""
    with LedgerStore(path / "ledger.db") as store:
        report = store.ingest(entries, checkpoints)
        held = store.checkpoint(author) if author else None
        return report, None if held is None else held.signed


def test_generator_reproduces_the_committed_vectors(tmp_path: Path) -> None:
    subprocess.run(
        [sys.executable, str(FOLDER / "generate.py"), str(tmp_path)], check=True, cwd=ROOT
    )
    produced = sorted(p.name for p in tmp_path.iterdir())
    committed = sorted(p.name for p in FOLDER.iterdir() if p.suffix in (".cbor", ".json"))
    assert produced == committed
    for name in produced:
        assert (tmp_path / name).read_bytes() == (FOLDER / name).read_bytes(), name


def test_manifest_names_every_file_with_its_bytes() -> None:
    assert sorted(VECTORS) == sorted(p.name for p in FOLDER.glob("*.cbor"))
    for name, vector in VECTORS.items():
        assert bytes.fromhex(vector["hex"]) == _read(name), name


@pytest.mark.parametrize("name", VALID)
def test_valid_vector(name: str, tmp_path: Path) -> None:
    vector = VECTORS[name]
    expected = vector["expected"]
    data = _read(name)
    kind = vector["object"]
    if kind == "fork-proof":
        proof = ForkProof.from_bytes(data)
        proof.verify()
        assert proof.variant == expected["variant"]
        assert proof.to_bytes() == data
        assert _diagnostic(cbor2.loads(data)) == vector["payload"]
        return
    assert _diagnostic(cbor2.loads(cose.decode_sign1(data).payload)) == vector["payload"]
    if kind == "edge-statement":
        assert EdgeStatement.from_bytes(data).issuer == vector["kid"]
        return
    feed = expected["feed"]
    signed = [_read(f) for f in feed]
    if kind == "entry":
        entry = Entry.from_bytes(data)
        assert entry.author == vector["kid"]
        head, accepted = _replay(feed, entry.author)
        admit(head, entry, accepted=accepted.__contains__)
        report, _ = _ingest(tmp_path, [*signed, data])
        assert (report.stored, report.refused, report.forks) == (len(feed) + 1, [], [])
    else:
        assert kind == "checkpoint"
        checkpoint = Checkpoint.from_bytes(data)
        assert checkpoint.author == vector["kid"]
        assert checkpoint.size == len(feed)
        assert checkpoint.root == merkle.root([merkle.leaf_hash(s) for s in signed])
        report, held = _ingest(tmp_path, signed, [data], author=checkpoint.author)
        assert (report.stored, report.refused, report.forks) == (len(feed), [], [])
        assert held == data


@pytest.mark.parametrize("name", NEGATIVE)
def test_negative_vector(name: str, tmp_path: Path) -> None:
    vector = VECTORS[name]
    expected = vector["expected"]
    error = ERRORS[expected["error"]]
    data = _read(name)
    check = expected["check"]
    if check == "parse":
        with pytest.raises(error, match=REASONS[name]) as caught:
            Entry.from_bytes(data)
        assert type(caught.value) is error, caught.value
        report, _ = _ingest(tmp_path, [data])
        assert (report.stored, len(report.refused), report.forks) == (0, 1, [])
        return
    feed = expected["feed"]
    signed = [_read(f) for f in feed]
    if check == "admission":
        entry = Entry.from_bytes(data)  # well-formed and well-signed: admission refuses it
        head, accepted = _replay(feed, entry.author)
        with pytest.raises(error, match=REASONS[name]) as caught:
            admit(head, entry, accepted=accepted.__contains__)
        assert type(caught.value) is error, caught.value
        report, _ = _ingest(tmp_path, [*signed, data])
        assert (report.stored, len(report.refused), report.forks) == (len(feed), 1, [])
        return
    # A checkpoint the feed contradicts raises nothing: it is evidence, and the store
    # records the fork proof (ForkError is the class of what it proves).
    assert (check, error) == ("checkpoint", ForkError)
    checkpoint = Checkpoint.from_bytes(data)
    assert checkpoint.author == vector["kid"]
    ForkProof.against_entries(data, signed).verify()
    report, held = _ingest(tmp_path, signed, [data], author=checkpoint.author)
    assert (report.stored, report.refused) == (len(feed), [])
    assert [proof.variant for proof in report.forks] == ["entries"]
    report.forks[0].verify()
    assert held is None  # the contradicted checkpoint is not adopted


@pytest.mark.parametrize("feed", sorted(MANIFEST["feeds"]))
def test_feed_chains_to_its_root(feed: str, tmp_path: Path) -> None:
    spec = MANIFEST["feeds"][feed]
    signed = [_read(name) for name in spec["entries"]]
    head, _ = _replay(spec["entries"], spec["author"])
    assert head.size == len(signed)
    leaves = [merkle.leaf_hash(s) for s in signed]
    assert [leaf.hex() for leaf in leaves] == spec["leaf_hashes"]
    assert merkle.root(leaves).hex() == spec["root"]
    with LedgerStore(tmp_path / "ledger.db") as store:
        assert store.ingest(signed).stored == len(signed)
        assert store.root(spec["author"]).hex() == spec["root"]
        assert store.verify_all() == (len(signed), None)


def test_worker_feed_checkpoint_and_proofs() -> None:
    spec = MANIFEST["feeds"]["worker"]
    root = bytes.fromhex(spec["root"])
    checkpoint = Checkpoint.from_bytes(_read(spec["checkpoint"]))
    assert (checkpoint.author, checkpoint.size, checkpoint.root) == (
        spec["author"],
        len(spec["entries"]),
        root,
    )

    inclusion = spec["inclusion"]
    leaf = merkle.leaf_hash(_read(inclusion["entry"]))
    assert leaf.hex() == inclusion["leaf_hash"]
    path = [bytes.fromhex(h) for h in inclusion["proof"]]
    merkle.verify_inclusion(leaf, inclusion["index"], inclusion["tree_size"], path, root)
    with pytest.raises(ProofError):  # the proof is not vacuous: one bit breaks it
        merkle.verify_inclusion(
            leaf, inclusion["index"], inclusion["tree_size"], [_flip(path[0]), *path[1:]], root
        )

    consistency = spec["consistency"]
    old = Checkpoint.from_bytes(_read(consistency["old_checkpoint"]))
    assert (old.size, old.root.hex()) == (consistency["old_size"], consistency["old_root"])
    assert consistency["new_size"] == checkpoint.size
    proof = [bytes.fromhex(h) for h in consistency["proof"]]
    merkle.verify_consistency(old.size, checkpoint.size, old.root, root, proof)
    with pytest.raises(ProofError):
        merkle.verify_consistency(old.size, checkpoint.size, old.root, root, proof[:-1])


def test_acceptance_publishes_the_edge_of_a_real_credential() -> None:
    credential = MANIFEST["credentials"]["A"]
    digest = bytes.fromhex(credential["digest"])
    assert credential_digest(credential["document"]) == digest
    edge = EdgeStatement.from_bytes(_read("edge-statement.cbor"))
    claim = SkillClaim.from_credential(credential["document"])
    assert (edge.issuer, edge.subject, edge.kind, edge.skill, edge.level, edge.credential) == (
        claim.issuer,
        claim.subject,
        claim.kind,
        claim.name,
        claim.level,
        digest,
    )
    acceptance = Entry.from_bytes(_read("entry-acceptance.cbor"))
    assert acceptance.author == edge.subject
    assert acceptance.edge() == edge
    withdrawal = Entry.from_bytes(_read("entry-withdrawal.cbor"))
    assert withdrawal.body["credential"] == digest


def _flip(value: bytes) -> bytes:
    return bytes([value[0] ^ 1]) + value[1:]
