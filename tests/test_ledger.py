"""Ledger entries, admission rules, the revocation CRDT, fork proofs and the store."""

from __future__ import annotations

import sqlite3
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from credentials.keys import KeyPair
from credentials.models import SkillAttestation, SkillClaim
from ledger import encoding
from ledger.entries import Checkpoint, EdgeStatement, Entry, credential_digest
from ledger.errors import (
    EncodingError,
    ForbiddenError,
    ForkError,
    LedgerError,
    SequenceError,
    StoreError,
)
from ledger.feed import FeedHead, admit
from ledger.forks import ForkProof
from ledger.revocation import RevocationState
from ledger.statuslist import list_id
from ledger.store import LedgerStore

ISSUER, WORKER, OTHER = KeyPair(seed=b"\1" * 32), KeyPair(seed=b"\2" * 32), KeyPair(seed=b"\3" * 32)
T = 1_780_000_000


def _list(owner: KeyPair) -> str:
    return list_id(owner.did, 1)


def _status_body(owner: KeyPair, index: int, digest: bytes = b"\7" * 32) -> dict[str, Any]:
    return {"credential": digest, "list": _list(owner), "index": index}


def _edge(subject: KeyPair = WORKER) -> EdgeStatement:
    credential = SkillAttestation(
        issuer=ISSUER.did, subject=subject.did, skill="TIG welding", level=5
    ).to_jsonld()
    return EdgeStatement.create(credential, SkillClaim.from_credential(credential), ISSUER, time=T)


@pytest.fixture
def store(tmp_path: Path) -> LedgerStore:
    with LedgerStore(tmp_path / "ledger.db") as opened:
        yield opened


# -- entries ------------------------------------------------------------------------------


def test_entry_round_trip_and_edge_statement() -> None:
    edge = _edge()
    assert EdgeStatement.from_bytes(edge.signed) == edge
    assert (edge.issuer, edge.subject, edge.level, edge.skill_key) == (
        ISSUER.did,
        WORKER.did,
        5,
        "tig welding",
    )
    entry = Entry.create(
        WORKER, seq=0, prev=None, time=T, kind="acceptance", body={"edge": edge.signed}
    )
    assert Entry.from_bytes(entry.signed) == entry
    assert entry.edge() == edge


def test_acceptance_must_be_written_by_the_edge_subject() -> None:
    with pytest.raises(ForbiddenError, match="subject"):
        Entry.create(
            OTHER, seq=0, prev=None, time=T, kind="acceptance", body={"edge": _edge().signed}
        )


@pytest.mark.parametrize(
    ("kind", "body"),
    [
        ("revocation", {"credential": b"short", "list": "x", "index": 1}),
        ("revocation", {"credential": b"\0" * 32, "list": "x", "index": -1}),
        ("revocation", {"credential": b"\0" * 32, "list": "x", "index": 1, "extra": 1}),
        ("flag", {"target": "did:key:z6Mk"}),
        ("teleport", {}),
        ("withdrawal", {}),
    ],
)
def test_malformed_bodies_are_refused(kind: str, body: dict[str, Any]) -> None:
    with pytest.raises(EncodingError):
        Entry.create(ISSUER, seq=0, prev=None, time=T, kind=kind, body=body)


@settings(max_examples=60, deadline=None)
@given(st.integers(min_value=0, max_value=2000), st.integers(min_value=0, max_value=7))
def test_any_bit_flip_or_truncation_is_refused(position: int, bit: int) -> None:
    entry = Entry.create(
        ISSUER, seq=0, prev=None, time=T, kind="revocation", body=_status_body(ISSUER, 9)
    )
    data = bytearray(entry.signed)
    index = position % len(data)
    data[index] ^= 1 << bit
    with pytest.raises(LedgerError):
        Entry.from_bytes(bytes(data))
    with pytest.raises(LedgerError):
        Entry.from_bytes(entry.signed[:index])


def test_non_deterministic_cbor_is_refused() -> None:
    with pytest.raises(EncodingError):
        encoding.decode(b"\xa2\x61b\x01\x61a\x02")  # keys out of order
    with pytest.raises(EncodingError):
        encoding.decode(encoding.encode({"a": 1}) + b"\x00")


def test_credential_digest_is_stable_under_key_order() -> None:
    assert credential_digest({"a": 1, "b": [1, 2]}) == credential_digest({"b": [1, 2], "a": 1})
    assert credential_digest("a.b.c") != credential_digest({"a": 1})


