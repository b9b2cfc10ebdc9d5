"""Mailboxes over real HTTP on loopback (``specs/exchange.md`` §3, ``specs/api.md`` §7):
deposit, proof of the recipient's key, quotas, expected answers, limits, expiry, and the
node.db migration that brought the tables. Sealed messages are made here with PyNaCl
directly (the node never depends on the wallet's sealing)."""

from __future__ import annotations

import base64
import secrets
import sqlite3
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import cbor2
import httpx
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from nacl.public import Box, PrivateKey, PublicKey

from credentials.keys import KeyPair
from ledger.encoding import encode
from ledger.errors import StoreError
from ledger.sqlite import open_database
from node.api import ApiLimits
from node.gossip.peers import PeerRecord
from node.home import Home
from node.mailbox import (
    MAX_HELD,
    MAX_MESSAGE_BYTES,
    PER_SENDER_PER_HOUR,
    PER_SENDER_RECIPIENT_PER_HOUR,
    TTL_SECONDS,
    proof_message,
)
from node.nodedb import MIGRATIONS, SCHEMA_VERSION, NodeDatabase
from node.service import NodeService
from tests.served import served

CBOR = {"content-type": "application/cbor"}
LIMITS = ApiLimits(rate=1e6, burst=1e6)  # the mailbox's own limits, not the client's


class Clock:
    def __init__(self) -> None:
        self.now = time.time()

    def __call__(self) -> float:
        return self.now


@dataclass
class Running:
    service: NodeService
    client: httpx.Client
    clock: Clock
    path: Path


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


@pytest.fixture
def node(tmp_path: Path) -> Iterator[Running]:
    """A node of its own on a free loopback port, with a clock the test moves."""
    clock = Clock()
    service = NodeService(Home(tmp_path / "node"), clock=clock)
    with served(service, LIMITS) as (client, _):
        yield Running(service, client, clock, tmp_path / "node" / "node.db")


def seal(
    sender: KeyPair,
    recipient: KeyPair,
    plaintext: bytes,
    *,
    token: bytes | None = None,
    override: dict[str, Any] | None = None,
) -> bytes:
    """A sealed message (§2): crypto_box from the sender's X25519 key to the recipient's."""
    box = Box(PrivateKey(sender.x25519_secret()), PublicKey(recipient.public.x25519()))
    nonce = secrets.token_bytes(24)
    message: dict[str, Any] = {
        "v": 1,
        "type": "sealed",
        "from": sender.did,
        "to": recipient.did,
        "nonce": nonce,
        "box": box.encrypt(plaintext, nonce).ciphertext,
    }
    if token is not None:
        message["token"] = token
    message.update(override or {})
    return encode({k: v for k, v in message.items() if v is not None})


def deposit(node: Running, recipient: str, data: bytes) -> httpx.Response:
    return node.client.post(f"/mailbox/{recipient}", content=data, headers=CBOR)


def signed(
    node: Running, who: KeyPair, recipient: str, action: str, extra: str = ""
) -> dict[str, Any]:
    """A fresh challenge of ``recipient``'s mailbox, signed by ``who`` for ``action``."""
    answer = node.client.get(f"/mailbox/{recipient}/challenge")
    assert answer.status_code == 200, answer.text
    challenge = answer.json()["challenge"]
    signature = who.sign(proof_message(action, recipient, challenge, extra))
    return {"challenge": challenge, "signature": _b64(signature)}


def fetch(node: Running, who: KeyPair, recipient: str | None = None) -> httpx.Response:
    recipient = recipient or who.did
    body = signed(node, who, recipient, "fetch")
    return node.client.post(f"/mailbox/{recipient}/fetch", json=body)


def expect(node: Running, who: KeyPair, token: bytes, expires: int) -> httpx.Response:
    body = {**signed(node, who, who.did, "expect", _b64(token)), "token": _b64(token)}
    return node.client.post(f"/mailbox/{who.did}/expect", json={**body, "expires": expires})


def problem_kind(response: httpx.Response) -> str:
    assert response.headers["content-type"] == "application/problem+json"
    kind: str = response.json()["type"]
    return kind.removeprefix("urn:musette:problem:")


# -- deposit, fetch, delete ------------------------------------------------------------------


