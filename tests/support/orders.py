"""Helpers for order tests: a linked store whose TikTok shop sends its order webhooks to the app, selling on the
TikTok sandbox, and applying what the app queued."""
from __future__ import annotations

import time

from sqlalchemy import select

from shopsync.extensions import db
from shopsync.models import Integration, Order, TikTokSku
from shopsync.sync.connections.tiktok_webhooks import subscribe_shop_events
from tests.support.scenario import LinkedStore, linked_store
from tests.support.shopify_import import run_jobs

APPLY_JOB = "shopsync.jobs.orders.process_tiktok_webhooks"


def store_taking_orders(client, app, shopify_sandbox, tiktok_sandbox, shop: str, variants: int = 5) -> LinkedStore:
    """A linked store (see scenario.linked_store) subscribed to its TikTok shop's order webhooks."""
    store = linked_store(client, app, shopify_sandbox, tiktok_sandbox, shop, variants=variants)
    tiktok_sandbox.events.outbox.set_controls(copies=1, drop=0, paused=False, shuffle=False, delay=0)
    subscribe_shop_events(db.session.get(Integration, store.tiktok_integration_id))
    return store


def seller_sku(store: LinkedStore, index: int = 0) -> str:
    return db.session.execute(select(TikTokSku.seller_sku).where(
        TikTokSku.integration_id == store.tiktok_integration_id,
        TikTokSku.tiktok_id == store.links[index].sku_id)).scalar_one()


def settle(app, condition, timeout: float = 15.0, jobs: tuple[str, ...] = (APPLY_JOB,)):
    """Run the jobs the app queues (webhook deliveries by default) here until `condition()` is truthy."""
    deadline = time.monotonic() + timeout
    while True:
        for job in jobs:
            run_jobs(app, job)
        db.session.rollback()
        value = condition()
        if value:
            return value
        assert time.monotonic() < deadline, f"not settled within {timeout} s"
        time.sleep(0.05)


def order_of(store: LinkedStore, tiktok_order_id: str) -> Order | None:
    db.session.rollback()
    return db.session.execute(select(Order).where(
        Order.tiktok_integration_id == store.tiktok_integration_id,
        Order.tiktok_order_id == str(tiktok_order_id))).scalar_one_or_none()


def shopify_orders(shopify_sandbox, shop: str) -> list:
    """The orders the Shopify sandbox store holds."""
    with shopify_sandbox.lock:
        return list(shopify_sandbox.shop(shop).orders.values())
