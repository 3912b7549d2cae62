"""Product links: the list with filters and batch actions, and each link's own page."""
from __future__ import annotations

from flask import Blueprint, flash, redirect, render_template, request, session, url_for
from flask_login import login_required

from ..extensions import db
from ..inputs import named, optional_row_id, row_ids
from ..jobs.pushes import next_push_at
from ..models import Integration, Location, ProductLink, SyncLog, TikTokWarehouse
from ..platforms.tiktok.products import is_seller_warehouse
from ..sync.amounts import amount_text
from ..sync.error_words import explain
from ..sync.links import actions as link_actions
from ..sync.links import listing as link_listing
from ..sync.links import states
from ..sync.links.actions import LinkError
from ..sync.links.listing import PAGE_SIZES, LinkFilters
from ..sync.pushes.planner import plan_links
from ..sync.pushes.rules import (ROUNDINGS, SCHEDULES, SETTING_NAMES, UNTRACKED_STOCK, LinkSettings, SettingsError,
                                 clean_settings)
from ..tenancy import current_tenant_id, scoped
from . import stash
from .live import Fragment, ids as live_ids, section
from .paging import before_arg
from .safety import same_site_referrer
from .settings_form import settings_input, typed_values

bp = Blueprint("links", __name__, url_prefix="/product-links")

SCHEDULE_LABELS = {"off": "Off (changes and Sync now only)", "hourly": "Every hour", "6h": "Every 6 hours",
                   "daily": "Every day"}
MAX_BATCH = 20_000  # "every matching link" covers a whole catalog, in one statement per action
BATCH_ACTIONS = {"sync", "pause", "resume", "unlink", "settings"}
CONFIRM_ABOVE = 20  # batch actions on more links than this ask first; unlink always asks
TYPED_ABOVE = 100  # ... and above this the merchant types the number of links
UNDO_SECONDS = 600
UNDO_MAX = 5_000
ACTION_VERBS = {"sync": "Sync now", "pause": "Pause", "resume": "Resume", "unlink": "Unlink",
                "settings": "Change the settings of"}


@bp.app_context_processor
def link_labels():
    return {"state_labels": states.FILTER_LABELS, "roundings": ROUNDINGS, "schedules": list(SCHEDULES),
            "schedule_labels": SCHEDULE_LABELS, "untracked_choices": UNTRACKED_STOCK}


@bp.app_template_filter("money")
def money(value, currency: str | None = None) -> str:
    return amount_text(value, currency)


@bp.app_template_filter("explain")
def explain_error(message: str | None, error_class: str | None = None):
    return explain(message, error_class)


@bp.app_template_filter("plural")
def plural(count: int, singular: str, many: str | None = None) -> str:
    """"1 new link", "2 new links"."""
    return f"{count} {singular if count == 1 else (many or singular + 's')}"


def tiktok_integrations() -> list[Integration]:
    return db.session.execute(scoped(Integration).where(Integration.platform == "tiktok")
                              .order_by(Integration.name, Integration.id)).scalars().all()


def presented(rows: list[link_listing.LinkRow]) -> dict[int, states.Shown]:
    retrying = {row.tiktok_integration_id for row in rows if row.shown == "retrying"}
    return states.present_all(rows, {integration_id: next_push_at(integration_id) for integration_id in retrying})


@bp.get("")
@login_required
def index():
    tenant_id = current_tenant_id()
    filters = LinkFilters.from_args(request.args)
    before_id = before_arg()
    links, next_before = link_listing.page(tenant_id, filters, before_id)
    return render_template("links/index.html", links=links, shown=presented(links), filters=filters, before=before_id,
                           next_before=next_before, counts=link_listing.state_counts(tenant_id),
                           total_matching=link_listing.count(tenant_id, filters), page_sizes=PAGE_SIZES,
                           tiktok_integrations=tiktok_integrations(), undo=_undo_offer())


@section("links")
def live_rows(argument: str) -> Fragment:
    rows = link_listing.some(current_tenant_id(), live_ids(argument))
    return Fragment(render_template("partials/link_rows_live.html", links=rows, shown=presented(rows)),
                    settling=any(row.is_settling for row in rows))


