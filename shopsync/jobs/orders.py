"""Order jobs: TikTok deliveries applied, one order brought up to date, the poll, imports, subscriptions.

Every job here is safe to run twice or at once with another: the work happens under the
TikTok shop's owner lock and each step checks what is already done.
"""
from __future__ import annotations

from datetime import datetime, timedelta

from rq import Retry
from rq.exceptions import DuplicateJobError
from sqlalchemy import or_, select, update

from ..extensions import db
from ..models import Integration, Order, SyncRun, utcnow
from ..models import orders as states
from ..models.integration import ACTIVE, TIKTOK
from ..sync import runs
from ..sync.connections.tiktok_webhooks import subscribe_shop_events
from ..sync.orders import poll, references
from ..sync.orders.apply import apply_order
from ..sync.orders.settings import OrderSettings
from ..sync.orders.webhooks import process_tiktok_events, unprocessed_tiktok_event_ids
from . import app_job, enqueue
from .imports import request_flushes
from .pushes import _delete_if_over, _fetch


# Short first steps: an order waits for these (an owner busy for a moment, a search settling).
ORDER_RETRY = Retry(max=10, interval=[1, 3, 10, 20, 45, 60, 120, 300, 600, 1800])
STALLED_AFTER = timedelta(seconds=90)


@app_job
def process_tiktok_webhooks(*event_ids: int) -> None:
    request_flushes(process_tiktok_events(event_ids), "webhook")


@app_job
def recover_tiktok_webhooks(older_than_seconds: float = 120) -> int:
    """Deliveries whose job was lost (Redis restarted): queue them again; applying twice is harmless."""
    ids = unprocessed_tiktok_event_ids(older_than_seconds)
    for event_id in ids:
        _enqueue_once(f"shopsync-tiktok-event-{event_id}", process_tiktok_webhooks, event_id)
    return len(ids)


@app_job
def sync_order(order_id: int) -> str | None:
    """Bring one recorded order up to date (Retry, and the sweep of stalled orders)."""
    order = db.session.get(Order, order_id)
    if order is None:
        return None
    integration = db.session.get(Integration, order.tiktok_integration_id)
    outcome, flush = apply_order(integration, order.tiktok_order_id)
    request_flushes(flush, "webhook")
    return outcome


def queue_order(order_id: int) -> bool:
    return _enqueue_once(f"shopsync-order-{order_id}", sync_order, order_id)


def queue_waiting_orders(tenant_id: int) -> int:
    """Orders of a store that was not ready (permissions, a reconnect): take them up now that it may be."""
    waiting = db.session.execute(select(Order.id).where(
        Order.tenant_id == tenant_id, Order.state.in_((states.PENDING, states.FAILED)),
        Order.shopify_order_id.is_(None)).order_by(Order.id)).scalars().all()
    db.session.rollback()
    return sum(queue_order(order_id) for order_id in waiting)


@app_job
def resume_stalled_orders(older_than_seconds: float = STALLED_AFTER.total_seconds()) -> int:
    """Orders left half way (a worker killed, a job lost, an answer in doubt): take each up again.

    Only those of connected TikTok shops: a disconnected shop's orders wait for its reconnection
    (queue_waiting_orders), rather than failing their retries every sweep meanwhile."""
    cutoff = utcnow() - timedelta(seconds=older_than_seconds)
    connected = select(Integration.id).where(Integration.platform == TIKTOK, Integration.status == ACTIVE)
    stalled = db.session.execute(select(Order.id).where(
        Order.updated_at < cutoff, Order.tiktok_integration_id.in_(connected), or_(
        Order.state.in_((states.PENDING, states.CREATING)),
        (Order.state == states.CREATED) & Order.released_at.is_(None),
        (Order.state == states.CANCELLED) & Order.shopify_order_id.is_not(None) & Order.shopify_cancelled_at.is_(None),
    )).order_by(Order.id).limit(1000)).scalars().all()
    unsaved = db.session.execute(select(Order.tiktok_integration_id).where(
        Order.updated_at < cutoff, Order.state == states.CREATED, Order.external_reference_saved.is_(False)
    ).distinct()).scalars().all()
    db.session.rollback()
    for shop_id in unsaved:
        references.request_references(shop_id)
    return sum(queue_order(order_id) for order_id in stalled)


@app_job
def poll_orders_everywhere() -> int:
    shops = db.session.execute(select(Integration).where(
        Integration.platform == TIKTOK, Integration.status == ACTIVE)).scalars().all()
    due = [shop.id for shop in shops if OrderSettings.of(shop.order_settings).import_orders]
    db.session.rollback()
    for integration_id in due:
        _enqueue_once(f"shopsync-poll-orders-{integration_id}", poll_orders, integration_id, queue_name="low")
    return len(due)


@app_job
def poll_orders(integration_id: int) -> int:
    integration = db.session.get(Integration, integration_id)
    if integration is None or integration.status != ACTIVE:
        return 0
    applied, flush = poll.poll_orders(integration)
    request_flushes(flush, "schedule")
    return applied


def queue_order_import(integration: Integration, since: datetime) -> int:
    run_id = runs.start_run(integration.tenant_id, "import", "manual", integration_id=integration.id, status="queued")
    enqueue(import_orders_since, integration.id, since.isoformat(), run_id, queue_name="default", job_timeout=3600,
            description=f"Import TikTok orders of integration {integration.id}")
    return run_id


@app_job
def import_orders_since(integration_id: int, since: str, run_id: int) -> str:
    runs.mark_running(run_id)
    integration = db.session.get(Integration, integration_id)

    def found(total: int) -> None:
        db.session.execute(update(SyncRun).where(SyncRun.id == run_id).values(
            total=total, message=f"Importing {total} TikTok order(s)…"))
        db.session.commit()

    def progress(done: int, failed: int) -> None:
        runs.count_run(run_id, done=done, failed=failed)
        db.session.commit()

    applied, flush, complete = poll.import_since(integration, datetime.fromisoformat(since), found, progress)
    request_flushes(flush, "manual")
    message = f"{applied} TikTok order(s) imported" + ("" if complete else "; some failed for now and will be retried")
    return runs.finish_run(run_id, message).status


@app_job
def save_order_references(integration_id: int) -> int:
    integration = db.session.get(Integration, integration_id)
    if integration is None or integration.status != ACTIVE:
        return 0
    saved = references.save_references(integration)
    if saved == references.EXTERNAL_BATCH:
        references.request_references(integration_id)
    return saved


@app_job
def subscribe_tiktok_webhooks(integration_id: int) -> list[str]:
    integration = db.session.get(Integration, integration_id)
    if integration is None or integration.status != ACTIVE:
        return []
    return subscribe_shop_events(integration)


def _enqueue_once(job_id: str, func, *args, queue_name: str = "high") -> bool:
    """Queue unless the same job is pending or running; a finished or failed one is replaced."""
    for _ in range(2):
        try:
            enqueue(func, *args, queue_name=queue_name, job_id=job_id, unique=True, result_ttl=0, failure_ttl=600,
                    retry=ORDER_RETRY)
            return True
        except DuplicateJobError:
            existing = _fetch(job_id)
            if existing is not None and not _delete_if_over(existing):
                return False
    return False
