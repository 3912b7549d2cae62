"""Recording a TikTok order as TikTok has it now: the order row, its lines matched to links, and events.

Runs under the shop's owner lock (apply.py), so two workers never record one order at
once. An order is keyed by (TikTok shop, TikTok order id); what TikTok says now replaces
what was stored, except that a detail older than the stored one (update_time) is ignored.
"""
from __future__ import annotations

from collections import defaultdict
from datetime import datetime, timezone

from sqlalchemy import select

from ...extensions import db
from ...models import Integration, Order, OrderEvent, OrderLine, ProductLink, TikTokSku, Variant
from ...models import orders as states
from ...platforms.tiktok.orders import LineItem, TikTokOrder


def log_event(order: Order, kind: str, before=None, after=None, message: str | None = None,
              request_id: str | None = None) -> None:
    db.session.add(OrderEvent(tenant_id=order.tenant_id, order_id=order.id, kind=kind,
                              before=None if before is None else str(before)[:255],
                              after=None if after is None else str(after)[:255],
                              message=message, request_id=request_id))


def set_state(order: Order, state: str, message: str | None = None) -> None:
    if order.state != state:
        log_event(order, "state", order.state, state, message)
        order.state = state


def record_order(integration: Integration, tiktok: TikTokOrder) -> tuple[Order, bool]:
    """Insert or update the order from TikTok's detail; returns it and whether TikTok's side changed."""
    order = db.session.execute(select(Order).where(
        Order.tiktok_integration_id == integration.id, Order.tiktok_order_id == tiktok.id)).scalar_one_or_none()
    if order is not None and tiktok.update_time < order.tiktok_update_time:
        return order, False
    is_new = order is None
    if is_new:
        order = Order(tenant_id=integration.tenant_id, tiktok_integration_id=integration.id,
                      tiktok_order_id=tiktok.id, tiktok_status=tiktok.status, state=states.PENDING)
        db.session.add(order)
        db.session.flush()
        log_event(order, "received", None, tiktok.status, "TikTok Shop reported the order.")
    elif order.tiktok_status != tiktok.status:
        log_event(order, "tiktok_status", order.tiktok_status, tiktok.status)
    changed = is_new or order.tiktok_status != tiktok.status or order.tiktok_update_time != tiktok.update_time
    order.tiktok_status = tiktok.status
    order.tiktok_update_time = tiktok.update_time
    order.tiktok_created_at = _moment(tiktok.create_time)
    order.paid_at = _moment(tiktok.paid_time)
    order.is_on_hold_order = tiktok.is_on_hold_order
    order.fulfillment_type = tiktok.fulfillment_type or None
    order.shipping_type = tiktok.shipping_type or None
    order.warehouse_id = tiktok.warehouse_id
    order.delivery_option_id = tiktok.delivery_option_id
    order.currency = tiktok.payment.currency[:3] or None
    order.total_amount = tiktok.payment.total_amount
    _record_lines(integration, order, tiktok.line_items)
    return order, changed


def _record_lines(integration: Integration, order: Order, items: tuple[LineItem, ...]) -> None:
    by_sku: dict[str, list[LineItem]] = defaultdict(list)
    for item in items:
        by_sku[item.sku_id].append(item)
    links = _links(integration, list(by_sku))
    existing = {line.tiktok_sku_id: line for line in order.lines}
    for sku_id, units in by_sku.items():
        line = existing.get(sku_id)
        first = units[0]
        if line is None:
            line = OrderLine(tenant_id=order.tenant_id, tiktok_sku_id=sku_id, quantity=0, restocked_quantity=0,
                             returned_quantity=0)
            order.lines.append(line)
        if line.link_id is None and order.shopify_order_id is None and sku_id in links:
            # Matched now, or later once the merchant links the SKU and retries.
            line.link_id, line.shopify_variant_id, line.shopify_integration_id = links[sku_id]
        line.seller_sku = first.seller_sku or None
        line.title = " - ".join(part for part in (first.product_name, first.sku_name) if part)[:500]
        line.unit_price = first.original_price or first.sale_price
        line.quantity = len(units)
        line.tiktok_line_item_ids = [unit.id for unit in units]
        cancelled = [unit.id for unit in units if unit.is_cancelled]
        if cancelled != list(line.cancelled_line_item_ids or ()):
            if order.id is not None and cancelled:
                log_event(order, "line_cancelled", f"{line.seller_sku or sku_id}: {line.cancelled_quantity} cancelled",
                          f"{len(cancelled)} cancelled")
            line.cancelled_line_item_ids = cancelled


def _links(integration: Integration, sku_ids: list[str]) -> dict[str, tuple[int, int, int]]:
    """TikTok SKU id -> (link id, Shopify variant id, Shopify store) for this shop's linked SKUs."""
    if not sku_ids:
        return {}
    rows = db.session.execute(
        select(TikTokSku.tiktok_id, ProductLink.id, Variant.shopify_id, ProductLink.shopify_integration_id)
        .join(ProductLink, ProductLink.tiktok_sku_id == TikTokSku.id)
        .join(Variant, Variant.id == ProductLink.variant_id)
        .where(TikTokSku.integration_id == integration.id, TikTokSku.tenant_id == integration.tenant_id,
               TikTokSku.tiktok_id.in_(sku_ids))).all()
    return {sku_id: (link_id, variant_id, store_id) for sku_id, link_id, variant_id, store_id in rows}


def _moment(timestamp: int | None) -> datetime | None:
    return datetime.fromtimestamp(timestamp, timezone.utc) if timestamp else None
