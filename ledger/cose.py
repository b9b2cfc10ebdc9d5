"""COSE_Sign1 (RFC 9052 §4.2) with EdDSA over Ed25519 (RFC 9053 §2.2): the envelope
every ledger object is signed in.

Pure: bytes in, bytes or a :class:`Sign1` out. The profile is deliberately narrow
(``specs/ledger-merkle-cose.md``)::

    COSE_Sign1 = 18([ protected: bstr .cbor {1: -8, ? 4: kid},   ; alg EdDSA, key id
                      unprotected: {},
                      payload: bstr,
                      signature: bstr .size 64 ])

and the signature is Ed25519 over the Sig_structure of RFC 9052 §4.4,
``["Signature1", protected, external_aad, payload]``.

:func:`decode_sign1` reads hostile bytes with a small reader of its own rather than a
general CBOR decoder: the grammar above is closed, so anything outside it is refused by
construction, in one pass with no recursion. It raises
:class:`~ledger.errors.EncodingError` for:

* a missing or other tag than 18 (or a tag when the untagged form is asked for), an
  array of other than four items, a field of the wrong CBOR type, a detached (nil)
  payload, a signature that is not 64 bytes (Ed448 signs with 114);
* anything but RFC 8949 §4.2.1 core deterministic encoding: indefinite lengths, heads
  longer than needed, header labels duplicated or not in bytewise order of their
  encoding; and trailing bytes after the message or inside the protected header;
* headers outside the profile: an ``alg`` other than EdDSA (-8) or not in the protected
  bucket, a ``crit`` header (we understand no extension), any label other than ``alg``
  (1), ``content type`` (3) and ``kid`` (4), a label present in both buckets (RFC 9052
  §3), a kid that is not a byte string;
* a non-empty unprotected header. Nothing signs that bucket, so a message carrying one
  could be re-encoded by anyone with other contents and the same valid signature; the
  ledger hashes and chains the signed bytes, so it admits exactly one encoding per
  signed content. ``allow_unprotected=True`` lifts this (with a warning) to read
  published examples that put their kid there, as RFC 9052 allows.

With the unprotected header empty and the encoding deterministic, the bytes of an
accepted message are a function of its protected header, payload and signature: any
other bytes either fail to decode or fail to verify. :func:`verify_sign1` raises
:class:`~ledger.errors.SignatureError` when the signature does not verify, and returns
the payload when it does.
"""

from __future__ import annotations

import warnings
from collections.abc import Mapping
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Final

from credentials.errors import InvalidSignatureError
from credentials.keys import Ed25519PublicKey, KeyPair

from .errors import EncodingError, SignatureError

__all__ = [
    "ALG_EDDSA",
    "COSE_SIGN1_TAG",
    "HEADER_ALG",
    "HEADER_CONTENT_TYPE",
    "HEADER_CRIT",
    "HEADER_KID",
    "SPEC",
    "HeaderValue",
    "Sign1",
    "decode_sign1",
    "sign1",
    "verify_sign1",
]

SPEC: Final = "RFC 9052 §4 (COSE_Sign1), RFC 9053 §2.2 (EdDSA, Ed25519 only)"
COSE_SIGN1_TAG: Final = 18  # RFC 9052 §2
ALG_EDDSA: Final = -8  # RFC 9053 §2.2
HEADER_ALG: Final = 1  # RFC 9052 §3.1
HEADER_CRIT: Final = 2
HEADER_CONTENT_TYPE: Final = 3
HEADER_KID: Final = 4
ED25519_SIGNATURE_SIZE: Final = 64

HeaderValue = int | str | bytes

_SIG_CONTEXT: Final = "Signature1"  # RFC 9052 §4.4
_KNOWN_LABELS: Final = {HEADER_ALG: "alg", HEADER_CONTENT_TYPE: "content type", HEADER_KID: "kid"}

# CBOR major types (RFC 8949 §3.1).
_UINT, _NINT, _BSTR, _TSTR, _ARRAY, _MAP, _TAG, _SIMPLE = range(8)
_TYPE_NAMES: Final = (
    "an unsigned integer",
    "a negative integer",
    "a byte string",
    "a text string",
    "an array",
    "a map",
    "a tag",
    "a simple value or float",
)
_NIL: Final = 0xF6
# RFC 8949 §4.2.1: the smallest argument that needs 1, 2, 4 or 8 bytes after the head.
_SHORTEST: Final = {24: 24, 25: 1 << 8, 26: 1 << 16, 27: 1 << 32}