# ---- batch actions ---------------------------------------------------------------------------------------
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
        ids = link_actions.owned_ids(tenant_id, named("link_ids", row_ids, request.form.getlist("link_ids")))
    if not ids:
        return _feedback("Select at least one link first.", "error")
    if _needs_confirmation(action, len(ids)) and not _confirmed(len(ids)):
        return _ask_to_confirm(action, len(ids))

    if action == "sync":
        run = link_actions.sync_now(tenant_id, ids, "manual" if len(ids) == 1 else "batch")
        return _feedback(f"Syncing {plural(run.total, 'link')}.", "success", run=run)
    if action == "settings":
        try:
            count = link_actions.change_settings(tenant_id, ids, settings_input(), only_given=True)
        except SettingsError as error:
            return _feedback("Nothing was changed: " + "; ".join(
                f"{_field_label(name)} {message}" for name, message in error.errors.items()), "error")
        return _feedback(f"Settings changed on {plural(count, 'link')}; they will be pushed with the new rules.",
                         "success", refresh=True)
    if action == "unlink":
        kept = link_actions.unlink_keeping(tenant_id, ids)
        _offer_undo("unlink", kept if len(kept) <= UNDO_MAX else None, len(kept))
        message = f"Unlinked {plural(len(kept), 'link')}. TikTok keeps the values last sent."
    elif action == "pause":
        count = link_actions.pause(tenant_id, ids)
        _offer_undo("pause", ids, count)
        message = f"Paused {plural(count, 'link')}."
    else:
        count = link_actions.resume(tenant_id, ids)
        message = f"Resumed {plural(count, 'link')}; changes are on their way to TikTok."
    if action == "unlink" and not request.headers.get("HX-Request"):
        flash(message, "success")
        return redirect(url_for("links.index"))
    return _feedback(message, "success", refresh=True)


def _needs_confirmation(action: str, count: int) -> bool:
    return action == "unlink" or count > CONFIRM_ABOVE


def _confirmed(count: int) -> bool:
    """The merchant confirmed this many links: typed the number above TYPED_ABOVE, pressed the button below."""
    field = "typed_count" if count > TYPED_ABOVE else "confirmed_count"
    return request.form.get(field, "").strip() == str(count)


def _ask_to_confirm(action: str, count: int):
    typed = request.form.get("typed_count")
    context = {"action": action, "verb": ACTION_VERBS[action], "count": count, "typed": count > TYPED_ABOVE,
               "htmx": bool(request.headers.get("HX-Request")),
               "mistyped": typed is not None and typed.strip() != str(count),
               "carried": [(name, value) for name, values in request.form.lists()
                           if name not in ("csrf_token", "confirmed_count", "typed_count") for value in values]}
    if request.headers.get("HX-Request"):
        return render_template("partials/confirm_batch.html", **context)
    return render_template("links/confirm.html", **context)


def _offer_undo(action: str, payload, count: int) -> None:
    if payload is None or not count:
        session.pop("links_undo", None)
        return
    token = stash.put("undo", {"action": action, "payload": payload}, seconds=UNDO_SECONDS)
    session["links_undo"] = {"token": token, "action": action, "count": count}


def _undo_offer() -> dict | None:
    offer = session.get("links_undo")
    if offer and stash.get("undo", offer["token"]) is None:
        session.pop("links_undo", None)
        return None
    return offer


@bp.post("/undo")
@login_required
def undo():
    offer = session.pop("links_undo", None)
    kept = stash.take("undo", request.form.get("token", ""))
    if offer is None or kept is None or offer["token"] != request.form.get("token"):
        return _feedback("There is nothing to undo any more.", "info")
    tenant_id = current_tenant_id()
    try:
        if kept["action"] == "unlink":
            count = link_actions.restore_links(tenant_id, kept["payload"])
            message = f"Linked {plural(count, 'link')} again, with their settings."
        else:
            count = link_actions.resume(tenant_id, kept["payload"])
            message = f"Resumed {plural(count, 'link')}."
    except LinkError as error:
        return _feedback(f"Could not undo: {error}.", "error")
    return _feedback(message, "success", refresh=True)


