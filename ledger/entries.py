"""Ledger entries, checkpoints and edge statements: what an author signs.

Every object is a deterministic CBOR map (:mod:`ledger.encoding`) signed in a COSE_Sign1
envelope (:mod:`ledger.cose`, EdDSA) whose ``kid`` is the author's did:key. The exact
signed bytes are what is stored, hashed into the Merkle tree and gossiped.

Entry payload (``specs/ledger.md`` §2)::

    {"v": 1, "author": did, "seq": n, "prev": sha256(previous entry) | null,
     "time": unix seconds, "kind": text, "body": map}

Kinds and their bodies (each checked by :func:`parse_body`):

========================  ===========================================================
``acceptance``            ``{"edge": <COSE edge statement bytes>}`` — the subject
                          publishes the issuer's edge statement (two signatures)
``withdrawal``            ``{"credential": digest}`` — a past acceptance withdrawn
``revocation``            ``{"credential": digest, "list": id, "index": n, "reason"?}``
``suspension``            same as revocation
``unsuspension``          same as revocation
``flag``                  ``{"target": DID or digest (text or bytes), "reason": text}``
``trust-snapshot``        ``{"scores": map, ? "anchors": [did], ? "metric": text}`` — a node's trust
                          scores (``ledger/trust_snapshot.py``, ``specs/trust.md`` §6)
========================  ===========================================================

An edge statement (signed by the issuer at issuance, handed to the subject, not
published until accepted)::

    {"v": 1, "type": "edge", "issuer": did, "subject": did, "kind": "skill"|"badge"|
     "endorsement", "skill": text, "level": 1-8 | null, "credential": digest, "time": t}

A checkpoint::

    {"v": 1, "type": "checkpoint", "author": did, "size": n, "root": bytes(32), "time": t}
"""

from __future__ import annotations

import functools
import hashlib
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Final

import rfc8785

from credentials.errors import CredentialError
from credentials.keys import Ed25519PublicKey, KeyPair
from credentials.models import SkillClaim, normalize_skill

from . import cose, encoding
from .errors import EncodingError, ForbiddenError, SignatureError

__all__ = [
    "ENTRY_KINDS",
    "FORMAT_VERSION",
    "Checkpoint",
    "EdgeStatement",
    "Entry",
    "credential_digest",
    "entry_hash",
]

FORMAT_VERSION: Final = 1
STATUS_KINDS: Final = ("revocation", "suspension", "unsuspension")
ENTRY_KINDS: Final = ("acceptance", "withdrawal", *STATUS_KINDS, "flag", "trust-snapshot")
MAX_TEXT: Final = 1000

_ENTRY_KEYS: Final = frozenset({"v", "author", "seq", "prev", "time", "kind", "body"})
_EDGE_KEYS: Final = frozenset(
    {"v", "type", "issuer", "subject", "kind", "skill", "level", "credential", "time"}
)
_CHECKPOINT_KEYS: Final = frozenset({"v", "type", "author", "size", "root", "time"})
_NO_KEYS: Final[frozenset[str]] = frozenset()
_EDGE_BODY_KEYS: Final = frozenset({"edge"})
_CREDENTIAL_KEYS: Final = frozenset({"credential"})
_STATUS_KEYS: Final = frozenset({"credential", "list", "index"})
_STATUS_OPTIONAL: Final = frozenset({"reason"})
_FLAG_KEYS: Final = frozenset({"target", "reason"})
_SNAPSHOT_KEYS: Final = frozenset({"scores"})
_SNAPSHOT_OPTIONAL: Final = frozenset({"anchors", "metric"})


def credential_digest(credential: Mapping[str, Any] | str) -> bytes:
    """SHA-256 of a credential as signed: RFC 8785 JCS of a JSON-LD credential (proof
    included), or the ASCII of a VC-JWT."""
    if isinstance(credential, str):
        return hashlib.sha256(credential.encode("ascii")).digest()
    return hashlib.sha256(rfc8785.dumps(dict(credential))).digest()


def entry_hash(signed: bytes) -> bytes:
    """The hash that chains entries (``prev``): SHA-256 of the signed COSE bytes."""
    return hashlib.sha256(signed).digest()


