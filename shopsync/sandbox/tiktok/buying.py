"""What buyers, carriers and TikTok itself do to orders: sell, pay, hold, ship, cancel, return.

Every status change moves `update_time` and sends the notification TikTok would send to what the shop
subscribed. Callers hold the sandbox lock.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal
from typing import TYPE_CHECKING

from shopsync.sandbox.tiktok.aftersales import REFUND_ONLY_WALK, RETURN_WALK, Cancellation, Return
from shopsync.sandbox.tiktok.catalog import IdSequence, Shop
from shopsync.sandbox.tiktok.orders import (
    CANCELLABLE,
    NEXT_AFTER_SHIPPING,
    SHIPPED,
    WEBHOOK_STATUS,
    Buyer,
    DeliveryOption,
    LineItem,
    Order,
    Package,
)

if TYPE_CHECKING:
    from shopsync.sandbox.tiktok.state import TikTokSandbox

FBT_WAREHOUSE = "7300000000000000999"  # TikTok's own warehouse: never one of the seller's
TIKTOK_SHIPPING = ("7000000000000000999", "TikTok Shipping")  # the carrier of Fulfilled-by-TikTok parcels
_US_CARRIERS = (("7117858858072016686", "USPS"), ("7117859084333745966", "UPS"),
                ("7117858858071656238", "FedEx"), ("7129736293935482667", "DHL eCommerce"),
                ("7212608507307099950", "OnTrac"))
_GB_CARRIERS = (("7208502187360519982", "Royal Mail"), ("7208502187360520238", "DPD"),
                ("7208502187360520494", "Evri"), ("7208502187360520750", "Parcelforce"))
DELIVERY_OPTIONS = {
    "US": (DeliveryOption("7100000000000000101", "Standard Shipping", providers=_US_CARRIERS),
           DeliveryOption("7100000000000000109", "Fulfilled by TikTok", fulfilled_by_tiktok=True)),
    "GB": (DeliveryOption("7100000000000000201", "Standard Delivery", providers=_GB_CARRIERS),
           DeliveryOption("7100000000000000209", "Fulfilled by TikTok", fulfilled_by_tiktok=True)),
}
BUYERS = {
    "US": (Buyer("7494560109732718001", "Jane", "Doe", "(+1)213-555-0142", "1 Example St", "Apt 4",
                 "Los Angeles", "California", "CA", "90001", "United States", "US"),
           Buyer("7494560109732718002", "Sam", "Rivera", "(+1)312-555-0178", "200 Lake Shore Dr", "",
                 "Chicago", "Illinois", "IL", "60601", "United States", "US")),
    "GB": (Buyer("7494560109732718101", "Olivia", "Smith", "(+44)7700-900123", "10 Market Street", "",
                 "Manchester", "England", "ENG", "M1 1AE", "United Kingdom", "GB"),),
}
_SHIPPING_FEE = {"USD": Decimal("4.99"), "GBP": Decimal("3.99")}
_SALES_TAX = {"US": Decimal("0.0725")}  # UK prices include VAT: TikTok reports no separate tax


class OrderError(ValueError):
    """A buyer or seller action TikTok would not allow; `code` is TikTok's error code where one applies."""

    def __init__(self, message: str, code: int = 36009004):
        super().__init__(message)
        self.code = code


@dataclass
class OrderBook:
    orders: dict[str, Order] = field(default_factory=dict)
    cancellations: dict[str, Cancellation] = field(default_factory=dict)
    returns: dict[str, Return] = field(default_factory=dict)
    order_ids: IdSequence = field(default_factory=lambda: IdSequence(576_461_413_038_785_001))
    line_ids: IdSequence = field(default_factory=lambda: IdSequence(577_086_512_123_755_001))
    package_ids: IdSequence = field(default_factory=lambda: IdSequence(1_152_321_127_278_713_001))
    cancel_ids: IdSequence = field(default_factory=lambda: IdSequence(4_035_318_504_086_001))
    return_ids: IdSequence = field(default_factory=lambda: IdSequence(4_035_318_504_186_001))
    timed: set[str] = field(default_factory=set)  # orders waiting on payment, a hold or TikTok's shipping

    def of_shop(self, shop_id: str) -> list[Order]:
        return [order for order in self.orders.values() if order.shop_id == shop_id]


