"""The Shopify order for a TikTok order: orderCreate's input, built from TikTok's current detail.

Pure: no database, no HTTP. Amounts are TikTok's, in TikTok's currency: each line at
its unit price before discounts, TikTok's seller and platform discounts as one fixed
discount, its shipping fee, its tax (collected by TikTok as marketplace facilitator,
so channel-liable), and one successful sale transaction for the total, so the order
is paid. The buyer stays a guest: no customer record, no e-mail (TikTok's relay
address is never given to Shopify), only the name and address TikTok gives, and a
phone number only when it is a real one (TikTok masks most).
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime, timezone
from decimal import ROUND_HALF_UP, Decimal

from ...platforms.tiktok.orders import Address, TikTokOrder

SOURCE_NAME = "tiktok_shop"
GATEWAY = "TikTok Shop"
HOLD_HANDLE = "shopsync-tiktok-on-hold"
# The sale happened on TikTok whatever Shopify's stock says: Shopify must record it and claim the
# units, even past zero (DECREMENT_OBEYING_POLICY would refuse the order, BYPASS would not move stock).
INVENTORY_BEHAVIOUR = "DECREMENT_IGNORING_POLICY"
# TikTok ships FBT orders from its own warehouse, whose stock Shopify does not count.
FBT_INVENTORY_BEHAVIOUR = "BYPASS"
_PHONE = re.compile(r"^\+?[0-9]{7,15}$")
_WHOLE_UNIT = frozenset({"IDR", "JPY", "KRW", "VND"})


@dataclass(frozen=True)
class Line:
    """One Shopify line: a linked variant (or, unlinked, a custom item) and its units."""

    tiktok_sku_id: str
    title: str
    seller_sku: str | None
    quantity: int
    unit_price: Decimal
    variant_id: int | None


def order_input(order: TikTokOrder, lines: list[Line], *, tag: str, fbt_location_id: int | None) -> dict:
    """`order` for orderCreate; the caller leaves out lines with no units left."""
    currency = order.payment.currency or next((item.currency for item in order.line_items if item.currency), "USD")
    money = _money_bag(currency)
    payment = order.payment
    discounts = payment.seller_discount + payment.platform_discount
    created = order.create_time or order.paid_time or order.update_time
    body: dict = {
        "currency": currency, "presentmentCurrency": currency,
        "sourceName": SOURCE_NAME, "sourceIdentifier": order.id,
        "tags": [t for t in (tag, f"tiktok:{order.id}") if t],
        "note": f"TikTok Shop order {order.id}, imported by ShopSync.",
        "customAttributes": [{"key": "tiktok_order_id", "value": order.id}],
        "financialStatus": "PAID",
        "taxesIncluded": False,
        "lineItems": [_line(line, money) for line in lines],
        "transactions": [{"kind": "SALE", "status": "SUCCESS", "gateway": GATEWAY,
                          "amountSet": money(payment.total_amount)}],
    }
    if created:
        body["processedAt"] = datetime.fromtimestamp(created, timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")
    if discounts > 0:
        body["discountCode"] = {"itemFixedDiscountCode": {"code": "TIKTOK SHOP DISCOUNTS", "amountSet": money(discounts)}}
    if payment.shipping_fee > 0 or order.delivery_option_name:
        body["shippingLines"] = [{"title": order.delivery_option_name or "TikTok Shop shipping", "source": SOURCE_NAME,
                                  "priceSet": money(payment.shipping_fee)}]
    if payment.tax > 0:
        taxed = payment.sub_total + payment.shipping_fee
        rate = (payment.tax / taxed).quantize(Decimal("0.0001")) if taxed > 0 else Decimal("0")
        body["taxLines"] = [{"title": "Tax collected by TikTok Shop", "rate": str(rate), "channelLiable": True,
                             "priceSet": money(payment.tax)}]
    address = shipping_address(order.address)
    if address:
        body["shippingAddress"] = address
    if fbt_location_id is not None:
        body["fulfillment"] = {"locationId": f"gid://shopify/Location/{fbt_location_id}", "notifyCustomer": False}
    return body


def create_options(fulfilled_by_tiktok: bool) -> dict:
    return {"inventoryBehaviour": FBT_INVENTORY_BEHAVIOUR if fulfilled_by_tiktok else INVENTORY_BEHAVIOUR,
            "sendReceipt": False, "sendFulfillmentReceipt": False}


def hold_input(order_id: str) -> dict:
    return {"reason": "OTHER", "handle": HOLD_HANDLE, "notifyMerchant": False,
            "reasonNotes": f"TikTok Shop has order {order_id} on hold (the buyer may still cancel). "
                           "ShopSync releases it when TikTok does."}


def shipping_address(address: Address) -> dict | None:
    """Shopify's MailingAddressInput from TikTok's address; None when TikTok has not shown it yet."""
    if not (address.lines or address.postal_code or address.city):
        return None
    first, last = address.first_name, address.last_name
    if not (first or last) and address.name:
        first, _, last = address.name.partition(" ")
    fields = {"firstName": first, "lastName": last or address.name, "address1": address.lines[0] if address.lines else "",
              "address2": ", ".join(address.lines[1:]), "city": address.city, "zip": address.postal_code}
    region = address.region_code.upper()
    if len(region) == 2 and region.isalpha():
        fields["countryCode"] = "GB" if region == "UK" else region
    province = address.state_code.split("-")[-1].upper() if address.state_code else ""
    if province:
        fields["provinceCode"] = province
    phone = re.sub(r"[\s()\-.]", "", address.phone)
    if _PHONE.match(phone):
        fields["phone"] = phone if phone.startswith("+") else "+" + phone
    return {name: value for name, value in fields.items() if value}


def _line(line: Line, money) -> dict:
    item = {"quantity": line.quantity, "priceSet": money(line.unit_price), "requiresShipping": True}
    if line.variant_id is not None:
        item["variantId"] = f"gid://shopify/ProductVariant/{line.variant_id}"
    else:
        item["title"] = line.title or line.seller_sku or f"TikTok SKU {line.tiktok_sku_id}"
    if line.seller_sku:
        item["sku"] = line.seller_sku
    return item


def _money_bag(currency: str):
    exponent = Decimal("1") if currency.upper() in _WHOLE_UNIT else Decimal("0.01")

    def money(amount: Decimal) -> dict:
        value = Decimal(amount).quantize(exponent, rounding=ROUND_HALF_UP)
        return {"shopMoney": {"amount": str(value), "currencyCode": currency}}
    return money
