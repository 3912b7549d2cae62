"""Flask face of the TikTok Shop simulator: authorize page, token endpoints, signed API, /_control/."""
from __future__ import annotations

import time
from urllib.parse import urlencode

from flask import Blueprint, abort, jsonify, redirect, render_template_string, request

from shopsync.sandbox.tiktok import api, control, listing_control
from shopsync.sandbox.tiktok.api import Answer
from shopsync.sandbox.tiktok.auth import token_get, token_refresh
from shopsync.sandbox.tiktok.state import TikTokSandbox

_AUTHORIZE_PAGE = """<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Authorize ShopSync - TikTok Shop (sandbox)</title></head>
<body>
<h1>Authorize ShopSync</h1>
<p>ShopSync wants to manage products, prices and inventory for <strong>{{ seller.name }}</strong>.</p>
<ul>{% for shop in seller.shops %}<li>{{ shop.name }} ({{ shop.region }})</li>{% endfor %}</ul>
<form method="post">
  <input type="hidden" name="service_id" value="{{ service_id }}">
  <input type="hidden" name="state" value="{{ state }}">
  <button type="submit" name="decision" value="approve">Approve</button>
  <button type="submit" name="decision" value="deny">Deny</button>
</form>
</body></html>"""


def create_blueprint(sandbox: TikTokSandbox) -> Blueprint:
    bp = Blueprint("tiktok_sandbox", __name__)

    @bp.route("/open/authorize", methods=["GET", "POST"])
    def authorize():
        values = request.values
        if values.get("service_id") != sandbox.settings["tiktok_service_id"]:
            abort(400, "Unknown service_id")
        state = values.get("state", "")
        if request.method == "GET":
            return render_template_string(_AUTHORIZE_PAGE, seller=sandbox.seller, state=state,
                                          service_id=values["service_id"])
        if request.form.get("decision") == "approve":
            outcome = {"code": sandbox.issue_code(), "state": state, "locale": "en",
                       "shop_region": sandbox.seller.region}
        else:
            outcome = {"error": "access_denied", "state": state}
        target = sandbox.settings["tiktok_redirect_uri"]
        return redirect(f"{target}{'&' if '?' in target else '?'}{urlencode(outcome)}")

    @bp.get("/auth/api/v2/token/get")
    def get_token():
        return _envelope(sandbox, token_get(sandbox, request.args))

    @bp.get("/auth/api/v2/token/refresh")
    def refresh_token():
        return _envelope(sandbox, token_refresh(sandbox, request.args))

    @bp.route("/api/<path:api_path>", methods=["GET", "POST", "PUT", "DELETE"])
    def open_api(api_path: str):
        answer = api.handle(sandbox, request.method, "/" + api_path, list(request.args.items(multi=True)),
                            request.headers, request.get_data(cache=True),
                            full_path=request.script_root + request.path)
        if answer.delay:
            time.sleep(answer.delay)
        return _envelope(sandbox, answer)

    _add_control_routes(bp, sandbox)
    control.register(bp, sandbox)
    listing_control.register(bp, sandbox)
    return bp


def _envelope(sandbox: TikTokSandbox, answer: Answer):
    response = jsonify(code=answer.code, message=answer.message, request_id=sandbox.next_request_id(),
                       data=answer.data)
    response.status_code = answer.http_status
    if answer.retry_after is not None:
        response.headers["Retry-After"] = str(answer.retry_after)
    return response


def _add_control_routes(bp: Blueprint, sandbox: TikTokSandbox) -> None:
    """The same levers tests pull on the TikTokSandbox object, for out-of-process callers."""

    @bp.post("/_control/reset")
    def control_reset():
        sandbox.reset()
        return jsonify(ok=True)

    @bp.route("/_control/faults", methods=["GET", "POST", "DELETE"])
    def control_faults():
        if request.method == "POST":
            body = request.get_json(force=True)
            try:
                sandbox.set_fault(body.get("kind", ""), count=int(body.get("count", 0)),
                                  probability=float(body.get("probability", 0.0)), seed=body.get("seed"),
                                  path=str(body.get("path") or ""), after=bool(body.get("after")))
            except ValueError as error:
                return jsonify(error=str(error)), 400
        elif request.method == "DELETE":
            sandbox.clear_faults()
        return jsonify(faults=sandbox.faults.as_json())

    @bp.post("/_control/tokens/expire")
    def control_expire_tokens():
        body = request.get_json(silent=True) or {}
        return jsonify(expired=sandbox.expire_tokens(body.get("access_token")))

    @bp.post("/_control/products/<product_id>/review")
    def control_review(product_id: str):
        body = request.get_json(silent=True) or {}
        try:
            sandbox.set_under_review(product_id, bool(body.get("under_review", True)))
        except KeyError:
            return jsonify(error="unknown product"), 404
        return jsonify(ok=True)

    @bp.route("/_control/calls", methods=["GET", "DELETE"])
    def control_calls():
        if request.method == "DELETE":
            sandbox.clear_calls()
        calls = sandbox.calls(path=request.args.get("path"), method=request.args.get("method"))
        return jsonify(count=len(calls), calls=[c.as_json() for c in calls])

    @bp.route("/_control/skus/<sku_id>", methods=["GET", "POST"])
    def control_sku(sku_id: str):
        """POST {"inventory": {warehouse_id: quantity}} changes stock as the seller would on TikTok itself."""
        try:
            if request.method == "POST":
                inventory = (request.get_json(silent=True) or {}).get("inventory")
                if not isinstance(inventory, dict) or not all(
                        isinstance(q, int) and not isinstance(q, bool) and q >= 0 for q in inventory.values()):
                    return jsonify(error='send {"inventory": {warehouse_id: quantity}}'), 400
                return jsonify(sandbox.set_sku_inventory(sku_id, inventory))
            return jsonify(sandbox.sku_state(sku_id))
        except KeyError:
            return jsonify(error="unknown sku or warehouse"), 404

    @bp.post("/_control/shops/<shop_id>/platform-warehouse")
    def control_platform_warehouse(shop_id: str):
        """Add a warehouse TikTok fulfils from itself (FBT); body {"stock": {sku_id: quantity}}."""
        stock = (request.get_json(silent=True) or {}).get("stock") or {}
        try:
            return jsonify(warehouse_id=sandbox.add_platform_warehouse(shop_id, {str(k): int(v)
                                                                                for k, v in stock.items()}))
        except (KeyError, StopIteration, ValueError, AttributeError):
            return jsonify(error="unknown shop or sku"), 404

    @bp.get("/_control/shops")
    def control_shops():
        with sandbox.lock:
            return jsonify(shops=[dict(s.as_json(), currency=s.currency, products=len(s.products),
                                       skus=sum(len(p.skus) for p in s.products.values()))
                                  for s in sandbox.shops])

    @bp.post("/_control/catalog/generate")
    def control_generate():
        body = request.get_json(force=True)
        shop_id = body.get("shop_id") or sandbox.shops[0].id
        try:
            added = sandbox.generate_catalog(shop_id, int(body["sku_count"]),
                                             skus_per_product=int(body.get("skus_per_product", 5)),
                                             seed=int(body.get("seed", 11)))
        except (KeyError, StopIteration, ValueError):
            return jsonify(error="need sku_count and a known shop_id"), 400
        return jsonify(products_added=added)