def delivery_options(shop: Shop) -> tuple[DeliveryOption, ...]:
    return DELIVERY_OPTIONS.get(shop.region, DELIVERY_OPTIONS["US"])


def sell(sandbox: TikTokSandbox, seller_sku: str, quantity: int = 1, *, shop_id: str | None = None,
         on_hold: bool = True, fulfilled_by_tiktok: bool = False, warehouse_id: str | None = None,
         seller_discount: Decimal = Decimal(0), platform_discount: Decimal = Decimal(0)) -> Order:
    """A buyer orders `quantity` units of a seller SKU: TikTok's stock drops (refused when short)."""
    if not 1 <= quantity <= 100:
        raise OrderError("quantity must be between 1 and 100")
    shop, product, sku = _listed(sandbox, seller_sku, shop_id)
    if product.status != "ACTIVATE":
        raise OrderError(f"{seller_sku} is not on sale (product status {product.status})")
    discount_each = (Decimal(seller_discount), Decimal(platform_discount))
    if any(d < 0 for d in discount_each) or sum(discount_each) > sku.price:
        raise OrderError("discounts must be between 0 and the price")
    option = delivery_options(shop)[1 if fulfilled_by_tiktok else 0]
    platform = shop.platform_warehouse_ids
    if fulfilled_by_tiktok and not platform & set(sku.inventory):
        warehouse_id = FBT_WAREHOUSE  # TikTok's own stock, not modelled: the seller's warehouses are untouched
    else:
        # FBT orders ship from the warehouses TikTok runs, the others from the seller's own
        own = {w: q for w, q in sku.inventory.items() if (w in platform) == fulfilled_by_tiktok}
        warehouse_id = _stocked_warehouse(shop, sku.seller_sku, own, quantity, warehouse_id)
        sku.inventory[warehouse_id] -= quantity
    book, now = sandbox.book, int(sandbox.clock())
    number = len(book.orders)
    buyers = BUYERS.get(shop.region, BUYERS["US"])
    order = Order(
        id=next(book.order_ids), shop_id=shop.id, currency=shop.currency, region=shop.region,
        buyer=buyers[number % len(buyers)], warehouse_id=warehouse_id, delivery_option=option,
        line_items=[LineItem(id=next(book.line_ids), sku_id=sku.id, product_id=product.id, seller_sku=sku.seller_sku,
                             product_name=product.title, sku_name=sku.seller_sku, original_price=sku.price,
                             seller_discount=discount_each[0], platform_discount=discount_each[1],
                             tax_rate=_SALES_TAX.get(shop.region, Decimal(0)))
                    for _ in range(quantity)],
        create_time=now, update_time=now, shipping_fee=_SHIPPING_FEE.get(shop.currency, Decimal("4.99")),
        is_on_hold_order=on_hold)
    book.orders[order.id] = order
    _notify_status(sandbox, order)
    delay = float(sandbox.settings["tiktok_payment_seconds"])
    if delay > 0:
        order.pay_at = sandbox.clock() + delay
        book.timed.add(order.id)
        sandbox.wake_clockwork()
    else:
        pay(sandbox, order)
    return order


def pay(sandbox: TikTokSandbox, order: Order) -> None:
    if order.status != "UNPAID":
        raise OrderError(f"order {order.id} is {order.status}, not UNPAID")
    order.paid_time = int(sandbox.clock())
    order.pay_at = None
    if order.is_on_hold_order:
        order.hold_until = sandbox.clock() + float(sandbox.settings["tiktok_on_hold_seconds"])
        sandbox.book.timed.add(order.id)
        sandbox.wake_clockwork()
        _move(sandbox, order, "ON_HOLD")
    else:
        _ready_to_ship(sandbox, order)


