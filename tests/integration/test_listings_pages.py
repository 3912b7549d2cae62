"""The listing pages and API as a merchant uses them: readiness, preview, publish, states; all behind CSRF."""
from __future__ import annotations

import re

import pytest
import requests
from sqlalchemy import select

from shopsync.extensions import db
from shopsync.models import Listing
from shopsync.sandbox.tiktok.listing_desk import AuditScript
from shopsync.sync.listings import audit
from tests.support.listings import publishing_store
from tests.support.live import Poller, self_polling, watched
from tests.support.shopify_import import run_jobs
from tests.support.sync_journey import wait_for


@pytest.fixture
def store(app_context, client, app, tiktok_sandbox, shop_domain):
    tiktok_sandbox.clear_faults()
    return publishing_store(client, app, tiktok_sandbox, shop_domain)


def _csrf(client) -> str:
    page = client.get("/listings").get_data(as_text=True)
    return page.split('name="csrf_token" value="')[1].split('"')[0]


def test_shop_page_shows_failing_prerequisites_and_publishing_waits(store, client, app, servers, tiktok_sandbox):
    answer = requests.post(f"{servers['sandbox'].url}/tiktok/_control/listings/prerequisites", timeout=5,
                           json={"shop_id": store.tiktok_shop_id, "check_item": "SHIPPING_TEMPLATE",
                                 "fail_reasons": ["No shipping template"]})
    assert answer.status_code == 200
    token = _csrf(client)
    assert client.post(f"/listings/shops/{store.tiktok_integration_id}/readiness",
                       data={"csrf_token": token}).status_code == 302
    page = client.get(f"/listings/shops/{store.tiktok_integration_id}").get_data(as_text=True)
    assert "Shipping template" in page and "Create a shipping template in Seller Center" in page
    assert "Publishing waits" in page and "No shipping template" in page
    product = store.products("Classic Tee")[0]
    client.post("/listings/publish", data={"csrf_token": token, "tiktok_integration_id": store.tiktok_integration_id,
                                           "product_ids": [product.id], "action": "publish"})
    run_jobs(app, "shopsync.jobs.listings.publish_products")
    listing = db.session.execute(select(Listing).where(Listing.product_id == product.id)).scalar_one()
    assert listing.state == "queued" and not tiktok_sandbox.calls(path="/product/202309/products", method="POST")
    page = client.get("/listings?state=queued").get_data(as_text=True)
    assert "Classic Tee" in page and "Waiting to publish" in page


def test_forms_refuse_a_missing_csrf_token(store, client):
    answer = client.post("/listings/publish", data={"tiktok_integration_id": store.tiktok_integration_id,
                                                    "product_ids": ["1"]})
    assert answer.status_code == 400


def test_preview_then_publish_from_the_pages(store, client, app, tiktok_sandbox):
    token = _csrf(client)
    tee, mug = store.products("Classic Tee", "Sunset Mug")
    picker = client.get(f"/listings/new?shop={store.tiktok_integration_id}&q=Classic").get_data(as_text=True)
    assert "Classic Tee" in picker and "Sunset Mug" not in picker
    answer = client.post("/listings/publish", data={
        "csrf_token": token, "tiktok_integration_id": store.tiktok_integration_id,
        "product_ids": [tee.id, mug.id], "action": "preview"})
    assert answer.status_code == 302 and "run=" in answer.headers["Location"]
    assert run_jobs(app, "shopsync.jobs.listings.publish_products") == 1
    preview = client.get(answer.headers["Location"]).get_data(as_text=True)
    assert len(re.findall(r'data-listing="\d+" data-state="draft"', preview)) == 2  # checked, nothing created
    assert not tiktok_sandbox.calls(path="/product/202309/products", method="POST")
    listing = db.session.execute(select(Listing).where(Listing.product_id == tee.id)).scalar_one()
    detail = client.get(f"/listings/{listing.id}").get_data(as_text=True)
    assert "TikTok&#39;s listing check passed" in detail or "listing check passed" in detail
    assert "Graphic Tees" in detail or "T-shirts" in detail
    client.post("/listings/publish", data={"csrf_token": token, "tiktok_integration_id": store.tiktok_integration_id,
                                           "product_ids": [tee.id, mug.id], "action": "publish"})
    run_jobs(app, "shopsync.jobs.listings.publish_products")
    states = set(db.session.execute(select(Listing.state).where(Listing.tenant_id == store.tenant_id)).scalars())
    assert states == {"pending"}
    page = client.get("/listings").get_data(as_text=True)
    assert 'In TikTok&#39;s review (<span class="count" id="listing-count-pending">2</span>)' in page


def test_api_publishes_and_lists(store, client, app):
    token = _csrf(client)
    tee = store.products("Classic Tee")[0]
    refused = client.post("/api/listings", json={"tiktok_integration_id": store.tiktok_integration_id,
                                                 "product_ids": [tee.id, 999_999_999]}, headers={"X-CSRFToken": token})
    assert refused.status_code == 422 and "product_ids" in refused.get_data(as_text=True)
    answer = client.post("/api/listings", json={"tiktok_integration_id": store.tiktok_integration_id,
                                                "product_ids": [tee.id]}, headers={"X-CSRFToken": token})
    assert answer.status_code == 202 and answer.json["kind"] == "publish"
    run_jobs(app, "shopsync.jobs.listings.publish_products")
    listed = client.get("/api/listings?state=pending").json
    assert [item["product_title"] for item in listed["items"]] == ["Classic Tee"]
    assert listed["items"][0]["tiktok_product_id"]
    spec = client.get("/api/openapi.json").json
    assert {"get", "post"} <= set(spec["paths"]["/api/listings"])


