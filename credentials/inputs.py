"""The parse step: bytes from a user to a typed input we know how to verify.

Recognised inputs are a JSON-LD credential or presentation, a JWT (VC-JWT / VP-JWT), an
SD-JWT VC (``<jwt>~<disclosure>~…~``, or a presentation of one ending with its key binding
JWT), or a ``MUS1:`` QR payload holding one of them. Anything else raises an
:class:`~credentials.errors.InputError` (the CLI's exit status 2). JSON is parsed strictly:
duplicate keys and the non-JSON constants ``NaN``/``Infinity`` are refused, because what a
signature covers must be what every verifier reads.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Literal

from . import _didkit, transport
from .errors import LimitExceededError, MalformedInputError
from .limits import MAX_DOCUMENT_BYTES, check_json_size
from .sd_jwt_view import payload_unverified

__all__ = ["ParsedInput", "document_kind", "parse_input", "parse_json"]

_JWT = re.compile(r"^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]*$")


@dataclass(frozen=True, slots=True)
class ParsedInput:
    """A recognised input: a JSON-LD document, a JWT or an SD-JWT, and how it arrived."""

    format: Literal["jsonld", "jwt", "sd-jwt"]
    document: dict[str, Any] | None = None
    token: str | None = None
    via: Literal["json", "jwt", "sd-jwt", "qr"] = "json"

    @property
    def description(self) -> str:
        source = " from a MUS1 QR payload" if self.via == "qr" else ""
        if self.format == "jwt":
            return f"JWT{source}"
        if self.format == "sd-jwt":
            return f"SD-JWT VC{source}"
        assert self.document is not None
        return f"JSON-LD {document_kind(self.document)}{source}"


def _no_duplicates(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    result: dict[str, Any] = {}
    for key, value in pairs:
        if key in result:
            raise MalformedInputError(f"duplicate JSON key {key!r}")
        result[key] = value
    return result


def _no_constant(name: str) -> Any:
    raise MalformedInputError(f"{name} is not valid JSON")


def parse_json(text: str | bytes) -> Any:
    """Strict JSON: size-limited, no duplicate keys, no NaN/Infinity."""
    check_json_size(text)
    try:
        return json.loads(text, object_pairs_hook=_no_duplicates, parse_constant=_no_constant)
    except RecursionError as e:
        raise LimitExceededError("JSON nesting is over the limit of the parser") from e
    except UnicodeDecodeError as e:
        raise MalformedInputError("input is not UTF-8 text") from e
    except json.JSONDecodeError as e:
        raise MalformedInputError(
            f"malformed JSON: {e.msg} at line {e.lineno} column {e.colno}"
        ) from e


def document_kind(document: Mapping[str, Any]) -> str:
    """``credential`` or ``presentation``; MalformedInputError for any other JSON."""
    types = document.get("type", [])
    types = types if isinstance(types, list) else [types]
    if "VerifiablePresentation" in types:
        return "presentation"
    if "VerifiableCredential" in types:
        return "credential"
    raise MalformedInputError(
        "JSON is not a verifiable credential or presentation (its type names neither)"
    )


def _sd_jwt(text: str, via: Literal["sd-jwt", "qr"]) -> ParsedInput:
    # Every part must decode (RFC 9901 §4): a string of SD-JWT shape that is not one is
    # an input error (exit 2), not a document that failed a check.
    payload_unverified(text)
    return ParsedInput(format="sd-jwt", token=text, via=via)


def _from_value(value: Any, via: Literal["json", "qr"]) -> ParsedInput:
    if isinstance(value, str) and "~" in value:
        return _sd_jwt(value.strip(), "qr" if via == "qr" else "sd-jwt")
    if isinstance(value, str) and _JWT.match(value.strip()):
        _didkit.decode_jwt_unverified(value.strip())
        return ParsedInput(format="jwt", token=value.strip(), via="qr" if via == "qr" else "jwt")
    if not isinstance(value, dict):
        raise MalformedInputError("JSON is not an object (a credential or presentation)")
    document_kind(value)
    return ParsedInput(format="jsonld", document=value, via=via)


def parse_input(data: str | bytes) -> ParsedInput:
    """Recognise ``data``; raise InputError (with a one-line reason) when it is none of ours."""
    if isinstance(data, bytes):
        if len(data) > MAX_DOCUMENT_BYTES * 2:
            raise LimitExceededError(f"input is over {MAX_DOCUMENT_BYTES * 2} bytes")
        try:
            data = data.decode("utf-8")
        except UnicodeDecodeError as e:
            raise MalformedInputError("input is not UTF-8 text") from e
    text = data.strip().lstrip("\ufeff")
    if not text:
        raise MalformedInputError("input is empty")
    if transport.looks_like_payload(text):
        return _from_value(transport.decode_payload(text), "qr")
    if "~" in text and text[0] not in "{[":
        return _sd_jwt(text, "sd-jwt")
    if _JWT.match(text):
        _didkit.decode_jwt_unverified(text)  # a string of JWT shape that is not one: exit 2
        return ParsedInput(format="jwt", token=text, via="jwt")
    if text[0] not in "{[":
        raise MalformedInputError("input is not JSON, a JWT or a MUS1: payload")
    return _from_value(parse_json(text), "json")
