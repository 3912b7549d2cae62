"""Orders: TikTok Shop sales on their way into Shopify, each TikTok shop's order settings, approving scopes."""
from __future__ import annotations

import re
from datetime import datetime, timezone

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_login import current_user, login_required
from sqlalchemy import select

from ..extensions import db
from ..inputs import has_nul
from ..jobs.orders import queue_order, queue_order_import
from ..models import CarrierMapping, Integration, Location, Order, Shipment, SyncRun, utcnow
from ..models.integration import ACTIVE, SHOPIFY, TIKTOK
from ..models.orders import SHIPMENT_PENDING
from ..sync.orders import listing
from ..sync.orders.carriers import normalise
from ..sync.orders.permissions import APPROVE_PATH, missing_order_scopes
from ..sync.orders.settings import CREATE_MODES, RETURN_POLICIES, OrderSettings, clean_order_settings
from ..sync.pushes.rules import SettingsError
from ..tenancy import current_tenant_id, get_or_404, scoped
from .auth import ask_for_more_permissions
from .live import PIECE, Fragment, ids as live_ids, section
from .paging import before_arg

bp = Blueprint("orders", __name__)


@bp.get("/orders")
@login_required
def index():
    tenant_id = current_tenant_id()
    filters = listing.OrderFilters.from_args(request.args)
    before_id = before_arg()
    rows, next_before = listing.page(tenant_id, filters, before_id)
    return render_template("orders/index.html", rows=rows, filters=filters, before=before_id,
                           next_before=next_before, newest_page=not before_id and not filters.as_args(),
                           views=listing.VIEWS, shops=listing.shops(tenant_id), labels=listing.STATE_LABELS)


@section("orders")
def live_rows(argument: str) -> Fragment:
    rows = listing.some(current_tenant_id(), live_ids(argument))
    return Fragment(render_template("partials/order_rows_live.html", rows=rows, labels=listing.STATE_LABELS),
                    settling=any(order.is_settling for order in rows))


@section("new_orders")
def live_arrivals(argument: str) -> Fragment:
    """Orders received since the newest page was rendered (the unfiltered first page only watches this)."""
    [shown_up_to] = live_ids(argument, limit=1) or [0]
    rows = listing.newer(current_tenant_id(), shown_up_to)
    if not rows:
        return Fragment("")
    return Fragment(render_template("partials/new_orders_live.html", rows=rows, shown_up_to=shown_up_to,
                                    labels=listing.STATE_LABELS), settling=any(order.is_settling for order in rows))


@bp.get("/orders/<int:order_id>")
@login_required
def detail(order_id: int):
    order = get_or_404(Order, order_id)
    return render_template("orders/detail.html", shop=db.session.get(Integration, order.tiktok_integration_id),
                           **_status_context(order))


@section("order")
def live_order(argument: str) -> Fragment:
    [order_id] = live_ids(argument, limit=1) or [0]
    order = get_or_404(Order, order_id)
    context = _status_context(order)
    html = PIECE.join(render_template(template, oob=True, **context)
                      for template in ("partials/order_status.html", "partials/order_events.html"))
    shipping = any(shipment.state == SHIPMENT_PENDING for shipment in order.shipments)
    return Fragment(html, settling=order.is_settling or shipping)


def _status_context(order: Order) -> dict:
    return {"order": order, "events": order.events, "shipments": order.shipments, "labels": listing.STATE_LABELS,
            "held": order.held_units, "admin_url": listing.shopify_admin_url(order)}


@bp.post("/orders/<int:order_id>/retry")
@login_required
def retry(order_id: int):
    order = get_or_404(Order, order_id)
    queue_order(order.id)
    flash(f"Trying TikTok order {order.tiktok_order_id} again.", "success")
    return redirect(url_for("orders.detail", order_id=order.id))


@bp.post(APPROVE_PATH)
@login_required
def approve_permissions():
    """Go through Shopify's install screen again for the first store that lacks the order permissions."""
    stores = db.session.execute(scoped(Integration).where(
        Integration.platform == SHOPIFY, Integration.status == ACTIVE).order_by(Integration.id)).scalars().all()
    store = next((store for store in stores if missing_order_scopes(store)), None)
    if store is None:
        flash("Every connected Shopify store has approved the order permissions.", "info")
        return redirect(url_for("orders.index"))
    return ask_for_more_permissions(store.external_id, url_for("orders.index"))


@bp.app_context_processor
def permissions_banner():
    """Shopify stores that still need to approve the order permissions (queried only when shown)."""

    def stores_missing_order_permissions() -> list[Integration]:
        if not current_user.is_authenticated:
            return []
        stores = db.session.execute(scoped(Integration).where(
            Integration.platform == SHOPIFY, Integration.status == ACTIVE)).scalars().all()
        return [store for store in stores if missing_order_scopes(store)]

    return {"stores_missing_order_permissions": stores_missing_order_permissions}


# ---- per TikTok shop ---------------------------------------------------------------------------------
def _shop(integration_id: int) -> Integration:
    shop = get_or_404(Integration, integration_id)
    if shop.platform != TIKTOK:
        abort(404)
    return shop


