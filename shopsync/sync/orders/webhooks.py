"""Applying recorded TikTok Shop deliveries: each order event brings its order up to date.

Notifications are hints (delivery is at least once, in any order): every order event
re-reads the order from TikTok under the shop's owner lock and applies what TikTok
says now, so duplicates, shuffles and a webhook racing the poll all end the same way.
A status change already read is not read again.
"""
from __future__ import annotations

import logging
from datetime import timedelta

from sqlalchemy import select, update

from ...extensions import db
from ...models import Integration, Order, WebhookEvent, utcnow
from ...models.integration import ACTIVE, TIKTOK
from ...platforms.http import PlatformError, TransientError
from ...platforms.tiktok import webhooks as notifications
from ...platforms.tiktok.orders import get_orders, normalise_status
from ..connections.shopify_access import shopify_admin
from ..connections.tiktok_access import call_with_refresh
from ..listings import audit as listing_audit
from ..ownership import shop_owner
from .apply import apply_order, apply_returns, is_settled
from .create import release_units
from .settings import OrderSettings

log = logging.getLogger(__name__)

BATCH = 50  # TikTok's Get Order Detail takes at most 50 ids


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


def process_tiktok_events(event_ids) -> set[int]:
    """Apply these deliveries, and whatever else their shops have waiting; returns the TikTok shops to flush.

    A shop's waiting deliveries are applied together, as its owner: one TikTok call reads the detail of up
    to 50 of their orders, so deliveries that pile up while the worker is busy cost less each, not more.
    A transient failure raises once the rest are done (the job is retried; what was applied stays applied).
    """
    shops = db.session.execute(select(WebhookEvent.shop).where(
        WebhookEvent.id.in_(list(event_ids)), WebhookEvent.platform == TIKTOK,
        WebhookEvent.processed_at.is_(None)).distinct()).scalars().all()
    db.session.rollback()
    flush: set[int] = set()
    failure: Exception | None = None
    for shop in shops:
        try:
            flush |= _process_shop(shop)
        except Exception as error:
            db.session.rollback()
            log.warning("TikTok deliveries of shop %s not all applied yet: %s", shop, type(error).__name__)
            failure = failure or error
    if failure is not None:
        raise failure
    return flush


def _process_shop(shop: str) -> set[int]:
    integration = db.session.execute(select(Integration).where(
        Integration.platform == TIKTOK, Integration.external_id == shop)).scalar_one_or_none()
    if integration is None:
        _done(_waiting(shop), "unknown_shop")
        return set()
    flush: set[int] = set()
    returns: list[str] = []
    with shop_owner(integration.id) as owner:
        if owner is None:
            raise TransientError(f"TikTok shop {integration.id} is busy; trying again shortly")
        waiting = _waiting(shop)
        orders: dict[str, list[int]] = {}
        for event in waiting:
            try:
                notification = notifications.parse_notification(event.payload or b"{}")
            except (ValueError, KeyError, TypeError) as error:
                _done([event], f"error: {type(error).__name__}")
                continue
            if notification.type in notifications.PRODUCT_TYPES and notification.product_id:
                _follow_listing(integration, event, notification.product_id)
            elif notification.type not in notifications.ORDER_TYPES or not notification.order_id:
                _done([event], "ignored")
            elif already_applied(integration, notification):
                _done([event], "already_applied")
            else:
                orders.setdefault(notification.order_id, []).append(event.id)
                if notification.type == notifications.RETURN_STATUS_CHANGE:
                    returns.append(notification.order_id)
        details = _details(integration, list(orders)) if orders else {}
        outcomes: dict[str, str] = {}
        releases: list = []  # the orders' units are released together: one stock read and one commit
        try:
            for order_id in orders:
                try:
                    outcomes[order_id], shops = apply_order(integration, order_id, known=details.get(order_id),
                                                            owner=owner, look_up=order_id not in details,
                                                            releases=releases)
                    flush |= shops
                except PlatformError as error:
                    db.session.rollback()
                    if error.error_class == "transient":
                        raise
                    outcomes[order_id] = f"refused: {type(error).__name__}"
            stores = {store.id: store for _, store in releases}
            for store_id, store in stores.items():
                flush |= release_units([order for order, held_in in releases if held_in.id == store_id], store,
                                       shopify_admin(store), owner)
        finally:  # what was applied is marked, so a retry does not apply it again
            for order_id, outcome in outcomes.items():
                _done_ids(orders[order_id], outcome)
    for order_id in dict.fromkeys(returns):
        apply_returns(integration, order_id)
    return flush


def _follow_listing(integration: Integration, event: WebhookEvent, product_id: str) -> None:
    """A product status or audit webhook: a published listing is read again now (it is the poll's job too, so
    a failure to read it here leaves the delivery for the retry without holding up the shop's orders)."""
    try:
        outcome = listing_audit.on_status_event(integration, product_id)
    except PlatformError as error:
        db.session.rollback()
        if error.error_class == "transient":
            return
        outcome = f"refused: {type(error).__name__}"
    _done([event], outcome or "not_ours")


def _details(integration: Integration, order_ids: list[str]) -> dict:
    if not OrderSettings.of(integration.order_settings).import_orders or integration.status != ACTIVE:
        return {}
    found = call_with_refresh(integration, lambda client: get_orders(client, order_ids))
    return {order.id: order for order in found}


def _waiting(shop: str) -> list[WebhookEvent]:
    return db.session.execute(select(WebhookEvent).where(
        WebhookEvent.platform == TIKTOK, WebhookEvent.shop == shop, WebhookEvent.processed_at.is_(None))
        .order_by(WebhookEvent.id).limit(BATCH)).scalars().all()


def _done(events: list[WebhookEvent], outcome: str) -> None:
    _done_ids([event.id for event in events], outcome)


def _done_ids(event_ids: list[int], outcome: str) -> None:
    if event_ids:
        db.session.execute(update(WebhookEvent).where(WebhookEvent.id.in_(event_ids)).values(
            processed_at=utcnow(), outcome=outcome[:40], payload=None))
        db.session.commit()
