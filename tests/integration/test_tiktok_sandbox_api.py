import time
from decimal import Decimal
from urllib.parse import urlsplit

import pytest
import requests

from shopsync.platforms.http import AuthError, PermanentError, TransientError
from shopsync.platforms.tiktok import products
from shopsync.platforms.tiktok.client import encode_body
from shopsync.platforms.tiktok.products import SkuInventory, SkuPrice
from shopsync.platforms.tiktok.signing import sign
from tests.support.tiktok import (  # noqa: F401 - running and token are fixtures
    APP_KEY,
    APP_SECRET,
    access_token_for,
    client_for,
    running,
    running_sandbox,
    token,
)

SEARCH = "/product/202502/products/search"


@pytest.fixture(scope="module")
def server():
    with running_sandbox(tiktok_timeout_fault_seconds=1.0) as running:
        yield running


def two_warehouse_product(running):
    shop = running.sandbox.shops[0]
    return next(p for p in shop.products.values() if len(p.skus) >= 2 and not p.under_review)


def raw_call(running, token, method, path, body=None, query=None, tamper=None, timestamp=None,
             content_type="application/json"):
    """A hand-built request, to show what the gateway refuses."""
    payload = encode_body(body) if body is not None else None
    params = {"app_key": APP_KEY, "timestamp": str(timestamp or int(time.time())), **(query or {})}
    params["sign"] = sign(path, params, payload, APP_SECRET)
    if tamper:
        payload, params = tamper(payload, params)
    answer = requests.request(method, running.api_base_url + path, params=params, data=payload, timeout=5,
                              headers={"x-tts-access-token": token, "content-type": content_type})
    return answer.status_code, answer.json()


def test_rate_limited_calls_are_retried_with_backoff_then_succeed(running, token):
    sleeps = []
    client = client_for(running, token, sleep=sleeps.append)
    running.sandbox.set_fault("rate_limit", count=2)
    assert products.warehouses(client)
    assert [c.code for c in running.sandbox.calls()] == [36009002, 36009002, 0]
    assert [c.http_status for c in running.sandbox.calls()][:2] == [429, 429]
    assert len(sleeps) == 2 and all(s >= 1 for s in sleeps)  # the sandbox sends Retry-After: 1


def test_server_errors_and_timeouts_are_retried(running, token):
    client = client_for(running, token, timeout=(2, 0.3))
    running.sandbox.set_fault("server_error", count=1)
    running.sandbox.set_fault("timeout", count=1)
    assert products.warehouses(client)
    assert sorted(c.code for c in running.sandbox.calls()) == [0, 36009003, 36009007]


def test_persistent_throttling_is_raised_after_the_last_attempt(running, token):
    client = client_for(running, token, max_attempts=3, sleep=lambda s: None)
    running.sandbox.set_fault("rate_limit", count=5)
    with pytest.raises(TransientError) as raised:
        products.warehouses(client)
    assert raised.value.code == 36009002 and raised.value.request_id
    assert len(running.sandbox.calls()) == 3


def test_random_faults_are_seeded(running, token):
    running.sandbox.set_fault("server_error", probability=0.5, seed=3)
    first = [running.sandbox.faults.draw() for _ in range(20)]
    running.sandbox.set_fault("server_error", probability=0.5, seed=3)
    assert [running.sandbox.faults.draw() for _ in range(20)] == first and "server_error" in first


def test_injected_token_expiry_is_an_auth_error(running, token):
    running.sandbox.set_fault("token_expired", count=1)
    with pytest.raises(AuthError) as raised:
        products.warehouses(client_for(running, token))
    assert raised.value.code == 105002


def test_unknown_token_is_an_auth_error(running):
    with pytest.raises(AuthError) as raised:
        products.warehouses(client_for(running, "ROW_not-a-token"))
    assert raised.value.code == 36009004


