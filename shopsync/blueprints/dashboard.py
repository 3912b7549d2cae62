"""The merchant's home: integrations, link health, recent failures."""
from __future__ import annotations

from flask import Blueprint, render_template
from flask_login import login_required
from sqlalchemy import func

from ..extensions import db
from ..models import Integration, ProductLink
from ..tenancy import current_tenant, scoped

bp = Blueprint("dashboard", __name__)


@bp.get("/")
@login_required
def index():
    integrations = db.session.execute(scoped(Integration).order_by(Integration.platform, Integration.id)).scalars().all()
    counts = dict(db.session.execute(
        scoped(ProductLink).with_only_columns(ProductLink.state, func.count()).group_by(ProductLink.state)).all())
    return render_template("dashboard/index.html", tenant=current_tenant, integrations=integrations,
                           link_counts=counts)
