"""A store installing ShopSync, and the people who log in for it."""
from __future__ import annotations

from sqlalchemy import select

from ...extensions import db
from ...models import Integration, Tenant, User, utcnow
from ...models.integration import ACTIVE, SHOPIFY
from ...security.credentials import has_tokens, store_tokens


def shopify_integration(shop: str) -> Integration | None:
    return db.session.execute(
        select(Integration).where(Integration.platform == SHOPIFY, Integration.external_id == shop)
    ).scalar_one_or_none()


def is_installed(shop: str) -> bool:
    integration = shopify_integration(shop)
    return integration is not None and integration.status == ACTIVE and has_tokens(integration)


def install(shop: str, token, tenant_id: int | None = None) -> Integration:
    """Create or refresh the Shopify integration from an offline token.

    A new store joins `tenant_id` when a logged-in merchant connects another store;
    otherwise it belongs to the tenant named after it, created on first install.
    """
    integration = shopify_integration(shop)
    if integration is None:
        tenant = db.session.get(Tenant, tenant_id) if tenant_id is not None else db.session.execute(
            select(Tenant).where(Tenant.shop_domain == shop)).scalar_one_or_none()
        if tenant is None:
            tenant = Tenant(name=shop.removesuffix(".myshopify.com"), shop_domain=shop)
            db.session.add(tenant)
            db.session.flush()
        integration = Integration(tenant_id=tenant.id, platform=SHOPIFY, external_id=shop, name=shop)
        db.session.add(integration)
    tenant = db.session.get(Tenant, integration.tenant_id)
    tenant.uninstalled_at = None
    store_tokens(integration, access=token.access_token, access_expires_at=token.expires_at,
                 refresh=token.refresh_token, refresh_expires_at=token.refresh_token_expires_at)
    integration.scopes = token.scope
    integration.status = ACTIVE
    integration.status_reason = None
    integration.updated_at = utcnow()
    db.session.commit()
    return integration


def log_in(shop: str, associated_user: dict) -> User | None:
    """The staff member Shopify vouched for, created on first login."""
    integration = shopify_integration(shop)
    if integration is None:
        return None
    shopify_user_id = int(associated_user["id"])
    user = db.session.execute(select(User).where(
        User.tenant_id == integration.tenant_id, User.shopify_user_id == shopify_user_id)).scalar_one_or_none()
    if user is None:
        user = User(tenant_id=integration.tenant_id, shopify_user_id=shopify_user_id)
        db.session.add(user)
    user.email = associated_user.get("email")
    user.first_name = associated_user.get("first_name")
    user.last_name = associated_user.get("last_name")
    user.account_owner = bool(associated_user.get("account_owner"))
    user.role = "owner" if user.account_owner else "staff"
    user.last_login_at = utcnow()
    tenant = db.session.get(Tenant, integration.tenant_id)
    if not tenant.alert_email and user.account_owner and user.email:
        tenant.alert_email = user.email
    db.session.commit()
    return user
