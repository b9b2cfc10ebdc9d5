"""CBOR (RFC 8949) restricted to the JSON data model, in core deterministic encoding.

A ``MUS1:`` payload (:mod:`credentials.transport`) carries its document as CBOR that
encodes the JSON data model itself — maps with text keys, arrays, text, integers, floats,
true, false, null — in the core deterministic encoding (§4.2.1), so a document has exactly
one CBOR form. Both directions are checked here:

* :func:`check_json_value`, before encoding: the document is a JSON value CBOR can carry
  (no tuple, bytes, non-text key, NaN or infinity, lone surrogate, integer outside
  [-2**64, 2**64 - 1]), nested at most :data:`MAX_NESTING_DEPTH` deep, and not over a size
  bound; walked without recursion;
* :func:`decode_cbor`, on hostile bytes: :func:`scan_cbor` first walks them with an
  iterative scanner (no recursion, so a 100,000-deep array costs 65 steps): one data item,
  nested at most :data:`MAX_NESTING_DEPTH` deep, of the JSON data model only, and in
  deterministic encoding (no tags, byte strings, undefined or other simple values, no
  non-text or duplicate or unsorted keys, no indefinite lengths, no over-long heads or
  floats, no NaN or infinities); only then cbor2 builds the value, and re-encoding it
  must give back the same bytes.

Errors (from :mod:`credentials.errors`): bytes that are not such CBOR raise
:class:`TransportError`, nesting too deep raises :class:`LimitExceededError`; a document
that cannot be carried raises :class:`MalformedInputError` (not JSON) or
:class:`LimitExceededError` (too deep, too large, an integer out of CBOR's range).
"""

from __future__ import annotations

import math
import struct
from dataclasses import dataclass
from typing import Any

import cbor2

from .errors import LimitExceededError, MalformedInputError, TransportError

__all__ = ["MAX_NESTING_DEPTH", "check_json_value", "decode_cbor", "scan_cbor"]

#: Containers nested inside one another (a bare scalar is depth 0, ``[]`` is depth 1).
#: Twice ``limits.MAX_DEPTH`` so a presentation wrapping credentials at the verifier's
#: limit still travels; the verifier then applies its own, tighter bound.
MAX_NESTING_DEPTH = 64

_MIN_INT = -(2**64)  # CBOR major types 0 and 1 carry a 64-bit argument (RFC 8949 §3.1)
_MAX_INT = 2**64 - 1

_UINT, _NINT, _BYTES, _TEXT, _ARRAY, _MAP, _TAG, _SIMPLE = range(8)
_MAJOR_NAMES = (
    "an unsigned integer",
    "a negative integer",
    "a byte string",
    "a text string",
    "an array",
    "a map",
    "a tag",
    "a simple value or float",
)
# RFC 8949 §4.2.1: an argument must use the shortest head; these are the least values
# that need 1, 2, 4 or 8 bytes after the initial byte (additional information 24–27).
_SHORTEST_MIN = {24: 24, 25: 0x100, 26: 0x1_0000, 27: 0x1_0000_0000}
_FALSE, _TRUE, _NULL = 20, 21, 22
_FLOAT_FORMATS = {25: ">e", 26: ">f", 27: ">d"}


@dataclass(slots=True)
class _Open:
    """A container the scanner is inside of."""

    remaining: int  # data items still to read; a map counts its keys and values
    is_map: bool
    last_key: bytes = b""  # the encoded previous key, for the ordering rule


def decode_cbor(data: bytes) -> Any:
    """Return the JSON value ``data`` encodes, after :func:`scan_cbor` has vetted it."""
    scan_cbor(data)
    try:
        # The scanner has refused everything these options guard against; they stay as a
        # second line of defence in case the two ever disagree.
        value = cbor2.loads(
            data,
            max_depth=MAX_NESTING_DEPTH,
            allow_indefinite=False,
            allow_duplicate_keys=False,
            strict_hashable_types=True,
        )
    except cbor2.CBORDecodeError as e:
        raise TransportError(f"payload CBOR cannot be decoded: {e}") from e
    if cbor2.dumps(value, canonical=True) != data:
        raise TransportError("payload CBOR is not in core deterministic encoding")
    return value