@dataclass(frozen=True, slots=True)
class Sign1:
    """A decoded COSE_Sign1 in our profile; its signature is not yet verified.

    Built by :func:`decode_sign1`. Building one directly checks the same invariants
    (``protected`` is what ``protected_bytes`` encodes, the headers are in the profile,
    the signature is 64 bytes) and raises EncodingError if they do not hold; only the
    rule that the unprotected header is empty belongs to decoding alone.
    """

    protected_bytes: bytes
    protected: Mapping[int, HeaderValue] = field(hash=False)
    unprotected: Mapping[int, HeaderValue] = field(hash=False)
    payload: bytes
    signature: bytes

    def __post_init__(self) -> None:
        reader = _Reader(self.protected_bytes)
        parsed = reader.header_map("protected header") if self.protected_bytes else {}
        reader.end("protected header")
        if parsed != dict(self.protected):
            raise EncodingError("protected header map is not what protected_bytes encodes")
        _check_headers(parsed, dict(self.unprotected))
        if len(self.signature) != ED25519_SIGNATURE_SIZE:
            raise EncodingError(
                f"signature is {len(self.signature)} bytes; Ed25519 signatures are "
                f"{ED25519_SIGNATURE_SIZE} (Ed448 is not in this profile)"
            )
        object.__setattr__(self, "protected", MappingProxyType(parsed))
        object.__setattr__(self, "unprotected", MappingProxyType(dict(self.unprotected)))

    @property
    def kid(self) -> bytes | None:
        """The key identifier, from whichever bucket holds it (ours: the protected one)."""
        value = self.protected.get(HEADER_KID)
        if value is None:  # header values are never None: the label is absent
            value = self.unprotected.get(HEADER_KID)
        return value if isinstance(value, bytes) else None

    def to_be_signed(self, external_aad: bytes = b"") -> bytes:
        """The Sig_structure of RFC 9052 §4.4 that the signature covers."""
        return _sig_structure(self.protected_bytes, external_aad, self.payload)

    def to_bytes(self, *, tagged: bool = True) -> bytes:
        """The encoded message; ``decode_sign1(data).to_bytes() == data`` for valid data."""
        return _encode_message(
            self.protected_bytes, self.unprotected, self.payload, self.signature, tagged
        )


def sign1(
    payload: bytes,
    key: KeyPair,
    *,
    kid: bytes | None = None,
    external_aad: bytes = b"",
    tagged: bool = True,
) -> bytes:
    """Sign ``payload`` as a COSE_Sign1 in our profile and return its encoding.

    The protected header is ``{1: -8}``, plus ``4: kid`` when a kid is given (protected,
    so that it is signed); the unprotected header is empty; tag 18 unless ``tagged`` is
    False. Ed25519 is deterministic: the same inputs give the same bytes.
    """
    protected: dict[int, HeaderValue] = {HEADER_ALG: ALG_EDDSA}
    if kid is not None:
        protected[HEADER_KID] = bytes(kid)
    return _sign1(
        payload, key, protected=protected, unprotected={}, external_aad=external_aad, tagged=tagged
    )


def _sign1(
    payload: bytes,
    key: KeyPair,
    *,
    protected: Mapping[int, HeaderValue],
    unprotected: Mapping[int, HeaderValue],
    external_aad: bytes,
    tagged: bool,
) -> bytes:
    """Sign with the given header maps (they must be in the profile)."""
    _check_headers(dict(protected), dict(unprotected))
    protected_bytes = _encode_map(protected)
    # RFC 9052 §4.4: sign the Sig_structure, not the message.
    signature = key.sign(_sig_structure(protected_bytes, external_aad, payload))
    return _encode_message(protected_bytes, unprotected, bytes(payload), signature, tagged)


