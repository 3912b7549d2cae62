"""The merchant's home: the setup checklist, stores and their health, links by state, what is failing now."""
from __future__ import annotations

from flask import Blueprint, render_template
from flask_login import login_required
from sqlalchemy import func

from ..extensions import db
from ..models import Integration, ProductLink
from ..notify import alerts
from ..sync import log_listing, onboarding
from ..sync.intake import failures as delivery_failures
from ..sync.links import listing as link_listing
from ..sync.links import states
from ..sync.orders import listing as order_listing
from ..tenancy import current_tenant, current_tenant_id, scoped
from .links import presented
from .live import Fragment, section

bp = Blueprint("dashboard", __name__)

FAILING_SHOWN = 8


def _live_context(tenant_id: int) -> dict:
    last_sync, next_sync = db.session.execute(
        scoped(ProductLink).with_only_columns(func.max(ProductLink.last_synced_at), func.min(ProductLink.next_sync_at))
        .where(ProductLink.paused.is_(False))).one()
    failing, failing_total = link_listing.failing_now(tenant_id, FAILING_SHOWN)
    counts = link_listing.state_counts(tenant_id)
    return {"integrations": db.session.execute(scoped(Integration).order_by(Integration.platform, Integration.id))
            .scalars().all(),
            "checklist": onboarding.checklist(tenant_id), "link_counts": counts,
            "counted": [s for s in link_listing.STATES if counts[s] or s in states.ALWAYS_COUNTED],
            "last_sync": last_sync, "next_sync": next_sync, "failing": failing, "failing_total": failing_total,
            "failing_shown": presented(failing), "runs": log_listing.recent_runs(tenant_id, limit=3),
            "needs_rate": onboarding.shops_needing_a_rate(tenant_id),
            "failed_deliveries": delivery_failures.failed_deliveries(tenant_id), "unsent_alerts": alerts.unsent(tenant_id),
            "order_counts": order_listing.counts(tenant_id)}


@bp.get("/")
@login_required
def index():
    return render_template("dashboard/index.html", tenant=current_tenant, **_live_context(current_tenant_id()))


@section("dashboard")
def live_dashboard(argument: str) -> Fragment:
    context = _live_context(current_tenant_id())
    settling = (context["link_counts"]["pending"] > 0 or context["link_counts"]["retrying"] > 0
                or any(not run.is_finished for run in context["runs"]))
    return Fragment(render_template("dashboard/_live.html", oob=True, **context), settling=settling)
