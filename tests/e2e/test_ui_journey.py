"""The merchant UI in a real browser (Debian's Chromium) on the embedded default, at 1366x900 and 390x844.

Try the demo (three clicks) -> the setup checklist ticks itself -> a stock change shows on the links list
without a reload -> honest states: price held for a currency rate (and the prompt that sets it), retrying,
failing in the merchant's words, not syncing for a disconnected shop -> confirmations with counts and undo
-> the page of a link that is gone -> Post/Redirect/Get for CSV and API keys -> logs searched by SKU -> every
page on a phone without horizontal scroll. axe-core checks every page: no serious or critical violation.
Screenshots go to artifacts/ui-journey/.
"""
from __future__ import annotations

import re
import sqlite3
from pathlib import Path

import pytest
import requests
from axe_playwright_python.sync_playwright import Axe
from playwright.sync_api import Page, expect

from tests.support.browser import chromium
from tests.support.embedded import ROOT, serving
from tests.support.redis_server import free_port

pytestmark = pytest.mark.e2e

ARTIFACTS = ROOT / "artifacts" / "ui-journey"
DESKTOP = {"width": 1366, "height": 900}
PHONE = {"width": 390, "height": 844}
WAIT_MS = 90_000
DEMO = "demo-store.myshopify.com"
expect.set_options(timeout=WAIT_MS)
AXE = Axe()


@pytest.fixture
def app_url(tmp_path):
    # The journey makes TikTok fail on purpose: the retried flush's TransientError is expected in the log.
    with serving(tmp_path, free_port(), expected_errors=("TransientError",)) as base:
        yield base, tmp_path


@pytest.fixture
def browser():
    with chromium() as browser:
        yield browser


class Journey:
    """One browser tab plus what every page of the journey is checked for."""

    def __init__(self, page: Page, base: str, instance: Path, label: str):
        self.page, self.base, self.instance, self.label = page, base, instance, label
        self.errors: list[str] = []
        page.on("console", lambda message: message.type == "error" and self.errors.append(message.text))
        page.set_default_timeout(WAIT_MS)
        self.checked: list[str] = []

    def go(self, path: str) -> Page:
        self.page.goto(self.base + path)
        return self.page

    def check(self, name: str) -> None:
        """Screenshot, axe-core (no serious or critical violation), and on a phone no horizontal scroll."""
        page = self.page
        page.wait_for_load_state("networkidle")
        ARTIFACTS.mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(ARTIFACTS / f"{self.label}-{name}.png"), full_page=True)
        violations = [v for v in AXE.run(page).response["violations"] if v["impact"] in ("serious", "critical")]
        assert not violations, f"{name}: " + "; ".join(
            f"{v['id']} ({v['impact']}): {[n['target'] for n in v['nodes']][:3]}" for v in violations)
        overflow = page.evaluate("document.documentElement.scrollWidth - window.innerWidth")
        assert overflow <= 0, f"{name}: {overflow}px of horizontal scroll at {page.viewport_size['width']}px"
        self.checked.append(name)

    def same_document(self) -> None:
        self.page.evaluate("window.__sameDocument = true")

    def assert_not_reloaded(self) -> None:
        assert self.page.evaluate("window.__sameDocument === true"), "the page reloaded"

    def sql(self, query: str, *args):
        with sqlite3.connect(self.instance / "shopsync.db") as db:
            return db.execute(query, args).fetchall()

    def control(self, method: str, path: str, **body) -> dict:
        answer = requests.request(method, f"{self.base}/sandbox{path}", json=body or None, timeout=10)
        answer.raise_for_status()
        return answer.json()


