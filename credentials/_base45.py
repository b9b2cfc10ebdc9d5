"""Base45 (RFC 9285): bytes as text in the QR code alphanumeric alphabet, decoded strictly.

A QR code packs its alphanumeric set at 5.5 bits a character (byte mode would spend 8), so
:mod:`credentials.transport` writes the compressed document in base45: 3 characters for
every 2 bytes, then 2 for a last single byte. Decoding refuses what RFC 9285 gives no
meaning: a character outside the alphabet (lower case included), a dangling character,
a chunk over its range (§4.2, §6); it raises :class:`~credentials.errors.TransportError`.
"""

from __future__ import annotations

from .errors import TransportError

__all__ = ["BASE45_ALPHABET", "b45decode", "b45encode"]

#: RFC 9285 §4: the 45 characters, which are exactly the QR code alphanumeric set.
BASE45_ALPHABET = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ $%*+-./:"

_B45_VALUES = {char: value for value, char in enumerate(BASE45_ALPHABET)}


def b45encode(data: bytes) -> str:
    """Return the RFC 9285 base45 text of ``data`` (3 characters per 2 bytes, then 2 per 1)."""
    chars: list[str] = []
    whole = len(data) - len(data) % 2
    for i in range(0, whole, 2):  # RFC 9285 §4: n = a * 256 + b = c + d * 45 + e * 45²
        n = data[i] << 8 | data[i + 1]
        n, c = divmod(n, 45)
        e, d = divmod(n, 45)
        chars += (BASE45_ALPHABET[c], BASE45_ALPHABET[d], BASE45_ALPHABET[e])
    if whole < len(data):  # a last single byte: n = a = c + d * 45
        d, c = divmod(data[-1], 45)
        chars += (BASE45_ALPHABET[c], BASE45_ALPHABET[d])
    return "".join(chars)


def b45decode(text: str) -> bytes:
    """Return the bytes of RFC 9285 base45 ``text``, decoded strictly.

    Raises TransportError for a character outside the alphabet (lower case included), a
    length of 3k + 1 (a dangling character), a triplet over 65535 or a pair over 255
    (RFC 9285 §4.2, §6: such texts have no meaning and must be refused).
    """
    values: list[int] = []
    for offset, char in enumerate(text):
        value = _B45_VALUES.get(char)
        if value is None:
            raise TransportError(
                f"invalid base45: character {char!r} at offset {offset} is not in the "
                "RFC 9285 alphabet (0-9 A-Z space $%*+-./:)"
            )
        values.append(value)
    if len(values) % 3 == 1:
        raise TransportError(
            f"invalid base45: a dangling character at offset {len(values) - 1} "
            "(groups are 3 characters, or 2 at the end)"
        )
    out = bytearray()
    for i in range(0, len(values), 3):
        group = values[i : i + 3]
        if len(group) == 3:
            n = group[0] + group[1] * 45 + group[2] * 45 * 45
            if n > 0xFFFF:
                raise TransportError(
                    f"invalid base45: the group at offset {i} has value {n}, over 65535"
                )
            out += n.to_bytes(2, "big")
        else:
            n = group[0] + group[1] * 45
            if n > 0xFF:
                raise TransportError(
                    f"invalid base45: the final pair at offset {i} has value {n}, over 255"
                )
            out.append(n)
    return bytes(out)
