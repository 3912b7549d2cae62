"""The simulated Open API's listing endpoints: prerequisites, categories, rules, attributes, brands, image
upload, listing check, create (idempotent) with its audit, and edits. Registered by api.py."""
from __future__ import annotations

import io
import threading
from decimal import Decimal
from typing import Any

from werkzeug.formparser import FormDataParser
from werkzeug.http import parse_options_header
from werkzeug.routing import Rule

from shopsync.sandbox.tiktok import uploads
from shopsync.sandbox.tiktok.answers import Answer, Refused
from shopsync.sandbox.tiktok.catalog import Product, Shop, Sku
from shopsync.sandbox.tiktok.categories import Category, words
from shopsync.sandbox.tiktok.listing_desk import Listing, ListingDesk
from shopsync.sandbox.tiktok.listing_rules import V2_REGIONS, Context, image_url, judge
from shopsync.sandbox.tiktok.page_tokens import decode_page_token, encode_page_token

MAX_IDEMPOTENCY_KEY = 128
MAX_EXTERNAL_ID = 999
CONTENT_FIELDS = ("title", "description", "main_images", "product_attributes", "category_id", "brand_id",
                  "package_weight", "package_dimensions", "skus")

RULES = [
    Rule("/product/202312/prerequisites", methods=["GET"], endpoint="prerequisites"),
    Rule("/product/202309/categories", methods=["GET"], endpoint="categories"),
    Rule("/product/202309/categories/recommend", methods=["POST"], endpoint="recommend"),
    Rule("/product/202309/categories/<category_id>/rules", methods=["GET"], endpoint="category_rules"),
    Rule("/product/202309/categories/<category_id>/attributes", methods=["GET"], endpoint="attributes"),
    Rule("/product/202309/brands", methods=["GET"], endpoint="brands"),
    Rule("/product/202309/images/upload", methods=["POST"], endpoint="image_upload"),
    Rule("/product/202309/products/listing_check", methods=["POST"], endpoint="listing_check"),
    Rule("/product/202309/products", methods=["POST"], endpoint="create_product"),
    Rule("/product/202309/products/<product_id>", methods=["PUT"], endpoint="edit_product"),
    Rule("/product/202309/products/<product_id>/partial_edit", methods=["POST"], endpoint="partial_edit"),
]


def _desk(sandbox) -> ListingDesk:
    return sandbox.listing_desk


def _context(sandbox, shop: Shop) -> Context:
    desk = _desk(sandbox)
    return Context(tree=desk.tree, region=shop.region, currency=shop.currency,
                   warehouse_ids=frozenset(shop.sales_warehouse_ids), uploads=desk.uploads)


# ---- readiness and categories ---------------------------------------------------------------------
def _prerequisites(sandbox, shop: Shop, call) -> Answer:
    return Answer(data={"check_results": _desk(sandbox).check_results(shop.id)})


def _version(shop: Shop, query: dict) -> str:
    version = query.get("category_version") or "v1"
    if version not in ("v1", "v2"):
        raise Refused(36009004, "Invalid param: category_version must be v1 or v2")
    if version != "v2" and shop.region.upper() in V2_REGIONS:
        raise Refused(12052217, "This market uses category_version v2")
    return version


def _categories(sandbox, shop: Shop, call) -> Answer:
    _version(shop, call.query)
    keyword = (call.query.get("keyword") or "").strip().lower()
    tree = _desk(sandbox).tree
    found = [c for c in tree.by_id.values() if not keyword or keyword in c.name.lower()]
    return Answer(data={"categories": [c.as_json() for c in found]})


def _recommend(sandbox, shop: Shop, call) -> Answer:
    body = call.body if isinstance(call.body, dict) else {}
    title = str(body.get("product_title") or "").strip()
    if not title:
        raise Refused(36009004, "Invalid param: product_title is required")
    if body.get("category_version", "v1") != "v2" and shop.region.upper() in V2_REGIONS:
        raise Refused(12052217, "This market uses category_version v2")
    tree = _desk(sandbox).tree
    weighted = [(words(title), 3), (words(str(body.get("origin_platform_product_type") or "")), 4),
                (words(" ".join(map(str, body.get("origin_platform_tags") or []))), 2),
                (words(str(body.get("description") or "")), 1)]
    best, best_score = None, 0.0
    for leaf in tree.leaves:
        if leaf.permission == "PROHIBITED":
            continue
        own = words(leaf.name)
        path = set().union(*(words(c.name) for c in tree.chain(leaf)[:-1]))
        score = sum(weight * (2 * len(given & own) + 0.5 * len(given & path)) for given, weight in weighted)
        if score > best_score:
            best, best_score = leaf, score
    if best is None or not any(given & words(best.name) for given, _ in weighted):
        raise Refused(12019064, "No category matches this product")
    return Answer(data={"leaf_category_id": best.id, "categories": [
        {"id": c.id, "name": c.name, "level": c.level, "is_leaf": c.is_leaf, "permission_statuses": [c.permission]}
        for c in tree.chain(best)]})


