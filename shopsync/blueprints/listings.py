"""Publishing to TikTok: pick products, preview TikTok's check, publish, follow listings, set up each shop."""
from __future__ import annotations

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_login import login_required
from sqlalchemy import select

from ..extensions import db
from ..inputs import InvalidInput, named, optional_row_id, row_ids, whole_number
from ..jobs import enqueue
from ..jobs.listings import start_publish
from ..models import CategoryTemplate, Integration, Listing, Product, SyncRun
from ..models.integration import ACTIVE, TIKTOK
from ..models.listings import FAILED, PENDING, STATES, SUBMITTING
from ..platforms.http import PlatformError
from ..platforms.tiktok import listings as tiktok
from ..sync.connections.tiktok_access import call_with_refresh
from ..sync.listings import audit, pages
from ..sync.listings.readiness import listing_shop, refresh_readiness
from ..sync.listings.templates import (MATCH_FIELDS, TemplateError, clean_package, clean_template, is_tiktok_id,
                                       templates_of)
from ..tenancy import current_tenant_id, get_or_404
from .live import Fragment, ids as live_ids, section
from .paging import before_arg

bp = Blueprint("listings", __name__)
MAX_SELECTION = 500
MAX_ATTRIBUTES = 100
STATE_LABELS = {"draft": "Checked", "blocked": "Needs fixes", "queued": "Waiting to publish",
                "submitting": "Submitting", "pending": "In TikTok's review", "live": "Live", "failed": "Rejected",
                "tiktok_draft": "Draft on TikTok"}
ON_ITS_WAY = (SUBMITTING, PENDING)  # going to TikTok, or in TikTok's review: the pages watch these closely


@bp.app_context_processor
def listing_labels():
    return {"listing_state_labels": STATE_LABELS}


def _shop_or_404(integration_id: int) -> Integration:
    integration = get_or_404(Integration, integration_id)
    if integration.platform != TIKTOK:
        abort(404)
    return integration


@bp.get("/listings")
@login_required
def index():
    """Listings by state and shop; with `run`, the listings of one publishing run (or check) as it goes."""
    tenant_id = current_tenant_id()
    state = request.args.get("state", "")
    state = state if state in STATES else ""
    shop_id = named("shop", optional_row_id, request.args.get("shop"))
    run_id = named("run", optional_row_id, request.args.get("run"))
    run = get_or_404(SyncRun, run_id) if run_id else None
    listings = (pages.listings_page(tenant_id, run_id=run.id) if run else
                pages.listings_page(tenant_id, state=state, shop_id=shop_id, before=before_arg()))
    return render_template("listings/index.html", listings=listings, counts=audit.counts(tenant_id, shop_id),
                           state=state, shop_id=shop_id, run=run, shops=pages.tiktok_shops(tenant_id))


def _on_its_way(listings: list[Listing]) -> bool:
    return any(listing.state in ON_ITS_WAY for listing in listings)


@section("listings")
def live_rows(argument: str) -> Fragment:
    listings = pages.some_listings(current_tenant_id(), live_ids(argument))
    return Fragment(render_template("listings/_live.html", part="listings", listings=listings),
                    settling=_on_its_way(listings))


@section("listing_run")
def live_run(argument: str) -> Fragment:
    """A publishing run's page: what its check offers, and its listings (the run adds them as it goes)."""
    [run_id] = live_ids(argument, limit=1) or [0]
    run = get_or_404(SyncRun, run_id)
    listings = pages.listings_page(current_tenant_id(), run_id=run.id)
    return Fragment(render_template("listings/_live.html", part="listing_run", run=run, listings=listings),
                    settling=not run.is_finished or _on_its_way(listings))


@section("listing_counts")
def live_counts(argument: str) -> Fragment:
    [shop_id] = live_ids(argument, limit=1) or [None]
    return Fragment(render_template("listings/_live.html", part="listing_counts", shop_id=shop_id,
                                    counts=audit.counts(current_tenant_id(), shop_id)))


@bp.get("/listings/new")
@login_required
def pick():
    tenant_id = current_tenant_id()
    shops = pages.tiktok_shops(tenant_id)
    shop_id = named("shop", optional_row_id, request.args.get("shop")) or (shops[0].id if shops else None)
    if shop_id and not any(s.id == shop_id for s in shops):
        abort(404)
    filters = {"q": request.args.get("q", "")[:200], "product_type": request.args.get("product_type", "")[:255],
               "vendor": request.args.get("vendor", "")[:255], "unpublished_only": bool(request.args.get("new"))}
    after = named("after", optional_row_id, request.args.get("after"))
    rows = pages.pickable_products(tenant_id, shop_id, after=after,
                                   **filters) if shop_id else []
    types, vendors = pages.product_facets(tenant_id)
    return render_template("listings/pick.html", shops=shops, shop_id=shop_id, rows=rows, filters=filters,
                           types=types, vendors=vendors, page_size=pages.PAGE_SIZE)


