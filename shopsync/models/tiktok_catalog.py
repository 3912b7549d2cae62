"""The TikTok Shop catalog of each connected TikTok shop, as last imported or pushed."""
from __future__ import annotations

from datetime import datetime
from decimal import Decimal

from sqlalchemy import JSON, Boolean, ForeignKey, Index, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..extensions import db
from ._types import BigId, Money, TenantOwned, UTCDateTime, contains_search_index, integration_fk


class TikTokProduct(TenantOwned, db.Model):
    __tablename__ = "tiktok_products"
    __table_args__ = (UniqueConstraint("integration_id", "tiktok_id"),)

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    integration_id: Mapped[int] = integration_fk()
    tiktok_id: Mapped[str] = mapped_column(String(64), nullable=False)
    title: Mapped[str] = mapped_column(String(512), nullable=False, default="")
    status: Mapped[str | None] = mapped_column(String(40))
    tiktok_updated_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    skus: Mapped[list["TikTokSku"]] = relationship(back_populates="product", passive_deletes=True)


class TikTokSku(TenantOwned, db.Model):
    __tablename__ = "tiktok_skus"
    __table_args__ = (
        UniqueConstraint("integration_id", "tiktok_id"),
        Index("ix_tiktok_skus_tenant_seller_sku", "tenant_id", "seller_sku"),
        contains_search_index("ix_tiktok_skus_seller_sku_search", "seller_sku"),
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    integration_id: Mapped[int] = integration_fk()
    product_id: Mapped[int] = mapped_column(BigId, ForeignKey("tiktok_products.id", ondelete="CASCADE"),
                                            index=True, nullable=False)
    tiktok_id: Mapped[str] = mapped_column(String(64), nullable=False)
    seller_sku: Mapped[str | None] = mapped_column(String(255))
    barcode: Mapped[str | None] = mapped_column(String(255))
    price: Mapped[Decimal | None] = mapped_column(Money)
    currency: Mapped[str | None] = mapped_column(String(3))
    # {warehouse_id: quantity} as TikTok reported it
    inventory: Mapped[dict] = mapped_column(JSON, default=dict, nullable=False)

    product: Mapped[TikTokProduct] = relationship(back_populates="skus")

    @property
    def total_quantity(self) -> int:
        return sum(int(quantity) for quantity in (self.inventory or {}).values())


class TikTokWarehouse(TenantOwned, db.Model):
    __tablename__ = "tiktok_warehouses"
    __table_args__ = (UniqueConstraint("integration_id", "tiktok_id"),)

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    integration_id: Mapped[int] = integration_fk()
    tiktok_id: Mapped[str] = mapped_column(String(64), nullable=False)
    name: Mapped[str] = mapped_column(String(255), nullable=False, default="")
    type: Mapped[str | None] = mapped_column(String(40))
    sub_type: Mapped[str | None] = mapped_column(String(40))
    is_default: Mapped[bool] = mapped_column(Boolean, default=False, nullable=False)
    enabled: Mapped[bool] = mapped_column(Boolean, default=True, nullable=False)
