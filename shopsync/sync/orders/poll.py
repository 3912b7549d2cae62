"""The safety net for lost webhooks, and "import orders since a date".

The poll reads every order TikTok changed since the shop's high-water mark, less an
overlap (TikTok's search can return rows a little outside its window while data
refreshes), and applies those that changed since ShopSync last saw them. The mark
only moves when every order in the window was applied, so an order that failed for
now is looked at again next time.
"""
from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timedelta

from sqlalchemy import select

from ...extensions import db
from ...models import Integration, Order, utcnow
from ...platforms.http import TransientError
from ...platforms.tiktok.orders import TikTokOrder, search_orders
from ..connections.tiktok_access import call_with_refresh
from .apply import apply_order

POLL_OVERLAP = timedelta(minutes=10)
FIRST_LOOK_BACK = timedelta(hours=1)  # a shop never polled looks this far back


def poll_orders(integration: Integration) -> tuple[int, set[int]]:
    """Apply orders changed since the last poll; returns (orders applied, TikTok shops to flush)."""
    now = utcnow()
    since = (integration.orders_polled_through or now - FIRST_LOOK_BACK) - POLL_OVERLAP
    orders = call_with_refresh(integration, lambda client: list(search_orders(
        client, update_time_ge=int(since.timestamp()), update_time_lt=int(now.timestamp()) + 1)))
    applied, flush, complete = apply_found(integration, orders)
    if complete:
        integration.orders_polled_through = now
        db.session.commit()
    return applied, flush


def import_since(integration: Integration, since: datetime, found: Callable[[int], None] | None = None,
                 progress: Callable[[int, int], None] | None = None) -> tuple[int, set[int], bool]:
    """Every order created since `since`; returns (applied, TikTok shops to flush, all applied)."""
    orders = call_with_refresh(integration, lambda client: list(search_orders(
        client, create_time_ge=int(since.timestamp()))))
    if found:
        found(len(orders))
    return apply_found(integration, orders, progress, every=True)


def apply_found(integration: Integration, orders: list[TikTokOrder], progress=None,
                every: bool = False) -> tuple[int, set[int], bool]:
    """Apply the orders ShopSync has not seen in this version (all of them with `every`)."""
    seen = dict(db.session.execute(select(Order.tiktok_order_id, Order.tiktok_update_time).where(
        Order.tiktok_integration_id == integration.id,
        Order.tiktok_order_id.in_([order.id for order in orders]))).all()) if orders else {}
    db.session.rollback()
    applied, flush, complete = 0, set(), True
    for order in orders:
        if not every and seen.get(order.id, -1) >= order.update_time:
            continue
        try:
            _, shops = apply_order(integration, order.id, known=order)
            flush |= shops
            applied += 1
        except TransientError:
            db.session.rollback()
            complete = False
        if progress:
            progress(1, 0) if complete else progress(0, 1)
    return applied, flush, complete
