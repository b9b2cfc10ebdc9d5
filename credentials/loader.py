"""The JSON-LD document loader: bundled contexts only, never the network.

A verifier that fetches contexts can be made to verify something else (the context
decides what the signed terms mean), so the only documents served are the published
contexts shipped in ``credentials/contexts/`` (their URLs in ``index.json``). Any other
URL raises :class:`~credentials.errors.ContextError`.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from functools import cache
from importlib import resources
from typing import Any

from .errors import ContextError

__all__ = [
    "BUNDLED_CONTEXTS",
    "CONTEXT_OB_V3P0",
    "CONTEXT_OB_V3P0_3",
    "CONTEXT_VC_V1",
    "CONTEXT_VC_V2",
    "bundled_context",
    "pyld_document_loader",
]

CONTEXT_VC_V1 = "https://www.w3.org/2018/credentials/v1"
CONTEXT_VC_V2 = "https://www.w3.org/ns/credentials/v2"
CONTEXT_OB_V3P0 = "https://purl.imsglobal.org/spec/ob/v3p0/context.json"
CONTEXT_OB_V3P0_3 = "https://purl.imsglobal.org/spec/ob/v3p0/context-3.0.3.json"
CONTEXT_ED25519_2020 = "https://w3id.org/security/suites/ed25519-2020/v1"
CONTEXT_DATA_INTEGRITY = "https://w3id.org/security/data-integrity/v2"


@cache
def _index() -> Mapping[str, str]:
    text = resources.files(__package__).joinpath("contexts/index.json").read_text("utf-8")
    index: dict[str, str] = json.loads(text)
    return index


BUNDLED_CONTEXTS: frozenset[str] = frozenset(_index())


@cache
def _load(url: str) -> str:
    return resources.files(__package__).joinpath("contexts", _index()[url]).read_text("utf-8")


def bundled_context(url: str) -> dict[str, Any]:
    """Return a fresh copy of the bundled context document published at ``url``.

    Raises ContextError when ``url`` is not bundled (nothing is ever fetched).
    """
    if url not in BUNDLED_CONTEXTS:
        raise ContextError(f"context {url!r} is not bundled; verification never fetches contexts")
    document: dict[str, Any] = json.loads(_load(url))
    return document


def pyld_document_loader(url: str, options: object = None) -> dict[str, Any]:
    """A document loader with pyld's calling convention, serving bundled contexts only."""
    return {"contextUrl": None, "documentUrl": url, "document": bundled_context(url)}
