"""The simulated TikTok Shop Open API: the gateway's checks, then the endpoints ShopSync uses."""
from __future__ import annotations

import hmac
import json
import re
from decimal import Decimal
from typing import Any, Mapping

from werkzeug.exceptions import MethodNotAllowed, NotFound
from werkzeug.routing import Map, Rule

from shopsync.sandbox.tiktok import aftersale_api, event_api, fulfillment_api, listing_api, order_api
from shopsync.sandbox.tiktok.answers import Answer, Refused, page_size
from shopsync.sandbox.tiktok.catalog import Product, Shop
from shopsync.sandbox.tiktok.page_tokens import decode_page_token as _decode_page_token
from shopsync.sandbox.tiktok.page_tokens import encode_page_token as _encode_page_token
from shopsync.sandbox.tiktok.signature import accepted_signs, wants_shop_cipher
from shopsync.sandbox.tiktok.state import Call, TikTokSandbox

MAX_PAGE_SIZE = 100
RESULT_WINDOW = 10_000
MAX_QUANTITY = 999_999
MAX_PRICE = Decimal("9999999")
TIMESTAMP_MAX_AGE = 300
TIMESTAMP_MAX_AHEAD = 30
_AMOUNT = re.compile(r"^\d{1,9}(\.\d{1,2})?$")
_UPLOADS = re.compile(r"^/product/[^/]+/(images|files)/upload$")

_ROUTES = Map([
    Rule("/authorization/202309/shops", methods=["GET"], endpoint="shops"),
    Rule("/logistics/202309/warehouses", methods=["GET"], endpoint="warehouses"),
    Rule("/product/202309/products/search", methods=["POST"], endpoint="search"),
    Rule("/product/202502/products/search", methods=["POST"], endpoint="search"),
    Rule("/product/202309/products/<product_id>", methods=["GET"], endpoint="product"),
    Rule("/product/202309/products/<product_id>/inventory/update", methods=["POST"], endpoint="inventory"),
    Rule("/product/202309/products/<product_id>/prices/update", methods=["POST"], endpoint="prices"),
    *order_api.RULES, *event_api.RULES, *fulfillment_api.RULES, *aftersale_api.RULES,
], strict_slashes=False).bind("open-api.tiktokglobalshop.com")


def handle(sandbox: TikTokSandbox, method: str, path: str, query: Mapping[str, str] | list[tuple[str, str]],
           headers: Mapping[str, str], raw_body: bytes, full_path: str | None = None) -> Answer:
    """Answer one API call as TikTok would and record it. `query` may repeat a key (`ids=1&ids=2`), read
    as one comma-joined value; `full_path` is the whole path the client reached, if the API is mounted
    below a prefix."""
    pairs = list(query.items()) if isinstance(query, Mapping) else list(query)
    joined: dict[str, str] = {}
    for key, value in pairs:
        joined[key] = f"{joined[key]},{value}" if key in joined else value
    call = Call(method=method, path=path, shop_id=None, query=joined, body=_json_or_none(raw_body),
                timestamp=sandbox.clock(), pairs=pairs, full_path=full_path or path, raw_body=raw_body,
                content_type=headers.get("content-type", ""))
    with sandbox.lock:
        try:
            answer = _answer(sandbox, call, headers, raw_body)
        except Refused as refused:
            answer = refused.answer
        call.code, call.http_status = answer.code, answer.http_status
        call.raw_body = b""
        sandbox.record(call)
    return answer


def _answer(sandbox: TikTokSandbox, call: Call, headers: Mapping[str, str], raw_body: bytes) -> Answer:
    try:
        endpoint, args = _ROUTES.match(call.path, method=call.method)
    except MethodNotAllowed:
        raise Refused(36009010, f"Invalid method {call.method} for this path", 405) from None
    except NotFound:
        raise Refused(36009009, "Invalid path", 404) from None
    shop = _check_gateway(sandbox, call, headers, raw_body, endpoint)
    struck = _fault_answer(sandbox, sandbox.faults.draw(call.path))
    if struck:
        return struck
    answer = _ENDPOINTS[endpoint](sandbox, shop, call, **args)
    return _fault_answer(sandbox, sandbox.faults.draw(call.path, after=True)) or answer