def test_deposit_fetch_open_and_delete(node: Running) -> None:
    alice, bob = KeyPair.generate(), KeyPair.generate()
    data = seal(bob, alice, b"would you vouch for my TIG welding?")
    answer = deposit(node, alice.did, data)
    assert answer.status_code == 201, answer.text
    message_id = answer.json()["id"]

    answer = fetch(node, alice)
    assert answer.status_code == 200, answer.text
    (message,) = answer.json()["messages"]
    assert message["id"] == message_id
    assert message["from"] == bob.did
    assert message["token"] is None
    assert message["size"] == len(data)
    assert message["expires"] == message["time"] + TTL_SECONDS
    assert _unb64(message["data"]) == data  # the bytes as deposited
    # only the recipient can open it, and it says who sent it
    box = Box(PrivateKey(alice.x25519_secret()), PublicKey(bob.public.x25519()))
    sealed = cbor2.loads(data)
    assert box.decrypt(sealed["box"], sealed["nonce"]) == b"would you vouch for my TIG welding?"

    ids = [message_id, "not-an-id"]
    body = {**signed(node, alice, alice.did, "delete", ",".join(ids)), "ids": ids}
    answer = node.client.post(f"/mailbox/{alice.did}/delete", json=body)
    assert answer.status_code == 200, answer.text
    assert answer.json() == {"deleted": 1}
    assert fetch(node, alice).json() == {"messages": []}


def test_the_database_holds_no_plaintext(node: Running) -> None:
    alice, bob = KeyPair.generate(), KeyPair.generate()
    marker = b"MARKER-8c1f-plaintext-must-never-reach-the-disk"
    data = seal(bob, alice, b"note: " + marker)
    assert deposit(node, alice.did, data).status_code == 201
    assert len(fetch(node, alice).json()["messages"]) == 1
    stored = b"".join(
        p.read_bytes() for p in (node.path, node.path.with_name("node.db-wal")) if p.exists()
    )
    assert data in stored  # the test reads where the message went...
    assert marker not in stored  # ...and only ciphertext went there


# -- proof of the recipient's key --------------------------------------------------------------


def test_another_key_cannot_fetch_or_delete(node: Running) -> None:
    alice, bob, mallory = KeyPair.generate(), KeyPair.generate(), KeyPair.generate()
    message_id = deposit(node, alice.did, seal(bob, alice, b"hello")).json()["id"]

    answer = fetch(node, mallory, alice.did)  # Alice's challenge, Mallory's signature
    assert answer.status_code == 403
    assert problem_kind(answer) == "bad-proof"
    body = {**signed(node, mallory, alice.did, "delete", message_id), "ids": [message_id]}
    answer = node.client.post(f"/mailbox/{alice.did}/delete", json=body)
    assert answer.status_code == 403
    # a proof Mallory made for her own mailbox does not open Alice's
    own = signed(node, mallory, mallory.did, "fetch")
    answer = node.client.post(f"/mailbox/{alice.did}/fetch", json=own)
    assert answer.status_code == 403
    # nothing was taken: Alice still has her message, and the failed attempts spent nothing
    assert [m["id"] for m in fetch(node, alice).json()["messages"]] == [message_id]


def test_a_challenge_is_used_once(node: Running) -> None:
    alice = KeyPair.generate()
    body = signed(node, alice, alice.did, "fetch")
    first = node.client.post(f"/mailbox/{alice.did}/fetch", json=body)
    assert first.status_code == 200, first.text
    again = node.client.post(f"/mailbox/{alice.did}/fetch", json=body)
    assert again.status_code == 403
    assert "already used" in again.json()["detail"]


def test_a_signature_over_another_action_is_refused(node: Running) -> None:
    alice = KeyPair.generate()
    body = signed(node, alice, alice.did, "delete")  # signed for delete, used to fetch
    answer = node.client.post(f"/mailbox/{alice.did}/fetch", json=body)
    assert answer.status_code == 403
    # a delete whose ids differ from the signed ones
    body = {**signed(node, alice, alice.did, "delete", "a"), "ids": ["b"]}
    assert node.client.post(f"/mailbox/{alice.did}/delete", json=body).status_code == 403
    # an expect whose token differs from the signed one
    token, other = secrets.token_bytes(32), secrets.token_bytes(32)
    body = {**signed(node, alice, alice.did, "expect", _b64(token)), "token": _b64(other)}
    answer = node.client.post(
        f"/mailbox/{alice.did}/expect", json={**body, "expires": int(node.clock.now) + 60}
    )
    assert answer.status_code == 403


