"""Which Shopify locations feed each seller warehouse of a TikTok shop (docs/engine.md, Warehouses)."""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import JSON, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from ..extensions import db
from ._types import BigId, TenantOwned, UTCDateTime, integration_fk


class WarehouseMapping(TenantOwned, db.Model):
    """One seller warehouse of a TikTok shop and the Shopify location ids whose stock it gets.

    location_ids None: the link's chosen locations (every active location unless the link names some);
    an empty list: no location, so the warehouse gets 0.
    """

    __tablename__ = "warehouse_mappings"
    __table_args__ = (UniqueConstraint("integration_id", "warehouse_id"),)

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    integration_id: Mapped[int] = integration_fk()  # the TikTok shop
    warehouse_id: Mapped[str] = mapped_column(String(64), nullable=False)  # TikTok's warehouse id
    location_ids: Mapped[list | None] = mapped_column(JSON)
    updated_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