def _link_of(journey: Journey, sku: str, shop: str) -> tuple[int, int, str, dict]:
    """(link id, Shopify variant id, TikTok product id, stock levels) of the link feeding `shop` from `sku`."""
    [(link_id, variant_id, product_id)] = journey.sql(
        "SELECT l.id, v.shopify_id, p.tiktok_id FROM product_links l JOIN variants v ON v.id = l.variant_id "
        "JOIN tiktok_skus s ON s.id = l.tiktok_sku_id JOIN tiktok_products p ON p.id = s.product_id "
        "JOIN integrations i ON i.id = l.tiktok_integration_id WHERE v.sku = ? AND i.name = ?", sku, shop)
    [variant] = journey.control("GET", f"/shopify/_control/shops/{DEMO}/variants?sku={sku}")
    return link_id, variant_id, product_id, variant["levels"]


def _set_stock(journey: Journey, variant_id: int, location: str, available: int) -> None:
    journey.control("POST", f"/shopify/_control/shops/{DEMO}/inventory", variant_id=variant_id,
                    location_id=int(location), available=available)


def test_ui_journey(app_url, browser, tmp_path):
    base, instance = app_url
    desktop = browser.new_context(viewport=DESKTOP, accept_downloads=True)
    j = Journey(desktop.new_page(), base, instance, "desktop")
    page = j.page

    # ---- Try the demo: three clicks ------------------------------------------------------------------
    j.go("/login")
    j.check("01-first-page")
    page.get_by_role("button", name="Try the demo").click()
    page.get_by_role("button", name="Install").click()  # the Shopify grant page, shown once
    page.get_by_role("button", name="Approve").click()  # the TikTok seller authorization
    page.wait_for_url(base + "/")
    expect(page.locator(".flash-success").last).to_contain_text("Demo ready")

    # ---- Onboarding: the checklist ticks itself, live -------------------------------------------------
    j.same_document()
    expect(page.locator("[data-step=connect]")).to_have_attribute("data-done", "yes")
    expect(page.locator("[data-step=import]")).to_have_attribute("data-done", "yes")
    expect(page.locator("[data-step=link]")).to_have_attribute("data-done", "yes")
    j.assert_not_reloaded()
    # The UK shop sells in GBP: the dashboard asks for a rate, and its links read "Price held", not failing.
    expect(page.locator("[data-field=currency-prompt]").first).to_contain_text("GBP")
    expect(page.locator(".stat-held strong")).not_to_have_text("0")
    j.check("02-dashboard-checklist")

    # ---- A live change on a 200-link page, without a reload ------------------------------------------
    link_id, variant_id, product_id, levels = _link_of(j, "SS-0001-M", "ShopSync Demo US")
    j.go("/product-links?size=200")
    pushed = page.locator(f"#link-pushed-{link_id}")
    expect(page.locator(f"#link-state-{link_id} [data-state]")).to_have_attribute("data-state", "ok")
    expect(pushed).to_contain_text("USD")  # prices carry their currency
    j.same_document()
    location, before = sorted(levels.items())[0]
    expected = sum(levels.values()) + 11  # every location counts by default
    _set_stock(j, variant_id, location, before + 11)
    expect(pushed).to_contain_text(f"{expected} in stock")
    j.assert_not_reloaded()
    uk_id, *_ = _link_of(j, "SS-0001-M", "ShopSync Demo UK")
    expect(page.locator(f"#link-state-{uk_id}")).to_contain_text("Price held — set a currency rate")
    j.check("03-links-live")

    # ---- The currency prompt sets the rate; the held links sync --------------------------------------
    j.go("/")
    page.locator("[data-field=currency-prompt] a").first.click()
    expect(page.locator("#rate-heading")).to_have_text("Set a currency rate")
    j.check("04-currency-rate-prompt")
    page.get_by_label(re.compile(r"^1 USD =")).fill("0.79")
    page.get_by_role("button", name="Save the rate").click()
    j.go(f"/product-links/{uk_id}")
    expect(page.locator("#link-status [data-state]")).to_have_attribute("data-state", "ok")
    expect(page.locator("#link-status [data-field=price]")).to_contain_text("GBP")

    # ---- Retrying, in words, with the count and the next try ------------------------------------------
    j.go(f"/product-links/{link_id}")
    j.same_document()
    j.control("POST", "/tiktok/_control/faults", kind="server_error", probability=1.0)
    _set_stock(j, variant_id, location, before + 3)
    state = page.locator("#link-status")
    expect(state).to_contain_text(re.compile(r"Retrying \(\d+ failures?, next try \d\d:\d\d\)"))
    expect(state).to_contain_text("TikTok had an internal error.")
    j.check("05-link-retrying")
    j.control("DELETE", "/tiktok/_control/faults")
    expect(page.locator("#link-status [data-state]")).to_have_attribute("data-state", "ok")
    j.assert_not_reloaded()

    # ---- Failing, in the merchant's words, raw code on a details line --------------------------------
    j.control("POST", f"/tiktok/_control/products/{product_id}/review", under_review=True)
    _set_stock(j, variant_id, location, before + 5)
    expect(state).to_contain_text("TikTok doesn't allow changes to this product right now")
    expect(state.locator(".details-line")).to_contain_text("code 12052901")
    j.assert_not_reloaded()
    j.check("06-link-failing")
    j.go("/")
    failing = page.locator("section[aria-labelledby=failures-heading]")
    expect(failing.locator(f'a[href="/product-links/{link_id}"]')).to_have_count(1)  # one row per link
    j.check("07-dashboard-failing-now")
    j.control("POST", f"/tiktok/_control/products/{product_id}/review", under_review=False)

    # ---- Confirmations with counts, and undo ---------------------------------------------------------
    j.go(f"/product-links/{link_id}")
    page.get_by_role("button", name="Unlink…").click()
    dialog = page.get_by_role("alertdialog")
    expect(dialog).to_contain_text("Unlink 1 link?")
    j.check("08-confirm-unlink")
    dialog.get_by_role("button", name="Unlink 1 link").click()
    page.wait_for_url(base + "/product-links")
    expect(page.locator(".flash-success")).to_contain_text("Unlinked 1 link.")
    j.go(f"/product-links/{link_id}")
    expect(page.get_by_role("heading", name="This link no longer exists")).to_be_visible()
    j.check("09-link-gone")
    j.go("/product-links")
    page.get_by_role("button", name="Undo unlinking 1 link").click()
    expect(page.locator("#bulk-feedback")).to_contain_text("Linked 1 link again")

    total = j.sql("SELECT count(*) FROM product_links")[0][0]
    page.get_by_label(re.compile("Every link matching the filters")).check()
    page.get_by_role("button", name="Pause", exact=True).click()
    dialog = page.get_by_role("alertdialog")
    expect(dialog).to_contain_text(f"Pause {total} links?")
    dialog.get_by_role("button", name=f"Pause {total} links").click()
    expect(page.locator("#bulk-feedback")).to_contain_text(f"Paused {total} links.")
    page.get_by_role("button", name=f"Undo pausing {total} links").click()
    expect(page.locator("#bulk-feedback")).to_contain_text(f"Resumed {total} links.")

    # ---- Not syncing: a disconnected shop's links do not count as in sync ---------------------------
    j.go("/integrations")
    uk_row = page.locator("tr", has_text="ShopSync Demo UK")
    uk_row.get_by_text("Disconnect…").click()
    uk_row.get_by_role("button", name=re.compile("Yes, disconnect")).click()
    uk_links = j.sql("SELECT count(*) FROM product_links l JOIN integrations i ON i.id = l.tiktok_integration_id "
                     "WHERE i.name = 'ShopSync Demo UK'")[0][0]
    j.go("/")
    expect(page.locator(".stat-disconnected strong")).to_have_text(str(uk_links))
    expect(page.locator(".stat-ok strong")).to_have_text(str(total - uk_links))
    j.go(f"/product-links/{uk_id}")
    expect(page.locator("#link-status")).to_contain_text("Not syncing — TikTok shop disconnected")
    j.check("10-link-not-syncing")

    # ---- CSV: titles and safe ids out, seller SKU as the key in, previews by Post/Redirect/Get --------
    j.go("/product-links")
    with page.expect_download() as download:
        page.get_by_role("button", name="Export CSV").click()
    exported = Path(download.value.path()).read_text()
    header = exported.splitlines()[0].split(",")
    assert {"shopify_title", "tiktok_title"} <= set(header)
    assert re.search(r"#\d{19}", exported)  # TikTok's 19-digit ids keep every digit in a spreadsheet
    csv_file = tmp_path / "links.csv"
    csv_file.write_text(exported)  # the export reads back as it is
    page.get_by_role("button", name="Import CSV").click()
    page.set_input_files("#csv-file", str(csv_file))
    page.get_by_role("button", name="Preview import").click()
    page.wait_for_url(re.compile(r"/product-links/import/preview/"))
    page.reload()  # a GET: no "Confirm Form Resubmission", nothing saved
    expect(page.locator("#csv-preview-heading")).to_be_visible()
    j.check("11-csv-preview")
    page.get_by_role("button", name=re.compile("^Save")).click()
    expect(page.locator(".flash-success")).to_contain_text("changed")

    # ---- API key: created once, shown once, with a copy button --------------------------------------
    j.go("/settings")
    page.locator("#key-name").fill("Stock script")
    page.get_by_role("button", name="Create API key").click()
    expect(page.locator("#new-key-value")).to_have_value(re.compile(r"^ss_"))
    expect(page.get_by_role("button", name="Copy")).to_be_visible()
    j.check("12-api-key-once")
    page.reload()
    expect(page.locator("#new-key-value")).to_have_count(0)
    assert j.sql("SELECT count(*) FROM api_keys")[0][0] == 1  # the reload made no second key

    # ---- Logs: variant, SKU and shop, searched by SKU -----------------------------------------------
    j.go("/sync-logs?sku=SS-0001-M")
    rows = page.locator("[data-field=log-sku]")
    expect(rows.first).to_contain_text("SS-0001-M")
    assert all("SS-0001-M" in text for text in rows.all_inner_texts())
    j.check("13-logs-by-sku")
    for path, name in (("/products", "14-products"), ("/product-links/auto", "15-auto-link"),
                       ("/integrations", "16-integrations")):
        j.go(path)
        j.check(name)
    assert not [e for e in j.errors if "Content Security Policy" in e], j.errors

    # ---- A phone: collapsible menu, tables as cards, no horizontal scroll, on every page -------------
    phone = browser.new_context(viewport=PHONE, storage_state=desktop.storage_state(), is_mobile=True,
                                has_touch=True)
    p = Journey(phone.new_page(), base, instance, "phone")
    p.go("/")
    menu = p.page.get_by_role("button", name="Menu")
    expect(menu).to_be_visible()
    expect(p.page.get_by_role("link", name="Sync logs")).to_be_hidden()
    p.check("01-dashboard")
    menu.click()
    expect(p.page.get_by_role("link", name="Sync logs")).to_be_visible()
    expect(p.page.get_by_role("button", name="Log out")).to_be_visible()
    p.check("02-menu-open")
    for path, name in (("/product-links", "03-links"), (f"/product-links/{uk_id}", "04-link"),
                       ("/integrations", "05-integrations"), ("/products", "06-products"),
                       ("/sync-logs", "07-logs"), ("/settings", "08-settings"), ("/product-links/auto", "09-auto"),
                       ("/product-links/import", "10-import"), ("/", "11-dashboard-again")):
        p.go(path)
        p.check(name)
    p.go("/product-links")
    first_row = p.page.locator(".links-table tbody tr").first
    assert first_row.evaluate("row => getComputedStyle(row).display") == "block"  # a card, not a table row
    expect(first_row.locator("[data-label=State]")).to_be_visible()
    phone.close()
    desktop.close()
    assert len(j.checked) >= 16 and len(p.checked) >= 11