# -- admission --------------------------------------------------------------------------


def test_admission_rules() -> None:
    head = FeedHead(author=ISSUER.did, size=0, last_hash=None)
    first = Entry.create(
        ISSUER, seq=0, prev=None, time=T, kind="revocation", body=_status_body(ISSUER, 1)
    )
    admit(head, first, accepted=lambda _: False)
    gap = Entry.create(
        ISSUER,
        seq=2,
        prev=first.hash,
        time=T,
        kind="flag",
        body={"target": OTHER.did, "reason": "spam"},
    )
    with pytest.raises(SequenceError, match="out of sequence"):
        admit(FeedHead(ISSUER.did, 1, first.hash), gap, accepted=lambda _: False)
    unchained = Entry.create(
        ISSUER,
        seq=1,
        prev=b"\0" * 32,
        time=T,
        kind="flag",
        body={"target": OTHER.did, "reason": "x"},
    )
    with pytest.raises(SequenceError, match="chain"):
        admit(FeedHead(ISSUER.did, 1, first.hash), unchained, accepted=lambda _: False)
    foreign = Entry.create(
        OTHER, seq=0, prev=None, time=T, kind="revocation", body=_status_body(ISSUER, 1)
    )
    with pytest.raises(ForbiddenError, match="cannot change the status"):
        admit(FeedHead(OTHER.did, 0, None), foreign, accepted=lambda _: False)
    with pytest.raises(ForbiddenError):
        admit(head, foreign, accepted=lambda _: False)  # someone else's feed
    withdrawal = Entry.create(
        WORKER, seq=0, prev=None, time=T, kind="withdrawal", body={"credential": b"\5" * 32}
    )
    with pytest.raises(ForbiddenError, match="accepted"):
        admit(FeedHead(WORKER.did, 0, None), withdrawal, accepted=lambda _: False)


# -- the CRDT ---------------------------------------------------------------------------

_events = st.lists(
    st.tuples(
        st.sampled_from(["revocation", "suspension", "unsuspension"]),
        st.integers(min_value=0, max_value=3),
    ),
    max_size=8,
)


def _feed(items: list[tuple[str, int]], key: KeyPair = ISSUER) -> list[Entry]:
    entries: list[Entry] = []
    prev: bytes | None = None
    for seq, (kind, index) in enumerate(items):
        entry = Entry.create(
            key, seq=seq, prev=prev, time=T + seq, kind=kind, body=_status_body(key, index)
        )
        entries.append(entry)
        prev = entry.hash
    return entries


