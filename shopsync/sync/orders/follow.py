"""What happens to a Shopify order after TikTok changes its mind: holds, cancellations, returns.

Each step reads Shopify first where a lost answer could make it happen twice
(a cancelled order is not cancelled again; a refund ShopSync made carries its key
in its note and is looked for before refunding), and each is logged on the order
with before -> after.
"""
from __future__ import annotations

import uuid

from ...models import Order, utcnow
from ...models import orders as states
from ...platforms.http import PermanentError
from ...platforms.shopify import orders as documents
from ...platforms.shopify.admin import AdminClient
from ...platforms.tiktok.orders import TikTokOrder
from ...platforms.tiktok.returns import Return
from .record import log_event, set_state
from .settings import RESTOCK, OrderSettings
from .shopify_order import HOLD_HANDLE, hold_input, shipping_address

_KEYS = uuid.UUID("5b0f7c5e-2f7e-4a53-9d0e-6a1c3f1e9b21")  # namespace of ShopSync's refund idempotency keys
CANCEL_NOTE = "Cancelled on TikTok Shop (order {id}); cancelled by ShopSync."


# ---- fulfilment hold while TikTok has the order ON_HOLD ------------------------------------------------
def place_hold(order: Order, client: AdminClient) -> None:
    for fulfilment_order in _fulfilment_orders(order, client):
        if fulfilment_order["status"] in ("CLOSED", "CANCELLED"):
            continue
        if any(hold.get("handle") == HOLD_HANDLE for hold in fulfilment_order.get("fulfillmentHolds") or ()):
            continue
        client.execute(documents.FULFILLMENT_ORDER_HOLD, {"id": fulfilment_order["id"],
                                                         "hold": hold_input(order.tiktok_order_id)})
    order.fulfilment_held = True
    log_event(order, "fulfilment_hold", "ready to ship", "on hold",
              "TikTok Shop holds the order (the buyer may still cancel): its Shopify fulfilment is on hold.")


def release_hold(order: Order, tiktok: TikTokOrder, client: AdminClient) -> None:
    """TikTok released the order: give Shopify the address TikTok now shows, then lift ShopSync's hold."""
    address = shipping_address(tiktok.address)
    if address:
        try:
            client.execute(documents.ORDER_UPDATE_ADDRESS, {"input": {
                "id": documents.order_gid(order.shopify_order_id), "shippingAddress": address}})
        except PermanentError as error:  # the hold still goes: TikTok's own label carries the address
            log_event(order, "problem", None, None, f"Shopify did not take TikTok's address: {error.message}")
    for fulfilment_order in _fulfilment_orders(order, client):
        ours = [hold["id"] for hold in fulfilment_order.get("fulfillmentHolds") or ()
                if hold.get("handle") == HOLD_HANDLE]
        if ours:
            client.execute(documents.FULFILLMENT_ORDER_RELEASE_HOLD, {"id": fulfilment_order["id"], "holdIds": ours})
    order.fulfilment_held = False
    log_event(order, "fulfilment_hold", "on hold", "ready to ship",
              f"TikTok Shop released the order ({tiktok.status}): it can be shipped.")


def _fulfilment_orders(order: Order, client: AdminClient) -> list[dict]:
    node = client.execute(documents.ORDER_FULFILLMENT_ORDERS, {"id": documents.order_gid(order.shopify_order_id)})
    return ((node.get("order") or {}).get("fulfillmentOrders") or {}).get("nodes") or []


