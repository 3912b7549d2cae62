"""Where a merchant stands in setting ShopSync up, read from real data, and the shops that need a currency rate."""
from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import exists, or_, select

from ..extensions import db
from ..models import Integration, ProductLink, SyncLog
from ..models.integration import ACTIVE, SHOPIFY, TIKTOK
from .pushes.rules import SETTING_NAMES


@dataclass(frozen=True)
class Step:
    key: str
    title: str
    done: bool
    hint: str  # what to do, while not done


def checklist(tenant_id: int) -> list[Step]:
    integrations = db.session.execute(select(Integration).where(Integration.tenant_id == tenant_id)).scalars().all()
    tiktok = [i for i in integrations if i.platform == TIKTOK and i.status == ACTIVE]
    shopify = [i for i in integrations if i.platform == SHOPIFY]
    imported = bool(tiktok) and all(i.last_import_at for i in tiktok) and all(i.last_import_at for i in shopify)
    linked = _any(select(ProductLink.id).where(ProductLink.tenant_id == tenant_id))
    custom = or_(*(getattr(ProductLink, name).is_not(None) for name in SETTING_NAMES))
    ruled = any(i.defaults for i in tiktok) or _any(
        select(ProductLink.id).where(ProductLink.tenant_id == tenant_id, custom))
    travelled = _any(select(SyncLog.id).where(SyncLog.tenant_id == tenant_id, SyncLog.result == "ok",
                                              SyncLog.trigger == "webhook"))
    return [
        Step("connect", "Connect your TikTok shop", bool(tiktok),
             "Approve ShopSync in TikTok Shop; each shop you authorize appears under Integrations."),
        Step("import", "Import both catalogs", imported,
             "ShopSync imports your Shopify products and the TikTok shop's SKUs; this takes a minute."),
        Step("link", "Link your products", linked,
             "Auto-link pairs Shopify variants and TikTok SKUs with the same SKU or barcode; you confirm first."),
        Step("rules", "Choose price and stock rules", ruled,
             "Set a markup, rounding, a currency rate or a stock buffer for the shop (or per link)."),
        Step("watch", "Watch a change travel", travelled,
             "Change a price or stock in Shopify: the linked TikTok SKU follows within seconds."),
    ]


def shops_needing_a_rate(tenant_id: int) -> list[Integration]:
    """Connected TikTok shops selling in another currency than the Shopify store, with no rate for the shop."""
    selling_in = store_currency(tenant_id)
    if not selling_in:
        return []
    shops = db.session.execute(select(Integration).where(
        Integration.tenant_id == tenant_id, Integration.platform == TIKTOK, Integration.status == ACTIVE,
        Integration.currency.is_not(None)).order_by(Integration.name, Integration.id)).scalars().all()
    return [shop for shop in shops if shop.currency.upper() != selling_in.upper()
            and not (shop.defaults or {}).get("currency_rate")]


def store_currency(tenant_id: int) -> str | None:
    return db.session.execute(select(Integration.currency).where(
        Integration.tenant_id == tenant_id, Integration.platform == SHOPIFY).order_by(Integration.id).limit(1)
    ).scalar_one_or_none()


def _any(query) -> bool:
    return db.session.execute(select(exists(query))).scalar()