@settings(max_examples=40, deadline=None)
@given(_events, _events, st.randoms(use_true_random=False))
def test_merge_commutes_associates_and_is_idempotent(
    mine: list[tuple[str, int]], theirs: list[tuple[str, int]], rng: Any
) -> None:
    a = RevocationState.of(_feed(mine))
    b = RevocationState.of(_feed(theirs, OTHER))
    c = RevocationState.of(_feed(mine[: len(mine) // 2]))
    assert a.merge(b) == b.merge(a)
    assert a.merge(b).merge(c) == a.merge(b.merge(c))
    assert a.merge(a) == a
    # delivery order and duplication do not matter
    entries = _feed(mine) + _feed(mine)
    rng.shuffle(entries)
    shuffled = RevocationState()
    for entry in entries:
        shuffled = shuffled.add(entry)
    assert shuffled == a


def test_status_semantics() -> None:
    state = RevocationState.of(
        _feed(
            [
                ("suspension", 1),
                ("unsuspension", 1),
                ("suspension", 2),
                ("revocation", 3),
                ("unsuspension", 3),
            ]
        )
    )
    lst = _list(ISSUER)
    assert state.status(ISSUER.did, lst, 1) == "valid"
    assert state.status(ISSUER.did, lst, 2) == "suspended"
    assert state.status(ISSUER.did, lst, 3) == "revoked"  # revocation is final
    assert state.status(ISSUER.did, lst, 0) == "valid"
    # another author's entries about the same list have no effect
    assert (
        state.merge(RevocationState.of(_feed([("revocation", 1)], OTHER))).status(
            ISSUER.did, lst, 1
        )
        == "valid"
    )
    assert state.list_bits(ISSUER.did, lst) == {2: "suspended", 3: "revoked"}


# -- forks ------------------------------------------------------------------------------


def test_fork_proofs_verify_offline() -> None:
    one = Entry.create(
        ISSUER, seq=0, prev=None, time=T, kind="revocation", body=_status_body(ISSUER, 1)
    )
    two = Entry.create(
        ISSUER, seq=0, prev=None, time=T, kind="revocation", body=_status_body(ISSUER, 2)
    )
    proof = ForkProof.equivocation(one.signed, two.signed)
    ForkProof.from_bytes(proof.to_bytes()).verify()
    with pytest.raises(ForkError):
        ForkProof.equivocation(one.signed, one.signed)
    a = Checkpoint.create(ISSUER, size=1, root=b"\1" * 32, time=T)
    b = Checkpoint.create(ISSUER, size=1, root=b"\2" * 32, time=T)
    ForkProof.checkpoints(a.signed, b.signed).verify()
    with pytest.raises(ForkError):
        ForkProof.checkpoints(a.signed, a.signed)


def test_checkpoint_contradicted_by_entries_is_a_fork_proof() -> None:
    from ledger import merkle

    one = Entry.create(
        ISSUER, seq=0, prev=None, time=T, kind="revocation", body=_status_body(ISSUER, 1)
    )
    lying = Checkpoint.create(ISSUER, size=1, root=b"\1" * 32, time=T)
    ForkProof.against_entries(lying.signed, [one.signed]).verify()
    honest = Checkpoint.create(
        ISSUER, size=1, root=merkle.root([merkle.leaf_hash(one.signed)]), time=T
    )
    with pytest.raises(ForkError, match="agree"):
        ForkProof.against_entries(honest.signed, [one.signed])


# -- the store --------------------------------------------------------------------------


def test_append_checkpoint_and_reopen(tmp_path: Path) -> None:
    path = tmp_path / "ledger.db"
    with LedgerStore(path) as store:
        store.append(ISSUER, "revocation", _status_body(ISSUER, 4))
        store.append_many(
            ISSUER,
            [("suspension", _status_body(ISSUER, 5)), ("unsuspension", _status_body(ISSUER, 5))],
        )
        root = store.root(ISSUER.did)
    with LedgerStore(path) as store:
        assert store.head(ISSUER.did).size == 3
        checkpoint = store.checkpoint(ISSUER.did)
        assert checkpoint is not None
        assert (checkpoint.size, checkpoint.root) == (3, root)
        assert [e.seq for e in store.entries(ISSUER.did)] == [0, 1, 2]
        assert store.verify_all() == (3, None)
        assert store.revocation_state().status(ISSUER.did, _list(ISSUER), 4) == "revoked"


def test_a_refused_append_leaves_the_store_as_it_was(store: LedgerStore) -> None:
    store.append(ISSUER, "flag", {"target": OTHER.did, "reason": "spam"})
    with pytest.raises(ForbiddenError):
        store.append(ISSUER, "revocation", _status_body(OTHER, 1))
    with pytest.raises(EncodingError):
        store.append(ISSUER, "revocation", {"nonsense": True})
    assert store.head(ISSUER.did).size == 1
    assert store.verify_all() == (1, None)


def test_acceptance_and_withdrawal_through_the_store(store: LedgerStore) -> None:
    edge = _edge()
    store.append(WORKER, "acceptance", {"edge": edge.signed})
    with pytest.raises(ForbiddenError, match="already accepted"):
        store.append(WORKER, "acceptance", {"edge": edge.signed})
    store.append(WORKER, "withdrawal", {"credential": edge.credential})
    with pytest.raises(ForbiddenError):
        store.append(WORKER, "withdrawal", {"credential": edge.credential})


def test_ingest_verifies_and_detects_equivocation(tmp_path: Path) -> None:
    with LedgerStore(tmp_path / "a.db") as a, LedgerStore(tmp_path / "b.db") as b:
        made = a.append_many(ISSUER, [("revocation", _status_body(ISSUER, i)) for i in range(3)])
        checkpoint = a.checkpoint(ISSUER.did)
        assert checkpoint is not None
        report = b.ingest([e.signed for e in made], [checkpoint.signed])
        assert (report.stored, report.refused, report.forks) == (3, [], [])
        again = b.ingest([e.signed for e in made])
        assert again.known == 3
        assert b.root(ISSUER.did) == a.root(ISSUER.did)
        # a different entry at a held position: equivocation, recorded as a fork
        forged = Entry.create(
            ISSUER,
            seq=1,
            prev=made[0].hash,
            time=T,
            kind="flag",
            body={"target": OTHER.did, "reason": "x"},
        )
        fork = b.ingest([forged.signed])
        assert len(fork.forks) == 1
        assert b.forks()[0].author == ISSUER.did
        # out of sequence and forged signatures are refused; the store is unchanged
        late = Entry.create(
            OTHER,
            seq=5,
            prev=b"\0" * 32,
            time=T,
            kind="flag",
            body={"target": ISSUER.did, "reason": "x"},
        )
        tampered = bytearray(made[0].signed)
        tampered[-1] ^= 1
        refused = b.ingest([late.signed, bytes(tampered)])
        assert len(refused.refused) == 2
        assert b.head(OTHER.did).size == 0
        assert b.verify_all()[1] is None


def test_checkpoint_contradicting_stored_entries_is_recorded_as_a_fork(tmp_path: Path) -> None:
    with LedgerStore(tmp_path / "a.db") as a:
        made = a.append(ISSUER, "revocation", _status_body(ISSUER, 1))
        lie = Checkpoint.create(ISSUER, size=1, root=bytes([9]) * 32, time=T)
        report = a.ingest([made.signed], [lie.signed])
        assert len(report.forks) == 1


def test_corrupted_database_is_a_clear_error(tmp_path: Path) -> None:
    path = tmp_path / "ledger.db"
    path.write_bytes(b"this is not a database" * 100)
    with pytest.raises(StoreError, match="not a usable"):
        LedgerStore(path)


def test_tampered_row_is_found_by_verify_all(tmp_path: Path) -> None:
    path = tmp_path / "ledger.db"
    with LedgerStore(path) as store:
        store.append_many(ISSUER, [("revocation", _status_body(ISSUER, i)) for i in range(3)])
    conn = sqlite3.connect(path)
    data = bytearray(conn.execute("SELECT data FROM entries WHERE seq=1").fetchone()[0])
    data[-5] ^= 0x10
    conn.execute("UPDATE entries SET data=? WHERE seq=1", (bytes(data),))
    conn.commit()
    conn.close()
    with LedgerStore(path) as store:
        checked, fault = store.verify_all()
        assert checked == 1
        assert fault is not None
        assert "entry 1" in fault


def test_newer_schema_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "ledger.db"
    LedgerStore(path).close()
    conn = sqlite3.connect(path)
    conn.execute("UPDATE meta SET value='99' WHERE key='schema_version'")
    conn.commit()
    conn.close()
    with pytest.raises(StoreError, match="newer"):
        LedgerStore(path)


def test_allocate_index_never_reuses(store: LedgerStore) -> None:
    seen = {store.allocate_index("urn:l", 64, f"urn:c:{i}") for i in range(64)}
    assert seen == set(range(64))
    with pytest.raises(StoreError, match="full"):
        store.allocate_index("urn:l", 64, "urn:c:x")


def test_entries_contradicting_a_held_checkpoint_are_refused(tmp_path: Path) -> None:
    with LedgerStore(tmp_path / "a.db") as a, LedgerStore(tmp_path / "b.db") as b:
        made = a.append_many(ISSUER, [("revocation", _status_body(ISSUER, i)) for i in range(2)])
        honest = a.checkpoint(ISSUER.did)
        assert honest is not None
        # b first learns the checkpoint alone (no entries yet): it is kept
        first = b.ingest([], [honest.signed])
        assert (first.stored, first.refused, first.forks) == (0, [], [])
        assert b.checkpoint(ISSUER.did) == honest
        # the author then shows b another history of the same size
        other = Entry.create(
            ISSUER,
            seq=1,
            prev=made[0].hash,
            time=T,
            kind="flag",
            body={"target": OTHER.did, "reason": "x"},
        )
        report = b.ingest([made[0].signed, other.signed])
        assert report.stored == 1
        assert len(report.refused) == 1
        assert [f.variant for f in report.forks] == ["entries"]
        assert b.head(ISSUER.did).size == 1
        # the honest history is still admitted
        assert b.ingest([made[1].signed]).stored == 1
        assert b.verify_all() == (2, None)


def test_store_consistency_proofs(store: LedgerStore) -> None:
    from ledger import merkle
    from ledger.errors import ProofError

    store.append_many(ISSUER, [("revocation", _status_body(ISSUER, i)) for i in range(5)])
    old_root = merkle.root(store.leaf_hashes(ISSUER.did, 3))
    proof = store.consistency(ISSUER.did, 3)
    merkle.verify_consistency(3, 5, old_root, store.root(ISSUER.did), proof)
    for size in (0, 6):
        with pytest.raises(ProofError):
            store.consistency(ISSUER.did, size)
