"""Shopify sandbox bulk exports (JSONL layout, speed) and outgoing signed webhooks."""
import base64
import hashlib
import hmac
import json
import time

import pytest
import requests

from tests.support.shopify_sandbox import (  # noqa: F401 - fixtures
    API_SECRET, SHOP, shopify_sandbox, webhook_receiver,
)

RUN = """mutation Run($q: String!) { bulkOperationRunQuery(query: $q) {
  bulkOperation { id status } userErrors { field message code } } }"""
POLL = """query($id: ID!) { node(id: $id) { ... on BulkOperation {
  id status errorCode objectCount rootObjectCount fileSize url partialDataUrl } } }"""
CATALOG = """{ products { edges { node { id title status updatedAt
  variants { edges { node { id sku price inventoryQuantity inventoryItem { id tracked }
    } } } } } } }"""
SUBSCRIBE = """mutation Sub($topic: WebhookSubscriptionTopic!, $sub: WebhookSubscriptionInput!) {
  webhookSubscriptionCreate(topic: $topic, webhookSubscription: $sub) {
    webhookSubscription { id topic uri } userErrors { field message } } }"""


@pytest.fixture
def token(shopify_sandbox):
    return shopify_sandbox.install()["access_token"]


def _run_bulk(running, token, query, timeout=60.0):
    started = running.graphql(token, RUN, {"q": query}).json()["data"]["bulkOperationRunQuery"]
    assert started["userErrors"] == [], started
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        operation = running.graphql(token, POLL, {"id": started["bulkOperation"]["id"]}).json()["data"]["node"]
        if operation["status"] not in ("CREATED", "RUNNING"):
            return operation
        time.sleep(0.05)
    raise AssertionError("bulk operation did not finish")


def test_bulk_export_of_demo_catalog_is_parent_then_children(shopify_sandbox, token):
    operation = _run_bulk(shopify_sandbox, token, CATALOG)
    assert operation["status"] == "COMPLETED" and operation["errorCode"] is None
    lines = [json.loads(line) for line in requests.get(operation["url"]).text.splitlines()]
    shop = shopify_sandbox.sandbox.shop(SHOP)
    variant_count = sum(len(p.variants) for p in shop.products.values())
    assert operation["objectCount"] == str(len(lines)) == str(36 + variant_count)
    assert operation["rootObjectCount"] == "36" and int(operation["fileSize"]) > 0
    seen_parents = set()
    for line in lines:
        if "__parentId" in line:
            assert line["__parentId"] in seen_parents  # child always after its parent
            assert line["id"].startswith("gid://shopify/ProductVariant/")
            assert line["inventoryItem"]["id"].startswith("gid://shopify/InventoryItem/")  # inline object
            assert isinstance(line["price"], str)
        else:
            assert line["id"].startswith("gid://shopify/Product/") and "variants" not in line
            seen_parents.add(line["id"])
    tampered = operation["url"].replace("X-Goog-Signature=", "X-Goog-Signature=0")
    assert requests.get(tampered).status_code == 403


def test_bulk_query_is_checked_like_shopify(shopify_sandbox, token):
    def errors(query):
        return shopify_sandbox.graphql(token, RUN, {"q": query}).json()["data"]["bulkOperationRunQuery"]["userErrors"]

    assert errors("{ shop { name } }")[0]["message"].startswith("Bulk queries must contain at least one connection")
    assert errors("{ products { edges { node { nope } } } }")[0]["code"] == "INVALID"
    too_deep = "{ products { edges { node { id variants { edges { node { id inventoryItem { id " \
               "inventoryLevels { edges { node { id } } } } } } } } } } }"
    assert "nesting depth" in errors(too_deep)[0]["message"]
    no_parent_id = "{ products { edges { node { title variants { edges { node { id } } } } } } }"
    assert "must select the 'id'" in errors(no_parent_id)[0]["message"]


def test_bulk_export_of_50k_variants_is_fast(shopify_sandbox, token):
    shopify_sandbox.sandbox.load_generated_catalog(SHOP, 50_000)
    started = time.monotonic()
    operation = _run_bulk(shopify_sandbox, token, CATALOG)
    elapsed = time.monotonic() - started
    assert operation["status"] == "COMPLETED"
    assert operation["objectCount"] == str(50_000 + 10_000) and operation["rootObjectCount"] == "10000"
    assert elapsed < 20, elapsed


def _subscribe(running, token, topic, uri):
    return running.graphql(token, SUBSCRIBE, {"topic": topic, "sub": {"uri": uri, "format": "JSON"}}).json()


