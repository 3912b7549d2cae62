"""Pure parts of orders: TikTok's order shape, the Shopify order built from it, settings, held units, carriers."""
from __future__ import annotations

import json
from decimal import Decimal

import pytest

from shopsync.platforms.tiktok.fulfillment import ShippingProvider, TRACKING_NUMBER
from shopsync.platforms.tiktok.orders import CANCELLED, parse_order
from shopsync.platforms.tiktok.webhooks import parse_notification, verify_webhook_signature, webhook_signature
from shopsync.sync.orders.carriers import matching_provider, normalise
from shopsync.sync.orders.settings import AFTER_HOLD, NO_RESTOCK, OrderSettings, clean_order_settings
from shopsync.sync.orders.shopify_order import Line, create_options, order_input, shipping_address
from shopsync.sync.pushes.held import per_warehouse
from shopsync.sync.pushes.rules import LinkSettings, SettingsError, desired_quantity


def tiktok_order(**overrides) -> dict:
    order = {
        "id": 576461413038785752, "status": "AWAITING_SHIPMENT", "update_time": 1735689700, "create_time": 1735689600,
        "paid_time": 1735689610, "is_on_hold_order": True, "fulfillment_type": "FULFILLMENT_BY_SELLER",
        "shipping_type": "SELLER", "warehouse_id": "7000", "delivery_option_id": "900", "delivery_option_name": "Standard",
        "buyer_email": "v2b2V5@chat.seller.tiktok.com",
        "payment": {"currency": "USD", "sub_total": "37.98", "shipping_fee": "4.99", "tax": "3.26",
                    "total_amount": "46.23", "seller_discount": "2.00", "platform_discount": "0.00",
                    "original_total_product_price": "39.98"},
        "recipient_address": {"name": "Jane Doe", "first_name": "Jane", "last_name": "Doe",
                              "phone_number": "(+1)213-***-1234", "region_code": "US", "postal_code": "90001",
                              "address_line1": "1 Example St", "address_line2": "Apt 2",
                              "district_info": [{"address_level": "L0", "address_name": "United States"},
                                                {"address_level": "L1", "address_name": "California",
                                                 "iso_code": "US-CA"},
                                                {"address_level": "L3", "address_name": "Los Angeles"}]},
        "line_items": [
            {"id": "1001", "sku_id": 1731, "seller_sku": "TEE-M", "product_name": "Tee", "sku_name": "M",
             "original_price": "19.99", "sale_price": "18.99", "currency": "USD", "display_status": "AWAITING_SHIPMENT"},
            {"id": "1002", "sku_id": "1731", "seller_sku": "TEE-M", "product_name": "Tee", "sku_name": "M",
             "original_price": "19.99", "sale_price": "18.99", "currency": "USD", "display_status": "CANCELLED"},
        ],
    }
    order.update(overrides)
    return order


def test_order_ids_are_strings_and_the_webhook_spelling_of_cancelled_is_understood():
    order = parse_order(tiktok_order(status="CANCEL"))
    assert order.id == "576461413038785752" and order.status == CANCELLED and order.is_cancelled
    assert [item.sku_id for item in order.line_items] == ["1731", "1731"]
    assert [item.is_cancelled for item in order.line_items] == [False, True]
    assert order.address.state_code == "US-CA" and order.address.city == "Los Angeles"


def test_the_shopify_order_is_paid_tagged_sourced_and_never_carries_the_relay_email():
    order = parse_order(tiktok_order())
    lines = [Line("1731", "Tee - M", "TEE-M", 1, Decimal("19.99"), 44556677)]
    body = order_input(order, lines, tag="TikTok Shop", fbt_location_id=None)
    assert body["sourceIdentifier"] == "576461413038785752" and body["sourceName"] == "tiktok_shop"
    assert body["tags"] == ["TikTok Shop", "tiktok:576461413038785752"]
    assert body["financialStatus"] == "PAID"
    assert body["transactions"] == [{"kind": "SALE", "status": "SUCCESS", "gateway": "TikTok Shop",
                                     "amountSet": {"shopMoney": {"amount": "46.23", "currencyCode": "USD"}}}]
    assert body["lineItems"] == [{"quantity": 1, "priceSet": {"shopMoney": {"amount": "19.99", "currencyCode": "USD"}},
                                  "requiresShipping": True, "variantId": "gid://shopify/ProductVariant/44556677",
                                  "sku": "TEE-M"}]
    assert body["discountCode"]["itemFixedDiscountCode"]["amountSet"]["shopMoney"]["amount"] == "2.00"
    assert body["taxLines"][0]["channelLiable"] is True and body["taxLines"][0]["rate"] == "0.0759"
    assert body["shippingLines"][0]["priceSet"]["shopMoney"]["amount"] == "4.99"
    text = json.dumps(body)
    assert "chat.seller.tiktok.com" not in text and "email" not in text and "customer" not in text
    assert "fulfillment" not in body
    assert create_options(False) == {"inventoryBehaviour": "DECREMENT_IGNORING_POLICY", "sendReceipt": False,
                                     "sendFulfillmentReceipt": False}
    assert create_options(True)["inventoryBehaviour"] == "BYPASS"


