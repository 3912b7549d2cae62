"""Who is calling the API: a tenant's API key (Authorization: Bearer) or a logged-in session.

Bearer requests carry no cookie, so they cannot be forged by another site and skip
CSRF checks; session requests that change data must send the CSRF token header.
"""
from __future__ import annotations

from dataclasses import dataclass

from flask import abort, g, request
from flask_limiter.util import get_remote_address
from flask_login import current_user

from ..extensions import csrf, db
from ..models import User
from ..security import api_keys, roles

SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
NO_CREDENTIALS = "Send an API key as 'Authorization: Bearer <key>' (create one in Settings) or log in."
BAD_KEY = ("That API key is not valid, has been revoked, or its creator can no longer manage API keys "
           "(removed, no longer allowed, or their store uninstalled).")


@dataclass(frozen=True)
class Caller:
    tenant_id: int
    api_key_id: int | None = None
    user_id: int | None = None

    @property
    def rate_limit_key(self) -> str:
        return f"api-key:{self.api_key_id}" if self.api_key_id else f"user:{self.user_id}"


def current_caller() -> Caller | None:
    """The caller of this request, worked out once (the rate limiter asks before the view does)."""
    if "api_caller" not in g:
        g.api_caller = _identify()
    return g.api_caller


def _identify() -> Caller | None:
    header = request.headers.get("Authorization")
    if header is not None:  # a key was sent: it decides, whatever cookie comes along
        scheme, _, key = header.strip().partition(" ")
        row = api_keys.authenticate(key.strip()) if scheme.lower() == "bearer" else None
        if row is None:
            return None
        # A key acts for the person who made it, and only while they may still manage API keys.
        creator = db.session.get(User, row.created_by_id) if row.created_by_id else None
        if creator is None or creator.tenant_id != row.tenant_id or not roles.may(creator, roles.API_KEYS):
            return None
        g.acting_user = creator
        return Caller(row.tenant_id, api_key_id=row.id, user_id=creator.id)
    if current_user.is_authenticated:
        return Caller(current_user.tenant_id, user_id=current_user.id)
    return None


def require_caller() -> None:
    """before_request of every API blueprint: 401 without a caller, CSRF for session writes, tenant scope."""
    caller = current_caller()
    if caller is None:
        abort(401, BAD_KEY if "Authorization" in request.headers else NO_CREDENTIALS)
    g.tenant_id = caller.tenant_id
    if caller.api_key_id is None and request.method not in SAFE_METHODS:
        csrf.protect()


def rate_limit_key() -> str:
    caller = current_caller()
    return caller.rate_limit_key if caller else "anonymous:" + (get_remote_address() or "")
