"""TikTok sandbox fulfilment, carriers, cancellations and returns over HTTP, signed by the tests' own code."""
import json

import pytest
import requests

from shopsync.sandbox.tiktok import buying
from tests.support.shopify_sandbox import webhook_receiver  # noqa: F401 - fixture
from tests.support.tiktok import running, running_sandbox, token  # noqa: F401 - fixtures
from tests.support.tiktok_calls import call, eventually, webhook_is_signed

SKU = "TT-ONLY-STICKERS"
USPS, UPS = "7117858858072016686", "7117859084333745966"


@pytest.fixture(scope="module")
def server():
    with running_sandbox(tiktok_on_hold_seconds=3600, tiktok_webhook_retry_delays=(0.05,)) as running:
        yield running


def ship(running, token, order_id, body):
    return call(running, token, "POST", f"/fulfillment/202309/orders/{order_id}/packages", body)[1]


def test_providers_come_from_the_order_delivery_option(running, token):
    order = running.sandbox.sell(SKU, on_hold=False)
    status, envelope = call(running, token, "GET",
                            f"/logistics/202309/delivery_options/{order.delivery_option.id}/shipping_providers")
    names = {p["name"]: p["id"] for p in envelope["data"]["shipping_providers"]}
    assert names["USPS"] == USPS and names["UPS"] == UPS
    fbt = running.sandbox.sell(SKU, fulfilled_by_tiktok=True)
    status, envelope = call(running, token, "GET",
                            f"/logistics/202309/delivery_options/{fbt.delivery_option.id}/shipping_providers")
    assert envelope["code"] == 36009004
    warehouse = running.sandbox.shops[0].sales_warehouse_ids[0]
    status, envelope = call(running, token, "GET", f"/logistics/202309/warehouses/{warehouse}/delivery_options")
    assert [o["id"] for o in envelope["data"]["delivery_options"]] == [order.delivery_option.id]


def test_marking_shipped_refuses_held_orders_and_bad_tracking_then_ships_in_parts(running, token, webhook_receiver):
    for event_type in ("ORDER_STATUS_CHANGE", "PACKAGE_UPDATE"):
        call(running, token, "PUT", "/event/202309/webhooks",
             {"event_type": event_type, "address": webhook_receiver.url})
    order = running.sandbox.sell(SKU, 3)
    first, second, third = (item.id for item in order.line_items)
    good = {"tracking_number": "1Z999AA10123456784", "shipping_provider_id": UPS, "order_line_item_ids": [first]}
    assert ship(running, token, order.id, good)["code"] == 21011044
    with running.sandbox.lock:
        buying.release_hold(running.sandbox, order)
    for bad in (dict(good, tracking_number="1Z"), dict(good, tracking_number="1Z 999"),
                dict(good, shipping_provider_id="123"), dict(good, order_line_item_ids=["1"])):
        assert ship(running, token, order.id, bad)["code"] == 36009004
    envelope = ship(running, token, order.id, good)
    assert envelope["code"] == 0 and envelope["data"]["order_line_item_ids"] == [first]
    assert "warning" not in envelope["data"]
    assert order.status == "PARTIALLY_SHIPPING"
    assert ship(running, token, order.id, good)["code"] == 36009004  # that line already left
    mismatched = ship(running, token, order.id, {"tracking_number": "9400111899223856928499",
                                                 "shipping_provider_id": UPS, "order_line_item_ids": [second]})
    assert mismatched["data"]["warning"]["message"].endswith("Did you mean USPS?")
    rest = ship(running, token, order.id, {"tracking_number": "9400111899223856928400", "shipping_provider_id": USPS})
    assert rest["data"]["order_line_item_ids"] == [third] and order.status == "AWAITING_COLLECTION"
    status, detail = call(running, token, "GET", "/order/202309/orders", query={"ids": order.id})
    shipped = detail["data"]["orders"][0]
    assert len(shipped["packages"]) == 3 and shipped["split_or_combine_tag"] == "SPLIT"
    lines = {li["id"]: li for li in shipped["line_items"]}
    assert lines[first]["tracking_number"] == "1Z999AA10123456784" and lines[first]["shipping_provider_name"] == "UPS"
    package_id = lines[first]["package_id"]
    status, package = call(running, token, "GET", f"/fulfillment/202309/packages/{package_id}")
    assert package["data"]["tracking_number"] == "1Z999AA10123456784"
    assert package["data"]["orders"] == [{"id": order.id, "skus": [{"id": order.line_items[0].sku_id, "name": SKU,
                                                                    "image_url": "", "quantity": 1}]}]
    eventually(lambda: any(b"AWAITING_COLLECTION" in d["body"] for d in webhook_receiver.deliveries))
    assert all(webhook_is_signed(d) for d in webhook_receiver.deliveries)
    assert not any(b"PARTIALLY_SHIPPING" in d["body"] for d in webhook_receiver.deliveries)
    splits = [json.loads(d["body"]) for d in webhook_receiver.deliveries if json.loads(d["body"])["type"] == 4]
    assert len(splits) == 3 and splits[-1]["data"]["sc_type"] == "SPLIT"
    assert [p["order_id_list"] for p in splits[-1]["data"]["package_list"]] == [[order.id]] * 3


