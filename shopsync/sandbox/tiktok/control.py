"""/_control/ levers for orders and webhooks (JSON, for tests and the CLI) and the buyer's page (HTML)."""
from __future__ import annotations

from decimal import Decimal, InvalidOperation
from html import escape

from flask import Blueprint, Response, jsonify, redirect, request, url_for

from shopsync.sandbox.tiktok import buying
from shopsync.sandbox.tiktok.buying import OrderError
from shopsync.sandbox.tiktok.orders import NEXT_AFTER_SHIPPING, Order, order_json
from shopsync.sandbox.tiktok.state import TikTokSandbox

_TRUE = ("1", "true", "on", "yes")


def _flag(value, default: bool) -> bool:
    if value is None:
        return default
    return value is True or str(value).lower() in _TRUE


def _ids(value) -> list[str] | None:
    if value is None or value == "":
        return None
    items = value if isinstance(value, list) else str(value).split(",")
    return [str(i).strip() for i in items if str(i).strip()] or None


def _order_view(order: Order) -> dict:
    return {"shop_id": order.shop_id, **order_json(order)}


def register(bp: Blueprint, sandbox: TikTokSandbox) -> None:
    def body() -> dict:
        return request.get_json(silent=True) or request.form.to_dict() or {}

    def found(order_id: str) -> Order:
        return sandbox.order(order_id)

    @bp.errorhandler(OrderError)
    def refused(error: OrderError):
        return jsonify(error=str(error), code=error.code), 409

    @bp.errorhandler(KeyError)
    def missing(error: KeyError):
        return jsonify(error=str(error).strip("'\"")), 404

    def sell_from(data: dict) -> Order:
        try:
            quantity = int(data.get("quantity") or 1)
            discounts = {k: Decimal(str(data.get(k) or 0)) for k in ("seller_discount", "platform_discount")}
        except (ValueError, InvalidOperation):
            raise OrderError("quantity must be a whole number and discounts amounts like 1.50") from None
        return sandbox.sell(str(data.get("seller_sku") or ""), quantity, shop_id=data.get("shop_id") or None,
                            on_hold=_flag(data.get("on_hold"), True),
                            fulfilled_by_tiktok=_flag(data.get("fulfilled_by_tiktok"), False),
                            warehouse_id=data.get("warehouse_id") or None, **discounts)

    def act(order_id: str, action: str, data: dict):
        with sandbox.lock:
            order = found(order_id)
            if action == "release-hold":
                buying.release_hold(sandbox, order)
                return _order_view(order)
            if action == "pay":
                buying.pay(sandbox, order)
                return _order_view(order)
            if action == "advance":
                buying.advance(sandbox, order)
                return _order_view(order)
            if action == "cancel" and _flag(data.get("request"), False):
                cancellation = buying.request_cancel(sandbox, order)
                return {"cancel_id": cancellation.id, "cancel_status": cancellation.status, **_order_view(order)}
            if action == "cancel":
                cancellation = buying.cancel(sandbox, order, role=str(data.get("role") or "BUYER").upper(),
                                             line_item_ids=_ids(data.get("line_item_ids")),
                                             reason=str(data.get("reason") or "buyer_cancel_reason_changed_mind"))
                return {"cancel_id": cancellation.id, "cancel_status": cancellation.status, **_order_view(order)}
            if action == "return":
                returned = buying.return_items(sandbox, order, line_item_ids=_ids(data.get("line_item_ids")),
                                               return_type=str(data.get("return_type") or "RETURN_AND_REFUND"),
                                               until=data.get("until") or None)
                return {"return_id": returned.id, "return_status": returned.status, **_order_view(order)}
        raise KeyError(f"no action {action}")

    @bp.route("/_control/orders", methods=["GET", "POST"])
    def control_orders():
        if request.method == "POST":
            with sandbox.lock:
                return jsonify(_order_view(sell_from(body()))), 201
        shop_id = request.args.get("shop_id")
        with sandbox.lock:
            orders = [o for o in sandbox.book.orders.values() if shop_id in (None, o.shop_id)]
            return jsonify(orders=[_order_view(o) for o in orders])

    @bp.get("/_control/orders/<order_id>")
    def control_order(order_id: str):
        with sandbox.lock:
            return jsonify(_order_view(found(order_id)))

    @bp.post("/_control/orders/<order_id>/<action>")
    def control_order_action(order_id: str, action: str):
        return jsonify(act(order_id, action, body()))

    @bp.post("/_control/returns/<return_id>/advance")
    def control_return_advance(return_id: str):
        with sandbox.lock:
            returned = sandbox.book.returns.get(return_id)
            if returned is None:
                raise KeyError(f"no return {return_id}")
            return jsonify(return_id=returned.id, return_status=buying.walk_return(sandbox, returned))

    @bp.route("/_control/webhooks", methods=["GET", "POST"])
    def control_webhooks():
        outbox = sandbox.events.outbox
        if request.method == "POST":
            data = body()
            outbox.set_controls(**{k: data.get(k) for k in ("copies", "shuffle", "delay", "paused", "drop")})
        with sandbox.lock:
            subscriptions = {shop_id: [s.as_json() for s in sandbox.events.of(shop_id)]
                             for shop_id in sandbox.events.subscriptions}
        return jsonify(controls=dict(outbox.controls.__dict__), pending=outbox.pending(),
                       subscriptions=subscriptions, attempts=outbox.attempts_for(request.args.get("shop_id")))

    @bp.post("/_control/webhooks/release")
    def control_webhooks_release():
        sandbox.events.outbox.release()
        return jsonify(released=True)

    @bp.post("/_control/webhooks/wait")
    def control_webhooks_wait():
        return jsonify(drained=sandbox.events.outbox.wait_until_drained(float(body().get("timeout", 10))))

    # ---- the buyer's page ----------------------------------------------------------------------------
    @bp.get("/_control/admin")
    def control_admin():
        return Response(_admin_page(sandbox, request.args.get("message", "")), mimetype="text/html")

    @bp.post("/_control/admin/sell")
    def control_admin_sell():
        try:
            # an unticked box is simply absent from the form: no ON_HOLD, not Fulfilled by TikTok
            form = {**request.form.to_dict(), "on_hold": "on_hold" in request.form,
                    "fulfilled_by_tiktok": "fulfilled_by_tiktok" in request.form}
            with sandbox.lock:
                order = sell_from(form)
            message = f"Order {order.id} placed ({order.status})"
        except OrderError as error:
            message = f"Refused: {error}"
        return redirect(url_for(".control_admin", message=message), code=303)

    @bp.post("/_control/admin/orders/<order_id>/<action>")
    def control_admin_action(order_id: str, action: str):
        try:
            act(order_id, action, request.form.to_dict())
            message = f"Order {order_id}: {action} done"
        except (OrderError, KeyError) as error:
            message = f"Refused: {str(error).strip(chr(39))}"
        return redirect(url_for(".control_admin", message=message), code=303)


