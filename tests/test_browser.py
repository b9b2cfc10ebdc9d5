"""The node's pages in a real browser: Playwright drives the system Chromium, headless, against
the node on loopback. Screenshots go to ``tests/artifacts/`` (not committed).

Skipped, with the reason in the summary, when ``/usr/bin/chromium`` or the ``playwright``
package is absent (``make test`` installs Debian's chromium when it can)."""

from __future__ import annotations

import copy
import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from credentials import transport
from tests.test_web import Site, build_site

CHROMIUM = Path("/usr/bin/chromium")
ARTIFACTS = Path(__file__).resolve().parent / "artifacts"

if not CHROMIUM.exists():
    pytest.skip(
        f"no system Chromium at {CHROMIUM} (apt-get install chromium)", allow_module_level=True
    )
sync_api = pytest.importorskip(
    "playwright.sync_api", reason="the playwright package is not installed"
)


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Site]:
    yield from build_site(tmp_path_factory.mktemp("browser"))


@pytest.fixture(scope="module")
def page(site: Site) -> Iterator[Any]:
    ARTIFACTS.mkdir(exist_ok=True)
    with sync_api.sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), headless=True)
        try:
            page = browser.new_page(base_url=site.running.url)
            page.set_default_timeout(15_000)
            yield page
        finally:
            browser.close()


def mark_of(page: Any, check: str) -> str:
    text: str = page.locator(f'tr[data-check="{check}"] .mark').inner_text()
    return text.strip()


def upload(page: Any, tmp_path: Path, name: str, document: dict[str, Any]) -> None:
    source = tmp_path / name
    source.write_text(json.dumps(document), encoding="utf-8")
    page.goto("/verify")
    page.set_input_files("#file", str(source))
    page.click("#submit")


def test_upload_a_valid_credential(page: Any, site: Site, tmp_path: Path) -> None:
    upload(page, tmp_path, "valid.json", site.valid)
    assert page.locator("#verdict").inner_text().startswith("✔ Verified")
    assert mark_of(page, "proof") == "passed"
    assert mark_of(page, "status") == "passed"
    page.screenshot(path=str(ARTIFACTS / "verify-valid.png"), full_page=True)


def test_upload_a_tampered_credential(page: Any, site: Site, tmp_path: Path) -> None:
    tampered = copy.deepcopy(site.valid)
    tampered["credentialSubject"]["achievement"]["name"] = "Brain surgery"
    upload(page, tmp_path, "tampered.json", tampered)
    assert page.locator("#verdict").inner_text().startswith("✘ Not verified")
    assert mark_of(page, "proof") == "FAILED"
    color = page.locator('tr[data-check="proof"] .mark').evaluate(
        "e => getComputedStyle(e).backgroundColor"
    )
    assert color == "rgb(207, 34, 46)"  # red
    page.screenshot(path=str(ARTIFACTS / "verify-tampered.png"), full_page=True)


def test_paste_a_qr_payload(page: Any, site: Site) -> None:
    page.goto("/verify")
    page.fill("#text", transport.encode_payload(site.valid))
    page.click("#submit")
    assert page.locator("#verdict").inner_text().startswith("✔ Verified")
    page.screenshot(path=str(ARTIFACTS / "verify-qr.png"), full_page=True)


def test_bad_input_shows_an_error(page: Any) -> None:
    page.goto("/verify")
    page.fill("#text", "not a credential")
    with page.expect_response("**/verify") as answer:
        page.click("#submit")
    assert answer.value.status == 400
    assert page.locator(".error").is_visible()


def test_cv_lists_a_revoked_claim_as_revoked(page: Any, site: Site) -> None:
    page.goto(f"/cv/{site.persona}")
    revoked = page.locator(".claim", has_text="TIG welding").locator(".status")
    assert revoked.text_content().strip() == "revoked"
    assert revoked.inner_text().strip() == "REVOKED"
    # shown in capitals and red, whatever the markup says
    style = revoked.evaluate("e => [getComputedStyle(e).color, getComputedStyle(e).textTransform]")
    assert style == ["rgb(207, 34, 46)", "uppercase"]
    assert page.locator(".claim .qr svg").count() == 2
    page.screenshot(path=str(ARTIFACTS / "cv.png"), full_page=True)
    page.emulate_media(media="print")
    assert page.locator("nav").is_hidden()
    page.screenshot(path=str(ARTIFACTS / "cv-print.png"), full_page=True)
    page.emulate_media(media="screen")