def scan_cbor(data: bytes) -> None:
    """Check that ``data`` is one JSON-model CBOR item in deterministic encoding.

    Iterative: the open containers are an explicit stack, so input depth never reaches the
    Python stack, and the depth limit is met after at most MAX_NESTING_DEPTH + 1 heads.
    """
    stack: list[_Open] = []
    pos = 0
    while True:
        start = pos
        is_key = bool(stack) and stack[-1].is_map and stack[-1].remaining % 2 == 0
        major, info, arg, pos = _read_head(data, pos)
        if is_key and major != _TEXT:
            raise TransportError(
                f"payload CBOR map key at offset {start} is {_MAJOR_NAMES[major]}; "
                "JSON keys are text"
            )
        if major == _TEXT:
            pos = _read_text(data, pos, arg)
        elif major in (_ARRAY, _MAP):
            if len(stack) >= MAX_NESTING_DEPTH:
                raise LimitExceededError(
                    f"payload CBOR is nested deeper than {MAX_NESTING_DEPTH} levels"
                )
            if arg:
                stack.append(
                    _Open(remaining=arg * 2 if major == _MAP else arg, is_map=major == _MAP)
                )
                continue
        elif major == _SIMPLE:
            _check_simple(data, start, info)
        elif major not in (_UINT, _NINT):
            raise TransportError(
                f"payload CBOR holds {_MAJOR_NAMES[major]} at offset {start}, "
                "which is not in the JSON data model"
            )
        # The item from `start` to `pos` is complete; so may be the containers around it.
        while stack:
            parent = stack[-1]
            if parent.is_map and parent.remaining % 2 == 0:
                _check_key_order(parent, data[start:pos], start)
            parent.remaining -= 1
            if parent.remaining:
                break
            stack.pop()
        else:
            break
    if pos != len(data):
        raise TransportError(
            f"payload CBOR has trailing data after its one data item (from offset {pos})"
        )


def _read_head(data: bytes, pos: int) -> tuple[int, int, int, int]:
    """Return (major type, additional information, argument, offset after the head)."""
    if pos >= len(data):
        raise TransportError("payload CBOR ends in the middle of a data item")
    major, info = data[pos] >> 5, data[pos] & 0x1F
    if info < 24:
        return major, info, info, pos + 1
    if info == 31:
        raise TransportError(
            f"payload CBOR has an indefinite length or break at offset {pos}; "
            "deterministic encoding uses definite lengths"
        )
    if info > 27:
        raise TransportError(f"payload CBOR has reserved additional information at {pos}")
    width = 1 << (info - 24)
    if pos + 1 + width > len(data):
        raise TransportError("payload CBOR ends in the middle of a data item")
    arg = int.from_bytes(data[pos + 1 : pos + 1 + width], "big")
    if major != _SIMPLE and arg < _SHORTEST_MIN[info]:
        raise TransportError(
            f"payload CBOR head at offset {pos} is longer than needed "
            "(RFC 8949 §4.2.1 wants the shortest form)"
        )
    return major, info, arg, pos + 1 + width


def _read_text(data: bytes, pos: int, length: int) -> int:
    if length > len(data) - pos:
        raise TransportError("payload CBOR ends in the middle of a text string")
    try:
        data[pos : pos + length].decode("utf-8")
    except UnicodeDecodeError as e:
        raise TransportError(f"payload CBOR text string at offset {pos} is not valid UTF-8") from e
    return pos + length


