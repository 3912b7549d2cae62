"""TikTok sandbox orders over HTTP: buyers buy, order search and detail, webhook subscriptions and the
signed notifications, cancellations. Requests are signed by the tests' own code."""
import json
from decimal import Decimal

import pytest
import requests

from shopsync.sandbox.tiktok import buying
from shopsync.sandbox.tiktok.buying import OrderError
from tests.support.shopify_sandbox import webhook_receiver  # noqa: F401 - fixture
from tests.support.tiktok import access_token_for, running, running_sandbox, token  # noqa: F401 - fixtures
from tests.support.tiktok_calls import call, eventually, webhook_is_signed

SEARCH = "/order/202309/orders/search"
DETAIL = "/order/202309/orders"
WEBHOOKS = "/event/202309/webhooks"
SKU = "TT-ONLY-STICKERS"


@pytest.fixture(scope="module")
def server():
    with running_sandbox(tiktok_on_hold_seconds=3600, tiktok_webhook_retry_delays=(0.05, 0.05)) as running:
        yield running


def stock(running, seller_sku=SKU):
    shop, product, sku = next((s, p, k) for s in running.sandbox.shops for p in s.products.values()
                              for k in p.skus if k.seller_sku == seller_sku)
    return dict(sku.inventory)


def control(running, path, **payload):
    return requests.post(f"{running.base_url}/_control/orders{path}", json=payload, timeout=10)


def subscribe(running, token, address, *event_types):
    for event_type in event_types:
        status, envelope = call(running, token, "PUT", WEBHOOKS, {"event_type": event_type, "address": address})
        assert (status, envelope["code"]) == (200, 0), envelope


def notifications(receiver):
    return [json.loads(d["body"]) for d in receiver.deliveries]


# ---- buying ------------------------------------------------------------------------------------------
def test_a_sale_lowers_tiktok_stock_and_has_one_line_item_per_unit(running, token):
    before = stock(running)
    default = next(w.id for w in running.sandbox.shops[0].warehouses if w.is_default)
    answer = control(running, "", seller_sku=SKU, quantity=3)
    assert answer.status_code == 201, answer.text
    order = answer.json()
    assert stock(running)[default] == before[default] - 3
    assert order["status"] == "ON_HOLD" and order["is_on_hold_order"] is True
    assert len(order["line_items"]) == 3 and len({li["id"] for li in order["line_items"]}) == 3
    assert {li["seller_sku"] for li in order["line_items"]} == {SKU}
    assert all(isinstance(li["id"], str) and li["id"].isdigit() for li in order["line_items"])
    assert order["warehouse_id"] == default and order["fulfillment_type"] == "FULFILLMENT_BY_SELLER"
    assert order["shipping_type"] == "SELLER" and order["delivery_option_id"]
    assert order["buyer_email"].endswith("@chat.seller.tiktok.com") and len(order["buyer_email"]) < 45
    assert isinstance(order["create_time"], int) and order["create_time"] < 10**10  # seconds
    payment = order["payment"]
    assert payment["currency"] == "USD" and payment["sub_total"] == "19.50"
    assert Decimal(payment["total_amount"]) == sum(Decimal(payment[k]) for k in ("sub_total", "shipping_fee", "tax"))
    assert order["recipient_address"]["address_line1"] == ""  # hidden while ON_HOLD


def test_a_sale_beyond_stock_is_refused_and_changes_nothing(running):
    before = stock(running)
    answer = control(running, "", seller_sku=SKU, quantity=max(before.values()) + 1)
    assert answer.status_code == 409 and "not enough stock" in answer.json()["error"]
    assert stock(running) == before and not running.sandbox.book.orders
    with pytest.raises(OrderError):
        running.sandbox.sell("NO-SUCH-SKU")


def test_hold_is_released_by_the_control_and_address_shows(running, token):
    order = control(running, "", seller_sku=SKU).json()
    released = control(running, f"/{order['id']}/release-hold").json()
    assert released["status"] == "AWAITING_SHIPMENT" and released["recipient_address"]["address_line1"]
    assert control(running, f"/{order['id']}/release-hold").status_code == 409


def test_without_hold_the_order_awaits_shipment_at_once(running, token):
    order = control(running, "", seller_sku=SKU, on_hold=False).json()
    assert order["status"] == "AWAITING_SHIPMENT" and order["is_on_hold_order"] is False and order["paid_time"]


def test_the_hold_ends_by_itself_after_the_configured_time():
    with running_sandbox(tiktok_on_hold_seconds=0.3) as short:
        order = short.sandbox.sell(SKU)
        assert order.status == "ON_HOLD"
        eventually(lambda: order.status == "AWAITING_SHIPMENT", timeout=5)


