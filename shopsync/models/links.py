"""A link feeds one TikTok SKU from one Shopify variant, with its own rules."""
from __future__ import annotations

from datetime import datetime
from decimal import Decimal

from sqlalchemy import JSON, Boolean, CheckConstraint, ForeignKey, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..extensions import db
from ._types import BigId, Money, TenantOwned, Timestamps, UTCDateTime
from .catalog import Variant
from .tiktok_catalog import TikTokSku

OK = "ok"
PENDING = "pending"
ERROR = "error"
ORPHANED = "orphaned"  # its Shopify variant or TikTok SKU is gone; rules and history kept for a relink
NEEDS_CONFIRMATION = "needs_confirmation"  # a price outside the guard rails waits for the merchant
STATES = (OK, PENDING, ERROR, ORPHANED, NEEDS_CONFIRMATION)


class ProductLink(TenantOwned, Timestamps, db.Model):
    __tablename__ = "product_links"
    __table_args__ = (
        CheckConstraint("state IN ('ok', 'pending', 'error', 'orphaned', 'needs_confirmation')", name="state"),
        Index("ix_product_links_tenant_state", "tenant_id", "state"),
        Index("ix_product_links_dirty", "tiktok_integration_id", "dirty"),
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    # Null once that side was deleted: the link is then orphaned (see orphaned_reason), never deleted with it.
    variant_id: Mapped[int | None] = mapped_column(BigId, ForeignKey("variants.id", ondelete="SET NULL"),
                                                   index=True)
    tiktok_sku_id: Mapped[int | None] = mapped_column(BigId, ForeignKey("tiktok_skus.id", ondelete="SET NULL"),
                                                      unique=True)
    shopify_integration_id: Mapped[int] = mapped_column(
        BigId, ForeignKey("integrations.id", ondelete="CASCADE"), index=True, nullable=False)
    tiktok_integration_id: Mapped[int] = mapped_column(
        BigId, ForeignKey("integrations.id", ondelete="CASCADE"), nullable=False)

    # Per-link settings; None means "use the TikTok integration's default".
    sync_price: Mapped[bool | None] = mapped_column(Boolean)
    sync_inventory: Mapped[bool | None] = mapped_column(Boolean)
    price_multiplier: Mapped[Decimal | None] = mapped_column(Money)
    price_offset: Mapped[Decimal | None] = mapped_column(Money)
    price_rounding: Mapped[str | None] = mapped_column(String(20))
    currency_rate: Mapped[Decimal | None] = mapped_column(Money)
    location_ids: Mapped[list | None] = mapped_column(JSON)
    inventory_buffer: Mapped[int | None] = mapped_column(Integer)
    inventory_cap: Mapped[int | None] = mapped_column(Integer)
    schedule: Mapped[str | None] = mapped_column(String(20))
    untracked_stock: Mapped[str | None] = mapped_column(String(10))
    untracked_quantity: Mapped[int | None] = mapped_column(Integer)
    min_price: Mapped[Decimal | None] = mapped_column(Money)
    max_price_drop: Mapped[Decimal | None] = mapped_column(Money)  # percent
    paused: Mapped[bool] = mapped_column(Boolean, default=False, nullable=False)

    state: Mapped[str] = mapped_column(String(20), default=PENDING, nullable=False)
    # Dirty links have Shopify changes not yet pushed. change_seq is bumped on every
    # marking so a flush only clears the marks it actually pushed.
    dirty: Mapped[bool] = mapped_column(Boolean, default=True, nullable=False)
    change_seq: Mapped[int] = mapped_column(Integer, default=0, nullable=False)
    last_pushed_price: Mapped[Decimal | None] = mapped_column(Money)
    last_pushed_quantity: Mapped[int | None] = mapped_column(Integer)
    last_synced_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    next_sync_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    last_error: Mapped[str | None] = mapped_column(Text)
    last_error_class: Mapped[str | None] = mapped_column(String(20))
    updated_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # A price held by the guard rails (state needs_confirmation): TikTok's price then and the rules' price;
    # confirmed_price is the one the merchant allowed, pushed once even though it is outside them.
    held_price_before: Mapped[Decimal | None] = mapped_column(Money)
    held_price: Mapped[Decimal | None] = mapped_column(Money)
    confirmed_price: Mapped[Decimal | None] = mapped_column(Money)
    orphaned_reason: Mapped[str | None] = mapped_column(Text)
    orphaned_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    variant: Mapped[Variant | None] = relationship()
    tiktok_sku: Mapped[TikTokSku | None] = relationship()
