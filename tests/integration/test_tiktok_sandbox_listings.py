"""The TikTok sandbox's listing endpoints, driven through ShopSync's client calls and by hand."""
import json
import time

import pytest
import requests

from shopsync.platforms.http import PermanentError
from shopsync.platforms.tiktok import listings
from shopsync.platforms.tiktok.signing import sign
from tests.support.images import image_bytes
from tests.support.shopify_sandbox import webhook_receiver  # noqa: F401 - fixture
from tests.support.tiktok_calls import call, eventually, webhook_is_signed
from tests.support.tiktok import APP_KEY, APP_SECRET, access_token_for, client_for, running_sandbox
from tests.support.tiktok import running  # noqa: F401 - fixture


@pytest.fixture(scope="module")
def server():
    with running_sandbox(tiktok_audit_seconds=0.2) as running:
        yield running


@pytest.fixture
def client(running):
    return client_for(running, access_token_for(running))


def _leaf(client, name):
    return next(c for c in listings.categories(client) if c.is_leaf and c.name == name)


def _product_body(running, client, **overrides):
    shop = running.sandbox.shops[0]
    leaf = listings.recommend_category(client, title="Classic Hoodie", product_type="Hoodie")
    attributes = listings.category_attributes(client, leaf.leaf_id)
    material = next(a for a in attributes if a.name == "Material")
    image = listings.upload_image(client, image_bytes(), "MAIN_IMAGE")
    body = {"title": "Classic Organic Cotton Hoodie with Kangaroo Pocket, Unisex", "category_version": "v2",
            "description": "<p>A warm hoodie.</p><ul><li>Organic cotton</li></ul>", "category_id": leaf.leaf_id,
            "main_images": [{"uri": image.uri}], "product_attributes": [
                {"id": material.id, "values": [{"id": material.values[0].id}]}],
            "package_weight": {"value": "0.6", "unit": "KILOGRAM"},
            "package_dimensions": {"length": "30", "width": "25", "height": "5", "unit": "CENTIMETER"},
            "skus": [{"seller_sku": f"HOOD-{size}", "sales_attributes": [{"name": "Size", "value_name": size}],
                      "price": {"amount": "49.00", "currency": "USD"},
                      "inventory": [{"warehouse_id": shop.sales_warehouse_ids[0], "quantity": 10}]}
                     for size in ("S", "M")],
            "external_product_id": "gid://shopify/Product/1"}
    body.update(overrides)
    return body


def _wait(predicate, deadline=5.0):
    end = time.monotonic() + deadline
    while time.monotonic() < end:
        if predicate():
            return True
        time.sleep(0.05)
    return False


def test_category_tree_is_large_deep_and_built_client_side(client):
    nodes = listings.categories(client)
    leaves = [n for n in nodes if n.is_leaf]
    by_id = {n.id: n for n in nodes}
    depth = max(len(_chain(by_id, n)) for n in leaves)
    assert len(leaves) >= 200 and depth == 4
    assert any("PROHIBITED" in n.permissions for n in leaves) and any("INVITE_ONLY" in n.permissions for n in leaves)


def _chain(by_id, node):
    chain = [node]
    while chain[-1].parent_id != "0":
        chain.append(by_id[chain[-1].parent_id])
    return chain


def test_recommendation_uses_title_type_and_tags(client):
    mug = listings.recommend_category(client, title="Sunset Mug", product_type="Home", tags=["coffee"])
    assert mug.path[-1] == "Mugs" and mug.path[0] == "Kitchenware"
    assert listings.recommend_category(client, title="Qwxz zzyx") is None


def test_rules_attributes_and_brands_follow_the_category(client):
    phone = _leaf(client, "Phone Cases")
    rules = listings.category_rules(client, phone.id)
    assert rules.package_dimensions_required and rules.seller_sku_required and not rules.cod_supported
    attributes = {a.name: a for a in listings.category_attributes(client, phone.id)}
    assert attributes["Warranty Type"].required and not attributes["Warranty Type"].customizable
    battery = attributes["Battery Type"]
    assert not battery.required and battery.required_when == ((attributes["Contains Batteries"].id,
                                                               attributes["Contains Batteries"].values[0].id),)
    assert attributes["Color"].is_sales and attributes["Color"].customizable
    names = {b.name: b for b in listings.brands(client, phone.id)}
    assert names["Voltic"].authorized and not names["Apple"].selectable and "Lumen Home" not in names


