"""The node's HTTP service over real HTTP on loopback (uvicorn in a thread, httpx against
it): every route of ``specs/api.md``, its problem details, body caps and rate limits, and
that no input a client can send makes it answer with a 5xx."""

from __future__ import annotations

import base64
import copy
import socket
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from credentials.issuance import present
from credentials.keys import KeyPair
from credentials.models import SkillAttestation
from ledger import merkle
from ledger.bundle import Bundle, FeedPart
from ledger.entries import credential_digest
from ledger.store import LedgerStore
from node.api import ApiLimits
from node.gossip.wire import MessageType, open_envelope, seal
from node.home import Home
from node.issuing import issue_from_home
from node.ledger_cli import status_list_document
from node.service import NodeService
from node.status import status_reference
from tests.served import served

CBOR = {"content-type": "application/cbor"}
FLAG_TARGET = "did:key:z6MkhaXgBZDvotDkL5257faiztiGiC2QtKLGpbnnEGta2doK"
GENEROUS = ApiLimits(body_bytes=64 * 1024, ledger_bytes=256 * 1024, rate=1e6, burst=1e6)


@dataclass
class Running:
    service: NodeService
    client: httpx.Client
    url: str


@dataclass
class Issued:
    home: Home
    key: KeyPair
    worker: KeyPair
    credential: dict[str, Any]


def serve(service: NodeService, limits: ApiLimits) -> Iterator[Running]:
    """The app on a free loopback port until the generator is closed."""
    with served(service, limits) as (client, url):
        yield Running(service, client, url)


@pytest.fixture(scope="module")
def node(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Running]:
    yield from serve(NodeService(Home(tmp_path_factory.mktemp("node"))), GENEROUS)


@pytest.fixture
def fresh(tmp_path: Path) -> Iterator[Running]:
    """A node of its own, for tests that count what it stores."""
    yield from serve(NodeService(Home(tmp_path / "node")), GENEROUS)


@pytest.fixture(scope="module")
def issued(tmp_path_factory: pytest.TempPathFactory) -> Issued:
    """A credential with a status entry, issued from a home that runs no node."""
    home = Home(tmp_path_factory.mktemp("issuer"))
    home.identities.create("amira")
    worker = KeyPair.generate()
    credential = issue_from_home(
        home,
        lambda did: SkillAttestation(issuer=did, subject=worker.did, skill="TIG welding", level=5),
        as_="amira",
        fmt="rdfc",
    )
    assert isinstance(credential, dict)
    return Issued(home, home.identities.key("amira"), worker, credential)


@pytest.fixture
def feed_store(tmp_path: Path) -> Iterator[LedgerStore]:
    with LedgerStore(tmp_path / "ledger.db") as store:
        yield store


def flag_feed(store: LedgerStore, count: int, key: KeyPair | None = None) -> KeyPair:
    key = key or KeyPair.generate()
    for i in range(count):
        store.append(key, "flag", {"target": FLAG_TARGET, "reason": f"r{i}"})
    return key


def push(running: Running, bundle: Bundle) -> httpx.Response:
    return running.client.post("/entries", content=bundle.to_bytes(), headers=CBOR)


def assert_problem(
    response: httpx.Response, status: int, kind: str | None = None
) -> dict[str, Any]:
    assert response.status_code == status, response.text
    assert response.headers["content-type"].startswith("application/problem+json")
    body = response.json()
    assert set(body) >= {"type", "title", "status", "detail"}
    assert body["status"] == status
    assert body["type"].startswith("urn:musette:problem:")
    if kind is not None:
        assert body["type"] == f"urn:musette:problem:{kind}", body
    return dict(body)


