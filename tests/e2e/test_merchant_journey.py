"""The main journey in a real browser (Debian's Chromium driven by Playwright) against the live app.

Install from the Shopify sandbox -> connect the TikTok sandbox -> both catalogs import (real RQ worker
subprocess) -> auto-link with a preview -> stock changes in Shopify and the link page shows the new
TikTok stock without a reload -> TikTok puts the product under review, the next push is refused, and
the merchant sees the error on the page and gets an email (real SMTP on loopback).
"""
from __future__ import annotations

import re
import time
from pathlib import Path

import pytest
from playwright.sync_api import Page, expect
from sqlalchemy import select, update

from shopsync.extensions import db
from shopsync.models import Integration, Location, ProductLink, Tenant, TikTokProduct, TikTokSku, Variant
from tests.support.journeys import give_seller_new_shops
from tests.support.mail import mailbox, text_part  # noqa: F401  (mailbox is a fixture)
from tests.support.worker import running_worker

pytestmark = pytest.mark.e2e

SCREENSHOTS = Path(__file__).resolve().parents[2] / "artifacts" / "screenshots"


@pytest.fixture
def worker_with_mail(app, mailbox, monkeypatch):  # noqa: F811  (the fixture above)
    """A real `rq worker` subprocess that sends its emails to this test's SMTP server."""
    monkeypatch.setenv("MAIL_ENABLED", "1")
    monkeypatch.setenv("MAIL_SERVER", "127.0.0.1")
    monkeypatch.setenv("MAIL_PORT", str(app.config["MAIL_PORT"]))
    monkeypatch.setenv("MAIL_USE_TLS", "0")
    with running_worker() as process:
        yield process


def shot(page: Page, name: str) -> None:
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / f"{name}.png"), full_page=True)


def wait_until(check, what: str, timeout: float = 60.0):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        found = check()
        if found:
            return found
        time.sleep(0.25)
    raise AssertionError(f"timed out waiting for {what}")


def in_app(app, fn):
    with app.app_context():
        try:
            return fn()
        finally:
            db.session.remove()


