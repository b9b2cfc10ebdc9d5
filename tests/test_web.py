"""The node's HTML pages over real HTTP on loopback: each page renders, values are escaped,
the verify page marks passed and FAILED checks, takes pasted MUS1: payloads and turns bad
input into a 400 page, and a CV shows a revoked credential as revoked."""

from __future__ import annotations

import copy
import json
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest

from credentials import transport
from credentials.issuance import present
from credentials.keys import KeyPair
from credentials.models import SkillAttestation
from ledger.bundle import Bundle
from ledger.entries import credential_digest
from ledger.store import LedgerStore
from node.home import Home
from node.issuing import issue_from_home
from node.service import NodeService
from node.status import status_reference
from tests.test_node_api import GENEROUS, Running, serve
from wallet.store import CredentialStore

SCRIPT_SKILL = "<script>alert(1)</script> welding"


@dataclass
class Site:
    running: Running
    persona: str
    worker: KeyPair
    valid: dict[str, Any]  # issued to the persona, in its wallet, not revoked
    revoked: dict[str, Any]  # issued to the persona, in its wallet, revoked on the ledger


def build_site(root: Path) -> Iterator[Site]:
    """A node whose home has the persona ``ana`` holding two credentials from ``amira``
    (another home), one of them revoked in amira's feed, which the node holds."""
    issuer = Home(root / "issuer")
    issuer.identities.create("amira")
    home = Home(root / "node")
    home.identities.create("ana")
    worker_key = home.identities.key("ana")
    worker = worker_key.did

    def issue(skill: str) -> dict[str, Any]:
        credential = issue_from_home(
            issuer,
            lambda did: SkillAttestation(issuer=did, subject=worker, skill=skill, level=4),
            as_="amira",
            fmt="rdfc",
        )
        assert isinstance(credential, dict)
        return credential

    valid, revoked = issue(SCRIPT_SKILL), issue("TIG welding")
    with CredentialStore.in_home(home.path) as wallet:
        for credential in (valid, revoked):
            stored = wallet.import_credential(json.dumps(credential), personas=[worker])
            wallet.set_state(stored.id, "accepted")
    list_id, index = status_reference(revoked) or ("", 0)
    key = issuer.identities.key("amira")
    with LedgerStore(issuer.path / "ledger.db") as store:
        store.append(
            key,
            "revocation",
            {"credential": credential_digest(revoked), "list": list_id, "index": index},
        )
        bundle = Bundle.of_store(store, [key.did])
    service = NodeService(home)
    assert service.submit(bundle).stored >= 1
    for running in serve(service, GENEROUS):
        yield Site(running, "ana", worker_key, valid, revoked)


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Site]:
    yield from build_site(tmp_path_factory.mktemp("web"))


def html(response: httpx.Response, status: int = 200) -> str:
    assert response.status_code == status, response.text
    assert response.headers["content-type"].startswith("text/html")
    return response.text


def verify(site: Site, **fields: str) -> httpx.Response:
    return site.running.client.post("/verify", files={k: (None, v) for k, v in fields.items()})


def test_every_page_renders(site: Site) -> None:
    client = site.running.client
    index = html(client.get("/"))
    assert 'href="/verify"' in index
    assert 'href="/cv/ana"' in index
    assert 'href="/node"' in index
    assert "/cv/node" not in index  # the node's own identity is no persona
    assert "<form" in html(client.get("/verify"))
    assert "Verifiable CV: ana" in html(client.get("/cv/ana"))
    node = html(client.get("/node"))
    assert site.running.service.did in node
    assert "Recent revocations (1)" in node


def test_values_are_escaped(site: Site) -> None:
    page = html(site.running.client.get("/cv/ana"))
    assert "<script>" not in page
    assert "&lt;script&gt;alert(1)&lt;/script&gt; welding" in page


def test_cv_shows_a_revoked_credential_as_revoked(site: Site) -> None:
    page = html(site.running.client.get("/cv/ana"))
    welding = page.split("<h2 class=skill>TIG welding</h2>", 1)[1]
    assert 'data-status="revoked"' in welding.split("</div></div>", 1)[0]
    assert page.count('data-status="revoked"') == 1
    assert 'data-status="valid"' in page
    assert "no anchors configured" in page
    assert "a recruiter computes their own" in page
    assert page.count("<svg") == 2  # a QR per claim
    assert "@media print" in page


def test_unknown_persona_is_404(site: Site) -> None:
    assert "no persona named" in html(site.running.client.get("/cv/nobody"), 404)
    html(site.running.client.get("/cv/node"), 404)


def test_verify_a_valid_credential(site: Site) -> None:
    page = html(verify(site, text=json.dumps(site.valid)))
    assert "✔ Verified credential" in page
    assert '<span class="mark passed">passed</span></td><th scope=row>proof</th>' in page
    assert "FAILED" not in page


def test_verify_an_uploaded_file(site: Site) -> None:
    files = {"file": ("vc.json", json.dumps(site.valid).encode(), "application/json")}
    page = html(site.running.client.post("/verify", files=files, data={"text": ""}))
    assert "✔ Verified credential" in page


def test_verify_a_tampered_credential(site: Site) -> None:
    tampered = copy.deepcopy(site.valid)
    tampered["credentialSubject"]["achievement"]["name"] = "Brain surgery"
    page = html(verify(site, text=json.dumps(tampered)))
    assert "✘ Not verified" in page
    assert '<span class="mark failed">FAILED</span></td><th scope=row>proof</th>' in page


def test_verify_a_revoked_credential_fails_its_status(site: Site) -> None:
    page = html(verify(site, text=json.dumps(site.revoked)))
    assert '<span class="mark failed">FAILED</span></td><th scope=row>status</th>' in page


def test_verify_a_pasted_qr_payload(site: Site) -> None:
    page = html(verify(site, text=transport.encode_payload(site.valid)))
    assert "✔ Verified credential" in page


def test_verify_a_presentation(site: Site) -> None:
    vp = present([site.valid], site.worker, challenge="c", domain="d")
    page = html(verify(site, text=json.dumps(vp)))
    assert "Credential 1 of the presentation" in page
    assert page.count('data-check="proof" data-status="passed"') == 2
    assert "✔ Verified credential" in page


@pytest.mark.parametrize(
    "text", ["not a credential", "{", "MUS1:???", "[1, 2]", "   "], ids=lambda t: repr(t)
)
def test_bad_input_is_a_400_page(site: Site, text: str) -> None:
    page = html(verify(site, text=text), 400)
    assert "class=error" in page
    assert "<form" in page


def test_a_form_that_is_not_a_form_is_400(site: Site) -> None:
    client = site.running.client
    html(client.post("/verify", content=b"{}", headers={"content-type": "application/json"}), 400)
    urlencoded = client.post("/verify", data={"text": json.dumps(site.valid)})
    assert "✔ Verified credential" in html(urlencoded)


def test_body_limit_still_applies(site: Site) -> None:
    big = "x" * (GENEROUS.body_bytes + 1)
    assert verify(site, text=big).status_code == 413
