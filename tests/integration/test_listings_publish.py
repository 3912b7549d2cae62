"""Publishing Shopify products to the TikTok sandbox through the engine: checked, created once, linked, audited."""
from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import func, select

from shopsync.extensions import db
from shopsync.models import Listing, ListingImage, ProductLink, TikTokSku, Variant, WebhookEvent, utcnow
from shopsync.sandbox.tiktok.listing_desk import AuditScript
from shopsync.sync.connections.tiktok_webhooks import subscribe_shop_events
from shopsync.sync.listings import audit
from shopsync.sync.listings.content import push_content_edits
from shopsync.sync.listings.facts import recheck_categories
from shopsync.sync.listings.publish import Publisher
from tests.support.listings import publishing_store
from tests.support.shopify_import import run_jobs
from tests.support.sync_journey import wait_for


@pytest.fixture
def store(app_context, client, app, tiktok_sandbox, shop_domain):
    tiktok_sandbox.clear_faults()
    return publishing_store(client, app, tiktok_sandbox, shop_domain)


def _creates(tiktok_sandbox):
    return [c for c in tiktok_sandbox.calls(path="/product/202309/products", method="POST") if c.code == 0]


def test_demo_products_are_checked_created_once_linked_and_go_live(store, tiktok_sandbox):
    products = store.products("Classic Tee", "Sunset Mug", "Retro Sneakers")
    outcome = Publisher(store.integration).publish(products)
    assert len(outcome.submitted) == 3 and not outcome.blocked, db.session.execute(
        select(Listing.problems)).scalars().all()
    assert len(_creates(tiktok_sandbox)) == 3
    listings = db.session.execute(select(Listing).where(Listing.tenant_id == store.tenant_id)).scalars().all()
    assert {listing.category_path.rsplit(" > ")[-1] for listing in listings} >= {"Mugs"}
    variants = db.session.execute(select(func.count(Variant.id)).where(
        Variant.product_id.in_([p.id for p in products]))).scalar_one()
    links = db.session.execute(select(ProductLink).where(ProductLink.tenant_id == store.tenant_id)).scalars().all()
    assert len(links) == variants and all(link.dirty for link in links)
    images = db.session.execute(select(func.count(ListingImage.id)).where(
        ListingImage.tiktok_integration_id == store.tiktok_integration_id)).scalar_one()
    uploads = [c for c in tiktok_sandbox.calls(path="/product/202309/images/upload") if c.code == 0]
    assert images == len(uploads) > 0
    wait_for(lambda: sum(audit.follow(store.integration).values()) >= 0 and all(
        listing.state == "live" for listing in db.session.execute(select(Listing)).scalars()
        if listing.tenant_id == store.tenant_id), timeout=10, every=0.3)
    again = Publisher(store.integration).publish(products)
    assert len(again.skipped) == 3 and len(_creates(tiktok_sandbox)) == 3
    sku_count = db.session.execute(select(func.count(TikTokSku.id)).where(
        TikTokSku.integration_id == store.tiktok_integration_id)).scalar_one()
    assert sku_count == variants


def test_a_new_mandatory_attribute_flags_the_listings_of_that_category(store, tiktok_sandbox):
    tee, mug = store.products("Classic Tee", "Sunset Mug")
    publisher = Publisher(store.integration)
    assert len(publisher.publish([tee, mug]).submitted) == 2
    tiktok_sandbox.listing_desk.tree_revision = 1  # TikTok now requires Pattern (apparel) and Room (home)

    changed = recheck_categories(store.integration)

    listings = {listing.product_id: listing for listing in db.session.execute(
        select(Listing).where(Listing.tenant_id == store.tenant_id)).scalars()}
    assert set(changed) == {listings[tee.id].category_id, listings[mug.id].category_id}
    assert "Pattern" in listings[tee.id].attention and "Room" in listings[mug.id].attention
    other = store.products("Sunset Tee")[0]
    assert Publisher(store.integration).publish([other]).blocked  # checked against the new rules at once
    listing = db.session.execute(select(Listing).where(Listing.product_id == other.id)).scalar_one()
    assert any(p["message"].startswith("Pattern") for p in listing.problems)


