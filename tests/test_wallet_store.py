"""The holder's credential store (``wallet/store.py``, ``specs/wallet-store.md``).

Every credential here is real: issued with ``credentials.issuance.issue`` (rdfc and jwt)
and verified in full on import; edge statements are signed with ``EdgeStatement.create``.
"""

from __future__ import annotations

import base64
import json
import sqlite3
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import pytest

from credentials import KeyPair, SkillAttestation, SkillClaim, Verifier, encode_payload, issue
from ledger.entries import EdgeStatement, credential_digest
from wallet.errors import (
    AmbiguousIdError,
    CredentialStoreError,
    DuplicateCredentialError,
    EdgeMismatchError,
    ForeignSubjectError,
    HomeError,
    ImportRefusedError,
    NotFoundError,
    StateError,
    UnreadableCredentialError,
    UnverifiedCredentialError,
)
from wallet.store import FILENAME, SCHEMA_VERSION, CredentialStore

ISSUER = KeyPair(seed=bytes([1]) * 32)
OTHER_ISSUER = KeyPair(seed=bytes([2]) * 32)
WORKER = KeyPair(seed=bytes([3]) * 32)
WORKER_ALT = KeyPair(seed=bytes([4]) * 32)  # a second persona of the same worker
STRANGER = KeyPair(seed=bytes([5]) * 32)
PERSONAS = (WORKER.did, WORKER_ALT.did)

ISSUED = datetime(2024, 3, 1, 9, 0, tzinfo=UTC)
NOW = datetime(2025, 1, 15, 12, 0, tzinfo=UTC)
EDGE_TIME = 1_710_000_000


def attestation(
    skill: str = "Python Programming",
    *,
    issuer: KeyPair = ISSUER,
    subject: KeyPair = WORKER,
    level: int = 3,
    issued: datetime = ISSUED,
    until: datetime | None = None,
    model: str = "2.0",
) -> dict[str, Any]:
    return SkillAttestation(
        issuer=issuer.did,
        subject=subject.did,
        skill=skill,
        level=level,
        valid_from=issued,
        valid_until=until,
    ).to_jsonld(model="1.1" if model == "1.1" else "2.0")


def signed(document: dict[str, Any], key: KeyPair = ISSUER) -> dict[str, Any]:
    result = issue(document, key, fmt="rdfc", created=document_time(document))
    assert isinstance(result, dict)
    return result


def signed_jwt(document: dict[str, Any], key: KeyPair = ISSUER) -> str:
    result = issue(document, key, fmt="jwt")
    assert isinstance(result, str)
    return result


def document_time(document: dict[str, Any]) -> datetime:
    return datetime.fromisoformat(document.get("validFrom") or document["issuanceDate"])


def edge_for(credential: dict[str, Any] | str, key: KeyPair = ISSUER) -> bytes:
    body = credential if isinstance(credential, dict) else jwt_vc(credential)
    claim = SkillClaim.from_credential(body)
    return EdgeStatement.create(credential, claim, key, time=EDGE_TIME).signed


def jwt_vc(token: str) -> dict[str, Any]:
    segment = token.split(".")[1]
    claims = json.loads(base64.urlsafe_b64decode(segment + "=" * (-len(segment) % 4)))
    vc: dict[str, Any] = claims["vc"]
    return vc


@pytest.fixture
def store(tmp_path: Path) -> Any:
    with CredentialStore.in_home(tmp_path) as opened:
        yield opened


def put(store: CredentialStore, credential: dict[str, Any] | str | bytes, **kwargs: Any) -> Any:
    raw = credential if isinstance(credential, str | bytes) else json.dumps(credential, indent=2)
    kwargs.setdefault("personas", PERSONAS)
    return store.import_credential(raw, now=NOW, **kwargs)


# -- import and read back -------------------------------------------------------------------


