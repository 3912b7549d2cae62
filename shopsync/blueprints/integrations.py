"""The merchant's connected stores: status, connect, reconnect, disconnect, import."""
from __future__ import annotations

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_login import current_user, login_required
from sqlalchemy import func, select

from ..extensions import db
from ..models import Integration, Location, SyncRun
from ..models.integration import NEEDS_REAUTH, TIKTOK
from ..sync.pushes.rules import LinkSettings, SettingsError, clean_settings
from ..sync.pushes.shop_defaults import change_defaults
from ..sync.pushes.warehouse_mapping import MappingError, choices_from_form, confirm_mapping, mapping_of, unconfirmed_shops
from ..tenancy import current_tenant_id, get_or_404, scoped
from .settings_form import settings_input, typed_values

bp = Blueprint("integrations", __name__)


@bp.get("/integrations")
@login_required
def index():
    integrations = db.session.execute(
        scoped(Integration).order_by(Integration.platform, Integration.name, Integration.id)).scalars().all()
    latest = (select(func.max(SyncRun.id)).where(SyncRun.tenant_id == current_tenant_id(), SyncRun.kind == "import")
              .group_by(SyncRun.integration_id))
    imports = {run.integration_id: run for run in db.session.execute(
        scoped(SyncRun).where(SyncRun.id.in_(latest))).scalars()}
    return render_template("integrations/index.html", integrations=integrations, imports=imports)


@bp.route("/integrations/<int:integration_id>/defaults", methods=["GET", "POST"])
@login_required
def defaults(integration_id: int):
    """Default link settings of one TikTok shop; empty fields mean the built-in default."""
    integration = _tiktok_shop(integration_id)
    values, errors = clean_settings(integration.defaults or {}), {}
    if request.method == "POST":
        data = settings_input()
        try:
            change_defaults(integration, data)
        except SettingsError as error:
            values, errors = typed_values(data), error.errors
        else:
            flash(f"Defaults of {integration.name} saved; links that use them are pushed with the new rules.",
                  "success")
            return redirect(url_for("integrations.defaults", integration_id=integration.id))
    return render_template("integrations/defaults.html", integration=integration, values=values, errors=errors,
                           effective=LinkSettings(), locations=_locations()), 422 if errors else 200


def _tiktok_shop(integration_id: int) -> Integration:
    integration = get_or_404(Integration, integration_id)
    if integration.platform != TIKTOK:
        abort(404)
    return integration


def _locations() -> list[Location]:
    return db.session.execute(scoped(Location).order_by(Location.name, Location.id)).scalars().all()


@bp.route("/integrations/<int:integration_id>/warehouses", methods=["GET", "POST"])
@login_required
def warehouses(integration_id: int):
    """Which Shopify locations feed each seller warehouse of one TikTok shop; saving confirms the mapping."""
    integration = _tiktok_shop(integration_id)
    choices, errors = mapping_of(integration), {}
    if request.method == "POST":
        try:
            choices = choices_from_form(integration, request.form)
        except MappingError as error:
            errors = error.errors
        else:
            if request.form.get("action") != "preview":
                confirm_mapping(integration, choices)
                flash(f"Warehouse mapping of {integration.name} confirmed; every warehouse is updated from it now.",
                      "success")
                return redirect(url_for("integrations.warehouses", integration_id=integration.id))
    locations = _locations()
    context = {"integration": integration, "choices": choices, "errors": errors, "locations": locations,
               "location_names": {location.shopify_id: location.name for location in locations}}
    if request.headers.get("HX-Request") and request.method == "POST":
        return render_template("partials/warehouse_summary.html", **context)
    return render_template("integrations/warehouses.html", **context), 422 if errors else 200


@bp.app_context_processor
def reconnect_banner():
    """Integrations the merchant must reconnect, for the banner on every page (queried only when shown)."""

    def integrations_needing_reauth() -> list[Integration]:
        if not current_user.is_authenticated:
            return []
        return db.session.execute(scoped(Integration).where(Integration.status == NEEDS_REAUTH)
                                  .order_by(Integration.id)).scalars().all()

    def shops_with_unconfirmed_warehouses() -> list[Integration]:
        return unconfirmed_shops(current_tenant_id()) if current_user.is_authenticated else []

    return {"integrations_needing_reauth": integrations_needing_reauth,
            "shops_with_unconfirmed_warehouses": shops_with_unconfirmed_warehouses}
