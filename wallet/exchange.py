"""Endorsement requests and answers, contact cards, and sealed messages
(``specs/exchange.md`` §1–2).

Every document is a deterministic-CBOR map signed in a COSE_Sign1 by the did:key it names
as its author (the ledger's profile). A sealed message is NaCl ``crypto_box`` from the
sender's X25519 key to the recipient's, both derived from their Ed25519 identity keys:
only the recipient can open it, and opening it proves who sealed it. Pure: no network,
no storage.
"""

from __future__ import annotations

import base64
import secrets
from dataclasses import dataclass
from typing import Any, Final, Literal

import nacl.exceptions
import nacl.public

from credentials.errors import CredentialError
from credentials.keys import Ed25519PublicKey, KeyPair
from ledger import cose, encoding
from ledger.errors import LedgerError

from .errors import WalletError

__all__ = [
    "CARD_PREFIX",
    "Answer",
    "ContactCard",
    "ExchangeError",
    "Request",
    "open_sealed",
    "seal",
    "sealed_header",
]

VERSION: Final = 1
MAX_TEXT: Final = 2000
MAX_SEALED: Final = 64 * 1024
CARD_PREFIX: Final = "musette-contact:"


class ExchangeError(WalletError):
    """A request, answer, card or sealed message that is malformed, forged or not ours."""


def _sign(payload: dict[str, Any], key: KeyPair) -> bytes:
    return cose.sign1(encoding.encode(payload), key, kid=key.did.encode("ascii"))


def _open_signed(data: bytes, kind: str) -> dict[str, Any]:
    """Decode and verify a signed document of ``kind``; its payload map."""
    try:
        envelope = cose.decode_sign1(data)
        kid = envelope.kid
        if kid is None:
            raise ExchangeError(f"the {kind} names no signer")
        signer = kid.decode("ascii")
        payload = cose.verify_sign1(envelope, Ed25519PublicKey.from_did(signer))
        value = encoding.decode(payload, kind)
    except (LedgerError, CredentialError, UnicodeDecodeError) as e:
        raise ExchangeError(f"not a valid signed {kind}: {e}") from e
    if not isinstance(value, dict) or value.get("v") != VERSION or value.get("type") != kind:
        raise ExchangeError(f"not a version {VERSION} {kind}")
    author = value.get("did") if kind == "contact" else value.get("from")
    if author != signer:
        raise ExchangeError(f"the {kind} is not signed by its author")
    return value


def _text(value: dict[str, Any], name: str, *, optional: bool = False) -> str | None:
    item = value.get(name)
    if item is None and optional:
        return None
    if not isinstance(item, str) or len(item) > MAX_TEXT:
        raise ExchangeError(f"'{name}' must be text of at most {MAX_TEXT} characters")
    return item


def _uint(value: dict[str, Any], name: str) -> int:
    item = value.get(name)
    if type(item) is not int or item < 0:
        raise ExchangeError(f"'{name}' must be an unsigned integer")
    return item


def _token(value: dict[str, Any], what: str) -> bytes:
    token = value.get("token")
    if not isinstance(token, bytes) or len(token) != 32:
        article = "an" if what[0] in "aeiou" else "a"
        raise ExchangeError(f"{article} {what}'s token is 32 bytes")
    return token


def _did(value: dict[str, Any], name: str) -> str:
    did = _text(value, name)
    assert did is not None
    try:
        Ed25519PublicKey.from_did(did)
    except CredentialError as e:
        raise ExchangeError(f"'{name}': {e}") from e
    return did