def test_install_connect_link_sync_and_see_failures(app, shopify_sandbox, tiktok_sandbox, shop_domain, mailbox,
                                                   worker_with_mail, page):  # noqa: F811
    base = app.config["PUBLIC_URL"]
    give_seller_new_shops(tiktok_sandbox)

    # Install from Shopify: the login page sends the merchant through the sandbox's grant pages.
    page.goto(base + "/login")
    page.get_by_label("Store address", exact=False).fill(shop_domain)
    page.get_by_role("button", name="Continue with Shopify").click()
    for _ in range(2):  # install (offline token), then who is logging in (online token)
        page.wait_for_url(lambda url: "/admin/oauth/authorize" in url or url.startswith(base))
        if "/admin/oauth/authorize" not in page.url:
            break
        page.get_by_role("button", name="Install").click()
    page.wait_for_url(base + "/")
    expect(page.get_by_role("heading", name="Connected stores")).to_be_visible()

    # Connect TikTok Shop through the seller authorization page.
    page.get_by_role("link", name="Integrations").click()
    page.get_by_role("button", name="Connect TikTok Shop").click()
    page.get_by_role("button", name="Approve").click()
    # The integrations page, or the UK shop's rate prompt when the store's currency is already imported.
    page.wait_for_url(lambda url: url.startswith(base + "/integrations"))
    expect(page.locator(".flash-success")).to_contain_text("Connected TikTok Shop")

    tenant_id = in_app(app, lambda: db.session.execute(
        select(Tenant.id).where(Tenant.shop_domain == shop_domain)).scalar_one())
    wait_until(lambda: in_app(app, lambda: db.session.execute(
        select(Integration.id).where(Integration.tenant_id == tenant_id, Integration.last_import_at.is_(None))
    ).first() is None and len(db.session.execute(select(Integration.id).where(
        Integration.tenant_id == tenant_id)).all()) >= 2), "both catalogs to import")
    # The store sells in USD; the seller's UK shop in GBP: without a rate its prices would not sync.
    in_app(app, lambda: (db.session.execute(update(Integration).where(
        Integration.tenant_id == tenant_id, Integration.currency == "GBP").values(
        defaults={"currency_rate": "0.79"})), db.session.commit()))
    page.goto(base + "/")
    shot(page, "01-dashboard-after-connect")

    # Auto-link by SKU: preview first, then confirm.
    page.get_by_role("link", name="Links").click()
    page.get_by_role("button", name="Auto-link by SKU or barcode").click()
    page.get_by_label("SKU (seller SKU on TikTok)").check()
    page.get_by_role("button", name="Preview matches").click()
    preview = page.locator("#auto-preview")
    expect(preview).to_contain_text("to link")
    shot(page, "02-auto-link-preview")
    matches = preview.locator("input[name=pair]").count()
    assert matches > 0
    page.get_by_role("button", name="Link ").click()
    page.wait_for_url(base + "/product-links")
    expect(page.locator(".flash-success")).to_contain_text("Linked")
    expect(page.locator("tbody tr")).to_have_count(min(matches, 50))

    # The first push settles every link; the list's badges update in place.
    wait_until(lambda: in_app(app, lambda: db.session.execute(select(ProductLink.id).where(
        ProductLink.tenant_id == tenant_id, ProductLink.state != "ok")).first() is None), "the first push")
    expect(page.locator(".link-state .badge-pending")).to_have_count(0)
    expect(page.locator(".link-state .badge-ok")).to_have_count(min(matches, 50))
    page.reload()  # the pushed values in the other columns
    shot(page, "03-links-list")

    # One link: its stock follows Shopify without a reload.
    link_id, variant_shopify_id, tiktok_product_id = in_app(app, lambda: db.session.execute(
        select(ProductLink.id, Variant.shopify_id, TikTokProduct.tiktok_id)
        .join(Variant, Variant.id == ProductLink.variant_id)
        .join(TikTokSku, TikTokSku.id == ProductLink.tiktok_sku_id)
        .join(TikTokProduct, TikTokProduct.id == TikTokSku.product_id)
        .where(ProductLink.tenant_id == tenant_id).order_by(ProductLink.id)).first())
    page.goto(f"{base}/product-links/{link_id}")
    stock = page.locator("#link-status [data-field=quantity]")
    expect(page.locator("#link-status [data-state]")).to_have_attribute("data-state", "ok")
    expect(stock).to_have_text(re.compile(r"^\d+$"))
    before = int(stock.inner_text())
    _, variant = shopify_sandbox.shop(shop_domain).variant(variant_shopify_id)
    levels = dict(variant.levels)
    active = set(in_app(app, lambda: db.session.execute(select(Location.shopify_id).where(
        Location.tenant_id == tenant_id, Location.is_active.is_(True))).scalars()))
    location_id = min(location for location in levels if location in active)
    page.evaluate("window.__sameDocument = true")

    shopify_sandbox.set_stock(shop_domain, location_id, levels[location_id] + 7, variant_id=variant_shopify_id)
    expect(stock).to_have_text(str(before + 7))
    assert page.evaluate("window.__sameDocument === true"), "the page reloaded"
    shot(page, "04-link-page-synced")

    # TikTok refuses the next update permanently: the link page shows it, and an email goes out.
    tiktok_sandbox.set_under_review(tiktok_product_id)
    shopify_sandbox.set_stock(shop_domain, location_id, levels[location_id] + 2, variant_id=variant_shopify_id)
    error = page.locator("#link-status [data-field=error]")
    expect(error).to_contain_text("under review")
    expect(page.locator("#link-status [data-state]")).to_have_attribute("data-state", "error")
    assert page.evaluate("window.__sameDocument === true"), "the page reloaded"
    expect(page.locator("#link-history")).to_contain_text("under review")
    shot(page, "05-link-page-failed")

    recipient = in_app(app, lambda: db.session.get(Tenant, tenant_id).alert_email)
    assert recipient, "the store owner's email becomes the alert address at install"
    emails = mailbox.wait_for(recipient, 1, timeout=30)
    assert emails, "no failure email arrived"
    assert "under review" in text_part(emails[0])

    # The failure is on the dashboard with a way to fix it, and in the sync logs with TikTok's request id.
    page.get_by_role("link", name="Dashboard").click()
    failures = page.locator("section[aria-labelledby=failures-heading]")
    expect(failures).to_contain_text("under review")
    expect(failures.get_by_role("link", name="Open the link").first).to_have_attribute(
        "href", f"/product-links/{link_id}")
    shot(page, "06-dashboard-with-failure")
    page.get_by_role("link", name="Sync logs").click()
    page.get_by_label("Result").select_option("error")
    page.get_by_role("button", name="Filter").click()
    expect(page.locator(".logs-table")).to_contain_text("under review")
    shot(page, "07-sync-logs-failed")
