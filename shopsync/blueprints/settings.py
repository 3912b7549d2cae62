"""The merchant's settings: where failure emails go, how often digests are sent, API keys, and who has
access (the owner's, see security.roles)."""
from __future__ import annotations

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_login import current_user, login_required

from ..extensions import db
from ..inputs import InvalidInput, whole_number
from ..models import ApiKey, User
from ..notify.mail import InvalidAddress, valid_address
from ..security import api_keys, people, roles
from ..tenancy import current_tenant, get_or_404, scoped

bp = Blueprint("settings", __name__, url_prefix="/settings")

DIGEST_MINUTES = (5, 10_080)  # five minutes to a week


def _page(status: int = 200, *, errors: dict | None = None, values: dict | None = None, new_key: str | None = None,
          new_key_row: ApiKey | None = None):
    tenant = current_tenant
    keys = db.session.execute(scoped(ApiKey).order_by(ApiKey.revoked_at.is_not(None), ApiKey.id.desc())).scalars()
    team = list(db.session.execute(scoped(User).order_by(User.removed_at.is_not(None), User.role, User.id))
                .scalars())
    shown = values or {"alert_email": tenant.alert_email or "", "digest_minutes": str(tenant.digest_minutes)}
    return render_template("settings/index.html", values=shown, errors=errors or {}, keys=list(keys),
                           new_key=new_key, new_key_row=new_key_row, digest_range=DIGEST_MINUTES,
                           team=team, names={person.id: person.display_name for person in team},
                           grants=roles.GRANTS, tenant=tenant), status


@bp.get("")
@login_required
def index():
    return _page()


@bp.post("")
@login_required
@roles.requires(roles.ALERTS)
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
@roles.requires(roles.API_KEYS)
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
@roles.requires(roles.API_KEYS)
def revoke_api_key(key_id: int):
    row = get_or_404(ApiKey, key_id)
    api_keys.revoke(row)
    flash(f"Revoked API key {row.name} ({row.prefix}…). Calls with it are refused from now on.", "success")
    return redirect(url_for("settings.index"))


@bp.post("/staff")
@login_required
@roles.owner_only
def save_staff_grants():
    tenant = current_tenant
    for permission in roles.GRANTS:
        setattr(tenant, roles.grant_column(permission), request.form.get(permission) == "yes")
    db.session.commit()
    return _back_to_settings("Saved what staff may do.")


@bp.post("/people/<int:user_id>/remove")
@login_required
@roles.owner_only
def remove_person(user_id: int):
    person = get_or_404(User, user_id)
    if person.is_owner:
        abort(400, "An account owner's access cannot be removed here: it follows ownership of the Shopify store.")
    people.remove(person)
    return _back_to_settings(f"Removed {person.display_name}'s access: their sessions and API keys ended, and "
                             "they cannot log in until you give access back.")


@bp.post("/people/<int:user_id>/restore")
@login_required
@roles.owner_only
def restore_person(user_id: int):
    person = get_or_404(User, user_id)
    people.give_back(person)
    return _back_to_settings(f"{person.display_name} can log in again.")


def _back_to_settings(message: str):
    flash(message, "success")
    return redirect(url_for("settings.index"))