def test_import_jsonld_stores_what_was_received(store: CredentialStore) -> None:
    credential = signed(attestation(until=datetime(2030, 1, 1, tzinfo=UTC)))
    raw = json.dumps(credential, indent=2)
    stored = store.import_credential(raw, personas=PERSONAS, now=NOW)
    digest = credential_digest(credential)
    assert stored.id == digest.hex()[:8]
    assert stored.digest == digest
    assert stored.raw == raw  # the exact text, not a re-serialisation
    assert stored.format == "jsonld"
    assert (stored.issuer, stored.subject) == (ISSUER.did, WORKER.did)
    assert (stored.kind, stored.skill, stored.skill_key, stored.level) == (
        "skill",
        "Python Programming",
        "python programming",
        3,
    )
    assert "VerifiableCredential" in stored.types
    assert stored.issued == "2024-03-01T09:00:00Z"
    assert stored.valid_until == "2030-01-01T00:00:00Z"
    assert stored.state == "pending"
    assert stored.imported_at == "2025-01-15T12:00:00Z"
    assert stored.edge is None
    assert store.get(stored.id) == stored
    assert store.document(stored.id) == credential


def test_import_jwt_and_mus1_payload(store: CredentialStore) -> None:
    token = signed_jwt(attestation("Data Analysis", model="1.1"))
    stored = put(store, token)
    assert stored.format == "jwt"
    assert stored.digest == credential_digest(token)
    assert stored.skill_key == "data analysis"
    assert stored.issued == "2024-03-01T09:00:00Z"
    assert store.document(stored.id) == token

    credential = signed(attestation("Welding"))
    payload = encode_payload(credential)
    from_qr = put(store, payload)
    assert from_qr.format == "jsonld"
    assert from_qr.raw == payload
    assert from_qr.digest == credential_digest(credential)
    assert store.document(from_qr.id) == credential


def test_import_accepts_bytes(store: CredentialStore) -> None:
    credential = signed(attestation())
    stored = store.import_credential(json.dumps(credential).encode(), personas=PERSONAS, now=NOW)
    assert store.document(stored.id) == credential


def test_to_json_is_plain_json(store: CredentialStore) -> None:
    credential = signed(attestation())
    stored = put(store, credential, edge=edge_for(credential))
    summary = stored.to_json()
    assert json.loads(json.dumps(summary)) == summary
    assert summary["id"] == stored.id
    assert summary["digest"] == stored.digest.hex()
    assert summary["state"] == "pending"
    assert isinstance(summary["edge"], str)
    assert "raw" not in summary


def test_list_filters(store: CredentialStore) -> None:
    python = put(store, signed(attestation("Python  Programming")))
    rust = put(store, signed(attestation("Rust", issued=datetime(2024, 6, 1, tzinfo=UTC))))
    welding = put(
        store,
        signed(
            attestation("Welding", issuer=OTHER_ISSUER, subject=WORKER_ALT),
            OTHER_ISSUER,
        ),
    )
    assert [c.id for c in store.list()] == [python.id, rust.id, welding.id]
    # skill: normalized (case, spacing), substring of the key
    assert store.list(skill="  python   PROGRAMMING ") == [python]
    assert store.list(skill="PROG") == [python]
    assert store.list(skill="ing") == [python, welding]
    assert store.list(skill="cobol") == []
    assert store.list(issuer=OTHER_ISSUER.did) == [welding]
    assert store.list(issuer=ISSUER.did) == [python, rust]
    assert store.list(type_="OpenBadgeCredential") == [python, rust, welding]
    assert store.list(type_="EndorsementCredential") == []
    assert store.list(persona=WORKER_ALT.did) == [welding]
    # dates: since inclusive, until exclusive, on the issue date
    assert store.list(since=date(2024, 5, 1)) == [rust]
    assert store.list(until=date(2024, 5, 1)) == [python, welding]
    assert store.list(since=ISSUED, until=datetime(2024, 3, 1, 9, 0, 1, tzinfo=UTC)) == [
        python,
        welding,
    ]
    assert store.list(state="pending", skill="rust", issuer=ISSUER.did) == [rust]
    assert store.list(state="accepted") == []


