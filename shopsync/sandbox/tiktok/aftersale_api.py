"""Return & Refund API: search cancellations and returns, and the seller's own cancellation (notes D1-D3)."""
from __future__ import annotations

from werkzeug.routing import Rule

from shopsync.sandbox.tiktok import buying
from shopsync.sandbox.tiktok.aftersales import RETURN_TYPES, cancellation_json, return_json
from shopsync.sandbox.tiktok.answers import Answer, Refused, body_of, cursor_page
from shopsync.sandbox.tiktok.catalog import Shop
from shopsync.sandbox.tiktok.order_api import shop_order
from shopsync.sandbox.tiktok.state import Call, TikTokSandbox

MAX_PAGE = 50
DEFAULT_PAGE = 10
OUT_OF_STOCK = ("seller_cancel_reason_out_of_stock", "seller_cancel_reason_out_of_stock_uk",
                "seller_cancel_unpaid_reason_out_of_stock")
SELLER_REASONS = OUT_OF_STOCK + ("seller_cancel_reason_wrong_price", "seller_cancel_paid_reason_address_not_deliver")
PARTIAL_CANCEL_REGIONS = ("US", "GB")

RULES = [
    Rule(f"/return_refund/{version}/{path}", methods=["POST"], endpoint=endpoint)
    for version in ("202309", "202602")
    for path, endpoint in (("cancellations/search", "cancellations_search"), ("returns/search", "returns_search"),
                           ("cancellations", "seller_cancel"),
                           ("cancellations/<cancel_id>/approve", "cancellation_approve"),
                           ("cancellations/<cancel_id>/reject", "cancellation_reject"),
                           ("returns/<return_id>/approve", "return_decision"),
                           ("returns/<return_id>/reject", "return_decision"))
] + [Rule("/return_refund/202606/returns/<return_id>/reject", methods=["POST"], endpoint="return_decision")]


def _page_size(call: Call) -> int:
    value = call.query.get("page_size") or str(DEFAULT_PAGE)
    if not value.isdigit() or not 1 <= int(value) <= MAX_PAGE:
        raise Refused(36009004, f"Invalid param: page_size must be between 1 and {MAX_PAGE}")
    return int(value)


def _search(call: Call, rows: list, id_key: str, ids_key: str, status_key: str, type_key: str) -> tuple[list, str]:
    size = _page_size(call)
    sort_field = call.query.get("sort_field") or "create_time"
    sort_order = call.query.get("sort_order") or "ASC"
    if sort_field not in ("create_time", "update_time") or sort_order not in ("ASC", "DESC"):
        raise Refused(36009004, "Invalid param: sort_field is create_time or update_time, sort_order ASC or DESC")
    body = body_of(call)
    wanted = {key: body.get(key) for key in (ids_key, "order_ids", status_key, type_key)}
    for key, values in wanted.items():
        if values is not None and (not isinstance(values, list) or len(values) > MAX_PAGE):
            raise Refused(36009004, f"Invalid param: {key} takes a list of at most {MAX_PAGE} values")
    bounds = {key: body.get(key) for key in ("create_time_ge", "create_time_lt", "update_time_ge", "update_time_lt")}

    def keep(row) -> bool:
        fields = {ids_key: getattr(row, "id"), "order_ids": row.order_id, status_key: row.status,
                  type_key: getattr(row, "cancel_type", None) or getattr(row, "return_type", None)}
        if any(values and str(fields[key]) not in [str(v) for v in values] for key, values in wanted.items()):
            return False
        for key, bound in bounds.items():
            value = getattr(row, key[:-3])
            if isinstance(bound, int) and (value < bound if key.endswith("_ge") else value >= bound):
                return False
        return True
    return cursor_page([r for r in rows if keep(r)], lambda r: (getattr(r, sort_field), int(r.id)), size,
                       call.query.get("page_token", ""), descending=sort_order == "DESC")


def _cancellations_search(sandbox: TikTokSandbox, shop: Shop, call: Call) -> Answer:
    rows = [c for c in sandbox.book.cancellations.values() if c.shop_id == shop.id]
    page, token = _search(call, rows, "id", "cancel_ids", "cancel_status", "cancel_types")
    return Answer(data={"cancellations": [cancellation_json(sandbox.book.orders[c.order_id], c) for c in page],
                        "next_page_token": token, "total_count": len(rows)})