def decode_sign1(data: bytes, *, tagged: bool = True, allow_unprotected: bool = False) -> Sign1:
    """Parse a COSE_Sign1 in our profile (tag 18 required, or refused if ``tagged`` is
    False); raises EncodingError for anything else (see the module docstring).

    ``allow_unprotected=True`` accepts a kid or content type in the unprotected header,
    which nothing signs, and warns: for reading others' examples, never for the ledger.
    """
    data = bytes(data)
    if tagged:
        common = _decode_common(data)
        if common is not None:
            return common
    reader = _Reader(data)
    # RFC 9052 §2: the COSE_Sign1 tag, then a four-item array.
    major, argument = reader.head("COSE_Sign1")
    if tagged:
        if major != _TAG:
            raise EncodingError(f"COSE_Sign1 must be tagged {COSE_SIGN1_TAG}, got no tag")
        if argument != COSE_SIGN1_TAG:
            raise EncodingError(f"COSE_Sign1 must be tagged {COSE_SIGN1_TAG}, got tag {argument}")
        major, argument = reader.head("COSE_Sign1 array")
    elif major == _TAG:
        raise EncodingError(f"untagged COSE_Sign1 expected, got tag {argument}")
    if major != _ARRAY:
        raise EncodingError(f"COSE_Sign1 must be an array, got {_TYPE_NAMES[major]}")
    if argument != 4:
        raise EncodingError(f"COSE_Sign1 is an array of 4 items, got {argument}")
    # RFC 9052 §4.2: protected (bstr-wrapped map), unprotected (map), payload, signature.
    protected_bytes = reader.bstr("protected header")
    unprotected = reader.header_map("unprotected header")
    if unprotected and not allow_unprotected:
        raise EncodingError(
            f"unprotected header holds labels {sorted(unprotected)}; this profile keeps it "
            "empty, since nothing signs it"
        )
    if reader.peek() == _NIL:
        raise EncodingError("COSE_Sign1 payload is nil: detached payloads are not supported")
    payload = reader.bstr("payload")
    signature = reader.bstr("signature")
    reader.end("COSE_Sign1")
    inner = _Reader(protected_bytes)
    # §3: an empty protected header is the empty bstr; alg is then missing, refused below.
    protected = inner.header_map("protected header") if protected_bytes else {}
    inner.end("protected header")
    message = Sign1(
        protected_bytes=protected_bytes,
        protected=protected,
        unprotected=unprotected,
        payload=payload,
        signature=signature,
    )
    if unprotected:
        warnings.warn(
            f"COSE_Sign1 accepted with unprotected header labels {sorted(unprotected)}, "
            "which its signature does not cover",
            stacklevel=2,
        )
    return message


def verify_sign1(
    message: bytes | Sign1,
    public_key: Ed25519PublicKey,
    *,
    external_aad: bytes = b"",
    tagged: bool = True,
    allow_unprotected: bool = False,
) -> bytes:
    """Verify a COSE_Sign1 with ``public_key`` and return its payload.

    ``tagged`` and ``allow_unprotected`` are passed to :func:`decode_sign1` when bytes
    are given. Raises EncodingError if they are not a COSE_Sign1 in our profile, and
    SignatureError if the signature does not verify over the Sig_structure with
    ``external_aad`` (RFC 9052 §4.4). Never returns without having verified.
    """
    if isinstance(message, Sign1):
        envelope = message
    else:
        envelope = decode_sign1(message, tagged=tagged, allow_unprotected=allow_unprotected)
    try:
        public_key.verify(
            _sig_structure(envelope.protected_bytes, external_aad, envelope.payload),
            envelope.signature,
        )
    except InvalidSignatureError as e:
        raise SignatureError(f"COSE_Sign1 signature does not verify: {e}") from e
    return envelope.payload