# A feed's entries all name one author: decoding its did:key (base58) once, not once per
# entry, is a large share of verifying a small entry. The key is a pure function of the
# DID, and only valid did:keys (a few dozen characters) are cached; errors are not.
@functools.lru_cache(maxsize=4096)
def _author_key(did: str) -> Ed25519PublicKey:
    try:
        return Ed25519PublicKey.from_did(did)
    except CredentialError as e:
        raise EncodingError(f"author {did[:80]!r}: {e}") from e


def _open(signed: bytes, what: str, *, verify: bool = True) -> tuple[dict[str, Any], str]:
    """Decode a COSE_Sign1, verify it with the key its kid names; (payload map, did).

    ``verify=False`` is for bytes this process verified before storing them (the store
    reads its own rows); ``musette ledger verify`` re-checks them with ``verify=True``.
    """
    envelope = cose.decode_sign1(signed)
    kid = envelope.kid
    if kid is None:
        raise EncodingError(f"{what} has no kid naming its signer")
    try:
        did = kid.decode("ascii")
    except UnicodeDecodeError as e:
        raise EncodingError(f"{what} kid is not a DID") from e
    payload = cose.verify_sign1(envelope, _author_key(did)) if verify else envelope.payload
    value = encoding.decode(payload, what)
    if not isinstance(value, dict):
        raise EncodingError(f"{what} payload is not a CBOR map")
    if value.get("v") != FORMAT_VERSION:
        raise EncodingError(
            f"{what} has format version {value.get('v')!r}; we read {FORMAT_VERSION}"
        )
    return value, did


def _seal(payload: dict[str, Any], key: KeyPair, did: str) -> bytes:
    return cose.sign1(encoding.encode(payload), key, kid=did.encode("ascii"))


@functools.lru_cache(maxsize=256)
def _did_of(public: Ed25519PublicKey) -> str:
    """``key.did``, which base58-encodes the key on every call: once per key here."""
    return public.did


def _field(value: Mapping[str, Any], name: str, kind: type | tuple[type, ...], what: str) -> Any:
    item = value.get(name)
    if not isinstance(item, kind) or (isinstance(item, bool) and kind is int):
        raise EncodingError(f"{what}: field {name!r} is missing or of the wrong type")
    return item


def _uint(value: Mapping[str, Any], name: str, what: str) -> int:
    """An unsigned integer field (a bool is not an integer here)."""
    item = _field(value, name, int, what)
    if item < 0:
        raise EncodingError(f"{what}: {name!r} must not be negative")
    return int(item)


def _digest(value: Mapping[str, Any], name: str, what: str) -> bytes:
    item = _field(value, name, bytes, what)
    if len(item) != 32:
        raise EncodingError(f"{what}: {name!r} must be a 32-byte SHA-256 digest")
    return bytes(item)


def _text(value: Mapping[str, Any], name: str, what: str, *, optional: bool = False) -> str | None:
    if optional and name not in value:
        return None
    item = _field(value, name, str, what)
    if len(item) > MAX_TEXT:
        raise EncodingError(f"{what}: {name!r} is over {MAX_TEXT} characters")
    return str(item)


def _exact_keys(
    value: Mapping[str, Any], required: frozenset[str], optional: frozenset[str], what: str
) -> None:
    if value.keys() == required:
        return
    keys = set(value)
    if missing := required - keys:
        raise EncodingError(f"{what}: missing {sorted(missing)}")
    if extra := keys - required - optional:
        raise EncodingError(f"{what}: unknown fields {sorted(extra)}")