def b64decode(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def digest_request(
    key: KeyPair, body: Any = b"\0" * 16, kind: MessageType = MessageType.DIGEST
) -> bytes:
    return seal(key, kind, body, time=int(time.time()))


# -- health, openapi, feeds ----------------------------------------------------------------


def test_health_says_who_the_node_is(node: Running) -> None:
    response = node.client.get("/health")
    assert response.status_code == 200
    body = response.json()
    assert body["status"] == "ok"
    assert body["node"] == node.service.did
    assert body["node"].startswith("did:key:z6Mk")
    for name in ("feeds", "entries", "forks", "peers", "rounds"):
        assert isinstance(body[name], int)
    assert isinstance(body["digest"], str)
    assert body["last_round"] is None


def test_openapi_lists_every_route(node: Running) -> None:
    spec = node.client.get("/openapi.json").json()
    routes = {(method.upper(), path) for path, item in spec["paths"].items() for method in item}
    assert routes == {
        ("GET", "/health"),
        ("GET", "/feeds"),
        ("GET", "/feeds/{author}/entries"),
        ("POST", "/entries"),
        ("POST", "/gossip"),
        ("GET", "/peers"),
        ("GET", "/trust/snapshot"),
        ("GET", "/status/{fingerprint}/{number}/{purpose}"),
        ("POST", "/status-lists"),
        ("POST", "/status/check"),
        ("POST", "/credentials/verify"),
        ("POST", "/presentations/verify"),
        ("POST", "/mailbox/{recipient}"),
        ("GET", "/mailbox/{recipient}/challenge"),
        ("POST", "/mailbox/{recipient}/expect"),
        ("POST", "/mailbox/{recipient}/fetch"),
        ("POST", "/mailbox/{recipient}/delete"),
    }
    cbor_body = spec["paths"]["/entries"]["post"]["requestBody"]["content"]
    assert "application/cbor" in cbor_body


def test_feeds_page_in_author_order(fresh: Running, feed_store: LedgerStore) -> None:
    keys = [flag_feed(feed_store, 1 + i % 2) for i in range(5)]
    response = push(fresh, Bundle.of_store(feed_store, feed_store.authors()))
    assert response.status_code == 200, response.text
    assert response.json()["stored"] == 7
    seen: list[dict[str, Any]] = []
    after = ""
    pages = 0
    while True:
        page = fresh.client.get("/feeds", params={"after": after, "limit": 2}).json()
        seen += page["feeds"]
        pages += 1
        if page["next"] is None:
            break
        assert len(page["feeds"]) == 2
        after = page["next"]
    assert pages == 3
    assert [f["author"] for f in seen] == sorted(k.did for k in keys)
    for feed in seen:
        assert feed["size"] == feed_store.head(feed["author"]).size
        assert feed["root"] == feed_store.root(feed["author"]).hex()
        assert feed["forked"] is False
    assert_problem(fresh.client.get("/feeds", params={"limit": 0}), 400, "malformed-request")
    assert_problem(fresh.client.get("/feeds", params={"limit": "many"}), 400, "malformed-request")


def test_feed_entries_with_a_consistency_proof(fresh: Running, feed_store: LedgerStore) -> None:
    key = flag_feed(feed_store, 7)
    assert push(fresh, Bundle.of_store(feed_store, [key.did])).status_code == 200
    response = fresh.client.get(f"/feeds/{key.did}/entries", params={"proof_from": 3})
    assert response.status_code == 200, response.text
    body = response.json()
    entries = [b64decode(e) for e in body["entries"]]
    assert entries == feed_store.signed_entries(key.did)
    assert (body["author"], body["size"], body["start"]) == (key.did, 7, 0)
    assert body["checkpoint"] is not None
    leaves = [merkle.leaf_hash(e) for e in entries]
    new_root = bytes.fromhex(body["root"])
    assert new_root == merkle.root(leaves)
    proof = [b64decode(p) for p in body["consistency"]]
    merkle.verify_consistency(3, 7, merkle.root(leaves[:3]), new_root, proof)
    # a range: no checkpoint unless it reaches the head
    part = fresh.client.get(f"/feeds/{key.did}/entries", params={"start": 2, "end": 4}).json()
    assert [b64decode(e) for e in part["entries"]] == entries[2:4]
    assert part["checkpoint"] is None
    assert part["consistency"] == []


@pytest.mark.parametrize(
    "params",
    [{"start": 9}, {"start": -1}, {"start": 3, "end": 1}, {"proof_from": 0}, {"proof_from": 99}],
)
def test_feed_entries_bad_ranges(
    fresh: Running, feed_store: LedgerStore, params: dict[str, int]
) -> None:
    key = flag_feed(feed_store, 3)
    push(fresh, Bundle.of_store(feed_store, [key.did]))
    assert_problem(fresh.client.get(f"/feeds/{key.did}/entries", params=params), 400, "bad-range")


def test_unknown_feed_is_404(node: Running) -> None:
    assert_problem(node.client.get(f"/feeds/{FLAG_TARGET}/entries"), 404, "no-feed")


# -- POST /entries ---------------------------------------------------------------------------


def test_pushed_entries_are_stored_once(fresh: Running, feed_store: LedgerStore) -> None:
    key = flag_feed(feed_store, 3)
    bundle = Bundle.of_store(feed_store, [key.did])
    first = push(fresh, bundle).json()
    assert (first["stored"], first["known"], first["refused"]) == (3, 0, [])
    again = push(fresh, bundle).json()
    assert (again["stored"], again["known"]) == (0, 3)
    feeds = fresh.client.get("/feeds").json()["feeds"]
    assert [(f["author"], f["size"]) for f in feeds] == [(key.did, 3)]
    assert fresh.client.get("/health").json()["entries"] == 3


def _forged(feed_store: LedgerStore) -> Bundle:
    key = flag_feed(feed_store, 2)
    entries = [bytearray(e) for e in feed_store.signed_entries(key.did)]
    entries[0][-5] ^= 0x01  # inside the signature of entry 0
    return Bundle((FeedPart(key.did, [bytes(e) for e in entries]),))


def test_a_forged_entry_is_refused_and_nothing_stored(
    fresh: Running, feed_store: LedgerStore
) -> None:
    response = push(fresh, _forged(feed_store))
    assert response.status_code == 422, response.text  # nothing stored, something forged
    body = response.json()
    assert body["stored"] == 0
    assert len(body["refused"]) == 2  # the forgery, and its successor that follows nothing
    assert all(isinstance(r, str) and r for r in body["refused"])
    assert fresh.client.get("/feeds").json()["feeds"] == []


@pytest.mark.parametrize(
    "content",
    [b"", b"\xff\xff", b"not cbor at all", b"\xa1\x61a\x01", b"\x9f" * 2000],
    ids=["empty", "break", "text", "other-map", "deep"],
)
def test_malformed_bundles_are_400(node: Running, content: bytes) -> None:
    problem = assert_problem(
        node.client.post("/entries", content=content, headers=CBOR), 400, "malformed-bundle"
    )
    assert problem["title"] == "Bad Request"
    assert problem["detail"]


# -- VC API verification ----------------------------------------------------------------------


def test_an_issued_credential_verifies(node: Running, issued: Issued) -> None:
    response = node.client.post(
        "/credentials/verify", json={"verifiableCredential": issued.credential}
    )
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["verified"] is True
    assert {"proof", "issuer-binding", "validity"} <= set(body["checks"])
    assert body["errors"] == []
    # this node holds no feed of the issuer: status is not checked, a warning
    assert [w["check"] for w in body["warnings"]] == ["status"]
    assert body["report"]["verified"] is True


def test_a_tampered_credential_is_400_with_errors(node: Running, issued: Issued) -> None:
    tampered = copy.deepcopy(issued.credential)
    tampered["credentialSubject"]["achievement"]["name"] = "Brain surgery"
    response = node.client.post("/credentials/verify", json={"verifiableCredential": tampered})
    assert response.status_code == 400, response.text
    assert response.headers["content-type"] == "application/json"
    body = response.json()
    assert body["verified"] is False
    assert "proof" in [e["check"] for e in body["errors"]]
    assert "proof" not in body["checks"]


def test_a_presentation_with_its_challenge(node: Running, issued: Issued) -> None:
    vp = present([issued.credential], issued.worker, challenge="n-1", domain="hire.example")
    right = {"challenge": "n-1", "domain": "hire.example"}
    response = node.client.post(
        "/presentations/verify", json={"verifiablePresentation": vp, "options": right}
    )
    assert response.status_code == 200, response.text
    assert {"challenge", "domain", "holder-binding"} <= set(response.json()["checks"])
    wrong = node.client.post(
        "/presentations/verify",
        json={"verifiablePresentation": vp, "options": {**right, "challenge": "n-2"}},
    )
    assert wrong.status_code == 400
    assert "challenge" in [e["check"] for e in wrong.json()["errors"]]
    # a presentation is not a credential, and the other way round
    assert_problem(
        node.client.post("/credentials/verify", json={"verifiableCredential": vp}),
        400,
        "wrong-kind",
    )
    assert_problem(
        node.client.post(
            "/presentations/verify", json={"verifiablePresentation": issued.credential}
        ),
        400,
        "wrong-kind",
    )


# -- status ------------------------------------------------------------------------------------


def test_revocation_pushed_to_the_node_is_seen(fresh: Running, issued: Issued) -> None:
    credential = copy.deepcopy(issued.credential)
    before = fresh.client.post("/status/check", json={"credential": credential}).json()
    assert before["status"] == "unknown"
    list_id, index = status_reference(credential) or ("", 0)
    with LedgerStore(issued.home.path / "ledger.db") as store:
        store.append(
            issued.key,
            "revocation",
            {"credential": credential_digest(credential), "list": list_id, "index": index},
        )
        bundle = Bundle.of_store(store, [issued.key.did])
    assert push(fresh, bundle).json()["stored"] >= 1
    after = fresh.client.post("/status/check", json={"credential": credential})
    assert after.status_code == 200
    body = after.json()
    assert (body["status"], body["issuer"], body["list"], body["index"]) == (
        "revoked",
        issued.key.did,
        list_id,
        index,
    )
    verified = fresh.client.post("/credentials/verify", json={"verifiableCredential": credential})
    assert verified.status_code == 400
    assert [e["check"] for e in verified.json()["errors"]] == ["status"]
    # a presentation has no status of its own
    vp = present([credential], issued.worker, challenge="c", domain="d")
    assert_problem(fresh.client.post("/status/check", json={"credential": vp}), 400, "bad-document")


def test_status_lists_handed_over_are_served(fresh: Running, issued: Issued) -> None:
    with LedgerStore(issued.home.path / "ledger.db") as store:
        document = status_list_document(store, issued.key, "revocation", 0)
    fingerprint = issued.key.did.removeprefix("did:key:")
    path = f"/status/{fingerprint}/0/revocation"
    assert_problem(fresh.client.get(path), 404, "no-list")
    kept = fresh.client.post("/status-lists", json=document)
    assert kept.status_code == 200, kept.text
    assert kept.json() == {"kept": True, "id": document["id"]}
    assert fresh.client.post("/status-lists", json=document).json()["kept"] is False
    served = fresh.client.get(path)
    assert served.status_code == 200
    assert served.headers["content-type"] == "application/vc+ld+json"
    assert served.json() == document
    assert_problem(fresh.client.get(f"/status/{fingerprint}/0/suspension"), 404, "no-list")
    assert_problem(fresh.client.get(f"/status/{fingerprint}/0/exile"), 404, "not-found")
    assert_problem(fresh.client.get(f"/status/{fingerprint}/zero/revocation"), 400)


def test_an_own_identitys_list_is_signed_afresh(fresh: Running) -> None:
    identities = fresh.service.home.identities
    identities.create("own")
    key = identities.key("own")
    fingerprint = key.did.removeprefix("did:key:")
    served = fresh.client.get(f"/status/{fingerprint}/0/suspension")
    assert served.status_code == 200, served.text
    document = served.json()
    assert document["issuer"] == key.did
    assert document["credentialSubject"]["statusPurpose"] == "suspension"
    verified = fresh.client.post("/status-lists", json=document)
    assert verified.status_code == 200, verified.text
    assert_problem(fresh.client.get(f"/status/{fingerprint}/-1/revocation"), 400, "bad-list")


def test_status_list_with_a_broken_proof_is_422(fresh: Running, issued: Issued) -> None:
    with LedgerStore(issued.home.path / "ledger.db") as store:
        document = status_list_document(store, issued.key, "suspension", 0)
    broken = copy.deepcopy(document)
    broken["validFrom"] = "2020-01-01T00:00:00Z"
    assert_problem(fresh.client.post("/status-lists", json=broken), 422, "unverified")
    # a signed credential that is no status list
    assert_problem(fresh.client.post("/status-lists", json=issued.credential), 422, "bad-list")


# -- bad input never gives a 5xx ----------------------------------------------------------------

JSON_ROUTES = ("/credentials/verify", "/presentations/verify", "/status/check", "/status-lists")
ALL_POST_ROUTES = (*JSON_ROUTES, "/entries", "/gossip")


@pytest.mark.parametrize("route", JSON_ROUTES)
@pytest.mark.parametrize(
    ("content", "kind"),
    [
        (b"{not json", "malformed-json"),
        (b"", "malformed-json"),
        (b"\xff\xfe", "malformed-json"),
        (b"[1, 2]", "malformed-request"),
        (b'"a string"', "malformed-request"),
        (b"{}", None),
        (b'{"verifiableCredential": 7, "verifiablePresentation": [], "credential": 1.5}', None),
        (b'{"options": "x", "verifiableCredential": {}, "verifiablePresentation": {}}', None),
        (b"[" * 100_000 + b"]" * 100_000, None),
        (
            b'{"verifiableCredential": '
            + b"[" * 900
            + b"]" * 900
            + b', "credential": '
            + b'{"a":' * 900
            + b"1"
            + b"}" * 900
            + b"}",
            None,
        ),
        (b'{"verifiableCredential": {"a": NaN}, "credential": {"b": -Infinity}}', None),
    ],
    ids=[
        "syntax",
        "empty",
        "not-utf8",
        "array",
        "string",
        "missing",
        "types",
        "shapes",
        "too-deep",
        "deep",
        "nan",
    ],
)
def test_malformed_json_is_a_problem(
    node: Running, route: str, content: bytes, kind: str | None
) -> None:
    response = node.client.post(
        route, content=content, headers={"content-type": "application/json"}
    )
    assert_problem(response, response.status_code, kind)
    assert 400 <= response.status_code < 500


def test_unknown_did_method_is_a_client_error(node: Running, issued: Issued) -> None:
    credential = copy.deepcopy(issued.credential)
    credential["issuer"]["id"] = "did:web:issuer.example"
    credential["proof"]["verificationMethod"] = "did:web:issuer.example#key-1"
    response = node.client.post("/credentials/verify", json={"verifiableCredential": credential})
    assert response.status_code == 400, response.text
    if response.headers["content-type"] == "application/json":
        assert "proof" in [e["check"] for e in response.json()["errors"]]
    else:
        assert_problem(response, 400)
    status = node.client.post("/status/check", json={"credential": credential})
    assert status.status_code < 500


@pytest.mark.parametrize("route", ALL_POST_ROUTES)
def test_oversized_bodies_are_413(node: Running, route: str) -> None:
    limit = GENEROUS.ledger_bytes if route in ("/entries", "/gossip") else GENEROUS.body_bytes
    declared = node.client.post(route, content=b"x" * (limit + 1))
    assert_problem(declared, 413, "too-large")

    def chunks() -> Iterator[bytes]:
        for _ in range(limit // 4096 + 2):
            yield b"y" * 4096

    chunked = node.client.post(route, content=chunks())
    assert "content-length" not in chunked.request.headers
    assert_problem(chunked, 413, "too-large")


def test_413_is_sent_before_the_body_is_read(node: Running) -> None:
    """A client that declares a huge body and sends none still gets its answer."""
    with socket.create_connection(("127.0.0.1", int(node.url.rsplit(":", 1)[1]))) as conn:
        conn.sendall(
            b"POST /credentials/verify HTTP/1.1\r\nHost: x\r\n"
            b"Content-Type: application/json\r\nContent-Length: 999999999\r\n\r\n"
        )
        conn.settimeout(10)
        head = conn.recv(4096)
    assert head.startswith(b"HTTP/1.1 413"), head


def test_gossip_refuses_garbage_and_a_flipped_byte(node: Running) -> None:
    assert_problem(
        node.client.post("/gossip", content=b"garbage", headers=CBOR), 400, "bad-envelope"
    )
    assert_problem(node.client.post("/gossip", content=b"", headers=CBOR), 400, "bad-envelope")
    request = digest_request(KeyPair.generate())
    for position in (3, len(request) // 2, len(request) - 1):
        flipped = bytearray(request)
        flipped[position] ^= 0x01
        response = node.client.post("/gossip", content=bytes(flipped), headers=CBOR)
        assert_problem(response, 400, "bad-envelope")


def test_gossip_digest_answers_signed(node: Running) -> None:
    request = digest_request(KeyPair.generate())
    response = node.client.post("/gossip", content=request, headers=CBOR)
    assert response.status_code == 200
    assert response.headers["content-type"] == "application/cbor"
    answer = open_envelope(response.content, now=int(time.time()), answering=request)
    assert answer.type is MessageType.DIGEST
    assert answer.sender_did == node.service.did


def test_gossip_error_answers_are_signed_400s(node: Running) -> None:
    key = KeyPair.generate()
    for request in (
        digest_request(key, body=b"\0" * 17),  # a digest is at most 16 bytes
        digest_request(key, body={"error": "x"}, kind=MessageType.ERROR),  # not a request
    ):
        response = node.client.post("/gossip", content=request, headers=CBOR)
        assert response.status_code == 400
        assert response.headers["content-type"] == "application/cbor"
        answer = open_envelope(response.content, now=int(time.time()), answering=request)
        assert answer.type is MessageType.ERROR
    assert node.service.peers.get(key.did).score < 0


def test_unknown_route_and_wrong_method_are_problems(node: Running) -> None:
    assert_problem(node.client.get("/nowhere"), 404, "not-found")
    assert_problem(node.client.post("/nowhere", json={}), 404, "not-found")
    wrong = node.client.get("/credentials/verify")
    assert_problem(wrong, 405, "method-not-allowed")
    assert "POST" in wrong.headers.get("allow", "")
    assert_problem(node.client.delete("/health"), 405, "method-not-allowed")


JSON_VALUES = st.recursive(
    st.none()
    | st.booleans()
    | st.integers()
    | st.floats(allow_nan=False, allow_infinity=False)
    | st.text(max_size=30),
    lambda inner: (
        st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=8), inner, max_size=4)
    ),
    max_leaves=20,
)
MEMBERS = ("verifiableCredential", "verifiablePresentation", "credential", "options", "@context")
BODIES = JSON_VALUES | st.dictionaries(st.sampled_from(MEMBERS), JSON_VALUES, max_size=3)


def _no_5xx(response: httpx.Response) -> None:
    assert response.status_code < 500, response.text
    if response.status_code >= 400 and not response.headers["content-type"].startswith(
        ("application/json", "application/cbor")
    ):
        assert_problem(response, response.status_code)


@settings(
    max_examples=30, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(route=st.sampled_from(JSON_ROUTES), body=BODIES)
def test_random_json_never_5xx(node: Running, route: str, body: Any) -> None:
    _no_5xx(node.client.post(route, json=body))


def _paths(value: Any, prefix: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    """Every member path of a JSON value (keys and list indices)."""
    found = [prefix]
    if isinstance(value, dict):
        for key, inner in value.items():
            found += _paths(inner, (*prefix, key))
    elif isinstance(value, list):
        for index, inner in enumerate(value):
            found += _paths(inner, (*prefix, index))
    return found


@settings(
    max_examples=30, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(data=st.data(), replacement=JSON_VALUES)
def test_a_credential_with_any_member_replaced_never_5xx(
    node: Running, issued: Issued, data: st.DataObject, replacement: Any
) -> None:
    credential = copy.deepcopy(issued.credential)
    path = data.draw(st.sampled_from(_paths(credential)[1:]))
    parent = credential
    for step in path[:-1]:
        parent = parent[step]
    parent[path[-1]] = replacement
    _no_5xx(node.client.post("/credentials/verify", json={"verifiableCredential": credential}))
    _no_5xx(node.client.post("/status/check", json={"credential": credential}))
    _no_5xx(node.client.post("/status-lists", json=credential))


@settings(
    max_examples=30, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(route=st.sampled_from(ALL_POST_ROUTES), body=st.binary(max_size=300))
def test_random_bytes_never_5xx(node: Running, route: str, body: bytes) -> None:
    _no_5xx(node.client.post(route, content=body, headers=CBOR))


@settings(
    max_examples=30, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(position=st.integers(min_value=0), bit=st.integers(min_value=0, max_value=7))
def test_any_flipped_bit_of_a_gossip_request_is_400(node: Running, position: int, bit: int) -> None:
    request = bytearray(digest_request(KeyPair.generate()))
    request[position % len(request)] ^= 1 << bit
    assert_problem(node.client.post("/gossip", content=bytes(request), headers=CBOR), 400)


# -- rate limits ----------------------------------------------------------------------------------


def test_the_fourth_quick_request_is_429(tmp_path: Path) -> None:
    limits = ApiLimits(rate=1, burst=3)
    for running in serve(NodeService(Home(tmp_path / "node")), limits):
        statuses = [running.client.get("/health").status_code for _ in range(4)]
        assert statuses == [200, 200, 200, 429]
        refused = running.client.get("/feeds")
        assert_problem(refused, 429, "rate-limited")
        assert refused.headers["retry-after"] == "1"
        # gossip is limited per node key, not per address
        request = digest_request(KeyPair.generate())
        assert running.client.post("/gossip", content=request, headers=CBOR).status_code == 200
        time.sleep(1.1)
        assert running.client.get("/health").status_code == 200


def test_gossip_floods_from_one_key_are_429_and_cost_score(tmp_path: Path) -> None:
    for running in serve(NodeService(Home(tmp_path / "node")), GENEROUS):
        peers = running.service.peers
        peers.rate, peers.burst = 0.01, 3
        flooder, other = KeyPair.generate(), KeyPair.generate()
        statuses = [
            running.client.post(
                "/gossip", content=digest_request(flooder), headers=CBOR
            ).status_code
            for _ in range(6)
        ]
        assert statuses == [200, 200, 200, 429, 429, 429]
        refused = running.client.post("/gossip", content=digest_request(flooder), headers=CBOR)
        assert_problem(refused, 429, "rate-limited")
        assert refused.headers["retry-after"] == "1"
        assert peers.get(flooder.did).score < 0
        assert peers.get(flooder.did).last_reason == "flood"
        # another node's key has its own bucket
        assert (
            running.client.post("/gossip", content=digest_request(other), headers=CBOR).status_code
            == 200
        )
        listed = {p["peer"]: p for p in running.client.get("/peers").json()["peers"]}
        assert listed[flooder.did]["score"] < 0


def test_trust_snapshot_route(fresh: Running) -> None:
    """404 until the node publishes; then its scores and the signed entries."""
    missing = fresh.client.get("/trust/snapshot")
    assert missing.status_code == 404
    assert missing.headers["content-type"].startswith("application/problem+json")
