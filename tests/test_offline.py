"""Verification never touches the network: the loader serves bundled contexts only, and
verifying every vector with sockets disabled still gives every outcome."""

from __future__ import annotations

import json
import socket
from typing import Any

import pytest

from credentials import rdfc
from credentials.errors import ContextError
from credentials.inputs import parse_input
from credentials.loader import BUNDLED_CONTEXTS, bundled_context, pyld_document_loader
from credentials.verifier import Verifier
from tests.conftest import SPEC_VECTORS


def test_loader_serves_every_bundled_context_and_refuses_the_rest() -> None:
    assert len(BUNDLED_CONTEXTS) == 12
    for url in BUNDLED_CONTEXTS:
        assert "@context" in bundled_context(url)
        assert pyld_document_loader(url)["documentUrl"] == url
    for url in ("https://example.org/ctx.jsonld", "http://www.w3.org/ns/credentials/v2", ""):
        with pytest.raises(ContextError, match="not bundled"):
            bundled_context(url)


def test_a_document_naming_an_unknown_context_is_refused_not_fetched() -> None:
    document: dict[str, Any] = {
        "@context": ["https://www.w3.org/ns/credentials/v2", "https://evil.example/c.jsonld"],
        "type": ["VerifiableCredential"],
    }
    with pytest.raises(ContextError):
        rdfc.canonicalize(document)


@pytest.fixture
def no_network(monkeypatch: pytest.MonkeyPatch) -> None:
    def refuse(*args: object, **kwargs: object) -> None:
        raise AssertionError(f"network use attempted: {args!r}")

    monkeypatch.setattr(socket.socket, "connect", refuse)
    monkeypatch.setattr(socket.socket, "connect_ex", refuse)
    monkeypatch.setattr(socket, "getaddrinfo", refuse)
    monkeypatch.setattr(socket, "create_connection", refuse)


def test_every_vector_verifies_with_the_network_disabled(no_network: None) -> None:
    folder = SPEC_VECTORS / "credentials"
    manifest = json.loads((folder / "manifest.json").read_text())["vectors"]
    for name, expected in manifest.items():
        report = Verifier().verify(parse_input((folder / name).read_bytes()))
        assert report.verified is expected["verified"], name
