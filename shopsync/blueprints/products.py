"""The merchant's Shopify catalog as ShopSync imported it, and "Import now"."""
from __future__ import annotations

from flask import Blueprint, abort, render_template, request
from flask_login import login_required

from ..jobs.imports import start_import
from ..models import SyncRun
from ..sync.catalog.product_listing import STATUSES, import_status, list_products
from ..tenancy import current_tenant_id, get_or_404

bp = Blueprint("products", __name__)


@bp.get("/products")
@login_required
def index():
    search = request.args.get("q", "")[:200]
    status = request.args.get("status", "")
    page = list_products(current_tenant_id(), search=search, status=status, cursor=request.args.get("after"))
    return render_template("products/index.html", page=page, search=search, status=status, statuses=STATUSES,
                           importing=import_status(current_tenant_id()))


@bp.post("/products/import")
@login_required
def import_now():
    integration = import_status(current_tenant_id()).integration
    if integration is None or not integration.is_active:
        abort(409, "Your Shopify store is not connected. Reconnect it, then import again.")
    run = start_import(integration, "manual")
    return render_template("partials/sync_run_progress.html", run=run)


@bp.get("/sync-runs/<int:run_id>/progress")
@login_required
def run_progress(run_id: int):
    return render_template("partials/sync_run_progress.html", run=get_or_404(SyncRun, run_id))
