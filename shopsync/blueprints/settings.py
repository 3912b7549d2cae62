"""The merchant's settings: where failure emails go, how often digests are sent, and API keys."""
from __future__ import annotations

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_login import current_user, login_required

from ..extensions import db
from ..inputs import InvalidInput, whole_number
from ..models import ApiKey
from ..notify.mail import InvalidAddress, valid_address
from ..security import api_keys
from ..tenancy import current_tenant, get_or_404, scoped

bp = Blueprint("settings", __name__, url_prefix="/settings")

DIGEST_MINUTES = (5, 10_080)  # five minutes to a week


def _page(status: int = 200, *, errors: dict | None = None, values: dict | None = None, new_key: str | None = None,
          new_key_row: ApiKey | None = None):
    tenant = current_tenant
    keys = db.session.execute(scoped(ApiKey).order_by(ApiKey.revoked_at.is_not(None), ApiKey.id.desc())).scalars()
    shown = values or {"alert_email": tenant.alert_email or "", "digest_minutes": str(tenant.digest_minutes)}
    return render_template("settings/index.html", values=shown, errors=errors or {}, keys=list(keys),
                           new_key=new_key, new_key_row=new_key_row, digest_range=DIGEST_MINUTES), status


@bp.get("")
@login_required
def index():
    return _page()


@bp.post("")
@login_required
def save_alerts():
    values = {"alert_email": request.form.get("alert_email", "").strip(),
              "digest_minutes": request.form.get("digest_minutes", "").strip()}
    errors = {}
    alert_email = None
    if values["alert_email"]:
        try:
            alert_email = valid_address(values["alert_email"])
        except InvalidAddress as error:
            errors["alert_email"] = (f"Enter an email address like you@example.com, or leave it empty for no emails "
                                     f"({error})")
    low, high = DIGEST_MINUTES
    try:
        digest_minutes = whole_number(values["digest_minutes"], low=low, high=high)
    except InvalidInput:
        errors["digest_minutes"] = f"Enter a whole number of minutes from {low} to {high}."
    if errors:
        return _page(422, errors=errors, values=values)
    tenant = current_tenant
    tenant.alert_email = alert_email
    tenant.digest_minutes = digest_minutes
    db.session.commit()
    flash("Alert settings saved.", "success")
    return redirect(url_for("settings.index"))


@bp.post("/api-keys")
@login_required
def create_api_key():
    name = request.form.get("name", "").strip()
    if not name or len(name) > api_keys.NAME_MAX:
        return _page(422, errors={"name": f"Give the key a name of 1 to {api_keys.NAME_MAX} characters, "
                                          "such as the tool that will use it."})
    row, key = api_keys.create_key(current_tenant.id, name, created_by_id=current_user.id)
    # Rendered, not redirected: the key must never pass through the session or a URL.
    response, status = _page(201, new_key=key, new_key_row=row)
    return response, status, {"Cache-Control": "no-store"}


@bp.post("/api-keys/<int:key_id>/revoke")
@login_required
def revoke_api_key(key_id: int):
    row = get_or_404(ApiKey, key_id)
    api_keys.revoke(row)
    flash(f"Revoked API key {row.name} ({row.prefix}…). Calls with it are refused from now on.", "success")
    return redirect(url_for("settings.index"))