def test_a_challenge_expires(node: Running) -> None:
    alice = KeyPair.generate()
    body = signed(node, alice, alice.did, "fetch")
    node.clock.now += 121
    answer = node.client.post(f"/mailbox/{alice.did}/fetch", json=body)
    assert answer.status_code == 403
    assert "expired" in answer.json()["detail"]


def test_a_forged_challenge_is_refused(node: Running) -> None:
    alice = KeyPair.generate()
    for challenge in ("", "x", _b64(secrets.token_bytes(40)), "ü" * 8):
        signature = alice.sign(proof_message("fetch", alice.did, challenge))
        body = {"challenge": challenge, "signature": _b64(signature)}
        answer = node.client.post(f"/mailbox/{alice.did}/fetch", json=body)
        assert answer.status_code == 403, challenge


# -- quotas and expected answers ---------------------------------------------------------------


def test_unsolicited_flood_is_limited_but_an_expected_answer_gets_through(node: Running) -> None:
    alice, flooder = KeyPair.generate(), KeyPair.generate()
    for _ in range(PER_SENDER_RECIPIENT_PER_HOUR):
        assert deposit(node, alice.did, seal(flooder, alice, b"buy")).status_code == 201
    answer = deposit(node, alice.did, seal(flooder, alice, b"buy"))
    assert answer.status_code == 429
    assert problem_kind(answer) == "quota-exceeded"
    assert 3590 <= int(answer.headers["Retry-After"]) <= 3600

    # fill the mailbox with other senders' mail, up to what it holds
    held = PER_SENDER_RECIPIENT_PER_HOUR
    while held < MAX_HELD:
        sender = KeyPair.generate()
        for _ in range(min(PER_SENDER_RECIPIENT_PER_HOUR, MAX_HELD - held)):
            assert deposit(node, alice.did, seal(sender, alice, b"spam")).status_code == 201
            held += 1
    answer = deposit(node, alice.did, seal(KeyPair.generate(), alice, b"one more"))
    assert answer.status_code == 429
    assert problem_kind(answer) == "mailbox-full"
    assert int(answer.headers["Retry-After"]) >= 1

    # Alice expects an answer from Bob: it is admitted though the mailbox is full
    bob, token = KeyPair.generate(), secrets.token_bytes(32)
    until = int(node.clock.now) + 7 * 24 * 3600
    answer = expect(node, alice, token, until)
    assert answer.status_code == 200, answer.text
    assert answer.json() == {"expires": until}
    answer = deposit(node, alice.did, seal(bob, alice, b"accepted", token=token))
    assert answer.status_code == 201, answer.text
    messages = fetch(node, alice).json()["messages"]
    assert len(messages) == MAX_HELD + 1
    assert messages[-1]["token"] == _b64(token)

    # the token is spent: a second message with it is a replay, even from the same sender
    answer = deposit(node, alice.did, seal(bob, alice, b"accepted again", token=token))
    assert answer.status_code == 409
    assert problem_kind(answer) == "replay"
    # registering it again does not re-arm it
    assert expect(node, alice, token, until).status_code == 200
    assert deposit(node, alice.did, seal(bob, alice, b"x", token=token)).status_code == 409


def test_a_token_not_expected_is_just_unsolicited(node: Running) -> None:
    alice, bob = KeyPair.generate(), KeyPair.generate()
    for _ in range(PER_SENDER_RECIPIENT_PER_HOUR):
        data = seal(bob, alice, b"hi", token=secrets.token_bytes(32))
        assert deposit(node, alice.did, data).status_code == 201
    data = seal(bob, alice, b"hi", token=secrets.token_bytes(32))
    assert deposit(node, alice.did, data).status_code == 429


