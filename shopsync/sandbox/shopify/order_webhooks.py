"""REST-shaped bodies of the order webhooks: orders/*, fulfillments/*, refunds/create (notes C.2, F)."""
from __future__ import annotations

from decimal import Decimal

from .order_views import APP_ID, amount, totals
from .orders import Fulfillment, Order, OrderLine, Refund
from .store import gid, iso

_FULFILLMENT_STATUS = {"FULFILLED": "fulfilled", "PARTIALLY_FULFILLED": "partial", "RESTOCKED": "restocked"}


def _line_payload(order: Order, line: OrderLine, quantity: int | None = None) -> dict:
    fulfilled = order.fulfilled_quantity(line)
    return {
        "id": line.id, "admin_graphql_api_id": gid("LineItem", line.id), "variant_id": line.variant_id,
        "product_id": line.product_id, "sku": line.sku, "title": line.title, "variant_title": line.variant_title,
        "name": f"{line.title} - {line.variant_title}" if line.variant_title else line.title,
        "vendor": line.vendor, "quantity": line.quantity if quantity is None else quantity,
        "current_quantity": line.current_quantity, "fulfillable_quantity": order.unfulfilled_quantity(line),
        "fulfillment_status": "fulfilled" if fulfilled and not order.unfulfilled_quantity(line)
        else ("partial" if fulfilled else None),
        "price": amount(line.price.amount), "requires_shipping": line.requires_shipping, "taxable": line.taxable,
        "gift_card": False, "properties": [{"name": p["name"], "value": p["value"]} for p in line.properties],
        "tax_lines": [{"title": t.title, "rate": float(t.rate), "price": amount(t.price.amount if t.price
                                                                               else Decimal(0)),
                       "channel_liable": t.channel_liable} for t in line.tax_lines],
    }


def fulfillment_payload(order: Order, fulfillment: Fulfillment) -> dict:
    return {
        "id": fulfillment.id, "admin_graphql_api_id": gid("Fulfillment", fulfillment.id), "order_id": order.id,
        "status": fulfillment.status.lower(), "created_at": iso(fulfillment.created_at),
        "updated_at": iso(fulfillment.updated_at), "service": "manual", "location_id": fulfillment.location_id,
        "name": f"{order.name}.{fulfillment.number}", "tracking_company": fulfillment.tracking_company,
        "tracking_number": fulfillment.tracking_numbers[0] if fulfillment.tracking_numbers else None,
        "tracking_numbers": list(fulfillment.tracking_numbers),
        "tracking_url": fulfillment.tracking_urls[0] if fulfillment.tracking_urls else None,
        "tracking_urls": list(fulfillment.tracking_urls), "shipment_status": fulfillment.shipment_status,
        "origin_address": None, "receipt": {},
        "line_items": [_line_payload(order, line, quantity) for line, quantity in fulfillment.lines],
    }


def refund_payload(order: Order, refund: Refund) -> dict:
    return {
        "id": refund.id, "admin_graphql_api_id": gid("Refund", refund.id), "order_id": order.id,
        "created_at": iso(refund.created_at), "processed_at": iso(refund.created_at), "note": refund.note,
        "restock": any(line.restocked for line in refund.lines), "user_id": None, "order_adjustments": [],
        "refund_line_items": [
            {"id": refund.id * 100 + n, "line_item_id": line.line.id, "quantity": line.quantity,
             "restock_type": line.restock_type.lower(), "location_id": line.location_id,
             "subtotal": amount(line.line.price.amount * line.quantity), "total_tax": "0.00",
             "line_item": _line_payload(order, line.line)} for n, line in enumerate(refund.lines, 1)],
        "transactions": [{"id": t.id, "admin_graphql_api_id": gid("OrderTransaction", t.id), "order_id": order.id,
                          "kind": t.kind.lower(), "status": t.status.lower(), "amount": amount(t.amount.amount),
                          "currency": order.currency, "gateway": t.gateway, "parent_id": t.parent_id,
                          "created_at": iso(t.processed_at)} for t in refund.transactions],
    }


def order_payload(order: Order) -> dict:
    sums = totals(order)
    return {
        "id": order.id, "admin_graphql_api_id": gid("Order", order.id), "name": order.name,
        "number": order.number - 1000, "order_number": order.number, "app_id": APP_ID,
        "email": order.email or "", "contact_email": order.email, "phone": order.phone,
        "created_at": iso(order.created_at), "updated_at": iso(order.updated_at),
        "processed_at": iso(order.processed_at),
        "cancelled_at": iso(order.cancelled_at) if order.cancelled_at else None,
        "cancel_reason": order.cancel_reason.lower() if order.cancel_reason else None, "closed_at": None,
        "currency": order.currency, "presentment_currency": order.presentment_currency,
        "financial_status": order.financial_status.lower(),
        "fulfillment_status": _FULFILLMENT_STATUS.get(order.display_fulfillment_status),
        "source_name": order.source_name, "source_identifier": order.source_identifier,
        "source_url": order.source_url, "tags": ", ".join(order.tags), "note": order.note,
        "note_attributes": [{"name": a["key"], "value": a["value"]} for a in order.custom_attributes],
        "test": order.test, "taxes_included": order.taxes_included, "confirmed": True,
        "subtotal_price": amount(sums["subtotal"]), "total_tax": amount(sums["tax"]),
        "total_price": amount(sums["total"]), "total_discounts": "0.00",
        "total_shipping_price_set": {"shop_money": {"amount": amount(sums["shipping"]),
                                                    "currency_code": order.currency}},
        "line_items": [_line_payload(order, line) for line in order.lines],
        "shipping_lines": [{"title": s["title"], "code": s.get("code"), "source": s.get("source"),
                            "price": amount(s["price"].amount)} for s in order.shipping_lines],
        "shipping_address": _address(order.shipping_address), "billing_address": _address(order.billing_address),
        "fulfillments": [fulfillment_payload(order, f) for f in order.fulfillments],
        "refunds": [refund_payload(order, r) for r in order.refunds], "customer": None,
    }


def _address(address: dict | None) -> dict | None:
    if not address:
        return None
    return {"first_name": address.get("firstName"), "last_name": address.get("lastName"),
            "address1": address.get("address1"), "address2": address.get("address2"), "city": address.get("city"),
            "province_code": address.get("provinceCode"), "country_code": address.get("countryCode"),
            "zip": address.get("zip"), "phone": address.get("phone"), "company": address.get("company")}