# ---- search and detail ---------------------------------------------------------------------------------
def test_search_pages_with_a_cursor_and_filters_by_update_time(running, token):
    orders = [running.sandbox.sell(SKU, on_hold=False) for _ in range(5)]
    seen, page_token, placed = [], None, 5
    while True:
        query = {"page_size": "2", **({"page_token": page_token} if page_token else {})}
        status, envelope = call(running, token, "POST", SEARCH, {}, query)
        assert status == 200 and envelope["code"] == 0, envelope
        seen += [o["id"] for o in envelope["data"]["orders"]]
        assert envelope["data"]["total_count"] == placed
        page_token = envelope["data"]["next_page_token"]
        if not page_token:
            break
        running.sandbox.sell(SKU, on_hold=False)  # a new order while paging shifts nothing
        placed += 1
    assert seen == sorted((o.id for o in orders), key=int, reverse=True)
    old = orders[0]
    old.update_time -= 100  # as if it last changed 100 s ago
    status, envelope = call(running, token, "POST", SEARCH, {"update_time_ge": old.update_time + 1,
                                                             "order_status": "AWAITING_SHIPMENT"},
                            {"page_size": "100", "sort_field": "update_time", "sort_order": "ASC"})
    assert envelope["data"]["total_count"] == placed - 1 and old.id not in [o["id"] for o in envelope["data"]["orders"]]
    status, envelope = call(running, token, "POST", SEARCH, {"update_time_lt": old.update_time + 1},
                            {"page_size": "10"})
    assert [o["id"] for o in envelope["data"]["orders"]] == [old.id]


@pytest.mark.parametrize("query, body", [({"page_size": "0"}, {}), ({"page_size": "101"}, {}), ({}, {}),
                                         ({"page_size": "10"}, {"order_status": "SHIPPED"}),
                                         ({"page_size": "10"}, {"update_time_ge": "yesterday"}),
                                         ({"page_size": "10", "page_token": "bm9wZQ"}, {})])
def test_search_refuses_bad_parameters(running, token, query, body):
    status, envelope = call(running, token, "POST", SEARCH, body, query)
    assert envelope["code"] == 36009004 and envelope["data"] == {}


def test_search_needs_a_shop_cipher(running, token):
    status, envelope = call(running, token, "POST", SEARCH, {}, {"page_size": "10"}, shop_index=None)
    assert envelope["code"] == 106013


def test_detail_takes_up_to_fifty_ids_of_this_shop(running, token):
    us_order, uk_order = running.sandbox.sell(SKU), running.sandbox.sell("SS-0001-M", shop_id="7494000000000000102")
    for path in (DETAIL, "/order/202507/orders"):
        status, envelope = call(running, token, "GET", path, query={"ids": us_order.id})
        assert envelope["code"] == 0 and [o["id"] for o in envelope["data"]["orders"]] == [us_order.id]
    status, envelope = call(running, token, "GET", DETAIL, query={"ids": f"{us_order.id},{uk_order.id}"})
    assert envelope["code"] == 21008111
    status, envelope = call(running, token, "GET", DETAIL, query={"ids": ",".join([us_order.id] * 51)})
    assert envelope["code"] == 36009004
    status, envelope = call(running, token, "GET", DETAIL, query={"ids": uk_order.id}, shop_index=1)
    assert envelope["data"]["orders"][0]["payment"]["currency"] == "GBP"


# ---- webhooks ------------------------------------------------------------------------------------------
def test_subscriptions_are_listed_replaced_and_deleted_per_shop(running, token):
    subscribe(running, token, "https://hooks.example.com/a", "ORDER_STATUS_CHANGE", "RETURN_STATUS_CHANGE")
    subscribe(running, token, "https://hooks.example.com/b", "ORDER_STATUS_CHANGE")
    status, envelope = call(running, token, "GET", WEBHOOKS)
    hooks = {w["event_type"]: w["address"] for w in envelope["data"]["webhooks"]}
    assert hooks == {"ORDER_STATUS_CHANGE": "https://hooks.example.com/b",
                     "RETURN_STATUS_CHANGE": "https://hooks.example.com/a"}
    assert call(running, token, "GET", WEBHOOKS, shop_index=1)[1]["data"]["webhooks"] == []
    assert call(running, token, "DELETE", WEBHOOKS, {"event_type": "RETURN_STATUS_CHANGE"})[1]["code"] == 0
    assert call(running, token, "DELETE", WEBHOOKS, {"event_type": "RETURN_STATUS_CHANGE"})[1]["code"] == 0
    assert call(running, token, "GET", WEBHOOKS)[1]["data"]["total_count"] == 1
    for bad in ({"event_type": "ORDER_PAID", "address": "https://hooks.example.com"},
                {"event_type": "ORDER_STATUS_CHANGE", "address": "http://hooks.example.com"},
                {"event_type": "ORDER_STATUS_CHANGE", "address": "https://10.0.0.1/hook"},
                {"event_type": "ORDER_STATUS_CHANGE", "address": "https://hooks.example.com/" + "x" * 250}):
        assert call(running, token, "PUT", WEBHOOKS, bad)[1]["code"] == 36009004