@bp.post("/listings/publish")
@login_required
def publish():
    tenant_id = current_tenant_id()
    shop_id = named("tiktok_integration_id", optional_row_id, request.form.get("tiktok_integration_id"))
    wanted = set(named("product_ids", row_ids, request.form.getlist("product_ids")))
    shop = _shop_or_404(shop_id or 0)
    if shop.status != ACTIVE:
        abort(409, "This TikTok shop needs to be reconnected before publishing.")
    if not wanted:
        flash("Pick at least one product.", "error")
        return redirect(url_for("listings.pick", shop=shop.id))
    if len(wanted) > MAX_SELECTION:
        abort(400, f"Pick at most {MAX_SELECTION} products at a time.")
    ids = sorted(db.session.execute(select(Product.id).where(
        Product.tenant_id == tenant_id, Product.id.in_(wanted))).scalars())
    check_only = request.form.get("action") == "preview"
    run_id = start_publish(tenant_id, shop.id, ids, save_as_draft=bool(request.form.get("save_as_draft")),
                           check_only=check_only)
    return redirect(url_for("listings.index", run=run_id))


@bp.get("/listings/<int:listing_id>")
@login_required
def detail(listing_id: int):
    listing = get_or_404(Listing, listing_id)
    run_id = named("run", optional_row_id, request.args.get("run"))
    return render_template("listings/detail.html", listing=listing, attributes=_cached_attributes(listing),
                           shop=db.session.get(Integration, listing.tiktok_integration_id),
                           run=get_or_404(SyncRun, run_id) if run_id else None)


@section("listing")
def live_listing(argument: str) -> Fragment:
    [listing_id] = live_ids(argument, limit=1) or [0]
    listing = get_or_404(Listing, listing_id)
    return Fragment(render_template("listings/_status.html", listing=listing, oob=True,
                                    shop=db.session.get(Integration, listing.tiktok_integration_id)),
                    settling=listing.state in ON_ITS_WAY)


def _cached_attributes(listing: Listing) -> list[tiktok.AttributeSpec]:
    from ..models import CategoryFacts

    if not listing.category_id:
        return []
    row = db.session.execute(select(CategoryFacts).where(
        CategoryFacts.tiktok_integration_id == listing.tiktok_integration_id,
        CategoryFacts.category_id == listing.category_id)).scalar_one_or_none()
    return [tiktok.AttributeSpec.from_json(a) for a in row.attributes if not a["is_sales"]] if row else []


@bp.post("/listings/<int:listing_id>/choices")
@login_required
def choices(listing_id: int):
    """The merchant's own category, brand and attribute values for one listing; checked again at once."""
    listing = get_or_404(Listing, listing_id)
    category_id = request.form.get("category_id", "").strip()
    if category_id and not is_tiktok_id(category_id):
        abort(400, "A TikTok category id is a number.")
    if category_id != (listing.category_id or ""):
        listing.category_id = category_id or None
        listing.category_path = request.form.get("category_path", "").strip()[:500] or None
        listing.chosen_attributes = {}
    brand_id = request.form.get("brand_id", "").strip()
    if brand_id and not is_tiktok_id(brand_id):
        abort(400, "A TikTok brand id is a number.")
    listing.brand_id = brand_id or None
    picked = {}
    for key in request.form:
        if key.startswith("attribute_") and is_tiktok_id(key[10:]) and len(picked) < MAX_ATTRIBUTES:
            values = [v.strip()[:500] for v in request.form.getlist(key)]
            if any(values):
                picked[key[10:]] = [v for v in values if v][:20]
    listing.chosen_attributes = picked or listing.chosen_attributes
    db.session.commit()
    run_id = start_publish(listing.tenant_id, listing.tiktok_integration_id, [listing.product_id],
                           save_as_draft=listing.save_as_draft, check_only=True)
    flash("Saved; TikTok's check runs again now.", "success")
    return redirect(url_for("listings.detail", listing_id=listing.id, run=run_id))


@bp.post("/listings/<int:listing_id>/check")
@login_required
def check(listing_id: int):
    listing = get_or_404(Listing, listing_id)
    run_id = start_publish(listing.tenant_id, listing.tiktok_integration_id, [listing.product_id],
                           save_as_draft=listing.save_as_draft, check_only=True)
    return redirect(url_for("listings.detail", listing_id=listing.id, run=run_id))


@bp.post("/listings/resubmit")
@login_required
def resubmit():
    """Fixed in Shopify: rebuild, check and send rejected listings back to TikTok's review."""
    tenant_id = current_tenant_id()
    wanted = named("listing_ids", row_ids, request.form.getlist("listing_ids"))[:MAX_SELECTION]
    ids = list(db.session.execute(select(Listing.id).where(
        Listing.tenant_id == tenant_id, Listing.id.in_(wanted), Listing.state == FAILED)).scalars())
    if ids:
        enqueue("shopsync.jobs.listings.resubmit_listings", tenant_id, ids)
        flash(f"{len(ids)} listing(s) are checked again and resubmitted to TikTok.", "success")
    return redirect(url_for("listings.index", state="failed"))


