"""Gossip messages on the wire: signed CBOR envelopes (``specs/gossip.md`` §3).

Every message, request or response, is one CBOR array::

    [1, type, sender key (bstr 32), time (uint, unix s), body (bstr), signature (bstr 64)]

``body`` is the deterministic CBOR encoding of the message's content, carried as a byte
string so that the signature covers exactly the bytes sent. The signature is Ed25519 over

    "musette-gossip/1" ‖ type (1 byte) ‖ public key ‖ time (8 bytes, big-endian)
    ‖ context (32 bytes) ‖ SHA-256(body)

where ``context`` is 32 zero bytes in a request and SHA-256 of the request's envelope in
its response: a response cannot be replayed as the answer to another request, and a
request is stale after :data:`MAX_SKEW` seconds. The sender is its key, so peer scores
and rate limits attach to a node's did:key, not to an address.

A digest envelope is 126 bytes, signature included (``specs/gossip.md`` §3.2).
"""

from __future__ import annotations

import hashlib
import struct
from dataclasses import dataclass
from enum import IntEnum
from typing import Any, Final

import cbor2

from credentials.errors import CredentialError
from credentials.keys import Ed25519PublicKey, KeyPair
from ledger import encoding
from ledger.errors import EncodingError

from .errors import WireError

__all__ = [
    "MAX_MESSAGE_BYTES",
    "MAX_SKEW",
    "VERSION",
    "Envelope",
    "MessageType",
    "open_envelope",
    "seal",
]

VERSION: Final = 1
MAX_SKEW: Final = 300  # seconds a message's time may differ from the receiver's clock
MAX_MESSAGE_BYTES: Final = 4 * 1024 * 1024
_DOMAIN: Final = b"musette-gossip/1"
_NO_CONTEXT: Final = bytes(32)


class MessageType(IntEnum):
    ERROR = 0
    DIGEST = 1
    RECONCILE = 2
    PULL = 3
    PUSH = 4


@dataclass(frozen=True, slots=True)
class Envelope:
    """A verified message: who sent it, when, what, and its exact bytes."""

    type: MessageType
    sender: Ed25519PublicKey
    sender_did: str
    time: int
    body: Any
    raw: bytes

    @property
    def hash(self) -> bytes:
        return hashlib.sha256(self.raw).digest()


def _to_be_signed(kind: int, public: bytes, time: int, context: bytes, body: bytes) -> bytes:
    return b"".join(
        (
            _DOMAIN,
            bytes((kind,)),
            public,
            struct.pack(">Q", time),
            context,
            hashlib.sha256(body).digest(),
        )
    )


def seal(
    key: KeyPair, kind: MessageType, body: Any, *, time: int, answering: bytes | None = None
) -> bytes:
    """Sign ``body`` as a message of ``kind``; ``answering`` is the request's envelope."""
    payload = encoding.encode(body)
    context = hashlib.sha256(answering).digest() if answering is not None else _NO_CONTEXT
    signature = key.sign(_to_be_signed(int(kind), key.public.raw, time, context, payload))
    return cbor2.dumps([VERSION, int(kind), key.public.raw, time, payload, signature])


def open_envelope(
    data: bytes, *, now: int, answering: bytes | None = None, max_bytes: int = MAX_MESSAGE_BYTES
) -> Envelope:
    """Decode and verify a message; raise WireError with the reason otherwise.

    ``answering`` is the request this message must answer (for a response)."""
    if len(data) > max_bytes:
        raise WireError(f"message is {len(data)} bytes, over the limit of {max_bytes}")
    try:
        outer = cbor2.loads(data)
    except (cbor2.CBORDecodeError, ValueError, TypeError, RecursionError) as e:
        raise WireError(f"message is not valid CBOR: {e}") from e
    if not (isinstance(outer, list) and len(outer) == 6):
        raise WireError("message is not a six-element gossip envelope")
    version, kind, public, time, payload, signature = outer
    # type() is int, not isinstance: CBOR true would otherwise pass as 1, a second
    # encoding of the same signed message.
    if type(version) is not int or version != VERSION:
        raise WireError(f"gossip version {version!r} is not supported (this node speaks 1)")
    if type(kind) is not int or kind not in MessageType._value2member_map_:
        raise WireError(f"unknown message type {kind!r}")
    if not (isinstance(public, bytes) and isinstance(payload, bytes)):
        raise WireError("message key and body must be byte strings")
    if not (isinstance(signature, bytes) and len(signature) == 64):
        raise WireError("message signature must be 64 bytes")
    if type(time) is not int or time < 0 or time >= 2**63:
        raise WireError("message time must be an unsigned integer")
    if cbor2.dumps(outer) != data:
        raise WireError("message is not in deterministic CBOR encoding")
    if abs(time - now) > MAX_SKEW:
        raise WireError(f"message time is {time - now:+d} s from ours (limit ±{MAX_SKEW} s)")
    try:
        sender = Ed25519PublicKey(raw=public)
    except CredentialError as e:
        raise WireError(f"message key: {e}") from e
    context = hashlib.sha256(answering).digest() if answering is not None else _NO_CONTEXT
    try:
        sender.verify(_to_be_signed(kind, public, time, context, payload), signature)
    except CredentialError as e:
        what = "response" if answering is not None else "message"
        raise WireError(f"{what} signature does not verify") from e
    try:
        body = encoding.decode(payload, "message body", max_bytes=max_bytes) if payload else None
    except EncodingError as e:
        raise WireError(str(e)) from e
    return Envelope(MessageType(kind), sender, sender.did, time, body, bytes(data))