def _leaf(sandbox, shop: Shop, call, category_id: str) -> Category:
    _version(shop, call.query)
    category = _desk(sandbox).tree.by_id.get(category_id)
    if category is None:
        raise Refused(12052025, f"Category {category_id} does not exist")
    if not category.is_leaf:
        raise Refused(12052024, f"Category {category.name} is not a leaf category")
    return category


def _category_rules(sandbox, shop: Shop, call, category_id: str) -> Answer:
    category = _leaf(sandbox, shop, call, category_id)
    return Answer(data=_desk(sandbox).tree.rules_of(category).as_json())


def _attributes(sandbox, shop: Shop, call, category_id: str) -> Answer:
    category = _leaf(sandbox, shop, call, category_id)
    return Answer(data={"attributes": [a.as_json() for a in _desk(sandbox).tree.attributes_of(category)]})


def _brands(sandbox, shop: Shop, call) -> Answer:
    page_size = call.query.get("page_size", "")
    if not page_size.isdigit() or not 1 <= int(page_size) <= 100:
        raise Refused(36009004, "Invalid param: page_size must be between 1 and 100")
    tree = _desk(sandbox).tree
    family = None
    if call.query.get("category_id"):
        family = _leaf(sandbox, shop, call, call.query["category_id"]).family
    name = (call.query.get("brand_name") or "").lower()
    only_authorized = call.query.get("is_authorized") in ("1", "true")
    found = [b for b in tree.brands if (not family or not b.families or family in b.families)
             and name in b.name.lower() and (b.authorized or not only_authorized)]
    offset = decode_page_token(call.query.get("page_token", ""), "brands")
    page = found[offset:offset + int(page_size)]
    following = offset + len(page)
    token = encode_page_token(following, "brands") if following < len(found) else ""
    return Answer(data={"brands": [b.as_json() for b in page], "total_count": len(found), "next_page_token": token})


# ---- images --------------------------------------------------------------------------------------
def _image_upload(sandbox, shop: None, call) -> Answer:
    mimetype, options = parse_options_header(call.content_type)
    if mimetype != "multipart/form-data" or "boundary" not in options:
        raise Refused(36009022, "Content-Type must be multipart/form-data")
    _, form, files = FormDataParser().parse(io.BytesIO(call.raw_body), mimetype, len(call.raw_body), options)
    upload = files.get("data")
    if upload is None:
        raise Refused(11050001, "Invalid param: the image file (part `data`) is required")
    data = upload.read()
    use_case = form.get("use_case") or "MAIN_IMAGE"
    call.body = {"use_case": use_case, "data": f"<{len(data)} bytes>"}
    uploaded = uploads.inspect(data, use_case)
    _desk(sandbox).uploads[uploaded.uri] = uploaded
    return Answer(data=uploaded.as_json(image_url(uploaded.uri)))


# ---- check, create, edit ---------------------------------------------------------------------------
def _listing_check(sandbox, shop: Shop, call) -> Answer:
    settle_audits(sandbox)
    judgement = judge(_context(sandbox, shop), call.body)
    data = {"check_result": "FAILED" if judgement.findings else "PASS", "fail_reasons": judgement.fail_reasons(),
            "warnings": []}
    if call.query.get("is_diagnosis_required") == "true":
        data["diagnoses"] = judgement.diagnoses
    return Answer(data=data)


