"""Publishing Shopify products to TikTok Shop: per-shop readiness, category templates, listings, uploaded
images and the category facts TikTok publishes (rules and attributes), cached per category."""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import JSON, Boolean, CheckConstraint, ForeignKey, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..extensions import db
from ._types import BigId, TenantOwned, Timestamps, UTCDateTime, utcnow
from .catalog import Product

DRAFT = "draft"              # built, not yet checked or waiting for the merchant
BLOCKED = "blocked"          # TikTok's listing check (or ours) found problems: nothing was submitted
QUEUED = "queued"            # checked; waits for the shop to be ready or for the daily listing quota
SUBMITTING = "submitting"    # the create call is (or was, before a crash) under way with this idempotency key
PENDING = "pending"          # created; TikTok's audit is under way
LIVE = "live"                # approved and on sale
FAILED = "failed"            # TikTok's audit rejected it: see audit_reasons, fix, resubmit
TIKTOK_DRAFT = "tiktok_draft"  # saved as a draft on TikTok (save as draft)
STATES = (DRAFT, BLOCKED, QUEUED, SUBMITTING, PENDING, LIVE, FAILED, TIKTOK_DRAFT)


class ListingShop(TenantOwned, db.Model):
    """What publishing knows about one TikTok shop: readiness, quota and publishing options."""

    __tablename__ = "listing_shops"

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    tiktok_integration_id: Mapped[int] = mapped_column(
        BigId, ForeignKey("integrations.id", ondelete="CASCADE"), unique=True, nullable=False)
    # TikTok's listing prerequisites as last read: [{item, failed, reasons}]
    checks: Mapped[list] = mapped_column(JSON, default=list, nullable=False)
    checked_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    daily_limit: Mapped[int] = mapped_column(Integer, default=100, nullable=False)
    # Set when TikTok said the day's listing limit is reached: nothing is submitted before then.
    quota_resets_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    keep_content_in_step: Mapped[bool] = mapped_column(Boolean, default=False, nullable=False)
    # Package weight and dimensions for products Shopify has none for: see CategoryTemplate.package
    package_defaults: Mapped[dict] = mapped_column(JSON, default=dict, nullable=False)

    @property
    def failed_checks(self) -> list[dict]:
        return [check for check in self.checks or [] if check.get("failed")]