def _check_headers(protected: dict[int, HeaderValue], unprotected: dict[int, HeaderValue]) -> None:
    """The profile's rules on the two header buckets (RFC 9052 §3, §3.1)."""
    both = protected.keys() & unprotected.keys()
    if both:
        raise EncodingError(f"header label {min(both)} is in both the protected and unprotected")
    if HEADER_ALG in unprotected:
        raise EncodingError("alg must be in the protected header, so that it is signed")
    if HEADER_ALG not in protected:
        raise EncodingError("protected header has no alg")
    alg = protected[HEADER_ALG]
    if alg != ALG_EDDSA:
        raise EncodingError(f"alg {alg!r} is not EdDSA ({ALG_EDDSA}), the only one we accept")
    for bucket in (protected, unprotected):
        for label, value in bucket.items():
            if label == HEADER_CRIT:
                raise EncodingError("crit header present: this profile understands no extension")
            if label not in _KNOWN_LABELS:
                raise EncodingError(f"header label {label!r} is not in this profile")
            if label == HEADER_KID and not isinstance(value, bytes):
                raise EncodingError("kid must be a byte string")
            if label == HEADER_CONTENT_TYPE and not (
                isinstance(value, str) or (isinstance(value, int) and value >= 0)
            ):
                raise EncodingError("content type must be an unsigned integer or text")


def _sig_structure(protected_bytes: bytes, external_aad: bytes, payload: bytes) -> bytes:
    # RFC 9052 §4.4 step 1–2: the array, in deterministic encoding (§9):
    # ["Signature1", protected, external_aad, payload], joined in one copy.
    return b"".join(
        (
            _SIG1_PREFIX,
            _bstr_head(len(protected_bytes)),
            protected_bytes,
            _bstr_head(len(external_aad)),
            bytes(external_aad),
            _bstr_head(len(payload)),
            bytes(payload),
        )
    )


def _encode_message(
    protected_bytes: bytes,
    unprotected: Mapping[int, HeaderValue],
    payload: bytes,
    signature: bytes,
    tagged: bool,
) -> bytes:
    body = b"".join(
        (
            _ARRAY4_HEAD,
            _bstr_head(len(protected_bytes)),
            protected_bytes,
            _encode_map(unprotected) if unprotected else _EMPTY_MAP_BYTES,
            _bstr_head(len(payload)),
            payload,
            _bstr_head(len(signature)),
            signature,
        )
    )
    return _TAG18_HEAD + body if tagged else body


# ---------------------------------------------------------------------------------------
# The CBOR subset of the profile (RFC 8949): integers, byte and text strings, maps of
# them, one array and one tag, always in core deterministic encoding (§4.2.1).


def _head(major: int, argument: int) -> bytes:
    if argument < 24:
        return bytes([major << 5 | argument])
    for info, width in ((24, 1), (25, 2), (26, 4), (27, 8)):
        if argument < 1 << (8 * width):
            return bytes([major << 5 | info]) + argument.to_bytes(width, "big")
    raise EncodingError(f"CBOR argument {argument} does not fit in 64 bits")


def _encode_value(value: HeaderValue) -> bytes:
    if isinstance(value, bool):
        raise EncodingError("booleans are not header values in this profile")
    if isinstance(value, int):
        return _head(_UINT, value) if value >= 0 else _head(_NINT, -1 - value)
    if isinstance(value, str):
        data = value.encode("utf-8")
        return _head(_TSTR, len(data)) + data
    return _head(_BSTR, len(value)) + value


def _encode_map(items: Mapping[int, HeaderValue]) -> bytes:
    # §4.2.1: keys sorted by the bytes of their encoding.
    pairs = sorted((_encode_value(label), _encode_value(value)) for label, value in items.items())
    return _head(_MAP, len(pairs)) + b"".join(key + value for key, value in pairs)


def _bstr_head(length: int) -> bytes:
    if length < 256:
        return _BSTR_HEADS[length]
    if length < 1 << 16:
        return b"\x59" + length.to_bytes(2, "big")
    return _head(_BSTR, length)


_BSTR_HEADS: Final = tuple(_head(_BSTR, n) for n in range(256))
_ARRAY4_HEAD: Final = _head(_ARRAY, 4)
_TAG18_HEAD: Final = _head(_TAG, COSE_SIGN1_TAG)
# RFC 9052 §4.4: the array head and the "Signature1" context, the same for every message.
_SIG1_PREFIX: Final = _ARRAY4_HEAD + _encode_value(_SIG_CONTEXT)