def test_the_address_is_as_tiktok_gives_it_without_a_masked_phone_and_absent_while_hidden():
    address = shipping_address(parse_order(tiktok_order()).address)
    assert address == {"firstName": "Jane", "lastName": "Doe", "address1": "1 Example St", "address2": "Apt 2",
                       "city": "Los Angeles", "zip": "90001", "countryCode": "US", "provinceCode": "CA"}
    with_phone = tiktok_order()
    with_phone["recipient_address"]["phone_number"] = "(+1)213-555-1234"
    assert shipping_address(parse_order(with_phone).address)["phone"] == "+12135551234"
    on_hold = parse_order(tiktok_order(status="ON_HOLD", recipient_address={}))
    assert shipping_address(on_hold.address) is None
    assert "shippingAddress" not in order_input(on_hold, [], tag="", fbt_location_id=None)


def test_an_order_tiktok_fulfils_arrives_fulfilled_from_a_location():
    order = parse_order(tiktok_order(fulfillment_type="FULFILLMENT_BY_TIKTOK"))
    body = order_input(order, [], tag="", fbt_location_id=24826418)
    assert body["fulfillment"] == {"locationId": "gid://shopify/Location/24826418", "notifyCustomer": False}
    assert body["tags"] == ["tiktok:576461413038785752"]


def test_order_settings_default_safely_and_refuse_bad_values():
    assert OrderSettings.of({}) == OrderSettings(import_orders=True, create_mode="at_once", location_id=None,
                                                 tag="TikTok Shop", return_policy=NO_RESTOCK)
    assert OrderSettings.of({"create_mode": AFTER_HOLD, "bogus": 1, "tag": "x" * 99}).create_mode == AFTER_HOLD
    with pytest.raises(SettingsError) as refused:
        clean_order_settings({"create_mode": "later", "tag": "a,b", "location_id": "-3", "return_policy": "x"})
    assert set(refused.value.errors) == {"create_mode", "tag", "location_id", "return_policy"}


@pytest.mark.parametrize(("available", "buffer", "held", "cap", "expected"), [
    (10, 0, 3, None, 7),
    (10, 2, 3, None, 5),
    (2, 0, 3, None, 0),  # never below zero
    (100, 0, 3, 50, 50),  # the cap applies after the held units are taken off
    (52, 0, 3, 50, 49),
])
def test_held_units_come_off_the_stock_pushed_to_tiktok(available, buffer, held, cap, expected):
    settings = LinkSettings(inventory_buffer=buffer, inventory_cap=cap)
    assert desired_quantity({1: available}, settings, held=held) == expected


def test_held_units_of_orders_without_a_warehouse_count_in_the_default_one():
    held = {7: {None: 2, "W2": 1, "W1": 3}}
    assert per_warehouse(held, 7, "W1") == {"W1": 5, "W2": 1}
    assert per_warehouse(held, 8, "W1") == {}


def test_a_notification_is_read_from_its_envelope_and_its_signature_checked_on_the_raw_body():
    body = json.dumps({"type": 1, "tts_notification_id": "7327112393057371910", "shop_id": 7494049642642441621,
                       "timestamp": 1644412885, "data": {"order_id": 576461413038785752,
                                                         "order_status": "ON_HOLD"}}).encode()
    notification = parse_notification(body)
    assert (notification.type, notification.shop_id, notification.order_id) == (
        1, "7494049642642441621", "576461413038785752")
    signature = webhook_signature(body, "key", "secret")
    assert verify_webhook_signature(body, signature, "key", "secret")
    assert not verify_webhook_signature(body + b" ", signature, "key", "secret")
    with pytest.raises(ValueError):
        parse_notification(b'{"type": 1}')


def test_carriers_match_by_normalised_name_only_when_unambiguous():
    providers = [ShippingProvider("1", "UPS"), ShippingProvider("2", "FedEx"), ShippingProvider("3", "Fed Ex")]
    assert normalise(" U.P.S ") == "ups"
    assert matching_provider("ups", providers).id == "1"
    assert matching_provider("FEDEX", providers) is None  # two providers normalise to it
    assert matching_provider("DHL", providers) is None
    assert TRACKING_NUMBER.match("1Z999AA10123456784") and not TRACKING_NUMBER.match("1Z 999")


@pytest.mark.parametrize("body", [
    b'{"type": "1", "tts_notification_id": "1", "shop_id": "2"}',
    b'{"type": 1, "tts_notification_id": "1\\u0000", "shop_id": "2"}',
    b'{"type": 1, "tts_notification_id": "1", "shop_id": {"a": 1}}',
    b'{"type": 1, "tts_notification_id": "1", "shop_id": "2", "timestamp": 99999999999999999999}',
    b'[1, 2]',
])
def test_a_body_that_is_not_a_notification_is_refused(body):
    with pytest.raises(ValueError):
        parse_notification(body)


def test_an_order_id_that_is_not_tiktoks_is_none():
    body = b'{"type": 1, "tts_notification_id": "1", "shop_id": "2", "data": {"order_id": "1\\u00b2"}}'
    assert parse_notification(body).order_id is None