def test_a_sale_sends_signed_status_webhooks_to_the_subscribed_address(running, token, webhook_receiver):
    subscribe(running, token, webhook_receiver.url, "ORDER_STATUS_CHANGE")
    order = running.sandbox.sell(SKU)
    eventually(lambda: len(webhook_receiver.deliveries) == 2)
    assert all(webhook_is_signed(d) for d in webhook_receiver.deliveries)
    first, second = notifications(webhook_receiver)
    assert first["type"] == 1 and first["shop_id"] == running.sandbox.shops[0].id
    assert first["data"] == {"order_id": order.id, "order_status": "UNPAID", "is_on_hold_order": True,
                             "update_time": order.create_time}
    assert second["data"]["order_status"] == "ON_HOLD"
    assert first["tts_notification_id"] != second["tts_notification_id"]
    assert isinstance(first["timestamp"], int)
    running.sandbox.sell("SS-0001-M", shop_id="7494000000000000102")  # a shop with no subscription: nothing sent
    assert running.sandbox.events.outbox.wait_until_drained(5) and len(webhook_receiver.deliveries) == 2


def test_failed_deliveries_are_retried_and_controls_drop_or_duplicate(running, token, webhook_receiver):
    subscribe(running, token, webhook_receiver.url, "ORDER_STATUS_CHANGE")
    webhook_receiver.fail_first = 1
    running.sandbox.sell(SKU, on_hold=False)
    eventually(lambda: len(webhook_receiver.deliveries) == 3)  # UNPAID failed once, retried; AWAITING_SHIPMENT
    ids = [n["tts_notification_id"] for n in notifications(webhook_receiver)]
    assert sorted(ids.count(i) for i in set(ids)) == [1, 2]
    webhook_receiver.deliveries.clear()
    requests.post(f"{running.base_url}/_control/webhooks", json={"drop": 1, "copies": 2}, timeout=5)
    running.sandbox.sell(SKU, on_hold=False)
    assert running.sandbox.events.outbox.wait_until_drained(5)
    received = notifications(webhook_receiver)
    assert len(received) == 3 and [n["data"]["order_status"] for n in received].count("AWAITING_SHIPMENT") == 2
    attempts = requests.get(f"{running.base_url}/_control/webhooks", timeout=5).json()["attempts"]
    assert [a["outcome"] for a in attempts].count("dropped") == 1


# ---- cancellations ---------------------------------------------------------------------------------------
def test_cancelling_gives_stock_back_and_notifies(running, token, webhook_receiver):
    subscribe(running, token, webhook_receiver.url, "ORDER_STATUS_CHANGE", "CANCELLATION_STATUS_CHANGE")
    before = stock(running)
    order = running.sandbox.sell(SKU, 2)
    line = order.line_items[0].id
    partial = control(running, f"/{order.id}/cancel", line_item_ids=[line], role="SELLER").json()
    assert partial["status"] == "ON_HOLD" and sum(stock(running).values()) == sum(before.values()) - 1
    cancelled = [li for li in partial["line_items"] if li["display_status"] == "CANCELLED"]
    assert [li["id"] for li in cancelled] == [line] and cancelled[0]["cancel_user"] == "SELLER"
    whole = control(running, f"/{order.id}/cancel").json()
    assert whole["status"] == "CANCELLED" and whole["cancellation_initiator"] == "BUYER" and whole["cancel_time"]
    assert stock(running) == before
    assert control(running, f"/{order.id}/cancel").status_code == 409
    eventually(lambda: any(n["data"].get("order_status") == "CANCEL" for n in notifications(webhook_receiver)))
    kinds = [(n["type"], n["data"].get("order_status") or n["data"].get("cancel_status"))
             for n in notifications(webhook_receiver)]
    assert kinds.count((11, "CANCELLATION_REQUEST_COMPLETE")) == 2 and (1, "CANCEL") in kinds