def release_hold(sandbox: TikTokSandbox, order: Order) -> None:
    """The hour of buyer's remorse is over (or a control cut it short): the seller may ship."""
    if order.status != "ON_HOLD":
        raise OrderError(f"order {order.id} is {order.status}, not ON_HOLD")
    order.hold_until = None
    _ready_to_ship(sandbox, order)


def _ready_to_ship(sandbox: TikTokSandbox, order: Order) -> None:
    if order.fulfilled_by_tiktok:
        order.fbt_ship_at = sandbox.clock() + float(sandbox.settings["tiktok_fbt_ship_seconds"])
        sandbox.book.timed.add(order.id)
        sandbox.wake_clockwork()
    _move(sandbox, order, "AWAITING_SHIPMENT")


def run_due(sandbox: TikTokSandbox) -> float | None:
    """Make every timed step that is due happen; returns seconds until the next one (None: nothing waits)."""
    book, moment = sandbox.book, sandbox.clock()
    following = None
    for order_id in sorted(book.timed):
        order = book.orders[order_id]
        if order.pay_at is not None and order.pay_at <= moment:
            pay(sandbox, order)
        if order.status == "ON_HOLD" and order.hold_until is not None and order.hold_until <= moment:
            release_hold(sandbox, order)
        if order.fbt_ship_at is not None and order.fbt_ship_at <= moment and order.status == "AWAITING_SHIPMENT":
            order.fbt_ship_at = None
            ship(sandbox, order, [item.id for item in order.unshipped_lines()], _tiktok_tracking(order),
                 *TIKTOK_SHIPPING)
        waits = [t for t in (order.pay_at, order.hold_until if order.status == "ON_HOLD" else None,
                             order.fbt_ship_at if order.status == "AWAITING_SHIPMENT" else None) if t is not None]
        if not waits:
            book.timed.discard(order_id)
        else:
            following = min([following, *waits] if following is not None else waits)
    return None if following is None else max(0.0, following - moment)


def ship(sandbox: TikTokSandbox, order: Order, line_item_ids: list[str], tracking_number: str, provider_id: str,
         provider_name: str) -> Package:
    """One package leaves with these line items: AWAITING_COLLECTION once nothing is left to ship."""
    now = int(sandbox.clock())
    package = Package(id=next(sandbox.book.package_ids), order_id=order.id, line_item_ids=list(line_item_ids),
                      tracking_number=tracking_number, shipping_provider_id=provider_id,
                      shipping_provider_name=provider_name, create_time=now, update_time=now)
    order.packages.append(package)
    for line_item_id in line_item_ids:
        order.line(line_item_id).package_id = package.id
    order.rts_time = order.rts_time or now
    if order.unshipped_lines() or len(order.packages) > 1:  # an item-level split made a package of its own
        sandbox.events.notify(order.shop_id, "PACKAGE_UPDATE", {
            "sc_type": "SPLIT", "role_type": "ROLE_SELLER",
            "package_list": [{"package_id": p.id, "order_id_list": [order.id]} for p in order.packages],
            "update_time": now}, now)
    _move(sandbox, order, "PARTIALLY_SHIPPING" if order.unshipped_lines() else "AWAITING_COLLECTION")
    return package


def advance(sandbox: TikTokSandbox, order: Order) -> str:
    """The carrier (then TikTok) moves a shipped order one step: IN_TRANSIT, DELIVERED, COMPLETED."""
    following = NEXT_AFTER_SHIPPING.get(order.status)
    if following is None:
        raise OrderError(f"order {order.id} is {order.status}: only shipped orders move on")
    now = int(sandbox.clock())
    if following == "IN_TRANSIT":
        order.collection_time = now
        for package in order.packages:
            package.status, package.update_time = "FULFILLING", now
    elif following == "DELIVERED":
        order.delivery_time = now
        for package in order.packages:
            package.status, package.update_time = "COMPLETED", now
    _move(sandbox, order, following)
    return following


