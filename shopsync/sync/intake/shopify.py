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
from sqlalchemy import Connection, Engine, bindparam, select
from sqlalchemy.exc import DBAPIError

from ...extensions import db
from ...jobs import enqueue
from ...jobs.webhooks import WEBHOOK_RETRY
from ...models import Integration, WebhookEvent, utcnow
from ...models.integration import SHOPIFY
from ...platforms.shopify.webhooks import WebhookDelivery
from .group_commit import GroupCommit
from ..sql import dialect_insert

Delivery = tuple[WebhookDelivery, bytes]


def accept_delivery(delivery: WebhookDelivery, body: bytes) -> int | None:
    """Record and queue one verified delivery; returns its event row id, or None for a duplicate."""
    group = current_app.extensions.get("shopsync.webhook_intake")
    if group is None:
        group = current_app.extensions.setdefault("shopsync.webhook_intake", GroupCommit(_IntakeWriter(db.engine)))
    return group.submit((delivery, body))


class _IntakeWriter:
    """Writes the group commit's batches on a connection of its own.

    The group commit runs one write at a time per process, so one connection is all it
    needs; holding it spares every write a pool checkout, a liveness ping and two
    isolation-level switches, which cost as much client CPU as the INSERT itself.
    """

    def __init__(self, engine: Engine):
        self._engine = engine
        self._connection: Connection | None = None

    def __call__(self, deliveries: Sequence[Delivery]) -> list[int | None]:
        event_ids = self._record(deliveries)
        new = [event_id for event_id in event_ids if event_id is not None]
        if new:
            # One job for what one write recorded, queued in our own pipeline: one round trip to Redis (RQ
            # alone makes two).
            with current_app.extensions["shopsync.redis"].pipeline() as pipeline:
                enqueue("shopsync.jobs.webhooks.process_webhooks", *new, queue_name="high", pipeline=pipeline,
                        retry=WEBHOOK_RETRY)
                pipeline.execute()
        return event_ids

    def _record(self, deliveries: Sequence[Delivery]) -> list[int | None]:
        try:
            return record_deliveries(self._open(), deliveries)
        except DBAPIError as error:
            self._connection.close()
            self._connection = None
            if not error.connection_invalidated:
                raise
        # The server dropped the connection while it sat idle (a restart, a failover): one more
        # try on a new one. The statement is idempotent, so sending it again is safe.
        return record_deliveries(self._open(), deliveries)

    def _open(self) -> Connection:
        if self._connection is None:
            self._connection = self._engine.connect().execution_options(isolation_level="AUTOCOMMIT")
        return self._connection


def record_deliveries(connection: Connection, deliveries: Sequence[Delivery]) -> list[int | None]:
    """Store verified deliveries in one statement on an autocommit connection; per delivery, its
    event row id or None for a duplicate (of an earlier delivery, or of one before it in the same batch)."""
    received_at = utcnow()
    rows = [{"shop": delivery.shop_domain.lower(), "delivery_id": _delivery_id(delivery),
             "webhook_id": delivery.webhook_id, "topic": delivery.topic, "triggered_at": delivery.triggered_at,
             "received_at": received_at, "payload": body} for delivery, body in deliveries]
    inserted = dict(connection.execute(_record_statement(connection.dialect.name), rows).all())
    # The first delivery of an id in the batch gets its row; any later one is a duplicate.
    return [inserted.pop(row["delivery_id"], None) for row in rows]


def record_refused(delivery: WebhookDelivery, outcome: str) -> None:
    """Keep a signed delivery that was refused, already processed, so the refusal shows in the record."""
    shop = delivery.shop_domain.lower()
    values = {"tenant_id": _tenant_of_shop(shop).scalar_subquery(), "platform": SHOPIFY, "shop": shop, "delivery_id": _delivery_id(delivery),
              "webhook_id": delivery.webhook_id, "topic": delivery.topic, "triggered_at": delivery.triggered_at,
              "received_at": utcnow(), "processed_at": utcnow(), "outcome": outcome}
    db.session.execute(dialect_insert(db.engine.dialect.name)(WebhookEvent).values(**values)
                       .on_conflict_do_nothing(index_elements=["platform", "delivery_id"]))
    db.session.commit()


def _tenant_of_shop(shop=bindparam("shop")):
    return select(Integration.tenant_id).where(Integration.platform == SHOPIFY, Integration.external_id == shop)


def _delivery_id(delivery: WebhookDelivery) -> str:
    return delivery.event_id or delivery.webhook_id


@functools.cache
def _record_statement(dialect_name: str):
    """Built once per dialect, so SQLAlchemy compiles it once too."""
    tenant_id = _tenant_of_shop().scalar_subquery()
    columns = ("delivery_id", "webhook_id", "topic", "triggered_at", "received_at", "payload")
    return dialect_insert(dialect_name)(WebhookEvent).values(
        tenant_id=tenant_id, platform=SHOPIFY, shop=bindparam("shop"),
        **{column: bindparam(column, type_=WebhookEvent.__table__.c[column].type) for column in columns},
    ).on_conflict_do_nothing(index_elements=["platform", "delivery_id"]).returning(
        WebhookEvent.delivery_id, WebhookEvent.id)
