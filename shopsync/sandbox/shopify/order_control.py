"""/_control/ levers for a store's orders: list them, fulfil them as the merchant would in the Shopify admin,
switch the store's plan and where orders take stock from. JSON for tests, forms for the admin page."""
from __future__ import annotations

from html import escape

from flask import Blueprint, jsonify, redirect, request

from . import order_book
from .order_views import amount, totals
from .orders import Money, Order, OrderLine, Transaction
from .sandbox import ShopifySandbox
from .store import Shop, gid, iso, now
from .urls import local_root

CARRIERS = ("UPS", "USPS", "FedEx", "DHL eCommerce", "OnTrac", "Royal Mail", "DPD", "Evri", "Other")
PLANS = ("paid", "development")


def order_summary(order: Order) -> dict:
    return {"id": order.id, "admin_graphql_api_id": gid("Order", order.id), "name": order.name,
            "source_name": order.source_name, "source_identifier": order.source_identifier, "tags": order.tags,
            "created_at": iso(order.created_at),
            "cancelled_at": iso(order.cancelled_at) if order.cancelled_at else None,
            "financial_status": order.financial_status, "fulfillment_status": order.display_fulfillment_status,
            "total": amount(totals(order)["total"]), "currency": order.currency,
            "lines": [{"id": line.id, "sku": line.sku, "title": line.title, "quantity": line.quantity,
                       "current_quantity": line.current_quantity, "unfulfilled": order.unfulfilled_quantity(line)}
                      for line in order.lines],
            "fulfillment_orders": [{"id": fo.id, "status": fo.status, "location_id": fo.location_id,
                                    "holds": [h.reason for h in fo.holds]} for fo in order.fulfillment_orders],
            "fulfillments": [{"id": f.id, "tracking_company": f.tracking_company,
                              "tracking_numbers": f.tracking_numbers, "status": f.status} for f in order.fulfillments]}


def fulfil_everything(sandbox: ShopifySandbox, shop: Shop, order: Order, company: str, number: str,
                      url: str | None) -> list[int]:
    """What a merchant's "Fulfill items" click does: every open fulfilment order ships, with this tracking."""
    if order.cancelled_at is not None:
        raise ValueError(f"order {order.name} is cancelled")
    ready = [fo for fo in order.fulfillment_orders if fo.status in ("OPEN", "IN_PROGRESS")]
    if not ready:
        held = any(fo.status == "ON_HOLD" for fo in order.fulfillment_orders)
        raise ValueError(f"order {order.name} has nothing to fulfil" + (": its fulfilment is on hold" if held else ""))
    if not number.strip():
        raise ValueError("a tracking number is required")
    tracking = {"company": company.strip() or None, "number": number.strip(), "url": url or None}
    return [order_book.fulfil(sandbox, shop, order, [(fo, [(line, line.remaining) for line in fo.lines
                                                           if line.remaining])], tracking).id for fo in ready]


def storefront_sale(sandbox: ShopifySandbox, shop: Shop, variant_id: int, quantity: int) -> Order:
    """A buyer checks out on the online store: sold only while a location has the units (unless the variant
    keeps selling when out of stock, policy CONTINUE), which it claims as an order does; orders/create and
    inventory_levels/update follow."""
    found = shop.variant(variant_id)
    if found is None:
        raise KeyError(f"no variant {variant_id}")
    product, variant = found
    if not 1 <= quantity <= 100:
        raise ValueError("quantity must be between 1 and 100")
    active = [location.id for location in shop.locations.values() if location.is_active]
    sells_out = variant.tracked and variant.inventory_policy == "DENY"
    location_id = next((loc for loc in active if not sells_out or variant.levels.get(loc, 0) >= quantity),
                       None)
    if location_id is None:
        raise SoldOut(f"{variant.sku or product.title} is sold out on the online store")
    moment = now()
    number = order_book.next_number(shop)
    price = Money(variant.price, shop.currency_code)
    line = OrderLine(id=sandbox._new_id(13_370_000_000), variant_id=variant.id, product_id=product.id,
                     inventory_item_id=variant.inventory_item_id, sku=variant.sku, title=product.title,
                     variant_title=variant.title, vendor=product.vendor, quantity=quantity, price=price,
                     requires_shipping=True, taxable=True)
    paid = Transaction(id=sandbox._new_id(8_800_000_000), kind="SALE", status="SUCCESS", gateway="shopify_payments",
                       amount=Money(variant.price * quantity, shop.currency_code), processed_at=moment)
    order = Order(id=sandbox._new_id(5_550_000_000_000), number=number, name=f"#{number}", created_at=moment,
                  processed_at=moment, updated_at=moment, currency=shop.currency_code,
                  presentment_currency=shop.currency_code, lines=[line], source_name="web", transactions=[paid])
    return order_book.place(sandbox, shop, order, {line.id: location_id}, claim=True, fulfilled_at=None, tracking=None)


class SoldOut(Exception):
    pass