@dataclass(frozen=True, slots=True)
class EdgeStatement:
    """The issuer's signed statement of an endorsement edge (issuer → subject, skill)."""

    signed: bytes
    issuer: str
    subject: str
    kind: str
    skill: str
    level: int | None
    credential: bytes
    time: int

    @property
    def skill_key(self) -> str:
        return normalize_skill(self.skill)

    @classmethod
    def create(
        cls, credential: Mapping[str, Any] | str, claim: SkillClaim, key: KeyPair, *, time: int
    ) -> EdgeStatement:
        """Sign the edge of a credential the holder of ``key`` issued."""
        did = _did_of(key.public)
        if claim.issuer != did:
            raise EncodingError("an edge statement is signed by the credential's issuer")
        if claim.subject is None or claim.kind not in ("skill", "badge", "endorsement"):
            raise EncodingError("only skills, badges and endorsements of a subject make edges")
        payload: dict[str, Any] = {
            "v": FORMAT_VERSION,
            "type": "edge",
            "issuer": did,
            "subject": claim.subject,
            "kind": claim.kind,
            "skill": claim.name,
            "level": claim.level,
            "credential": credential_digest(credential),
            "time": time,
        }
        return cls.from_bytes(_seal(payload, key, did))

    @classmethod
    def from_bytes(cls, signed: bytes, *, verify: bool = True) -> EdgeStatement:
        """Parse and verify (signature by ``issuer``); raises EncodingError/SignatureError.
        ``verify=False`` only for a statement verified when its acceptance was stored."""
        value, signer = _open(signed, "edge statement", verify=verify)
        what = "edge statement"
        _exact_keys(value, _EDGE_KEYS, _NO_KEYS, what)
        if value["type"] != "edge":
            raise EncodingError(f"{what}: type is {value['type']!r}")
        if value["issuer"] != signer:
            raise SignatureError("edge statement is not signed by its issuer")
        level = value["level"]
        if level is not None and (
            not isinstance(level, int) or isinstance(level, bool) or not 1 <= level <= 8
        ):
            raise EncodingError(f"{what}: level must be 1-8 or null")
        if value["kind"] not in ("skill", "badge", "endorsement"):
            raise EncodingError(f"{what}: unknown kind {value['kind']!r}")
        return cls(
            signed=signed,
            issuer=signer,
            subject=str(_text(value, "subject", what)),
            kind=str(value["kind"]),
            skill=str(_text(value, "skill", what)),
            level=level,
            credential=_digest(value, "credential", what),
            time=_uint(value, "time", what),
        )


@dataclass(frozen=True, slots=True)
class Entry:
    """One verified entry of a feed."""

    signed: bytes
    author: str
    seq: int
    prev: bytes | None
    time: int
    kind: str
    body: Mapping[str, Any]
    # Derived once, on first use: the entry hash, and (for an acceptance parsed with
    # verification) the edge statement verified while parsing it. Not part of equality.
    _hash: bytes | None = field(default=None, init=False, repr=False, compare=False)
    _edge: EdgeStatement | None = field(default=None, init=False, repr=False, compare=False)

    @property
    def hash(self) -> bytes:
        digest = self._hash
        if digest is None:
            digest = entry_hash(self.signed)
            object.__setattr__(self, "_hash", digest)
        return digest

    @classmethod
    def create(
        cls,
        key: KeyPair,
        *,
        seq: int,
        prev: bytes | None,
        time: int,
        kind: str,
        body: Mapping[str, Any],
    ) -> Entry:
        did = _did_of(key.public)
        payload = {
            "v": FORMAT_VERSION,
            "author": did,
            "seq": seq,
            "prev": prev,
            "time": time,
            "kind": kind,
            "body": dict(body),
        }
        return cls.from_bytes(_seal(payload, key, did))

    @classmethod
    def from_bytes(cls, signed: bytes, *, verify: bool = True) -> Entry:
        """Parse, verify the author's signature, and check the body's schema.

        Raises EncodingError or SignatureError. Admission (sequence, permissions) is the
        feed's business: :mod:`ledger.feed`. ``verify=False`` skips the signatures and the
        body's schema check, for bytes verified in full when they were stored.
        """
        value, signer = _open(signed, "entry", verify=verify)
        what = "entry"
        _exact_keys(value, _ENTRY_KEYS, _NO_KEYS, what)
        if value["author"] != signer:
            raise SignatureError("entry is not signed by its author")
        # Each `type(...) is` test below is the common case of the `_field`/`_digest` call
        # beside it, which decides (and words the refusal) for anything else.
        seq = value["seq"]
        if type(seq) is not int:
            seq = _field(value, "seq", int, what)
        if seq < 0:
            raise EncodingError("entry: seq must not be negative")
        prev = value["prev"]
        if seq == 0 and prev is not None:
            raise EncodingError("entry: the first entry of a feed has no prev")
        if seq > 0 and (type(prev) is not bytes or len(prev) != 32):
            prev = _digest(value, "prev", what)
        kind = value["kind"]
        if kind not in ENTRY_KINDS:
            raise EncodingError(f"entry: unknown kind {kind!r}")
        body = value["body"]
        if type(body) is not dict:
            body = _field(value, "body", dict, what)
        edge = _parse_body(kind, body, author=signer) if verify else None
        time = value["time"]
        if type(time) is not int or time < 0:
            time = _uint(value, "time", what)
        entry = cls(
            signed=signed, author=signer, seq=seq, prev=prev, time=time, kind=kind, body=body
        )
        if edge is not None:
            object.__setattr__(entry, "_edge", edge)
        return entry

    def edge(self, *, verify: bool = True) -> EdgeStatement:
        """The embedded edge statement of an acceptance (verified: when this entry was
        parsed with verification, that is the statement it verified, not done twice).
        ``verify=False`` for an entry read back from the store, verified when stored."""
        if self._edge is not None:
            return self._edge
        return EdgeStatement.from_bytes(bytes(self.body["edge"]), verify=verify)