class CategoryTemplate(TenantOwned, Timestamps, db.Model):
    """A rule that picks the TikTok category, brand and attribute values for the products it matches."""

    __tablename__ = "category_templates"
    __table_args__ = (
        CheckConstraint("match_field IN ('product_type', 'vendor', 'tag', 'collection', 'any')", name="match_field"),
        Index("ix_category_templates_shop_position", "tiktok_integration_id", "position"),
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    tiktok_integration_id: Mapped[int] = mapped_column(
        BigId, ForeignKey("integrations.id", ondelete="CASCADE"), nullable=False)
    name: Mapped[str] = mapped_column(String(120), nullable=False)
    position: Mapped[int] = mapped_column(Integer, default=0, nullable=False)
    match_field: Mapped[str] = mapped_column(String(20), nullable=False)
    match_value: Mapped[str] = mapped_column(String(255), nullable=False, default="")
    category_id: Mapped[str | None] = mapped_column(String(32))  # None: take TikTok's recommendation
    category_path: Mapped[str | None] = mapped_column(String(500))
    brand_id: Mapped[str | None] = mapped_column(String(64))
    # [{attribute_id, source: value|option|metafield|field, value}]: where each attribute's value comes from
    attribute_rules: Mapped[list] = mapped_column(JSON, default=list, nullable=False)
    # Defaults when Shopify has none: {weight_value, weight_unit, length, width, height, dimension_unit}
    package: Mapped[dict] = mapped_column(JSON, default=dict, nullable=False)


class Listing(TenantOwned, Timestamps, db.Model):
    """One Shopify product's publication to one TikTok shop."""

    __tablename__ = "listings"
    __table_args__ = (
        UniqueConstraint("tiktok_integration_id", "product_id"),
        CheckConstraint("state IN ('draft', 'blocked', 'queued', 'submitting', 'pending', 'live', 'failed', "
                        "'tiktok_draft')", name="state"),
        Index("ix_listings_tenant_state", "tenant_id", "state"),
        Index("ix_listings_shop_state", "tiktok_integration_id", "state", "queued_at"),
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    product_id: Mapped[int] = mapped_column(BigId, ForeignKey("products.id", ondelete="CASCADE"), nullable=False)
    tiktok_integration_id: Mapped[int] = mapped_column(
        BigId, ForeignKey("integrations.id", ondelete="CASCADE"), nullable=False)
    template_id: Mapped[int | None] = mapped_column(BigId, ForeignKey("category_templates.id", ondelete="SET NULL"))
    state: Mapped[str] = mapped_column(String(20), default=DRAFT, nullable=False)
    save_as_draft: Mapped[bool] = mapped_column(Boolean, default=False, nullable=False)
    category_id: Mapped[str | None] = mapped_column(String(32))
    category_path: Mapped[str | None] = mapped_column(String(500))
    brand_id: Mapped[str | None] = mapped_column(String(64))
    # Values the merchant picked by hand, by attribute id: [{id, name}] entries; they win over the template.
    chosen_attributes: Mapped[dict] = mapped_column(JSON, default=dict, nullable=False)
    # [{field, message, fix, code}] in the merchant's words: ours and TikTok's listing check
    problems: Mapped[list] = mapped_column(JSON, default=list, nullable=False)
    advice: Mapped[list] = mapped_column(JSON, default=list, nullable=False)  # TikTok's diagnoses, not blocking
    body: Mapped[dict | None] = mapped_column(JSON)  # what was (or will be) sent to TikTok
    idempotency_key: Mapped[str | None] = mapped_column(String(64))
    tiktok_product_id: Mapped[str | None] = mapped_column(String(64))
    audit_reasons: Mapped[list] = mapped_column(JSON, default=list, nullable=False)
    run_id: Mapped[int | None] = mapped_column(BigId, ForeignKey("sync_runs.id", ondelete="SET NULL"))
    checked_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    queued_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    submitted_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    decided_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    updated_at: Mapped[datetime | None] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)
    # Says which mandatory attributes TikTok changed since this listing was checked.
    attention: Mapped[str | None] = mapped_column(Text)

    product: Mapped[Product] = relationship()


class ListingImage(TenantOwned, db.Model):
    """An image uploaded to TikTok once, found again by its content's hash."""

    __tablename__ = "listing_images"
    __table_args__ = (UniqueConstraint("tiktok_integration_id", "content_hash", "use_case"),)

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    tiktok_integration_id: Mapped[int] = mapped_column(
        BigId, ForeignKey("integrations.id", ondelete="CASCADE"), nullable=False)
    content_hash: Mapped[str] = mapped_column(String(64), nullable=False)
    use_case: Mapped[str] = mapped_column(String(30), nullable=False)
    uri: Mapped[str] = mapped_column(String(255), nullable=False)
    url: Mapped[str] = mapped_column(Text, nullable=False, default="")
    width: Mapped[int] = mapped_column(Integer, nullable=False, default=0)
    height: Mapped[int] = mapped_column(Integer, nullable=False, default=0)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, nullable=False)


class CategoryFacts(TenantOwned, db.Model):
    """A category's rules and attributes as TikTok last published them for a shop."""

    __tablename__ = "listing_category_facts"
    __table_args__ = (UniqueConstraint("tiktok_integration_id", "category_id"),)

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    tiktok_integration_id: Mapped[int] = mapped_column(
        BigId, ForeignKey("integrations.id", ondelete="CASCADE"), nullable=False)
    category_id: Mapped[str] = mapped_column(String(32), nullable=False)
    fingerprint: Mapped[str] = mapped_column(String(64), nullable=False)  # of the required attributes
    rules: Mapped[dict] = mapped_column(JSON, default=dict, nullable=False)
    attributes: Mapped[list] = mapped_column(JSON, default=list, nullable=False)
    fetched_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, nullable=False)
