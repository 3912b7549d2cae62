"""The merchant's connected stores: status, connect, reconnect, disconnect, import."""
from __future__ import annotations

from flask import Blueprint, render_template
from flask_login import current_user, login_required
from sqlalchemy import func, select

from ..extensions import db
from ..models import Integration, SyncRun
from ..models.integration import NEEDS_REAUTH
from ..tenancy import current_tenant_id, scoped

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


@bp.app_context_processor
def reconnect_banner():
    """Integrations the merchant must reconnect, for the banner on every page (queried only when shown)."""

    def integrations_needing_reauth() -> list[Integration]:
        if not current_user.is_authenticated:
            return []
        return db.session.execute(scoped(Integration).where(Integration.status == NEEDS_REAUTH)
                                  .order_by(Integration.id)).scalars().all()

    return {"integrations_needing_reauth": integrations_needing_reauth}
