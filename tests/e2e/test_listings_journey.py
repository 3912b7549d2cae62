"""Publishing from the browser (Debian's Chromium driven by Playwright) against the live app and a real RQ worker:
install -> connect TikTok -> publishing setup (readiness, package defaults) -> pick products -> preview TikTok's
check -> publish the ones that passed -> see them live on the TikTok sandbox, their SKUs linked."""
from __future__ import annotations

import pytest
from playwright.sync_api import expect
from sqlalchemy import func, select

from shopsync.extensions import db
from shopsync.models import Listing, Product, ProductLink, Tenant, Variant
from tests.e2e.test_merchant_journey import in_app, shot, wait_until
from tests.support.journeys import give_seller_new_shops
from tests.support.worker import running_worker

pytestmark = pytest.mark.e2e
PRODUCTS = ("Classic Tee", "Sunset Mug")


@pytest.fixture
def worker(monkeypatch):
    monkeypatch.setenv("LISTING_FOLLOW_SECONDS", "1")
    with running_worker() as process:
        yield process


def test_publish_from_the_browser_and_see_the_listings_live(app, shopify_sandbox, tiktok_sandbox, shop_domain,
                                                            worker, page):  # noqa: F811
    base = app.config["PUBLIC_URL"]
    give_seller_new_shops(tiktok_sandbox)
    tiktok_sandbox.listing_desk.audit_seconds = 1.0

    page.goto(base + "/login")
    page.get_by_label("Store address", exact=False).fill(shop_domain)
    page.get_by_role("button", name="Continue with Shopify").click()
    for _ in range(2):
        page.wait_for_url(lambda url: "/admin/oauth/authorize" in url or url.startswith(base))
        if "/admin/oauth/authorize" not in page.url:
            break
        page.get_by_role("button", name="Install").click()
    page.wait_for_url(base + "/")
    page.get_by_role("link", name="Integrations").click()
    page.get_by_role("button", name="Connect TikTok Shop").click()
    page.get_by_role("button", name="Approve").click()
    page.wait_for_url(base + "/integrations")
    tenant_id = in_app(app, lambda: db.session.execute(
        select(Tenant.id).where(Tenant.shop_domain == shop_domain)).scalar_one())
    wait_until(lambda: in_app(app, lambda: db.session.execute(select(func.count(Product.id)).where(
        Product.tenant_id == tenant_id)).scalar_one() >= 36), "the Shopify catalog to import")

    # The shop's publishing setup: TikTok's readiness, then package defaults for products without them.
    page.get_by_role("link", name="Listings", exact=True).click()
    page.get_by_role("link", name="Publishing setup: ShopSync Demo US").click()
    page.get_by_role("button", name="Check readiness with TikTok now").click()
    expect(page.locator(".readiness-ok")).to_contain_text("Ready")
    page.get_by_label("Length").first.fill("30")
    page.get_by_label("Width").first.fill("20")
    page.get_by_label("Height").first.fill("5")
    page.get_by_role("button", name="Save settings").click()
    expect(page.locator(".flash-success")).to_contain_text("Publishing settings saved")
    shot(page, "listings-01-shop-setup")

    # Pick two products and preview TikTok's check: nothing is created yet.
    page.get_by_role("link", name="Listings", exact=True).click()
    page.get_by_role("link", name="Publish products").click()
    for title in PRODUCTS:
        page.get_by_label(f"Select {title}").check()
    shot(page, "listings-02-pick")
    page.get_by_role("button", name="Preview TikTok's check").click()
    publish_passed = page.get_by_role("button", name="Publish the 2 that passed")
    expect(publish_passed).to_be_visible()
    expect(page.locator("tr[data-state=draft]")).to_have_count(2)
    assert not tiktok_sandbox.calls(path="/product/202309/products", method="POST")
    shot(page, "listings-03-preview")

    # Publish: the listings go to TikTok's review, then live, without a reload.
    publish_passed.click()
    expect(page.locator("tr[data-state=live]")).to_have_count(2)
    shot(page, "listings-04-live")
    live = {p.title for shop in tiktok_sandbox.shops for p in shop.products.values() if p.status == "ACTIVATE"}
    assert set(PRODUCTS) <= live
    creates = [c for c in tiktok_sandbox.calls(path="/product/202309/products", method="POST") if c.code == 0]
    assert sorted(c.body["title"] for c in creates) == sorted(PRODUCTS)

    def linked():
        links = db.session.execute(select(func.count(ProductLink.id)).where(
            ProductLink.tenant_id == tenant_id)).scalar_one()
        variants = db.session.execute(select(func.count(Variant.id)).join(
            Listing, Listing.product_id == Variant.product_id).where(Listing.tenant_id == tenant_id)).scalar_one()
        return links == variants > 0
    wait_until(lambda: in_app(app, linked), "every SKU linked")
    page.locator("tr[data-state=live] a").first.click()
    expect(page.locator("#listing-state")).to_have_text("Live")