def _returns_search(sandbox: TikTokSandbox, shop: Shop, call: Call) -> Answer:
    rows = [r for r in sandbox.book.returns.values() if r.shop_id == shop.id]
    types = body_of(call).get("return_types")
    if types is not None and (not isinstance(types, list) or any(t not in RETURN_TYPES + ("REPLACEMENT",)
                                                                 for t in types)):
        raise Refused(36009004, "Invalid param: return_types are REFUND, RETURN_AND_REFUND or REPLACEMENT")
    page, token = _search(call, rows, "id", "return_ids", "return_status", "return_types")
    return Answer(data={"return_orders": [return_json(sandbox.book.orders[r.order_id], r) for r in page],
                        "next_page_token": token, "total_count": len(rows)})


def _seller_cancel(sandbox: TikTokSandbox, shop: Shop, call: Call) -> Answer:
    body = body_of(call)
    order = shop_order(sandbox, shop, body.get("order_id"))
    reason = body.get("cancel_reason")
    if reason not in SELLER_REASONS:
        raise Refused(36009004, f"Invalid param: cancel_reason must be one of {', '.join(SELLER_REASONS)}")
    line_ids = body.get("order_line_item_ids")
    if line_ids is not None:
        if not isinstance(line_ids, list) or not line_ids:
            raise Refused(36009004, "Invalid param: order_line_item_ids must be a non-empty list")
        if order.region not in PARTIAL_CANCEL_REGIONS or reason not in OUT_OF_STOCK:
            raise Refused(36009004, "Invalid param: cancelling some items is only for US and UK orders, "
                                    "for out of stock items")
        line_ids = [str(i) for i in line_ids]
    try:
        cancellation = buying.cancel(sandbox, order, role="SELLER", line_item_ids=line_ids, reason=reason)
    except buying.OrderError as refused:
        raise Refused(refused.code, str(refused)) from None
    return Answer(data={"cancel_id": cancellation.id, "cancel_status": cancellation.status})


def _shop_cancellation(sandbox: TikTokSandbox, shop: Shop, cancel_id: str):
    cancellation = sandbox.book.cancellations.get(cancel_id)
    if cancellation is None or cancellation.shop_id != shop.id:
        raise Refused(36009004, f"Invalid param: cancellation {cancel_id} does not exist")
    return cancellation


def _answer_request(sandbox: TikTokSandbox, cancellation, approve: bool) -> Answer:
    try:
        buying.answer_cancel_request(sandbox, cancellation, approve)
    except buying.OrderError as refused:
        raise Refused(refused.code, str(refused)) from None
    return Answer()


def _cancellation_approve(sandbox: TikTokSandbox, shop: Shop, call: Call, cancel_id: str) -> Answer:
    return _answer_request(sandbox, _shop_cancellation(sandbox, shop, cancel_id), approve=True)


def _cancellation_reject(sandbox: TikTokSandbox, shop: Shop, call: Call, cancel_id: str) -> Answer:
    cancellation = _shop_cancellation(sandbox, shop, cancel_id)
    if sandbox.book.orders[cancellation.order_id].region == "US":
        raise Refused(36009004, "Rejecting a cancellation is not supported in the US: ship the order instead")
    if not isinstance(body_of(call).get("reject_reason"), str) or not body_of(call)["reject_reason"]:
        raise Refused(36009004, "Invalid param: reject_reason is required")
    return _answer_request(sandbox, cancellation, approve=False)


def _return_decision(sandbox: TikTokSandbox, shop: Shop, call: Call, return_id: str) -> Answer:
    returned = sandbox.book.returns.get(return_id)
    if returned is None or returned.shop_id != shop.id:
        raise Refused(36009004, f"Invalid param: return {return_id} does not exist")
    body = body_of(call)
    decision = body.get("decision")
    if not isinstance(decision, str) or decision.startswith("REJECT") != call.path.endswith("/reject"):
        raise Refused(36009004, "Invalid param: decision does not fit this call")
    if decision.startswith("REJECT") and not body.get("reject_reason"):
        raise Refused(36009004, "Invalid param: reject_reason is required")
    try:
        buying.decide_return(sandbox, returned, decision)
    except buying.OrderError as refused:
        raise Refused(refused.code, str(refused)) from None
    return Answer()


ENDPOINTS = {"cancellations_search": _cancellations_search, "returns_search": _returns_search,
             "seller_cancel": _seller_cancel, "cancellation_approve": _cancellation_approve,
             "cancellation_reject": _cancellation_reject, "return_decision": _return_decision}
