"""Connecting a merchant's TikTok shops after the seller approved ShopSync, and disconnecting them.

Each authorized shop becomes one integration. A shop belongs to one merchant:
a shop connected to another tenant is refused, never moved. Once that tenant has
disconnected it, another may connect it: the first tenant's integration lets go of
the shop and its links are orphaned (kept, with the reason), never handed over.
"""
from __future__ import annotations

from dataclasses import dataclass, field

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from ...extensions import db
from ...models import Integration, utcnow
from ...models.integration import ACTIVE, DISCONNECTED, NEEDS_REAUTH, RELEASED_MARK, TIKTOK
from ...notify import alerts
from ...platforms.tiktok.oauth import TokenSet
from ...platforms.tiktok.products import Shop
from ...security import credentials
from ..links import orphans
from .tiktok_access import reauth_subject

# The currency each TikTok Shop market sells in; the first import confirms it from real prices.
REGION_CURRENCIES = {
    "US": "USD", "GB": "GBP", "ID": "IDR", "MY": "MYR", "PH": "PHP", "SG": "SGD", "TH": "THB", "VN": "VND",
    "MX": "MXN", "BR": "BRL", "JP": "JPY", "ES": "EUR", "IE": "EUR", "FR": "EUR", "DE": "EUR", "IT": "EUR",
}


@dataclass
class ConnectResult:
    connected: list[Integration] = field(default_factory=list)
    refused: list[Shop] = field(default_factory=list)  # connected to another merchant


def connect_shops(tenant_id: int, tokens: TokenSet, shops: list[Shop]) -> ConnectResult:
    """Create or update one integration per shop with the seller's new tokens. Commits."""
    try:
        return _connect(tenant_id, tokens, shops)
    except IntegrityError:
        # Another merchant connected one of these shops at the same moment: look again, refusing theirs.
        db.session.rollback()
        return _connect(tenant_id, tokens, shops)


def _connect(tenant_id: int, tokens: TokenSet, shops: list[Shop]) -> ConnectResult:
    result = ConnectResult()
    reconnected, orphaned = [], []
    for shop in shops:
        integration = db.session.execute(select(Integration).where(
            Integration.platform == TIKTOK, Integration.external_id == shop.id)).scalar_one_or_none()
        if integration is not None and integration.tenant_id != tenant_id:
            if integration.status != DISCONNECTED:
                result.refused.append(shop)
                continue
            orphaned += _let_go(integration)
            integration = None
        if integration is None:
            integration = Integration(tenant_id=tenant_id, platform=TIKTOK, external_id=shop.id, defaults={})
            db.session.add(integration)
        elif integration.status == NEEDS_REAUTH:
            reconnected.append(integration)
        integration.name = shop.name or shop.id
        integration.region = shop.region or None
        integration.shop_cipher = shop.cipher
        integration.currency = integration.currency or REGION_CURRENCIES.get((shop.region or "").upper())
        credentials.store_tokens(integration, access=tokens.access_token,
                                 access_expires_at=tokens.access_token_expires_at, refresh=tokens.refresh_token,
                                 refresh_expires_at=tokens.refresh_token_expires_at)
        integration.scopes = ",".join(tokens.scopes)[:1000] or None
        integration.status = ACTIVE
        integration.status_reason = None
        integration.updated_at = utcnow()
        result.connected.append(integration)
    db.session.commit()
    orphans.report(orphaned)
    for integration in reconnected:
        alerts.report_recovery(tenant_id, alerts.NEEDS_REAUTH, reauth_subject(integration),
                               f"TikTok shop {integration.name} is connected again; syncing resumes.")
    return result


def _let_go(integration: Integration) -> list[orphans.Orphaned]:
    """The disconnected shop goes to another account: this integration keeps its history under a released id,
    and its links are orphaned."""
    found = orphans.orphan_shop_links(
        db.session.connection(), integration.id,
        f"TikTok shop {integration.name or integration.external_id} is now connected to another ShopSync account")
    integration.status_reason = "Connected to another ShopSync account since"
    integration.external_id = f"{integration.external_id}{RELEASED_MARK}{integration.id}"
    integration.updated_at = utcnow()
    db.session.flush()  # frees the shop id before the new integration takes it
    return found


def disconnect(integration: Integration) -> None:
    """Forget the shop's tokens and stop syncing to it; its catalog and links stay for a reconnect. Commits."""
    credentials.forget_tokens(integration)
    integration.status = DISCONNECTED
    integration.status_reason = "Disconnected in ShopSync"
    integration.updated_at = utcnow()
    db.session.commit()
