"""Order API: search, detail and external order references (notes A1, A2, A8)."""
from __future__ import annotations

from typing import Any

from werkzeug.routing import Rule

from shopsync.sandbox.tiktok.answers import Answer, Refused, body_of, cursor_page, page_size
from shopsync.sandbox.tiktok.catalog import Shop
from shopsync.sandbox.tiktok.orders import Order, order_json
from shopsync.sandbox.tiktok.state import Call, TikTokSandbox

MAX_SEARCH_PAGE = 100
MAX_DETAIL_IDS = 50
MAX_EXTERNAL_ORDERS = 100
MAX_EXTERNAL_LINES = 100
STATUSES = ("UNPAID", "ON_HOLD", "AWAITING_SHIPMENT", "PARTIALLY_SHIPPING", "AWAITING_COLLECTION", "IN_TRANSIT",
            "DELIVERED", "COMPLETED", "CANCELLED")
SHIPPING_TYPES = ("SELLER", "TIKTOK", "TIKTOK_DIGITAL", "IN-STORE PICKUP")
PLATFORMS = ("SHOPIFY", "WOOCOMMERCE", "BIGCOMMERCE", "MAGENTO", "SALESFORCE_COMMERCE_CLOUD", "CHANNEL_ADVISOR",
             "AMAZON", "ORDER_MANAGEMENT_SYSTEM", "WAREHOUSE_MANAGEMENT_SYSTEM", "ERP_SYSTEM")
NOT_OWNED = 21008111
_TIME_BOUNDS = (("create_time_ge", "create_time", True), ("create_time_lt", "create_time", False),
                ("update_time_ge", "update_time", True), ("update_time_lt", "update_time", False))

RULES = [
    Rule("/order/202309/orders/search", methods=["POST"], endpoint="order_search"),
    Rule("/order/202309/orders", methods=["GET"], endpoint="order_detail"),
    Rule("/order/202507/orders", methods=["GET"], endpoint="order_detail"),
    Rule("/order/202406/orders/external_orders", methods=["POST"], endpoint="external_orders_add"),
    Rule("/order/202406/orders/<order_id>/external_orders", methods=["GET"], endpoint="external_orders_get"),
    Rule("/order/202406/orders/external_order_search", methods=["POST"], endpoint="external_orders_search"),
]


def shop_order(sandbox: TikTokSandbox, shop: Shop, order_id: Any) -> Order:
    order = sandbox.book.orders.get(str(order_id or ""))
    if order is None or order.shop_id != shop.id:
        raise Refused(NOT_OWNED, f"The order {order_id} does not exist or does not belong to this seller")
    return order


def _search(sandbox: TikTokSandbox, shop: Shop, call: Call) -> Answer:
    size = page_size(call, MAX_SEARCH_PAGE)
    sort_field = call.query.get("sort_field") or "create_time"
    sort_order = call.query.get("sort_order") or "DESC"
    if sort_field not in ("create_time", "update_time") or sort_order not in ("ASC", "DESC"):
        raise Refused(36009004, "Invalid param: sort_field is create_time or update_time, sort_order ASC or DESC")
    filters = _filters(body_of(call))
    matching = [o for o in sandbox.book.of_shop(shop.id) if _matches(o, filters)]
    page, token = cursor_page(matching, lambda o: (getattr(o, sort_field), int(o.id)), size,
                              call.query.get("page_token", ""), descending=sort_order == "DESC")
    return Answer(data={"orders": [order_json(o) for o in page], "next_page_token": token,
                        "total_count": len(matching)})


def _filters(body: dict) -> dict:
    filters = {}
    status = body.get("order_status")
    if status is not None and status not in STATUSES:
        raise Refused(36009004, f"Invalid param: order_status must be one of {', '.join(STATUSES)}")
    filters["order_status"] = status
    for key, _, _ in _TIME_BOUNDS:
        value = body.get(key)
        if value is not None and (isinstance(value, bool) or not isinstance(value, int) or value < 0):
            raise Refused(36009004, f"Invalid param: {key} must be a unix timestamp in seconds")
        filters[key] = value
    shipping_type = body.get("shipping_type")
    if shipping_type is not None and shipping_type not in SHIPPING_TYPES:
        raise Refused(36009004, f"Invalid param: shipping_type must be one of {', '.join(SHIPPING_TYPES)}")
    filters["shipping_type"] = shipping_type
    warehouse_ids = body.get("warehouse_ids")
    if warehouse_ids is not None and (not isinstance(warehouse_ids, list) or len(warehouse_ids) > 100):
        raise Refused(36009004, "Invalid param: warehouse_ids takes at most 100 ids")
    filters["warehouse_ids"] = [str(w) for w in warehouse_ids] if warehouse_ids else None
    filters["buyer_user_id"] = body.get("buyer_user_id")
    filters["is_buyer_request_cancel"] = body.get("is_buyer_request_cancel")
    return filters


