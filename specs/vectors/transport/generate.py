"""Regenerate the ``MUS1:`` transport vectors in this folder (``specs/transport.md``).

    .venv/bin/python specs/vectors/transport/generate.py [OUTPUT_DIR]

Writes, into OUTPUT_DIR (this folder by default):

* ``example-<n>.json`` — a document, its deterministic CBOR (normative: every encoder
  must produce these bytes) and the payload our encoder makes from it;
* ``<what-it-breaks>.txt`` — one payload a decoder must refuse, and ``negative.json``,
  which gives for each file the error class expected, a fragment of the message and
  what the payload breaks.

Every byte comes from the constants below and from ``credentials.transport``; nothing is
random, so a second run rewrites identical files. Every zlib stream is made with the MUS1
preset dictionary (``credentials.transport.DICTIONARY``) unless the vector is about its
absence. The payload strings depend on the deflate implementation (these were made by
stock zlib, level 9); the CBOR does not.
``tests/test_transport.py`` checks each vector and that this script reproduces them.
"""

from __future__ import annotations

import json
import sys
import zlib
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import cbor2

from credentials.transport import (
    DICTIONARY,
    MAX_NESTING_DEPTH,
    MAX_PAYLOAD_CHARS,
    PAYLOAD_PREFIX,
    b45encode,
    encode_payload,
    qr_version,
)

HERE = Path(__file__).resolve().parent

EXAMPLES: list[tuple[str, str, Any]] = [
    (
        "example-1",
        "The worked example of specs/transport.md: CBOR sorts the keys by their encoded "
        "bytes, so shorter keys come first ('level' < 'skill' < 'endorsed').",
        {"skill": "Python", "level": 3, "endorsed": True},
    ),
    (
        "example-2",
        "Edge values of the JSON data model: the integer range of CBOR major types 0 and 1 "
        "(a JSON parser limited to 53-bit integers cannot read this file), floats in the "
        "shortest of half, single and double that keeps them (1.0 stays a float, -0.0 keeps "
        "its sign), non-ASCII text, empty and nested containers.",
        {
            "int-max": 2**64 - 1,
            "int-min": -(2**64),
            "one-int": 1,
            "one-float": 1.0,
            "half": 1.5,
            "negative-zero": -0.0,
            "single": 100000.0,
            "double": 0.1,
            "text": "Zoë \u2014 🎓",
            "empty-array": [],
            "empty-object": {},
            "nested": [[[]]],
            "null": None,
            "true": True,
            "false": False,
        },
    ),
]

# A small valid document; most negative payloads corrupt one layer of its payload.
BASE_DOCUMENT = {"skill": "Python", "level": 3, "endorsed": True}


@dataclass(frozen=True)
class Negative:
    name: str
    error: str
    message: str
    breaks: str
    payload: str


def deflate(data: bytes, zdict: bytes = DICTIONARY) -> bytes:
    """One zlib stream at level 9 with a preset dictionary, as MUS1 makes them."""
    compressor = zlib.compressobj(9, zdict=zdict)
    return compressor.compress(data) + compressor.flush()


def wrap(cbor: bytes) -> str:
    """A payload around raw CBOR bytes, which need not be valid: MUS1 zlib, base45."""
    return PAYLOAD_PREFIX + b45encode(deflate(cbor))


def wrap_zlib(compressed: bytes) -> str:
    return PAYLOAD_PREFIX + b45encode(compressed)


