"""The merchant's home: integrations and their health, links by state, last and next sync, recent failures."""
from __future__ import annotations

from flask import Blueprint, render_template
from flask_login import login_required
from sqlalchemy import func

from ..extensions import db
from ..models import Integration, Product, ProductLink, SyncLog
from ..notify import alerts
from ..sync import log_listing
from ..sync.intake import failures as delivery_failures
from ..sync.links import listing as link_listing
from ..sync.orders import listing as order_listing
from ..tenancy import current_tenant, current_tenant_id, scoped

bp = Blueprint("dashboard", __name__)

RECENT_FAILURES = 8


@bp.get("/")
@login_required
def index():
    tenant_id = current_tenant_id()
    integrations = db.session.execute(scoped(Integration).order_by(Integration.platform, Integration.id)).scalars().all()
    last_sync, next_sync = db.session.execute(
        scoped(ProductLink).with_only_columns(func.max(ProductLink.last_synced_at), func.min(ProductLink.next_sync_at))
        .where(ProductLink.paused.is_(False))).one()
    failures = db.session.execute(
        scoped(SyncLog).with_only_columns(SyncLog, Product.title).outerjoin(Product, Product.id == SyncLog.product_id)
        .where(SyncLog.result == "error").order_by(SyncLog.id.desc()).limit(RECENT_FAILURES)).all()
    return render_template("dashboard/index.html", tenant=current_tenant, integrations=integrations,
                           link_counts=link_listing.state_counts(tenant_id), last_sync=last_sync, next_sync=next_sync,
                           failures=failures, runs=log_listing.recent_runs(tenant_id, limit=3),
                           failed_deliveries=delivery_failures.failed_deliveries(tenant_id),
                           unsent_alerts=alerts.unsent(tenant_id),
                           order_counts=order_listing.counts(tenant_id))
