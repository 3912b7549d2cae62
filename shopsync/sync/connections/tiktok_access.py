"""A signed client for one connected TikTok shop, with its access token kept working.

TikTok access tokens live about a week. When TikTok refuses one, the client
refreshes once and retries; if the refresh is refused too, only the seller can
fix it: the integration is marked needs_reauth and the merchant is emailed.
A Redis lock per integration makes concurrent workers refresh once, not race:
the refresh token may rotate on every refresh.
"""
from __future__ import annotations

import logging
import threading
from datetime import timedelta
from typing import Callable, TypeVar

from flask import current_app
from redis.exceptions import LockError
from sqlalchemy import select

from ...extensions import db
from ...models import Integration, utcnow
from ...models.integration import ACTIVE, NEEDS_REAUTH, TIKTOK
from ...notify import alerts
from ...platforms.http import AuthError, TransientError, new_session
from ...platforms.tiktok import oauth
from ...platforms.tiktok.client import TikTokClient
from ...platforms.tiktok.limiter import ShopRateLimiter, build_rate_limiter
from ...security import credentials

log = logging.getLogger(__name__)

T = TypeVar("T")
REFRESH_AHEAD = timedelta(days=1)
RECONNECT_PATH = "/integrations"
_LOCK_SECONDS = 60
_limiters: dict[tuple[str, int], ShopRateLimiter] = {}
_limiters_lock = threading.Lock()


class ShopNotConnected(AuthError):
    """The shop is disconnected, paused by an uninstall or awaiting re-authorization: its tokens are not
    used, not even to refresh them."""


def shop_rate_limiter() -> ShopRateLimiter:
    """The per-shop TikTok rate, built once per process and shared through Redis when there is one."""
    config = current_app.config
    key = (config["REDIS_URL"], max(1, int(config["TIKTOK_QPS"])))
    with _limiters_lock:
        limiter = _limiters.get(key)
        if limiter is None:
            limiter = _limiters[key] = build_rate_limiter(key[0] or None, per_second=key[1])
        return limiter


def seller_client(access_token: str, shop_cipher: str | None = None, shop_id: str | None = None) -> TikTokClient:
    """A client for a token not (yet) stored: the seller's shops right after authorization."""
    config = current_app.config
    return TikTokClient(api_base_url=config["TIKTOK_API_BASE_URL"], app_key=config["TIKTOK_APP_KEY"],
                        app_secret=config["TIKTOK_APP_SECRET"], access_token=access_token,
                        shop_cipher=shop_cipher, shop_id=shop_id, rate_limiter=shop_rate_limiter(),
                        session=new_session())


def tiktok_client(integration: Integration) -> TikTokClient:
    """A client with the shop's stored token, only while the shop is connected as of now: a disconnect or
    an uninstall of the account (which pauses its TikTok shops) may have come after the job loaded it."""
    status = db.session.execute(select(Integration.status).where(Integration.id == integration.id)).scalar()
    token = credentials.access_token(integration)
    if status != ACTIVE or not token:
        raise ShopNotConnected(f"TikTok Shop {integration.name} is not connected", code=status or "not_found")
    return seller_client(token, integration.shop_cipher, integration.external_id)


def refresh_tokens(integration: Integration) -> None:
    """Trade the refresh token for new tokens and store both in one commit.

    If another worker refreshed while this one waited for the lock, its tokens are kept.
    Raises AuthError when TikTok refuses the refresh token. Commits the session.
    """
    seen = credentials.access_token(integration)
    lock = current_app.extensions["shopsync.redis"].lock(
        f"shopsync:tiktok:token-refresh:{integration.id}", timeout=_LOCK_SECONDS, blocking_timeout=_LOCK_SECONDS)
    if not lock.acquire():
        raise TransientError("another worker is still refreshing this TikTok shop's token")
    try:
        db.session.refresh(integration)
        if integration.status != ACTIVE:
            raise ShopNotConnected(f"TikTok Shop {integration.name} is not connected", code=integration.status)
        if credentials.access_token(integration) != seen:
            return
        refresh = credentials.refresh_token(integration)
        if not refresh:
            raise AuthError("no TikTok Shop refresh token stored", code="no_refresh_token")
        config = current_app.config
        tokens = oauth.refresh(new_session(), config["TIKTOK_AUTH_BASE_URL"], config["TIKTOK_APP_KEY"],
                               config["TIKTOK_APP_SECRET"], refresh)
        credentials.store_tokens(integration, access=tokens.access_token,
                                 access_expires_at=tokens.access_token_expires_at, refresh=tokens.refresh_token,
                                 refresh_expires_at=tokens.refresh_token_expires_at)
        integration.updated_at = utcnow()
        db.session.commit()
    finally:
        try:
            lock.release()
        except LockError:  # held past its timeout: whoever holds it now releases it
            pass


def call_with_refresh(integration: Integration, fn: Callable[[TikTokClient], T]) -> T:
    """fn(client); when TikTok refuses the token, refresh once and run fn again with the new one.

    fn may run twice, so it must be safe to repeat. When the refresh (or the retry) is
    refused, the integration is marked needs_reauth, the merchant is emailed, and the
    AuthError is raised.
    """
    if integration.status != ACTIVE:
        raise ShopNotConnected(f"TikTok Shop {integration.name} needs to be reconnected", code=integration.status)
    try:
        return fn(tiktok_client(integration))
    except ShopNotConnected:
        raise
    except AuthError as refused:
        log.info("TikTok Shop refused the token of integration %s (%s); refreshing", integration.id, refused.code)
    try:
        refresh_tokens(integration)
        return fn(tiktok_client(integration))
    except ShopNotConnected:
        raise
    except AuthError as error:
        mark_needs_reauth(integration, error)
        raise


def mark_needs_reauth(integration: Integration, error: AuthError) -> None:
    """Only the seller can fix this: stop using the shop and tell the merchant how to reconnect it."""
    reason = f"TikTok Shop no longer accepts ShopSync's access: {error.message}"[:500]
    integration.status = NEEDS_REAUTH
    integration.status_reason = reason
    integration.updated_at = utcnow()
    db.session.commit()
    alerts.report_failure(integration.tenant_id, alerts.NEEDS_REAUTH, reauth_subject(integration),
                          f"Reconnect your TikTok shop {integration.name}",
                          {"shop": integration.name, "reason": error.message, "request_id": error.request_id},
                          RECONNECT_PATH)


def reauth_subject(integration: Integration) -> str:
    return f"integration:{integration.id}"


def refresh_expiring_tokens(within: timedelta = REFRESH_AHEAD) -> int:
    """Refresh every active TikTok shop whose access token expires within `within`; returns how many."""
    due = db.session.execute(select(Integration.id).where(
        Integration.platform == TIKTOK, Integration.status == ACTIVE,
        Integration.access_token_expires_at <= utcnow() + within,
    ).order_by(Integration.id)).scalars().all()
    refreshed = 0
    for integration_id in due:
        integration = db.session.get(Integration, integration_id)
        try:
            refresh_tokens(integration)
            refreshed += 1
        except ShopNotConnected:
            db.session.rollback()
        except AuthError as error:
            mark_needs_reauth(integration, error)
        except TransientError:
            db.session.rollback()
            log.warning("TikTok token refresh for integration %s failed for now; next run retries", integration_id)
    return refreshed