def negatives() -> list[Negative]:
    good = encode_payload(BASE_DOCUMENT)
    body = good[len(PAYLOAD_PREFIX) :]
    cbor = cbor2.dumps(BASE_DOCUMENT, canonical=True)
    compressed = deflate(cbor)
    even_body = b45encode(compressed[: len(compressed) // 2 * 2])  # whole groups of 3 only
    other_dictionary = deflate(cbor, zdict=b"skill level endorsed Python")
    bomb = deflate(bytes(2_000_000))

    def transport(name: str, message: str, breaks: str, payload: str) -> Negative:
        return Negative(name, "TransportError", message, breaks, payload)

    def limit(name: str, message: str, breaks: str, payload: str) -> Negative:
        return Negative(name, "LimitExceededError", message, breaks, payload)

    return [
        # --- the prefix
        transport("missing-prefix", "does not start with", "a valid body without 'MUS1:'", body),
        transport("wrong-version-prefix", "not supported", "the version: 'MUS2:'", "MUS2:" + body),
        transport("lowercase-prefix", "upper-case", "the case of the prefix", "mus1:" + body),
        transport("empty-body", "nothing after", "a prefix with nothing after it", "MUS1:"),
        # --- the length
        limit(
            "oversized-payload",
            f"over the limit of {MAX_PAYLOAD_CHARS}",
            f"the length: one character over {MAX_PAYLOAD_CHARS}",
            PAYLOAD_PREFIX + "0" * (MAX_PAYLOAD_CHARS - len(PAYLOAD_PREFIX) + 1),
        ),
        # --- base45
        transport(
            "bad-base45-char",
            "not in the RFC 9285 alphabet",
            "base45: a lower-case letter in place of the 7th character of the body",
            PAYLOAD_PREFIX + body[:6] + "a" + body[7:],
        ),
        transport(
            "dangling-base45-char",
            "dangling character",
            "base45: one character after the last whole group",
            PAYLOAD_PREFIX + even_body + "0",
        ),
        transport(
            "base45-group-over-65535",
            "over 65535",
            "base45: a first group 'GGW' of value 65536",
            PAYLOAD_PREFIX + "GGW" + body[3:],
        ),
        transport(
            "base45-pair-over-255",
            "over 255",
            "base45: a final pair '66' of value 276",
            PAYLOAD_PREFIX + even_body + "66",
        ),
        # --- zlib
        transport(
            "zlib-garbage",
            "bad header",
            "zlib: the bytes are ASCII text, not a zlib stream",
            wrap_zlib(b"this is not a zlib stream"),
        ),
        transport(
            "zlib-truncated",
            "truncated",
            "zlib: the last 4 bytes (the Adler-32 checksum) are cut off",
            wrap_zlib(compressed[:-4]),
        ),
        transport(
            "zlib-bad-checksum",
            "not a valid zlib stream",
            "zlib: the last byte of the Adler-32 checksum is flipped",
            wrap_zlib(compressed[:-1] + bytes([compressed[-1] ^ 0xFF])),
        ),
        transport(
            "zlib-trailing-bytes",
            "trailing data after the end of its zlib stream",
            "zlib: two zero bytes after the end of the stream",
            wrap_zlib(compressed + b"\x00\x00"),
        ),
        transport(
            "zlib-no-dictionary",
            "has no preset dictionary",
            "zlib: a valid stream of the CBOR made without the MUS1 dictionary (FDICT unset)",
            wrap_zlib(zlib.compress(cbor, 9)),
        ),
        transport(
            "zlib-other-dictionary",
            "not the MUS1 dictionary",
            "zlib: a valid stream of the CBOR made with another preset dictionary (DICTID)",
            wrap_zlib(other_dictionary),
        ),
        transport(
            "zlib-dictionary-id-cut",
            "ends inside its dictionary id",
            "zlib: the header sets FDICT, then the stream ends after 2 of the 4 DICTID bytes",
            wrap_zlib(compressed[:4]),
        ),
        limit(
            "zip-bomb",
            "inflates to more than",
            f"zlib: 2,000,000 zero bytes deflated to {len(bomb)} bytes (~1000:1)",
            wrap_zlib(bomb),
        ),
        # --- CBOR: one well-formed item
        transport(
            "cbor-truncated",
            "ends in the middle",
            "CBOR: an array of 2 with 1 item",
            wrap(bytes.fromhex("8201")),
        ),
        transport(
            "cbor-trailing-item",
            "trailing data",
            "CBOR: a second data item after the first",
            wrap(bytes.fromhex("0101")),
        ),
        transport(
            "cbor-invalid-utf8",
            "not valid UTF-8",
            "CBOR: a text string holding the bytes C3 28",
            wrap(bytes.fromhex("62c328")),
        ),
        # --- CBOR: the JSON data model
        limit(
            "deep-nesting",
            f"nested deeper than {MAX_NESTING_DEPTH}",
            "CBOR: 60,000 arrays nested in one another (60,001 bytes, under the size limit)",
            wrap(b"\x81" * 60_000 + b"\x00"),
        ),
        limit(
            "nesting-one-too-deep",
            f"nested deeper than {MAX_NESTING_DEPTH}",
            f"CBOR: {MAX_NESTING_DEPTH + 1} arrays nested in one another",
            wrap(b"\x81" * MAX_NESTING_DEPTH + b"\x80"),
        ),
        transport(
            "cbor-tag",
            "a tag",
            "CBOR: tag 0 (a date-time string) around text",
            wrap(bytes.fromhex("c074323031332d30332d32315432303a30343a30305a")),
        ),
        transport(
            "cbor-self-describe-tag",
            "a tag",
            "CBOR: the self-describe tag 55799 before a valid map",
            wrap(bytes.fromhex("d9d9f7") + cbor),
        ),
        transport(
            "cbor-bignum",
            "a tag",
            "CBOR: 2**64 as a tag-2 bignum (beyond the integers a payload carries)",
            wrap(bytes.fromhex("c249010000000000000000")),
        ),
        transport(
            "cbor-byte-string",
            "a byte string",
            "CBOR: a map whose value is a byte string",
            wrap(bytes.fromhex("a16570726f6f664401020304")),
        ),
        transport(
            "cbor-integer-key",
            "map key",
            "CBOR: a map with the integer key 1",
            wrap(bytes.fromhex("a1016161")),
        ),
        transport("cbor-undefined", "undefined", "CBOR: the simple value undefined", wrap(b"\xf7")),
        transport(
            "cbor-simple-value",
            "a simple value",
            "CBOR: the unassigned simple value 16",
            wrap(b"\xf0"),
        ),
        transport("cbor-nan", "nan", "CBOR: a half-precision NaN", wrap(bytes.fromhex("f97e00"))),
        transport(
            "cbor-infinity",
            "inf",
            "CBOR: a half-precision +Infinity",
            wrap(bytes.fromhex("f97c00")),
        ),
        # --- CBOR: deterministic encoding (RFC 8949 §4.2.1)
        transport(
            "cbor-duplicate-key",
            "repeats a key",
            "CBOR: a map with the key 'a' twice",
            wrap(bytes.fromhex("a2616101616102")),
        ),
        transport(
            "cbor-unsorted-keys",
            "out of order",
            "CBOR: a map with key 'b' before key 'a'",
            wrap(bytes.fromhex("a2616201616102")),
        ),
        transport(
            "cbor-long-head",
            "longer than needed",
            "CBOR: the integer 23 in a two-byte head",
            wrap(bytes.fromhex("1817")),
        ),
        transport(
            "cbor-long-float",
            "longer than needed",
            "CBOR: 1.0 as a double, where a half keeps its value",
            wrap(bytes.fromhex("fb3ff0000000000000")),
        ),
        transport(
            "cbor-indefinite-array",
            "indefinite length",
            "CBOR: an indefinite-length array",
            wrap(bytes.fromhex("9f01ff")),
        ),
    ]


def dump_json(value: Any) -> str:
    return json.dumps(value, indent=2, ensure_ascii=False) + "\n"


def generate(out: Path) -> None:
    out.mkdir(parents=True, exist_ok=True)
    for name, description, document in EXAMPLES:
        payload = encode_payload(document)
        vector = {
            "description": description,
            "document": document,
            "cbor_hex": cbor2.dumps(document, canonical=True).hex(),
            "payload": payload,
            "payload_chars": len(payload),
            "qr_version": qr_version(payload),
        }
        (out / f"{name}.json").write_text(dump_json(vector), encoding="utf-8", newline="\n")
    index = []
    for negative in negatives():
        file = f"{negative.name}.txt"
        (out / file).write_text(negative.payload + "\n", encoding="utf-8", newline="\n")
        index.append(
            {
                "file": file,
                "error": negative.error,
                "message": negative.message,
                "breaks": negative.breaks,
            }
        )
    (out / "negative.json").write_text(dump_json(index), encoding="utf-8", newline="\n")


if __name__ == "__main__":
    generate(Path(sys.argv[1]) if len(sys.argv) > 1 else HERE)
