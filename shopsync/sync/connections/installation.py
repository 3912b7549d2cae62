"""A store installing ShopSync, and the people who log in for it."""
from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import delete, func, select, update

from ...extensions import db
from ...models import ApiKey, Integration, ProductLink, Tenant, User, WebhookEvent, utcnow
from ...models.integration import ACTIVE, DISCONNECTED, SHOPIFY, TIKTOK
from ...models.tenant import OWNER, STAFF
from ...notify.mail import InvalidAddress, valid_address
from ...security import people
from ...security.credentials import forget_tokens, store_tokens

PAUSED_BY_UNINSTALL = "Paused: ShopSync was uninstalled from your Shopify store. Installing it again resumes syncing."


class AccessRemoved(Exception):
    """The account owner took this person's access away."""


def shopify_integration(shop: str) -> Integration | None:
    return db.session.execute(
        select(Integration).where(Integration.platform == SHOPIFY, Integration.external_id == shop)
    ).scalar_one_or_none()


def is_installed(shop: str) -> bool:
    integration = shopify_integration(shop)
    return integration is not None and integration.status == ACTIVE and integration.access_token_encrypted is not None


@dataclass
class Restored:
    """What a store installed again after an uninstall finds as it was left."""

    links: int
    tiktok_shops: list[str]

    def message(self) -> str:
        kept = [f"{self.links} link{'s' if self.links != 1 else ''} with their settings"]
        if self.tiktok_shops:
            kept.append("TikTok shop" + ("s " if len(self.tiktok_shops) > 1 else " ") + ", ".join(self.tiktok_shops))
        return ("Welcome back: ShopSync restored " + " and ".join(kept) + ". Sessions and API keys from before "
                "the uninstall stay ended; create new keys in Settings if your tools need them.")


def install(shop: str, token, tenant_id: int | None = None) -> tuple[Integration, Restored | None]:
    """Create or refresh the Shopify integration from an offline token; says what it restored when the
    store comes back after an uninstall.

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
    returning = integration.id is not None and integration.status == DISCONNECTED
    tenant = db.session.get(Tenant, integration.tenant_id)
    resumed = _resume_tiktok_shops(tenant.id) if tenant.uninstalled_at is not None else []
    tenant.uninstalled_at = None
    store_tokens(integration, access=token.access_token, access_expires_at=token.expires_at,
                 refresh=token.refresh_token, refresh_expires_at=token.refresh_token_expires_at)
    integration.scopes = token.scope
    integration.status = ACTIVE
    integration.status_reason = None
    integration.updated_at = utcnow()
    db.session.commit()
    if not returning:
        return integration, None
    links = db.session.execute(select(func.count()).select_from(ProductLink).where(
        ProductLink.shopify_integration_id == integration.id)).scalar_one()
    return integration, Restored(links=links, tiktok_shops=resumed)


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
    if user.removed_at is not None:
        db.session.rollback()
        raise AccessRemoved(user.display_name)
    user.shopify_integration_id = integration.id
    user.email = associated_user.get("email")
    user.first_name = associated_user.get("first_name")
    user.last_name = associated_user.get("last_name")
    user.account_owner = bool(associated_user.get("account_owner"))
    user.role = OWNER if user.account_owner else STAFF
    user.last_login_at = utcnow()
    tenant = db.session.get(Tenant, integration.tenant_id)
    if not tenant.alert_email and user.account_owner and user.email:
        try:
            tenant.alert_email = valid_address(user.email)
        except InvalidAddress:
            pass  # no alert email until the merchant enters one in Settings
    db.session.commit()
    return user


def uninstall_store(integration: Integration) -> None:
    """One store removed ShopSync: stop syncing it, forget its token, and cut off the people who log in
    through it. Once none of the account's stores is installed, the account is uninstalled: everyone's
    sessions and API keys end and its TikTok shops are paused (their tokens are kept for a reinstall
    until shop/redact). Does not commit."""
    integration.status = DISCONNECTED
    integration.status_reason = "ShopSync was uninstalled from this Shopify store."
    integration.updated_at = utcnow()
    forget_tokens(integration)
    db.session.flush()
    tenant_id = integration.tenant_id
    people.cut_off(tenant_id, list(db.session.execute(
        select(User.id).where(User.shopify_integration_id == integration.id)).scalars()))
    if _stores(tenant_id, installed_only=True):
        return
    db.session.get(Tenant, tenant_id).uninstalled_at = utcnow()
    people.cut_off(tenant_id)
    db.session.execute(update(Integration).where(
        Integration.tenant_id == tenant_id, Integration.platform == TIKTOK, Integration.status == ACTIVE,
    ).values(status=DISCONNECTED, status_reason=PAUSED_BY_UNINSTALL, updated_at=utcnow()))


def _resume_tiktok_shops(tenant_id: int) -> list[str]:
    """The TikTok shops an uninstall paused (disconnected, tokens kept), active again; their names."""
    paused = list(db.session.execute(select(Integration).where(
        Integration.tenant_id == tenant_id, Integration.platform == TIKTOK, Integration.status == DISCONNECTED,
        Integration.access_token_encrypted.is_not(None)).order_by(Integration.id)).scalars())
    for shop in paused:
        shop.status, shop.status_reason, shop.updated_at = ACTIVE, None, utcnow()
    return [shop.name for shop in paused]


def erase_store(integration: Integration, request: WebhookEvent) -> bool:
    """Shopify's shop/redact: delete the store with everything imported from it, linked to it or
    logged in through it (the API keys its people made included). The account goes too when this was
    its last store; then the request's record is detached so it outlives the account. Returns whether
    the account went. Does not commit."""
    tenant_id = integration.tenant_id
    db.session.execute(delete(ApiKey).where(ApiKey.created_by_id.in_(
        select(User.id).where(User.shopify_integration_id == integration.id))))
    db.session.execute(delete(Integration).where(Integration.id == integration.id))
    db.session.expunge(integration)
    remaining = _stores(tenant_id)
    if not remaining:
        request.tenant_id = None
        db.session.flush()
        db.session.execute(delete(Tenant).where(Tenant.id == tenant_id))
        return True
    tenant = db.session.get(Tenant, tenant_id)
    if tenant.uninstalled_at is not None:
        # No store left installed: the TikTok shops' tokens go with this redact, not the last one.
        for shop in db.session.execute(select(Integration).where(
                Integration.tenant_id == tenant_id, Integration.platform == TIKTOK)).scalars():
            forget_tokens(shop)
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