def _create_product(sandbox, shop: Shop, call) -> Answer:
    settle_audits(sandbox)
    desk, body = _desk(sandbox), call.body
    key = str(body.get("idempotency_key") or "") if isinstance(body, dict) else ""
    if len(key) > MAX_IDEMPOTENCY_KEY:
        raise Refused(36009004, f"Invalid param: idempotency_key is at most {MAX_IDEMPOTENCY_KEY} characters")
    if key and (shop.id, key) in desk.idempotent:
        return Answer(data=desk.idempotent[(shop.id, key)])
    refusal = judge(_context(sandbox, shop), body).create_refusal
    if refusal is not None:
        raise Refused(refusal.code, refusal.message)
    external_id = str(body.get("external_product_id") or "")
    if len(external_id) > MAX_EXTERNAL_ID:
        raise Refused(12052369, f"external_product_id is at most {MAX_EXTERNAL_ID} characters")
    if external_id and (shop.id, external_id) in desk.external_ids:
        raise Refused(12052996, f"external_product_id {external_id} is already used by product "
                                f"{desk.external_ids[(shop.id, external_id)]}")
    blocking = desk.blocking_prerequisite(shop.id)
    if blocking:
        raise Refused(12052419, f"Complete the shop's tasks in Seller Center first ({blocking})")
    if desk.used_today(shop.id) >= desk.limit_of(shop.id):
        raise Refused(12052093, f"Exceeded the product listing limit ({desk.limit_of(shop.id)} a day)")
    data = _store(sandbox, shop, body)
    desk.count_creation(shop.id)
    if key:
        desk.idempotent[(shop.id, key)] = data
    if external_id:
        desk.external_ids[(shop.id, external_id)] = data["product_id"]
    if desk.lost_answers:  # carried out, but the gateway gave up waiting: the caller never hears of it
        desk.lost_answers -= 1
        return Answer(36009007, "Request timeout, please try again", http_status=504)
    return Answer(data=data, delay=desk.slow_answer_seconds)


def _store(sandbox, shop: Shop, body: dict) -> dict:
    desk, now = _desk(sandbox), int(sandbox.clock())
    draft = body.get("save_mode") == "AS_DRAFT"
    product = Product(id=next(sandbox._product_ids), title=body["title"], status="DRAFT" if draft else "PENDING",
                      create_time=now, update_time=now, skus=[], description=str(body.get("description") or ""),
                      external_product_id=str(body.get("external_product_id") or ""),
                      audit_status="NONE" if draft else "AUDITING")
    answered = []
    for entry in body["skus"]:
        sku = Sku(id=next(sandbox._sku_ids), seller_sku=str(entry.get("seller_sku") or ""),
                  price=Decimal(entry["price"]["amount"]),
                  inventory={str(i["warehouse_id"]): int(i["quantity"]) for i in entry["inventory"]})
        product.skus.append(sku)
        answered.append({"id": sku.id, "seller_sku": sku.seller_sku,
                         "external_sku_id": str(entry.get("external_sku_id") or ""),
                         "sales_attributes": [{"id": _attribute_id(a), "value_id": _value_id(a)}
                                              for a in entry.get("sales_attributes") or []]})
    shop.products[product.id] = product
    unsent = desk.unsent_reasons(shop.id)
    listing = Listing(product.id, shop.id, dict(body), audit_due=None, not_submitted_reasons=unsent)
    desk.listings[product.id] = listing
    if not draft and not unsent:
        _schedule_audit(sandbox, listing)
    elif unsent:
        product.audit_status = "NONE"
    return {"product_id": product.id, "skus": answered, "warnings": []}


def _attribute_id(attribute: dict) -> str:
    return str(attribute.get("id") or 7_100_000 + sum(map(ord, str(attribute.get("name")))))


def _value_id(attribute: dict) -> str:
    return str(attribute.get("value_id") or 7_200_000 + sum(map(ord, str(attribute.get("value_name")))))


def _edit_product(sandbox, shop: Shop, call, product_id: str) -> Answer:
    return _resubmit(sandbox, shop, product_id, call.body if isinstance(call.body, dict) else {}, replace=True)


def _partial_edit(sandbox, shop: Shop, call, product_id: str) -> Answer:
    return _resubmit(sandbox, shop, product_id, call.body if isinstance(call.body, dict) else {}, replace=False)


