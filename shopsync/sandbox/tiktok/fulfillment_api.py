"""Fulfilment and logistics: mark a package shipped, fix its tracking, read packages and tracking, and the
carriers of a delivery option (notes C2-C5)."""
from __future__ import annotations

import re

from werkzeug.routing import Rule

from shopsync.sandbox.tiktok import buying
from shopsync.sandbox.tiktok.answers import Answer, Refused, body_of
from shopsync.sandbox.tiktok.catalog import Shop
from shopsync.sandbox.tiktok.order_api import NOT_OWNED, shop_order
from shopsync.sandbox.tiktok.orders import SHIPPABLE, Order, Package, package_json
from shopsync.sandbox.tiktok.state import Call, TikTokSandbox

ON_HOLD = 21011044
TRACKING_WINDOW = 72 * 3600
TRACKING_EDIT_LATE = 21011049
_TRACKING_NUMBER = re.compile(r"[A-Za-z0-9\-_./]{4,50}")
# What a carrier's numbers look like, for the "did you mean" warning TikTok adds (US).
_CARRIER_NUMBERS = {"UPS": re.compile(r"1Z[0-9A-Z]{16}"), "USPS": re.compile(r"(94|93|92|95)\d{18,20}"),
                    "FedEx": re.compile(r"\d{12}|\d{15}")}

RULES = [
    Rule("/fulfillment/202309/orders/<order_id>/packages", methods=["POST"], endpoint="mark_shipped"),
    Rule("/fulfillment/202610/orders/<order_id>/packages", methods=["POST"], endpoint="mark_shipped"),
    Rule("/fulfillment/202610/packages/<package_id>/shipping_info/update", methods=["POST"],
         endpoint="package_tracking_update"),
    Rule("/fulfillment/202309/orders/<order_id>/shipping_info/update", methods=["POST"],
         endpoint="order_tracking_update"),
    Rule("/fulfillment/202309/packages/<package_id>/shipping_info/update", methods=["POST"],
         endpoint="package_tracking_update"),
    Rule("/fulfillment/202309/packages/<package_id>", methods=["GET"], endpoint="package_detail"),
    Rule("/fulfillment/202309/orders/<order_id>/tracking", methods=["GET"], endpoint="order_tracking"),
    Rule("/logistics/202309/delivery_options/<delivery_option_id>/shipping_providers", methods=["GET"],
         endpoint="shipping_providers"),
    Rule("/logistics/202309/warehouses/<warehouse_id>/delivery_options", methods=["GET"],
         endpoint="delivery_options"),
]


def _tracking(body: dict, order: Order) -> tuple[str, str, str]:
    """The tracking number and the provider (id, name), checked against the order's delivery option."""
    number, provider_id = body.get("tracking_number"), str(body.get("shipping_provider_id") or "")
    if not isinstance(number, str) or not _TRACKING_NUMBER.fullmatch(number):
        raise Refused(36009004, "Invalid param: tracking_number must be 4 to 50 letters, digits or -_./")
    providers = dict(order.delivery_option.providers)
    if provider_id not in providers:
        raise Refused(36009004, f"Invalid param: shipping_provider_id {provider_id or '(missing)'} is not a "
                                f"shipping provider of delivery option {order.delivery_option.id}")
    return number, provider_id, providers[provider_id]


def _warning(order: Order, provider_name: str, number: str) -> dict | None:
    pattern = _CARRIER_NUMBERS.get(provider_name)
    if pattern is None or pattern.fullmatch(number):
        return None
    better = next((name for name, other in _CARRIER_NUMBERS.items()
                   if other.fullmatch(number) and name in dict(order.delivery_option.providers).values()), None)
    hint = f" Did you mean {better}?" if better else ""
    return {"message": f"The tracking number does not match {provider_name}.{hint}"}


def _shipping_body(call: Call) -> dict:
    """202309's flat body, or 202610's lists read into it (one tracking number: the allowlist-only
    several-number case is not simulated)."""
    body = body_of(call)
    if "/202610/" not in call.path:
        return body
    infos = body.get("shipping_info_list")
    if not isinstance(infos, list) or len(infos) != 1 or not isinstance(infos[0], dict):
        raise Refused(36009004, "Invalid param: shipping_info_list takes exactly one tracking number")
    lines = body.get("order_line_list")
    if lines is not None and (not isinstance(lines, list) or not all(isinstance(line, dict) for line in lines)):
        raise Refused(36009004, "Invalid param: order_line_list must be a list of {order_line_id}")
    flat = {"tracking_number": infos[0].get("tracking_number"),
            "shipping_provider_id": infos[0].get("shipping_provider_id")}
    if lines is not None:
        flat["order_line_item_ids"] = [line.get("order_line_id") for line in lines]
    return flat


