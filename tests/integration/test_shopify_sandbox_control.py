"""Shopify sandbox control API (JSON) and the per-shop admin page."""
import json

import requests

from tests.support.shopify_sandbox import SHOP, shopify_sandbox, webhook_receiver  # noqa: F401 - fixtures


def test_control_endpoints_change_data_and_report(shopify_sandbox):
    base = f"{shopify_sandbox.url}/_control"
    assert requests.post(f"{base}/shops", json={"shop": SHOP}).status_code == 201
    variant = shopify_sandbox.sandbox.shop(SHOP).products[8_000_000_001].variants[0]
    answer = requests.post(f"{base}/shops/{SHOP}/variants/{variant.id}/price", json={"price": "9.50"})
    assert answer.json()["price"] == "9.50" and variant.price == 9.5
    answer = requests.post(f"{base}/shops/{SHOP}/inventory",
                           json={"variant_id": variant.id, "location_id": 71002, "available": 3})
    assert answer.json()["levels"]["71002"] == 3
    assert requests.post(f"{base}/shops/{SHOP}/variants/1/price", json={"price": "1"}).status_code == 404
    assert requests.post(f"{base}/shops/{SHOP}/generate", json={"variants": 12}).json() == {"variants": 12}
    fault = requests.post(f"{base}/faults", json={"kind": "http", "status": 502, "count": 2}).json()
    assert fault["status"] == 502 and requests.get(f"{base}/faults").json()[0]["count"] == 2
    assert requests.post(f"{base}/faults", json={"kind": "bogus"}).status_code == 400
    requests.delete(f"{base}/faults")
    assert requests.get(f"{base}/requests", params={"shop": SHOP}).json() == []
    bucket = requests.post(f"{base}/shops/{SHOP}/bucket", json={"maximum_available": 400, "restore_rate": 20})
    assert bucket.json()["maximumAvailable"] == 400.0


def test_admin_page_lists_products_and_forms_change_them(shopify_sandbox):
    sandbox = shopify_sandbox.sandbox
    sandbox.ensure_shop(SHOP)
    product = sandbox.create_product(SHOP, "<b>Bold</b> Mug", [{"title": "Default Title", "sku": "MUG-1",
                                                                "price": "5.00"}])
    admin = f"{shopify_sandbox.url}/_control/shops/{SHOP}/admin"
    page = requests.get(admin)
    assert page.status_code == 200 and "&lt;b&gt;Bold&lt;/b&gt; Mug" in page.text and "<b>Bold" not in page.text
    variant = product.variants[0]
    answer = requests.post(admin + "/price", data={"variant_id": variant.id, "price": "6.25"})
    assert answer.status_code == 200 and answer.url == admin
    assert variant.price == 6.25
    requests.post(admin + "/stock", data={"variant_id": variant.id, "location_id": 71001, "available": 8})
    assert variant.levels[71001] == 8


def test_compliance_control_sends_shopifys_body_only_to_shopsyncs_address(shopify_sandbox, webhook_receiver):
    """Not a signing oracle: no caller-chosen address or body (review finding 2)."""
    sandbox = shopify_sandbox.sandbox
    sandbox.ensure_shop(SHOP)
    sandbox.settings["shopify_compliance_uri"] = webhook_receiver.url
    control = f"{shopify_sandbox.url}/_control/shops/{SHOP}/compliance"
    elsewhere = requests.post(control, json={"topic": "shop/redact", "uri": "http://169.254.169.254/latest"})
    forged = requests.post(control, json={"topic": "shop/redact", "payload": {"shop_domain": "victim.myshopify.com"}})
    assert (elsewhere.status_code, forged.status_code) == (400, 400)
    assert requests.post(control, json={"topic": "shop/redact"}).status_code == 200
    assert sandbox.wait_for_webhooks(10)
    [delivery] = webhook_receiver.deliveries
    assert json.loads(delivery["body"])["shop_domain"] == SHOP
