"""The current tenant, and the only way blueprints query merchant data.

The tenant comes from the logged-in user (or the API key of an API request),
never from a URL or form field. Looking up another tenant's id is a 404, the
same answer as an id that does not exist, so nothing leaks.
"""
from __future__ import annotations

from flask import abort, g
from flask_login import current_user
from sqlalchemy import select
from werkzeug.local import LocalProxy

from .extensions import db
from .inputs import InvalidInput, row_id
from .models import Tenant


def current_tenant_id() -> int:
    tenant_id = g.get("tenant_id")
    if tenant_id is None and current_user.is_authenticated:
        tenant_id = current_user.tenant_id
    if tenant_id is None:
        abort(401)
    return tenant_id


def _load_current_tenant() -> Tenant:
    tenant = g.get("tenant")
    if tenant is None:
        tenant = g.tenant = db.session.get(Tenant, current_tenant_id())
        if tenant is None:
            abort(401)
    return tenant


current_tenant: Tenant = LocalProxy(_load_current_tenant)  # type: ignore[assignment]


def scoped(model):
    """SELECT model rows of the current tenant only."""
    return select(model).where(model.tenant_id == current_tenant_id())


def get_or_404(model, object_id):
    """One row of the current tenant by primary key, or 404 (also for other tenants' rows)."""
    try:
        key = row_id(object_id)
    except InvalidInput:
        abort(404)
    row = db.session.execute(scoped(model).where(model.id == key)).scalar_one_or_none()
    if row is None:
        abort(404)
    return row
