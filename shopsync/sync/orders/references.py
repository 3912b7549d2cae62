"""The Shopify order id written back onto each TikTok order (external order references), many orders per call.

Best effort and off the order's path: the order is complete without it. Created orders ask for one
debounced write per shop a few seconds later, which takes up to 100 orders in one call, so a rush of
orders costs TikTok one call, not one each, out of the shop's request rate.
"""
from __future__ import annotations

from datetime import timedelta

from rq.exceptions import DuplicateJobError
from sqlalchemy import select

from ...extensions import db
from ...jobs import queue
from ...models import Integration, Order
from ...models import orders as states
from ...platforms.http import PlatformError
from ...platforms.tiktok.orders import EXTERNAL_BATCH, save_external_orders
from ..connections.tiktok_access import call_with_refresh
from .record import log_event

DELAY = timedelta(seconds=3)
JOB = "shopsync.jobs.orders.save_order_references"


def request_references(tiktok_integration_id: int) -> bool:
    """Ask for one write of this shop's pending references soon; False when one is already pending."""
    try:
        queue("low").enqueue_in(DELAY, JOB, tiktok_integration_id, job_id=f"shopsync-order-refs-{tiktok_integration_id}",
                                unique=True, result_ttl=0, failure_ttl=600)
        return True
    except DuplicateJobError:
        return False


def save_references(integration: Integration) -> int:
    """Write the pending references of this shop (up to EXTERNAL_BATCH); returns how many were written."""
    pending = db.session.execute(select(Order).where(
        Order.tiktok_integration_id == integration.id, Order.state == states.CREATED,
        Order.external_reference_saved.is_(False), Order.shopify_order_id.is_not(None))
        .order_by(Order.id).limit(EXTERNAL_BATCH)).scalars().all()
    if not pending:
        return 0
    references = [(order.tiktok_order_id, order.shopify_order_id,
                   [(line.shopify_line_item_id, unit) for line in order.lines if line.shopify_line_item_id
                    for unit in line.tiktok_line_item_ids]) for order in pending]
    try:
        refused = call_with_refresh(integration, lambda client: save_external_orders(client, references))
    except PlatformError as error:
        if error.error_class == "transient":
            raise
        refused = {order.tiktok_order_id: error.message for order in pending}
    for order in pending:
        reason = refused.get(order.tiktok_order_id)
        if reason:
            log_event(order, "external_reference", None, None, f"TikTok did not take the Shopify order id: {reason}")
        else:
            log_event(order, "external_reference", None, order.shopify_order_name,
                      "The Shopify order id is saved on the TikTok order.")
        order.external_reference_saved = True
    db.session.commit()
    return len(pending)
