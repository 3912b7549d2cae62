"""Short-lived server-side values of one tenant under a random token (Redis): previews kept for confirmation,
undo data, a new API key shown once. The token travels in a form, a URL or the session; the value stays here."""
from __future__ import annotations

import json
import secrets

from flask import current_app

from ..tenancy import current_tenant_id

HOUR = 3600


def put(kind: str, payload, seconds: int = HOUR) -> str:
    token = secrets.token_urlsafe(16)
    _redis().set(_key(kind, token), json.dumps(payload, default=str), ex=seconds)
    return token


def get(kind: str, token: str):
    raw = _redis().get(_key(kind, token))
    return json.loads(raw) if raw else None


def replace(kind: str, token: str, payload, seconds: int = HOUR) -> None:
    _redis().set(_key(kind, token), json.dumps(payload, default=str), ex=seconds)


def take(kind: str, token: str):
    """The value, removed: whoever takes it first has it (GETDEL, so two requests never both get it)."""
    raw = _redis().getdel(_key(kind, token))
    return json.loads(raw) if raw else None


def drop(kind: str, token: str) -> None:
    _redis().delete(_key(kind, token))


def _redis():
    return current_app.extensions["shopsync.redis"]


def _key(kind: str, token: str) -> str:
    # The tenant is part of the key: a token from another account finds nothing.
    return f"shopsync:stash:{kind}:{current_tenant_id()}:{str(token)[:64]}"