def test_tracking_can_be_corrected_within_72_hours(running, token):
    order = running.sandbox.sell(SKU, on_hold=False)
    ship(running, token, order.id, {"tracking_number": "1Z999AA10123456784", "shipping_provider_id": UPS})
    fix = {"tracking_number": "9400111899223856928499", "shipping_provider_id": USPS}
    assert call(running, token, "POST", f"/fulfillment/202309/orders/{order.id}/shipping_info/update", fix)[1][
        "code"] == 0
    assert order.packages[0].tracking_number == "9400111899223856928499"
    order.packages[0].create_time -= 73 * 3600
    late = call(running, token, "POST", f"/fulfillment/202309/packages/{order.packages[0].id}/shipping_info/update",
                fix)[1]
    assert late["code"] == 21011049


def test_fulfilled_by_tiktok_orders_are_shipped_by_tiktok(running, token):
    with running_sandbox(tiktok_fbt_ship_seconds=0.1) as quick:
        sku_id = quick.sandbox.sell(SKU, on_hold=False).line_items[0].sku_id
        before = quick.sandbox.sku_state(sku_id)["inventory"]
        order = quick.sandbox.sell(SKU, on_hold=False, fulfilled_by_tiktok=True)
        assert order.warehouse_id not in quick.sandbox.shops[0].sales_warehouse_ids
        assert quick.sandbox.sku_state(sku_id)["inventory"] == before  # TikTok's own stock, not the seller's
        eventually(lambda: order.status == "AWAITING_COLLECTION", timeout=5)
        assert order.packages and order.packages[0].tracking_number
    fbt = running.sandbox.sell(SKU, fulfilled_by_tiktok=True, on_hold=False)
    assert ship(running, token, fbt.id, {"tracking_number": "1Z999AA10123456784",
                                         "shipping_provider_id": UPS})["code"] == 36009004


def test_seller_cancels_and_cancellations_search(running, token):
    order = running.sandbox.sell(SKU, 2, on_hold=False)
    partial = {"order_id": order.id, "cancel_reason": "seller_cancel_reason_out_of_stock",
               "order_line_item_ids": [order.line_items[0].id]}
    envelope = call(running, token, "POST", "/return_refund/202309/cancellations", partial)[1]
    assert envelope["code"] == 0 and envelope["data"]["cancel_status"] == "CANCELLATION_REQUEST_COMPLETE"
    wrong_reason = dict(partial, cancel_reason="seller_cancel_reason_wrong_price")
    assert call(running, token, "POST", "/return_refund/202309/cancellations", wrong_reason)[1]["code"] == 36009004
    whole = {"order_id": order.id, "cancel_reason": "seller_cancel_reason_wrong_price"}
    assert call(running, token, "POST", "/return_refund/202602/cancellations", whole)[1]["code"] == 0
    assert order.status == "CANCELLED"
    status, found = call(running, token, "POST", "/return_refund/202309/cancellations/search",
                         {"order_ids": [order.id]}, {"page_size": "1"})
    rows = found["data"]["cancellations"]
    assert found["data"]["total_count"] == 2 and len(rows) == 1 and found["data"]["next_page_token"]
    assert rows[0]["role"] == "SELLER" and len(rows[0]["cancel_line_items"]) == 1
    assert rows[0]["cancel_line_items"][0]["order_line_item_id"] == order.line_items[0].id
    status, rest = call(running, token, "POST", "/return_refund/202309/cancellations/search",
                        {"order_ids": [order.id]}, {"page_size": "1", "page_token": found["data"]["next_page_token"]})
    assert rest["data"]["cancellations"][0]["cancel_id"] != rows[0]["cancel_id"]
    assert rest["data"]["cancellations"][0]["refund_amount"]["refund_shipping_fee"] == "4.99"
    assert call(running, token, "POST", "/return_refund/202309/cancellations/search", {},
                {"page_size": "51"})[1]["code"] == 36009004


