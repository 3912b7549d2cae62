"""A store installing ShopSync, and the people who log in for it."""
from __future__ import annotations

from sqlalchemy import delete, select

from ...extensions import db
from ...models import Integration, Tenant, User, WebhookEvent, utcnow
from ...models.integration import ACTIVE, DISCONNECTED, SHOPIFY
from ...security.credentials import forget_tokens, store_tokens


def shopify_integration(shop: str) -> Integration | None:
    return db.session.execute(
        select(Integration).where(Integration.platform == SHOPIFY, Integration.external_id == shop)
    ).scalar_one_or_none()


def is_installed(shop: str) -> bool:
    integration = shopify_integration(shop)
    return integration is not None and integration.status == ACTIVE and integration.access_token_encrypted is not None


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
    user.shopify_integration_id = integration.id
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


def uninstall_store(integration: Integration) -> None:
    """One store removed ShopSync: stop syncing it and forget its token. The account counts as
    uninstalled only once none of its stores is installed. Does not commit."""
    integration.status = DISCONNECTED
    integration.status_reason = "ShopSync was uninstalled from this Shopify store."
    integration.updated_at = utcnow()
    forget_tokens(integration)
    db.session.flush()
    if not _stores(integration.tenant_id, installed_only=True):
        db.session.get(Tenant, integration.tenant_id).uninstalled_at = utcnow()


def erase_store(integration: Integration, request: WebhookEvent) -> bool:
    """Shopify's shop/redact: delete the store with everything imported from it, linked to it or
    logged in through it. The account goes too when this was its last store; then the request's
    record is detached so it outlives the account. Returns whether the account went. Does not commit."""
    tenant_id = integration.tenant_id
    db.session.execute(delete(Integration).where(Integration.id == integration.id))
    db.session.expunge(integration)
    remaining = _stores(tenant_id)
    if not remaining:
        request.tenant_id = None
        db.session.flush()
        db.session.execute(delete(Tenant).where(Tenant.id == tenant_id))
        return True
    tenant = db.session.get(Tenant, tenant_id)
    if tenant.shop_domain == integration.external_id:
        # The account was named after the erased store: it now goes by a store it still has, and the
        # erased store's address is free to install as an account of its own.
        tenant.shop_domain = remaining[0].external_id
        tenant.name = remaining[0].external_id.removesuffix(".myshopify.com")
    return False


def _stores(tenant_id: int, *, installed_only: bool = False) -> list[Integration]:
    query = select(Integration).where(Integration.tenant_id == tenant_id, Integration.platform == SHOPIFY)
    if installed_only:
        query = query.where(Integration.status != DISCONNECTED)
    return list(db.session.execute(query.order_by(Integration.id)).scalars())
