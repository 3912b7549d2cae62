"""Recording verified Shopify deliveries and queueing them, as fast as durability allows.

A delivery is acknowledged only once its row is committed and its job queued: nothing
Shopify believes delivered can be lost. Recording is an INSERT ... ON CONFLICT DO
NOTHING on (platform, event id), so a duplicate delivery is acknowledged and never
applied twice; the tenant is looked up inside the statement. Deliveries that arrive
while another request thread of the process is writing are written together by the
next write (group commit): one statement, one commit and one job for the lot, so a
burst costs far fewer round trips than deliveries.
"""
from __future__ import annotations

import functools
from collections.abc import Sequence

from flask import current_app
from sqlalchemy import bindparam, select

from ..extensions import db
from ..jobs import enqueue
from ..jobs.webhooks import WEBHOOK_RETRY
from ..models import Integration, WebhookEvent, utcnow
from ..models.integration import SHOPIFY
from ..platforms.shopify.webhooks import WebhookDelivery
from .group_commit import GroupCommit
from .sql import dialect_insert

Delivery = tuple[WebhookDelivery, bytes]


def accept_delivery(delivery: WebhookDelivery, body: bytes) -> int | None:
    """Record and queue one verified delivery; returns its event row id, or None for a duplicate."""
    group = current_app.extensions.get("shopsync.webhook_intake")
    if group is None:
        group = current_app.extensions.setdefault("shopsync.webhook_intake", GroupCommit(_record_and_queue))
    return group.submit((delivery, body))


def _record_and_queue(deliveries: Sequence[Delivery]) -> list[int | None]:
    event_ids = record_deliveries(deliveries)
    new = [event_id for event_id in event_ids if event_id is not None]
    if new:
        # One job for what one write recorded, queued in our own pipeline: one round trip to Redis (RQ
        # alone makes two).
        with current_app.extensions["shopsync.redis"].pipeline() as pipeline:
            enqueue("shopsync.jobs.webhooks.process_webhooks", *new, queue_name="high", pipeline=pipeline,
                    retry=WEBHOOK_RETRY)
            pipeline.execute()
    return event_ids


def record_deliveries(deliveries: Sequence[Delivery]) -> list[int | None]:
    """Store verified deliveries in one autocommitted statement; per delivery, its event row id or None
    for a duplicate (of an earlier delivery, or of one before it in the same batch)."""
    received_at = utcnow()
    rows = [{"shop": delivery.shop_domain.lower(), "delivery_id": _delivery_id(delivery),
             "webhook_id": delivery.webhook_id, "topic": delivery.topic, "triggered_at": delivery.triggered_at,
             "received_at": received_at, "payload": body} for delivery, body in deliveries]
    with db.engine.connect() as connection:
        inserted = dict(connection.execution_options(isolation_level="AUTOCOMMIT").execute(
            _record_statement(connection.dialect.name), rows).all())
    # The first delivery of an id in the batch gets its row; any later one is a duplicate.
    return [inserted.pop(row["delivery_id"], None) for row in rows]


def _delivery_id(delivery: WebhookDelivery) -> str:
    return delivery.event_id or delivery.webhook_id


@functools.cache
def _record_statement(dialect_name: str):
    """Built once per dialect, so SQLAlchemy compiles it once too."""
    tenant_id = select(Integration.tenant_id).where(
        Integration.platform == SHOPIFY, Integration.external_id == bindparam("shop")).scalar_subquery()
    columns = ("delivery_id", "webhook_id", "topic", "triggered_at", "received_at", "payload")
    return dialect_insert(dialect_name)(WebhookEvent).values(
        tenant_id=tenant_id, platform=SHOPIFY, shop=bindparam("shop"),
        **{column: bindparam(column, type_=WebhookEvent.__table__.c[column].type) for column in columns},
    ).on_conflict_do_nothing(index_elements=["platform", "delivery_id"]).returning(
        WebhookEvent.delivery_id, WebhookEvent.id)
