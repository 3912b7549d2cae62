"""The merchant's settings: where failure emails go, how often digests are sent, and API keys."""
from __future__ import annotations

import re

from flask import Blueprint, flash, redirect, render_template, request, session, url_for
from flask_login import current_user, login_required

from ..extensions import db
from ..models import ApiKey
from ..security import api_keys
from ..tenancy import current_tenant, get_or_404, scoped
from . import stash

bp = Blueprint("settings", __name__, url_prefix="/settings")

DIGEST_MINUTES = (5, 10_080)  # five minutes to a week
EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")


NEW_KEY_SECONDS = 300
NEW_KEY_SESSION = "new_api_key"


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
    """The settings page; right after a key is made, that key once (reloading shows it no more)."""
    new_key, new_key_row = None, None
    ticket = session.pop(NEW_KEY_SESSION, None)
    if ticket:
        shown = stash.take("api-key", ticket["token"])
        if shown:
            new_key = shown["key"]
            new_key_row = db.session.execute(scoped(ApiKey).where(ApiKey.id == shown["id"])).scalar_one_or_none()
    response, status = _page(new_key=new_key, new_key_row=new_key_row)
    return response, status, {"Cache-Control": "no-store"}


@bp.post("")
@login_required
def save_alerts():
    values = {"alert_email": request.form.get("alert_email", "").strip(),
              "digest_minutes": request.form.get("digest_minutes", "").strip()}
    errors = {}
    if values["alert_email"] and (len(values["alert_email"]) > 320 or not EMAIL.match(values["alert_email"])):
        errors["alert_email"] = "Enter an email address like you@example.com, or leave it empty for no emails."
    low, high = DIGEST_MINUTES
    if not values["digest_minutes"].isdigit() or not low <= int(values["digest_minutes"]) <= high:
        errors["digest_minutes"] = f"Enter a whole number of minutes from {low} to {high}."
    if errors:
        return _page(422, errors=errors, values=values)
    tenant = current_tenant
    tenant.alert_email = values["alert_email"] or None
    tenant.digest_minutes = int(values["digest_minutes"])
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
    # Post/Redirect/Get: the key waits server-side for the next page view, which shows it once; the session
    # cookie carries only the ticket to it, never the key. Reloading that page creates nothing.
    session[NEW_KEY_SESSION] = {"token": stash.put("api-key", {"key": key, "id": row.id}, NEW_KEY_SECONDS)}
    return redirect(url_for("settings.index", _anchor="new-api-key"), 303)


@bp.post("/api-keys/<int:key_id>/revoke")
@login_required
def revoke_api_key(key_id: int):
    row = get_or_404(ApiKey, key_id)
    api_keys.revoke(row)
    flash(f"Revoked API key {row.name} ({row.prefix}…). Calls with it are refused from now on.", "success")
    return redirect(url_for("settings.index"))