def _matches(order: Order, filters: dict) -> bool:
    if filters["order_status"] and order.status != filters["order_status"]:
        return False
    for key, attribute, lower in _TIME_BOUNDS:
        bound = filters[key]
        if bound is not None and (getattr(order, attribute) < bound if lower else getattr(order, attribute) >= bound):
            return False
    shipping_type = "TIKTOK" if order.fulfilled_by_tiktok else "SELLER"
    if filters["shipping_type"] and shipping_type != filters["shipping_type"]:
        return False
    if filters["warehouse_ids"] and order.warehouse_id not in filters["warehouse_ids"]:
        return False
    if filters["buyer_user_id"] and order.buyer.user_id != str(filters["buyer_user_id"]):
        return False
    asking = filters["is_buyer_request_cancel"]
    return asking is None or asking == (order.cancel_request is not None)


def _detail(sandbox: TikTokSandbox, shop: Shop, call: Call) -> Answer:
    ids = [i for i in call.query.get("ids", "").split(",") if i]
    if not ids or len(ids) > MAX_DETAIL_IDS:
        raise Refused(36009004, f"Invalid param: ids takes 1 to {MAX_DETAIL_IDS} order ids, comma separated")
    return Answer(data={"orders": [order_json(shop_order(sandbox, shop, order_id)) for order_id in ids]})


def _external_add(sandbox: TikTokSandbox, shop: Shop, call: Call) -> Answer:
    entries = body_of(call).get("orders")
    if not isinstance(entries, list) or not 1 <= len(entries) <= MAX_EXTERNAL_ORDERS:
        raise Refused(36009004, f"Invalid param: orders takes 1 to {MAX_EXTERNAL_ORDERS} orders")
    errors = []
    for entry in entries:
        entry = entry if isinstance(entry, dict) else {}
        external = entry.get("external_order") if isinstance(entry.get("external_order"), dict) else {}
        problem = _external_problem(sandbox, shop, entry, external)
        if problem:
            errors.append({"code": problem[0], "message": problem[1],
                           "detail": {"order_id": str(entry.get("id") or ""),
                                      "external_order": {"id": str(external.get("id") or ""),
                                                         "platform": str(external.get("platform") or "")}}})
            continue
        order = sandbox.book.orders[str(entry["id"])]
        order.external_orders[external["platform"]] = {
            "id": str(external["id"]), "platform": external["platform"],
            "line_items": [{"id": str(line["id"]), "origin_id": str(line["origin_id"])}
                           for line in external.get("line_items") or []]}
    return Answer(data={"errors": errors})


def _external_problem(sandbox, shop, entry: dict, external: dict) -> tuple[int, str] | None:
    order = sandbox.book.orders.get(str(entry.get("id") or ""))
    if order is None or order.shop_id != shop.id:
        return 36020001, "Invalid order_id"
    if not external.get("id") or external.get("platform") not in PLATFORMS:
        return 36009004, f"Invalid param: external_order needs an id and a platform among {', '.join(PLATFORMS)}"
    lines = external.get("line_items") or []
    if not isinstance(lines, list) or len(lines) > MAX_EXTERNAL_LINES:
        return 36009004, f"Invalid param: at most {MAX_EXTERNAL_LINES} line_items"
    for line in lines:
        if not isinstance(line, dict) or not line.get("id") or order.line(str(line.get("origin_id"))) is None:
            return 36009004, "Invalid param: each line item needs an id and the origin_id of a line of the order"
    return None


def _platform(call: Call) -> str:
    platform = call.query.get("platform", "")
    if platform not in PLATFORMS:
        raise Refused(36009004, f"Invalid param: platform must be one of {', '.join(PLATFORMS)}")
    return platform


def _external_get(sandbox: TikTokSandbox, shop: Shop, call: Call, order_id: str) -> Answer:
    platform = _platform(call)
    order = shop_order(sandbox, shop, order_id)
    found = order.external_orders.get(platform)
    return Answer(data={"external_orders": [found] if found else []})


def _external_search(sandbox: TikTokSandbox, shop: Shop, call: Call) -> Answer:
    platform = _platform(call)
    wanted = call.query.get("external_order_id", "")
    if not wanted:
        raise Refused(36009004, "Invalid param: external_order_id is required")
    orders = [{"id": o.id, "external_order": o.external_orders[platform]} for o in sandbox.book.of_shop(shop.id)
              if o.external_orders.get(platform, {}).get("id") == wanted]
    return Answer(data={"orders": orders})


ENDPOINTS = {"order_search": _search, "order_detail": _detail, "external_orders_add": _external_add,
             "external_orders_get": _external_get, "external_orders_search": _external_search}