def test_returns_walk_to_complete_and_are_searchable(running, token, webhook_receiver):
    call(running, token, "PUT", "/event/202309/webhooks",
         {"event_type": "RETURN_STATUS_CHANGE", "address": webhook_receiver.url})
    order = running.sandbox.sell(SKU, 2, on_hold=False)
    ship(running, token, order.id, {"tracking_number": "1Z999AA10123456784", "shipping_provider_id": UPS})
    stock = running.sandbox.sku_state(order.line_items[0].sku_id)["inventory"]
    returned = requests.post(f"{running.base_url}/_control/orders/{order.id}/return",
                             json={"line_item_ids": [order.line_items[1].id]}, timeout=5).json()
    assert returned["return_status"] == "RETURN_OR_REFUND_REQUEST_COMPLETE"
    assert running.sandbox.sku_state(order.line_items[0].sku_id)["inventory"] == stock  # TikTok does not restock
    status, found = call(running, token, "POST", "/return_refund/202309/returns/search",
                         {"return_status": ["RETURN_OR_REFUND_REQUEST_COMPLETE"]}, {"page_size": "10"})
    rows = found["data"]["return_orders"]
    assert [r["order_id"] for r in rows] == [order.id] and rows[0]["return_type"] == "RETURN_AND_REFUND"
    assert [li["order_line_item_id"] for li in rows[0]["return_line_items"]] == [order.line_items[1].id]
    eventually(lambda: len(webhook_receiver.deliveries) == 4)
    statuses = [json.loads(d["body"])["data"]["return_status"] for d in webhook_receiver.deliveries]
    assert statuses == ["RETURN_OR_REFUND_REQUEST_PENDING", "AWAITING_BUYER_SHIP", "BUYER_SHIPPED_ITEM",
                        "RETURN_OR_REFUND_REQUEST_COMPLETE"]
    assert requests.post(f"{running.base_url}/_control/orders/{order.id}/return",
                         json={"line_item_ids": [order.line_items[1].id]}, timeout=5).status_code == 409



def test_a_buyer_cancel_request_waits_for_the_seller(running, token, webhook_receiver):
    call(running, token, "PUT", "/event/202309/webhooks",
         {"event_type": "CANCELLATION_STATUS_CHANGE", "address": webhook_receiver.url})
    sold = running.sandbox.sell(SKU, on_hold=False)
    after_sale = sum(running.sandbox.sku_state(sold.line_items[0].sku_id)["inventory"].values())
    asked = requests.post(f"{running.base_url}/_control/orders/576461413038785001/cancel", json={"request": True},
                          timeout=5).json()
    assert asked["cancel_status"] == "CANCELLATION_REQUEST_PENDING" and asked["is_buyer_request_cancel"]
    status, found = call(running, token, "POST", "/order/202309/orders/search", {"is_buyer_request_cancel": True},
                         {"page_size": "10"})
    assert [o["id"] for o in found["data"]["orders"]] == ["576461413038785001"]
    assert call(running, token, "POST", f"/return_refund/202309/cancellations/{asked['cancel_id']}/reject",
                {"reject_reason": "seller_reject_apply_product_has_been_packed"})[1]["code"] == 36009004  # US
    assert call(running, token, "POST",
                f"/return_refund/202309/cancellations/{asked['cancel_id']}/approve")[1]["code"] == 0
    order = running.sandbox.order("576461413038785001")
    assert order.status == "CANCELLED" and not order.cancel_request
    assert sum(running.sandbox.sku_state(order.line_items[0].sku_id)["inventory"].values()) == after_sale + 1
    assert call(running, token, "POST",
                f"/return_refund/202309/cancellations/{asked['cancel_id']}/approve")[1]["code"] == 36009004
    second = running.sandbox.sell(SKU, on_hold=False)
    with running.sandbox.lock:
        request = buying.request_cancel(running.sandbox, second)
    shipped = ship(running, token, second.id, {"tracking_number": "1Z999AA10123456784", "shipping_provider_id": UPS})
    assert shipped["code"] == 0 and request.status == "CANCELLATION_REQUEST_CANCEL"  # shipping rejects it (US)
    eventually(lambda: any(b"CANCELLATION_REQUEST_CANCELLED" in d["body"] for d in webhook_receiver.deliveries))
    statuses = [json.loads(d["body"])["data"]["cancel_status"] for d in webhook_receiver.deliveries]
    assert statuses[:3] == ["CANCELLATION_REQUEST_PENDING", "CANCELLATION_REQUEST_SUCCESS",
                            "CANCELLATION_REQUEST_COMPLETE"]


