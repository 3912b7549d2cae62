"""TikTok Shop orders on their way into Shopify: lines, what happened to them, their shipments.

An order is recorded once per TikTok shop and TikTok order id. Its lines hold the
units of linked SKUs until Shopify has the order and ShopSync has stored Shopify's
stock after it (`released_at`); see docs/engine.md. No buyer name, address or
e-mail is stored: the Shopify order is built from TikTok's current detail each time.
"""
from __future__ import annotations

from datetime import datetime
from decimal import Decimal

from sqlalchemy import (JSON, BigInteger, Boolean, CheckConstraint, ForeignKey, Index, Integer, String, Text,
                        UniqueConstraint)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..extensions import db
from ._types import BigId, Money, TenantOwned, Timestamps, UTCDateTime, utcnow

# Where ShopSync is with an order (TikTok's own status is kept beside it in tiktok_status).
AWAITING_PAYMENT = "awaiting_payment"  # UNPAID on TikTok: nothing held, nothing created
SKIPPED = "skipped"  # no line is linked to a Shopify variant
WAITING_HOLD = "waiting_hold"  # the shop waits for TikTok's hold to end before creating
PENDING = "pending"  # to be created in Shopify
CREATING = "creating"  # an attempt started; whether Shopify has it is settled before any other
CREATED = "created"  # Shopify has it
FAILED = "failed"  # Shopify refused it; the merchant's attention is needed
CANCELLED = "cancelled"  # cancelled on TikTok (and in Shopify, restocked, when it was created)
ORDER_STATES = (AWAITING_PAYMENT, SKIPPED, WAITING_HOLD, PENDING, CREATING, CREATED, FAILED, CANCELLED)
# States whose lines hold units until released_at is set.
HOLDING_STATES = (WAITING_HOLD, PENDING, CREATING, CREATED, FAILED)

FULFILLED_BY_TIKTOK = "FULFILLMENT_BY_TIKTOK"

# A Shopify fulfilment on its way to TikTok as a shipped package.
SHIPMENT_PENDING = "pending"
SHIPMENT_SHIPPED = "shipped"
SHIPMENT_ATTENTION = "attention"
SHIPMENT_CANCELLED = "cancelled"
SHIPMENT_STATES = (SHIPMENT_PENDING, SHIPMENT_SHIPPED, SHIPMENT_ATTENTION, SHIPMENT_CANCELLED)


def _in(column: str, values: tuple[str, ...]) -> str:
    return f"{column} IN (" + ", ".join(f"'{value}'" for value in values) + ")"


class Order(TenantOwned, Timestamps, db.Model):
    __tablename__ = "orders"
    __table_args__ = (
        UniqueConstraint("tiktok_integration_id", "tiktok_order_id"),
        CheckConstraint(_in("state", ORDER_STATES), name="state"),
        Index("ix_orders_tenant_created", "tenant_id", "created_at"),
        Index("ix_orders_tenant_state", "tenant_id", "state"),
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    tiktok_integration_id: Mapped[int] = mapped_column(
        BigId, ForeignKey("integrations.id", ondelete="CASCADE"), index=True, nullable=False)
    shopify_integration_id: Mapped[int | None] = mapped_column(
        BigId, ForeignKey("integrations.id", ondelete="SET NULL"))
    tiktok_order_id: Mapped[str] = mapped_column(String(64), nullable=False)
    tiktok_status: Mapped[str] = mapped_column(String(40), nullable=False)
    tiktok_update_time: Mapped[int] = mapped_column(BigInteger, default=0, nullable=False)
    tiktok_created_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    paid_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    is_on_hold_order: Mapped[bool] = mapped_column(Boolean, default=False, nullable=False)
    fulfillment_type: Mapped[str | None] = mapped_column(String(40))
    shipping_type: Mapped[str | None] = mapped_column(String(20))
    warehouse_id: Mapped[str | None] = mapped_column(String(64))
    delivery_option_id: Mapped[str | None] = mapped_column(String(64))
    currency: Mapped[str | None] = mapped_column(String(3))
    total_amount: Mapped[Decimal | None] = mapped_column(Money)

    state: Mapped[str] = mapped_column(String(20), default=PENDING, nullable=False)
    attempts: Mapped[int] = mapped_column(Integer, default=0, nullable=False)
    attempt_started_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    shopify_order_id: Mapped[int | None] = mapped_column(BigInteger)
    shopify_order_name: Mapped[str | None] = mapped_column(String(64))
    # Whether ShopSync's fulfilment hold is on the Shopify order (TikTok still has it ON_HOLD).
    fulfilment_held: Mapped[bool] = mapped_column(Boolean, default=False, nullable=False)
    shopify_cancelled_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # Shopify has the order and ShopSync stored Shopify's stock after it: the lines hold nothing more.
    released_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    external_reference_saved: Mapped[bool] = mapped_column(Boolean, default=False, nullable=False)
    problem: Mapped[str | None] = mapped_column(Text)
    next_step: Mapped[str | None] = mapped_column(Text)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow, nullable=False)

    lines: Mapped[list["OrderLine"]] = relationship(back_populates="order", order_by="OrderLine.id",
                                                     cascade="all, delete-orphan")
    events: Mapped[list["OrderEvent"]] = relationship(order_by="OrderEvent.id", viewonly=True)
    shipments: Mapped[list["Shipment"]] = relationship(order_by="Shipment.id", viewonly=True)

    @property
    def is_fulfilled_by_tiktok(self) -> bool:
        return self.fulfillment_type == FULFILLED_BY_TIKTOK

    @property
    def holds_units(self) -> bool:
        return self.state in HOLDING_STATES and self.released_at is None and not self.is_fulfilled_by_tiktok

    @property
    def is_settling(self) -> bool:
        """Shopify is creating it or ShopSync is counting its stock: the pages watch it closely."""
        return self.state in (PENDING, CREATING) or (self.state == CREATED and self.holds_units)

    @property
    def held_units(self) -> int:
        """Units of linked lines kept off TikTok's stock until Shopify has counted the order."""
        return sum(line.live_quantity for line in self.lines if line.link_id) if self.holds_units else 0