def _resubmit(sandbox, shop: Shop, product_id: str, changes: dict, replace: bool) -> Answer:
    settle_audits(sandbox)
    desk = _desk(sandbox)
    product, listing = shop.products.get(product_id), desk.listings.get(product_id)
    if product is None:
        raise Refused(12019150, "The product does not exist")
    if product.status in ("FREEZE", "DELETED") or listing is None:
        raise Refused(12052901, "The product status does not allow this operation")
    body = dict(changes) if replace else {**listing.body, **changes}
    body.setdefault("category_version", listing.body.get("category_version"))
    if "skus" not in changes:
        body["skus"] = listing.body["skus"]
    refusal = judge(_context(sandbox, shop), body).create_refusal
    if refusal is not None:
        raise Refused(refusal.code, refusal.message)
    listing.body = body
    product.title = body["title"]
    product.description = str(body.get("description") or "")
    product.update_time = int(sandbox.clock())
    if any(name in changes for name in CONTENT_FIELDS):
        product.status, product.audit_status, product.audit_failed_reasons = "PENDING", "AUDITING", []
        _schedule_audit(sandbox, listing)
    return Answer(data={"product_id": product.id, "audit": {"status": product.audit_status}})


# ---- audit ---------------------------------------------------------------------------------------
def _schedule_audit(sandbox, listing: Listing) -> None:
    desk = _desk(sandbox)
    delay = desk.audit_delay(listing.body)
    listing.audit_due = sandbox.clock() + delay
    timer = threading.Timer(delay + 0.05, settle_audits, args=(sandbox,))
    timer.daemon = True
    desk.timers = [t for t in desk.timers if t.is_alive()] + [timer]
    timer.start()


def settle_audits(sandbox) -> int:
    """End every audit that is due: approve, or fail with TikTok's reasons. Returns how many ended."""
    with sandbox.lock:
        desk, now, ended = _desk(sandbox), sandbox.clock(), 0
        for listing in list(desk.listings.values()):
            if listing.audit_due is None or listing.audit_due > now:
                continue
            listing.audit_due = None
            shop = sandbox.shop(listing.shop_id)
            product = shop.products.get(listing.product_id)
            if product is None or product.status != "PENDING":
                continue
            _end_audit(sandbox, shop, product, listing)
            ended += 1
        return ended


def _end_audit(sandbox, shop: Shop, product: Product, listing: Listing) -> None:
    desk = _desk(sandbox)
    script = desk.script_for(listing.body)
    findings = judge(_context(sandbox, shop), listing.body).findings
    reasons = [{"position": f.field, "reasons": [f.message], "suggestions": [], "listing_platform": "TIKTOK_SHOP"}
               for f in findings]
    if script is not None and script.outcome == "reject":
        reasons.append({"position": "PRODUCT", "reasons": script.reasons or ["The product violates TikTok Shop's "
                                                                            "listing policy"],
                        "suggestions": ["Fix the listing and submit it again"], "listing_platform": "TIKTOK_SHOP"})
    approved = not reasons
    product.status = "ACTIVATE" if approved else "FAILED"
    product.audit_status = "APPROVED" if approved else "FAILED"
    product.audit_failed_reasons = reasons
    product.update_time = int(sandbox.clock())
    _announce(sandbox, shop, product, approved)


def _announce(sandbox, shop: Shop, product: Product, approved: bool) -> None:
    """Product status webhooks (types 5 and 37) to the shop's subscriptions; kept in the desk's list too."""
    stamp = int(sandbox.clock())
    notices = (
        ("PRODUCT_STATUS_CHANGE", {"product_id": int(product.id), "status": "PRODUCT_FIRST_PASS_REVIEW" if approved
                                   else "PRODUCT_AUDIT_FAILURE", "suspended_reason": "", "update_time": stamp}),
        ("PRODUCT_AUDIT_STATUS_CHANGE", {"product_id": int(product.id), "audit": {
            "status": "APPROVED" if approved else "FAILED", "pre_approved_reasons": []},
            "integrated_platform_statuses": [], "update_time": stamp}),
    )
    for event_type, data in notices:
        notification_id = sandbox.events.notify(shop.id, event_type, data, stamp)
        _desk(sandbox).events.append({"event_type": event_type, "shop_id": shop.id, "data": data,
                                      "tts_notification_id": notification_id})


ENDPOINTS: dict[str, Any] = {
    "prerequisites": _prerequisites, "categories": _categories, "recommend": _recommend,
    "category_rules": _category_rules, "attributes": _attributes, "brands": _brands, "image_upload": _image_upload,
    "listing_check": _listing_check, "create_product": _create_product, "edit_product": _edit_product,
    "partial_edit": _partial_edit,
}
