"""The products page's data: the merchant's Shopify catalog, searched and paged by keyset.

Keyset paging on (title, id) walks the (tenant_id, title) index, so page 200
costs what page 1 costs, however large the catalog.
"""
from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy import exists, or_, select, tuple_

from ...extensions import db
from ...inputs import InvalidInput
from ...inputs import decode_cursor as decode_position
from ...inputs import encode_cursor as encode_position
from ...models import Image, Integration, InventoryLevel, Location, Product, SyncRun, Variant
from ...models.integration import SHOPIFY

PAGE_SIZE = 50
STATUSES = ("active", "draft", "archived")


@dataclass
class VariantLine:
    variant: Variant
    stock: dict[int, int]  # Shopify location id -> available

    @property
    def total_stock(self) -> int:
        return sum(self.stock.values())


@dataclass
class ProductEntry:
    product: Product
    images: list[Image] = field(default_factory=list)
    variants: list[VariantLine] = field(default_factory=list)


@dataclass
class ProductPage:
    entries: list[ProductEntry]
    locations: list[Location]
    next_cursor: str | None


def encode_cursor(title: str, product_id: int) -> str:
    return encode_position([title, product_id])


def decode_cursor(cursor: str | None) -> tuple[str, int] | None:
    """The (title, id) a page continues after; None for the first page. Raises InvalidInput."""
    if not cursor:
        return None
    try:
        title, product_id = decode_position(cursor, (str, int))
    except InvalidInput:
        raise InvalidInput("after is not a position in this list: follow the page links") from None
    return title, product_id


def _like(text: str) -> str:
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


def list_products(tenant_id: int, *, search: str = "", status: str = "", cursor: str | None = None,
                  limit: int = PAGE_SIZE) -> ProductPage:
    query = select(Product).where(Product.tenant_id == tenant_id)
    if status in STATUSES:
        query = query.where(Product.status == status)
    search = search.strip()
    if search:
        query = query.where(or_(
            Product.title.ilike(f"%{_like(search)}%", escape="\\"),
            exists().where(Variant.product_id == Product.id, Variant.tenant_id == tenant_id,
                           Variant.sku.ilike(f"{_like(search)}%", escape="\\"))))
    after = decode_cursor(cursor)
    if after is not None:
        query = query.where(tuple_(Product.title, Product.id) > tuple_(*after))
    products = list(db.session.execute(query.order_by(Product.title, Product.id).limit(limit + 1)).scalars())
    next_cursor = encode_cursor(products[limit - 1].title, products[limit - 1].id) if len(products) > limit else None
    entries = {product.id: ProductEntry(product) for product in products[:limit]}

    if entries:
        ids = list(entries)
        for image in db.session.execute(select(Image).where(Image.tenant_id == tenant_id, Image.product_id.in_(ids))
                                        .order_by(Image.product_id, Image.position)).scalars():
            entries[image.product_id].images.append(image)
        variants = list(db.session.execute(select(Variant).where(
            Variant.tenant_id == tenant_id, Variant.product_id.in_(ids)).order_by(
            Variant.product_id, Variant.position, Variant.id)).scalars())
        stock: dict[int, dict[int, int]] = defaultdict(dict)
        items = [v.inventory_item_id for v in variants if v.inventory_item_id is not None]
        if items:
            for item_id, location_id, available in db.session.execute(select(
                    InventoryLevel.inventory_item_id, InventoryLevel.location_id, InventoryLevel.available).where(
                    InventoryLevel.tenant_id == tenant_id, InventoryLevel.inventory_item_id.in_(items))):
                stock[item_id][location_id] = available
        for variant in variants:
            entries[variant.product_id].variants.append(VariantLine(variant, stock.get(variant.inventory_item_id, {})))

    locations = list(db.session.execute(select(Location).where(Location.tenant_id == tenant_id)
                                        .order_by(Location.name)).scalars())
    return ProductPage(list(entries.values()), locations, next_cursor)


@dataclass
class ImportStatus:
    integration: Integration | None
    last_import_at: datetime | None
    latest_run: SyncRun | None


def import_status(tenant_id: int) -> ImportStatus:
    integration = db.session.execute(select(Integration).where(
        Integration.tenant_id == tenant_id, Integration.platform == SHOPIFY)
        .order_by(Integration.id).limit(1)).scalar_one_or_none()
    run = db.session.execute(select(SyncRun).where(SyncRun.tenant_id == tenant_id, SyncRun.kind == "import")
                             .order_by(SyncRun.id.desc()).limit(1)).scalar_one_or_none()
    return ImportStatus(integration, integration.last_import_at if integration else None, run)
