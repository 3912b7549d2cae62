"""What Shopify does to a shop when orders are created, held, fulfilled, refunded and cancelled.

Stock moves as Shopify moves it: a decrementing order takes units from `available` into `committed`
at the location routing picks, a fulfilment ships them out of `committed`, a cancellation or a refund
with restock puts them back into `available`. Every change of `available` sends inventory_levels/update.
Callers hold the sandbox lock and have validated their input.
"""
from __future__ import annotations

from typing import TYPE_CHECKING

from .order_webhooks import fulfillment_payload, order_payload, refund_payload
from .orders import (
    Fulfillment,
    FulfillmentOrder,
    FulfillmentOrderLine,
    Hold,
    Money,
    Order,
    OrderLine,
    Refund,
    RefundLine,
    Transaction,
)
from .store import Shop, Variant, gid, now, parse_gid

if TYPE_CHECKING:
    from .sandbox import ShopifySandbox

FIRST_ORDER_NUMBER = 1001


def route(shop: Shop, variant: Variant | None) -> int:
    """The location an order line is assigned to: the shop's chosen one, else the first active location
    that stocks the item, else the first active location."""
    active = [location.id for location in shop.locations.values() if location.is_active]
    if shop.order_location_id in active:
        return shop.order_location_id
    stocking = [location_id for location_id in active if variant is not None and location_id in variant.levels]
    return (stocking or active)[0]


def place(sandbox: ShopifySandbox, shop: Shop, order: Order, locations: dict[int, int], claim: bool,
          fulfilled_at: int | None, tracking: dict | None) -> Order:
    """Record a new order: claim stock, open one fulfilment order per location, fulfil it at once if asked."""
    moment = now()
    shop.orders[order.id] = order
    if fulfilled_at is not None:  # shipped already, from that location: that is where its stock leaves
        locations = {line_id: fulfilled_at for line_id in locations}
    for line in order.lines:
        location_id = locations[line.id]
        if claim and line.inventory_item_id is not None and _tracked(shop, line):
            sandbox.move_stock(shop.domain, line.inventory_item_id, location_id, available=-line.quantity,
                               committed=line.quantity)
            order.claims[(line.id, location_id)] = line.quantity
    by_location: dict[int, list[OrderLine]] = {}
    for line in order.lines:
        by_location.setdefault(locations[line.id], []).append(line)
    for location_id, lines in by_location.items():
        order.fulfillment_orders.append(FulfillmentOrder(
            id=sandbox._new_id(6_900_000_000), order_id=order.id, location_id=location_id, created_at=moment,
            updated_at=moment, lines=[FulfillmentOrderLine(id=sandbox._new_id(16_900_000_000), line=line,
                                                           total=line.quantity, remaining=line.quantity)
                                      for line in lines]))
    sandbox.fire(shop.domain, "ORDERS_CREATE", order_payload(order))
    if fulfilled_at is not None:
        for fo in order.fulfillment_orders:
            fulfil(sandbox, shop, order, [(fo, [(line, line.remaining) for line in fo.lines])], tracking or {})
    return order


def next_number(shop: Shop) -> int:
    return FIRST_ORDER_NUMBER + len(shop.orders)