def test_webhooks_are_signed_and_shaped_like_shopify(shopify_sandbox, token, webhook_receiver):
    created = _subscribe(shopify_sandbox, token, "PRODUCTS_UPDATE", webhook_receiver.url)
    assert created["data"]["webhookSubscriptionCreate"]["userErrors"] == []
    duplicate = _subscribe(shopify_sandbox, token, "PRODUCTS_UPDATE", webhook_receiver.url)
    assert duplicate["data"]["webhookSubscriptionCreate"]["userErrors"][0]["message"] == \
        "Address for this topic has already been taken"
    _subscribe(shopify_sandbox, token, "INVENTORY_LEVELS_UPDATE", webhook_receiver.url)

    sandbox = shopify_sandbox.sandbox
    product = sandbox.shop(SHOP).products[8_000_000_002]
    sandbox.set_stock(SHOP, 71001, 17, variant_id=product.variants[0].id)
    assert sandbox.wait_for_webhooks(5)
    # A stock change alone leaves the product (and its updatedAt) alone, as Shopify is documented to.
    assert [d["headers"]["X-Shopify-Topic"] for d in webhook_receiver.deliveries] == ["inventory_levels/update"]
    sandbox.set_price(SHOP, product.variants[0].id, product.variants[0].price)
    assert sandbox.wait_for_webhooks(5)
    by_topic = {d["headers"]["X-Shopify-Topic"]: d for d in webhook_receiver.deliveries}
    assert set(by_topic) == {"products/update", "inventory_levels/update"}
    for delivery in webhook_receiver.deliveries:
        headers = delivery["headers"]
        expected = base64.b64encode(hmac.new(API_SECRET.encode(), delivery["body"], hashlib.sha256).digest())
        assert hmac.compare_digest(expected.decode(), headers["X-Shopify-Hmac-Sha256"])
        assert headers["X-Shopify-Shop-Domain"] == SHOP and headers["X-Shopify-Api-Version"] == "2026-10"
        assert headers["X-Shopify-Webhook-Id"] and headers["X-Shopify-Event-Id"] and headers["X-Shopify-Triggered-At"]
    level = json.loads(by_topic["inventory_levels/update"]["body"])
    assert level["inventory_item_id"] == product.variants[0].inventory_item_id
    assert level["location_id"] == 71001 and level["available"] == 17
    assert level["admin_graphql_api_id"].startswith("gid://shopify/InventoryLevel/71001?inventory_item_id=")
    body = json.loads(by_topic["products/update"]["body"])
    assert body["id"] == product.id and body["status"] == "active"
    assert body["variants"][0]["inventory_quantity"] == product.variants[0].inventory_quantity
    assert body["variants"][0]["price"] == f"{product.variants[0].price:.2f}"


def test_duplicates_retries_and_paused_delivery(shopify_sandbox, token, webhook_receiver):
    sandbox = shopify_sandbox.sandbox
    _subscribe(shopify_sandbox, token, "PRODUCTS_DELETE", webhook_receiver.url)
    sandbox.set_webhook_delivery(copies=3, paused=True)
    sandbox.delete_product(SHOP, 8_000_000_003)
    assert not sandbox.wait_for_webhooks(0.3) and webhook_receiver.deliveries == []
    sandbox.release_webhooks()
    assert sandbox.wait_for_webhooks(5)
    assert len(webhook_receiver.deliveries) == 3
    assert len({d["headers"]["X-Shopify-Event-Id"] for d in webhook_receiver.deliveries}) == 1
    assert json.loads(webhook_receiver.deliveries[0]["body"]) == {"id": 8_000_000_003}

    sandbox.set_webhook_delivery(copies=1)
    webhook_receiver.deliveries.clear()
    webhook_receiver.fail_first = 2
    sandbox.delete_product(SHOP, 8_000_000_004)
    assert sandbox.wait_for_webhooks(5)
    assert [a["outcome"] for a in sandbox.webhook_attempts(SHOP)[-3:]] == ["failed", "failed", "delivered"]
    assert len({d["headers"]["X-Shopify-Webhook-Id"] for d in webhook_receiver.deliveries}) == 1


def test_bulk_finish_webhook_and_uninstall(shopify_sandbox, token, webhook_receiver):
    _subscribe(shopify_sandbox, token, "BULK_OPERATIONS_FINISH", webhook_receiver.url)
    _subscribe(shopify_sandbox, token, "APP_UNINSTALLED", webhook_receiver.url)
    operation = _run_bulk(shopify_sandbox, token, CATALOG)
    assert shopify_sandbox.sandbox.wait_for_webhooks(5)
    finish = json.loads(webhook_receiver.deliveries[0]["body"])
    assert finish["admin_graphql_api_id"] == operation["id"] and finish["status"] == "completed"
    shopify_sandbox.sandbox.uninstall(SHOP)
    assert shopify_sandbox.sandbox.wait_for_webhooks(5)
    assert webhook_receiver.deliveries[-1]["headers"]["X-Shopify-Topic"] == "app/uninstalled"
    assert shopify_sandbox.graphql(token, "{ shop { name } }").status_code == 401