class OrderLine(TenantOwned, db.Model):
    """The units of one TikTok SKU in an order (TikTok sends one line item per unit: they are grouped)."""

    __tablename__ = "order_lines"
    __table_args__ = (
        UniqueConstraint("order_id", "tiktok_sku_id"),
        Index("ix_order_lines_link", "link_id"),
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    order_id: Mapped[int] = mapped_column(BigId, ForeignKey("orders.id", ondelete="CASCADE"), nullable=False)
    tiktok_sku_id: Mapped[str] = mapped_column(String(64), nullable=False)
    seller_sku: Mapped[str | None] = mapped_column(String(255))
    title: Mapped[str] = mapped_column(String(500), default="", nullable=False)
    link_id: Mapped[int | None] = mapped_column(BigId, ForeignKey("product_links.id", ondelete="SET NULL"))
    # The Shopify store and variant at the time the line was matched (the link may change later).
    shopify_integration_id: Mapped[int | None] = mapped_column(
        BigId, ForeignKey("integrations.id", ondelete="SET NULL"))
    shopify_variant_id: Mapped[int | None] = mapped_column(BigInteger)
    quantity: Mapped[int] = mapped_column(Integer, nullable=False)
    unit_price: Mapped[Decimal | None] = mapped_column(Money)
    # TikTok's line item ids (one per unit): shipping and cancelling name units by them.
    tiktok_line_item_ids: Mapped[list] = mapped_column(JSON, default=list, nullable=False)
    cancelled_line_item_ids: Mapped[list] = mapped_column(JSON, default=list, nullable=False)
    shopify_line_item_id: Mapped[int | None] = mapped_column(BigInteger)
    restocked_quantity: Mapped[int] = mapped_column(Integer, default=0, nullable=False)
    returned_quantity: Mapped[int] = mapped_column(Integer, default=0, nullable=False)

    order: Mapped[Order] = relationship(back_populates="lines")

    @property
    def cancelled_quantity(self) -> int:
        return len(self.cancelled_line_item_ids or ())

    @property
    def live_quantity(self) -> int:
        return self.quantity - self.cancelled_quantity


class OrderEvent(TenantOwned, db.Model):
    """One step in an order's life, as the order's page shows it: what changed, before -> after."""

    __tablename__ = "order_events"
    __table_args__ = (Index("ix_order_events_order", "order_id", "id"),)

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    order_id: Mapped[int] = mapped_column(BigId, ForeignKey("orders.id", ondelete="CASCADE"), nullable=False)
    kind: Mapped[str] = mapped_column(String(40), nullable=False)
    before: Mapped[str | None] = mapped_column(String(255))
    after: Mapped[str | None] = mapped_column(String(255))
    message: Mapped[str | None] = mapped_column(Text)
    request_id: Mapped[str | None] = mapped_column(String(128))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, nullable=False)


class Shipment(TenantOwned, Timestamps, db.Model):
    """A Shopify fulfilment of a TikTok order, sent to TikTok as a shipped package."""

    __tablename__ = "order_shipments"
    __table_args__ = (
        UniqueConstraint("order_id", "shopify_fulfillment_id"),
        CheckConstraint(_in("state", SHIPMENT_STATES), name="state"),
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    order_id: Mapped[int] = mapped_column(BigId, ForeignKey("orders.id", ondelete="CASCADE"), index=True,
                                          nullable=False)
    shopify_fulfillment_id: Mapped[int] = mapped_column(BigInteger, nullable=False)
    carrier: Mapped[str | None] = mapped_column(String(255))
    tracking_number: Mapped[str | None] = mapped_column(String(100))
    # Shopify line item id (as a string: JSON keys) -> units in this fulfilment.
    quantities: Mapped[dict] = mapped_column(JSON, default=dict, nullable=False)
    tiktok_line_item_ids: Mapped[list] = mapped_column(JSON, default=list, nullable=False)
    tiktok_provider_id: Mapped[str | None] = mapped_column(String(64))
    tiktok_package_id: Mapped[str | None] = mapped_column(String(64))
    state: Mapped[str] = mapped_column(String(20), default=SHIPMENT_PENDING, nullable=False)
    problem: Mapped[str | None] = mapped_column(Text)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow, nullable=False)


class CarrierMapping(TenantOwned, db.Model):
    """A Shopify carrier name (as fulfilments carry it) -> the TikTok shipping provider, per TikTok shop."""

    __tablename__ = "carrier_mappings"
    __table_args__ = (UniqueConstraint("tiktok_integration_id", "shopify_carrier"),)

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    tiktok_integration_id: Mapped[int] = mapped_column(
        BigId, ForeignKey("integrations.id", ondelete="CASCADE"), nullable=False)
    shopify_carrier: Mapped[str] = mapped_column(String(255), nullable=False)  # normalised: see carriers.py
    tiktok_provider_id: Mapped[str] = mapped_column(String(64), nullable=False)
    tiktok_provider_name: Mapped[str] = mapped_column(String(255), default="", nullable=False)
