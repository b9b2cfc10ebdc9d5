"""Deterministic CBOR (RFC 8949 §4.2.1) for ledger objects, decoded strictly.

Everything the ledger signs is a CBOR map in core deterministic encoding, so that one
value has exactly one encoding and a signature covers exactly what every reader decodes.
Decoding refuses anything that would not re-encode to the same bytes (unsorted or
duplicate keys, non-shortest heads, indefinite lengths), tags, and trailing bytes.
"""

from __future__ import annotations

from typing import Any

import cbor2

from .errors import EncodingError

__all__ = ["MAX_OBJECT_BYTES", "decode", "encode"]

#: The largest ledger object we read (an entry with an embedded edge statement is < 2 KiB;
#: a trust snapshot may be larger).
MAX_OBJECT_BYTES = 256 * 1024


def encode(value: Any) -> bytes:
    """The deterministic CBOR encoding of ``value`` (maps, lists, text, bytes, ints, bools,
    None)."""
    try:
        return cbor2.dumps(value, canonical=True)
    except (cbor2.CBOREncodeError, TypeError, ValueError) as e:
        raise EncodingError(f"cannot encode as CBOR: {e}") from e


def decode(data: bytes, what: str = "object") -> Any:
    """Decode deterministic CBOR; raise EncodingError for anything else."""
    if len(data) > MAX_OBJECT_BYTES:
        raise EncodingError(f"{what} is {len(data)} bytes, over {MAX_OBJECT_BYTES}")
    try:
        value = cbor2.loads(data)
    except (cbor2.CBORDecodeError, ValueError, TypeError, RecursionError) as e:
        raise EncodingError(f"{what} is not valid CBOR: {e}") from e
    if isinstance(value, cbor2.CBORTag):
        raise EncodingError(f"{what} is a tagged CBOR item; ledger objects carry no tags")
    try:
        again = cbor2.dumps(value, canonical=True)
    except (cbor2.CBOREncodeError, TypeError, ValueError) as e:
        raise EncodingError(f"{what} holds values outside the ledger's CBOR profile") from e
    if again != data:
        # Also catches trailing bytes: cbor2 ignores them, the re-encoding does not have them.
        raise EncodingError(f"{what} is not in deterministic CBOR encoding (RFC 8949 §4.2.1)")
    return value