def test_a_template_is_validated_and_saved_and_a_bad_one_explained(store, client):
    token = _csrf(client)
    shop = f"/listings/shops/{store.tiktok_integration_id}"
    bad = client.post(f"{shop}/templates", data={"csrf_token": token, "name": "Bad", "match_field": "colour"})
    assert bad.status_code == 422 and "Match on one of" in bad.get_data(as_text=True)
    bad = client.post(f"{shop}/templates", data={"csrf_token": token, "name": "Hoodies", "match_field": "tag",
                                                  "match_value": "", "category_id": "12a"})
    page = bad.get_data(as_text=True)
    assert bad.status_code == 422 and "Say which product type" in page and "is a number" in page
    good = client.post(f"{shop}/templates", data={
        "csrf_token": token, "name": "Mugs", "match_field": "product_type", "match_value": "Home",
        "category_id": "600090", "rule_attribute_id": ["100301", ""], "rule_source": ["metafield", "value"],
        "rule_value": ["custom.material", ""], "weight_value": "0.4", "weight_unit": "KILOGRAMS"})
    assert good.status_code == 302
    page = client.get(shop).get_data(as_text=True)
    assert "Mugs" in page and "100301 ← metafield custom.material" in page


def test_rejected_listings_show_tiktoks_reasons_and_are_resubmitted_from_the_page(store, client, app, tiktok_sandbox):
    token = _csrf(client)
    mug = store.products("Minimal Mug")[0]
    tiktok_sandbox.listing_desk.scripts[f"gid://shopify/Product/{mug.shopify_id}"] = AuditScript(
        "reject", ["The product image shows a watermark"])
    client.post("/listings/publish", data={"csrf_token": token, "tiktok_integration_id": store.tiktok_integration_id,
                                           "product_ids": [mug.id], "action": "publish"})
    run_jobs(app, "shopsync.jobs.listings.publish_products")
    listing = db.session.execute(select(Listing).where(Listing.product_id == mug.id)).scalar_one()
    wait_for(lambda: audit.follow(store.integration) is not None and db.session.get(Listing, listing.id).state
             == "failed", timeout=10, every=0.3)
    page = client.get("/listings?state=failed").get_data(as_text=True)
    assert "Minimal Mug" in page and "The product image shows a watermark" in page
    tiktok_sandbox.listing_desk.scripts.clear()
    answer = client.post("/listings/resubmit", data={"csrf_token": token, "listing_ids": [listing.id]})
    assert answer.status_code == 302
    assert run_jobs(app, "shopsync.jobs.listings.resubmit_listings") == 1
    db.session.refresh(listing)
    assert listing.state == "pending" and listing.audit_reasons == []


def test_a_check_run_and_its_listings_show_up_through_the_one_poll(store, client, app):
    token = _csrf(client)
    tee = store.products("Classic Tee")[0]
    answer = client.post("/listings/publish", data={"csrf_token": token, "tiktok_integration_id": store.tiktok_integration_id,
                                                    "product_ids": [tee.id], "action": "preview"})
    run_id = int(answer.headers["Location"].split("run=")[1])
    page = client.get(answer.headers["Location"]).get_data(as_text=True)
    assert self_polling(page) == 1  # the page's one live poll, nothing of its own
    assert watched(page) == [f"runs:{run_id}", f"listing_run:{run_id}", "listing_counts"]
    poller = Poller(client, page)
    waiting = poller.poll().get_data(as_text=True)
    assert 'id="listing-rows"' in waiting and "every 2s" in waiting  # the run is on its way: fast
    assert run_jobs(app, "shopsync.jobs.listings.publish_products") == 1
    checked = poller.poll().get_data(as_text=True)
    assert re.search(r'<tr id="listing-\d+" data-listing="\d+" data-state="draft"', checked)
    assert "Publish the 1 that passed" in checked and 'id="listing-count-draft" hx-swap-oob="true">1<' in checked
    assert "every 10s" in checked  # the check is over, nothing on its way
    assert poller.poll().status_code == 204


def test_a_listing_changing_shows_up_on_the_list_and_its_page(store, client, app):
    token = _csrf(client)
    tee = store.products("Classic Tee")[0]
    answer = client.post("/listings/publish", data={"csrf_token": token, "tiktok_integration_id": store.tiktok_integration_id,
                                                    "product_ids": [tee.id], "action": "preview"})
    run_jobs(app, "shopsync.jobs.listings.publish_products")
    listing = db.session.execute(select(Listing).where(Listing.product_id == tee.id)).scalar_one()
    page = client.get("/listings").get_data(as_text=True)
    assert self_polling(page) == 1 and watched(page) == [f"listings:{listing.id}", "listing_counts"]
    listed = Poller(client, page)
    detail = client.get(f"/listings/{listing.id}?run={answer.headers['Location'].split('run=')[1]}")
    assert detail.status_code == 200 and "run-progress" in detail.get_data(as_text=True)
    assert self_polling(detail.get_data(as_text=True)) == 1 and watched(detail.get_data(as_text=True)) == [
        f"listing:{listing.id}"]  # the run is over: its progress is no longer watched
    own = Poller(client, detail.get_data(as_text=True))
    for poller in (listed, own):
        assert "every 10s" in poller.poll().get_data(as_text=True)
        assert poller.poll().status_code == 204

    listing.state, listing.tiktok_product_id = "pending", "1729"
    db.session.commit()
    row = listed.poll().get_data(as_text=True)
    assert f'<tr id="listing-{listing.id}" data-listing="{listing.id}" data-state="pending"' in row
    assert 'id="listing-count-pending" hx-swap-oob="true">1<' in row and "every 2s" in row
    status = own.poll().get_data(as_text=True)
    assert 'id="listing-status"' in status and "In TikTok&#39;s review" in status and "TikTok product 1729" in status
    assert "every 2s" in status  # in TikTok's review: watched closely