# ---------------------------------------------------------------------------------------
# The common case, read in a few slices. Every message the ledger writes has this shape:
#
#   d2 84 | bstr(protected) | a0 | bstr(payload) | 58 40 <64 bytes>
#
# with protected = a2 01 27 04 bstr(kid) ({1: -8, 4: kid}) or a1 01 27 ({1: -8}). Bytes of
# exactly that shape, with every length in its shortest head, are what the general reader
# accepts for them, with the same result; anything else (including every malformed
# message) returns None and goes through the general reader, which gives the reason.

_TAGGED_ARRAY4: Final = _TAG18_HEAD + _ARRAY4_HEAD
_EMPTY_MAP: Final = _MAP << 5
_EMPTY_MAP_BYTES: Final = bytes([_EMPTY_MAP])
_SIGNATURE_HEAD: Final = _head(_BSTR, ED25519_SIGNATURE_SIZE)
_PROTECTED_ALG: Final = _encode_map({HEADER_ALG: ALG_EDDSA})
_PROTECTED_ALG_KID_PREFIX: Final = (
    _head(_MAP, 2)
    + _encode_value(HEADER_ALG)
    + _encode_value(ALG_EDDSA)
    + _encode_value(HEADER_KID)
)
_EMPTY_HEADERS: Final[Mapping[int, HeaderValue]] = MappingProxyType({})


def _bstr_span(data: bytes, pos: int) -> tuple[int, int] | None:
    """(start, end) of the byte string whose shortest-form head is at ``pos``, or None."""
    size = len(data)
    if pos >= size:
        return None
    first = data[pos]
    if 0x40 <= first <= 0x57:
        start, length = pos + 1, first - 0x40
    elif first == 0x58 and pos + 2 <= size:
        start, length = pos + 2, data[pos + 1]
        if length < 24:
            return None
    elif first == 0x59 and pos + 3 <= size:
        start, length = pos + 3, int.from_bytes(data[pos + 1 : pos + 3], "big")
        if length < 1 << 8:
            return None
    elif first == 0x5A and pos + 5 <= size:
        start, length = pos + 5, int.from_bytes(data[pos + 1 : pos + 5], "big")
        if length < 1 << 16:
            return None
    else:
        return None
    end = start + length
    return (start, end) if end <= size else None


def _decode_common(data: bytes) -> Sign1 | None:
    """The tagged message of the common shape above, or None (see there)."""
    size = len(data)
    # The signature closes the message: 58 40 and 64 bytes.
    if data[:2] != _TAGGED_ARRAY4 or data[-66:-64] != _SIGNATURE_HEAD:
        return None
    first = data[2] if size > 2 else 0
    if 0x40 <= first <= 0x57:
        start, end = 3, 3 + first - 0x40
    elif first == 0x58 and size > 3 and data[3] >= 24:
        start, end = 4, 4 + data[3]
    else:
        return None  # a protected header of 256 bytes or more is not of the common shape
    if end >= size or data[end] != _EMPTY_MAP:
        return None
    protected_bytes = data[start:end]
    protected = _common_protected(protected_bytes)
    payload = _bstr_span(data, end + 1)
    if protected is None or payload is None or payload[1] != size - 66:
        return None
    # Built without __post_init__: the shape above is its invariants, already checked.
    message = object.__new__(Sign1)
    object.__setattr__(message, "protected_bytes", protected_bytes)
    object.__setattr__(message, "protected", protected)
    object.__setattr__(message, "unprotected", _EMPTY_HEADERS)
    object.__setattr__(message, "payload", data[payload[0] : payload[1]])
    object.__setattr__(message, "signature", data[-64:])
    return message


def _common_protected(protected_bytes: bytes) -> Mapping[int, HeaderValue] | None:
    """The header map of a protected header of the common shape, or None.

    An author's messages all carry the same protected header: its read-only map is kept
    and shared rather than rebuilt per message (at most 1024 headers of < 256 bytes).
    """
    known = _PROTECTED_SEEN.get(protected_bytes)
    if known is not None:
        return known
    if protected_bytes == _PROTECTED_ALG:
        protected: dict[int, HeaderValue] = {HEADER_ALG: ALG_EDDSA}
    elif protected_bytes[:4] == _PROTECTED_ALG_KID_PREFIX:
        kid = _bstr_span(protected_bytes, 4)
        if kid is None or kid[1] != len(protected_bytes):
            return None
        protected = {HEADER_ALG: ALG_EDDSA, HEADER_KID: protected_bytes[kid[0] : kid[1]]}
    else:
        return None
    result = MappingProxyType(protected)
    if len(_PROTECTED_SEEN) >= _PROTECTED_SEEN_MAX:
        _PROTECTED_SEEN.clear()
    _PROTECTED_SEEN[protected_bytes] = result
    return result