def test_a_fault_after_the_call_ran_loses_the_answer_but_keeps_the_package(running, token):
    order = running.sandbox.sell(SKU, on_hold=False)
    status, search = call(running, token, "POST", "/order/202309/orders/search", {}, {"page_size": "5"})
    assert search["code"] == 0
    requests.post(f"{running.base_url}/_control/faults", timeout=5,
                  json={"kind": "server_error", "count": 1, "path": "/packages", "after": True})
    status, search = call(running, token, "POST", "/order/202309/orders/search", {}, {"page_size": "5"})
    assert search["code"] == 0  # another path: untouched
    lost = call(running, token, "POST", f"/fulfillment/202309/orders/{order.id}/packages",
                {"tracking_number": "1Z999AA10123456784", "shipping_provider_id": UPS})
    assert lost[0] == 500 and lost[1]["code"] == 36009003
    assert order.status == "AWAITING_COLLECTION" and order.packages[0].tracking_number == "1Z999AA10123456784"
    with pytest.raises(ValueError):
        running.sandbox.set_fault("rate_limit", count=1, after=True)


def test_the_seller_decides_a_pending_return(running, token):
    order = running.sandbox.sell(SKU, 2, on_hold=False)
    ship(running, token, order.id, {"tracking_number": "1Z999AA10123456784", "shipping_provider_id": UPS})
    first = requests.post(f"{running.base_url}/_control/orders/{order.id}/return", timeout=5, json={
        "line_item_ids": [order.line_items[0].id], "until": "RETURN_OR_REFUND_REQUEST_PENDING"}).json()
    second = requests.post(f"{running.base_url}/_control/orders/{order.id}/return", timeout=5, json={
        "line_item_ids": [order.line_items[1].id], "return_type": "REFUND",
        "until": "RETURN_OR_REFUND_REQUEST_PENDING"}).json()
    path = "/return_refund/202309/returns/{}/{}"
    assert call(running, token, "POST", path.format(first["return_id"], "approve"),
                {"decision": "APPROVE_REFUND"})[1]["code"] == 36009004  # a return of goods, not a refund only
    assert call(running, token, "POST", path.format(first["return_id"], "approve"),
                {"decision": "APPROVE_RETURN"})[1]["code"] == 0
    assert running.sandbox.book.returns[first["return_id"]].status == "AWAITING_BUYER_SHIP"
    assert call(running, token, "POST", path.format(second["return_id"], "reject"),
                {"decision": "REJECT_REFUND"})[1]["code"] == 36009004  # no reason
    assert call(running, token, "POST", path.format(second["return_id"], "reject"),
                {"decision": "REJECT_REFUND", "reject_reason": "seller_reject_return_reason"})[1]["code"] == 0
    assert running.sandbox.book.returns[second["return_id"]].status == "REFUND_OR_RETURN_REQUEST_REJECT"
    assert not order.line_items[1].returned  # rejected: the buyer may ask again


def test_fbt_orders_take_stock_from_tiktok_warehouses_and_seller_orders_never_do(running, token):
    sku_id = running.sandbox.sell(SKU, on_hold=False).line_items[0].sku_id
    fbt_warehouse = running.sandbox.add_platform_warehouse(running.sandbox.shops[0].id, {sku_id: 2})
    seller_before = {w: q for w, q in running.sandbox.sku_state(sku_id)["inventory"].items() if w != fbt_warehouse}
    order = running.sandbox.sell(SKU, 2, on_hold=False, fulfilled_by_tiktok=True)
    assert order.warehouse_id == fbt_warehouse
    after = running.sandbox.sku_state(sku_id)["inventory"]
    assert after[fbt_warehouse] == 0 and {w: q for w, q in after.items() if w != fbt_warehouse} == seller_before
    with pytest.raises(buying.OrderError, match="not enough stock"):
        running.sandbox.sell(SKU, fulfilled_by_tiktok=True)
    with pytest.raises(buying.OrderError):
        running.sandbox.sell(SKU, warehouse_id=fbt_warehouse)  # a seller order never ships from TikTok's
    with running.sandbox.lock:
        buying.cancel(running.sandbox, order)
    assert running.sandbox.sku_state(sku_id)["inventory"][fbt_warehouse] == 2