def test_a_rejected_listing_is_fixed_and_resubmitted_as_an_edit_of_the_same_product(store, tiktok_sandbox):
    tee, = store.products("Retro Tee")
    tiktok_sandbox.listing_desk.scripts[f"gid://shopify/Product/{tee.shopify_id}"] = AuditScript(
        "reject", ["The main image shows a brand logo you are not authorized to use"])
    publisher = Publisher(store.integration)
    publisher.publish([tee])
    listing = db.session.execute(select(Listing).where(Listing.product_id == tee.id)).scalar_one()
    wait_for(lambda: audit.follow(store.integration) is not None and db.session.get(Listing, listing.id).state
             == "failed", timeout=10, every=0.3)
    db.session.refresh(listing)
    assert "brand logo" in listing.audit_reasons[-1]["reasons"][0]
    product_id = listing.tiktok_product_id
    tiktok_sandbox.listing_desk.scripts.clear()  # the merchant fixed the image in Shopify
    assert Publisher(store.integration).publish([tee]).submitted == [listing.id]  # publishing again resubmits
    db.session.refresh(listing)
    assert listing.state == "pending" and listing.tiktok_product_id == product_id
    assert tiktok_sandbox.calls(path=f"/product/202309/products/{product_id}", method="PUT")
    wait_for(lambda: audit.follow(store.integration) is not None and db.session.get(Listing, listing.id).state
             == "live", timeout=10, every=0.3)
    assert len(_creates(tiktok_sandbox)) == 1


def test_content_edits_in_shopify_reach_tiktok_as_partial_edits_when_the_shop_keeps_them_in_step(
        store, tiktok_sandbox, shopify_sandbox):
    mug, = store.products("Forest Mug")
    publisher = Publisher(store.integration)
    publisher.publish([mug])
    assert push_content_edits(Publisher(store.integration)) == 0  # the option is off by default
    publisher.shop.keep_content_in_step = True
    db.session.commit()
    shopify_sandbox.update_product(store.shop, mug.shopify_id, title="Forest Mug, Stoneware, 350 ml")
    mug.shopify_updated_at = utcnow() + timedelta(seconds=1)  # what the products/update webhook stores
    db.session.commit()

    assert push_content_edits(Publisher(store.integration)) == 1

    edits = tiktok_sandbox.calls(method="POST")
    edit = next(c for c in edits if c.path.endswith("/partial_edit"))
    assert set(edit.body) == {"title", "description", "main_images"}
    assert edit.body["title"] == "Forest Mug, Stoneware, 350 ml"
    assert push_content_edits(Publisher(store.integration)) == 0  # nothing changed since


def test_tiktoks_product_status_webhook_takes_a_listing_live_without_waiting_for_the_poll(store, tiktok_sandbox, app):
    assert set(subscribe_shop_events(store.integration)) >= {"PRODUCT_STATUS_CHANGE", "PRODUCT_AUDIT_STATUS_CHANGE"}
    product, = store.products("Sunset Mug")
    assert len(Publisher(store.integration).publish([product]).submitted) == 1
    listing = db.session.execute(select(Listing).where(Listing.product_id == product.id)).scalar_one()
    assert listing.state == "pending"

    def applied_live() -> bool:
        run_jobs(app, "shopsync.jobs.orders.process_tiktok_webhooks")
        db.session.expire_all()
        return db.session.get(Listing, listing.id).state == "live"
    wait_for(applied_live, timeout=15, every=0.3, message="the status webhook to take the listing live")
    outcomes = db.session.execute(select(WebhookEvent.outcome).where(
        WebhookEvent.platform == "tiktok", WebhookEvent.shop == store.tiktok_shop_id)).scalars().all()
    assert "live" in outcomes