def _fault_answer(sandbox: TikTokSandbox, fault: str | None) -> Answer | None:
    if fault == "rate_limit":
        raise Refused(36009002, "Too many requests", 429, retry_after=1)
    if fault == "server_error":
        raise Refused(36009003, "Internal error, please try again later", 500)
    if fault == "token_expired":
        raise Refused(105002, "Expired credentials. Access token has expired.", 401)
    if fault == "timeout":
        return Answer(36009007, "Request timeout, please try again", http_status=504,
                      delay=float(sandbox.settings["tiktok_timeout_fault_seconds"]))
    return None


def _check_gateway(sandbox: TikTokSandbox, call: Call, headers: Mapping[str, str], raw_body: bytes,
                   endpoint: str) -> Shop | None:
    """TikTok's gateway checks, in its order; returns the shop the call is scoped to."""
    settings, query = sandbox.settings, call.query
    if query.get("app_key") != settings["tiktok_app_key"]:
        raise Refused(36009004, "Invalid app_key", 401)
    if not query.get("sign"):
        raise Refused(36009004, "Missing sign", 401)
    timestamp = query.get("timestamp", "")
    if not timestamp.isdigit():
        raise Refused(36009004, "Invalid timestamp", 401)
    now = sandbox.clock()
    if int(timestamp) < now - TIMESTAMP_MAX_AGE:
        raise Refused(36009004, "Invalid timestamp: the timestamp is more than 5 minutes old", 401)
    if int(timestamp) > now + TIMESTAMP_MAX_AHEAD:
        raise Refused(36009004, "Invalid timestamp: the timestamp is more than 30 seconds in the future", 401)
    content_type = headers.get("content-type", "").lower()
    multipart = content_type.startswith("multipart/form-data") and bool(_UPLOADS.match(call.path))
    signed_body = None if call.method == "GET" or multipart else raw_body  # multipart bodies are not signed
    accepted = accepted_signs(settings["tiktok_app_secret"], (call.path, call.full_path), call.pairs, signed_body)
    if not any(hmac.compare_digest(expected, query["sign"]) for expected in accepted):
        raise Refused(106001, "Invalid sign", 401)
    token = headers.get("x-tts-access-token", "")
    grant = sandbox.access_tokens.get(token) if token else None
    if grant is None:
        raise Refused(36009004, "Invalid access_token: check the x-tts-access-token header", 401)
    if grant.expires_at <= now:
        raise Refused(105002, "Expired credentials. Access token has expired.", 401)
    shop = _check_shop_cipher(sandbox, call)
    if call.method != "GET" and not multipart and not content_type.startswith("application/json"):
        raise Refused(36009022, "Content-Type must be application/json (multipart/form-data for uploads)", 415)
    # TikTok limits each API separately for each (app, shop) pair (tiktok-orders-listings.md F1)
    if sandbox.over_rate(f"{shop.id if shop else 'seller:' + grant.open_id}:{endpoint}"):
        raise Refused(36009002, "Too many requests", 429, retry_after=1)
    return shop


def _check_shop_cipher(sandbox: TikTokSandbox, call: Call) -> Shop | None:
    cipher = call.query.get("shop_cipher", "")
    if not wants_shop_cipher(call.method, call.path):
        if cipher:
            raise Refused(36009004, "Invalid shop_cipher: shop_cipher is not required for this API")
        return None
    if not cipher:
        raise Refused(106013, "shop_cipher is required")
    shop = sandbox.shop_by_cipher(cipher)
    if shop is None:
        raise Refused(36009004, "Invalid shop_cipher")
    call.shop_id = shop.id
    return shop


