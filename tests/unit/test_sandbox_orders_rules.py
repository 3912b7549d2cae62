"""Pure rules of the order simulators: webhook topic names, TikTok's cursor pages, what an order shows."""
from decimal import Decimal

import pytest

from shopsync.sandbox.shopify.webhooks import topic_name
from shopsync.sandbox.tiktok.answers import Refused, cursor_page
from shopsync.sandbox.tiktok.buying import DELIVERY_OPTIONS, BUYERS
from shopsync.sandbox.tiktok.orders import LineItem, Order, address_json, order_json, payment_json


@pytest.mark.parametrize("enum, topic", [
    ("PRODUCTS_UPDATE", "products/update"), ("INVENTORY_LEVELS_UPDATE", "inventory_levels/update"),
    ("ORDERS_PARTIALLY_FULFILLED", "orders/partially_fulfilled"), ("APP_SCOPES_UPDATE", "app/scopes_update"),
    ("FULFILLMENT_ORDERS_PLACED_ON_HOLD", "fulfillment_orders/placed_on_hold"),
    ("BULK_OPERATIONS_FINISH", "bulk_operations/finish"), ("REFUNDS_CREATE", "refunds/create"),
])
def test_topic_names(enum, topic):
    assert topic_name(enum) == topic


def test_cursor_pages_cover_everything_once_and_refuse_a_forged_token():
    rows = list(range(7))
    seen, token = [], ""
    while True:
        page, token = cursor_page(rows, lambda r: (r % 3, r), 3, token, descending=True)
        seen += page
        if not token:
            break
    assert sorted(seen) == rows and len(seen) == 7
    with pytest.raises(Refused):
        cursor_page(rows, lambda r: (r, r), 3, "W10=", descending=False)  # base64 of []


def _order(status: str, fbt: bool = False) -> Order:
    lines = [LineItem(id=str(n), sku_id="9", product_id="8", seller_sku="A", product_name="P", sku_name="A",
                      original_price=Decimal("10.00"), seller_discount=Decimal("1.00"),
                      platform_discount=Decimal("0.50"), tax_rate=Decimal("0.0725")) for n in range(2)]
    return Order(id="1", shop_id="2", currency="USD", region="US", buyer=BUYERS["US"][0], warehouse_id="3",
                 delivery_option=DELIVERY_OPTIONS["US"][1 if fbt else 0], line_items=lines, create_time=100,
                 shipping_fee=Decimal("4.99"), status=status)


def test_payment_adds_up_and_a_cancelled_line_leaves_it():
    order = _order("AWAITING_SHIPMENT")
    payment = payment_json(order)
    assert payment["sub_total"] == "17.00" and payment["tax"] == "1.24"
    assert Decimal(payment["total_amount"]) == Decimal("17.00") + Decimal("4.99") + Decimal("1.24")
    order.line_items[0].cancelled_by = "BUYER"
    assert payment_json(order)["sub_total"] == "8.50"


@pytest.mark.parametrize("status, fbt, shown", [("ON_HOLD", False, ""), ("AWAITING_SHIPMENT", False, "1 Example St"),
                                                ("CANCELLED", False, "******"), ("AWAITING_SHIPMENT", True, "******")])
def test_the_address_shows_only_when_the_seller_may_ship_it(status, fbt, shown):
    assert address_json(_order(status, fbt))["address_line1"] == shown


def test_order_json_keeps_ids_as_strings_and_leaves_unset_times_out():
    data = order_json(_order("UNPAID"))
    assert data["id"] == "1" and all(isinstance(li["id"], str) for li in data["line_items"])
    assert "paid_time" not in data and "rts_time" not in data and data["cancel_order_sla_time"] == 3700