def test_ids_are_short_unique_prefixes_and_stable_across_reopen(tmp_path: Path) -> None:
    credentials = [signed(attestation(f"Skill {n}")) for n in range(3)]
    with CredentialStore.in_home(tmp_path) as store:
        ids = [put(store, c).id for c in credentials]
    assert ids == [credential_digest(c).hex()[:8] for c in credentials]
    with CredentialStore(tmp_path / FILENAME) as reopened:
        assert [c.id for c in reopened.list()] == ids
        # the shortest prefix that no other id shares finds it; case does not matter
        k = next(k for k in range(1, 9) if len({i[:k] for i in ids}) == 3)
        assert reopened.get(ids[0][:k]).id == ids[0]
        assert reopened.get(ids[1].upper()).id == ids[1]


def test_id_is_lengthened_on_collision_and_exact_id_wins(store: CredentialStore) -> None:
    credential = signed(attestation())
    digest = credential_digest(credential).hex()
    # A credential already holding the 8-character id this one would get.
    first = put(store, signed(attestation("Other")))
    store.db.conn.execute("UPDATE credentials SET id=? WHERE id=?", (digest[:8], first.id))
    stored = put(store, credential)
    assert stored.id == digest[:9]
    assert store.get(digest[:8]).skill == "Other"  # the exact id, not an ambiguous prefix
    assert store.get(digest[:9]) == stored
    with pytest.raises(AmbiguousIdError):
        store.get(digest[:7])


def test_get_unknown_and_ambiguous(store: CredentialStore) -> None:
    with pytest.raises(NotFoundError, match="no stored credential"):
        store.get("deadbeef")
    with pytest.raises(NotFoundError):
        store.get("")
    for n in range(20):  # 20 ids over 16 first hex digits: two must share one
        put(store, signed(attestation(f"Skill {n}")))
    firsts = [c.id[0] for c in store.list()]
    shared = next(x for x in firsts if firsts.count(x) > 1)
    with pytest.raises(AmbiguousIdError, match="several"):
        store.get(shared)


# -- refusals ------------------------------------------------------------------------------


def _count(store: CredentialStore) -> int:
    return int(store.db.conn.execute("SELECT COUNT(*) FROM credentials").fetchone()[0])


def test_tampered_jsonld_refused_with_failed_check(store: CredentialStore) -> None:
    credential = signed(attestation())
    credential["credentialSubject"]["achievement"]["name"] = "Brain Surgery"
    with pytest.raises(UnverifiedCredentialError, match=r"not verified: .*proof") as caught:
        put(store, credential)
    assert "\n" not in str(caught.value)
    assert not caught.value.report.verified
    assert _count(store) == 0


def test_tampered_jwt_refused(store: CredentialStore) -> None:
    token = signed_jwt(attestation(model="1.1"))
    head, body, signature = token.split(".")
    flipped = ("B" if signature[0] == "A" else "A") + signature[1:]
    with pytest.raises(UnverifiedCredentialError, match="proof"):
        put(store, f"{head}.{body}.{flipped}")
    assert _count(store) == 0


def test_expired_credential_refused_by_validity(store: CredentialStore) -> None:
    credential = signed(attestation(until=datetime(2024, 6, 1, tzinfo=UTC)))
    with pytest.raises(UnverifiedCredentialError, match="validity"):
        put(store, credential)
    # The caller's verifier (its clock) governs, when one is given.
    then = Verifier(clock=lambda: datetime(2024, 4, 1, tzinfo=UTC))
    assert put(store, credential, verifier=then).state == "pending"