def test_v1_categories_are_refused_for_a_v2_market(running, client):
    with pytest.raises(PermanentError) as refused:
        client.get("/product/202309/categories", {"category_version": "v1"})
    assert refused.value.code == 12052217


def test_image_upload_judges_the_bytes(running, client):
    uploaded = listings.upload_image(client, image_bytes(1200, 900, "JPEG"), "MAIN_IMAGE")
    assert (uploaded.width, uploaded.height) == (1200, 900) and uploaded.uri.startswith("tos-")
    for content, code in ((image_bytes(200, 200), 12038014), (b"GIF89a not really", 12038004),
                          (image_bytes(400, 400, "GIF"), 12038015), (b"", 12038005)):
        with pytest.raises(PermanentError) as refused:
            listings.upload_image(client, content, "MAIN_IMAGE")
        assert refused.value.code == code
    upload = next(c for c in running.sandbox.calls() if c.path.endswith("/images/upload"))
    assert "shop_cipher" not in upload.query and upload.body["use_case"] == "MAIN_IMAGE"


def test_a_multipart_upload_with_a_bad_signature_is_refused(running):
    token = access_token_for(running)
    path = "/product/202309/images/upload"
    params = {"app_key": APP_KEY, "timestamp": str(int(time.time()))}
    params["sign"] = sign(path, params, None, APP_SECRET)[::-1]
    answer = requests.post(running.api_base_url + path, params=params, headers={"x-tts-access-token": token},
                           files={"data": ("a.png", image_bytes())}, data={"use_case": "MAIN_IMAGE"}, timeout=5)
    assert answer.json()["code"] == 106001


def test_listing_check_reports_each_problem_with_tiktoks_codes(running, client):
    good = _product_body(running, client)
    assert listings.listing_check(client, good).passed
    bad = _product_body(running, client, title="X" * 300, product_attributes=[],
                        description="<p>Unclosed <b>bold</p><script>x()</script>")
    result = listings.listing_check(client, bad)
    codes = {code for code, _ in result.fail_reasons}
    assert not result.passed and {12052051, 12052104, 12052344, 12052346} <= codes
    assert {d["field"] for d in result.diagnoses} >= {"MAIN_IMAGE"}


def test_create_is_idempotent_audited_and_announced(running, client):
    body = _product_body(running, client, idempotency_key="key-1")
    first = listings.create_product(client, body)
    again = listings.create_product(client, body)
    assert first == again and len(first.skus) == 2
    with pytest.raises(PermanentError) as duplicate:
        listings.create_product(client, dict(body, idempotency_key="key-2"))
    assert duplicate.value.code == listings.DUPLICATE_EXTERNAL_ID
    assert listings.product_state(client, first.product_id).status == "PENDING"
    assert _wait(lambda: listings.product_state(client, first.product_id).status == "ACTIVATE")
    events = running.sandbox.listing_desk.events
    assert {e["event_type"] for e in events} == {"PRODUCT_STATUS_CHANGE", "PRODUCT_AUDIT_STATUS_CHANGE"}
    assert events[0]["data"]["status"] == "PRODUCT_FIRST_PASS_REVIEW"
    assert listings.find_by_external_id(client, "gid://shopify/Product/1", ["HOOD-S"]) == first.product_id


