"""Product links: the list with filters and batch actions, and each link's own page."""
from __future__ import annotations

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_login import login_required

from ..extensions import db
from ..inputs import named, optional_row_id, row_ids
from ..models import Integration, Location, ProductLink, SyncLog, TikTokWarehouse
from ..platforms.tiktok.products import is_seller_warehouse
from ..sync.links import actions as link_actions
from ..sync.links import listing as link_listing
from ..sync.links.listing import LinkFilters
from ..sync.pushes.planner import plan_links
from ..sync.pushes.rules import (ROUNDINGS, SCHEDULES, SETTING_NAMES, UNTRACKED_STOCK, LinkSettings, SettingsError,
                                 clean_settings)
from ..tenancy import current_tenant_id, get_or_404, scoped
from .paging import before_arg
from .safety import same_site_referrer
from .settings_form import settings_input, typed_values

bp = Blueprint("links", __name__, url_prefix="/product-links")

STATE_LABELS = {"ok": "In sync", "pending": "Pending", "error": "Failing", "needs_confirmation": "Needs confirmation",
                "orphaned": "Orphaned", "paused": "Paused"}
SCHEDULE_LABELS = {"off": "Off (changes and Sync now only)", "hourly": "Every hour", "6h": "Every 6 hours",
                   "daily": "Every day"}
MAX_BATCH = 20_000  # "every matching link" covers a whole catalog, in one statement per action
BATCH_ACTIONS = {"sync", "pause", "resume", "unlink", "settings"}


@bp.app_context_processor
def link_labels():
    return {"state_labels": STATE_LABELS, "roundings": ROUNDINGS, "schedules": list(SCHEDULES),
            "schedule_labels": SCHEDULE_LABELS, "untracked_choices": UNTRACKED_STOCK}


@bp.app_template_filter("money")
def money(value) -> str:
    """Prices as the merchant writes them: two decimals, more only when a price really has them."""
    if value is None:
        return "—"
    text = f"{value:.4f}".rstrip("0")
    return text if len(text.split(".")[1]) >= 2 else f"{value:.2f}"


def tiktok_integrations() -> list[Integration]:
    return db.session.execute(scoped(Integration).where(Integration.platform == "tiktok")
                              .order_by(Integration.name, Integration.id)).scalars().all()


@bp.get("")
@login_required
def index():
    tenant_id = current_tenant_id()
    filters = LinkFilters.from_args(request.args)
    before_id = before_arg()
    links, next_before = link_listing.page(tenant_id, filters, before_id)
    return render_template("links/index.html", links=links, filters=filters, before=before_id,
                           next_before=next_before, counts=link_listing.state_counts(tenant_id),
                           total_matching=link_listing.count(tenant_id, filters),
                           tiktok_integrations=tiktok_integrations())


@bp.post("/batch")
@login_required
def bulk():
    tenant_id = current_tenant_id()
    action = request.form.get("action", "")
    if action not in BATCH_ACTIONS:
        return _feedback("Choose what to do with the selected links.", "error")
    if request.form.get("all_matching"):
        filters = LinkFilters.from_args({k.removeprefix("filter_"): v for k, v in request.form.items()
                                         if k.startswith("filter_")})
        ids = link_listing.matching_ids(tenant_id, filters, MAX_BATCH)
    else:
        ids = named("link_ids", row_ids, request.form.getlist("link_ids"))
    if not ids:
        return _feedback("Select at least one link first.", "error")

    if action == "sync":
        run = link_actions.sync_now(tenant_id, ids, "manual" if len(ids) == 1 else "batch")
        if run is None:
            abort(404)
        return _feedback(f"Syncing {run.total} link{'s' if run.total != 1 else ''}.", "success", run=run)
    if action == "settings":
        try:
            count = link_actions.change_settings(tenant_id, ids, settings_input(), only_given=True)
        except SettingsError as error:
            return _feedback("Nothing was changed: " + "; ".join(
                f"{_field_label(name)} {message}" for name, message in error.errors.items()), "error")
        message = f"Settings changed on {_links(count)}; they will be pushed with the new rules."
    else:
        count = {"pause": link_actions.pause, "resume": link_actions.resume,
                 "unlink": link_actions.unlink}[action](tenant_id, ids)
        if count == 0:
            abort(404)
        message = {"pause": "Paused {}.", "resume": "Resumed {}; changes are on their way to TikTok.",
                   "unlink": "Unlinked {}."}[action].format(_links(count))
    if action == "unlink" and not request.headers.get("HX-Request"):
        flash(message, "success")
        return redirect(url_for("links.index"))
    return _feedback(message, "success", refresh=True)


def _links(count: int) -> str:
    return f"{count} link{'s' if count != 1 else ''}"


def _feedback(message: str, category: str, run=None, refresh: bool = False):
    """The batch answer: a message (and progress) for HTMX, or back to the list for a plain form."""
    if not request.headers.get("HX-Request"):
        flash(message, category)
        return redirect(same_site_referrer() or url_for("links.index"))
    headers = {"HX-Trigger": "links-changed"} if refresh else {}
    # HTMX swaps only 2xx answers, and a refused batch is shown where the merchant is looking.
    return render_template("partials/batch_feedback.html", message=message, category=category, run=run), 200, headers


def _field_label(name: str) -> str:
    return name.replace("_", " ").capitalize()