@bp.route("/integrations/<int:integration_id>/orders", methods=["GET", "POST"])
@login_required
def shop_settings(integration_id: int):
    shop = _shop(integration_id)
    errors: dict = {}
    values = OrderSettings.of(shop.order_settings).as_dict()
    if request.method == "POST":
        form = {"import_orders": request.form.get("import_orders") == "yes",
                "create_mode": request.form.get("create_mode", ""),
                "location_id": request.form.get("location_id", ""),
                "tag": request.form.get("tag", ""),
                "return_policy": request.form.get("return_policy", "")}
        try:
            clean = clean_order_settings(form)
            if clean.get("location_id") and not _own_location(clean["location_id"]):
                raise SettingsError({"location_id": "must be a Shopify location of this store"})
        except SettingsError as error:
            values, errors = {**values, **form}, error.errors
        else:
            if clean.get("import_orders") and not OrderSettings.of(shop.order_settings).import_orders:
                shop.orders_polled_through = utcnow()  # sales made while off come in by "Import orders since"
            shop.order_settings = {**(shop.order_settings or {}), **clean}
            db.session.commit()
            flash(f"Order settings of {shop.name} saved.", "success")
            return redirect(url_for("orders.shop_settings", integration_id=shop.id))
    return _render_settings(shop, values, errors), 422 if errors else 200


def _own_location(location_id: int) -> bool:
    return db.session.execute(scoped(Location).where(Location.shopify_id == location_id)).first() is not None


def _render_settings(shop: Integration, values: dict, errors: dict):
    tenant_id = current_tenant_id()
    mappings = db.session.execute(scoped(CarrierMapping).where(
        CarrierMapping.tiktok_integration_id == shop.id).order_by(CarrierMapping.shopify_carrier)).scalars().all()
    mapped = {mapping.shopify_carrier for mapping in mappings}
    carriers = sorted({carrier for carrier in db.session.execute(
        select(Shipment.carrier).join(Order, Order.id == Shipment.order_id).where(
            Shipment.tenant_id == tenant_id, Order.tiktok_integration_id == shop.id, Shipment.carrier.is_not(None))
    ).scalars() if normalise(carrier) not in mapped})
    locations = db.session.execute(scoped(Location).order_by(Location.name, Location.id)).scalars().all()
    runs = db.session.execute(scoped(SyncRun).where(SyncRun.integration_id == shop.id, SyncRun.kind == "import")
                              .order_by(SyncRun.id.desc()).limit(1)).scalars().all()
    return render_template("orders/settings.html", shop=shop, values=values, errors=errors, mappings=mappings,
                           unmapped=carriers, locations=locations, create_modes=CREATE_MODES,
                           return_policies=RETURN_POLICIES, run=runs[0] if runs else None)


@bp.post("/integrations/<int:integration_id>/carriers")
@login_required
def save_carrier(integration_id: int):
    shop = _shop(integration_id)
    carrier = normalise(request.form.get("shopify_carrier"))
    provider_id = request.form.get("tiktok_provider_id", "").strip()
    provider_name = request.form.get("tiktok_provider_name", "").strip()[:255]
    if not carrier or not re.fullmatch(r"[0-9]{1,64}", provider_id) or has_nul([provider_name]):
        flash("Give the Shopify carrier name and the TikTok shipping provider id (digits).", "error")
        return redirect(url_for("orders.shop_settings", integration_id=shop.id))
    mapping = db.session.execute(scoped(CarrierMapping).where(
        CarrierMapping.tiktok_integration_id == shop.id, CarrierMapping.shopify_carrier == carrier)).scalar_one_or_none()
    if mapping is None:
        mapping = CarrierMapping(tenant_id=shop.tenant_id, tiktok_integration_id=shop.id, shopify_carrier=carrier)
        db.session.add(mapping)
    mapping.tiktok_provider_id = provider_id
    mapping.tiktok_provider_name = provider_name or provider_id
    db.session.commit()
    flash(f"Shipments by {request.form.get('shopify_carrier')} go to TikTok as provider {mapping.tiktok_provider_name}.",
          "success")
    return redirect(url_for("orders.shop_settings", integration_id=shop.id))


@bp.post("/integrations/<int:integration_id>/carriers/<int:mapping_id>/delete")
@login_required
def delete_carrier(integration_id: int, mapping_id: int):
    shop = _shop(integration_id)
    mapping = get_or_404(CarrierMapping, mapping_id)
    if mapping.tiktok_integration_id != shop.id:
        abort(404)
    db.session.delete(mapping)
    db.session.commit()
    flash("Carrier mapping removed.", "info")
    return redirect(url_for("orders.shop_settings", integration_id=shop.id))


@bp.post("/integrations/<int:integration_id>/orders/import")
@login_required
def import_orders(integration_id: int):
    shop = _shop(integration_id)
    try:
        since = datetime.strptime(request.form.get("since", ""), "%Y-%m-%d").replace(tzinfo=timezone.utc)
    except ValueError:
        flash("Choose the day to import orders from.", "error")
        return redirect(url_for("orders.shop_settings", integration_id=shop.id))
    if since > datetime.now(timezone.utc) or (datetime.now(timezone.utc) - since).days > 90:
        flash("Choose a day within the last 90 days.", "error")
        return redirect(url_for("orders.shop_settings", integration_id=shop.id))
    if shop.status != ACTIVE:
        flash("Reconnect this TikTok shop first.", "error")
        return redirect(url_for("orders.shop_settings", integration_id=shop.id))
    queue_order_import(shop, since)
    flash(f"Importing {shop.name}'s orders since {since:%Y-%m-%d}.", "success")
    return redirect(url_for("orders.shop_settings", integration_id=shop.id))