def test_audit_rejects_what_the_check_would_have_caught_and_what_a_script_says(running, client):
    missing = _product_body(running, client, product_attributes=[], external_product_id="gid://shopify/Product/2")
    created = listings.create_product(client, missing)  # create accepts it; the audit does not
    assert _wait(lambda: listings.product_state(client, created.product_id).status == "FAILED")
    state = listings.product_state(client, created.product_id)
    assert state.failed_reasons[0]["position"] == "PRODUCT_ATTRIBUTE"
    running.sandbox.listing_desk.scripts["gid://shopify/Product/3"] = __import__(
        "shopsync.sandbox.tiktok.listing_desk", fromlist=["AuditScript"]).AuditScript("reject", ["Counterfeit"])
    scripted = listings.create_product(client, _product_body(running, client,
                                                             external_product_id="gid://shopify/Product/3"))
    assert _wait(lambda: listings.product_state(client, scripted.product_id).status == "FAILED")
    fixed = _product_body(running, client, external_product_id="gid://shopify/Product/2")
    listings.edit_product(client, created.product_id, fixed)
    assert _wait(lambda: listings.product_state(client, created.product_id).status == "ACTIVATE")


def test_daily_quota_and_prerequisites(running, client):
    shop = running.sandbox.shops[0]
    desk = running.sandbox.listing_desk
    desk.daily_limit[shop.id] = 1
    listings.create_product(client, _product_body(running, client))
    with pytest.raises(PermanentError) as refused:
        listings.create_product(client, _product_body(running, client, external_product_id="other"))
    assert refused.value.code == listings.LISTING_LIMIT
    desk.failing_prerequisites[shop.id] = {"SHIPPING_TEMPLATE": ["No shipping template"]}
    checks = {c.item: c for c in listings.prerequisites(client)}
    assert checks["SHIPPING_TEMPLATE"].failed and checks["SHIPPING_TEMPLATE"].reasons == ("No shipping template",)
    assert not checks["BANK_ACCOUNT"].failed
    desk.daily_limit[shop.id] = 10
    with pytest.raises(PermanentError) as blocked:
        listings.create_product(client, _product_body(running, client, external_product_id="third"))
    assert blocked.value.code == 12052419


def test_audit_outcomes_are_sent_as_signed_product_webhooks(running, client, webhook_receiver):
    token = access_token_for(running)
    for event_type in ("PRODUCT_STATUS_CHANGE", "PRODUCT_AUDIT_STATUS_CHANGE"):
        status, answer = call(running, token, "PUT", "/event/202309/webhooks",
                              {"event_type": event_type, "address": webhook_receiver.url})
        assert status == 200 and answer["code"] == 0
    created = listings.create_product(client, _product_body(running, client))
    eventually(lambda: len(webhook_receiver.deliveries) == 2)
    assert all(webhook_is_signed(d) for d in webhook_receiver.deliveries)
    bodies = sorted((json.loads(d["body"]) for d in webhook_receiver.deliveries), key=lambda b: b["type"])
    assert [b["type"] for b in bodies] == [5, 37]
    assert bodies[0]["data"]["product_id"] == int(created.product_id)  # TikTok sends a number
    assert bodies[1]["data"]["audit"]["status"] == "APPROVED" and bodies[0]["tts_notification_id"]


def test_the_control_page_decides_reviews_and_fails_prerequisites(running, client):
    running.sandbox.listing_desk.audit_seconds = 60  # nothing ends by itself during the test
    created = listings.create_product(client, _product_body(running, client))
    admin = running.base_url + "/_control/listings/admin"
    page = requests.get(admin, timeout=5)
    assert page.status_code == 200 and created.product_id in page.text and "PENDING" in page.text
    answer = requests.post(f"{admin}/products/{created.product_id}/reject", data={"reason": "Blurry main image"},
                           timeout=5)
    assert answer.status_code == 200 and "rejected" in answer.text  # followed the 303 back to the page
    state = listings.product_state(client, created.product_id)
    assert state.status == "FAILED" and state.failed_reasons[-1]["reasons"] == ["Blurry main image"]
    requests.post(f"{admin}/prerequisites", timeout=5, data={
        "shop_id": running.sandbox.shops[0].id, "check_item": "RETURN_WAREHOUSE", "reason": "No return address"})
    checks = {c.item: c for c in listings.prerequisites(client)}
    assert checks["RETURN_WAREHOUSE"].failed and checks["RETURN_WAREHOUSE"].reasons == ("No return address",)
