"""Cancellations and returns as the sandbox keeps them, and their rows as the Return & Refund API answers
(notes D1, D3). Search spells a withdrawn cancellation _CANCEL where the webhook says _CANCELLED."""
from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from shopsync.sandbox.tiktok.orders import Order, amount

RETURN_WALK = ("RETURN_OR_REFUND_REQUEST_PENDING", "AWAITING_BUYER_SHIP", "BUYER_SHIPPED_ITEM",
               "RETURN_OR_REFUND_REQUEST_COMPLETE")
REFUND_ONLY_WALK = ("RETURN_OR_REFUND_REQUEST_PENDING", "RETURN_OR_REFUND_REQUEST_COMPLETE")
RETURN_TYPES = ("REFUND", "RETURN_AND_REFUND")


@dataclass
class Cancellation:
    id: str
    order_id: str
    shop_id: str
    cancel_type: str  # CANCEL (seller or system) | BUYER_CANCEL
    status: str
    role: str  # BUYER | SELLER | SYSTEM
    reason: str
    line_item_ids: list[str]
    whole_order: bool
    create_time: int
    update_time: int


@dataclass
class Return:
    id: str
    order_id: str
    shop_id: str
    return_type: str
    status: str
    role: str
    reason: str
    line_item_ids: list[str]
    create_time: int
    update_time: int


def refund_json(order: Order, line_item_ids: list[str], with_shipping: bool) -> dict:
    lines = [order.line(i) for i in line_item_ids]
    subtotal = sum((item.sale_price for item in lines), Decimal(0))
    tax = sum((item.tax for item in lines), Decimal(0))
    shipping = order.shipping_fee if with_shipping else Decimal(0)
    return {"currency": order.currency, "refund_total": amount(subtotal + tax + shipping),
            "refund_subtotal": amount(subtotal), "refund_shipping_fee": amount(shipping),
            "refund_tax": amount(tax), "retail_delivery_fee": amount(Decimal(0))}


def _item_json(order: Order, line_item_id: str, id_key: str, own_id: str) -> dict:
    item = order.line(line_item_id)
    return {id_key: own_id, "order_line_item_id": item.id, "sku_id": item.sku_id, "seller_sku": item.seller_sku,
            "sku_name": item.sku_name, "product_name": item.product_name,
            "product_image": {"url": "", "width": 0, "height": 0},
            "refund_amount": refund_json(order, [item.id], with_shipping=False)}


def cancellation_json(order: Order, cancellation: Cancellation) -> dict:
    return {
        "cancel_id": cancellation.id, "order_id": cancellation.order_id, "cancel_type": cancellation.cancel_type,
        "cancel_status": cancellation.status, "role": cancellation.role, "cancel_reason": cancellation.reason,
        "cancel_reason_text": cancellation.reason.replace("_", " "),
        "create_time": cancellation.create_time, "update_time": cancellation.update_time,
        "seller_next_action_response": [],
        "refund_amount": refund_json(order, cancellation.line_item_ids, cancellation.whole_order),
        "cancel_line_items": [_item_json(order, i, "cancel_line_item_id", f"{cancellation.id}{n:02d}")
                              for n, i in enumerate(cancellation.line_item_ids, 1)],
    }


def return_json(order: Order, returned: Return) -> dict:
    return {
        "return_id": returned.id, "order_id": returned.order_id, "return_type": returned.return_type,
        "return_status": returned.status, "arbitration_status": "", "role": returned.role,
        "return_reason": returned.reason, "return_reason_text": returned.reason.replace("_", " "),
        "shipment_type": "PLATFORM", "handover_method": "DROP_OFF", "return_tracking_number": "",
        "return_provider_name": "", "return_provider_id": "", "can_buyer_keep_item": False,
        "seller_next_action_response": [], "return_method": "PLATFORM_SHIPPED", "is_combined_return": False,
        "discount_amount": [], "shipping_fee_amount": [],
        "refund_amount": refund_json(order, returned.line_item_ids, with_shipping=False),
        "return_line_items": [_item_json(order, i, "return_line_item_id", f"{returned.id}{n:02d}")
                              for n, i in enumerate(returned.line_item_ids, 1)],
        "create_time": returned.create_time, "update_time": returned.update_time,
    }
