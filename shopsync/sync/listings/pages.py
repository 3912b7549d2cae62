"""What the listing pages show: products to pick, listings by state, a shop's readiness and quota."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import func, or_, select
from sqlalchemy.orm import selectinload

from ...extensions import db
from ...models import Image, Integration, Listing, ListingShop, Product, utcnow
from ...models.integration import ACTIVE, TIKTOK
from .publish import start_of_day
from .readiness import explained, is_ready

PAGE_SIZE = 50


@dataclass
class Quota:
    limit: int
    used_today: int
    waiting: int
    resets_at: datetime  # when the next day's listings may go

    @property
    def left_today(self) -> int:
        return max(0, self.limit - self.used_today)


def tiktok_shops(tenant_id: int) -> list[Integration]:
    return list(db.session.execute(select(Integration).where(
        Integration.tenant_id == tenant_id, Integration.platform == TIKTOK, Integration.status == ACTIVE,
    ).order_by(Integration.id)).scalars())


def quota(shop: ListingShop) -> Quota:
    now = utcnow()
    used = db.session.execute(select(func.count(Listing.id)).where(
        Listing.tiktok_integration_id == shop.tiktok_integration_id,
        Listing.submitted_at >= start_of_day(now))).scalar_one()
    waiting = db.session.execute(select(func.count(Listing.id)).where(
        Listing.tiktok_integration_id == shop.tiktok_integration_id, Listing.state == "queued")).scalar_one()
    used = shop.daily_limit if shop.quota_resets_at and shop.quota_resets_at > now else used
    return Quota(limit=shop.daily_limit, used_today=used, waiting=waiting,
                 resets_at=start_of_day(now) + timedelta(days=1))


def readiness_summary(shop: ListingShop) -> dict:
    return {"checked_at": shop.checked_at, "ready": is_ready(shop), "items": explained(shop)}


def pickable_products(tenant_id: int, tiktok_integration_id: int, *, q: str = "", product_type: str = "",
                      vendor: str = "", unpublished_only: bool = False, after: int | None = None) -> list[tuple]:
    """(product, listing state or None, first image url) for the product picker, by title."""
    listing = select(Listing.product_id, Listing.state).where(
        Listing.tiktok_integration_id == tiktok_integration_id).subquery()
    first_image = select(Image.url).where(Image.product_id == Product.id).order_by(Image.position).limit(1) \
        .scalar_subquery()
    query = select(Product, listing.c.state, first_image).outerjoin(listing, listing.c.product_id == Product.id) \
        .where(Product.tenant_id == tenant_id)
    if q:
        query = query.where(Product.title.ilike(f"%{_escaped(q)}%", escape="\\"))
    if product_type:
        query = query.where(Product.product_type == product_type)
    if vendor:
        query = query.where(Product.vendor == vendor)
    if unpublished_only:
        query = query.where(or_(listing.c.state.is_(None), listing.c.state.in_(("draft", "blocked"))))
    if after:
        query = query.where(Product.id > after)
    return db.session.execute(query.order_by(Product.id).limit(PAGE_SIZE)).all()


def product_facets(tenant_id: int) -> tuple[list[str], list[str]]:
    types = db.session.execute(select(Product.product_type).where(
        Product.tenant_id == tenant_id, Product.product_type.is_not(None)).distinct().order_by(
        Product.product_type)).scalars().all()
    vendors = db.session.execute(select(Product.vendor).where(
        Product.tenant_id == tenant_id, Product.vendor.is_not(None)).distinct().order_by(Product.vendor)
    ).scalars().all()
    return [t for t in types if t], [v for v in vendors if v]


def listings_page(tenant_id: int, *, state: str = "", shop_id: int | None = None, run_id: int | None = None,
                  before: int | None = None) -> list[Listing]:
    query = select(Listing).where(Listing.tenant_id == tenant_id)
    if state:
        query = query.where(Listing.state == state)
    if shop_id:
        query = query.where(Listing.tiktok_integration_id == shop_id)
    if run_id:
        query = query.where(Listing.run_id == run_id)
    if before:
        query = query.where(Listing.id < before)
    return list(db.session.execute(query.order_by(Listing.id.desc()).limit(PAGE_SIZE)).scalars())


def some_listings(tenant_id: int, listing_ids: list[int]) -> list[Listing]:
    """These listings (the rows a page shows), those of this tenant."""
    if not listing_ids:
        return []
    return list(db.session.execute(select(Listing).options(selectinload(Listing.product)).where(
        Listing.tenant_id == tenant_id, Listing.id.in_(listing_ids)).order_by(Listing.id.desc())).scalars())


def _escaped(text: str) -> str:
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
