"""Deterministic CBOR (RFC 8949 §4.2.1) for ledger objects, decoded strictly.

Everything the ledger signs is a CBOR map in core deterministic encoding, so that one
value has exactly one encoding and a signature covers exactly what every reader decodes.
Decoding refuses anything that would not re-encode to the same bytes (unsorted or
duplicate keys, non-shortest heads, indefinite lengths), tags, and trailing bytes.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any, Final

import cbor2

from .errors import EncodingError

__all__ = ["MAX_OBJECT_BYTES", "decode", "encode"]

#: The largest ledger object we read (an entry with an embedded edge statement is < 2 KiB;
#: a trust snapshot may be larger).
MAX_OBJECT_BYTES = 256 * 1024

# Types whose canonical and plain cbor2 encodings are the same bytes (no floats: the
# canonical encoder shortens them; no tags, sets or other semantic types).
_PLAIN_SCALARS: Final = frozenset({str, bytes, int, bool, type(None)})
_MIN_INT: Final = -(2**64)  # CBOR major types 0 and 1 carry a 64-bit argument
_MAX_INT: Final = 2**64 - 1
# Key sequences (all text) already found to be in canonical order; bounded.
_ORDERED_KEYS: set[tuple[str, ...]] = set()
_ORDERED_KEYS_MAX: Final = 1024


def encode(value: Any) -> bytes:
    """The deterministic CBOR encoding of ``value`` (maps, lists, text, bytes, ints, bools,
    None)."""
    try:
        return cbor2.dumps(value, canonical=True)
    except (cbor2.CBOREncodeError, TypeError, ValueError) as e:
        raise EncodingError(f"cannot encode as CBOR: {e}") from e


def decode(data: bytes, what: str = "object", *, max_bytes: int = MAX_OBJECT_BYTES) -> Any:
    """Decode deterministic CBOR; raise EncodingError for anything else."""
    if len(data) > max_bytes:
        raise EncodingError(f"{what} is {len(data)} bytes, over {max_bytes}")
    try:
        value = cbor2.loads(data)
    except (cbor2.CBORDecodeError, ValueError, TypeError, RecursionError) as e:
        raise EncodingError(f"{what} is not valid CBOR: {e}") from e
    if isinstance(value, cbor2.CBORTag):
        raise EncodingError(f"{what} is a tagged CBOR item; ledger objects carry no tags")
    # The check is "the canonical re-encoding is the input". For the values ledger objects
    # hold (maps with text keys already in canonical order, lists, text, bytes, ints,
    # bools, null) the canonical encoder writes exactly what the plain one writes, and the
    # plain one is several times faster; anything else takes the full check below, which
    # also gives the reason for a refusal.
    if _plain_and_ordered(value):
        try:
            if cbor2.dumps(value) == data:
                return value
        except (cbor2.CBOREncodeError, TypeError, ValueError):
            pass
    _check_profile(value, what)
    try:
        again = cbor2.dumps(value, canonical=True)
    except (cbor2.CBOREncodeError, TypeError, ValueError) as e:
        raise EncodingError(f"{what} holds values outside the ledger's CBOR profile") from e
    if again != data:
        # Also catches trailing bytes: cbor2 ignores them, the re-encoding does not have them.
        raise EncodingError(f"{what} is not in deterministic CBOR encoding (RFC 8949 §4.2.1)")
    return value


def _plain_and_ordered(value: Any) -> bool:
    """Whether ``value`` holds only plain types, and every map has text keys in the order
    the canonical encoder sorts them (so that it would not reorder them). Iterative: a
    deeply nested value costs no Python stack."""
    if type(value) in _PLAIN_SCALARS:
        return True
    stack = [value]
    children: Iterable[Any]
    while stack:
        item = stack.pop()
        if type(item) is dict:
            keys = tuple(item)
            if keys not in _ORDERED_KEYS and not _keys_in_canonical_order(keys):
                return False
            children = item.values()
        elif type(item) is list:
            children = item
        else:
            return False
        for child in children:
            kind = type(child)
            if kind is int and not _MIN_INT <= child <= _MAX_INT:
                return False  # a bignum (tag 2/3): the full check refuses it
            if kind not in _PLAIN_SCALARS:
                stack.append(child)
    return True


def _check_profile(value: Any, what: str) -> None:
    """Refuse what the ledger's CBOR profile excludes, at any depth: tags (decoded by
    cbor2 as datetimes, bignums, decimals…), integers beyond 64 bits, non-text map keys,
    NaN and infinities. Iterative."""
    stack = [value]
    while stack:
        item = stack.pop()
        kind = type(item)
        if kind is dict:
            if not all(type(key) is str for key in item):
                raise EncodingError(f"{what} has a map key that is not a text string")
            stack.extend(item.values())
        elif kind is list:
            stack.extend(item)
        elif kind is int:
            if not _MIN_INT <= item <= _MAX_INT:
                raise EncodingError(f"{what} has an integer beyond 64 bits (a CBOR bignum tag)")
        elif kind is float:
            if item != item or item in (float("inf"), float("-inf")):
                raise EncodingError(f"{what} has a NaN or infinite float")
        elif kind not in _PLAIN_SCALARS:
            raise EncodingError(
                f"{what} holds a {kind.__name__} (a CBOR tag); ledger objects carry no tags"
            )


def _keys_in_canonical_order(keys: tuple[Any, ...]) -> bool:
    """Ask the canonical encoder itself whether it keeps this key order; remember it.

    Only all-text key sequences are remembered: a tuple equal to one of those holds the
    same strings (no other decoded type compares equal to a str), so a hit is exact.
    """
    if not all(type(key) is str for key in keys):
        return False
    probe = dict.fromkeys(keys)
    if len(probe) != len(keys) or cbor2.dumps(probe, canonical=True) != cbor2.dumps(probe):
        return False
    if len(_ORDERED_KEYS) >= _ORDERED_KEYS_MAX:
        _ORDERED_KEYS.clear()
    _ORDERED_KEYS.add(keys)
    return True