def test_the_per_sender_quota_spans_recipients(node: Running) -> None:
    sender = KeyPair.generate()
    recipients = [KeyPair.generate() for _ in range(PER_SENDER_PER_HOUR // 5 + 1)]
    sent = 0
    for recipient in recipients:
        for _ in range(PER_SENDER_RECIPIENT_PER_HOUR):
            answer = deposit(node, recipient.did, seal(sender, recipient, b"hello"))
            if sent < PER_SENDER_PER_HOUR:
                assert answer.status_code == 201, answer.text
                sent += 1
            else:
                assert answer.status_code == 429
                assert "from one sender" in answer.json()["detail"]
    # an hour later the sender may write again
    node.clock.now += 3601
    last = recipients[-1]
    assert deposit(node, last.did, seal(sender, last, b"hello")).status_code == 201


def test_expect_refuses_a_past_expiry_and_shortens_a_long_one(node: Running) -> None:
    alice = KeyPair.generate()
    now = int(node.clock.now)
    answer = expect(node, alice, secrets.token_bytes(32), now - 1)
    assert answer.status_code == 400
    answer = expect(node, alice, secrets.token_bytes(32), now + 365 * 24 * 3600)
    assert answer.status_code == 200
    assert answer.json() == {"expires": now + 30 * 24 * 3600}
    body = {**signed(node, alice, alice.did, "expect", "AAAA"), "token": "AAAA"}
    answer = node.client.post(f"/mailbox/{alice.did}/expect", json={**body, "expires": now + 9})
    assert answer.status_code == 400  # a token is 32 bytes


# -- limits and format -------------------------------------------------------------------------


def test_an_oversized_message_is_413(node: Running) -> None:
    alice, bob = KeyPair.generate(), KeyPair.generate()
    big = seal(bob, alice, b"x" * MAX_MESSAGE_BYTES)
    answer = deposit(node, alice.did, big)
    assert answer.status_code == 413
    assert problem_kind(answer) == "too-large"
    # just under the limit is fine
    overhead = len(seal(bob, alice, b""))
    fits = seal(bob, alice, b"x" * (MAX_MESSAGE_BYTES - overhead - 4))
    assert len(fits) <= MAX_MESSAGE_BYTES
    assert deposit(node, alice.did, fits).status_code == 201


def test_malformed_messages_are_400(node: Running) -> None:
    alice, bob, carol = KeyPair.generate(), KeyPair.generate(), KeyPair.generate()
    cases = {
        "not CBOR": b"\xff\x00garbage",
        "empty": b"",
        "a list": encode([1, 2]),
        "wrong to": seal(bob, carol, b"hi"),
        "did:web from": seal(bob, alice, b"hi", override={"from": "did:web:example.com"}),
        "not a DID": seal(bob, alice, b"hi", override={"from": "bob"}),
        "short nonce": seal(bob, alice, b"hi", override={"nonce": b"\x00" * 23}),
        "short token": seal(bob, alice, b"hi", token=b"\x00" * 31),
        "version 2": seal(bob, alice, b"hi", override={"v": 2}),
        "another type": seal(bob, alice, b"hi", override={"type": "plain"}),
        "an extra key": seal(bob, alice, b"hi", override={"extra": b"x"}),
    }
    for name, data in cases.items():
        answer = deposit(node, alice.did, data)
        assert answer.status_code == 400, name
        assert problem_kind(answer) == "malformed-message", name
    web = "did:web:example.com"
    answer = deposit(node, web, seal(bob, alice, b"hi", override={"to": web}))
    assert answer.status_code == 400
    assert node.client.get("/mailbox/not-a-did/challenge").status_code == 400
    assert fetch(node, alice).json() == {"messages": []}


def test_malformed_requests_are_400(node: Running) -> None:
    alice = KeyPair.generate()
    route = f"/mailbox/{alice.did}"
    bodies: list[Any] = [[], {}, {"challenge": 1, "signature": "AA"}]
    for body in [*bodies, {"challenge": "c", "signature": "=="}]:
        for action in ("fetch", "delete", "expect"):
            answer = node.client.post(f"{route}/{action}", json=body)
            assert answer.status_code == 400, (body, action)
    proof = signed(node, alice, alice.did, "delete")
    answer = node.client.post(f"{route}/delete", json={**proof, "ids": "a"})
    assert answer.status_code == 400
    answer = node.client.post(f"{route}/expect", json={**proof, "token": "AA", "expires": True})
    assert answer.status_code == 400


# -- expiry ------------------------------------------------------------------------------------


def test_expired_mail_is_purged(node: Running) -> None:
    alice, bob = KeyPair.generate(), KeyPair.generate()
    assert deposit(node, alice.did, seal(bob, alice, b"old")).status_code == 201
    node.clock.now += TTL_SECONDS - 10
    assert deposit(node, alice.did, seal(bob, alice, b"new")).status_code == 201
    node.clock.now += 11
    messages = fetch(node, alice).json()["messages"]
    assert len(messages) == 1
    conn = sqlite3.connect(node.path)
    try:
        (count,) = conn.execute("SELECT count(*) FROM mailbox_messages").fetchone()
    finally:
        conn.close()
    assert count == 1  # deleted, not merely hidden


def test_an_expected_token_expires(node: Running) -> None:
    alice, bob, token = KeyPair.generate(), KeyPair.generate(), secrets.token_bytes(32)
    assert expect(node, alice, token, int(node.clock.now) + 60).status_code == 200
    node.clock.now += 61
    for _ in range(PER_SENDER_RECIPIENT_PER_HOUR):
        assert deposit(node, alice.did, seal(bob, alice, b".")).status_code == 201
    # no longer expected: the answer is unsolicited, and over Bob's quota
    assert deposit(node, alice.did, seal(bob, alice, b"!", token=token)).status_code == 429


# -- migration ---------------------------------------------------------------------------------


def test_a_schema_1_node_db_is_migrated(tmp_path: Path) -> None:
    path = tmp_path / "node.db"
    old = open_database(path, migrations=MIGRATIONS[:1], error=StoreError, what="node database")
    old.conn.execute(
        "INSERT INTO peers VALUES (?, ?, ?, ?, ?, ?, ?)",
        ("did:key:z6Mkpeer", "http://127.0.0.1:8471", 12.0, 0.0, 0, 1.0, "ok"),
    )
    old.conn.close()

    db = NodeDatabase(path)
    try:
        (version,) = db.db.conn.execute(
            "SELECT value FROM meta WHERE key='schema_version'"
        ).fetchone()
        assert int(version) == SCHEMA_VERSION == 2
        assert [r.peer for r in db.load()] == ["did:key:z6Mkpeer"]
        assert isinstance(next(iter(db.load())), PeerRecord)
        tables = {r[0] for r in db.db.conn.execute("SELECT name FROM sqlite_master")}
        assert {"mailbox_messages", "mailbox_tokens", "mailbox_log"} <= tables
    finally:
        db.close()
    NodeDatabase(path).close()  # and opening it again changes nothing


# -- no input makes the node answer 5xx ------------------------------------------------------

FUZZ = settings(
    max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
RECIPIENT = KeyPair.generate()
SCALARS = st.none() | st.booleans() | st.integers() | st.text(max_size=20)
CBOR_VALUES = st.recursive(
    SCALARS | st.binary(max_size=40),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=8), inner),
    max_leaves=12,
)
JSON_VALUES = st.recursive(
    SCALARS,
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=12), inner),
    max_leaves=12,
)
FIELDS = st.fixed_dictionaries(
    {},
    optional={
        "challenge": JSON_VALUES,
        "signature": JSON_VALUES | st.binary(max_size=70).map(_b64),
        "token": JSON_VALUES | st.binary(max_size=40).map(_b64),
        "expires": JSON_VALUES,
        "ids": JSON_VALUES,
    },
)


@FUZZ
@given(body=st.binary(max_size=300) | CBOR_VALUES.map(encode))
def test_random_deposits_never_5xx(node: Running, body: bytes) -> None:
    answer = deposit(node, RECIPIENT.did, body)
    assert answer.status_code < 500, answer.text
    assert answer.status_code == 400


@FUZZ
@given(
    action=st.sampled_from(["fetch", "delete", "expect"]),
    body=JSON_VALUES | FIELDS,
    recipient=st.sampled_from([RECIPIENT.did, "did:key:z6Mk", "x", "did:key:zz%00"]),
)
def test_random_requests_never_5xx(node: Running, action: str, body: Any, recipient: str) -> None:
    answer = node.client.post(f"/mailbox/{recipient}/{action}", json=body)
    assert answer.status_code in (400, 403), answer.text