# -- contact cards ------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class ContactCard:
    did: str
    name: str
    node: str | None
    time: int
    signed: bytes

    @classmethod
    def create(cls, key: KeyPair, *, name: str, node: str | None, time: int) -> ContactCard:
        payload = {"v": VERSION, "type": "contact", "did": key.did, "name": name,
                   "node": node, "time": time}  # fmt: skip
        return cls.from_bytes(_sign(payload, key))

    @classmethod
    def from_bytes(cls, data: bytes) -> ContactCard:
        value = _open_signed(data, "contact")
        node = _text(value, "node", optional=True)
        if node is not None and not node.startswith(("http://", "https://")):
            raise ExchangeError("a contact card's node is an http(s) URL")
        name = _text(value, "name")
        assert name is not None
        return cls(_did(value, "did"), name, node, _uint(value, "time"), bytes(data))

    def to_text(self) -> str:
        """One line to copy, mail or show as a QR code."""
        return CARD_PREFIX + base64.urlsafe_b64encode(self.signed).rstrip(b"=").decode()

    @classmethod
    def from_text(cls, text: str) -> ContactCard:
        body = text.strip()
        if not body.startswith(CARD_PREFIX):
            raise ExchangeError(f"a contact card starts with {CARD_PREFIX!r}")
        try:
            raw = base64.urlsafe_b64decode(body[len(CARD_PREFIX) :] + "=" * (-len(body) % 4))
        except ValueError as e:
            raise ExchangeError("a contact card's text is not base64url") from e
        return cls.from_bytes(raw)


# -- requests and answers -------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Request:
    """A worker's signed request to a peer: vouch for this skill."""

    id: str
    sender: str  # the worker's persona
    recipient: str  # the peer
    skill: str
    level: int | None
    context: str
    evidence: str | None
    token: bytes
    reply_node: str
    expires: int
    time: int
    signed: bytes

    @classmethod
    def create(
        cls,
        key: KeyPair,
        *,
        to: str,
        skill: str,
        level: int | None,
        context: str,
        evidence: str | None,
        reply_node: str,
        expires: int,
        time: int,
    ) -> Request:
        payload = {
            "v": VERSION,
            "type": "endorsement-request",
            # hex, not base64url: an id that began with "-" would read as a CLI option
            "id": secrets.token_hex(16),
            "from": key.did,
            "to": to,
            "skill": skill,
            "level": level,
            "context": context,
            "evidence": evidence,
            "token": secrets.token_bytes(32),
            "reply_node": reply_node,
            "expires": expires,
            "time": time,
        }
        return cls.from_bytes(_sign(payload, key))

    @classmethod
    def from_bytes(cls, data: bytes) -> Request:
        value = _open_signed(data, "endorsement-request")
        level = value.get("level")
        if level is not None and (type(level) is not int or not 1 <= level <= 8):
            raise ExchangeError("a request's level is 1 to 8 or null")
        token = _token(value, "request")
        reply = _text(value, "reply_node")
        assert reply is not None
        if not reply.startswith(("http://", "https://")):
            raise ExchangeError("a request's reply node is an http(s) URL")
        texts = {n: _text(value, n) for n in ("id", "skill", "context")}
        return cls(
            id=str(texts["id"]),
            sender=_did(value, "from"),
            recipient=_did(value, "to"),
            skill=str(texts["skill"]),
            level=level,
            context=str(texts["context"]),
            evidence=_text(value, "evidence", optional=True),
            token=token,
            reply_node=reply,
            expires=_uint(value, "expires"),
            time=_uint(value, "time"),
            signed=bytes(data),
        )


@dataclass(frozen=True, slots=True)
class Answer:
    """A peer's signed answer: the attestation (with its edge statement), or a refusal."""

    request: str
    sender: str  # the peer
    recipient: str  # the worker
    token: bytes
    decision: Literal["accepted", "declined"]
    credential: str | None
    edge: bytes | None
    time: int
    signed: bytes

    @classmethod
    def create(
        cls,
        key: KeyPair,
        request: Request,
        *,
        credential: str | None,
        edge: bytes | None,
        time: int,
    ) -> Answer:
        payload = {
            "v": VERSION,
            "type": "endorsement-answer",
            "request": request.id,
            "from": key.did,
            "to": request.sender,
            "token": request.token,
            "decision": "accepted" if credential is not None else "declined",
            "credential": credential,
            "edge": edge,
            "time": time,
        }
        return cls.from_bytes(_sign(payload, key))

    @classmethod
    def from_bytes(cls, data: bytes) -> Answer:
        value = _open_signed(data, "endorsement-answer")
        decision = value.get("decision")
        if decision not in ("accepted", "declined"):
            raise ExchangeError("an answer's decision is 'accepted' or 'declined'")
        token = _token(value, "answer")
        credential = value.get("credential")
        edge = value.get("edge")
        if decision == "accepted":
            if not isinstance(credential, str) or not isinstance(edge, bytes):
                raise ExchangeError("an accepted answer carries the credential and its edge")
        elif credential is not None or edge is not None:
            raise ExchangeError("a declined answer carries no credential")
        return cls(
            request=str(_text(value, "request")),
            sender=_did(value, "from"),
            recipient=_did(value, "to"),
            token=token,
            decision=decision,
            credential=credential,
            edge=edge,
            time=_uint(value, "time"),
            signed=bytes(data),
        )