def test_foreign_subject_refused(store: CredentialStore) -> None:
    credential = signed(attestation(subject=STRANGER))
    with pytest.raises(ForeignSubjectError, match=STRANGER.did):
        put(store, credential)
    with pytest.raises(ForeignSubjectError):
        store.import_credential(json.dumps(signed(attestation())), personas=(), now=NOW)
    assert _count(store) == 0
    # A DID given alone is one persona, not a string to search in.
    with pytest.raises(ForeignSubjectError):
        put(store, signed(attestation()), personas=f"{WORKER.did},{WORKER_ALT.did}")
    assert put(store, signed(attestation()), personas=WORKER.did).subject == WORKER.did


def test_duplicate_refused_whatever_the_encoding(store: CredentialStore) -> None:
    credential = signed(attestation())
    first = put(store, credential)
    with pytest.raises(DuplicateCredentialError, match=first.id):
        store.import_credential(json.dumps(credential), personas=PERSONAS, now=NOW)
    with pytest.raises(DuplicateCredentialError):
        put(store, encode_payload(credential))
    assert _count(store) == 1


def test_unreadable_input_and_presentations_refused(store: CredentialStore) -> None:
    for bad in ("", "hello", "{", '{"type": ["Thing"]}', b"\xff\xfe"):
        with pytest.raises(UnreadableCredentialError):
            put(store, bad)
    presentation = {
        "@context": ["https://www.w3.org/ns/credentials/v2"],
        "type": ["VerifiablePresentation"],
    }
    with pytest.raises(UnreadableCredentialError, match="presentation"):
        put(store, presentation)
    assert _count(store) == 0


def test_matching_edge_statement_stored(store: CredentialStore) -> None:
    credential = signed(attestation())
    edge = edge_for(credential)
    stored = put(store, credential, edge=edge)
    assert stored.edge == edge
    token = signed_jwt(attestation("Rust", model="1.1"))
    assert put(store, token, edge=edge_for(token)).edge is not None


def test_mismatched_edge_statements_refused(store: CredentialStore) -> None:
    credential = signed(attestation())
    other = signed(attestation("Rust"))
    with pytest.raises(EdgeMismatchError, match="credential digest"):
        put(store, credential, edge=edge_for(other))
    # Same subject and skill, but issued (and signed) by someone else.
    stranger_edge = edge_for(signed(attestation(issuer=OTHER_ISSUER), OTHER_ISSUER), OTHER_ISSUER)
    with pytest.raises(EdgeMismatchError, match="issuer"):
        put(store, credential, edge=stranger_edge)
    for_alt = signed(attestation(subject=WORKER_ALT))
    with pytest.raises(EdgeMismatchError, match="subject"):
        put(store, credential, edge=edge_for(for_alt))
    with pytest.raises(EdgeMismatchError, match="refused"):
        put(store, credential, edge=b"not an edge")
    tampered = bytearray(edge_for(credential))
    tampered[-1] ^= 1
    with pytest.raises(EdgeMismatchError):
        put(store, credential, edge=bytes(tampered))
    assert _count(store) == 0


def test_every_refusal_is_an_import_refused_error() -> None:
    for cls in (
        UnreadableCredentialError,
        UnverifiedCredentialError,
        ForeignSubjectError,
        EdgeMismatchError,
        DuplicateCredentialError,
    ):
        assert issubclass(cls, ImportRefusedError)


# -- the file ------------------------------------------------------------------------------


def test_corrupt_file_is_a_clear_error(tmp_path: Path) -> None:
    path = tmp_path / FILENAME
    path.write_bytes(b"this is not a database, it is a shopping list\n" * 100)
    with pytest.raises(CredentialStoreError, match="not a usable Musette credential store"):
        CredentialStore(path)
    assert issubclass(CredentialStoreError, HomeError)


def test_newer_schema_refused(tmp_path: Path) -> None:
    path = tmp_path / FILENAME
    CredentialStore(path).close()
    with sqlite3.connect(path) as conn:
        conn.execute("UPDATE meta SET value=? WHERE key='schema_version'", (SCHEMA_VERSION + 1,))
    conn.close()
    with pytest.raises(CredentialStoreError, match="newer Musette"):
        CredentialStore(path)