# ---- one link ------------------------------------------------------------------------------------------
def _detail_context(link: ProductLink, errors: dict | None = None, values: dict | None = None) -> dict:
    tiktok = db.session.get(Integration, link.tiktok_integration_id)
    locations = db.session.execute(scoped(Location).where(Location.integration_id == link.shopify_integration_id)
                                   .order_by(Location.name)).scalars().all()
    history = db.session.execute(scoped(SyncLog).where(SyncLog.link_id == link.id)
                                 .order_by(SyncLog.id.desc()).limit(20)).scalars().all()
    current = {name: getattr(link, name) for name in SETTING_NAMES}
    effective = LinkSettings.effective(link, tiktok.defaults if tiktok else {})
    return {"link": link, "row": link_listing.one(link.tenant_id, link.id), "tiktok": tiktok,
            "locations": locations, "history": history, "values": values if values is not None else current,
            "errors": errors or {}, "effective": effective, "warehouses": _warehouse_stock(link),
            "sells_without_stock": link.variant is not None and link.variant.sells_without_stock}


def _warehouse_stock(link: ProductLink) -> list[dict]:
    """The SKU's stock per TikTok warehouse as last known, and what the rules would put there now."""
    if link.tiktok_sku is None:
        return []
    plan = plan_links(link.tenant_id, [link.id], reference="either")
    planned = next((c.inventory for c in plan.changes if c.link_id == link.id and c.changes_quantity), {})
    known = {w.tiktok_id: w for w in db.session.execute(scoped(TikTokWarehouse).where(
        TikTokWarehouse.integration_id == link.tiktok_integration_id)).scalars()}
    rows = []
    for warehouse_id, quantity in sorted((link.tiktok_sku.inventory or {}).items()):
        warehouse = known.get(warehouse_id)
        written = warehouse_id in planned or (warehouse is not None and is_seller_warehouse(
            warehouse.type, warehouse.sub_type, warehouse.enabled))
        rows.append({"id": warehouse_id, "name": warehouse.name if warehouse else f"Warehouse {warehouse_id}",
                     "is_default": bool(warehouse and warehouse.is_default), "on_tiktok": int(quantity),
                     "next": planned.get(warehouse_id), "written": written})
    return rows


@bp.get("/<int:link_id>")
@login_required
def detail(link_id: int):
    link = get_or_404(ProductLink, link_id)
    return render_template("links/detail.html", **_detail_context(link))


@bp.post("/<int:link_id>/settings")
@login_required
def save_settings(link_id: int):
    link = get_or_404(ProductLink, link_id)
    data = settings_input()
    try:
        link_actions.change_settings(link.tenant_id, [link.id], data)
    except SettingsError as error:
        db.session.rollback()
        context = _detail_context(link, errors=error.errors, values=typed_values(data))
        template = "partials/link_settings_form.html" if request.headers.get("HX-Request") else "links/detail.html"
        return render_template(template, **context), 200 if request.headers.get("HX-Request") else 422
    db.session.refresh(link)
    context = _detail_context(link)
    if request.headers.get("HX-Request"):
        return render_template("partials/link_settings_form.html", saved=True, **context)
    flash("Settings saved; the link is pushed with the new rules.", "success")
    return redirect(url_for("links.detail", link_id=link.id))


@bp.post("/<int:link_id>/dry-run")
@login_required
def dry_run(link_id: int):
    """What a sync would change, with the settings form's values as they stand (saved or not)."""
    link = get_or_404(ProductLink, link_id)
    overrides, errors = None, {}
    if any(name in request.form for name in SETTING_NAMES):
        try:
            overrides = {link.id: clean_settings(settings_input(), partial=True)}
        except SettingsError as error:
            errors = error.errors
    plan = plan_links(link.tenant_id, [link.id], reference="either", overrides=overrides) if not errors else None
    db.session.rollback()
    return render_template("partials/dry_run.html", link=link, plan=plan, changes=plan.changes if plan else [],
                           errors=errors, unsaved=overrides is not None)


@bp.post("/<int:link_id>/confirm-price")
@login_required
def confirm_price(link_id: int):
    link = get_or_404(ProductLink, link_id)
    confirmed = link_actions.confirm_price(link.tenant_id, link.id)
    flash("Price confirmed: it is on its way to TikTok." if confirmed
          else "No price is waiting for confirmation on this link any more.", "success" if confirmed else "error")
    return redirect(url_for("links.detail", link_id=link.id))


@bp.post("/<int:link_id>/relink")
@login_required
def relink(link_id: int):
    link = get_or_404(ProductLink, link_id)
    variant_id = named("variant_id", optional_row_id, request.form.get("variant_id"))
    sku_id = named("tiktok_sku_id", optional_row_id, request.form.get("tiktok_sku_id"))
    try:
        link_actions.relink(link.tenant_id, link.id, variant_id=variant_id, tiktok_sku_id=sku_id)
    except link_actions.LinkError as error:
        flash(f"Not relinked: {error}.", "error")
    else:
        flash("Relinked: the link keeps its rules and history and syncs again.", "success")
    return redirect(url_for("links.detail", link_id=link.id))


@bp.get("/<int:link_id>/state")
@login_required
def state(link_id: int):
    row = link_listing.one(current_tenant_id(), link_id)
    if row is None:
        abort(404)
    template = "partials/link_status.html" if request.args.get("view") == "card" else "partials/link_state.html"
    return render_template(template, link=row)


@bp.get("/<int:link_id>/history")
@login_required
def history(link_id: int):
    link = get_or_404(ProductLink, link_id)
    logs = db.session.execute(scoped(SyncLog).where(SyncLog.link_id == link.id)
                              .order_by(SyncLog.id.desc()).limit(20)).scalars().all()
    return render_template("partials/link_history.html", link=link, history=logs)