# -- sealing ----------------------------------------------------------------------------------


def seal(sender: KeyPair, recipient: str, document: bytes, *, token: bytes | None = None) -> bytes:
    """Encrypt a signed document for ``recipient``, authenticated as ``sender``."""
    try:
        their = nacl.public.PublicKey(Ed25519PublicKey.from_did(recipient).x25519())
    except CredentialError as e:
        raise ExchangeError(f"cannot seal for {recipient[:80]!r}: {e}") from e
    box = nacl.public.Box(nacl.public.PrivateKey(sender.x25519_secret()), their)
    nonce = secrets.token_bytes(nacl.public.Box.NONCE_SIZE)
    # The clear token is repeated inside the box, so that it cannot be changed unseen.
    inner = (b"\x01" + token if token is not None else b"\x00") + document
    sealed: dict[str, Any] = {
        "v": VERSION,
        "type": "sealed",
        "from": sender.did,
        "to": recipient,
        "nonce": nonce,
        "box": bytes(box.encrypt(inner, nonce).ciphertext),
    }
    if token is not None:
        sealed["token"] = token
    data = encoding.encode(sealed)
    if len(data) > MAX_SEALED:
        raise ExchangeError(f"the sealed message is {len(data)} bytes, over {MAX_SEALED}")
    return data


def sealed_header(data: bytes) -> dict[str, Any]:
    """The clear part of a sealed message (sender, recipient, token), checked for form."""
    try:
        value = encoding.decode(data, "sealed message", max_bytes=MAX_SEALED)
    except LedgerError as e:
        raise ExchangeError(str(e)) from e
    if not isinstance(value, dict) or value.get("type") != "sealed" or value.get("v") != VERSION:
        raise ExchangeError("not a version 1 sealed message")
    nonce, box, token = value.get("nonce"), value.get("box"), value.get("token")
    if not isinstance(nonce, bytes) or len(nonce) != nacl.public.Box.NONCE_SIZE:
        raise ExchangeError("a sealed message's nonce is 24 bytes")
    if not isinstance(box, bytes):
        raise ExchangeError("a sealed message's box is bytes")
    if token is not None and (not isinstance(token, bytes) or len(token) != 32):
        raise ExchangeError("a sealed message's token is 32 bytes")
    _did(value, "from")
    _did(value, "to")
    return value


def open_sealed(recipient: KeyPair, data: bytes) -> tuple[str, bytes]:
    """(sender DID, the signed document) of a message sealed for ``recipient``; raises
    ExchangeError for a message that is not for us, tampered, or from another key."""
    header = sealed_header(data)
    if header["to"] != recipient.did:
        raise ExchangeError(f"this message is for {header['to']}, not for {recipient.did}")
    sender = str(header["from"])
    try:
        theirs = nacl.public.PublicKey(Ed25519PublicKey.from_did(sender).x25519())
        box = nacl.public.Box(nacl.public.PrivateKey(recipient.x25519_secret()), theirs)
        inner = bytes(box.decrypt(header["box"], header["nonce"]))
    except (CredentialError, nacl.exceptions.CryptoError) as e:
        raise ExchangeError(
            "the sealed message does not open: tampered, or not from its sender"
        ) from e
    token = header.get("token")
    expected = b"\x01" + token if token is not None else b"\x00"
    if not inner.startswith(expected):
        raise ExchangeError("the sealed message's clear token is not the one sealed inside")
    return sender, inner[len(expected) :]