def _admin_page(sandbox: TikTokSandbox, message: str) -> str:
    with sandbox.lock:
        skus = [(shop, product, sku) for shop in sandbox.shops for product in shop.products.values()
                if product.status == "ACTIVATE" for sku in product.skus]
        options = "".join(f"<option value='{escape(sku.seller_sku)}'>{escape(sku.seller_sku)} - "
                          f"{escape(product.title)} ({escape(shop.name)}, stock "
                          f"{sum(sku.inventory.values())})</option>" for shop, product, sku in skus[:400])
        rows = "".join(_order_row(sandbox, order) for order in
                       sorted(sandbox.book.orders.values(), key=lambda o: int(o.id), reverse=True)[:200])
    notice = f"<p role='status'><strong>{escape(message)}</strong></p>" if message else ""
    return (
        "<!doctype html><html lang='en'><head><meta charset='utf-8'><title>TikTok Shop sandbox: orders</title>"
        "<style>body{font-family:system-ui,sans-serif;margin:1.5rem}table{border-collapse:collapse}"
        "td,th{border-bottom:1px solid #ddd;padding:.3rem .6rem;vertical-align:top;text-align:left}"
        "form{display:inline;margin:.1rem}</style></head><body>"
        f"<h1>TikTok Shop sandbox: buyers and orders</h1>{notice}"
        "<h2>Buy</h2><form method='post' action='admin/sell'>"
        f"<label>SKU <select name='seller_sku'>{options}</select></label> "
        "<label>Quantity <input name='quantity' type='number' min='1' max='100' value='1' size='3'></label> "
        "<label><input type='checkbox' name='on_hold' value='1' checked> ON_HOLD first</label> "
        "<label><input type='checkbox' name='fulfilled_by_tiktok' value='1'> Fulfilled by TikTok</label> "
        "<button>Place order</button></form>"
        "<h2>Orders</h2><table><tr><th>Order</th><th>Status</th><th>Items</th><th>Tracking</th><th>Actions</th></tr>"
        f"{rows}</table></body></html>")


def _order_row(sandbox: TikTokSandbox, order: Order) -> str:
    def button(action: str, label: str) -> str:
        return (f"<form method='post' action='admin/orders/{escape(order.id)}/{action}'>"
                f"<button>{escape(label)}</button></form>")
    actions = []
    if order.status == "ON_HOLD":
        actions.append(button("release-hold", "Release hold now"))
    if order.status in NEXT_AFTER_SHIPPING:
        actions.append(button("advance", f"Move to {NEXT_AFTER_SHIPPING[order.status]}"))
    if order.status in ("UNPAID", "ON_HOLD", "AWAITING_SHIPMENT"):
        actions.append(button("cancel", "Buyer cancels"))
    if order.status == "AWAITING_SHIPMENT" and order.cancel_request is None:
        actions.append(f"<form method='post' action='admin/orders/{escape(order.id)}/cancel'>"
                       "<input type='hidden' name='request' value='1'><button>Buyer asks to cancel</button></form>")
    if order.status in ("AWAITING_COLLECTION", "IN_TRANSIT", "DELIVERED", "COMPLETED"):
        actions.append(button("return", "Buyer returns"))
    items: dict[str, int] = {}
    for item in order.live_lines():
        items[item.seller_sku] = items.get(item.seller_sku, 0) + 1
    shop = next(s for s in sandbox.shops if s.id == order.shop_id)
    tracking = "<br>".join(f"{escape(p.shipping_provider_name)} {escape(p.tracking_number)}" for p in order.packages)
    kind = " (FBT)" if order.fulfilled_by_tiktok else ""
    return (f"<tr><td>{escape(order.id)}<br><small>{escape(shop.name)}{kind}</small></td>"
            f"<td>{escape(order.status)}</td>"
            f"<td>{escape(', '.join(f'{n} x {sku}' for sku, n in items.items()) or '-')}</td>"
            f"<td>{tracking or '-'}</td><td>{''.join(actions)}</td></tr>")
