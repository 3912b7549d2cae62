"""Held units: what TikTok sold that Shopify has not counted yet (docs/engine.md, "Held units").

A line holds its units (less those TikTok cancelled) while its order is paid, not
cancelled, and not yet released: created in Shopify with Shopify's stock after it
stored. FBT orders hold nothing (TikTok ships them from its own stock). The planner,
dry run and reconcile all subtract these from the stock they want on TikTok, so a
push never gives back a unit TikTok sold.
"""
from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable

from sqlalchemy import func, select

from ...extensions import db
from ...models import Order, OrderLine
from ...models.orders import FULFILLED_BY_TIKTOK, HOLDING_STATES


def held_units(tiktok_integration_ids: Iterable[int]) -> dict[int, dict[str | None, int]]:
    """link id -> {TikTok warehouse of the order (None when TikTok did not say): units held}, for the links
    of these TikTok shops. Held orders are few at any moment (seconds each), so this reads them all."""
    ids = list(set(tiktok_integration_ids))
    if not ids:
        return {}
    rows = db.session.execute(
        select(OrderLine.link_id, Order.warehouse_id, OrderLine.quantity, OrderLine.cancelled_line_item_ids)
        .join(Order, Order.id == OrderLine.order_id)
        .where(Order.tiktok_integration_id.in_(ids), Order.state.in_(HOLDING_STATES), Order.released_at.is_(None),
               OrderLine.link_id.is_not(None),
               func.coalesce(Order.fulfillment_type, "") != FULFILLED_BY_TIKTOK)).all()
    held: dict[int, dict[str | None, int]] = defaultdict(lambda: defaultdict(int))
    for link_id, warehouse_id, quantity, cancelled in rows:
        units = quantity - len(cancelled or ())
        if units > 0:
            held[link_id][warehouse_id] += units
    return {link_id: dict(by_warehouse) for link_id, by_warehouse in held.items()}


def per_warehouse(held: dict[int, dict[str | None, int]], link_id: int, default_warehouse: str) -> dict[str, int]:
    """A link's held units per TikTok warehouse, those of orders TikTok gave no warehouse in the default one."""
    units: dict[str, int] = {}
    for warehouse, count in held.get(link_id, {}).items():
        key = warehouse or default_warehouse
        units[key] = units.get(key, 0) + count
    return units