# ---- endpoints -------------------------------------------------------------------------------------
def _shops(sandbox: TikTokSandbox, shop: None, call: Call) -> Answer:
    return Answer(data={"shops": [s.as_json() for s in sandbox.shops]})


def _warehouses(sandbox: TikTokSandbox, shop: Shop, call: Call) -> Answer:
    return Answer(data={"warehouses": [w.as_json() for w in shop.warehouses if not w.platform]})


def _search(sandbox: TikTokSandbox, shop: Shop, call: Call) -> Answer:
    size = page_size(call, MAX_PAGE_SIZE)
    offset = _decode_page_token(call.query.get("page_token", ""))
    filters = call.body if isinstance(call.body, dict) else {}
    seller_skus = filters.get("seller_skus") or []
    if len(seller_skus) > 10:
        raise Refused(12019027, "seller_skus can contain at most 10 items")
    matching = [p for p in shop.products.values() if _matches(p, filters)]
    if offset >= RESULT_WINDOW:
        raise Refused(12052180, "Only the first 10000 results can be paged; narrow the search")
    page = matching[offset:offset + size]
    following = offset + len(page)
    token = _encode_page_token(following) if following < len(matching) else ""
    return Answer(data={"products": [_product_json(shop, p) for p in page], "next_page_token": token,
                        "total_count": len(matching)})


def _product(sandbox: TikTokSandbox, shop: Shop, call: Call, product_id: str) -> Answer:
    product = _shop_product(shop, product_id)
    data = _product_json(shop, product)
    data.update(description=product.description, audit_failed_reasons=product.audit_failed_reasons,
                external_product_id=product.external_product_id, is_cod_allowed=False,
                audit={"status": product.audit_status})
    return Answer(data=data)


def _inventory(sandbox: TikTokSandbox, shop: Shop, call: Call, product_id: str) -> Answer:
    product = _editable_product(shop, product_id)
    entries = _sku_entries(call.body)
    errors, changes = [], []
    for entry in entries:
        sku = next((s for s in product.skus if s.id == str(entry.get("id"))), None)
        if sku is None:
            errors.append(_sku_error(12052557, "The SKU does not belong to this product", entry.get("id")))
            continue
        quantities, problem = _quantities(entry.get("inventory"), sku.inventory, shop.platform_warehouse_ids)
        if problem:
            errors.append(_sku_error(*problem, sku.id))
        else:
            changes.append((sku, quantities))
    for sku, quantities in changes:
        sku.inventory.update(quantities)
    if changes:
        product.update_time = int(sandbox.clock())
    return Answer(data={"errors": errors} if errors else {})


def _prices(sandbox: TikTokSandbox, shop: Shop, call: Call, product_id: str) -> Answer:
    product = _editable_product(shop, product_id)
    changes = []
    for entry in _sku_entries(call.body):
        sku = next((s for s in product.skus if s.id == str(entry.get("id"))), None)
        if sku is None:
            raise Refused(12052557, f"SKU {entry.get('id')} does not belong to product {product.id}")
        price = entry.get("price") if isinstance(entry.get("price"), dict) else {}
        amount = price.get("amount")
        if not isinstance(amount, str) or not _AMOUNT.match(amount) or Decimal(amount) <= 0:
            raise Refused(12052012, f"Invalid price format for SKU {sku.id}")
        if price.get("currency") != shop.currency:
            raise Refused(12052084, f"Currency must be {shop.currency} for this shop")
        if Decimal(amount) > MAX_PRICE:
            raise Refused(12052570, f"Price of SKU {sku.id} exceeds the limit")
        changes.append((sku, Decimal(amount)))
    for sku, amount in changes:
        sku.price = amount
    product.update_time = int(sandbox.clock())
    return Answer()


_ENDPOINTS = {"shops": _shops, "warehouses": _warehouses, "search": _search, "product": _product,
              "inventory": _inventory, "prices": _prices, **order_api.ENDPOINTS, **event_api.ENDPOINTS,
              **fulfillment_api.ENDPOINTS, **aftersale_api.ENDPOINTS}