def test_paging_a_5000_sku_shop_one_page_at_a_time(running, token):
    shop = running.sandbox.shops[0]
    running.sandbox.generate_catalog(shop.id, 5000)
    client = client_for(running, token)
    listing = products.iter_products(client, page_size=100)
    first = next(listing)
    assert len(running.sandbox.calls(SEARCH)) == 1  # nothing fetched beyond the first page
    rest = list(listing)
    product_count = len(shop.products)
    assert 1 + len(rest) == product_count
    assert sum(len(p.skus) for p in [first, *rest]) == sum(len(p.skus) for p in shop.products.values()) >= 5000
    searches = running.sandbox.calls(SEARCH)
    assert len(searches) == -(-product_count // 100)
    assert all(c.query["page_size"] == "100" for c in searches)
    assert "page_token" not in searches[0].query and all(c.query["page_token"] for c in searches[1:])
    assert len({p.id for p in [first, *rest]}) == product_count


def test_update_time_filter_and_both_search_versions(running, token):
    shop = running.sandbox.shops[0]
    cutoff = max(p.update_time for p in shop.products.values())
    client = client_for(running, token)
    recent = list(products.iter_products(client, update_time_ge=cutoff))
    assert [p.update_time for p in recent] == [cutoff]
    old = client.post("/product/202309/products/search", {}, query={"page_size": 100}).data
    assert old["total_count"] == len(shop.products) and old["next_page_token"] == ""


def test_page_size_over_100_is_refused(running, token):
    with pytest.raises(PermanentError) as raised:
        client_for(running, token).post(SEARCH, {}, query={"page_size": 101})
    assert raised.value.code == 36009004


def test_inventory_update_lands_in_one_call_with_the_right_payload(running, token):
    product = two_warehouse_product(running)
    first, second = product.skus[0], product.skus[1]
    warehouses = list(first.inventory)
    assert len(warehouses) == 2
    changes = [SkuInventory(first.id, {warehouses[0]: 7, warehouses[1]: 0}),
               SkuInventory(second.id, {warehouses[0]: 12, warehouses[1]: 3})]
    result = products.update_inventory(client_for(running, token), product.id, changes)
    assert result.updated == (first.id, second.id) and not result.errors and result.request_id
    calls = running.sandbox.calls(f"/product/202309/products/{product.id}/inventory/update")
    assert len(calls) == 1
    assert calls[0].body == {"skus": [
        {"id": first.id, "inventory": [{"warehouse_id": warehouses[0], "quantity": 7},
                                       {"warehouse_id": warehouses[1], "quantity": 0}]},
        {"id": second.id, "inventory": [{"warehouse_id": warehouses[0], "quantity": 12},
                                        {"warehouse_id": warehouses[1], "quantity": 3}]}]}
    assert running.sandbox.sku_state(first.id)["inventory"] == {warehouses[0]: 7, warehouses[1]: 0}
    assert running.sandbox.sku_state(second.id)["inventory"] == {warehouses[0]: 12, warehouses[1]: 3}


def test_a_shop_with_two_sales_warehouses_and_one_tiktok_runs(running, token):
    """FBT stock shows on the SKU, but the seller's warehouse list does not hold it, it cannot be written, and
    an update needs only the seller's own warehouses."""
    product = two_warehouse_product(running)
    first, second = product.skus[0], product.skus[1]
    w1, w2 = list(first.inventory)
    fbt = running.sandbox.add_platform_warehouse(running.sandbox.shops[0].id, {first.id: 12, second.id: 4})
    client = client_for(running, token)
    listed = products.warehouses(client)
    assert fbt not in {w.id for w in listed} and sum(w.takes_stock for w in listed) == 2
    assert products.get_product(client, product.id).skus[0].inventory[fbt] == 12
    result = products.update_inventory(client, product.id, [SkuInventory(first.id, {w1: 3, w2: 0}),
                                                            SkuInventory(second.id, {w1: 1, w2: 1, fbt: 9})])
    assert result.updated == (first.id,) and result.errors[second.id].code == 12052144
    assert running.sandbox.sku_state(first.id)["inventory"] == {w1: 3, w2: 0, fbt: 12}
    assert running.sandbox.sku_state(second.id)["inventory"][fbt] == 4


def test_inventory_update_reports_refused_skus_and_applies_the_rest(running, token):
    product = two_warehouse_product(running)
    first, second, third = product.skus[0], product.skus[1], product.skus[2]
    w1, w2 = list(first.inventory)
    before = dict(second.inventory)
    result = products.update_inventory(client_for(running, token), product.id, [
        SkuInventory(first.id, {w1: 1, w2: 2}),
        SkuInventory(second.id, {w1: 5}),                 # a warehouse left out
        SkuInventory(third.id, {w1: -1, w2: 2}),          # negative
        SkuInventory("1731999999999999999", {w1: 1, w2: 1}),  # not this product's SKU
    ])
    assert result.updated == (first.id,)
    assert {sku: e.code for sku, e in result.errors.items()} == {
        second.id: 12019028, third.id: 12052055, "1731999999999999999": 12052557}
    assert all(isinstance(e, PermanentError) for e in result.errors.values())
    assert running.sandbox.sku_state(first.id)["inventory"] == {w1: 1, w2: 2}
    assert running.sandbox.sku_state(second.id)["inventory"] == before


def test_price_update_lands_in_one_call(running, token):
    product = two_warehouse_product(running)
    first, second = product.skus[0], product.skus[1]
    result = products.update_prices(client_for(running, token), product.id, [
        SkuPrice(first.id, Decimal("19.9"), "USD"), SkuPrice(second.id, Decimal("24"), "USD")])
    assert result.updated == (first.id, second.id)
    calls = running.sandbox.calls(f"/product/202309/products/{product.id}/prices/update")
    assert len(calls) == 1 and calls[0].body == {"skus": [
        {"id": first.id, "price": {"amount": "19.90", "currency": "USD"}},
        {"id": second.id, "price": {"amount": "24.00", "currency": "USD"}}]}
    assert running.sandbox.sku_state(first.id)["price"] == "19.90"
    fetched = products.get_product(client_for(running, token), product.id)
    assert fetched.skus[1].price == Decimal("24.00") and fetched.skus[1].currency == "USD"


@pytest.mark.parametrize("change,code", [
    (lambda sku: SkuPrice(sku.id, Decimal("10"), "GBP"), 12052084),
    (lambda sku: SkuPrice("1731999999999999999", Decimal("10"), "USD"), 12052557),
])
def test_price_update_refusals_are_permanent(running, token, change, code):
    product = two_warehouse_product(running)
    with pytest.raises(PermanentError) as raised:
        products.update_prices(client_for(running, token), product.id, [change(product.skus[0])])
    assert raised.value.code == code and raised.value.request_id


def test_badly_formatted_price_is_refused(running, token):
    product = two_warehouse_product(running)
    body = {"skus": [{"id": product.skus[0].id, "price": {"amount": "12,50", "currency": "USD"}}]}
    with pytest.raises(PermanentError) as raised:
        client_for(running, token).post(f"/product/202309/products/{product.id}/prices/update", body)
    assert raised.value.code == 12052012


def test_product_under_review_and_missing_product(running, token):
    product = two_warehouse_product(running)
    running.sandbox.set_under_review(product.id)
    client = client_for(running, token)
    with pytest.raises(PermanentError) as raised:
        products.update_prices(client, product.id, [SkuPrice(product.skus[0].id, Decimal("5"), "USD")])
    assert raised.value.code == 12052901
    for missing in (lambda: products.get_product(client, "1729999999999999999"),
                    lambda: products.update_inventory(client, "1729999999999999999", [SkuInventory("1", {})])):
        with pytest.raises(PermanentError) as raised:
            missing()
        assert raised.value.code == 12019150


def test_tampered_body_is_rejected_with_106001(running, token):
    product = two_warehouse_product(running)
    body = {"skus": [{"id": product.skus[0].id, "price": {"amount": "1.00", "currency": "USD"}}]}
    status, envelope = raw_call(running, token, "POST", f"/product/202309/products/{product.id}/prices/update",
                                body, query={"shop_cipher": running.sandbox.shops[0].cipher},
                                tamper=lambda payload, params: (payload.replace(b"1.00", b"0.01"), params))
    assert (status, envelope["code"]) == (401, 106001)
    assert running.sandbox.sku_state(product.skus[0].id)["price"] != "0.01"


def test_sign_covers_the_path_the_request_reached(running, token):
    """The real host has no prefix; below the sandbox's mount a signature over the path below the API root
    and one over the whole path (what a third-party client signs) are both that path. Another path is not."""
    cipher = running.sandbox.shops[0].cipher
    good = raw_call(running, token, "GET", "/logistics/202309/warehouses", query={"shop_cipher": cipher})
    assert good[1]["code"] == 0

    def signed_over(path):
        def tamper(payload, params):
            params = {k: v for k, v in params.items() if k != "sign"}
            return payload, dict(params, sign=sign(path, params, None, APP_SECRET))
        return tamper
    whole = urlsplit(running.api_base_url).path + "/logistics/202309/warehouses"
    assert raw_call(running, token, "GET", "/logistics/202309/warehouses", query={"shop_cipher": cipher},
                    tamper=signed_over(whole))[1]["code"] == 0
    for wrong in ("/tiktok/logistics/202309/warehouses", "/logistics/202309/warehouses/"):
        assert raw_call(running, token, "GET", "/logistics/202309/warehouses", query={"shop_cipher": cipher},
                        tamper=signed_over(wrong))[1]["code"] == 106001


@pytest.mark.parametrize("offset", [-301, 31])
def test_stale_or_future_timestamps_are_rejected(running, token, offset):
    client = client_for(running, token, clock=lambda: time.time() + offset)
    with pytest.raises(PermanentError) as raised:
        products.warehouses(client)
    assert raised.value.code == 36009004 and "timestamp" in raised.value.message


def test_gateway_refusals(running, token):
    cipher = running.sandbox.shops[0].cipher
    assert raw_call(running, token, "GET", "/logistics/202309/warehouses")[1]["code"] == 106013
    assert raw_call(running, token, "GET", "/authorization/202309/shops",
                    query={"shop_cipher": cipher})[1]["code"] == 36009004
    assert raw_call(running, token, "POST", SEARCH, {}, query={"shop_cipher": cipher, "page_size": "5"},
                    content_type="text/plain")[1]["code"] == 36009022
    assert raw_call(running, token, "GET", "/product/202309/nothing/here")[1]["code"] == 36009009


def test_qps_limit_per_shop_answers_429():
    with running_sandbox(tiktok_qps=3) as running:
        token = access_token_for(running)
        cipher = running.sandbox.shops[0].cipher
        answers = [raw_call(running, token, "GET", "/logistics/202309/warehouses", query={"shop_cipher": cipher})
                   for _ in range(6)]
        assert [envelope["code"] for _, envelope in answers].count(36009002) >= 2
        assert any(status == 429 for status, _ in answers)
        # The other shop has its own window.
        other = raw_call(running, token, "GET", "/logistics/202309/warehouses",
                         query={"shop_cipher": running.sandbox.shops[1].cipher})
        assert other[1]["code"] == 0