def fulfil(sandbox: ShopifySandbox, shop: Shop, order: Order,
           parts: list[tuple[FulfillmentOrder, list[tuple[FulfillmentOrderLine, int]]]], tracking: dict) -> Fulfillment:
    """Ship these quantities of these fulfilment order lines as one fulfilment."""
    moment = now()
    shipped: list[tuple[OrderLine, int]] = []
    claimed: dict[tuple[int, int], int] = {}
    for fo, lines in parts:
        for fo_line, quantity in lines:
            fo_line.remaining -= quantity
            shipped.append((fo_line.line, quantity))
            units = _ship_claimed(sandbox, shop, order, fo_line.line, fo.location_id, quantity)
            if units:
                claimed[(fo_line.line.id, fo.location_id)] = claimed.get((fo_line.line.id, fo.location_id), 0) + units
        fo.settle(moment)
    numbers = list(tracking.get("numbers") or ([tracking["number"]] if tracking.get("number") else []))
    urls = list(tracking.get("urls") or ([tracking["url"]] if tracking.get("url") else []))
    fulfillment = Fulfillment(id=sandbox._new_id(5_500_000_000), order_id=order.id,
                              location_id=parts[0][0].location_id, number=len(order.fulfillments) + 1,
                              lines=shipped, fulfillment_order_ids=[fo.id for fo, _ in parts],
                              tracking_company=tracking.get("company"), tracking_numbers=numbers,
                              tracking_urls=urls, created_at=moment, updated_at=moment, claimed=claimed)
    order.fulfillments.append(fulfillment)
    order.updated_at = moment
    sandbox.fire(shop.domain, "FULFILLMENTS_CREATE", fulfillment_payload(order, fulfillment))
    status = order.display_fulfillment_status
    topic = "ORDERS_FULFILLED" if status == "FULFILLED" else "ORDERS_PARTIALLY_FULFILLED"
    sandbox.fire(shop.domain, topic, order_payload(order))
    sandbox.fire(shop.domain, "ORDERS_UPDATED", order_payload(order))
    return fulfillment


def cancel_fulfillment(sandbox: ShopifySandbox, shop: Shop, order: Order, fulfillment: Fulfillment) -> None:
    """The shipment is voided: its units are to fulfil again (back in committed) and fulfillments/update says so."""
    moment = now()
    for fo in order.fulfillment_orders:
        if fo.id not in fulfillment.fulfillment_order_ids:
            continue
        for fo_line in fo.lines:
            shipped = sum(quantity for line, quantity in fulfillment.lines if line.id == fo_line.line.id)
            fo_line.remaining += min(shipped, fo_line.total - fo_line.remaining)
            key = (fo_line.line.id, fo.location_id)
            units = fulfillment.claimed.pop(key, 0)
            if units:  # what the shipment took out of committed goes back in
                order.claims[key] = order.claims.get(key, 0) + units
                sandbox.move_stock(shop.domain, fo_line.line.inventory_item_id, fo.location_id, committed=units)
        if fo.status == "CLOSED":
            fo.status = "OPEN"
        fo.settle(moment)
    fulfillment.status, fulfillment.updated_at, order.updated_at = "CANCELLED", moment, moment
    sandbox.fire(shop.domain, "FULFILLMENTS_UPDATE", fulfillment_payload(order, fulfillment))
    sandbox.fire(shop.domain, "ORDERS_UPDATED", order_payload(order))


def update_tracking(sandbox: ShopifySandbox, shop: Shop, order: Order, fulfillment: Fulfillment,
                    tracking: dict) -> None:
    fulfillment.tracking_company = tracking.get("company", fulfillment.tracking_company)
    if tracking.get("numbers") or tracking.get("number"):
        fulfillment.tracking_numbers = list(tracking.get("numbers") or [tracking["number"]])
    if tracking.get("urls") or tracking.get("url"):
        fulfillment.tracking_urls = list(tracking.get("urls") or [tracking["url"]])
    fulfillment.updated_at = order.updated_at = now()
    sandbox.fire(shop.domain, "FULFILLMENTS_UPDATE", fulfillment_payload(order, fulfillment))


def hold(sandbox: ShopifySandbox, shop: Shop, order: Order, fo: FulfillmentOrder, reason: str,
         reason_notes: str | None, handle: str, external_id: str | None) -> Hold:
    placed = Hold(id=sandbox._new_id(7_700_000_000), reason=reason, reason_notes=reason_notes, handle=handle,
                  external_id=external_id)
    fo.holds.append(placed)
    fo.settle(now())
    order.updated_at = fo.updated_at
    sandbox.fire(shop.domain, "FULFILLMENT_ORDERS_PLACED_ON_HOLD", {
        "fulfillment_order": {"id": gid("FulfillmentOrder", fo.id), "status": fo.status.lower(),
                              "fulfillment_holds": [{"reason": h.reason.lower(), "reason_notes": h.reason_notes}
                                                    for h in fo.holds]},
        "created_fulfillment_hold": {"id": gid("FulfillmentHold", placed.id), "reason": reason.lower(),
                                     "reason_notes": reason_notes, "handle": handle}})
    return placed


