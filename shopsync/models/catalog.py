"""The merchant's Shopify catalog as last imported: products, variants, images, stock."""
from __future__ import annotations

from datetime import datetime
from decimal import Decimal

from sqlalchemy import Boolean, ForeignKey, Index, Integer, PrimaryKeyConstraint, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..extensions import db
from ._types import BigId, Money, TenantOwned, UTCDateTime, contains_search_index, integration_fk


class Product(TenantOwned, db.Model):
    __tablename__ = "products"
    __table_args__ = (
        UniqueConstraint("integration_id", "shopify_id"),
        Index("ix_products_tenant_title", "tenant_id", "title"),
        contains_search_index("ix_products_title_search", "title"),
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    integration_id: Mapped[int] = integration_fk()
    shopify_id: Mapped[int] = mapped_column(BigId, nullable=False)
    title: Mapped[str] = mapped_column(String(512), nullable=False)
    handle: Mapped[str | None] = mapped_column(String(512))
    status: Mapped[str] = mapped_column(String(20), nullable=False)
    vendor: Mapped[str | None] = mapped_column(String(255))
    product_type: Mapped[str | None] = mapped_column(String(255))
    shopify_updated_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    variants: Mapped[list["Variant"]] = relationship(
        back_populates="product", order_by="Variant.position", passive_deletes=True)
    images: Mapped[list["Image"]] = relationship(order_by="Image.position", passive_deletes=True)


class DeletedProduct(TenantOwned, db.Model):
    """A product Shopify deleted. Shopify never reuses a product id, so any later webhook or
    export row for it is older than the deletion and must not bring the product back."""

    __tablename__ = "deleted_products"
    __table_args__ = (
        PrimaryKeyConstraint("integration_id", "shopify_id"),
        Index("ix_deleted_products_deleted_at", "deleted_at"),
    )

    integration_id: Mapped[int] = mapped_column(BigId, ForeignKey("integrations.id", ondelete="CASCADE"))
    shopify_id: Mapped[int] = mapped_column(BigId)
    deleted_at: Mapped[datetime] = mapped_column(UTCDateTime, nullable=False)


class Variant(TenantOwned, db.Model):
    __tablename__ = "variants"
    __table_args__ = (
        UniqueConstraint("integration_id", "shopify_id"),
        Index("ix_variants_tenant_sku", "tenant_id", "sku"),
        Index("ix_variants_tenant_barcode", "tenant_id", "barcode"),
        Index("ix_variants_integration_inventory_item", "integration_id", "inventory_item_id"),
        contains_search_index("ix_variants_sku_search", "sku"),
        contains_search_index("ix_variants_barcode_search", "barcode"),
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    integration_id: Mapped[int] = integration_fk()
    product_id: Mapped[int] = mapped_column(BigId, ForeignKey("products.id", ondelete="CASCADE"),
                                            index=True, nullable=False)
    shopify_id: Mapped[int] = mapped_column(BigId, nullable=False)
    title: Mapped[str] = mapped_column(String(512), nullable=False, default="")
    sku: Mapped[str | None] = mapped_column(String(255))
    barcode: Mapped[str | None] = mapped_column(String(255))
    price: Mapped[Decimal] = mapped_column(Money, nullable=False)
    compare_at_price: Mapped[Decimal | None] = mapped_column(Money)
    inventory_item_id: Mapped[int | None] = mapped_column(BigId)
    inventory_quantity: Mapped[int | None] = mapped_column(Integer)
    # Whether Shopify counts this variant's stock (inventoryItem.tracked) and whether it keeps selling
    # when that stock runs out (inventoryPolicy: deny | continue); None until imported.
    inventory_tracked: Mapped[bool | None] = mapped_column(Boolean)
    inventory_policy: Mapped[str | None] = mapped_column(String(10))
    position: Mapped[int] = mapped_column(Integer, default=1, nullable=False)
    shopify_updated_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    product: Mapped[Product] = relationship(back_populates="variants")

    @property
    def sells_without_stock(self) -> bool:
        """Shopify sells it whatever its stock: not tracked, or set to continue selling when out of stock."""
        return self.inventory_tracked is False or self.inventory_policy == "continue"


class Image(TenantOwned, db.Model):
    __tablename__ = "images"
    __table_args__ = (UniqueConstraint("product_id", "shopify_id"),)

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    product_id: Mapped[int] = mapped_column(BigId, ForeignKey("products.id", ondelete="CASCADE"),
                                            index=True, nullable=False)
    shopify_id: Mapped[int] = mapped_column(BigId, nullable=False)
    url: Mapped[str] = mapped_column(Text, nullable=False)
    alt: Mapped[str | None] = mapped_column(String(512))
    position: Mapped[int] = mapped_column(Integer, nullable=False)


class Location(TenantOwned, db.Model):
    __tablename__ = "locations"
    __table_args__ = (UniqueConstraint("integration_id", "shopify_id"),)

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    integration_id: Mapped[int] = integration_fk()
    shopify_id: Mapped[int] = mapped_column(BigId, nullable=False)
    name: Mapped[str] = mapped_column(String(255), nullable=False)
    is_active: Mapped[bool] = mapped_column(Boolean, default=True, nullable=False)


class InventoryLevel(TenantOwned, db.Model):
    """Stock available for one inventory item at one Shopify location."""

    __tablename__ = "inventory_levels"
    __table_args__ = (
        UniqueConstraint("integration_id", "inventory_item_id", "location_id"),
        Index("ix_inventory_levels_tenant_item", "tenant_id", "inventory_item_id"),  # the products page's stock
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    integration_id: Mapped[int] = integration_fk()
    inventory_item_id: Mapped[int] = mapped_column(BigId, nullable=False)
    location_id: Mapped[int] = mapped_column(BigId, nullable=False)  # Shopify's location id
    available: Mapped[int] = mapped_column(Integer, nullable=False)
    shopify_updated_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # When this level was last read back from Shopify (a webhook's time could not order it); cleared whenever
    # its quantity changes, so while set the row holds Shopify's quantity as of that moment or later.
    read_back_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
