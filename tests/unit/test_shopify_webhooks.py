from __future__ import annotations

import base64
import hashlib
import hmac
import json
from datetime import datetime, timezone
from decimal import Decimal

import pytest
from werkzeug.datastructures import Headers

from shopsync.platforms.shopify import webhooks

VECTORS = [
    ("hush", b'{"id":788032119674292922,"title":"Example T-Shirt"}',
     "PChQV/s9qVvLuYZx4s3CvtPkNn5M2k1OrvTkc0qHHSM="),
    ("shpss_test_secret_123",
     b'{"inventory_item_id":271878346596884015,"location_id":24826418,"available":6,'
     b'"updated_at":"2026-11-25T12:00:00-05:00"}',
     "g1E4ecGniFMexjQGlJNPrV1eC6D8Y0PK/iR9r0yq8Uc="),
    ("hush", b'{"shop_id":954889,"shop_domain":"some-shop.myshopify.com"}',
     "Tr2c7Me17fTQwz4kN7AGPjEn0lRCShuYgLnmDSgxA4k="),
    ("hush", '{"id":1,"title":"Café ☕ Täsche"}'.encode("utf-8"),
     "88MQnOABOW9xTSsfDScN5IkaNAZVjayx6IM/lpuL6Hs="),
    ("hush", b"", "Knm8rWjeSXNIt2H0AOMT7DQ8/YSy8sQi/pEjbuUmGMs="),
]


@pytest.mark.parametrize("secret,body,header", VECTORS)
def test_documented_vectors_verify(secret, body, header):
    assert webhooks.verify_webhook_hmac(body, header, secret)


@pytest.mark.parametrize("secret,body,header", VECTORS)
def test_negatives(secret, body, header):
    assert not webhooks.verify_webhook_hmac(body + b"\n", header, secret)
    assert not webhooks.verify_webhook_hmac(body, header, secret + "x")
    assert not webhooks.verify_webhook_hmac(body, "", secret)
    assert not webhooks.verify_webhook_hmac(body, None, secret)
    hex_digest = hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()
    assert not webhooks.verify_webhook_hmac(body, hex_digest, secret)
    other_headers = [h for _, b, h in VECTORS if b != body]
    assert not any(webhooks.verify_webhook_hmac(body, h, secret) for h in other_headers)


def test_reserialized_and_escaped_bodies_fail():
    secret, body, header = VECTORS[0]
    assert not webhooks.verify_webhook_hmac(json.dumps(json.loads(body)).encode(), header, secret)
    secret, body, header = VECTORS[3]
    escaped = json.dumps(json.loads(body), separators=(",", ":")).encode()  # \u escapes
    assert escaped != body
    assert not webhooks.verify_webhook_hmac(escaped, header, secret)


def test_rotation_window_accepts_either_secret():
    _, body, header = VECTORS[0]
    assert webhooks.verify_webhook_hmac_any(body, header, ["new-secret", "hush"])
    assert not webhooks.verify_webhook_hmac_any(body, header, ["new-secret", ""])
    assert not webhooks.verify_webhook_hmac_any(body, header, [])


def test_topics_map_graphql_enums_to_delivery_topics():
    assert webhooks.WEBHOOK_TOPICS["INVENTORY_LEVELS_UPDATE"] == "inventory_levels/update"
    assert set(webhooks.WEBHOOK_TOPICS) == {"PRODUCTS_CREATE", "PRODUCTS_UPDATE", "PRODUCTS_DELETE",
                                            "INVENTORY_LEVELS_UPDATE", "INVENTORY_ITEMS_UPDATE",
                                            "APP_UNINSTALLED", "BULK_OPERATIONS_FINISH"}


def test_delivery_headers():
    headers = Headers({"x-shopify-topic": "products/update", "X-Shopify-Shop-Domain": "a.myshopify.com",
                       "X-Shopify-API-Version": "2026-10", "X-Shopify-Webhook-Id": "w1",
                       "X-Shopify-Event-Id": "e1", "X-Shopify-Triggered-At": "2026-11-25T17:00:00Z"})
    delivery = webhooks.WebhookDelivery.from_headers(headers)
    assert delivery.topic == "products/update" and delivery.event_id == "e1"
    assert delivery.triggered_at == datetime(2026, 11, 25, 17, tzinfo=timezone.utc)


PRODUCT = {
    "id": 788032119674292922, "admin_graphql_api_id": "gid://shopify/Product/788032119674292922",
    "title": "Example T-Shirt", "handle": "example-t-shirt", "body_html": "<p>Soft</p>",
    "vendor": "Acme", "product_type": "Shirts", "status": "active", "tags": "summer, cotton",
    "updated_at": "2026-11-25T12:00:00-05:00",
    "variants": [{"id": 642667041472713922, "product_id": 788032119674292922, "title": "Small",
                  "sku": "TEE-S", "barcode": "", "price": "19.99", "compare_at_price": None,
                  "position": 1, "inventory_item_id": 271878346596884015, "inventory_quantity": 6,
                  "updated_at": "2026-11-25T12:00:00-05:00"}],
    "images": [{"id": 1001, "src": "https://cdn.shopify.com/a.jpg", "position": 1, "width": 10,
                "height": 20, "alt": None}],
}


def test_product_payload_becomes_catalog_rows():
    parsed = webhooks.parse_product_payload(PRODUCT)
    assert parsed.product.id == 788032119674292922 and parsed.product.tags == ("summer", "cotton")
    assert parsed.product.updated_at == datetime(2026, 11, 25, 17, tzinfo=timezone.utc)
    variant, = parsed.variants
    assert variant.price == Decimal("19.99") and variant.compare_at_price is None
    assert variant.inventory_item_id == 271878346596884015 and variant.barcode is None
    assert variant.product_id == PRODUCT["id"]
    assert parsed.images[0].url.endswith("a.jpg")


def test_other_payloads():
    assert webhooks.parse_product_deleted({"id": 788032119674292922}).product_id == 788032119674292922
    level = webhooks.parse_inventory_level(json.loads(VECTORS[1][1]))
    assert (level.inventory_item_id, level.location_id, level.available) == \
        (271878346596884015, 24826418, 6)
    assert webhooks.parse_inventory_level({"inventory_item_id": 1, "location_id": 2,
                                           "available": None}).available is None
    finished = webhooks.parse_bulk_operation_finished({
        "admin_graphql_api_id": "gid://shopify/BulkOperation/7", "completed_at": "2026-11-25T12:00:00Z",
        "created_at": "2026-11-25T11:00:00Z", "error_code": None, "status": "completed",
        "type": "query"})
    assert finished.bulk_operation_id == "gid://shopify/BulkOperation/7"
    assert finished.status == "completed"
    gone = webhooks.parse_app_uninstalled({"id": 954889, "myshopify_domain": "a.myshopify.com"})
    assert gone.shop_id == 954889
