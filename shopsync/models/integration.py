"""A connected store: the merchant's Shopify shop or one of their TikTok shops."""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import JSON, CheckConstraint, ForeignKey, LargeBinary, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..extensions import db
from ._types import BigId, TenantOwned, Timestamps, UTCDateTime

SHOPIFY = "shopify"
TIKTOK = "tiktok"

ACTIVE = "active"
NEEDS_REAUTH = "needs_reauth"
DISCONNECTED = "disconnected"
# Appended to the external id of a disconnected TikTok shop that another account has connected since.
RELEASED_MARK = "#released-"


class Credential(TenantOwned, Timestamps, db.Model):
    """The tokens of one grant: a Shopify store's install, or one TikTok seller authorization, shared by
    every shop it covers (so a refresh by one shop serves them all)."""

    __tablename__ = "credentials"
    __table_args__ = (
        UniqueConstraint("tenant_id", "platform", "grant_key"),
        CheckConstraint("platform IN ('shopify', 'tiktok')", name="platform"),
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    platform: Mapped[str] = mapped_column(String(20), nullable=False)
    # Shopify: the shop domain. TikTok: the seller's open_id ("migrated:<id>" for grants stored before it was).
    grant_key: Mapped[str] = mapped_column(String(255), nullable=False)
    # Tokens are Fernet ciphertext from security.tokens.TokenVault, never clear text.
    access_token_encrypted: Mapped[bytes | None] = mapped_column(LargeBinary)
    access_token_expires_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    refresh_token_encrypted: Mapped[bytes | None] = mapped_column(LargeBinary)
    refresh_token_expires_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    updated_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    def __repr__(self) -> str:  # never show tokens
        return f"<Credential {self.id} {self.platform}:{self.grant_key}>"


class Integration(TenantOwned, Timestamps, db.Model):
    __tablename__ = "integrations"
    __table_args__ = (
        UniqueConstraint("platform", "external_id"),
        CheckConstraint("platform IN ('shopify', 'tiktok')", name="platform"),
        CheckConstraint("status IN ('active', 'needs_reauth', 'disconnected')", name="status"),
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    platform: Mapped[str] = mapped_column(String(20), nullable=False)
    external_id: Mapped[str] = mapped_column(String(255), nullable=False)
    name: Mapped[str] = mapped_column(String(255), nullable=False, default="")
    region: Mapped[str | None] = mapped_column(String(10))
    currency: Mapped[str | None] = mapped_column(String(3))
    shop_cipher: Mapped[str | None] = mapped_column(String(255))
    credential_id: Mapped[int | None] = mapped_column(
        BigId, ForeignKey("credentials.id", ondelete="SET NULL"), index=True)
    credential: Mapped[Credential | None] = relationship()
    scopes: Mapped[str | None] = mapped_column(String(1000))
    status: Mapped[str] = mapped_column(String(20), default=ACTIVE, nullable=False)
    status_reason: Mapped[str | None] = mapped_column(String(500))
    # Defaults for links that feed this TikTok shop: see sync.rules.LinkSettings.
    defaults: Mapped[dict] = mapped_column(JSON, default=dict, nullable=False)
    last_import_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # High-water mark of Shopify product updated_at seen, for the incremental safety net.
    catalog_updated_through: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # When the merchant confirmed which Shopify locations feed each TikTok warehouse (docs/engine.md); until
    # then a TikTok shop keeps the old behaviour: the default warehouse computed, the others re-sent as they were.
    warehouses_confirmed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # A TikTok shop's order settings (sync.orders.settings.OrderSettings) and the poll's high-water mark.
    order_settings: Mapped[dict] = mapped_column(JSON, default=dict, nullable=False)
    orders_polled_through: Mapped[datetime | None] = mapped_column(UTCDateTime)
    updated_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    @property
    def is_active(self) -> bool:
        return self.status == ACTIVE

    @property
    def is_released(self) -> bool:
        """This shop is another account's now: this integration only keeps its history."""
        return RELEASED_MARK in self.external_id

    def __repr__(self) -> str:  # never show tokens
        return f"<Integration {self.id} {self.platform}:{self.external_id} {self.status}>"
