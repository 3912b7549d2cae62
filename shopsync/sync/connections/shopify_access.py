"""An Admin API client for a merchant's Shopify store, with its access token kept fresh.

Expiring offline tokens live an hour. The client refreshes a few minutes before
expiry and once more when Shopify refuses the token; if that fails too the
integration needs the merchant to re-authorize, and they are told. One Redis
lock per integration makes concurrent workers refresh once, not race: Shopify
replaces the refresh token on every refresh.
"""
from __future__ import annotations

from datetime import timedelta

from flask import current_app

from ...extensions import db
from ...models import Integration, utcnow
from ...models.integration import NEEDS_REAUTH
from ...notify.alerts import report_failure
from ...platforms.http import AuthError
from ...platforms.shopify import oauth
from ...platforms.shopify.admin import ACCESS_DENIED, AdminClient
from ...platforms.shopify.throttle import RedisCostBucket
from ...security import credentials

REFRESH_MARGIN = timedelta(minutes=5)
_LOCK_SECONDS = 60


def shopify_base_url(shop: str) -> str:
    return current_app.config["SHOPIFY_BASE_URL"].format(shop=shop)


def shopify_admin(integration: Integration) -> "ShopifyAdmin":
    """The store's Admin API client; every worker of the shop shares one cost bucket in Redis."""
    if _expiring_soon(integration):
        refresh_access_token(integration)
    return ShopifyAdmin(integration)


class ShopifyAdmin(AdminClient):
    def __init__(self, integration: Integration):
        config = current_app.config
        self.integration = integration
        super().__init__(shopify_base_url(integration.external_id), credentials.access_token(integration) or "",
                         config["SHOPIFY_API_VERSION"],
                         bucket=RedisCostBucket(current_app.extensions["shopsync.redis"], integration.external_id))
        self._retried_auth = False

    def execute(self, query: str, variables: dict | None = None, **options) -> dict:
        if _expiring_soon(self.integration):  # long imports outlive an hour-long token
            self._token = refresh_access_token(self.integration, failed_token=self._token)
        try:
            return super().execute(query, variables, **options)
        except AuthError as refused:
            if refused.code == ACCESS_DENIED:  # a new token would carry the same grant
                mark_missing_permission(self.integration, refused.message)
                raise
            if self._retried_auth:
                mark_needs_reauth(self.integration, "Shopify refused ShopSync's access after a token refresh.")
                raise
            self._retried_auth = True
            try:
                self._token = refresh_access_token(self.integration, failed_token=self._token)
            except AuthError:
                mark_needs_reauth(self.integration, "Shopify no longer accepts ShopSync's access to this store.")
                raise refused from None
            try:
                return super().execute(query, variables, **options)
            except AuthError:
                mark_needs_reauth(self.integration, "Shopify refused ShopSync's access after a token refresh.")
                raise


def _expiring_soon(integration: Integration) -> bool:
    expires = integration.access_token_expires_at
    return expires is not None and expires - REFRESH_MARGIN <= utcnow()


def refresh_access_token(integration: Integration, failed_token: str | None = None) -> str:
    """Swap the refresh token for new tokens (both stored in one commit); returns the access token.

    If another worker refreshed while this one waited for the lock, its token is used instead.
    """
    redis = current_app.extensions["shopsync.redis"]
    with redis.lock(f"shopsync:shopify:token-refresh:{integration.id}", timeout=_LOCK_SECONDS,
                    blocking_timeout=_LOCK_SECONDS):
        db.session.refresh(integration)
        current = credentials.access_token(integration)
        if current and current != failed_token and not _expiring_soon(integration):
            return current
        refresh = credentials.refresh_token(integration)
        expired = integration.refresh_token_expires_at is not None and integration.refresh_token_expires_at <= utcnow()
        if not refresh or expired:
            raise AuthError("no usable Shopify refresh token", code="no_refresh_token")
        config = current_app.config
        token = oauth.refresh_token(shopify_base_url(integration.external_id),
                                    config["SHOPIFY_API_KEY"], config["SHOPIFY_API_SECRET"], refresh)
        credentials.store_tokens(integration, access=token.access_token, access_expires_at=token.expires_at,
                                 refresh=token.refresh_token or refresh,
                                 refresh_expires_at=token.refresh_token_expires_at
                                 if token.refresh_token else integration.refresh_token_expires_at)
        integration.updated_at = utcnow()
        db.session.commit()
        return token.access_token


def reauthorize_path(integration: Integration) -> str:
    return f"/auth/shopify?shop={integration.external_id}"


def mark_missing_permission(integration: Integration, detail: str) -> None:
    """Shopify refused a field the store's grant does not cover (the app asks for more than the merchant
    approved): only the merchant can grant it, by going through the install screen again."""
    mark_needs_reauth(integration, f"ShopSync needs a permission this store has not granted ({detail[:300]}). "
                                   "Reconnect the store to grant it.")


def mark_needs_reauth(integration: Integration, reason: str) -> None:
    """The store has to be re-authorized by the merchant; stop using it and tell them."""
    integration.status = NEEDS_REAUTH
    integration.status_reason = reason
    integration.updated_at = utcnow()
    db.session.commit()
    report_failure(integration.tenant_id, "needs_reauth", f"integration:{integration.id}",
                   f"Reconnect your Shopify store {integration.external_id}", {"reason": reason},
                   reauthorize_path(integration))