def _mark_shipped(sandbox: TikTokSandbox, shop: Shop, call: Call, order_id: str) -> Answer:
    order = shop_order(sandbox, shop, order_id)
    if order.fulfilled_by_tiktok:
        raise Refused(36009004, "Invalid param: the order is fulfilled by TikTok; it cannot be shipped by the seller")
    if order.status == "ON_HOLD":
        raise Refused(ON_HOLD, "The order status is on hold; ship it once it is AWAITING_SHIPMENT")
    if order.status not in SHIPPABLE:
        raise Refused(36009004, f"Invalid param: an order in status {order.status} cannot be shipped")
    body = _shipping_body(call)
    number, provider_id, provider_name = _tracking(body, order)
    if order.cancel_request is not None:
        if order.region not in ("US", "GB"):
            raise Refused(21011007, "The package has a pending after-sale request: handle the cancellation first")
        # US/UK: shipping is the seller's answer, it rejects the buyer's request
        buying.answer_cancel_request(sandbox, sandbox.book.cancellations[order.cancel_request], approve=False)
    wanted = body.get("order_line_item_ids")
    if wanted is None:
        line_ids = [item.id for item in order.unshipped_lines()]
    elif not isinstance(wanted, list) or not wanted:
        raise Refused(36009004, "Invalid param: order_line_item_ids must be a non-empty list")
    else:
        line_ids = [str(i) for i in wanted]
        unshipped = {item.id for item in order.unshipped_lines()}
        strangers = [i for i in line_ids if i not in unshipped]
        if strangers or len(set(line_ids)) != len(line_ids):
            raise Refused(36009004, f"Invalid param: line items {', '.join(strangers) or 'repeated'} are not "
                                    f"unshipped line items of order {order.id}")
    package = buying.ship(sandbox, order, line_ids, number, provider_id, provider_name)
    data = {"order_id": order.id, "order_line_item_ids": line_ids, "package_id": package.id}
    warning = _warning(order, provider_name, number)
    if warning:
        data["warning"] = warning
    return Answer(data=data)


def _retrack(sandbox: TikTokSandbox, order: Order, package: Package, body: dict) -> Answer:
    if sandbox.clock() - package.create_time > TRACKING_WINDOW:
        raise Refused(TRACKING_EDIT_LATE, "Shipping information can only be updated within 72 hours of shipping")
    package.tracking_number, package.shipping_provider_id, package.shipping_provider_name = _tracking(body, order)
    package.update_time = order.update_time = int(sandbox.clock())
    return Answer()


def _order_tracking_update(sandbox: TikTokSandbox, shop: Shop, call: Call, order_id: str) -> Answer:
    order = shop_order(sandbox, shop, order_id)
    if not order.packages:
        raise Refused(36009004, f"Invalid param: order {order.id} has not been shipped")
    return _retrack(sandbox, order, order.packages[-1], body_of(call))


def _shop_package(sandbox: TikTokSandbox, shop: Shop, package_id: str) -> tuple[Order, Package]:
    for order in sandbox.book.of_shop(shop.id):
        for package in order.packages:
            if package.id == package_id:
                return order, package
    raise Refused(NOT_OWNED, f"The package {package_id} does not exist or does not belong to this seller")


def _package_tracking_update(sandbox: TikTokSandbox, shop: Shop, call: Call, package_id: str) -> Answer:
    order, package = _shop_package(sandbox, shop, package_id)
    return _retrack(sandbox, order, package, _shipping_body(call))


def _package_detail(sandbox: TikTokSandbox, shop: Shop, call: Call, package_id: str) -> Answer:
    return Answer(data=package_json(*_shop_package(sandbox, shop, package_id)))


def _order_tracking(sandbox: TikTokSandbox, shop: Shop, call: Call, order_id: str) -> Answer:
    order = shop_order(sandbox, shop, order_id)
    events = []
    for package in order.packages:
        events.append({"description": f"Shipping label created ({package.shipping_provider_name} "
                                      f"{package.tracking_number})", "update_time_millis": package.create_time * 1000})
    for moment, text in ((order.collection_time, "Picked up by the carrier"), (order.delivery_time, "Delivered")):
        if moment:
            events.append({"description": text, "update_time_millis": moment * 1000})
    return Answer(data={"tracking": list(reversed(events))})


def _shipping_providers(sandbox: TikTokSandbox, shop: Shop, call: Call, delivery_option_id: str) -> Answer:
    option = next((o for o in buying.delivery_options(shop) if o.id == delivery_option_id), None)
    if option is None:
        raise Refused(36009004, f"Invalid param: delivery option {delivery_option_id} does not exist")
    if option.fulfilled_by_tiktok:
        raise Refused(36009004, "Invalid param: this delivery option is fulfilled by TikTok and has no seller "
                                "shipping providers")
    return Answer(data={"shipping_providers": [{"id": i, "name": name} for i, name in option.providers]})


def _delivery_options(sandbox: TikTokSandbox, shop: Shop, call: Call, warehouse_id: str) -> Answer:
    if warehouse_id not in shop.sales_warehouse_ids:
        raise Refused(36009004, f"Invalid param: warehouse {warehouse_id} is not a sales warehouse of this shop")
    options = [o.as_json() for o in buying.delivery_options(shop) if not o.fulfilled_by_tiktok]
    return Answer(data={"delivery_options": options})


ENDPOINTS = {"mark_shipped": _mark_shipped, "order_tracking_update": _order_tracking_update,
             "package_tracking_update": _package_tracking_update, "package_detail": _package_detail,
             "order_tracking": _order_tracking, "shipping_providers": _shipping_providers,
             "delivery_options": _delivery_options}
