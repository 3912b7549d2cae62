"""Recording verified TikTok Shop deliveries once, by tts_notification_id, and queueing them.

Same shape as the Shopify intake: the delivery is committed (INSERT ... ON CONFLICT DO
NOTHING on platform and notification id, the tenant looked up from the shop inside the
statement) and its job queued before TikTok gets its 200, so a delivery TikTok counts as
delivered is never lost, and a redelivery is acknowledged and never applied twice.
TikTok's volume is a shop's orders, not a catalog's stock changes: one write per delivery.
The id is kept per shop (shop id, notification id): TikTok's ids are unique, and a shop's are then
unique whatever another shop's sender does.
"""
from __future__ import annotations

import functools
from datetime import datetime, timezone

from sqlalchemy import bindparam, select

from ...extensions import db
from ...jobs import enqueue
from ...models import Integration, WebhookEvent, utcnow
from ...models.integration import TIKTOK
from ...platforms.tiktok.webhooks import Notification
from ..sql import dialect_insert

TOPICS = {1: "ORDER_STATUS_CHANGE", 3: "RECIPIENT_ADDRESS_UPDATE", 4: "PACKAGE_UPDATE", 5: "PRODUCT_STATUS_CHANGE",
          6: "SELLER_DEAUTHORIZATION", 7: "UPCOMING_AUTHORIZATION_EXPIRATION", 11: "CANCELLATION_STATUS_CHANGE",
          12: "RETURN_STATUS_CHANGE", 37: "PRODUCT_AUDIT_STATUS_CHANGE"}
APPLY_JOB = "shopsync.jobs.orders.process_tiktok_webhooks"


def topic_of(notification_type: int) -> str:
    return TOPICS.get(notification_type, f"type_{notification_type}")


def accept_tiktok_delivery(notification: Notification, body: bytes) -> int | None:
    """Record and queue one verified delivery; its event row id, or None for a redelivery."""
    from ...jobs.orders import ORDER_RETRY

    triggered = datetime.fromtimestamp(notification.timestamp, timezone.utc) if notification.timestamp else None
    event_id = db.session.execute(_record_statement(db.engine.dialect.name), {
        "shop": notification.shop_id, "delivery_id": f"{notification.shop_id}:{notification.notification_id}"[:128],
        "topic": topic_of(notification.type), "triggered_at": triggered, "received_at": utcnow(),
        "payload": body}).scalar_one_or_none()
    db.session.commit()
    if event_id is not None:
        enqueue(APPLY_JOB, event_id, queue_name="high", retry=ORDER_RETRY)
    return event_id


@functools.cache
def _record_statement(dialect_name: str):
    tenant_id = select(Integration.tenant_id).where(
        Integration.platform == TIKTOK, Integration.external_id == bindparam("shop")).scalar_subquery()
    columns = ("delivery_id", "topic", "triggered_at", "received_at", "payload")
    return dialect_insert(dialect_name)(WebhookEvent).values(
        tenant_id=tenant_id, platform=TIKTOK, shop=bindparam("shop"),
        **{column: bindparam(column, type_=WebhookEvent.__table__.c[column].type) for column in columns},
    ).on_conflict_do_nothing(index_elements=["platform", "delivery_id"]).returning(WebhookEvent.id)