# ---- a shop's publishing setup ---------------------------------------------------------------------
@bp.get("/listings/shops/<int:integration_id>")
@login_required
def shop_setup(integration_id: int):
    shop = _shop_or_404(integration_id)
    listing_shop(shop)
    db.session.commit()
    return _shop_page(shop)


def _shop_page(shop: Integration, errors: dict | None = None):
    row = listing_shop(shop)
    page = render_template("listings/shop.html", shop=shop, row=row, readiness=pages.readiness_summary(row),
                           quota=pages.quota(row), templates=templates_of(shop.tenant_id, shop.id),
                           match_fields=MATCH_FIELDS, errors=errors or {})
    return (page, 422) if errors else page


@bp.post("/listings/shops/<int:integration_id>/readiness")
@login_required
def shop_readiness(integration_id: int):
    shop = _shop_or_404(integration_id)
    try:
        refresh_readiness(shop)
    except PlatformError as error:
        flash(f"TikTok did not answer: {error.message}", "error")
    else:
        enqueue("shopsync.jobs.listings.drain_shop", shop.id)
    return redirect(url_for("listings.shop_setup", integration_id=shop.id))


@bp.post("/listings/shops/<int:integration_id>/settings")
@login_required
def shop_settings(integration_id: int):
    shop = _shop_or_404(integration_id)
    row = listing_shop(shop)
    package, errors = clean_package(request.form)
    try:
        limit = whole_number(request.form.get("daily_limit", ""), low=1, high=100_000)
    except InvalidInput:
        errors["daily_limit"] = "The daily listing limit is a whole number from 1 to 100,000."
    if errors:
        db.session.rollback()
        return _shop_page(shop, errors)
    row.package_defaults, row.daily_limit = package, limit
    row.keep_content_in_step = bool(request.form.get("keep_content_in_step"))
    db.session.commit()
    flash("Publishing settings saved.", "success")
    return redirect(url_for("listings.shop_setup", integration_id=shop.id))


@bp.post("/listings/shops/<int:integration_id>/templates")
@login_required
def add_template(integration_id: int):
    shop = _shop_or_404(integration_id)
    form = request.form
    data = {name: form.get(name, "") for name in ("name", "match_field", "match_value", "category_id",
                                                   "category_path", "brand_id", "position")}
    data["attribute_rules"] = [{"attribute_id": a, "source": s, "value": v} for a, s, v in zip(
        form.getlist("rule_attribute_id"), form.getlist("rule_source"), form.getlist("rule_value")) if a or v]
    data["package"] = {name: form.get(name, "") for name in ("weight_value", "weight_unit", "length", "width",
                                                             "height", "dimension_unit")}
    try:
        cleaned = clean_template(data)
    except TemplateError as error:
        return _shop_page(shop, error.errors)
    db.session.add(CategoryTemplate(tenant_id=shop.tenant_id, tiktok_integration_id=shop.id, **cleaned))
    db.session.commit()
    flash(f"Template “{cleaned['name']}” added.", "success")
    return redirect(url_for("listings.shop_setup", integration_id=shop.id))


@bp.post("/listings/templates/<int:template_id>/delete")
@login_required
def delete_template(template_id: int):
    template = get_or_404(CategoryTemplate, template_id)
    shop_id = template.tiktok_integration_id
    db.session.delete(template)
    db.session.commit()
    return redirect(url_for("listings.shop_setup", integration_id=shop_id))


@bp.get("/listings/shops/<int:integration_id>/categories")
@login_required
def categories(integration_id: int):
    """Leaf categories whose name has the words typed, with their path, for the category pickers."""
    shop = _shop_or_404(integration_id)
    keyword = request.args.get("q", "").strip()[:100]
    found = []
    if len(keyword) >= 2:
        try:
            nodes = call_with_refresh(shop, lambda client: tiktok.categories(client))
        except PlatformError as error:
            # A fragment of the picker: say so where the results would be, and let the merchant type again.
            return render_template("listings/_categories.html", found=[], keyword=keyword,
                                   problem=f"TikTok did not answer: {error.message}")
        by_id = {n.id: n for n in nodes}
        for node in nodes:
            if node.is_leaf and keyword.casefold() in node.name.casefold():
                found.append((node, " > ".join(_path(by_id, node))))
    return render_template("listings/_categories.html", found=found[:30], keyword=keyword)


def _path(by_id: dict, node) -> list[str]:
    names = [node.name]
    while node.parent_id in by_id:
        node = by_id[node.parent_id]
        names.append(node.name)
    return list(reversed(names))