def parse_body(kind: str, body: Mapping[str, Any], *, author: str) -> None:
    """Check a body against its kind's schema, and the rules that the body alone decides
    (an acceptance by the edge's subject). Raises EncodingError or SignatureError."""
    _parse_body(kind, body, author=author)


def _parse_body(kind: str, body: Mapping[str, Any], *, author: str) -> EdgeStatement | None:
    """:func:`parse_body`, returning the verified edge statement of an acceptance."""
    what = f"{kind} entry"
    if kind == "acceptance":
        _exact_keys(body, _EDGE_BODY_KEYS, _NO_KEYS, what)
        edge = EdgeStatement.from_bytes(bytes(_field(body, "edge", bytes, what)))
        if edge.subject != author:
            raise ForbiddenError("an acceptance must be written by the edge's subject")
        return edge
    if kind == "withdrawal":
        _exact_keys(body, _CREDENTIAL_KEYS, _NO_KEYS, what)
        _digest(body, "credential", what)
    elif kind in STATUS_KINDS:
        _exact_keys(body, _STATUS_KEYS, _STATUS_OPTIONAL, what)
        credential = body["credential"]
        if type(credential) is not bytes or len(credential) != 32:
            _digest(body, "credential", what)
        listed = body["list"]
        if type(listed) is not str or len(listed) > MAX_TEXT:
            _text(body, "list", what)
        index = body["index"]
        if type(index) is not int:
            index = _field(body, "index", int, what)
        if index < 0:
            raise EncodingError(f"{what}: index must not be negative")
        if "reason" in body:
            _text(body, "reason", what)
    elif kind == "flag":
        _exact_keys(body, _FLAG_KEYS, _NO_KEYS, what)
        target = _field(body, "target", (str, bytes), what)
        if isinstance(target, bytes) and len(target) != 32:
            raise EncodingError(f"{what}: a credential target is a 32-byte digest")
        if isinstance(target, str):
            _text(body, "target", what)
        _text(body, "reason", what)
    elif kind == "trust-snapshot":
        _exact_keys(body, _SNAPSHOT_KEYS, _SNAPSHOT_OPTIONAL, what)
        _field(body, "scores", dict, what)
        if "metric" in body:
            _text(body, "metric", what)
        if "anchors" in body:
            anchors = _field(body, "anchors", list, what)
            if not all(isinstance(a, str) and len(a) <= MAX_TEXT for a in anchors):
                raise EncodingError(f"{what}: anchors must be a list of DIDs")
    return None


@dataclass(frozen=True, slots=True)
class Checkpoint:
    """An author's signed statement of its feed's size and Merkle root."""

    signed: bytes
    author: str
    size: int
    root: bytes
    time: int

    @classmethod
    def create(cls, key: KeyPair, *, size: int, root: bytes, time: int) -> Checkpoint:
        did = _did_of(key.public)
        payload = {
            "v": FORMAT_VERSION,
            "type": "checkpoint",
            "author": did,
            "size": size,
            "root": root,
            "time": time,
        }
        return cls.from_bytes(_seal(payload, key, did))

    @classmethod
    def from_bytes(cls, signed: bytes, *, verify: bool = True) -> Checkpoint:
        value, signer = _open(signed, "checkpoint", verify=verify)
        what = "checkpoint"
        _exact_keys(value, _CHECKPOINT_KEYS, _NO_KEYS, what)
        if value["type"] != "checkpoint":
            raise EncodingError(f"checkpoint: type is {value['type']!r}")
        if value["author"] != signer:
            raise SignatureError("checkpoint is not signed by its author")
        return cls(
            signed=signed,
            author=signer,
            size=_uint(value, "size", what),
            root=_digest(value, "root", what),
            time=_uint(value, "time", what),
        )