def cancel(sandbox: TikTokSandbox, order: Order, *, role: str = "BUYER", line_item_ids: list[str] | None = None,
           reason: str = "buyer_cancel_reason_changed_mind") -> Cancellation:
    """Cancel the whole order or some units before they ship; their stock goes back to TikTok's warehouse."""
    if order.status not in CANCELLABLE and not (order.status == "PARTIALLY_SHIPPING" and line_item_ids):
        raise OrderError(f"order {order.id} is {order.status}: it can no longer be cancelled", 21011007)
    chosen = [order.line(i) for i in line_item_ids] if line_item_ids else order.unshipped_lines()
    if not chosen or any(item is None or item.cancelled_by or item.package_id for item in chosen):
        raise OrderError("line items must belong to the order and be neither shipped nor cancelled")
    cancellation = _open_cancellation(sandbox, order, role, reason, chosen, "CANCELLATION_REQUEST_SUCCESS")
    _complete_cancellation(sandbox, order, cancellation)
    return cancellation


def request_cancel(sandbox: TikTokSandbox, order: Order,
                   reason: str = "buyer_cancel_reason_changed_mind") -> Cancellation:
    """Once the hold is over the buyer can only ask: the seller approves, rejects, or ships (which rejects)."""
    if order.status != "AWAITING_SHIPMENT":
        raise OrderError(f"order {order.id} is {order.status}: a buyer asks to cancel only while it awaits shipment")
    if order.cancel_request is not None:
        raise OrderError(f"order {order.id} already has a cancellation request", 21011007)
    cancellation = _open_cancellation(sandbox, order, "BUYER", reason, order.unshipped_lines(),
                                      "CANCELLATION_REQUEST_PENDING")
    order.cancel_request, order.request_cancel_time = cancellation.id, cancellation.create_time
    order.update_time = cancellation.create_time
    return cancellation


def answer_cancel_request(sandbox: TikTokSandbox, cancellation: Cancellation, approve: bool) -> None:
    if cancellation.status != "CANCELLATION_REQUEST_PENDING":
        raise OrderError(f"cancellation {cancellation.id} is {cancellation.status}, not pending")
    order = sandbox.book.orders[cancellation.order_id]
    order.cancel_request = None
    cancellation.update_time = order.update_time = int(sandbox.clock())
    cancellation.status = "CANCELLATION_REQUEST_SUCCESS" if approve else "CANCELLATION_REQUEST_CANCEL"
    _notify_cancellation(sandbox, cancellation)
    if approve:
        _complete_cancellation(sandbox, order, cancellation)


def _open_cancellation(sandbox: TikTokSandbox, order: Order, role: str, reason: str, chosen: list[LineItem],
                       status: str) -> Cancellation:
    now = int(sandbox.clock())
    cancellation = Cancellation(
        id=next(sandbox.book.cancel_ids), order_id=order.id, shop_id=order.shop_id,
        cancel_type="BUYER_CANCEL" if role == "BUYER" else "CANCEL", status=status, role=role, reason=reason,
        line_item_ids=[item.id for item in chosen], whole_order=len(chosen) == len(order.live_lines()),
        create_time=now, update_time=now)
    sandbox.book.cancellations[cancellation.id] = cancellation
    _notify_cancellation(sandbox, cancellation)
    return cancellation


def _complete_cancellation(sandbox: TikTokSandbox, order: Order, cancellation: Cancellation) -> None:
    now = int(sandbox.clock())
    chosen = [order.line(i) for i in cancellation.line_item_ids]
    for item in chosen:
        item.cancelled_by, item.cancel_reason = cancellation.role, cancellation.reason
    _restock(sandbox, order, chosen)
    cancellation.status, cancellation.update_time = "CANCELLATION_REQUEST_COMPLETE", now
    _notify_cancellation(sandbox, cancellation)
    if not order.live_lines():
        order.cancel_time, order.cancellation_initiator = now, cancellation.role
        order.cancel_reason = cancellation.reason
        order.hold_until = order.pay_at = order.fbt_ship_at = None
        _move(sandbox, order, "CANCELLED")
    elif not order.unshipped_lines() and order.status == "PARTIALLY_SHIPPING":
        _move(sandbox, order, "AWAITING_COLLECTION")
    else:
        order.update_time = now


