"""Shopify OAuth install: shop-domain checks, query-string HMAC, authorize URL, tokens.

ShopSync is a standalone app using the authorization-code grant. The token
endpoint is called with plain requests rather than Authlib's OAuth2Session:
Shopify's endpoint takes the non-standard `expiring=1`, answers without a
`token_type`, and wants the client secret in the body for refreshes too, so
requests keeps the wire format exact.
"""
from __future__ import annotations

import hashlib
import hmac
import json
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from urllib.parse import urlencode

import requests

from shopsync.platforms.http import (
    DEFAULT_TIMEOUT,
    AuthError,
    PermanentError,
    TransientError,
)

# The docs' security-check regex. re.fullmatch, because `$` in re.match also
# accepts a trailing newline.
_SHOP_DOMAIN = re.compile(r"[a-zA-Z0-9][a-zA-Z0-9-]*\.myshopify\.com")

_UNSIGNED_PARAMS = {"hmac", "signature"}


def is_valid_shop_domain(shop: object) -> bool:
    return isinstance(shop, str) and _SHOP_DOMAIN.fullmatch(shop) is not None


def normalize_shop(shop: object) -> str:
    """The store's key: a validated shop domain in lowercase."""
    if not is_valid_shop_domain(shop):
        raise ValueError("not a valid myshopify.com shop domain")
    return shop.lower()


def _query_lists(params) -> Iterable[tuple[str, list[str]]]:
    if hasattr(params, "lists"):  # werkzeug MultiDict keeps repeated keys
        return params.lists()
    return ((key, value if isinstance(value, (list, tuple)) else [value])
            for key, value in params.items())


def _signed_message(params) -> str:
    pairs = []
    for key, values in _query_lists(params):
        if key in _UNSIGNED_PARAMS:
            continue
        if key.endswith("[]"):
            # ids[]=1&ids[]=2 is signed as ids=["1", "2"] (json.dumps spacing).
            key, values = key[:-2], [json.dumps([str(v) for v in values])]
        safe_key = key.replace("%", "%25").replace("=", "%3D")
        for value in values:
            pairs.append((safe_key, str(value).replace("%", "%25")))
    pairs.sort()
    return "&".join(f"{k}={v}".replace("&", "%26") for k, v in pairs)


def sign_query(params: Mapping, secret: str) -> str:
    """Lowercase hex HMAC-SHA256 Shopify puts in the `hmac` query parameter."""
    message = _signed_message(params)
    return hmac.new(secret.encode(), message.encode(), hashlib.sha256).hexdigest()


def verify_query_hmac(params: Mapping, secret: str) -> bool:
    received = [v for key, values in _query_lists(params) if key == "hmac" for v in values]
    if len(received) != 1 or not isinstance(received[0], str) or not received[0]:
        return False
    expected = sign_query(params, secret)
    return hmac.compare_digest(expected.encode(), received[0].encode())


def authorize_url(base_url: str, client_id: str, scopes: str | Iterable[str],
                  redirect_uri: str, state: str, per_user: bool = False) -> str:
    """The grant-screen URL; no grant_options[] means an offline token."""
    scope = scopes if isinstance(scopes, str) else ",".join(scopes)
    params = [("client_id", client_id), ("scope", scope),
              ("redirect_uri", redirect_uri), ("state", state)]
    if per_user:
        params.append(("grant_options[]", "per-user"))
    return f"{base_url}/admin/oauth/authorize?{urlencode(params)}"


@dataclass(frozen=True)
class ShopifyToken:
    access_token: str = field(repr=False)
    scope: str
    expires_at: datetime | None = None
    refresh_token: str | None = field(default=None, repr=False)
    refresh_token_expires_at: datetime | None = None
    associated_user: dict | None = None
    associated_user_scope: str | None = None


def _expiry(now: datetime, seconds) -> datetime | None:
    return None if seconds is None else now + timedelta(seconds=int(seconds))


def _token_from_response(body: dict, now: datetime) -> ShopifyToken:
    return ShopifyToken(
        access_token=body["access_token"],
        scope=body.get("scope", ""),
        expires_at=_expiry(now, body.get("expires_in")),
        refresh_token=body.get("refresh_token"),
        refresh_token_expires_at=_expiry(now, body.get("refresh_token_expires_in")),
        associated_user=body.get("associated_user"),
        associated_user_scope=body.get("associated_user_scope"),
    )


def _post_token(session: requests.Session, base_url: str, form: dict,
                timeout) -> ShopifyToken:
    now = datetime.now(timezone.utc)
    try:
        response = session.post(f"{base_url}/admin/oauth/access_token", data=form,
                                headers={"Accept": "application/json"}, timeout=timeout)
    except requests.RequestException as exc:
        raise TransientError(f"Shopify token endpoint unreachable: {type(exc).__name__}") from None
    request_id = response.headers.get("X-Request-Id")
    status = response.status_code
    try:
        body = response.json()
    except ValueError:
        body = None
    if status == 200 and isinstance(body, dict) and body.get("access_token"):
        return _token_from_response(body, now)
    # Only Shopify's error code goes into the message: descriptions may echo input.
    error = body.get("error") if isinstance(body, dict) else None
    code = error if isinstance(error, str) else status
    message = f"Shopify token request failed (HTTP {status}, {code})"
    if status == 429 or status >= 500:
        retry_after = response.headers.get("Retry-After")
        raise TransientError(message, code=code, request_id=request_id,
                             retry_after=float(retry_after) if retry_after else None)
    if status in (400, 401, 403):
        raise AuthError(message, code=code, request_id=request_id)
    raise PermanentError(message, code=code, request_id=request_id)


def exchange_code(session: requests.Session, base_url: str, client_id: str,
                  client_secret: str, code: str, expiring: bool = True,
                  timeout=DEFAULT_TIMEOUT) -> ShopifyToken:
    form = {"client_id": client_id, "client_secret": client_secret, "code": code}
    if expiring:
        form["expiring"] = "1"
    return _post_token(session, base_url, form, timeout)


def refresh_token(session: requests.Session, base_url: str, client_id: str,
                  client_secret: str, refresh_token: str,
                  timeout=DEFAULT_TIMEOUT) -> ShopifyToken:
    """Swap a refresh token for a new access token AND a new refresh token."""
    form = {"client_id": client_id, "client_secret": client_secret,
            "grant_type": "refresh_token", "refresh_token": refresh_token}
    return _post_token(session, base_url, form, timeout)


def _scope_set(scopes: str | Iterable[str]) -> set[str]:
    items = scopes.split(",") if isinstance(scopes, str) else scopes
    return {s.strip() for s in items if s and s.strip()}


def missing_scopes(granted: str | Iterable[str], required: str | Iterable[str]) -> set[str]:
    """Required scopes the grant lacks; Shopify collapses write_x to imply read_x."""
    have = _scope_set(granted)
    have |= {"read_" + s[len("write_"):] for s in have if s.startswith("write_")}
    return _scope_set(required) - have