def orders_section(shop: Shop) -> str:
    rows = []
    for order in sorted(shop.orders.values(), key=lambda o: o.id, reverse=True)[:200]:
        items = ", ".join(f"{line.current_quantity} x {line.sku or line.title}" for line in order.lines)
        tracking = "<br>".join(f"{escape(f.tracking_company or '')} {escape(n)}" for f in order.fulfillments
                               for n in f.tracking_numbers)
        status = "cancelled" if order.cancelled_at else order.display_fulfillment_status.lower().replace("_", " ")
        carriers = "".join(f"<option>{escape(c)}</option>" for c in CARRIERS)
        action = ""
        if order.cancelled_at is None and any(fo.status in ("OPEN", "IN_PROGRESS") for fo in order.fulfillment_orders):
            action = (f"<form method='post' action='admin/orders/{order.id}/fulfil'>"
                      f"<label>Carrier <select name='tracking_company'>{carriers}</select></label> "
                      "<label>Tracking number <input name='tracking_number' required size='22'></label> "
                      "<button>Fulfill items</button></form>")
        rows.append(f"<tr><td>{escape(order.name)}<br><small>{escape(order.source_name or '')} "
                    f"{escape(order.source_identifier or '')}</small></td><td>{escape(status)}<br>"
                    f"<small>{escape(order.financial_status.lower())}</small></td><td>{escape(items)}</td>"
                    f"<td>{tracking or '-'}</td><td>{action}</td></tr>")
    plans = "".join(f"<option value='{p}'{' selected' if p == shop.plan else ''}>{p}</option>" for p in PLANS)
    return ("<h2>Orders</h2><form method='post' action='admin/plan'><label>Plan <select name='plan'>"
            f"{plans}</select></label> <button>Save</button> <small>(a development store creates at most 5 orders a "
            "minute through the API)</small></form><table><tr><th>Order</th><th>Status</th><th>Items</th>"
            f"<th>Tracking</th><th>Fulfil</th></tr>{''.join(rows) or '<tr><td colspan=5>No orders yet</td></tr>'}"
            "</table><h2>Products</h2>")


def register(bp: Blueprint, sandbox: ShopifySandbox, known) -> None:
    def body() -> dict:
        return request.get_json(silent=True) or request.form.to_dict() or {}

    def order_of(shop: Shop, order_id: int) -> Order:
        order = shop.orders.get(order_id)
        if order is None:
            raise KeyError(f"no order {order_id}")
        return order

    @bp.get("/_control/shops/<shop:shop>/orders")
    def control_orders(shop):
        with sandbox.lock:
            return jsonify([order_summary(o) for o in known(shop).orders.values()])

    @bp.post("/_control/shops/<shop:shop>/orders/<int:order_id>/fulfil")
    def control_fulfil(shop, order_id):
        data = body()
        with sandbox.lock:
            current = known(shop)
            order = order_of(current, order_id)
            ids = fulfil_everything(sandbox, current, order, data.get("tracking_company") or "",
                                    data.get("tracking_number") or "", data.get("tracking_url"))
            return jsonify({"fulfillment_ids": ids, **order_summary(order)})

    @bp.post("/_control/shops/<shop:shop>/storefront/orders")
    def control_storefront_sale(shop):
        data = body()
        with sandbox.lock:
            current = known(shop)
            variant_id = data.get("variant_id")
            if variant_id is None and data.get("sku"):
                variant_id = next((v.id for p in current.products.values() for v in p.variants
                                   if v.sku == data["sku"]), None)
            if variant_id is None:
                raise KeyError(f"no variant with SKU {data.get('sku')}")
            try:
                order = storefront_sale(sandbox, current, int(variant_id), int(data.get("quantity") or 1))
            except SoldOut as sold_out:
                return jsonify({"error": "sold_out", "message": str(sold_out)}), 409
            return jsonify(order_summary(order)), 201

    @bp.post("/_control/shops/<shop:shop>/plan")
    def control_plan(shop):
        plan = body().get("plan")
        if plan not in PLANS:
            raise ValueError(f"plan must be one of {', '.join(PLANS)}")
        with sandbox.lock:
            known(shop).plan = plan
            known(shop).order_creations.clear()
        return jsonify({"plan": plan})

    @bp.post("/_control/shops/<shop:shop>/order-location")
    def control_order_location(shop):
        location_id = body().get("location_id")
        with sandbox.lock:
            current = known(shop)
            if location_id is not None and int(location_id) not in current.locations:
                raise KeyError(f"no location {location_id}")
            current.order_location_id = None if location_id is None else int(location_id)
            return jsonify({"order_location_id": current.order_location_id})

    @bp.post("/_control/shops/<shop:shop>/admin/orders/<int:order_id>/fulfil")
    def admin_fulfil(shop, order_id):
        with sandbox.lock:
            current = known(shop)
            fulfil_everything(sandbox, current, order_of(current, order_id), request.form.get("tracking_company", ""),
                              request.form.get("tracking_number", ""), None)
        return redirect(f"{local_root()}/_control/shops/{shop}/admin", code=303)

    @bp.post("/_control/shops/<shop:shop>/admin/plan")
    def admin_plan(shop):
        control_plan(shop)
        return redirect(f"{local_root()}/_control/shops/{shop}/admin", code=303)