_PROTECTED_SEEN: dict[bytes, Mapping[int, HeaderValue]] = {}
_PROTECTED_SEEN_MAX: Final = 1024


class _Reader:
    """A cursor over hostile bytes that reads the profile's CBOR subset, or refuses."""

    __slots__ = ("_data", "_pos")

    def __init__(self, data: bytes) -> None:
        self._data = data
        self._pos = 0

    def peek(self) -> int | None:
        return self._data[self._pos] if self._pos < len(self._data) else None

    def end(self, what: str) -> None:
        if self._pos != len(self._data):
            raise EncodingError(
                f"{what} has {len(self._data) - self._pos} trailing bytes after its end"
            )

    def head(self, what: str) -> tuple[int, int]:
        """(major type, argument) of the next data item's head."""
        data, pos = self._data, self._pos
        if pos >= len(data):
            raise EncodingError(f"{what} is truncated: the data ends before it")
        major, info = data[pos] >> 5, data[pos] & 0x1F
        if info < 24:
            self._pos = pos + 1
            return major, info
        if info == 31:
            raise EncodingError(f"{what} has an indefinite length; only definite lengths")
        if info > 27:
            raise EncodingError(f"{what} has a malformed CBOR head (reserved value {info})")
        width = 1 << (info - 24)
        if pos + 1 + width > len(data):
            raise EncodingError(f"{what} is truncated inside its CBOR head")
        argument = int.from_bytes(data[pos + 1 : pos + 1 + width], "big")
        if major != _SIMPLE and argument < _SHORTEST[info]:
            raise EncodingError(f"{what} has a CBOR head longer than needed (RFC 8949 §4.2.1)")
        self._pos = pos + 1 + width
        return major, argument

    def _bytes(self, length: int, what: str) -> bytes:
        if length > len(self._data) - self._pos:
            raise EncodingError(f"{what} is truncated: {length} bytes announced")
        start = self._pos
        self._pos += length
        return self._data[start : self._pos]

    def bstr(self, what: str) -> bytes:
        major, argument = self.head(what)
        if major != _BSTR:
            raise EncodingError(f"{what} must be a byte string, got {_TYPE_NAMES[major]}")
        return self._bytes(argument, what)

    def value(self, what: str) -> HeaderValue:
        """An integer, byte string or text string: the only header values we take."""
        major, argument = self.head(what)
        if major == _UINT:
            return argument
        if major == _NINT:
            return -1 - argument
        if major == _BSTR:
            return self._bytes(argument, what)
        if major == _TSTR:
            try:
                return self._bytes(argument, what).decode("utf-8")
            except UnicodeDecodeError as e:
                raise EncodingError(f"{what} is not valid UTF-8") from e
        raise EncodingError(
            f"{what} is {_TYPE_NAMES[major]}; this profile takes integers and strings only"
        )

    def header_map(self, what: str) -> dict[int, HeaderValue]:
        """A header map with integer labels, in deterministic encoding."""
        major, count = self.head(what)
        if major != _MAP:
            raise EncodingError(f"{what} must be a map, got {_TYPE_NAMES[major]}")
        result: dict[int, HeaderValue] = {}
        previous = b""
        for _ in range(count):
            start = self._pos
            label = self.value(f"{what} label")
            encoded = self._data[start : self._pos]
            if not isinstance(label, int):
                raise EncodingError(f"{what} label {label!r} is not in this profile")
            # §4.2.1: keys in bytewise order of their encoding, so no key twice.
            if encoded == previous:
                raise EncodingError(f"{what} repeats label {label}")
            if encoded < previous:
                raise EncodingError(f"{what} labels are not in deterministic order")
            previous = encoded
            result[label] = self.value(f"{what} value of label {label}")
        return result
