"""Sync logs: every operation with before and after, runs with live progress, retrying what failed."""
from __future__ import annotations

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_login import login_required

from ..models import SyncRun
from ..models.sync import TRIGGERS
from ..sync import log_listing
from ..sync.links import actions as link_actions
from ..sync.log_listing import RESULTS, LogFilters
from ..tenancy import current_tenant_id, get_or_404
from .paging import before_arg

bp = Blueprint("logs", __name__)

PERIOD_LABELS = {"1h": "Last hour", "24h": "Last 24 hours", "7d": "Last 7 days", "30d": "Last 30 days"}


@bp.get("/sync-logs")
@login_required
def index():
    tenant_id = current_tenant_id()
    filters = LogFilters.from_args(request.args)
    before_id = before_arg()
    rows, next_before = log_listing.page(tenant_id, filters, before_id)
    run = get_or_404(SyncRun, filters.run_id) if filters.run_id else None
    return render_template("logs/index.html", rows=rows, filters=filters, before=before_id,
                           next_before=next_before, run=run, runs=log_listing.recent_runs(tenant_id),
                           results=RESULTS, triggers=TRIGGERS, periods=PERIOD_LABELS)


@bp.post("/sync-logs/retry")
@login_required
def retry_failed():
    """Push again every link that failed among the logs shown (the filters come with the form)."""
    tenant_id = current_tenant_id()
    filters = LogFilters.from_args(request.form)
    link_ids = log_listing.failed_link_ids(tenant_id, filters)
    run = link_actions.sync_now(tenant_id, link_ids, "manual" if len(link_ids) == 1 else "batch")
    if run is None:
        message, category = "Nothing to retry: no failed operations among these logs.", "info"
    else:
        message, category = f"Retrying {run.total} link{'s' if run.total != 1 else ''}.", "success"
    if request.headers.get("HX-Request"):
        return render_template("partials/batch_feedback.html", message=message, category=category, run=run)
    flash(message, category)
    return redirect(url_for("logs.index", **filters.as_args()))


@bp.get("/sync-runs/<int:run_id>")
@login_required
def run_detail(run_id: int):
    get_or_404(SyncRun, run_id)
    return redirect(url_for("logs.index", run=run_id))