# ---- helpers ---------------------------------------------------------------------------------------
def _shop_product(shop: Shop, product_id: str) -> Product:
    product = shop.products.get(product_id)
    if product is None:
        raise Refused(12019150, "The product does not exist")
    return product


def _editable_product(shop: Shop, product_id: str) -> Product:
    product = _shop_product(shop, product_id)
    if product.under_review:
        raise Refused(12052901, "The product status does not allow this operation: product is under review")
    return product


def _sku_entries(body: Any) -> list[dict]:
    entries = body.get("skus") if isinstance(body, dict) else None
    if not isinstance(entries, list) or not entries or not all(isinstance(e, dict) for e in entries):
        raise Refused(36009004, "Invalid param: skus is required")
    ids = [str(e.get("id") or "") for e in entries]
    if not all(ids):
        raise Refused(12052036, "SKU id is missing")
    if len(set(ids)) != len(ids):
        raise Refused(12052553, "Duplicate SKU id in the request")
    return entries


def _quantities(inventory: Any, current: dict[str, int], platform: set[str]
                ) -> tuple[dict[str, int], tuple[int, str] | None]:
    """The seller's warehouses of the SKU, every one of them, and no warehouse TikTok runs itself."""
    if not isinstance(inventory, list) or not all(isinstance(i, dict) for i in inventory):
        return {}, (12019024, "Invalid stock information")
    quantities = {}
    for item in inventory:
        warehouse_id, quantity = str(item.get("warehouse_id") or ""), item.get("quantity")
        if warehouse_id in platform:
            return {}, (12052144, f"Warehouse {warehouse_id} is a platform warehouse; its stock cannot be edited")
        if warehouse_id not in current:
            return {}, (12019028, f"Warehouse {warehouse_id or '(missing)'} is not a warehouse of this SKU")
        if isinstance(quantity, bool) or not isinstance(quantity, int) or not 0 <= quantity <= MAX_QUANTITY:
            return {}, (12052055, f"Quantity must be between 0 and {MAX_QUANTITY}")
        quantities[warehouse_id] = quantity
    if set(quantities) != set(current) - platform:
        return {}, (12019028, "Stock for every warehouse of the SKU is required")
    return quantities, None


def _sku_error(code: int, message: str, sku_id: Any) -> dict:
    return {"code": code, "message": message, "detail": {"sku_id": str(sku_id or ""), "extra_errors": []}}


def _matches(product: Product, filters: dict) -> bool:
    status = filters.get("status") or "ALL"
    if status != "ALL" and product.shown_status != status:
        return False
    for key, attribute, later in (("update_time_ge", "update_time", True), ("update_time_le", "update_time", False),
                                  ("create_time_ge", "create_time", True), ("create_time_le", "create_time", False)):
        bound = filters.get(key)
        if bound is not None:
            value = getattr(product, attribute)
            if (later and value < int(bound)) or (not later and value > int(bound)):
                return False
    seller_skus = filters.get("seller_skus")
    return not seller_skus or any(s.seller_sku in seller_skus for s in product.skus)


def _product_json(shop: Shop, product: Product) -> dict:
    return {"id": product.id, "title": product.title, "status": product.shown_status,
            "create_time": product.create_time, "update_time": product.update_time,
            "sales_regions": [shop.region], "is_not_for_sale": False,
            "skus": [{"id": s.id, "seller_sku": s.seller_sku,
                      "price": {"currency": shop.currency, "sale_price": str(s.price),
                                "tax_exclusive_price": str(s.price)},
                      "inventory": [{"warehouse_id": w, "quantity": q} for w, q in s.inventory.items()]}
                     for s in product.skus]}


def _json_or_none(raw_body: bytes) -> Any:
    try:
        return json.loads(raw_body) if raw_body else None
    except ValueError:
        return None



# Listing creation lives in its own module; its routes join the map here.
for _rule in listing_api.RULES:
    _ROUTES.map.add(_rule)
_ENDPOINTS.update(listing_api.ENDPOINTS)
