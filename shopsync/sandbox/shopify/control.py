"""/_control/...: the sandbox's test and demo operations over HTTP (JSON), plus a tiny admin page."""
from __future__ import annotations

from decimal import InvalidOperation
from html import escape

from flask import Blueprint, Response, abort, jsonify, redirect, request

from . import order_control
from .sandbox import UNSET, ShopifySandbox
from .store import iso, money
from .urls import SHOP_DOMAIN, local_root


def _shop_summary(shop) -> dict:
    return {
        "shop": shop.domain, "id": shop.id, "name": shop.name, "installed": shop.installed,
        "products": len(shop.products), "variants": sum(len(p.variants) for p in shop.products.values()),
        "locations": [{"id": loc.id, "name": loc.name, "is_active": loc.is_active}
                      for loc in shop.locations.values()],
        "subscriptions": [{"id": s.id, "topic": s.topic, "uri": s.uri} for s in shop.subscriptions.values()],
        "bucket": shop.bucket.status(),
    }


def register(bp: Blueprint, sandbox: ShopifySandbox) -> None:
    def body() -> dict:
        return request.get_json(silent=True) or request.form.to_dict() or {}

    def known(shop: str):
        try:
            return sandbox.shop(shop)
        except KeyError:
            abort(404, description=f"unknown shop {shop}")

    @bp.errorhandler(KeyError)
    def missing(error):
        return jsonify({"error": "not_found", "message": str(error).strip("'\"")}), 404

    @bp.errorhandler(ValueError)
    @bp.errorhandler(InvalidOperation)
    def invalid(error):
        return jsonify({"error": "invalid", "message": str(error)}), 400

    order_control.register(bp, sandbox, known)

    @bp.get("/_control/shops")
    def shops():
        with sandbox.lock:
            return jsonify([_shop_summary(s) for s in sandbox.shops.values()])

    @bp.post("/_control/shops")
    def create_shop():
        domain = body().get("shop", "")
        if not SHOP_DOMAIN.fullmatch(domain):
            raise ValueError("shop must look like name.myshopify.com")
        with sandbox.lock:
            return jsonify(_shop_summary(sandbox.ensure_shop(domain.lower()))), 201

    @bp.get("/_control/shops/<shop:shop>")
    def shop_detail(shop):
        with sandbox.lock:
            return jsonify(_shop_summary(known(shop)))

    @bp.get("/_control/shops/<shop:shop>/variants")
    def variants(shop):
        """Variants of the shop, optionally only those with ?sku=: how the CLI finds a variant by SKU."""
        sku = request.args.get("sku")
        with sandbox.lock:
            found = [{"id": v.id, "product_id": p.id, "sku": v.sku, "price": str(v.price),
                      "inventory_item_id": v.inventory_item_id, "levels": v.levels}
                     for p in known(shop).products.values() for v in p.variants if sku is None or v.sku == sku]
        return jsonify(found)

    @bp.post("/_control/shops/<shop:shop>/variants/<int:variant_id>/price")
    def price(shop, variant_id):
        data = body()
        compare = data.get("compare_at_price", UNSET) if "compare_at_price" in data else UNSET
        variant = sandbox.set_price(shop, variant_id, data["price"], compare)
        return jsonify({"id": variant.id, "price": money(variant.price),
                        "compare_at_price": money(variant.compare_at_price), "updated_at": iso(variant.updated_at)})

    @bp.post("/_control/shops/<shop:shop>/variants/<int:variant_id>/inventory-behaviour")
    def inventory_behaviour(shop, variant_id):
        """{"tracked": bool, "policy": "DENY" | "CONTINUE"}, either or both."""
        data = body()
        tracked = data.get("tracked")
        if tracked is not None and not isinstance(tracked, bool):
            return jsonify(error="tracked must be true or false"), 400
        variant = sandbox.set_inventory_behaviour(shop, variant_id, tracked=tracked, policy=data.get("policy"))
        return jsonify({"id": variant.id, "tracked": variant.tracked, "policy": variant.inventory_policy})

    @bp.post("/_control/shops/<shop:shop>/inventory")
    def inventory(shop):
        data = body()
        variant = sandbox.set_stock(
            shop, int(data["location_id"]), int(data["available"]),
            variant_id=int(data["variant_id"]) if data.get("variant_id") else None,
            inventory_item_id=int(data["inventory_item_id"]) if data.get("inventory_item_id") else None)
        return jsonify({"variant_id": variant.id, "inventory_item_id": variant.inventory_item_id,
                        "levels": {str(k): v for k, v in variant.levels.items()}, "updated_at": iso(variant.updated_at)})

    @bp.post("/_control/shops/<shop:shop>/products")
    def create_product(shop):
        data = body()
        product = sandbox.create_product(shop, data["title"], data.get("variants") or [{}],
                                         status=data.get("status", "ACTIVE"))
        return jsonify({"id": product.id, "variants": [{"id": v.id, "inventory_item_id": v.inventory_item_id,
                                                        "sku": v.sku} for v in product.variants]}), 201

    @bp.post("/_control/shops/<shop:shop>/products/<int:product_id>")
    def update_product(shop, product_id):
        data = body()
        product = sandbox.update_product(shop, product_id, title=data.get("title"), status=data.get("status"))
        return jsonify({"id": product.id, "title": product.title, "status": product.status})

    @bp.delete("/_control/shops/<shop:shop>/products/<int:product_id>")
    def delete_product(shop, product_id):
        sandbox.delete_product(shop, product_id)
        return jsonify({"deleted": product_id})

    @bp.post("/_control/shops/<shop:shop>/generate")
    def generate(shop):
        data = body()
        count = sandbox.load_generated_catalog(shop, int(data.get("variants", 1000)),
                                               replace=bool(data.get("replace", True)),
                                               variants_per_product=int(data.get("variants_per_product", 5)))
        return jsonify({"variants": count})

    @bp.post("/_control/shops/<shop:shop>/bucket")
    def bucket(shop):
        data = body()
        return jsonify(sandbox.set_bucket(shop, maximum_available=data.get("maximum_available"),
                                          restore_rate=data.get("restore_rate"),
                                          currently_available=data.get("currently_available")))

    @bp.post("/_control/shops/<shop:shop>/tokens/expire")
    def expire(shop):
        return jsonify({"expired": sandbox.expire_tokens(shop, refresh_tokens=bool(body().get("refresh_tokens")))})

    @bp.post("/_control/shops/<shop:shop>/tokens/revoke")
    def revoke(shop):
        sandbox.revoke_tokens(shop)
        return jsonify({"revoked": True})

    @bp.post("/_control/shops/<shop:shop>/staff-user")
    def staff_user(shop):
        fields = {k: v for k, v in body().items() if k in ("id", "first_name", "last_name", "email",
                                                           "account_owner", "locale", "collaborator",
                                                           "email_verified")}
        return jsonify(sandbox.set_staff_user(shop, **fields).__dict__)

    @bp.post("/_control/shops/<shop:shop>/uninstall")
    def uninstall(shop):
        sandbox.uninstall(shop)
        return jsonify({"uninstalled": shop})

    @bp.post("/_control/shops/<shop:shop>/compliance")
    def compliance(shop):
        # Only ShopSync's own webhook address, with the body Shopify would send: the sandbox signs what it
        # sends, so letting callers choose either would make it sign anything for anyone.
        data = body()
        if set(data) - {"topic"}:
            raise ValueError("only topic can be given: the sandbox sends Shopify's body to ShopSync's address")
        sandbox.send_compliance(shop, data["topic"])
        return jsonify({"sent": data["topic"]})

    @bp.get("/_control/faults")
    def faults():
        with sandbox.lock:
            return jsonify([f.as_dict() for f in sandbox.faults.faults])

    @bp.post("/_control/faults")
    def add_fault():
        data = body()
        options = {k: data[k] for k in ("count", "probability", "status", "retry_after", "seconds", "shop",
                                        "field", "after") if data.get(k) is not None}
        return jsonify(sandbox.add_fault(data["kind"], **options).as_dict()), 201

    @bp.delete("/_control/faults")
    def clear_faults():
        sandbox.clear_faults()
        return jsonify([])

    @bp.get("/_control/requests")
    def requests_log():
        entries = sandbox.request_log(request.args.get("shop"))
        if request.args.get("throttled") in ("1", "true"):
            entries = [e for e in entries if e["throttled"]]
        return jsonify(entries)

    @bp.delete("/_control/requests")
    def clear_requests():
        sandbox.clear_request_log()
        return jsonify([])

    @bp.get("/_control/webhooks")
    def webhooks():
        return jsonify({"controls": dict(sandbox.outbox.controls.__dict__), "pending": sandbox.outbox.pending(),
                        "attempts": sandbox.webhook_attempts(request.args.get("shop"))})

    @bp.post("/_control/webhooks")
    def webhook_controls():
        data = body()
        return jsonify(sandbox.set_webhook_delivery(**{k: data.get(k) for k in ("copies", "shuffle", "delay",
                                                                                "paused", "drop")}))

    @bp.post("/_control/webhooks/release")
    def release():
        sandbox.release_webhooks()
        return jsonify({"released": True})

    @bp.post("/_control/webhooks/wait")
    def wait():
        return jsonify({"drained": sandbox.wait_for_webhooks(float(body().get("timeout", 10)))})

    @bp.get("/_control/shops/<shop:shop>/admin")
    def admin(shop):
        with sandbox.lock:
            current = known(shop)
            orders = order_control.orders_section(current)
            locations = list(current.locations.values())
            rows = []
            for product in list(current.products.values())[:500]:
                for variant in product.variants:
                    stock = "".join(
                        f"<form method='post' action='admin/stock'><input type='hidden' name='variant_id' "
                        f"value='{variant.id}'><input type='hidden' name='location_id' value='{loc.id}'>"
                        f"<label>{escape(loc.name)} <input name='available' type='number' size='4' "
                        f"value='{variant.levels.get(loc.id, 0)}'></label> <button>Set</button></form>"
                        for loc in locations)
                    rows.append(
                        f"<tr><td>{escape(product.title)}<br><small>{escape(product.status)}</small></td>"
                        f"<td>{escape(variant.title)}</td><td>{escape(variant.sku or '')}</td>"
                        f"<td><form method='post' action='admin/price'><input type='hidden' name='variant_id' "
                        f"value='{variant.id}'><input name='price' size='7' value='{escape(money(variant.price))}'>"
                        f" <button>Save</button></form></td><td>{stock}</td></tr>")
        html = ("<!doctype html><html><head><meta charset='utf-8'><title>Sandbox admin</title><style>"
                "body{font-family:system-ui,sans-serif;margin:1.5rem}table{border-collapse:collapse}"
                "td,th{border-bottom:1px solid #ddd;padding:.3rem .6rem;vertical-align:top}form{margin:.1rem 0}"
                f"</style></head><body><h1>{escape(current.name)} <small>{escape(shop)}</small></h1>{orders}"
                "<table><tr><th>Product</th><th>Variant</th><th>SKU</th><th>Price</th><th>Stock</th></tr>"
                + "".join(rows) + "</table></body></html>")
        return Response(html, mimetype="text/html")

    @bp.post("/_control/shops/<shop:shop>/admin/price")
    def admin_price(shop):
        sandbox.set_price(shop, int(request.form["variant_id"]), request.form["price"])
        return redirect(f"{local_root()}/_control/shops/{shop}/admin", code=303)

    @bp.post("/_control/shops/<shop:shop>/admin/stock")
    def admin_stock(shop):
        sandbox.set_stock(shop, int(request.form["location_id"]), int(request.form["available"]),
                          variant_id=int(request.form["variant_id"]))
        return redirect(f"{local_root()}/_control/shops/{shop}/admin", code=303)