def release(sandbox: ShopifySandbox, shop: Shop, order: Order, fo: FulfillmentOrder, hold_ids: list[int] | None) -> None:
    fo.holds = [h for h in fo.holds if hold_ids is not None and h.id not in hold_ids]
    fo.settle(now())
    order.updated_at = fo.updated_at
    if not fo.holds:
        sandbox.fire(shop.domain, "FULFILLMENT_ORDERS_HOLD_RELEASED", {
            "fulfillment_order": {"id": gid("FulfillmentOrder", fo.id), "status": fo.status.lower()}})


def refund(sandbox: ShopifySandbox, shop: Shop, order: Order, lines: list[tuple[OrderLine, int, str, int | None]],
           transactions: list, note: str | None) -> Refund:
    """Refund units (restocking by type) and record refund transactions."""
    moment = now()
    refund_lines = []
    for line, quantity, restock_type, location_id in lines:
        restocked = False
        if restock_type in ("CANCEL", "NO_RESTOCK") and order.unfulfilled_quantity(line) >= quantity:
            # units that never shipped leave the order (line.removed), so they are not counted again here
            location_id = _remove_unfulfilled(sandbox, shop, order, line, quantity,
                                              restock=restock_type == "CANCEL", location_id=location_id)
            restocked = restock_type == "CANCEL"
        else:
            line.refunded += quantity
            if restock_type == "RETURN" and line.inventory_item_id is not None and _tracked(shop, line):
                location_id = location_id or route(shop, _variant(shop, line))
                sandbox.move_stock(shop.domain, line.inventory_item_id, location_id, available=quantity)
                restocked = True
        refund_lines.append(RefundLine(line, quantity, restock_type, location_id, restocked))
    record = Refund(id=sandbox._new_id(9_900_000_000), order_id=order.id, note=note, lines=refund_lines,
                    transactions=transactions, created_at=moment)
    order.refunds.append(record)
    order.transactions.extend(transactions)
    _settle_payment(order)
    order.updated_at = moment
    sandbox.fire(shop.domain, "REFUNDS_CREATE", refund_payload(order, record))
    sandbox.fire(shop.domain, "ORDERS_UPDATED", order_payload(order))
    return record


def cancel(sandbox: ShopifySandbox, shop: Shop, order: Order, reason: str, restock: bool, refund_money: bool,
           transaction_id: int) -> None:
    """orderCancel's job: every unfulfilled unit leaves the order (back to stock if `restock`)."""
    moment = now()
    removed = []
    for line in order.lines:
        left = order.unfulfilled_quantity(line)
        if left:
            location_id = _remove_unfulfilled(sandbox, shop, order, line, left, restock=restock, location_id=None)
            removed.append(RefundLine(line, left, "CANCEL" if restock else "NO_RESTOCK", location_id, restock))
    for fo in order.fulfillment_orders:  # nothing of a cancellable order has shipped
        fo.status, fo.holds, fo.updated_at = "CANCELLED", [], moment
    order.cancelled_at, order.cancel_reason, order.updated_at = moment, reason, moment
    received = sum(t.amount.amount for t in order.transactions if t.kind in ("SALE", "CAPTURE")
                   and t.status == "SUCCESS")
    if order.financial_status in ("PENDING", "AUTHORIZED"):
        order.financial_status = "VOIDED"
    record = None
    if (refund_money and received > 0) or removed:
        money = [Transaction(id=transaction_id, kind="REFUND", status="SUCCESS",
                             gateway=order.transactions[0].gateway if order.transactions else "manual",
                             amount=Money(received, order.currency), processed_at=moment,
                             parent_id=order.transactions[0].id if order.transactions else None)] \
            if refund_money and received > 0 else []
        record = Refund(id=sandbox._new_id(9_900_000_000), order_id=order.id, note=None, lines=removed,
                        transactions=money, created_at=moment)
        order.refunds.append(record)
        order.transactions.extend(money)
        _settle_payment(order)
    sandbox.fire(shop.domain, "ORDERS_CANCELLED", order_payload(order))
    if record is not None:
        sandbox.fire(shop.domain, "REFUNDS_CREATE", refund_payload(order, record))
    sandbox.fire(shop.domain, "ORDERS_UPDATED", order_payload(order))


