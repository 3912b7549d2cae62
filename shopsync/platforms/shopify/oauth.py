"""Shopify OAuth install: shop-domain checks, query-string HMAC, authorize URL, tokens.

ShopSync is a standalone app using the authorization-code grant, through Authlib's
OAuth2Session, made per call because every store has its own endpoints
(https://{shop}/admin/oauth/...). The client secret travels in the body
(client_secret_post), as Shopify wants for code exchanges and refreshes alike;
`expiring=1` asks for an expiring offline token. The query-string HMAC and the
shop-domain check are Shopify's own, not OAuth's, so they are here.
"""
from __future__ import annotations

import hashlib
import hmac
import json
import re
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone

import requests
from authlib.integrations.requests_client import OAuth2Session, OAuthError

from shopsync.platforms.http import (
    DEFAULT_TIMEOUT,
    USER_AGENT,
    AuthError,
    SHAPE_ERRORS,
    PermanentError,
    TransientError,
    reading_answer,
    refuse_redirects,
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


def _client(client_id: str, client_secret: str | None = None, **settings) -> OAuth2Session:
    client = OAuth2Session(client_id, client_secret, token_endpoint_auth_method="client_secret_post", **settings)
    client.headers["User-Agent"] = USER_AGENT
    refuse_redirects(client)  # a 307 would re-post the client secret wherever Location points
    for hook in ("access_token_response", "refresh_token_response"):
        client.register_compliance_hook(hook, _refuse_failed_answer)
    return client


def authorize_url(base_url: str, client_id: str, scopes: str | Iterable[str], redirect_uri: str,
                  per_user: bool = False) -> tuple[str, str]:
    """The grant-screen URL and the state it carries; no grant_options[] means an offline token."""
    scope = scopes if isinstance(scopes, str) else ",".join(scopes)
    extra = {"grant_options[]": "per-user"} if per_user else {}
    with _client(client_id, scope=scope, redirect_uri=redirect_uri) as client:
        return client.create_authorization_url(f"{base_url}/admin/oauth/authorize", **extra)


@dataclass(frozen=True)
class ShopifyToken:
    access_token: str = field(repr=False)
    scope: str
    expires_at: datetime | None = None
    refresh_token: str | None = field(default=None, repr=False)
    refresh_token_expires_at: datetime | None = None
    associated_user: dict | None = None
    associated_user_scope: str | None = None


MAX_LIFETIME = timedelta(days=3650)  # a longer expires_in is garbage, not a token to keep


def _expiry(now: datetime, seconds) -> datetime | None:
    if seconds is None:
        return None
    if isinstance(seconds, bool) or not isinstance(seconds, int) or not 0 < seconds <= MAX_LIFETIME.total_seconds():
        raise ValueError("expiry out of range")
    return now + timedelta(seconds=seconds)


def _optional_text(value) -> str | None:
    if value is not None and not isinstance(value, str):
        raise TypeError("expected a string")
    return value


def _token_from_response(body: dict, now: datetime) -> ShopifyToken:
    with reading_answer("Shopify token endpoint"):
        user = body.get("associated_user")
        if user is not None and not isinstance(user, dict):
            raise TypeError("associated_user is not an object")
        return ShopifyToken(
            access_token=_optional_text(body["access_token"]),
            scope=_optional_text(body.get("scope")) or "",
            expires_at=_expiry(now, body.get("expires_in")),
            refresh_token=_optional_text(body.get("refresh_token")),
            refresh_token_expires_at=_expiry(now, body.get("refresh_token_expires_in")),
            associated_user=user,
            associated_user_scope=_optional_text(body.get("associated_user_scope")),
        )


def _refuse_failed_answer(response: requests.Response) -> requests.Response:
    """Turn a refused token request into our typed errors before Authlib reads the answer.

    Only Shopify's error code goes into the message: descriptions may echo input.
    """
    status = response.status_code
    if status == 200:
        return response
    try:
        body = response.json()
    except ValueError:
        body = None
    error = body.get("error") if isinstance(body, dict) else None
    code = error if isinstance(error, str) else status
    message = f"Shopify token request failed (HTTP {status}, {code})"
    request_id = response.headers.get("X-Request-Id")
    if status == 429 or status >= 500:
        retry_after = response.headers.get("Retry-After", "")
        raise TransientError(message, code=code, request_id=request_id,
                             retry_after=float(retry_after) if retry_after.isdigit() else None)
    if status in (400, 401, 403):
        raise AuthError(message, code=code, request_id=request_id)
    raise PermanentError(message, code=code, request_id=request_id)


def _token_request(call: Callable[[], dict]) -> ShopifyToken:
    now = datetime.now(timezone.utc)
    try:
        body = call()
    except requests.RequestException as exc:
        raise TransientError(f"Shopify token endpoint unreachable: {type(exc).__name__}") from None
    except OAuthError as exc:  # a 200 answer carrying an OAuth error
        code = exc.error if isinstance(exc.error, str) else "invalid_answer"
        raise AuthError(f"Shopify token request failed ({code[:100]})", code=code[:100]) from None
    except SHAPE_ERRORS:  # not JSON, not an object, or fields Authlib cannot read (expires_in "abc")
        raise PermanentError("Shopify token endpoint answered without a readable token") from None
    if not isinstance(body, dict) or not body.get("access_token"):
        raise PermanentError("Shopify token endpoint answered without an access token")
    return _token_from_response(body, now)


def exchange_code(base_url: str, client_id: str, client_secret: str, code: str, expiring: bool = True,
                  timeout=DEFAULT_TIMEOUT) -> ShopifyToken:
    extra = {"expiring": "1"} if expiring else {}
    with _client(client_id, client_secret) as client:
        return _token_request(lambda: client.fetch_token(
            f"{base_url}/admin/oauth/access_token", code=code, timeout=timeout, **extra))


def refresh_token(base_url: str, client_id: str, client_secret: str, refresh_token: str,
                  timeout=DEFAULT_TIMEOUT) -> ShopifyToken:
    """Swap a refresh token for a new access token AND a new refresh token."""
    with _client(client_id, client_secret) as client:
        return _token_request(lambda: client.refresh_token(
            f"{base_url}/admin/oauth/access_token", refresh_token=refresh_token, timeout=timeout))


def _scope_set(scopes: str | Iterable[str]) -> set[str]:
    items = scopes.split(",") if isinstance(scopes, str) else scopes
    return {s.strip() for s in items if s and s.strip()}


def granted_scopes(scopes: str | Iterable[str]) -> frozenset[str]:
    """What a grant allows: Shopify collapses write_x to imply read_x."""
    have = _scope_set(scopes)
    return frozenset(have | {"read_" + s[len("write_"):] for s in have if s.startswith("write_")})


def missing_scopes(granted: str | Iterable[str], required: str | Iterable[str]) -> set[str]:
    """Required scopes the grant lacks."""
    return _scope_set(required) - granted_scopes(granted)
