"""Exchange documents and sealed messages (``wallet/exchange.py``): round trips, and
every tampering refused."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from credentials.keys import KeyPair
from ledger import encoding
from wallet.exchange import (
    Answer,
    ContactCard,
    ExchangeError,
    Request,
    open_sealed,
    seal,
    sealed_header,
)

WORKER, PEER, STRANGER = KeyPair.generate(), KeyPair.generate(), KeyPair.generate()
texts = st.text(min_size=1, max_size=200)


def _request(**overrides: object) -> Request:
    fields: dict[str, object] = {
        "to": PEER.did, "skill": "TIG welding", "level": 5, "context": "Two years on site",
        "evidence": None, "reply_node": "http://127.0.0.1:8470", "expires": 2_000_000_000,
        "time": 1_780_000_000,
    }  # fmt: skip
    fields.update(overrides)
    return Request.create(WORKER, **fields)  # type: ignore[arg-type]


@settings(max_examples=30, deadline=None)
@given(skill=texts, context=texts, evidence=st.none() | texts, level=st.none() | st.integers(1, 8))
def test_a_request_round_trips_through_a_sealed_message(
    skill: str, context: str, evidence: str | None, level: int | None
) -> None:
    request = _request(skill=skill, context=context, evidence=evidence, level=level)
    sender, document = open_sealed(PEER, seal(WORKER, PEER.did, request.signed))
    assert sender == WORKER.did
    again = Request.from_bytes(document)
    assert again == request
    assert (again.skill, again.context, again.evidence, again.level) == (
        skill,
        context,
        evidence,
        level,
    )


def test_an_answer_round_trips_and_carries_the_token() -> None:
    request = _request()
    answer = Answer.create(PEER, request, credential='{"a": 1}', edge=b"edge", time=1)
    sealed = seal(PEER, WORKER.did, answer.signed, token=request.token)
    assert sealed_header(sealed)["token"] == request.token
    header = sealed_header(sealed)
    header["token"] = bytes(32)  # a relay swaps the clear token
    with pytest.raises(ExchangeError, match="clear token"):
        open_sealed(WORKER, encoding.encode(header))
    sender, document = open_sealed(WORKER, sealed)
    assert sender == PEER.did
    assert Answer.from_bytes(document) == answer
    declined = Answer.create(PEER, request, credential=None, edge=None, time=1)
    assert declined.decision == "declined"


@settings(max_examples=60, deadline=None)
@given(position=st.integers(min_value=0), bit=st.integers(0, 7))
def test_any_flipped_bit_of_a_sealed_message_is_refused(position: int, bit: int) -> None:
    sealed = bytearray(seal(WORKER, PEER.did, _request().signed))
    sealed[position % len(sealed)] ^= 1 << bit
    with pytest.raises(ExchangeError):
        open_sealed(PEER, bytes(sealed))


def test_only_the_recipient_opens_it_and_the_sender_cannot_be_forged() -> None:
    sealed = seal(WORKER, PEER.did, _request().signed)
    with pytest.raises(ExchangeError, match="is for"):
        open_sealed(STRANGER, sealed)
    # A stranger relabels the message as coming from someone else: the box no longer opens.
    header = sealed_header(sealed)
    header["from"] = STRANGER.did
    with pytest.raises(ExchangeError, match="does not open"):
        open_sealed(PEER, encoding.encode(header))


def test_documents_signed_by_someone_else_are_refused() -> None:
    request = _request()
    # The stranger signs a request that claims to come from the worker.
    forged = bytearray(request.signed)
    forged[-3] ^= 1
    with pytest.raises(ExchangeError):
        Request.from_bytes(bytes(forged))
    card = ContactCard.create(PEER, name="Amira", node="https://node.example", time=1)
    assert ContactCard.from_text(card.to_text()) == card
    with pytest.raises(ExchangeError):
        ContactCard.from_text(card.to_text()[:-4] + "AAAA")
    with pytest.raises(ExchangeError, match="starts with"):
        ContactCard.from_text("hello")


def test_malformed_sealed_messages_are_refused() -> None:
    for data in (b"", b"\xff", encoding.encode({"v": 1, "type": "sealed"}), b"x" * 70_000):
        with pytest.raises(ExchangeError):
            sealed_header(data)
    with pytest.raises(ExchangeError):
        seal(WORKER, "did:web:example.org", b"x")
    with pytest.raises(ExchangeError, match="over"):
        seal(WORKER, PEER.did, b"x" * 70_000)


def test_request_ids_are_hex_so_a_command_line_never_reads_them_as_options() -> None:
    ids = {_request().id for _ in range(200)}
    assert len(ids) == 200
    assert all(len(i) == 32 and set(i) <= set("0123456789abcdef") for i in ids)