def touch(sandbox: ShopifySandbox, shop: Shop, order: Order) -> None:
    """An edit of the order's own fields: orders/updated."""
    order.updated_at = now()
    sandbox.fire(shop.domain, "ORDERS_UPDATED", order_payload(order))


def find(shop: Shop, order_gid: str | None, kind: str) -> tuple[Order, object] | None:
    """The order and its Order, FulfillmentOrder or Fulfillment that this global id names, if any."""
    parsed = parse_gid(order_gid or "")
    if not parsed or parsed[0] != kind:
        return None
    if kind == "Order":
        order = shop.orders.get(parsed[1])
        return (order, order) if order else None
    for order in shop.orders.values():
        for item in order.fulfillment_orders if kind == "FulfillmentOrder" else order.fulfillments:
            if item.id == parsed[1]:
                return order, item
    return None


# ---- helpers ---------------------------------------------------------------------------------------
def _variant(shop: Shop, line: OrderLine) -> Variant | None:
    found = shop.variant_by_inventory_item(line.inventory_item_id) if line.inventory_item_id else None
    return found[1] if found else None


def _tracked(shop: Shop, line: OrderLine) -> bool:
    variant = _variant(shop, line)
    return variant is not None and variant.tracked


def _remove_unfulfilled(sandbox, shop: Shop, order: Order, line: OrderLine, quantity: int, *, restock: bool,
                        location_id: int | None) -> int | None:
    """Take `quantity` unfulfilled units of `line` off its fulfilment orders; claimed units leave
    `committed`, and go back to `available` when restocked. Returns the location they were at."""
    line.removed += quantity
    left = quantity
    for fo in order.fulfillment_orders:
        for fo_line in fo.lines:
            if fo_line.line.id != line.id or not left or fo.status == "CANCELLED":
                continue
            taken = min(fo_line.remaining, left)
            fo_line.remaining -= taken
            left -= taken
            location_id = fo.location_id
            claimed = order.claims.get((line.id, fo.location_id), 0)
            units = min(claimed, taken)
            if units:
                order.claims[(line.id, fo.location_id)] = claimed - units
                sandbox.move_stock(shop.domain, line.inventory_item_id, fo.location_id,
                                   available=units if restock else 0, committed=-units)
        fo.settle(now())
    return location_id


def _ship_claimed(sandbox, shop: Shop, order: Order, line: OrderLine, location_id: int, quantity: int) -> int:
    """Claimed units leaving committed as they ship; returns how many."""
    claimed = order.claims.get((line.id, location_id), 0)
    units = min(claimed, quantity)
    if units:
        order.claims[(line.id, location_id)] = claimed - units
        sandbox.move_stock(shop.domain, line.inventory_item_id, location_id, committed=-units)
    return units


def _settle_payment(order: Order) -> None:
    received = sum(t.amount.amount for t in order.transactions if t.kind in ("SALE", "CAPTURE")
                   and t.status == "SUCCESS")
    refunded = sum(t.amount.amount for t in order.transactions if t.kind == "REFUND" and t.status == "SUCCESS")
    if refunded and received:
        order.financial_status = "REFUNDED" if refunded >= received else "PARTIALLY_REFUNDED"

