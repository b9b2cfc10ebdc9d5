"""The offline QR transport: a JSON document as a ``MUS1:`` payload, and its QR code.

A credential or presentation travels, with no network, as the text of a QR code::

    MUS1:<base45(zlib[DICTIONARY](CBOR(document)))>

* CBOR (RFC 8949) encodes the JSON data model itself — maps with text keys, arrays, text,
  integers, floats, true, false, null — in the core deterministic encoding (§4.2.1), so a
  document has exactly one CBOR form;
* zlib (RFC 1950, deflate inside) shrinks it, with a preset dictionary (§2.2 FDICT):
  :data:`DICTIONARY`, the deterministic CBOR of ``mus1-dictionary.json``, a template of
  the credentials Musette issues, pinned by :data:`DICTIONARY_SHA256`. Deflate starts
  with the vocabulary already in its window, so a signed skill attestation shrinks by
  70–75 % (by 40–55 % without the dictionary). The dictionary is part of MUS1 for good:
  another one is another format (``MUS2:``);
* base45 (RFC 9285) turns the bytes into the QR alphanumeric alphabet, which a QR code
  packs at 5.5 bits a character (byte mode would spend 8).

Here are the payload format, zlib with its dictionary, and the QR code. Base45 is in
:mod:`credentials._base45` (:func:`b45encode`, :func:`b45decode` and
:data:`BASE45_ALPHABET` are re-exported here), the CBOR of the JSON data model in
:mod:`credentials._cbor_json` (:data:`MAX_NESTING_DEPTH` is re-exported here).

:func:`encode_payload` and :func:`decode_payload` are pure; :func:`qr_code`,
:func:`qr_version` and :func:`terminal_qr` build values; :func:`write_png` is the one
function here that touches the file system.

Decoding treats its input as hostile and checks, in this order (``specs/transport.md`` §3):

1. the prefix, after stripping surrounding whitespace (prefix and alphabet are upper-case:
   QR readers return what was encoded, so a lower-case prefix means the text was retyped);
2. the length, at most :data:`MAX_PAYLOAD_CHARS`, before any decoding;
3. strict base45 (:mod:`credentials._base45`): only alphabet characters, no dangling
   character, no chunk over its range, and something after the prefix;
4. the zlib header: deflate with a window of at most 32 KiB, a valid check, FDICT set and
   DICTID the Adler-32 of :data:`DICTIONARY` (a stream without a dictionary, or naming
   another, is refused by name);
5. zlib, inflating with :data:`DICTIONARY` at most :data:`MAX_DECOMPRESSED_BYTES` (a zip
   bomb is refused without being inflated), with no truncation, a good Adler-32 and
   nothing after the end of the stream;
6. the CBOR bytes (:mod:`credentials._cbor_json`), walked by an iterative scanner (no
   recursion, so a 100,000-deep array costs 65 steps): one data item, nested at most
   :data:`MAX_NESTING_DEPTH` deep, of the JSON data model only, and in deterministic
   encoding (no tags, byte strings, undefined or other simple values, no non-text or
   duplicate or unsorted keys, no indefinite lengths, no over-long heads or floats, no NaN
   or infinities);
7. only then cbor2 builds the value, and re-encoding it must give back the same bytes.

Errors (from :mod:`credentials.errors`): a payload that cannot be decoded raises
:class:`TransportError`; one over a limit raises :class:`LimitExceededError`; a document
that :func:`encode_payload` cannot carry raises :class:`MalformedInputError` (not JSON) or
:class:`LimitExceededError` (too deep, too large, an integer out of CBOR's range).
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import re
import tempfile
import zlib
from importlib import resources
from pathlib import Path
from typing import Any

import cbor2
import segno

from ._base45 import BASE45_ALPHABET, b45decode, b45encode
from ._cbor_json import MAX_NESTING_DEPTH, check_json_value, decode_cbor
from .errors import LimitExceededError, TransportError

__all__ = [
    "BASE45_ALPHABET",
    "DICTIONARY",
    "DICTIONARY_SHA256",
    "MAX_DECOMPRESSED_BYTES",
    "MAX_NESTING_DEPTH",
    "MAX_PAYLOAD_CHARS",
    "PAYLOAD_PREFIX",
    "PAYLOAD_VERSION",
    "QR_ERROR_LEVEL",
    "b45decode",
    "b45encode",
    "decode_payload",
    "encode_payload",
    "looks_like_payload",
    "qr_code",
    "qr_version",
    "terminal_qr",
    "write_png",
]

PAYLOAD_VERSION = 1
PAYLOAD_PREFIX = f"MUS{PAYLOAD_VERSION}:"

#: Error correction level M recovers ~15 % of the symbol: enough for a phone reading a
#: screen or a creased print, at 20 % less capacity than level L.
QR_ERROR_LEVEL = "M"

#: The alphanumeric capacity of the largest QR code (version 40) at level M. Every payload
#: we accept fits one QR code; a longer text cannot have come from one.
MAX_PAYLOAD_CHARS = 3391

#: The most CBOR a payload may inflate to. A payload carries at most 2,257 bytes of zlib,
#: which credential CBOR (compressing 2.5–4:1 with the dictionary, 6.4:1 at most seen)
#: turns into under 16 KiB; deflate itself allows ~1032:1, i.e. 2.3 MB. 64 KiB keeps ample
#: headroom and bounds what a hostile payload can make us allocate.
MAX_DECOMPRESSED_BYTES = 64 * 1024

_ZLIB_LEVEL = 9


def _load_dictionary() -> bytes:
    """The deterministic CBOR of ``mus1-dictionary.json``, checked against its pin."""
    text = resources.files(__package__).joinpath("mus1-dictionary.json").read_text("utf-8")
    data = cbor2.dumps(json.loads(text), canonical=True)
    if hashlib.sha256(data).hexdigest() != DICTIONARY_SHA256:
        # The dictionary is part of the MUS1 format: changing it breaks every payload.
        raise RuntimeError("mus1-dictionary.json was modified; MUS1 payloads depend on it")
    return data


#: SHA-256 of :data:`DICTIONARY`. Frozen with MUS1: a payload inflates only against the
#: very bytes it was deflated with, so a new dictionary is a new format (``MUS2:``).
DICTIONARY_SHA256 = "c995281a21e929c7fbfade2707e2f572e94522f85797c7fec6fa2b04cca7fa39"
#: The MUS1 preset zlib dictionary (RFC 1950 §2.2): the deterministic CBOR (RFC 8949
#: §4.2.1) of ``credentials/mus1-dictionary.json``, 2,757 bytes.
DICTIONARY = _load_dictionary()
_DICTIONARY_ID = zlib.adler32(DICTIONARY).to_bytes(4, "big")  # RFC 1950 §2.2 DICTID
_QR_BORDER = 4  # ISO/IEC 18004 §6.3.8: a quiet zone of four modules
_WHITESPACE = " \t\r\n\v\f"
_VERSIONED_PREFIX = re.compile(r"MUS(\d+):", re.IGNORECASE)


# --- the payload ------------------------------------------------------------------------


def encode_payload(document: Any) -> str:
    """Return the ``MUS1:`` payload carrying ``document``, a JSON value.

    ``document`` is what :func:`json.loads` returns: dicts with ``str`` keys, lists, str,
    int, float, bool and None. :func:`decode_payload` gives back an equal value in which an
    int is still an int and a float still a float (``1`` and ``1.0`` differ on the wire,
    as they do in JSON-LD, where one is an ``xsd:integer`` and the other an ``xsd:double``).

    Raises MalformedInputError if ``document`` holds anything else (a tuple, bytes, a
    non-text key, NaN or an infinity, a string with a lone surrogate); LimitExceededError
    if it is nested deeper than :data:`MAX_NESTING_DEPTH`, holds an integer outside
    CBOR's [-2**64, 2**64 - 1], or would make a payload over :data:`MAX_PAYLOAD_CHARS`.
    """
    check_json_value(document, max_bytes=MAX_DECOMPRESSED_BYTES)
    data = cbor2.dumps(document, canonical=True)  # RFC 8949 §4.2.1
    if len(data) > MAX_DECOMPRESSED_BYTES:
        raise LimitExceededError(
            f"document is {len(data)} bytes of CBOR, over the limit of "
            f"{MAX_DECOMPRESSED_BYTES} bytes for a QR payload"
        )
    deflater = zlib.compressobj(_ZLIB_LEVEL, zdict=DICTIONARY)
    payload = PAYLOAD_PREFIX + b45encode(deflater.compress(data) + deflater.flush())
    if len(payload) > MAX_PAYLOAD_CHARS:
        raise LimitExceededError(
            f"document needs a {len(payload)}-character payload, over the "
            f"{MAX_PAYLOAD_CHARS} characters of the largest QR code at level {QR_ERROR_LEVEL}"
        )
    return payload


def decode_payload(text: str) -> Any:
    """Return the JSON value a ``MUS1:`` payload carries (dicts, lists, str, int, float...).

    Surrounding whitespace is ignored: a valid payload never ends in a space, the one
    whitespace character of the base45 alphabet (see ``specs/transport.md``).

    Raises TransportError, with a one-line reason, if ``text`` is not a payload or any
    layer of it is malformed or not in its deterministic form; LimitExceededError if it is
    longer than :data:`MAX_PAYLOAD_CHARS`, inflates past :data:`MAX_DECOMPRESSED_BYTES` or
    nests deeper than :data:`MAX_NESTING_DEPTH`.
    """
    payload = text.strip(_WHITESPACE)
    _check_prefix(payload)
    if len(payload) > MAX_PAYLOAD_CHARS:
        raise LimitExceededError(
            f"payload is {len(payload)} characters, over the limit of {MAX_PAYLOAD_CHARS} "
            f"(the largest QR code at level {QR_ERROR_LEVEL})"
        )
    compressed = b45decode(payload[len(PAYLOAD_PREFIX) :])
    if not compressed:
        raise TransportError(f"payload has nothing after its {PAYLOAD_PREFIX!r} prefix")
    return decode_cbor(_inflate(compressed))


def looks_like_payload(text: str) -> bool:
    """Return whether ``text`` is meant to be a payload: ``MUS<n>:`` after whitespace.

    Any version and any case match, so that a caller routes the text to
    :func:`decode_payload`, which then names what is wrong with it. The body is not checked.
    """
    return _VERSIONED_PREFIX.match(text.lstrip(_WHITESPACE)) is not None


def _check_prefix(payload: str) -> None:
    if payload.startswith(PAYLOAD_PREFIX):
        return
    versioned = _VERSIONED_PREFIX.match(payload)
    if versioned is None:
        raise TransportError(f"not a QR payload: it does not start with {PAYLOAD_PREFIX!r}")
    if versioned.group(0).upper() == PAYLOAD_PREFIX:
        raise TransportError(
            f"payload prefix {versioned.group(0)!r} must be upper-case {PAYLOAD_PREFIX!r} "
            "(QR payloads are upper-case; was it retyped?)"
        )
    raise TransportError(
        f"payload version {versioned.group(0)!r} is not supported; "
        f"this reader decodes {PAYLOAD_PREFIX!r}"
    )


# --- zlib (RFC 1950) --------------------------------------------------------------------


def _inflate(data: bytes) -> bytes:
    """Inflate one whole MUS1 zlib stream, stopping as soon as it passes the size limit."""
    # RFC 1950 §2.2: CMF says deflate (CM 8) with a window of at most 32 KiB (CINFO <= 7);
    # CMF·256 + FLG is a multiple of 31.
    cmf, flg = (data[0], data[1]) if len(data) >= 2 else (0, 0)
    if cmf & 0x0F != 8 or cmf >> 4 > 7 or (cmf << 8 | flg) % 31 != 0:
        raise TransportError("payload is not a valid zlib stream: bad header (RFC 1950 §2.2)")
    # MUS1 deflates with its preset dictionary, so FLG.FDICT must be set and DICTID must
    # be the Adler-32 of DICTIONARY. Checked here, by name: zlib would inflate a stream
    # without a dictionary silently, and fail on another dictionary with a vague error.
    if not flg & 0x20:
        raise TransportError(
            "payload zlib stream has no preset dictionary; MUS1 deflates with the MUS1 "
            "dictionary (RFC 1950 §2.2 FDICT)"
        )
    if len(data) < 6:
        raise TransportError("payload zlib stream ends inside its dictionary id (RFC 1950 §2.2)")
    if data[2:6] != _DICTIONARY_ID:
        raise TransportError(
            f"payload zlib stream names preset dictionary {data[2:6].hex()}, not the MUS1 "
            f"dictionary {_DICTIONARY_ID.hex()} (RFC 1950 §2.2 DICTID)"
        )
    inflater = zlib.decompressobj(zdict=DICTIONARY)
    try:
        # max_length bounds the output: a zip bomb costs us MAX + 1 bytes, not its size.
        out = inflater.decompress(data, MAX_DECOMPRESSED_BYTES + 1)
    except zlib.error as e:
        raise TransportError(f"payload is not a valid zlib stream: {e}") from e
    if len(out) > MAX_DECOMPRESSED_BYTES:
        raise LimitExceededError(
            f"payload inflates to more than {MAX_DECOMPRESSED_BYTES} bytes (zip bomb?)"
        )
    if not inflater.eof:
        raise TransportError("payload zlib stream is truncated: it ends before its end marker")
    if inflater.unused_data:
        raise TransportError(
            "payload has trailing data after the end of its zlib stream "
            f"(from byte {len(data) - len(inflater.unused_data)})"
        )
    return out


# --- the QR code ------------------------------------------------------------------------

# (upper module drawn, lower module drawn) -> the character that draws them
_HALF_BLOCKS = {(True, True): "█", (True, False): "▀", (False, True): "▄", (False, False): " "}


def qr_code(payload: str) -> segno.QRCode:
    """Return the QR code of ``payload``: level M, one alphanumeric segment, least version.

    Raises TransportError if ``payload`` does not start with the prefix or holds a
    character outside the alphanumeric set; LimitExceededError if it is longer than
    :data:`MAX_PAYLOAD_CHARS`. The body is not decoded.
    """
    if not payload.startswith(PAYLOAD_PREFIX):
        raise TransportError(f"not a QR payload: it does not start with {PAYLOAD_PREFIX!r}")
    if len(payload) > MAX_PAYLOAD_CHARS:
        raise LimitExceededError(
            f"payload is {len(payload)} characters, over the limit of {MAX_PAYLOAD_CHARS}"
        )
    stray = next((char for char in payload if char not in BASE45_ALPHABET), None)
    if stray is not None:
        raise TransportError(f"payload character {stray!r} is not in the QR alphanumeric set")
    # boost_error=False: the level stays M, as the format says, whatever room is left.
    return segno.make_qr(payload, error=QR_ERROR_LEVEL, mode="alphanumeric", boost_error=False)


def qr_version(payload: str) -> int:
    """Return the QR version (1–40) that ``payload`` needs at level M; raises as qr_code."""
    version = qr_code(payload).version
    assert isinstance(version, int)  # an int for QR codes; only Micro QR versions are str
    return version


def terminal_qr(payload: str, *, light_background: bool = False) -> str:
    """Return ``payload``'s QR code drawn with half blocks, two modules a character row.

    The code is ``size + 8`` columns wide (size = 17 + 4 × version, with the four-module
    quiet zone), and half as many lines. By default the light modules are drawn, for a
    terminal that prints light text on a dark background; pass ``light_background=True``
    for dark text on light. Either way a phone sees dark modules on a light field. The
    text has no trailing newline and no escape codes.
    """
    rows = [[bool(m) for m in row] for row in qr_code(payload).matrix_iter(border=_QR_BORDER)]
    if len(rows) % 2:
        rows.append([False] * len(rows[0]))  # one more row of quiet zone fills the pair
    lines = []
    for top, bottom in zip(rows[0::2], rows[1::2], strict=True):
        # draw a module where it is dark (light background) or light (dark background)
        lines.append(
            "".join(
                _HALF_BLOCKS[(upper == light_background, lower == light_background)]
                for upper, lower in zip(top, bottom, strict=True)
            )
        )
    return "\n".join(lines)


def write_png(payload: str, path: Path, *, scale: int = 4) -> None:
    """Write ``payload``'s QR code to ``path`` as a PNG, ``scale`` pixels a module.

    The file appears whole or not at all (written beside ``path``, then renamed over it).
    Raises as :func:`qr_code`, ValueError if ``scale`` < 1, and OSError from the file system.
    """
    if scale < 1:
        raise ValueError(f"scale must be at least 1 pixel a module, not {scale}")
    code = qr_code(payload)
    fd, temporary = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as out:
            code.save(out, kind="png", scale=scale, border=_QR_BORDER)
        os.replace(temporary, path)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(temporary)
        raise