# ---- the buyers' page, carriers moving orders on, unpaid orders, external references --------------------
def test_the_buyers_page_sells_with_or_without_hold_and_moves_orders_on(running):
    page = requests.get(f"{running.base_url}/_control/admin", timeout=5)
    assert page.status_code == 200 and f"value='{SKU}'" in page.text
    before = stock(running)
    answer = requests.post(f"{running.base_url}/_control/admin/sell",
                           data={"seller_sku": SKU, "quantity": "2"}, timeout=5)  # hold box unticked
    assert answer.status_code == 200 and "placed (AWAITING_SHIPMENT)" in answer.text
    assert sum(stock(running).values()) == sum(before.values()) - 2
    refused = requests.post(f"{running.base_url}/_control/admin/sell",
                            data={"seller_sku": SKU, "quantity": "99", "on_hold": "1"}, timeout=5)
    assert "Refused: not enough stock" in refused.text
    order = next(iter(running.sandbox.book.orders.values()))
    with running.sandbox.lock:
        buying.ship(running.sandbox, order, [i.id for i in order.line_items], "1Z999AA10123456784",
                    "7117859084333745966", "UPS")
    for expected in ("IN_TRANSIT", "DELIVERED", "COMPLETED"):
        moved = requests.post(f"{running.base_url}/_control/admin/orders/{order.id}/advance", timeout=5)
        assert f"Order {order.id}: advance done" in moved.text and order.status == expected
    assert order.collection_time and order.delivery_time
    assert control(running, f"/{order.id}/advance").status_code == 409


def test_an_unpaid_order_is_paid_after_the_configured_delay():
    with running_sandbox(tiktok_payment_seconds=0.2, tiktok_on_hold_seconds=0.2) as slow:
        order = slow.sandbox.sell(SKU)
        assert order.status == "UNPAID" and order.paid_time is None
        eventually(lambda: order.status == "AWAITING_SHIPMENT", timeout=5)
        assert order.paid_time and order.is_on_hold_order


def test_external_order_references_are_saved_and_searched(running, token):
    order = running.sandbox.sell(SKU, 2)
    reference = {"id": "5550001112223", "platform": "SHOPIFY",
                 "line_items": [{"id": "13370000001", "origin_id": order.line_items[0].id}]}
    status, envelope = call(running, token, "POST", "/order/202406/orders/external_orders", {"orders": [
        {"id": order.id, "external_order": reference},
        {"id": "1", "external_order": reference},
        {"id": order.id, "external_order": dict(reference, platform="SHOPIFY_PLUS")}]})
    assert envelope["code"] == 0
    assert [e["code"] for e in envelope["data"]["errors"]] == [36020001, 36009004]
    status, found = call(running, token, "GET", f"/order/202406/orders/{order.id}/external_orders",
                         query={"platform": "SHOPIFY"})
    assert found["data"]["external_orders"] == [reference]
    status, searched = call(running, token, "POST", "/order/202406/orders/external_order_search",
                            query={"platform": "SHOPIFY", "external_order_id": "5550001112223"})
    assert searched["data"]["orders"] == [{"id": order.id, "external_order": reference}]


def test_discounts_show_in_lines_and_payment_and_a_bad_one_sells_nothing(running):
    before = stock(running)
    order = control(running, "", seller_sku=SKU, quantity=2, seller_discount="1.00", platform_discount="0.50").json()
    line = order["line_items"][0]
    assert (line["original_price"], line["seller_discount"], line["platform_discount"], line["sale_price"]) == (
        "6.50", "1.00", "0.50", "5.00")
    payment = order["payment"]
    assert (payment["original_total_product_price"], payment["seller_discount"], payment["platform_discount"],
            payment["sub_total"]) == ("13.00", "2.00", "1.00", "10.00")
    after_sale = stock(running)
    assert sum(after_sale.values()) == sum(before.values()) - 2
    assert control(running, "", seller_sku=SKU, seller_discount="7.00").status_code == 409
    assert control(running, "", seller_sku=SKU, seller_discount="abc").status_code == 409
    assert stock(running) == after_sale


def test_each_api_has_its_own_qps_budget_per_shop():
    with running_sandbox(tiktok_qps=2) as tight:
        token = access_token_for(tight)
        order = tight.sandbox.sell(SKU)
        codes = [call(tight, token, "POST", SEARCH, {}, {"page_size": "1"})[1]["code"] for _ in range(3)]
        assert codes[:2] == [0, 0] and codes[2] == 36009002
        assert call(tight, token, "GET", DETAIL, query={"ids": order.id})[1]["code"] == 0  # another API
        assert call(tight, token, "POST", SEARCH, {}, {"page_size": "1"}, shop_index=1)[1]["code"] == 0  # shop
