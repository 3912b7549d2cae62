"""A signed client for one connected TikTok shop, with its access token kept working.

TikTok access tokens live about a week. When TikTok refuses one, the client
refreshes once and retries; if the refresh is refused too, only the seller can
fix it: the integration is marked needs_reauth and the merchant is emailed.

Tokens belong to the seller's authorization (one credentials row), shared by every
shop it covers. A refresh owns that row's lock (sync/ownership.py) and reads it again
first, so concurrent workers and sibling shops refresh once, not race: TikTok rotates
the refresh token on every refresh and refuses a spent one. The new tokens are written
in a transaction of their own, never committing what the caller had under way.
"""
from __future__ import annotations

import logging
import threading
from datetime import timedelta
from typing import Callable, TypeVar

from flask import current_app
from sqlalchemy import func, select
from sqlalchemy.orm import object_session

from ...extensions import db
from ...models import Credential, Integration, utcnow
from ...models.integration import ACTIVE, TIKTOK
from ...notify import alerts
from ...platforms.http import CONNECT_TIMEOUT, AuthError, TransientError, new_session
from ...platforms.tiktok import oauth
from ...platforms.tiktok.client import TikTokClient
from ...platforms.tiktok.limiter import ShopRateLimiter, build_rate_limiter
from ...security import credentials
from ...security.tokens import vault
from .grants import grant_to_refresh
from .needs_reauth import set_needs_reauth

log = logging.getLogger(__name__)

T = TypeVar("T")
REFRESH_AHEAD = timedelta(days=1)
RECONNECT_PATH = "/integrations"
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
                        session=new_session(), timeout=(CONNECT_TIMEOUT, config["TIKTOK_READ_TIMEOUT_SECONDS"]))


def tiktok_client(integration: Integration) -> TikTokClient:
    """A client with the shop's stored token, only while the shop is connected as of now: a disconnect or
    an uninstall of the account (which pauses its TikTok shops) may have come after the job loaded it."""
    status = db.session.execute(select(Integration.status).where(Integration.id == integration.id)).scalar()
    token = credentials.access_token(integration)
    if status != ACTIVE or not token:
        raise ShopNotConnected(f"TikTok Shop {integration.name} is not connected", code=status or "not_found")
    return seller_client(token, integration.shop_cipher, integration.external_id)


def refresh_tokens(integration: Integration, failed_token: str | None = None) -> None:
    """Trade the grant's refresh token for new tokens, stored for every shop of the grant.

    `failed_token` is the access token TikTok refused (default: the one stored now). If the grant holds
    another one by the time this worker owns it, another worker or a sibling shop refreshed meanwhile and
    that token is used. Raises AuthError when TikTok refuses the refresh.
    """
    seen = failed_token or credentials.access_token(integration)
    with grant_to_refresh(integration, f"TikTok Shop {integration.name}") as grant:
        status = object_session(grant).execute(select(Integration.status).where(
            Integration.id == integration.id)).scalar()
        if status != ACTIVE:
            raise ShopNotConnected(f"TikTok Shop {integration.name} is not connected", code=status or "not_found")
        if vault().decrypt(grant.access_token_encrypted) != seen:
            return
        refresh = vault().decrypt(grant.refresh_token_encrypted)
        if not refresh:
            raise AuthError("no TikTok Shop refresh token stored", code="no_refresh_token")
        config = current_app.config
        tokens = oauth.refresh(new_session(), config["TIKTOK_AUTH_BASE_URL"], config["TIKTOK_APP_KEY"],
                               config["TIKTOK_APP_SECRET"], refresh)
        credentials.write_tokens(grant, access=tokens.access_token, access_expires_at=tokens.access_token_expires_at,
                                 refresh=tokens.refresh_token, refresh_expires_at=tokens.refresh_token_expires_at)
        _learn_seller(grant, tokens.open_id)


def _learn_seller(grant: Credential, open_id: str) -> None:
    """A grant stored before its seller was known takes the seller's open_id as its key, if it is free."""
    if not open_id or grant.grant_key == open_id:
        return
    taken = object_session(grant).execute(select(Credential.id).where(
        Credential.tenant_id == grant.tenant_id, Credential.platform == TIKTOK,
        Credential.grant_key == open_id)).first()
    if taken is None:
        grant.grant_key = open_id


def call_with_refresh(integration: Integration, fn: Callable[[TikTokClient], T]) -> T:
    """fn(client); when TikTok refuses the token, refresh once and run fn again with the new one.

    fn may run twice, so it must be safe to repeat. When the refresh (or the retry) is
    refused, the integration is marked needs_reauth, the merchant is emailed, and the
    AuthError is raised.
    """
    if integration.status != ACTIVE:
        raise ShopNotConnected(f"TikTok Shop {integration.name} needs to be reconnected", code=integration.status)
    client = tiktok_client(integration)
    try:
        return fn(client)
    except ShopNotConnected:
        raise
    except AuthError as refused:
        log.info("TikTok Shop refused the token of integration %s (%s); refreshing", integration.id, refused.code)
    try:
        refresh_tokens(integration, failed_token=client.access_token)
        return fn(tiktok_client(integration))
    except ShopNotConnected:
        raise
    except AuthError as error:
        mark_needs_reauth(integration, error)
        raise


def mark_needs_reauth(integration: Integration, error: AuthError) -> None:
    """Only the seller can fix this: stop using the shop and tell the merchant how to reconnect it.

    Written in its own transaction; the caller's session sees the new status without committing.
    """
    set_needs_reauth(integration, f"TikTok Shop no longer accepts ShopSync's access: {error.message}"[:500])
    alerts.report_failure(integration.tenant_id, alerts.NEEDS_REAUTH, reauth_subject(integration),
                          f"Reconnect your TikTok shop {integration.name}",
                          {"shop": integration.name, "reason": error.message, "request_id": error.request_id},
                          RECONNECT_PATH)


def reauth_subject(integration: Integration) -> str:
    return f"integration:{integration.id}"


def refresh_expiring_tokens(within: timedelta = REFRESH_AHEAD) -> int:
    """Refresh every TikTok grant of an active shop whose access token expires within `within`, once per
    grant however many shops it covers; returns how many grants were refreshed."""
    due = db.session.execute(
        select(Credential.id, func.min(Integration.id)).join(Integration, Integration.credential_id == Credential.id)
        .where(Credential.platform == TIKTOK, Integration.status == ACTIVE,
               Credential.access_token_expires_at <= utcnow() + within)
        .group_by(Credential.id).order_by(Credential.id)).all()
    db.session.rollback()
    refreshed = 0
    for credential_id, integration_id in due:
        integration = db.session.get(Integration, integration_id)
        try:
            refresh_tokens(integration)
            refreshed += 1
        except ShopNotConnected:
            db.session.rollback()
        except AuthError as error:
            for shop in _shops_of(credential_id):
                mark_needs_reauth(shop, error)
        except TransientError:
            log.warning("TikTok token refresh of grant %s failed for now; next run retries", credential_id)
        db.session.rollback()
    return refreshed


def _shops_of(credential_id: int) -> list[Integration]:
    return db.session.execute(select(Integration).where(
        Integration.credential_id == credential_id, Integration.status == ACTIVE)
        .order_by(Integration.id)).scalars().all()