def _check_simple(data: bytes, start: int, info: int) -> None:
    if info in (_FALSE, _TRUE, _NULL):
        return
    if info not in _FLOAT_FORMATS:
        name = "undefined" if info == 23 else "a simple value"
        raise TransportError(
            f"payload CBOR holds {name} at offset {start}, which is not in the JSON data model"
        )
    (value,) = struct.unpack(_FLOAT_FORMATS[info], data[start + 1 : start + 1 + (1 << (info - 24))])
    if not math.isfinite(value):
        raise TransportError(
            f"payload CBOR float at offset {start} is {value}, which JSON cannot represent"
        )
    # §4.2.1: a float takes the shortest of half, single and double that keeps its value;
    # whatever fits a half also fits a single, so checking the next narrower is enough.
    if info > 25 and _fits(value, _FLOAT_FORMATS[info - 1]):
        raise TransportError(
            f"payload CBOR float at offset {start} is longer than needed "
            "(RFC 8949 §4.2.1 wants the shortest form)"
        )


def _fits(value: float, fmt: str) -> bool:
    try:
        return bool(struct.unpack(fmt, struct.pack(fmt, value))[0] == value)
    except OverflowError:
        return False


def _check_key_order(parent: _Open, key: bytes, start: int) -> None:
    # §4.2.1: keys sorted by the bytes of their encoding; equal bytes are a duplicate key.
    if key == parent.last_key:
        raise TransportError(f"payload CBOR map repeats a key at offset {start}")
    if key < parent.last_key:
        raise TransportError(
            f"payload CBOR map key at offset {start} is out of order "
            "(RFC 8949 §4.2.1 sorts keys by their encoded bytes)"
        )
    parent.last_key = key


def check_json_value(document: Any, *, max_bytes: int) -> None:
    """Refuse what is not a JSON value the transport can carry, without recursing.

    ``budget`` is a lower bound on the CBOR size (a byte per value, plus the UTF-8 of each
    string), checked against ``max_bytes``, so a structure that shares or repeats objects
    cannot make the walk run long.
    """
    budget = max_bytes
    stack: list[tuple[Any, int, str]] = [(document, 0, "$")]
    while stack:
        value, depth, path = stack.pop()
        budget -= 1
        if value is None or isinstance(value, bool):
            pass
        elif isinstance(value, int):
            if not _MIN_INT <= value <= _MAX_INT:
                raise LimitExceededError(
                    f"document integer at {path} is outside [-2**64, 2**64 - 1], "
                    "the range a payload carries"
                )
        elif isinstance(value, float):
            if not math.isfinite(value):
                raise MalformedInputError(f"document value at {path} is {value}, not JSON")
        elif isinstance(value, str):
            budget -= _utf8_length(value, path)
        elif isinstance(value, list | dict):
            if depth >= MAX_NESTING_DEPTH:
                raise LimitExceededError(
                    f"document is nested deeper than {MAX_NESTING_DEPTH} levels at {path} "
                    "(or contains itself)"
                )
            if isinstance(value, list):
                stack.extend((item, depth + 1, f"{path}[{i}]") for i, item in enumerate(value))
            else:
                for key, item in value.items():
                    if not isinstance(key, str):
                        raise MalformedInputError(
                            f"document key {key!r} at {path} has type "
                            f"{type(key).__name__}; JSON keys are text"
                        )
                    budget -= _utf8_length(key, path)
                    stack.append((item, depth + 1, f"{path}.{key[:40]}"))
        else:
            raise MalformedInputError(
                f"document value at {path} has type {type(value).__name__}, "
                "which is not a JSON type"
            )
        if budget < 0:
            raise LimitExceededError(
                f"document is over {max_bytes} bytes of CBOR, too large for a QR payload"
            )


def _utf8_length(text: str, path: str) -> int:
    try:
        return len(text.encode("utf-8"))
    except UnicodeEncodeError as e:
        raise MalformedInputError(
            f"document string at {path} holds a lone surrogate, which is not Unicode text"
        ) from e
