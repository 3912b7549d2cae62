"""Applying recorded TikTok Shop deliveries: each order event brings its order up to date.

Notifications are hints (delivery is at least once, in any order): every order event
re-reads the order from TikTok under the shop's owner lock and applies what TikTok
says now, so duplicates, shuffles and a webhook racing the poll all end the same way.
"""
from __future__ import annotations

import logging
from datetime import timedelta

from sqlalchemy import select, update

from ...extensions import db
from ...models import Integration, Order, WebhookEvent, utcnow
from ...models.integration import TIKTOK
from ...platforms.http import PlatformError
from ...platforms.tiktok import webhooks as notifications
from ...platforms.tiktok.orders import normalise_status
from .apply import apply_order, apply_returns, is_settled

log = logging.getLogger(__name__)


def unprocessed_tiktok_event_ids(older_than_seconds: float, limit: int = 500) -> list[int]:
    cutoff = utcnow() - timedelta(seconds=older_than_seconds)
    return list(db.session.execute(select(WebhookEvent.id).where(
        WebhookEvent.platform == TIKTOK, WebhookEvent.processed_at.is_(None),
        WebhookEvent.received_at < cutoff).order_by(WebhookEvent.id).limit(limit)).scalars())


def already_applied(integration: Integration, notification: notifications.Notification) -> bool:
    """A status change ShopSync has already read from TikTok, on an order with nothing left to do: TikTok sends
    each change of an order once per status (and again on retries), and reading the order again for it
    would only spend the shop's request rate."""
    if notification.type != notifications.ORDER_STATUS_CHANGE:
        return False
    order = db.session.execute(select(Order).where(
        Order.tiktok_integration_id == integration.id, Order.tiktok_order_id == notification.order_id)
    ).scalar_one_or_none()
    try:
        update_time = int(notification.data.get("update_time") or 0)
    except (TypeError, ValueError):
        return False
    return (order is not None and order.tiktok_update_time >= update_time
            and order.tiktok_status == normalise_status(notification.data.get("order_status"))
            and is_settled(order))


def process_tiktok_event(event_id: int) -> set[int]:
    """Apply one delivery; returns the TikTok shops whose links need a flush. Transient failures raise."""
    event = db.session.get(WebhookEvent, event_id)
    if event is None or event.processed_at is not None or event.platform != TIKTOK:
        db.session.rollback()
        return set()
    integration = db.session.execute(select(Integration).where(
        Integration.platform == TIKTOK, Integration.external_id == event.shop)).scalar_one_or_none()
    flush: set[int] = set()
    try:
        notification = notifications.parse_notification(event.payload or b"{}")
        if integration is None:
            outcome = "unknown_shop"
        elif notification.type in notifications.ORDER_TYPES and notification.order_id:
            if already_applied(integration, notification):
                outcome = "already_applied"
            else:
                outcome, flush = apply_order(integration, notification.order_id)
            if notification.type == notifications.RETURN_STATUS_CHANGE:
                outcome = apply_returns(integration, notification.order_id) or outcome
        else:
            outcome = "ignored"
    except (ValueError, KeyError, TypeError) as error:
        db.session.rollback()
        log.warning("TikTok event %s could not be applied: %s", event_id, type(error).__name__)
        outcome = f"error: {type(error).__name__}"
    except PlatformError as error:
        db.session.rollback()
        if error.error_class == "transient":
            raise
        outcome = f"refused: {type(error).__name__}"
    db.session.execute(update(WebhookEvent).where(WebhookEvent.id == event_id).values(
        processed_at=utcnow(), outcome=outcome[:40], payload=None))
    db.session.commit()
    return flush