def return_items(sandbox: TikTokSandbox, order: Order, *, line_item_ids: list[str] | None = None,
                 return_type: str = "RETURN_AND_REFUND", reason: str = "return_reason_not_as_described",
                 until: str | None = None) -> Return:
    """The buyer returns shipped units; the return walks its statuses up to `until` (default: completed)."""
    if order.status not in SHIPPED:
        raise OrderError(f"order {order.id} is {order.status}: only shipped orders can be returned", 21011007)
    chosen = [order.line(i) for i in line_item_ids] if line_item_ids else \
        [item for item in order.live_lines() if not item.returned]
    if not chosen or any(item is None or item.cancelled_by or item.returned for item in chosen):
        raise OrderError("line items must belong to the order, be shipped and not returned yet")
    walk = RETURN_WALK if return_type == "RETURN_AND_REFUND" else REFUND_ONLY_WALK
    if until is not None and until not in walk:
        raise OrderError(f"a {return_type} return goes through {', '.join(walk)}")
    now = int(sandbox.clock())
    returned = Return(id=next(sandbox.book.return_ids), order_id=order.id, shop_id=order.shop_id,
                      return_type=return_type, status=walk[0], role="BUYER", reason=reason,
                      line_item_ids=[item.id for item in chosen], create_time=now, update_time=now)
    sandbox.book.returns[returned.id] = returned
    for item in chosen:
        item.returned = True
    _notify_return(sandbox, returned)
    for status in walk[1:walk.index(until) + 1 if until else len(walk)]:
        returned.status, returned.update_time = status, int(sandbox.clock())
        _notify_return(sandbox, returned)
    order.update_time = int(sandbox.clock())
    return returned


def walk_return(sandbox: TikTokSandbox, returned: Return) -> str:
    """Move a return one status on."""
    walk = RETURN_WALK if returned.return_type == "RETURN_AND_REFUND" else REFUND_ONLY_WALK
    position = walk.index(returned.status) if returned.status in walk else len(walk) - 1
    if position == len(walk) - 1:
        raise OrderError(f"return {returned.id} is already {returned.status}")
    returned.status, returned.update_time = walk[position + 1], int(sandbox.clock())
    _notify_return(sandbox, returned)
    return returned.status


# What each seller decision does, from the status it answers (notes D3).
RETURN_DECISIONS = {
    ("RETURN_OR_REFUND_REQUEST_PENDING", "APPROVE_REFUND"): "RETURN_OR_REFUND_REQUEST_COMPLETE",
    ("RETURN_OR_REFUND_REQUEST_PENDING", "APPROVE_RETURN"): "AWAITING_BUYER_SHIP",
    ("BUYER_SHIPPED_ITEM", "APPROVE_RECEIVED_PACKAGE"): "RETURN_OR_REFUND_REQUEST_COMPLETE",
    ("RETURN_OR_REFUND_REQUEST_PENDING", "REJECT_REFUND"): "REFUND_OR_RETURN_REQUEST_REJECT",
    ("RETURN_OR_REFUND_REQUEST_PENDING", "REJECT_RETURN"): "REFUND_OR_RETURN_REQUEST_REJECT",
    ("BUYER_SHIPPED_ITEM", "REJECT_RECEIVED_PACKAGE"): "REJECT_RECEIVE_PACKAGE",
}


