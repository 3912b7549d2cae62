"""What ShopSync did: runs with progress, one log row per operation, webhook deliveries, alerts."""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import (JSON, CheckConstraint, ForeignKey, Index, Integer, LargeBinary, String, Text,
                        UniqueConstraint)
from sqlalchemy.orm import Mapped, mapped_column

from ..extensions import db
from ._types import BigId, TenantOwned, Timestamps, UTCDateTime, utcnow

RUN_KINDS = ("import", "push", "reconcile", "webhook", "publish")
TRIGGERS = ("webhook", "schedule", "manual", "batch", "install")
RUN_STATUSES = ("queued", "running", "succeeded", "failed", "partial")


class SyncRun(TenantOwned, Timestamps, db.Model):
    __tablename__ = "sync_runs"
    __table_args__ = (
        CheckConstraint("kind IN ('import', 'push', 'reconcile', 'webhook', 'publish')", name="kind"),
        CheckConstraint("status IN ('queued', 'running', 'succeeded', 'failed', 'partial')", name="status"),
        Index("ix_sync_runs_tenant_created", "tenant_id", "created_at"),
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    integration_id: Mapped[int | None] = mapped_column(BigId, ForeignKey("integrations.id", ondelete="CASCADE"))
    kind: Mapped[str] = mapped_column(String(20), nullable=False)
    trigger: Mapped[str] = mapped_column(String(20), nullable=False)
    status: Mapped[str] = mapped_column(String(20), default="queued", nullable=False)
    dry_run: Mapped[bool] = mapped_column(default=False, nullable=False)
    total: Mapped[int] = mapped_column(Integer, default=0, nullable=False)
    done: Mapped[int] = mapped_column(Integer, default=0, nullable=False)
    failed: Mapped[int] = mapped_column(Integer, default=0, nullable=False)
    skipped: Mapped[int] = mapped_column(Integer, default=0, nullable=False)
    message: Mapped[str | None] = mapped_column(Text)
    started_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    finished_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    @property
    def percent(self) -> int:
        if not self.total:
            return 100 if self.finished_at else 0
        return min(100, int(100 * (self.done + self.failed + self.skipped) / self.total))

    @property
    def is_finished(self) -> bool:
        return self.status in ("succeeded", "failed", "partial")


class SyncLog(TenantOwned, db.Model):
    """One operation on one link: a price or stock value pushed (or not) to TikTok."""

    __tablename__ = "sync_logs"
    __table_args__ = (
        CheckConstraint("result IN ('ok', 'error', 'skipped')", name="result"),
        Index("ix_sync_logs_tenant_created", "tenant_id", "created_at"),
        Index("ix_sync_logs_link", "link_id"),
        Index("ix_sync_logs_run", "run_id"),
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    run_id: Mapped[int | None] = mapped_column(BigId, ForeignKey("sync_runs.id", ondelete="CASCADE"))
    link_id: Mapped[int | None] = mapped_column(BigId, ForeignKey("product_links.id", ondelete="SET NULL"))
    product_id: Mapped[int | None] = mapped_column(BigId, ForeignKey("products.id", ondelete="SET NULL"))
    field: Mapped[str] = mapped_column(String(20), nullable=False)  # price | inventory
    before: Mapped[str | None] = mapped_column(String(64))
    after: Mapped[str | None] = mapped_column(String(64))
    result: Mapped[str] = mapped_column(String(10), nullable=False)
    trigger: Mapped[str | None] = mapped_column(String(20))
    request_id: Mapped[str | None] = mapped_column(String(128))
    error_class: Mapped[str | None] = mapped_column(String(20))
    error_message: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, nullable=False)


class WebhookEvent(db.Model):
    """A webhook delivery as received; the unique delivery id makes duplicates harmless."""

    __tablename__ = "webhook_events"
    __table_args__ = (
        UniqueConstraint("platform", "delivery_id"),
        Index("ix_webhook_events_received", "received_at"),
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    # Null until matched to a tenant (a delivery for an unknown shop is kept, then dropped).
    tenant_id: Mapped[int | None] = mapped_column(BigId, ForeignKey("tenants.id", ondelete="CASCADE"), index=True)
    platform: Mapped[str] = mapped_column(String(20), nullable=False)
    delivery_id: Mapped[str] = mapped_column(String(128), nullable=False)  # X-Shopify-Event-Id
    webhook_id: Mapped[str | None] = mapped_column(String(128))  # X-Shopify-Webhook-Id
    topic: Mapped[str] = mapped_column(String(100), nullable=False)
    shop: Mapped[str] = mapped_column(String(255), nullable=False)
    triggered_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    received_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, nullable=False)
    processed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    outcome: Mapped[str | None] = mapped_column(String(40))
    # Attempts at applying it, counted as each starts; why the last one failed (and, with outcome
    # "failed", why it was given up).
    attempts: Mapped[int] = mapped_column(Integer, default=0, server_default="0", nullable=False)
    failure: Mapped[str | None] = mapped_column(Text)
    # Kept until processed so a lost queue can be rebuilt from the database.
    payload: Mapped[bytes | None] = mapped_column(LargeBinary)


class Alert(TenantOwned, db.Model):
    """An email sent (or held for the digest) about one kind of failure."""

    __tablename__ = "alerts"
    __table_args__ = (Index("ix_alerts_tenant_kind_key", "tenant_id", "kind", "subject_key"),)

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    kind: Mapped[str] = mapped_column(String(40), nullable=False)
    subject_key: Mapped[str] = mapped_column(String(255), nullable=False)
    state: Mapped[str] = mapped_column(String(20), nullable=False)  # failing | recovered
    recipient: Mapped[str | None] = mapped_column(String(320))
    summary: Mapped[str] = mapped_column(Text, nullable=False)
    details: Mapped[dict] = mapped_column(JSON, default=dict, nullable=False)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, nullable=False)
    sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime)  # when its email was (or is being) sent
    send_failed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)  # that email could not be sent
    send_error: Mapped[str | None] = mapped_column(Text)
