"""The merchant's Shopify catalog as ShopSync imported it, "Import now", and runs' live progress."""
from __future__ import annotations

from flask import Blueprint, abort, render_template, request
from flask_login import login_required

from ..extensions import db
from ..jobs.imports import start_import
from ..models import SyncRun
from ..sync import onboarding
from ..sync.catalog.product_listing import STATUSES, import_status, list_products
from ..tenancy import current_tenant_id, scoped
from .live import PIECE, Fragment, ids as live_ids, section

bp = Blueprint("products", __name__)

RUN_LABELS = {"queued": "Waiting", "running": "Running", "succeeded": "Done", "failed": "Failed",
              "partial": "Done, with failures"}


@bp.app_context_processor
def run_labels():
    return {"run_labels": RUN_LABELS}


@bp.get("/products")
@login_required
def index():
    search = request.args.get("q", "")[:200]
    status = request.args.get("status", "")
    page = list_products(current_tenant_id(), search=search, status=status, cursor=request.args.get("after"))
    return render_template("products/index.html", page=page, search=search, status=status, statuses=STATUSES,
                           importing=import_status(current_tenant_id()),
                           store_currency=onboarding.store_currency(current_tenant_id()))


@bp.post("/products/import")
@login_required
def import_now():
    integration = import_status(current_tenant_id()).integration
    if integration is None or not integration.is_active:
        abort(409, "Your Shopify store is not connected. Reconnect it, then import again.")
    run = start_import(integration, "manual")
    return render_template("partials/sync_run_progress.html", run=run)


@section("runs")
def live_runs(argument: str) -> Fragment:
    runs = db.session.execute(scoped(SyncRun).where(SyncRun.id.in_(live_ids(argument)))).scalars().all()
    html = PIECE.join(render_template("partials/sync_run_progress.html", run=run, oob=True) for run in runs)
    return Fragment(html, settling=any(not run.is_finished for run in runs))