# ---- cancellations ----------------------------------------------------------------------------------
def cancel_shopify_order(order: Order, client: AdminClient) -> None:
    """Cancel and restock the Shopify order once (it is irreversible and has no idempotency key)."""
    refunds = _order_refunds(order, client)
    if refunds.get("cancelledAt") is None:
        answer = client.execute(documents.ORDER_CANCEL, {
            "orderId": documents.order_gid(order.shopify_order_id), "restock": not order.is_fulfilled_by_tiktok,
            "staffNote": CANCEL_NOTE.format(id=order.tiktok_order_id)[:255]})["orderCancel"]
        errors = answer.get("orderCancelUserErrors") or []
        if errors:
            raise PermanentError("Shopify did not cancel the order: " + "; ".join(e.get("message", "") for e in errors))
        restocked = 0 if order.is_fulfilled_by_tiktok else sum(line.live_quantity for line in order.lines
                                                                if line.shopify_line_item_id)
        log_event(order, "shopify_cancelled", order.shopify_order_name, "cancelled",
                  f"Cancelled in Shopify; {restocked} unit(s) restocked.")
    order.shopify_cancelled_at = order.shopify_cancelled_at or utcnow()
    set_state(order, states.CANCELLED, "TikTok Shop cancelled the order.")


def refund_cancelled_lines(order: Order, client: AdminClient) -> None:
    """Units TikTok cancelled from a live order: refund them in Shopify and put them back in stock, once."""
    due = [(line, line.cancelled_quantity - line.restocked_quantity) for line in order.lines
           if line.shopify_line_item_id and line.cancelled_quantity > line.restocked_quantity]
    for line, units in due:
        key = f"ShopSync cancel {line.tiktok_sku_id}:{line.cancelled_quantity}"
        _refund_once(order, client, key, [{"lineItemId": f"gid://shopify/LineItem/{line.shopify_line_item_id}",
                                           "quantity": units, "restockType": "CANCEL"}])
        log_event(order, "line_refunded", f"{line.seller_sku or line.tiktok_sku_id}: {line.restocked_quantity} restocked",
                  f"{line.cancelled_quantity} restocked", f"TikTok Shop cancelled {units} unit(s); refunded and restocked.")
        line.restocked_quantity = line.cancelled_quantity


def record_return(order: Order, client: AdminClient, tiktok_return: Return, settings: OrderSettings) -> bool:
    """A completed return: refund its units in Shopify, restocked or not per the shop's policy. True if done now."""
    units_by_line = []
    for line in order.lines:
        returned = len(set(line.tiktok_line_item_ids) & set(tiktok_return.line_item_ids))
        if returned and line.shopify_line_item_id:
            units_by_line.append((line, returned))
    if not units_by_line:
        return False
    restock = settings.return_policy == RESTOCK
    items = []
    for line, units in units_by_line:
        item = {"lineItemId": f"gid://shopify/LineItem/{line.shopify_line_item_id}", "quantity": units,
                "restockType": "RETURN" if restock else "NO_RESTOCK"}
        if restock and settings.location_id:
            item["locationId"] = f"gid://shopify/Location/{settings.location_id}"
        items.append(item)
    if not _refund_once(order, client, f"ShopSync return {tiktok_return.id}", items):
        return False
    for line, units in units_by_line:
        line.returned_quantity += units
    total = sum(units for _, units in units_by_line)
    log_event(order, "returned", None, f"{total} returned",
              f"TikTok Shop completed return {tiktok_return.id}: refunded in Shopify, "
              + ("units restocked." if restock else "units not restocked (restock them by hand after checking)."))
    return True


def _refund_once(order: Order, client: AdminClient, key: str, items: list[dict]) -> bool:
    """refundCreate unless a refund with this key is already on the order; True when one was made now."""
    if any((refund.get("note") or "").startswith(key) for refund in _order_refunds(order, client).get("refunds") or ()):
        return False
    client.execute(documents.refund_document(uuid.uuid5(_KEYS, f"{order.id}:{key}")), {"input": {
        "orderId": documents.order_gid(order.shopify_order_id), "note": key, "notify": False,
        "refundLineItems": items}})
    return True


def _order_refunds(order: Order, client: AdminClient) -> dict:
    return client.execute(documents.ORDER_REFUNDS, {"id": documents.order_gid(order.shopify_order_id)})["order"] or {}