def decide_return(sandbox: TikTokSandbox, returned: Return, decision: str) -> str:
    """The seller's answer to a return at its current step."""
    following = RETURN_DECISIONS.get((returned.status, decision))
    wrong_kind = {"APPROVE_REFUND": "REFUND", "APPROVE_RETURN": "RETURN_AND_REFUND"}.get(
        decision, returned.return_type) != returned.return_type
    if following is None or wrong_kind:
        raise OrderError(f"decision {decision} does not apply to a {returned.return_type} return that is "
                         f"{returned.status}")
    returned.status, returned.update_time = following, int(sandbox.clock())
    if "REJECT" in following:
        order = sandbox.book.orders[returned.order_id]
        for line_item_id in returned.line_item_ids:
            order.line(line_item_id).returned = False
    _notify_return(sandbox, returned)
    return following


# ---- helpers ---------------------------------------------------------------------------------------
def _listed(sandbox: TikTokSandbox, seller_sku: str, shop_id: str | None):
    for shop in sandbox.shops:
        if shop_id not in (None, shop.id):
            continue
        for product in shop.products.values():
            for sku in product.skus:
                if sku.seller_sku == seller_sku or sku.id == seller_sku:
                    return shop, product, sku
    raise OrderError(f"no listing with seller SKU {seller_sku}" + (f" in shop {shop_id}" if shop_id else ""))


def _stocked_warehouse(shop: Shop, seller_sku: str, stock: dict[str, int], quantity: int, wanted: str | None) -> str:
    """The warehouse the order takes its units from: the one asked for, else the default first."""
    if wanted is not None:
        if wanted not in stock:
            raise OrderError(f"warehouse {wanted} does not stock {seller_sku} for this kind of order")
        candidates = [wanted]
    else:
        default = next((w.id for w in shop.warehouses if w.is_default), None)
        candidates = sorted(stock, key=lambda w: w != default)
    for warehouse_id in candidates:
        if stock[warehouse_id] >= quantity:
            return warehouse_id
    on_hand = ", ".join(f"{stock[w]} at {w}" for w in candidates) or "none in its warehouses"
    raise OrderError(f"not enough stock of {seller_sku} for {quantity}: {on_hand}")


def _restock(sandbox: TikTokSandbox, order: Order, items: list[LineItem]) -> None:
    for item in items:
        try:
            _, _, sku = sandbox.find_sku(item.sku_id)
        except KeyError:
            continue
        if order.warehouse_id in sku.inventory:
            sku.inventory[order.warehouse_id] += 1


def _tiktok_tracking(order: Order) -> str:
    return f"TT{order.id[-12:]}"


def _move(sandbox: TikTokSandbox, order: Order, status: str) -> None:
    order.status = status
    order.update_time = int(sandbox.clock())
    if status != "PARTIALLY_SHIPPING":
        _notify_status(sandbox, order)


def _notify_status(sandbox: TikTokSandbox, order: Order) -> None:
    sandbox.events.notify(order.shop_id, "ORDER_STATUS_CHANGE", {
        "order_id": order.id, "order_status": WEBHOOK_STATUS.get(order.status, order.status),
        "is_on_hold_order": order.is_on_hold_order, "update_time": order.update_time}, int(sandbox.clock()))


def _notify_cancellation(sandbox: TikTokSandbox, cancellation: Cancellation) -> None:
    # search says CANCELLATION_REQUEST_CANCEL where the webhook says CANCELLATION_REQUEST_CANCELLED (notes D1)
    status = cancellation.status + ("LED" if cancellation.status.endswith("_CANCEL") else "")
    sandbox.events.notify(cancellation.shop_id, "CANCELLATION_STATUS_CHANGE", {
        "order_id": cancellation.order_id, "cancellations_role": cancellation.role,
        "cancel_status": status, "cancel_id": cancellation.id,
        "create_time": cancellation.create_time}, int(sandbox.clock()))


def _notify_return(sandbox: TikTokSandbox, returned: Return) -> None:
    sandbox.events.notify(returned.shop_id, "RETURN_STATUS_CHANGE", {
        "order_id": returned.order_id, "return_role": returned.role, "return_type": returned.return_type,
        "return_status": returned.status, "return_id": returned.id, "create_time": returned.create_time,
        "update_time": returned.update_time}, int(sandbox.clock()))