def test_empty_database_is_migrated(tmp_path: Path) -> None:
    path = tmp_path / FILENAME
    sqlite3.connect(path).close()
    with CredentialStore(path) as store:
        mode = store.db.conn.execute("PRAGMA journal_mode").fetchone()[0]
        assert mode == "wal"
        version = store.db.conn.execute(
            "SELECT value FROM meta WHERE key='schema_version'"
        ).fetchone()[0]
        assert version == str(SCHEMA_VERSION)
        assert put(store, signed(attestation())).state == "pending"


def test_schema_2_is_migrated_keeping_its_credentials(tmp_path: Path) -> None:
    from wallet import store as store_module

    path = tmp_path / FILENAME
    with sqlite3.connect(path) as conn:
        for statement in store_module._SCHEMA_V1.split(";"):
            if statement.strip():
                conn.execute(statement)
        conn.execute(store_module._SCHEMA_V2)
        conn.execute("CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT)")
        conn.execute("INSERT INTO meta VALUES ('schema_version', '2')")
        conn.execute(
            "INSERT INTO credentials VALUES "
            "('abcd0123', x'00', 'jwt', 'raw', 'did:key:i', 'did:key:s', 'skill', 'TIG', 'tig',"
            " 5, '[]', NULL, NULL, NULL, 'accepted', '2026-01-01T00:00:00Z')"
        )
    conn.close()
    with CredentialStore(path) as store:
        assert store.get("abcd0123").state == "accepted"
        store.db.conn.execute(  # v3 admits the format an SD-JWT VC is stored under
            "UPDATE credentials SET format='sd-jwt' WHERE id='abcd0123'"
        )
        assert store.get("abcd0123").format == "sd-jwt"
        with pytest.raises(sqlite3.IntegrityError):
            store.db.conn.execute("UPDATE credentials SET format='cbor' WHERE id='abcd0123'")


# -- consent states and deletion -----------------------------------------------------------


def test_state_transitions(tmp_path: Path) -> None:
    with CredentialStore.in_home(tmp_path) as store:
        stored = put(store, signed(attestation()))
        assert store.set_state(stored.id, "pending").state == "pending"  # no-op
        with pytest.raises(StateError, match="pending credential cannot become withdrawn"):
            store.set_state(stored.id, "withdrawn")
        assert store.set_state(stored.id[:6], "accepted").state == "accepted"
        with pytest.raises(StateError):
            store.set_state(stored.id, "refused")  # published: withdraw it instead
        with pytest.raises(StateError):
            store.set_state(stored.id, "pending")
        with pytest.raises(StateError, match="unknown state"):
            store.set_state(stored.id, "lost")  # type: ignore[arg-type]
        assert store.set_state(stored.id, "withdrawn").state == "withdrawn"
    with CredentialStore.in_home(tmp_path) as store:
        assert store.get(stored.id).state == "withdrawn"
        assert store.list(state="withdrawn") == [store.get(stored.id)]
        assert store.set_state(stored.id, "accepted").state == "accepted"


def test_refusing_deletes_the_pending_credential(store: CredentialStore) -> None:
    credential = signed(attestation())
    stored = put(store, credential)
    refused = store.set_state(stored.id, "refused")
    assert refused.state == "refused"
    assert refused.id == stored.id
    with pytest.raises(NotFoundError):
        store.get(stored.id)
    assert put(store, credential).id == stored.id  # nothing kept: it may come again


def test_delete(store: CredentialStore) -> None:
    keep = put(store, signed(attestation("Rust")))
    gone = put(store, signed(attestation()))
    store.set_state(gone.id, "accepted")
    assert store.delete(gone.id).id == gone.id
    assert store.list() == [keep]
    with pytest.raises(NotFoundError):
        store.delete(gone.id)
    with pytest.raises(NotFoundError):
        store.document(gone.id)
