"""TikTok Shop seller authorization: the authorize page URL and the (unsigned GET) token endpoints."""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timezone
from urllib.parse import urlencode

import requests

from shopsync.platforms.http import DEFAULT_TIMEOUT, AuthError, PlatformError, TransientError, reading_answer
from shopsync.platforms.tiktok.client import parse_envelope

TOKEN_GET_PATH = "/api/v2/token/get"
TOKEN_REFRESH_PATH = "/api/v2/token/refresh"
# Expiry times outside these bounds (unix seconds) are garbage, not a token to keep: 2001 to 2100.
EARLIEST_EXPIRY, LATEST_EXPIRY = 1_000_000_000, 4_102_444_800


@dataclass(frozen=True)
class TokenSet:
    access_token: str = field(repr=False)
    access_token_expires_at: datetime
    refresh_token: str = field(repr=False)
    refresh_token_expires_at: datetime
    open_id: str
    seller_name: str
    region: str
    scopes: tuple[str, ...] = ()


def authorize_url(authorize_base: str, service_id: str, state: str) -> str:
    """Where to send the seller to grant ShopSync access to their shops."""
    return f"{authorize_base}?{urlencode({'service_id': service_id, 'state': state})}"


def exchange_code(session: requests.Session, auth_base_url: str, app_key: str, app_secret: str,
                  code: str) -> TokenSet:
    """Trade the single-use code from the authorization redirect for tokens."""
    return _token_call(session, auth_base_url + TOKEN_GET_PATH, {
        "app_key": app_key, "app_secret": app_secret, "auth_code": code, "grant_type": "authorized_code"})


def refresh(session: requests.Session, auth_base_url: str, app_key: str, app_secret: str,
            refresh_token: str) -> TokenSet:
    """New tokens for the seller; persist the returned refresh token, it may have rotated."""
    return _token_call(session, auth_base_url + TOKEN_REFRESH_PATH, {
        "app_key": app_key, "app_secret": app_secret, "refresh_token": refresh_token,
        "grant_type": "refresh_token"})


def _token_call(session: requests.Session, url: str, params: dict) -> TokenSet:
    # The query carries the app secret and the code or refresh token: exception texts from
    # requests include the URL, so none of them is passed on.
    try:
        response = session.get(url, params=params, timeout=DEFAULT_TIMEOUT)
    except requests.Timeout:
        raise TransientError("TikTok Shop token endpoint timed out") from None
    except requests.RequestException:
        raise TransientError("TikTok Shop token endpoint unreachable") from None
    try:
        data = parse_envelope(response).data
    except TransientError:
        raise
    except PlatformError as error:
        raise AuthError(error.message, code=error.code, request_id=error.request_id) from None
    with reading_answer("TikTok Shop token endpoint", AuthError):
        scopes = data.get("granted_scopes") or data.get("granted_permissions") or ()
        return TokenSet(
            access_token=_token(data["access_token"]),
            access_token_expires_at=_utc(data["access_token_expire_in"]),
            refresh_token=_token(data["refresh_token"]),
            refresh_token_expires_at=_utc(data["refresh_token_expire_in"]),
            open_id=str(data.get("open_id", ""))[:255],
            seller_name=str(data.get("seller_name", ""))[:255],
            region=str(data.get("seller_base_region", ""))[:20],
            scopes=tuple(str(scope) for scope in scopes) if isinstance(scopes, list) else (),
        )


def _token(value) -> str:
    if not isinstance(value, str) or not value or len(value) > 4096:
        raise ValueError("not a token")
    return value


def _utc(timestamp) -> datetime:
    # TikTok names them *_expire_in but sends absolute unix timestamps.
    if isinstance(timestamp, bool) or not isinstance(timestamp, int) or not (
            EARLIEST_EXPIRY <= timestamp <= LATEST_EXPIRY):
        raise ValueError("expiry time out of range")
    return datetime.fromtimestamp(timestamp, tz=timezone.utc)