def _feedback(message: str, category: str, run=None, refresh: bool = False):
    """The batch answer: a message (and progress) for HTMX, or back to the list for a plain form."""
    if not request.headers.get("HX-Request"):
        flash(message, category)
        return redirect(same_site_referrer() or url_for("links.index"))
    headers = {"HX-Trigger": "links-changed"} if refresh else {}
    # HTMX swaps only 2xx answers, and a refused batch is shown where the merchant is looking.
    return render_template("partials/batch_feedback.html", message=message, category=category, run=run,
                           undo=_undo_offer() if refresh else None), 200, headers


def _field_label(name: str) -> str:
    return name.replace("_", " ").capitalize()


# ---- one link ------------------------------------------------------------------------------------------
def _detail_context(link: ProductLink, errors: dict | None = None, values: dict | None = None) -> dict:
    tiktok = db.session.get(Integration, link.tiktok_integration_id)
    locations = db.session.execute(scoped(Location).where(Location.integration_id == link.shopify_integration_id)
                                   .order_by(Location.name)).scalars().all()
    current = {name: getattr(link, name) for name in SETTING_NAMES}
    row = link_listing.one(link.tenant_id, link.id)
    return {"link": link, "row": row, "shown": presented([row])[row.id], "tiktok": tiktok, "locations": locations,
            "history": _history(link.id), "values": values if values is not None else current,
            "errors": errors or {}, "effective": LinkSettings.effective(link, tiktok.defaults if tiktok else {}),
            "warehouses": _warehouse_stock(link),
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


def _history(link_id: int) -> list[SyncLog]:
    return db.session.execute(scoped(SyncLog).where(SyncLog.link_id == link_id)
                              .order_by(SyncLog.id.desc()).limit(20)).scalars().all()


def _link_or_gone(link_id: int) -> ProductLink:
    """The tenant's link, or the page saying it no longer exists (also for another tenant's id: nothing leaks)."""
    link = db.session.execute(scoped(ProductLink).where(ProductLink.id == link_id)).scalar_one_or_none()
    if link is None:
        raise LinkGone()
    return link


class LinkGone(Exception):
    """A link page asked for a link that was unlinked (or never was this tenant's)."""


@bp.errorhandler(LinkGone)
def link_gone(error):
    return render_template("links/gone.html"), 404


@bp.get("/<int:link_id>")
@login_required
def detail(link_id: int):
    link = _link_or_gone(link_id)
    return render_template("links/detail.html", **_detail_context(link))


@section("link")
def live_link(argument: str) -> Fragment:
    [link_id] = live_ids(argument, limit=1) or [0]
    row = link_listing.one(current_tenant_id(), link_id)
    if row is None:
        return Fragment(render_template("partials/link_status_gone.html", link_id=link_id))
    link = db.session.get(ProductLink, row.id)
    return Fragment(render_template("partials/link_live.html", link=row, shown=presented([row])[row.id],
                                    history=_history(link_id), warehouses=_warehouse_stock(link),
                                    tiktok=db.session.get(Integration, link.tiktok_integration_id), oob=True),
                    settling=row.is_settling)


@bp.post("/<int:link_id>/settings")
@login_required
def save_settings(link_id: int):
    link = _link_or_gone(link_id)
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
    link = _link_or_gone(link_id)
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
    link = _link_or_gone(link_id)
    confirmed = link_actions.confirm_price(link.tenant_id, link.id)
    flash("Price confirmed: it is on its way to TikTok." if confirmed
          else "No price is waiting for confirmation on this link any more.", "success" if confirmed else "error")
    return redirect(url_for("links.detail", link_id=link.id))


@bp.post("/<int:link_id>/relink")
@login_required
def relink(link_id: int):
    link = _link_or_gone(link_id)
    variant_id = named("variant_id", optional_row_id, request.form.get("variant_id"))
    sku_id = named("tiktok_sku_id", optional_row_id, request.form.get("tiktok_sku_id"))
    try:
        link_actions.relink(link.tenant_id, link.id, variant_id=variant_id, tiktok_sku_id=sku_id)
    except link_actions.LinkError as error:
        flash(f"Not relinked: {error}.", "error")
    else:
        flash("Relinked: the link keeps its rules and history and syncs again.", "success")
    return redirect(url_for("links.detail", link_id=link.id))


