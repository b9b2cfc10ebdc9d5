"""Structural limits checked before any expensive work on untrusted input.

RDF dataset canonicalization (RDFC-1.0) is exponential in the worst case: blank nodes
that look alike (the same first-degree hash) force the N-degree hash algorithm to try
every permutation of their neighbours. A few kilobytes of JSON-LD with a handful of
*labelled* blank nodes that all point at each other stall any implementation (didkit's
included) for minutes. We therefore bound the work by the structure of the JSON before
canonicalizing, for every suite (our own and didkit's):

* the document is at most :data:`MAX_DOCUMENT_BYTES` of JSON and :data:`MAX_DEPTH` deep;
* no blank node may be labelled (a string value ``"_:…"``): without labels, the blank
  nodes of a JSON-LD document form a tree, which removes the graph cycles the attack needs;
* at most :data:`MAX_BLANK_NODES` JSON objects without an ``id`` (each becomes a blank node);
* within one array, at most :data:`MAX_ALIKE_SIBLINGS` identical objects without an ``id``
  (identical siblings are the one way a tree still makes RDFC permute).

These numbers are in ``specs/verification.md``; a real credential is far inside them.
"""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Mapping
from typing import Any

from .errors import LimitExceededError

__all__ = [
    "MAX_ALIKE_SIBLINGS",
    "MAX_BLANK_NODES",
    "MAX_DEPTH",
    "MAX_DOCUMENT_BYTES",
    "check_json_size",
    "check_structure",
]

MAX_DOCUMENT_BYTES = 256 * 1024
MAX_DEPTH = 32
MAX_BLANK_NODES = 64
MAX_ALIKE_SIBLINGS = 4

_VALUE_KEYS = frozenset({"@value", "@list", "@set", "@json"})


def check_json_size(text: str | bytes) -> None:
    """Refuse a serialized document over :data:`MAX_DOCUMENT_BYTES`."""
    size = len(text.encode("utf-8") if isinstance(text, str) else text)
    if size > MAX_DOCUMENT_BYTES:
        raise LimitExceededError(
            f"document is {size} bytes, over the limit of {MAX_DOCUMENT_BYTES} bytes"
        )


def check_structure(document: Mapping[str, Any]) -> None:
    """Raise LimitExceededError if ``document`` is outside the canonicalization bounds.

    The ``@context`` members are not walked: only bundled contexts are ever loaded, and
    an embedded context object defines terms, it creates no nodes.
    """
    blank_nodes = _walk(document, 0)
    if blank_nodes > MAX_BLANK_NODES:
        raise LimitExceededError(
            f"document has {blank_nodes} objects without an id (blank nodes), "
            f"over the limit of {MAX_BLANK_NODES}"
        )


def _walk(value: Any, depth: int) -> int:
    if depth > MAX_DEPTH:
        raise LimitExceededError(f"document is nested deeper than {MAX_DEPTH} levels")
    if isinstance(value, str):
        if value.startswith("_:"):
            raise LimitExceededError(
                f"labelled blank node {value[:40]!r}: blank-node labels are refused "
                "(they allow graphs whose canonicalization takes exponential time)"
            )
        return 0
    if isinstance(value, list):
        _check_alike_siblings(value)
        return sum(_walk(item, depth + 1) for item in value)
    if isinstance(value, Mapping):
        count = 0
        if "id" not in value and "@id" not in value and not _VALUE_KEYS & value.keys():
            count = 1
        for key, member in value.items():
            if key == "@context":
                continue
            if key.startswith("_:"):
                raise LimitExceededError("labelled blank node used as a property name")
            count += _walk(member, depth + 1)
        return count
    return 0


def _check_alike_siblings(items: list[Any]) -> None:
    anonymous = [
        json.dumps(item, sort_keys=True)
        for item in items
        if isinstance(item, Mapping) and "id" not in item and "@id" not in item
    ]
    if len(anonymous) <= MAX_ALIKE_SIBLINGS:
        return
    _, most = Counter(anonymous).most_common(1)[0]
    if most > MAX_ALIKE_SIBLINGS:
        raise LimitExceededError(
            f"an array holds {most} identical objects without an id, "
            f"over the limit of {MAX_ALIKE_SIBLINGS}"
        )
