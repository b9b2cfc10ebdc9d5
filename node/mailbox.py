"""Mailboxes on a node (``specs/exchange.md`` §3): sealed messages kept per recipient DID.

The node never decrypts anything. It parses the clear outer envelope of a sealed message
(§2: ``{"v": 1, "type": "sealed", "from", "to", "nonce", "box", ? "token"}``) to check
that it is addressed to the mailbox it is posted to and to apply the quotas, and stores
the bytes as they came. Only the recipient, proving its key over a single-use challenge
(§3.1), can list, fetch, delete or announce an expected token.

Storage is ``node.db`` (schema 2, :mod:`node.nodedb`), under the database's lock. The
challenges are not stored: each is a random nonce, its expiry and the recipient bound by
an HMAC under a key of this process, so asking for challenges costs the node nothing and
cannot evict anyone else's; only a challenge that carried a valid signature is remembered
(until it expires) so that it is used once.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import secrets
import time
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from typing import Any, Final

from credentials.errors import CredentialError
from credentials.keys import Ed25519PublicKey
from ledger.encoding import decode
from ledger.errors import EncodingError
from ledger.sqlite import transaction

from .errors import (
    BadProof,
    MailboxFull,
    MalformedMessage,
    MessageTooLarge,
    QuotaExceeded,
    Replay,
)
from .nodedb import NodeDatabase

__all__ = [
    "ACTIONS",
    "CHALLENGE_SECONDS",
    "MAX_EXPECTED_TOKENS",
    "MAX_HELD",
    "MAX_MESSAGE_BYTES",
    "MAX_TOKEN_SECONDS",
    "PER_SENDER_PER_HOUR",
    "PER_SENDER_RECIPIENT_PER_HOUR",
    "PROOF_CONTEXT",
    "TTL_SECONDS",
    "Mailboxes",
    "StoredMessage",
    "proof_message",
]

# §3.2 limits
MAX_MESSAGE_BYTES: Final = 64 * 1024
MAX_HELD: Final = 200
PER_SENDER_RECIPIENT_PER_HOUR: Final = 5
PER_SENDER_PER_HOUR: Final = 50
TTL_SECONDS: Final = 14 * 24 * 3600
MAX_EXPECTED_TOKENS: Final = 100
MAX_TOKEN_SECONDS: Final = 30 * 24 * 3600
# §3.1
CHALLENGE_SECONDS: Final = 120
PROOF_CONTEXT: Final = b"musette-mailbox/1"
ACTIONS: Final = frozenset({"expect", "fetch", "delete"})

_HOUR: Final = 3600
_MAX_IDS: Final = 1000  # ids in one delete
_ENVELOPE_KEYS: Final = frozenset({"v", "type", "from", "to", "nonce", "box", "token"})
_NONCE: Final = 24  # crypto_box nonce
_MAC: Final = 16  # Poly1305 tag: the shortest box
_TOKEN: Final = 32


def proof_message(action: str, recipient: str, challenge: str, extra: str = "") -> bytes:
    """The bytes the recipient signs (§3.1): ``"musette-mailbox/1" ‖ 0x00 ‖ action ‖ 0x00 ‖
    recipient ‖ 0x00 ‖ challenge ‖ 0x00 ‖ extra`` (text in UTF-8). ``extra`` is the ids to
    delete joined with ``,``, the unpadded base64url of the token to expect, or empty."""
    parts = (action, recipient, challenge, extra)
    return PROOF_CONTEXT + b"".join(b"\x00" + p.encode() for p in parts)


@dataclass(frozen=True, slots=True)
class StoredMessage:
    """One held message, as :meth:`Mailboxes.fetch` returns it (``data``: the sealed CBOR
    exactly as deposited)."""

    id: str
    sender: str
    token: bytes | None
    size: int
    time: int
    expires: int
    data: bytes


@dataclass(frozen=True, slots=True)
class _Envelope:
    sender: str
    token: bytes | None


def _parse_envelope(recipient: str, data: bytes) -> _Envelope:
    """The clear part of a sealed message (§2), checked; raises MalformedMessage."""
    if len(data) > MAX_MESSAGE_BYTES:
        raise MessageTooLarge(f"a sealed message is at most {MAX_MESSAGE_BYTES} bytes")
    try:
        value = decode(data, "sealed message", max_bytes=MAX_MESSAGE_BYTES)
    except EncodingError as e:
        raise MalformedMessage(f"not a sealed message: {e}") from e
    if not isinstance(value, dict):
        raise MalformedMessage("a sealed message is a CBOR map")
    keys = set(value)
    if not keys <= _ENVELOPE_KEYS or not keys >= _ENVELOPE_KEYS - {"token"}:
        raise MalformedMessage(
            "a sealed message has exactly v, type, from, to, nonce, box and optionally token"
        )
    if value["v"] != 1 or isinstance(value["v"], bool) or value["type"] != "sealed":
        raise MalformedMessage('not a version-1 sealed message ("v": 1, "type": "sealed")')
    if value["to"] != recipient:
        raise MalformedMessage("the message's to is not this mailbox's recipient")
    sender = value["from"]
    if not isinstance(sender, str):
        raise MalformedMessage("from must be a did:key")
    try:
        Ed25519PublicKey.from_did(sender)
    except CredentialError as e:
        raise MalformedMessage(f"from is not an Ed25519 did:key: {e}") from e
    if "#" in sender:
        raise MalformedMessage("from is a DID, without a fragment")
    nonce, box = value["nonce"], value["box"]
    if not isinstance(nonce, bytes) or len(nonce) != _NONCE:
        raise MalformedMessage(f"nonce must be {_NONCE} bytes")
    if not isinstance(box, bytes) or len(box) < _MAC:
        raise MalformedMessage(f"box must be a byte string of at least {_MAC} bytes")
    token = value.get("token")
    if token is not None and (not isinstance(token, bytes) or len(token) != _TOKEN):
        raise MalformedMessage(f"token must be {_TOKEN} bytes")
    return _Envelope(sender, token)


def _recipient_key(recipient: str) -> Ed25519PublicKey:
    try:
        key = Ed25519PublicKey.from_did(recipient)
    except CredentialError as e:
        raise MalformedMessage(f"a mailbox is named by an Ed25519 did:key: {e}") from e
    if "#" in recipient:
        raise MalformedMessage("a mailbox is named by a DID, without a fragment")
    return key


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


class Mailboxes:
    """The mailboxes of one node over its ``node.db``. Thread-safe (the database's lock).

    Every call first deletes what expired: messages past their time to live, expected
    tokens past their expiry, the quota log older than an hour, used challenges.
    """

    def __init__(self, db: NodeDatabase, *, clock: Callable[[], float] = time.time) -> None:
        self.db = db
        self.lock = db.lock
        self.clock = clock
        self._secret = secrets.token_bytes(32)
        self._used: dict[str, int] = {}  # challenge -> its expiry
        # Deleted mail (its sender, its recipient) must not linger in free pages.
        with self.lock:
            self.db.db.conn.execute("PRAGMA secure_delete=ON")

    def _now(self) -> int:
        return int(self.clock())

    def _purge(self, now: int) -> None:
        """Delete what expired (the caller holds the lock, inside a transaction)."""
        conn = self.db.db.conn
        conn.execute("DELETE FROM mailbox_messages WHERE expires <= ?", (now,))
        conn.execute("DELETE FROM mailbox_tokens WHERE expires <= ?", (now,))
        conn.execute("DELETE FROM mailbox_log WHERE time <= ?", (now - _HOUR,))
        self._used = {c: t for c, t in self._used.items() if t > now}

    # -- deposit (anyone) ------------------------------------------------------------------

    def deposit(self, recipient: str, data: bytes) -> str:
        """Keep one sealed message for ``recipient``; its id.

        §3.3: a message carrying a token the recipient expects is admitted whatever the
        quotas, and spends the token. Anything else is unsolicited and limited (§3.2).
        Raises MalformedMessage (MessageTooLarge), Replay (a spent token), MailboxFull,
        QuotaExceeded (with ``retry_after``).
        """
        _recipient_key(recipient)
        envelope = _parse_envelope(recipient, data)
        message_id = _b64(secrets.token_bytes(16))
        with self.lock, transaction(self.db.db.conn) as conn:
            now = self._now()
            self._purge(now)
            expected = False
            if envelope.token is not None:
                row = conn.execute(
                    "SELECT spent FROM mailbox_tokens WHERE recipient=? AND token=?",
                    (recipient, envelope.token),
                ).fetchone()
                if row is not None and row[0] is not None:
                    raise Replay("this answer's token was already spent: a message carried it")
                if row is not None:
                    expected = True
                    conn.execute(
                        "UPDATE mailbox_tokens SET spent=? WHERE recipient=? AND token=?",
                        (now, recipient, envelope.token),
                    )
            if not expected:
                self._admit_unsolicited(conn, recipient, envelope.sender, now)
                conn.execute(
                    "INSERT INTO mailbox_log VALUES (?, ?, ?)", (envelope.sender, recipient, now)
                )
            conn.execute(
                "INSERT INTO mailbox_messages VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                (
                    message_id,
                    recipient,
                    envelope.sender,
                    envelope.token,
                    len(data),
                    now,
                    now + TTL_SECONDS,
                    data,
                ),
            )
        return message_id

    def _admit_unsolicited(self, conn: Any, recipient: str, sender: str, now: int) -> None:
        held, oldest = conn.execute(
            "SELECT count(*), min(expires) FROM mailbox_messages WHERE recipient=?",
            (recipient,),
        ).fetchone()
        if held >= MAX_HELD:
            raise MailboxFull(
                f"this mailbox holds {MAX_HELD} messages; only expected answers are admitted",
                retry_after=min(_HOUR, int(oldest) - now),
            )
        since = now - _HOUR
        count, first = conn.execute(
            "SELECT count(*), min(time) FROM mailbox_log"
            " WHERE sender=? AND recipient=? AND time > ?",
            (sender, recipient, since),
        ).fetchone()
        if count >= PER_SENDER_RECIPIENT_PER_HOUR:
            raise QuotaExceeded(
                f"at most {PER_SENDER_RECIPIENT_PER_HOUR} unsolicited messages an hour"
                " from one sender to one recipient",
                retry_after=int(first) + _HOUR - now,
            )
        count, first = conn.execute(
            "SELECT count(*), min(time) FROM mailbox_log WHERE sender=? AND time > ?",
            (sender, since),
        ).fetchone()
        if count >= PER_SENDER_PER_HOUR:
            raise QuotaExceeded(
                f"at most {PER_SENDER_PER_HOUR} unsolicited messages an hour from one sender",
                retry_after=int(first) + _HOUR - now,
            )

    # -- proof of the recipient's key ------------------------------------------------------

    def _mac(self, recipient: str, nonce: bytes, expires: int) -> bytes:
        message = recipient.encode() + b"\x00" + nonce + expires.to_bytes(8, "big")
        return hmac.new(self._secret, message, hashlib.sha256).digest()[:16]

    def challenge(self, recipient: str) -> tuple[str, int]:
        """A fresh challenge for ``recipient`` and its expiry (§3.1: one use, 120 s)."""
        _recipient_key(recipient)
        nonce = secrets.token_bytes(16)
        expires = self._now() + CHALLENGE_SECONDS
        mac = self._mac(recipient, nonce, expires)
        return _b64(nonce + expires.to_bytes(8, "big") + mac), expires

    def verify_proof(
        self, recipient: str, action: str, challenge: str, signature: bytes, extra: str = ""
    ) -> None:
        """Check that the recipient signed ``action`` over a challenge of this node for this
        mailbox, unexpired and not used before; then spend the challenge. Raises BadProof
        (a failed attempt spends nothing: whoever saw a challenge cannot burn it)."""
        key = _recipient_key(recipient)
        if action not in ACTIONS:
            raise BadProof(f"unknown action {action!r}")
        try:
            raw = base64.urlsafe_b64decode(challenge + "=" * (-len(challenge) % 4))
        except (ValueError, UnicodeEncodeError) as e:
            raise BadProof("not a challenge of this node") from e
        if len(raw) != 40 or _b64(raw) != challenge:
            raise BadProof("not a challenge of this node")
        nonce, expires, mac = raw[:16], int.from_bytes(raw[16:24], "big"), raw[24:]
        if not hmac.compare_digest(mac, self._mac(recipient, nonce, expires)):
            raise BadProof("not a challenge this node gave for this mailbox")
        if expires <= self._now():
            raise BadProof("the challenge expired; ask for a fresh one")
        try:
            key.verify(proof_message(action, recipient, challenge, extra), signature)
        except CredentialError as e:
            raise BadProof(f"the signature is not the recipient's over this {action}") from e
        with self.lock:
            now = self._now()
            self._used = {c: t for c, t in self._used.items() if t > now}
            if challenge in self._used:
                raise BadProof("the challenge was already used; ask for a fresh one")
            self._used[challenge] = expires

    # -- the recipient's side (after verify_proof) -----------------------------------------

    def expect(self, recipient: str, token: bytes, expires: int) -> int:
        """Register ``token`` for an answer to ``recipient`` (§3.3) until ``expires`` (at
        most 30 days ahead: later is shortened); the expiry kept. Registering a token again
        keeps it as it is (a spent token stays spent). Raises MalformedMessage for a token
        that is not 32 bytes or an expiry in the past, QuotaExceeded past 100 tokens."""
        _recipient_key(recipient)
        if len(token) != _TOKEN:
            raise MalformedMessage(f"a token is {_TOKEN} bytes")
        with self.lock, transaction(self.db.db.conn) as conn:
            now = self._now()
            self._purge(now)
            if expires <= now:
                raise MalformedMessage("expires is in the past")
            expires = min(expires, now + MAX_TOKEN_SECONDS)
            row = conn.execute(
                "SELECT expires FROM mailbox_tokens WHERE recipient=? AND token=?",
                (recipient, token),
            ).fetchone()
            if row is not None:
                return int(row[0])
            count, first = conn.execute(
                "SELECT count(*), min(expires) FROM mailbox_tokens"
                " WHERE recipient=? AND spent IS NULL",
                (recipient,),
            ).fetchone()
            if count >= MAX_EXPECTED_TOKENS:
                raise QuotaExceeded(
                    f"at most {MAX_EXPECTED_TOKENS} expected tokens per recipient",
                    retry_after=int(first) - now,
                )
            conn.execute(
                "INSERT INTO mailbox_tokens VALUES (?, ?, ?, NULL)", (recipient, token, expires)
            )
            return expires

    def fetch(self, recipient: str) -> list[StoredMessage]:
        """Every message held for ``recipient``, oldest first (they stay until deleted or
        expired)."""
        _recipient_key(recipient)
        with self.lock, transaction(self.db.db.conn) as conn:
            self._purge(self._now())
            rows = conn.execute(
                "SELECT id, sender, token, size, time, expires, data FROM mailbox_messages"
                " WHERE recipient=? ORDER BY time, rowid",
                (recipient,),
            ).fetchall()
        return [
            StoredMessage(
                id=i, sender=s, token=t, size=int(n), time=int(at), expires=int(e), data=d
            )
            for i, s, t, n, at, e, d in rows
        ]

    def delete(self, recipient: str, ids: Sequence[str] | Iterable[str]) -> int:
        """Delete ``recipient``'s messages with these ids (others' are untouched); how many
        were deleted."""
        _recipient_key(recipient)
        wanted = list(dict.fromkeys(ids))
        if len(wanted) > _MAX_IDS:
            raise MalformedMessage(f"at most {_MAX_IDS} ids at once")
        with self.lock, transaction(self.db.db.conn) as conn:
            self._purge(self._now())
            deleted = 0
            for message_id in wanted:
                cursor = conn.execute(
                    "DELETE FROM mailbox_messages WHERE recipient=? AND id=?",
                    (recipient, message_id),
                )
                deleted += cursor.rowcount
        return deleted
