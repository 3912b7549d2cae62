"""Who may do what inside an account: the store's account owner, or staff.

Everyone with access views, links and syncs. API keys, alert settings and
connecting or disconnecting shops are the owner's, unless the owner grants them
to staff (one setting per area on the account). Managing people and those grants
is the owner's alone. A person has access while they are not removed and the
store they log in through is installed.
"""
from __future__ import annotations

from functools import wraps

from flask import abort, g
from flask_login import current_user

from ..extensions import db
from ..models import Integration, Tenant, User
from ..models.integration import DISCONNECTED

API_KEYS = "api_keys"
ALERTS = "alerts"
SHOPS = "shops"
# What each grant lets staff do, in the merchant's words (settings page and 403 answers).
GRANTS = {
    API_KEYS: "create and revoke API keys",
    ALERTS: "change where failure emails go and how often",
    SHOPS: "connect and disconnect shops",
}


def grant_column(permission: str) -> str:
    return f"staff_may_manage_{permission}"


def has_access(user: User | None) -> bool:
    if user is None or user.removed_at is not None:
        return False
    store = db.session.get(Integration, user.shopify_integration_id) if user.shopify_integration_id else None
    return store is not None and store.status != DISCONNECTED


def may(user: User | None, permission: str) -> bool:
    if not has_access(user):
        return False
    if user.is_owner:
        return True
    return bool(getattr(db.session.get(Tenant, user.tenant_id), grant_column(permission)))


def is_owner(user: User | None) -> bool:
    return has_access(user) and user.is_owner


def acting_user() -> User | None:
    """The person this request acts for: the logged-in user, or the creator of the API key used."""
    if "acting_user" in g:
        return g.acting_user
    return current_user if current_user.is_authenticated else None


def acting_user_may(permission: str) -> bool:
    """For templates: show a control only to those who may use it."""
    return may(acting_user(), permission)


def acting_user_is_owner() -> bool:
    return is_owner(acting_user())


def requires(permission: str):
    """403 unless the acting user may do `permission` (after login_required or the API's caller check)."""

    def decorator(view):
        @wraps(view)
        def wrapped(*args, **kwargs):
            if not may(acting_user(), permission):
                abort(403, f"Only the store's account owner can {GRANTS[permission]}, unless they allow staff to "
                           "in Settings.")
            return view(*args, **kwargs)
        return wrapped
    return decorator


def owner_only(view):
    """403 unless the acting user is the account owner: managing people and what staff may do."""

    @wraps(view)
    def wrapped(*args, **kwargs):
        if not is_owner(acting_user()):
            abort(403, "Only the store's account owner can change who has access and what staff may do.")
        return view(*args, **kwargs)
    return wrapped
