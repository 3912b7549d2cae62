"""An Admin API client for a merchant's Shopify store, with its access token kept fresh.

Expiring offline tokens live an hour. The client refreshes a few minutes before
expiry and once more when Shopify refuses the token; if that fails too the
integration needs the merchant to re-authorize, and they are told. A refresh owns
the store's grant (its credentials row, sync/ownership.py) and reads it again first, so
concurrent workers refresh once, not race: Shopify replaces the refresh token on every
refresh. New tokens and the needs-reauth mark are written in transactions of their own,
never committing what the caller had under way.
"""
from __future__ import annotations

from datetime import timedelta

from flask import current_app

from ...models import Integration, utcnow
from ...notify.alerts import report_failure
from ...platforms.http import AuthError
from ...platforms.shopify import oauth
from ...platforms.shopify.admin import ACCESS_DENIED, AdminClient
from ...platforms.shopify.throttle import RedisCostBucket
from ...security import credentials
from ...security.tokens import vault
from .grants import grant_to_refresh
from .needs_reauth import set_needs_reauth

REFRESH_MARGIN = timedelta(minutes=5)


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
    return _soon(credentials.access_expires_at(integration))


def _soon(expires) -> bool:
    return expires is not None and expires - REFRESH_MARGIN <= utcnow()


def refresh_access_token(integration: Integration, failed_token: str | None = None) -> str:
    """Swap the refresh token for new tokens (both stored in one commit of their own); returns the access token.

    If another worker refreshed while this one waited for the grant, its token is used instead.
    """
    with grant_to_refresh(integration, f"Shopify store {integration.external_id}") as grant:
        current = vault().decrypt(grant.access_token_encrypted)
        if current and current != failed_token and not _soon(grant.access_token_expires_at):
            return current
        refresh = vault().decrypt(grant.refresh_token_encrypted)
        expired = grant.refresh_token_expires_at is not None and grant.refresh_token_expires_at <= utcnow()
        if not refresh or expired:
            raise AuthError("no usable Shopify refresh token", code="no_refresh_token")
        config = current_app.config
        token = oauth.refresh_token(shopify_base_url(integration.external_id),
                                    config["SHOPIFY_API_KEY"], config["SHOPIFY_API_SECRET"], refresh)
        credentials.write_tokens(grant, access=token.access_token, access_expires_at=token.expires_at,
                                 refresh=token.refresh_token or refresh,
                                 refresh_expires_at=token.refresh_token_expires_at
                                 if token.refresh_token else grant.refresh_token_expires_at)
        return token.access_token


def reauthorize_path(integration: Integration) -> str:
    return f"/auth/shopify?shop={integration.external_id}"


def mark_missing_permission(integration: Integration, detail: str) -> None:
    """Shopify refused a field the store's grant does not cover (the app asks for more than the merchant
    approved): only the merchant can grant it, by going through the install screen again."""
    mark_needs_reauth(integration, f"ShopSync needs a permission this store has not granted ({detail[:300]}). "
                                   "Reconnect the store to grant it.")


def mark_needs_reauth(integration: Integration, reason: str) -> None:
    """The store has to be re-authorized by the merchant; stop using it and tell them.

    Written in its own transaction; the caller's session sees the new status without committing.
    """
    set_needs_reauth(integration, reason)
    report_failure(integration.tenant_id, "needs_reauth", f"integration:{integration.id}",
                   f"Reconnect your Shopify store {integration.external_id}", {"reason": reason},
                   reauthorize_path(integration))
