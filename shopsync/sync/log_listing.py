"""The sync log as the merchant reads it: operations with filters, newest first, in keyset pages."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

from sqlalchemy import func, or_, select
from sqlalchemy.orm import aliased

from ..extensions import db
from ..inputs import named, optional_row_id
from ..models import Integration, Product, ProductLink, SyncLog, SyncRun, TikTokSku, Variant, utcnow
from ..models.sync import TRIGGERS

PAGE_SIZE = 50
RESULTS = ("ok", "error", "skipped")
PERIODS = {"1h": timedelta(hours=1), "24h": timedelta(days=1), "7d": timedelta(days=7), "30d": timedelta(days=30)}


@dataclass(frozen=True)
class LogFilters:
    link_id: int | None = None
    product_id: int | None = None
    run_id: int | None = None
    result: str = ""
    trigger: str = ""
    period: str = ""
    sku: str = ""  # part of a Shopify or seller SKU

    @classmethod
    def from_args(cls, args) -> "LogFilters":
        """Filters from a query string or form; raises InvalidInput for an id no row can have."""
        result, trigger, period = args.get("result", ""), args.get("trigger", ""), args.get("period", "")
        link_id, product_id, run_id = (named(name, optional_row_id, args.get(name))
                                       for name in ("link", "product", "run"))
        return cls(link_id=link_id, product_id=product_id, run_id=run_id,
                   result=result if result in RESULTS else "", trigger=trigger if trigger in TRIGGERS else "",
                   period=period if period in PERIODS else "", sku=(args.get("sku") or "").strip()[:100])

    def as_args(self) -> dict:
        args = {"link": self.link_id, "product": self.product_id, "run": self.run_id, "result": self.result,
                "trigger": self.trigger, "period": self.period, "sku": self.sku}
        return {k: v for k, v in args.items() if v}


def conditions(tenant_id: int, filters: LogFilters) -> list:
    where = [SyncLog.tenant_id == tenant_id]
    if filters.link_id:
        where.append(SyncLog.link_id == filters.link_id)
    if filters.product_id:
        where.append(SyncLog.product_id == filters.product_id)
    if filters.run_id:
        where.append(SyncLog.run_id == filters.run_id)
    if filters.result:
        where.append(SyncLog.result == filters.result)
    if filters.trigger:
        where.append(SyncLog.trigger == filters.trigger)
    if filters.period:
        where.append(SyncLog.created_at >= utcnow() - PERIODS[filters.period])
    if filters.sku:
        where.append(_about_sku(tenant_id, filters.sku))
    return where


def _about_sku(tenant_id: int, text: str):
    """Operations on a variant or TikTok SKU whose SKU contains `text` (also those logged before an unlink)."""
    pattern = "%" + text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"
    variants = select(Variant.id).where(Variant.tenant_id == tenant_id, Variant.sku.ilike(pattern, escape="\\"))
    skus = select(TikTokSku.id).where(TikTokSku.tenant_id == tenant_id,
                                      TikTokSku.seller_sku.ilike(pattern, escape="\\"))
    links = select(ProductLink.id).where(ProductLink.tenant_id == tenant_id,
                                         or_(ProductLink.variant_id.in_(variants), ProductLink.tiktok_sku_id.in_(skus)))
    return or_(SyncLog.seller_sku.ilike(pattern, escape="\\"), SyncLog.variant_id.in_(variants),
               SyncLog.tiktok_sku_id.in_(skus), SyncLog.link_id.in_(links))


def page(tenant_id: int, filters: LogFilters, before: int | None = None, size: int = PAGE_SIZE):
    """(log, product title, variant title, Shopify SKU, seller SKU, TikTok shop, TikTok currency) rows newest
    first, and the id to continue before (None on the last page). A price is logged in the TikTok SKU's currency
    (the shop's when the SKU has none), as it was pushed."""
    where = conditions(tenant_id, filters)
    if before:
        where.append(SyncLog.id < before)
    link = aliased(ProductLink)
    rows = db.session.execute(
        select(SyncLog, Product.title, Variant.title, Variant.sku,
               func.coalesce(SyncLog.seller_sku, TikTokSku.seller_sku), Integration.name,
               func.coalesce(TikTokSku.currency, Integration.currency))
        .outerjoin(Product, Product.id == SyncLog.product_id)
        .outerjoin(link, link.id == SyncLog.link_id)
        .outerjoin(Variant, Variant.id == func.coalesce(SyncLog.variant_id, link.variant_id))
        .outerjoin(TikTokSku, TikTokSku.id == func.coalesce(SyncLog.tiktok_sku_id, link.tiktok_sku_id))
        .outerjoin(Integration, Integration.id == func.coalesce(TikTokSku.integration_id, link.tiktok_integration_id))
        .where(*where).order_by(SyncLog.id.desc()).limit(size + 1)).all()
    return rows[:size], (rows[size - 1][0].id if len(rows) > size else None)


def failed_link_ids(tenant_id: int, filters: LogFilters, limit: int = 20_000) -> list[int]:
    """Links with a failed operation among the filtered logs: what "retry failed" pushes again."""
    where = conditions(tenant_id, filters) + [SyncLog.result == "error", SyncLog.link_id.is_not(None)]
    return list(db.session.execute(select(SyncLog.link_id).where(*where).distinct().limit(limit)).scalars())


def recent_runs(tenant_id: int, limit: int = 8) -> list[SyncRun]:
    return db.session.execute(select(SyncRun).where(SyncRun.tenant_id == tenant_id)
                              .order_by(SyncRun.created_at.desc(), SyncRun.id.desc()).limit(limit)).scalars().all()
