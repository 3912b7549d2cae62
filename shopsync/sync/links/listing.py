"""The merchant's link list: filters, keyset pages and counts per state.

Pages are keyset pages on the link id (newest first), so page 400 costs what
page 1 costs however many links a tenant has.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal

from sqlalchemy import and_, case, func, or_, select, union
from sqlalchemy.orm import aliased

from ...extensions import db
from ...inputs import clean_text, named, optional_row_id
from ...models import Integration, Product, ProductLink, TikTokProduct, TikTokSku, Variant
from ...models.integration import ACTIVE
from ...models.links import NEEDS_CONFIRMATION, ORPHANED
from ..pushes.planner import MISSING_RATE, PROBLEM

PAGE_SIZE = 50
PAGE_SIZES = (50, 100, 200)
# A link as the merchant sees it (its shown state): the stored state, unless something outranks it. States a
# later change stores (needs_confirmation, orphaned) show as themselves through `else_`, listed here to filter.
STATES = ("ok", "pending", "retrying", "error", "held", "disconnected", "paused", "needs_confirmation", "orphaned")
RETRIED_ERRORS = ("transient", "auth")


@dataclass(frozen=True)
class LinkFilters:
    state: str = ""  # ok | pending | error | needs_confirmation | orphaned (active links in that state) | paused
    integration_id: int | None = None  # TikTok integration
    q: str = ""  # product title, Shopify SKU, barcode or TikTok seller SKU
    variant_id: int | None = None
    size: int = PAGE_SIZE

    @classmethod
    def from_args(cls, args) -> "LinkFilters":
        """Filters from a query string or form; raises InvalidInput for an id or text no row can match."""
        state = args.get("state", "")
        size = args.get("size", "")
        return cls(state=state if state in STATES else "",
                   integration_id=named("integration", optional_row_id, args.get("integration")),
                   q=named("q", clean_text, args.get("q") or "").strip()[:100],
                   variant_id=named("variant", optional_row_id, args.get("variant")),
                   size=int(size) if size.isdigit() and int(size) in PAGE_SIZES else PAGE_SIZE)

    def as_args(self) -> dict:
        args = {"state": self.state, "integration": self.integration_id or "", "q": self.q,
                "variant": self.variant_id or "", "size": self.size if self.size != PAGE_SIZE else ""}
        return {k: v for k, v in args.items() if v}


@dataclass(frozen=True)
class LinkRow:
    id: int
    state: str
    shown: str  # see STATES
    paused: bool
    dirty: bool
    product_title: str | None  # None on an orphaned link whose variant went
    variant_title: str | None
    shopify_sku: str | None
    variant_price: Decimal | None
    tiktok_title: str | None  # None on an orphaned link whose TikTok SKU went
    seller_sku: str | None
    tiktok_shop: str
    last_pushed_price: Decimal | None
    last_pushed_quantity: int | None
    last_synced_at: datetime | None
    last_error: str | None
    last_error_class: str | None
    tiktok_integration_id: int
    shopify_currency: str | None
    tiktok_currency: str | None
    orphaned_reason: str | None = None
    held_price_before: Decimal | None = None
    held_price: Decimal | None = None

    @property
    def is_settling(self) -> bool:
        """A push is due or on its way: worth watching closely."""
        return self.shown in ("pending", "retrying") or (self.shown == "ok" and self.dirty)


def shown_state(tenant_id: int):
    """The SQL for a link's shown state: paused; then what only the merchant can settle (orphaned, a price to
    confirm); then a disconnected shop; then a price held for want of a currency rate (amber, not a failure);
    then a push being retried; else the stored state."""
    inactive = select(Integration.id).where(Integration.tenant_id == tenant_id, Integration.status != ACTIVE)
    return case(
        (ProductLink.paused.is_(True), "paused"),
        (ProductLink.state.in_((ORPHANED, NEEDS_CONFIRMATION)), ProductLink.state),
        (or_(ProductLink.tiktok_integration_id.in_(inactive), ProductLink.shopify_integration_id.in_(inactive)),
         "disconnected"),
        (and_(ProductLink.state == "error", ProductLink.last_error_class == PROBLEM,
              ProductLink.last_error.like(f"%{MISSING_RATE}%")), "held"),
        (and_(ProductLink.state != "error", ProductLink.dirty.is_(True),
              ProductLink.last_error_class.in_(RETRIED_ERRORS)), "retrying"),
        else_=ProductLink.state)


def conditions(tenant_id: int, filters: LinkFilters) -> list:
    where = [ProductLink.tenant_id == tenant_id]
    if filters.state:
        where.append(shown_state(tenant_id) == filters.state)
    if filters.integration_id:
        where.append(ProductLink.tiktok_integration_id == filters.integration_id)
    if filters.variant_id:
        where.append(ProductLink.variant_id == filters.variant_id)
    if filters.q:
        where.append(_search(tenant_id, filters.q))
    return where


def _search(tenant_id: int, text: str):
    """Links whose product title, Shopify SKU or barcode, or TikTok seller SKU contains `text`.

    One single-table subquery per column, so each walks its trigram index
    (PostgreSQL) instead of testing every joined link row.
    """
    pattern = "%" + text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"

    def like(column):
        return column.ilike(pattern, escape="\\")

    variants = union(
        select(Variant.id).where(Variant.tenant_id == tenant_id, like(Variant.sku)),
        select(Variant.id).where(Variant.tenant_id == tenant_id, like(Variant.barcode)),
        select(Variant.id).join(Product, Product.id == Variant.product_id)
        .where(Product.tenant_id == tenant_id, like(Product.title)),
    )
    skus = select(TikTokSku.id).where(TikTokSku.tenant_id == tenant_id, like(TikTokSku.seller_sku))
    return or_(ProductLink.variant_id.in_(variants.scalar_subquery()), ProductLink.tiktok_sku_id.in_(skus))


def _rows_query(tenant_id: int, where: list):
    shopify = aliased(Integration)
    return (
        select(ProductLink.id, ProductLink.state, shown_state(tenant_id), ProductLink.paused, ProductLink.dirty,
               Product.title, Variant.title, Variant.sku, Variant.price, TikTokProduct.title, TikTokSku.seller_sku,
               Integration.name, ProductLink.last_pushed_price, ProductLink.last_pushed_quantity,
               ProductLink.last_synced_at, ProductLink.last_error, ProductLink.last_error_class,
               ProductLink.tiktok_integration_id, shopify.currency,
               func.coalesce(TikTokSku.currency, Integration.currency),
               ProductLink.orphaned_reason, ProductLink.held_price_before, ProductLink.held_price)
        .outerjoin(Variant, Variant.id == ProductLink.variant_id)
        .outerjoin(Product, Product.id == Variant.product_id)
        .outerjoin(TikTokSku, TikTokSku.id == ProductLink.tiktok_sku_id)
        .outerjoin(TikTokProduct, TikTokProduct.id == TikTokSku.product_id)
        .join(Integration, Integration.id == ProductLink.tiktok_integration_id)
        .join(shopify, shopify.id == ProductLink.shopify_integration_id)
        .where(*where)
    )


def page(tenant_id: int, filters: LinkFilters, before: int | None = None,
         size: int | None = None) -> tuple[list[LinkRow], int | None]:
    """One page of links, newest first, and the id to continue before (None on the last page)."""
    where = conditions(tenant_id, filters)
    if before:
        where.append(ProductLink.id < before)
    size = size or filters.size
    rows = db.session.execute(_rows_query(tenant_id, where).order_by(ProductLink.id.desc()).limit(size + 1)).all()
    links = [LinkRow(*row) for row in rows[:size]]
    return links, (links[-1].id if len(rows) > size else None)


def some(tenant_id: int, link_ids: list[int]) -> list[LinkRow]:
    """These links (the ones a page shows), those that still exist."""
    if not link_ids:
        return []
    where = [ProductLink.tenant_id == tenant_id, ProductLink.id.in_(link_ids)]
    return [LinkRow(*row) for row in db.session.execute(_rows_query(tenant_id, where))]


def one(tenant_id: int, link_id: int) -> LinkRow | None:
    found = some(tenant_id, [link_id])
    return found[0] if found else None


def _id_query(tenant_id: int, filters: LinkFilters, *columns):
    return select(*columns).select_from(ProductLink).where(*conditions(tenant_id, filters))


def count(tenant_id: int, filters: LinkFilters) -> int:
    return db.session.execute(_id_query(tenant_id, filters, func.count())).scalar_one()


def matching_ids(tenant_id: int, filters: LinkFilters, limit: int) -> list[int]:
    """Ids of links matching the filters (for "select every matching link"), at most `limit`."""
    query = _id_query(tenant_id, filters, ProductLink.id).order_by(ProductLink.id.desc()).limit(limit)
    return list(db.session.execute(query).scalars())


def state_counts(tenant_id: int) -> dict[str, int]:
    """Links per shown state: a paused link counts as paused, a link of a disconnected shop as not syncing."""
    shown = shown_state(tenant_id)
    rows = db.session.execute(
        select(shown, func.count()).where(ProductLink.tenant_id == tenant_id).group_by(shown)).all()
    counts = dict.fromkeys(STATES, 0)
    counts.update({state: count for state, count in rows})
    return counts


FAILING = ("error", "retrying", "held", "needs_confirmation", "orphaned")


def failing_now(tenant_id: int, limit: int) -> tuple[list[LinkRow], int]:
    """Links that are failing now (one row per link, most recently changed first) and how many there are."""
    where = [ProductLink.tenant_id == tenant_id, shown_state(tenant_id).in_(FAILING)]
    rows = db.session.execute(_rows_query(tenant_id, where).order_by(ProductLink.updated_at.desc().nulls_last(),
                                                                     ProductLink.id.desc()).limit(limit)).all()
    total = db.session.execute(select(func.count()).select_from(ProductLink).where(*where)).scalar_one()
    return [LinkRow(*row) for row in rows], total
