"""Two Shopify changes within one second, delivered out of order or read by an import: the later one must win.

Shopify's updated_at (and the sandbox's) has whole seconds, so such deliveries carry the same time.
When the stored row has that time but other values, the current state is read from the Admin API.
Deliveries are the sandbox's own (captured while delivery is paused), re-sent signed to the live app.
"""
from __future__ import annotations

import base64
import dataclasses
import hashlib
import hmac
import json
import time
import uuid
from datetime import datetime, timedelta
from decimal import Decimal

import pytest
import requests
from rq import Queue, SimpleWorker
from rq.registry import ScheduledJobRegistry
from sqlalchemy import select

from shopsync.extensions import db
from shopsync.jobs.webhooks import WEBHOOK_RETRY
from shopsync.models import Integration, InventoryLevel, ProductLink, Variant, WebhookEvent, utcnow
from shopsync.platforms.shopify.catalog import InventoryLevelRow, parse_datetime
from shopsync.sync.catalog.writer import CatalogWriter
from shopsync.sync.catalog.shopify_import import SNAPSHOT_MARGIN, create_import_run, export_catalog, load_catalog
from shopsync.sync.pushes.planner import plan_dirty
from shopsync.sync.pushes.rules import desired_price, desired_quantity
from shopsync.sync.connections.shopify_access import shopify_admin
from shopsync.sync.catalog.webhooks import CLOCK_MARGIN
from tests.support.convergence import RULES
from tests.support.scenario import linked_store
from tests.support.shopify_fake_http import scripted_server, server  # noqa: F401 (fixtures)
from tests.support.shopify_import import run_jobs, take_jobs

pytestmark = pytest.mark.usefixtures("app_context")

PROCESS = "shopsync.jobs.webhooks.process_webhooks"


@pytest.fixture
def store(client, app, shopify_sandbox, tiktok_sandbox, shop_domain):
    shopify_sandbox.clear_faults()
    yield linked_store(client, app, shopify_sandbox, tiktok_sandbox, shop_domain, variants=5)
    shopify_sandbox.clear_faults()


def _same_second(shopify_sandbox, topic: str, *changes) -> list:
    """Make the changes within one second of the sandbox's clock; returns their `topic` deliveries, in order."""
    for _ in range(5):
        if time.time() % 1 > 0.5:  # leave the rest of the second for the changes
            time.sleep(1 - time.time() % 1)
        shopify_sandbox.set_webhook_delivery(paused=True)
        try:
            for change in changes:
                change()
            deliveries = [d for d in shopify_sandbox.outbox._queue if d.topic == topic]
            shopify_sandbox.outbox._queue.clear()
        finally:
            shopify_sandbox.release_webhooks()
        stamps = {json.loads(d.body)["updated_at"] for d in deliveries}
        if len(deliveries) == len(changes) and len(stamps) == 1:
            return deliveries
    pytest.fail("could not make the changes within one second")


def _stock_changes(shopify_sandbox, store, link, *values: int) -> list:
    return _same_second(shopify_sandbox, "inventory_levels/update", *(
        lambda value=value: shopify_sandbox.set_stock(store.shop, store.stock_location, value,
                                                      variant_id=link.variant_id)
        for value in values))


def _redeliver(client, app, delivery, *, event_id: str | None = None, triggered_at: str | None = None) -> int:
    """Send a captured delivery to the live endpoint, as Shopify would (signed, original headers);
    returns the recorded event's row id."""
    signature = base64.b64encode(hmac.new(app.config["SHOPIFY_API_SECRET"].encode(), delivery.body,
                                          hashlib.sha256).digest()).decode()
    answer = client.post("/webhooks/shopify", data=delivery.body, headers={
        "Content-Type": "application/json", "X-Shopify-Topic": delivery.topic, "X-Shopify-Shop-Domain": delivery.shop,
        "X-Shopify-API-Version": "2026-10", "X-Shopify-Hmac-Sha256": signature,
        "X-Shopify-Webhook-Id": delivery.webhook_id, "X-Shopify-Event-Id": event_id or delivery.event_id,
        "X-Shopify-Triggered-At": triggered_at or delivery.triggered_at})
    assert answer.status_code == 200
    return db.session.execute(select(WebhookEvent.id).where(
        WebhookEvent.delivery_id == (event_id or delivery.event_id))).scalar_one()


def _apply(client, app, delivery, **kwargs) -> str:
    """Deliver and apply one delivery; returns its outcome."""
    event_id = _redeliver(client, app, delivery, **kwargs)
    assert run_jobs(app, PROCESS, arg=event_id) == 1
    db.session.expire_all()
    return db.session.get(WebhookEvent, event_id).outcome


def _stored_stock(store, item: int) -> int:
    db.session.expire_all()
    return db.session.execute(select(InventoryLevel.available).where(
        InventoryLevel.integration_id == store.shopify_integration_id, InventoryLevel.inventory_item_id == item,
        InventoryLevel.location_id == store.stock_location)).scalar_one()


def _planned(store, link) -> tuple:
    """(price, quantity) the next push would send for the link's SKU."""
    [change] = [c for c in plan_dirty(store.tiktok_integration_id).changes if c.link_id == link.link_id]
    return change.price_after, change.quantity_after


def _admin_calls(shopify_sandbox, shop: str) -> int:
    return len(shopify_sandbox.request_log(shop))


def test_sandbox_sends_whole_second_times_like_shopify(store, shopify_sandbox):
    link = store.links[0]
    [delivery] = _stock_changes(shopify_sandbox, store, link, 5)
    stamp = json.loads(delivery.body)["updated_at"]
    assert len(stamp) == len("2026-11-25T12:00:00Z") and stamp.endswith("Z")


def test_two_stock_changes_in_one_second_delivered_in_reverse_end_with_the_newer(
        client, app, store, shopify_sandbox):
    link = store.links[0]
    older, newer = _stock_changes(shopify_sandbox, store, link, 111, 222)
    shopify_sandbox.clear_request_log()

    assert _apply(client, app, newer) == "applied"
    assert _admin_calls(shopify_sandbox, store.shop) == 0  # strictly newer: applied from the payload
    assert _apply(client, app, older) == "refetched"
    assert _admin_calls(shopify_sandbox, store.shop) == 1  # one level, one query

    assert _stored_stock(store, link.inventory_item_id) == 222
    _, variant = shopify_sandbox.shop(store.shop).variant(link.variant_id)
    assert _planned(store, link)[1] == desired_quantity(dict(variant.levels), RULES)
    assert dict(variant.levels)[store.stock_location] == 222


def test_two_price_changes_in_one_second_delivered_in_reverse_end_with_the_newer(
        client, app, store, shopify_sandbox):
    link = store.links[1]
    older, newer = _same_second(shopify_sandbox, "products/update", *(
        lambda price=price: shopify_sandbox.set_price(store.shop, link.variant_id, price)
        for price in ("61.00", "62.00")))
    shopify_sandbox.clear_request_log()

    assert _apply(client, app, newer) == "applied"
    assert _apply(client, app, older) == "refetched"
    assert _admin_calls(shopify_sandbox, store.shop) == 1  # PRODUCT_BY_ID: one page of variants and media

    db.session.expire_all()
    variant = db.session.execute(select(Variant).where(Variant.integration_id == store.shopify_integration_id,
                                                       Variant.shopify_id == link.variant_id)).scalar_one()
    assert variant.price == Decimal("62.00")
    assert _planned(store, link)[0] == desired_price(Decimal("62.00"), RULES, "USD")


def test_triggered_at_does_not_order_changes_of_one_second(client, app, store, shopify_sandbox):
    """X-Shopify-Triggered-At is when the event fired, after the change: the later change of second S can fire
    in S+1, outside its updated_at's second, while the earlier one fired within S. Neither orders them."""
    link = store.links[2]
    older, newer = _stock_changes(shopify_sandbox, store, link, 51, 52)
    second = json.loads(newer.body)["updated_at"][:-1]  # "YYYY-MM-DDTHH:MM:SS"
    fired_next_second = (datetime.fromisoformat(second) + timedelta(seconds=1, milliseconds=2)).isoformat() + "Z"
    assert _apply(client, app, newer, triggered_at=fired_next_second) == "applied"
    assert _apply(client, app, older, triggered_at=second + ".100000Z") == "refetched"
    assert _stored_stock(store, link.inventory_item_id) == 52


def test_a_refetch_applies_shopifys_value_even_when_neither_delivery_holds_it(client, app, store, shopify_sandbox):
    """Three changes in one second, only the first two delivered (the last one late): Shopify's value wins."""
    link = store.links[2]
    first, second, third = _stock_changes(shopify_sandbox, store, link, 31, 32, 33)
    assert _apply(client, app, second) == "applied"
    assert _apply(client, app, first) == "refetched"
    assert _stored_stock(store, link.inventory_item_id) == 33
    db.session.expire_all()
    assert db.session.execute(select(ProductLink.dirty).where(ProductLink.id == link.link_id)).scalar_one()
    assert _apply(client, app, third) == "stale_or_unchanged"


def test_same_time_and_same_value_asks_shopify_nothing(client, app, store, shopify_sandbox):
    link = store.links[3]
    [stock] = _stock_changes(shopify_sandbox, store, link, 77)
    [price] = _same_second(shopify_sandbox, "products/update", lambda: shopify_sandbox.set_price(
        store.shop, link.variant_id, "71.00"))
    assert _apply(client, app, stock) == "applied"
    assert _apply(client, app, price) == "applied"
    shopify_sandbox.clear_request_log()
    # The same events again under other event ids (e.g. a second subscription): same time, same values.
    assert _apply(client, app, stock, event_id=str(uuid.uuid4())) == "stale_or_unchanged"
    assert _apply(client, app, price, event_id=str(uuid.uuid4())) == "unchanged"
    assert _admin_calls(shopify_sandbox, store.shop) == 0


def test_a_refetch_failing_transiently_leaves_the_event_unprocessed_and_retried(
        client, app, store, shopify_sandbox):
    link = store.links[4]
    older, newer = _stock_changes(shopify_sandbox, store, link, 41, 42)
    assert _apply(client, app, newer) == "applied"
    [job] = take_jobs(app, PROCESS, arg=_redeliver(client, app, older))
    redis = app.extensions["shopsync.redis"]
    private = Queue(f"ties-{uuid.uuid4().hex}", connection=redis)
    private.enqueue_job(job)
    # Every attempt the Admin client makes itself fails: the job has to be retried later.
    shopify_sandbox.add_fault("http", status=429, retry_after=0, count=5, shop=store.shop)
    SimpleWorker([private], connection=redis).work(burst=True)

    job.refresh()
    assert job.get_status() == "scheduled" and job.retries_left == WEBHOOK_RETRY.max - 1
    assert job in ScheduledJobRegistry(queue=private)
    event = db.session.execute(select(WebhookEvent).where(WebhookEvent.id == job.args[0])).scalar_one()
    db.session.refresh(event)
    assert event.processed_at is None and event.payload is not None
    assert _stored_stock(store, link.inventory_item_id) == 42  # the payload in doubt was not applied

    ScheduledJobRegistry(queue=private).remove(job)  # the retry is due: run it now
    private.enqueue_job(job)
    SimpleWorker([private], connection=redis).work(burst=True)
    db.session.refresh(event)
    assert event.processed_at is not None and event.outcome == "refetched"
    assert _stored_stock(store, link.inventory_item_id) == 42


def test_an_event_failing_transiently_does_not_hold_up_the_others_queued_with_it(
        client, app, store, shopify_sandbox):
    link, other_link = store.links[3], store.links[2]
    older, newer = _stock_changes(shopify_sandbox, store, link, 51, 52)
    assert _apply(client, app, newer) == "applied"
    in_doubt = _redeliver(client, app, older)
    [other] = _stock_changes(shopify_sandbox, store, other_link, 53)
    fine = _redeliver(client, app, other)
    take_jobs(app, PROCESS)
    redis = app.extensions["shopsync.redis"]
    private = Queue(f"ties-{uuid.uuid4().hex}", connection=redis)
    # Recorded by one intake write, so queued as one job: the one in doubt first, and its refetch fails.
    job = private.enqueue(PROCESS, in_doubt, fine, retry=WEBHOOK_RETRY)
    shopify_sandbox.add_fault("http", status=429, retry_after=0, count=5, shop=store.shop)
    SimpleWorker([private], connection=redis).work(burst=True)

    job.refresh()
    assert job.get_status() == "scheduled" and job.retries_left == WEBHOOK_RETRY.max - 1
    assert db.session.get(WebhookEvent, in_doubt).processed_at is None
    assert db.session.get(WebhookEvent, fine).outcome == "applied"
    assert _stored_stock(store, other_link.inventory_item_id) == 53

    ScheduledJobRegistry(queue=private).remove(job)  # the retry is due: run it now
    private.enqueue_job(job)
    SimpleWorker([private], connection=redis).work(burst=True)
    db.session.expire_all()
    assert db.session.get(WebhookEvent, in_doubt).outcome == "refetched"
    assert db.session.get(WebhookEvent, fine).outcome == "applied"  # applied once, not again
    assert _stored_stock(store, link.inventory_item_id) == 52


def test_a_burst_of_same_second_stock_updates_is_read_back_once(client, app, store, shopify_sandbox):
    link = store.links[1]
    first, second, third, last = _stock_changes(shopify_sandbox, store, link, 301, 302, 303, 304)
    assert _apply(client, app, last) == "applied"
    take_jobs(app, PROCESS)  # whatever else the sandbox delivered: only these deliveries are under test
    in_doubt = [_redeliver(client, app, delivery) for delivery in (first, second, third)]
    held = _redeliver(client, app, first, event_id=str(uuid.uuid4()))  # a copy, applied at the end
    [held_job] = take_jobs(app, PROCESS, arg=held)
    time.sleep(CLOCK_MARGIN.total_seconds() + 0.2)  # the worker runs behind the deliveries, as during a sale
    shopify_sandbox.clear_request_log()
    assert run_jobs(app, PROCESS) == 3
    db.session.expire_all()
    assert [db.session.get(WebhookEvent, event_id).outcome for event_id in in_doubt] == [
        "refetched", "read_back_since", "read_back_since"]
    assert _admin_calls(shopify_sandbox, store.shop) == 1
    assert _stored_stock(store, link.inventory_item_id) == 304

    # Another quantity written since with the same time (as another read back writes it) makes that read back
    # out of date: the held delivery, which arrived before it, is read back again rather than dropped.
    same_second = parse_datetime(json.loads(first.body)["updated_at"])
    with db.engine.begin() as connection:
        CatalogWriter(connection, store.tenant_id, store.shopify_integration_id).levels(
            [InventoryLevelRow(link.inventory_item_id, store.stock_location, 999, same_second)])
    held_job.func(*held_job.args)
    db.session.expire_all()
    assert db.session.get(WebhookEvent, held).outcome == "refetched"
    assert _admin_calls(shopify_sandbox, store.shop) == 2
    assert _stored_stock(store, link.inventory_item_id) == 304


def test_a_delivery_that_arrived_after_the_read_back_is_read_back_again(client, app, store, shopify_sandbox):
    link = store.links[1]
    first, second, last = _stock_changes(shopify_sandbox, store, link, 311, 312, 313)
    assert _apply(client, app, last) == "applied"
    assert _apply(client, app, first) == "refetched"
    shopify_sandbox.clear_request_log()
    # Arrived (just) after that read back: it cannot be known to be covered by it.
    assert _apply(client, app, second) == "refetched"
    assert _admin_calls(shopify_sandbox, store.shop) == 1
    assert _stored_stock(store, link.inventory_item_id) == 313


def test_a_read_back_that_first_refreshes_the_token_still_settles_the_level(client, app, store, shopify_sandbox):
    link = store.links[3]
    older, newer = _stock_changes(shopify_sandbox, store, link, 321, 322)
    assert _apply(client, app, newer) == "applied"
    integration = db.session.get(Integration, store.shopify_integration_id)
    integration.access_token_expires_at = utcnow()  # the read back refreshes it first, which commits
    db.session.commit()
    assert _apply(client, app, older) == "refetched"
    assert _stored_stock(store, link.inventory_item_id) == 322
    db.session.refresh(integration)
    assert integration.access_token_expires_at > utcnow()


def _export_taken_between(admin, server, earlier: dict) -> list:
    """A real export of the catalog as it is now, with the lines in `earlier` (by id) put back to an earlier
    change of the same second, served from `server`: the export of a full import that ran between two changes."""
    served = []
    for number, export in enumerate(export_catalog(admin)):
        lines = [json.loads(line) for line in requests.get(export.url, timeout=10).text.splitlines() if line]
        for line in lines:
            line.update(earlier.get((line["id"], line.get("location", {}).get("id")), {}))
        server.answer(200, raw="\n".join(json.dumps(line) for line in lines).encode())
        served.append(dataclasses.replace(export, url=f"{server.url}/export-{number}.jsonl"))
    return served


def test_an_import_that_read_the_earlier_of_two_same_second_changes_keeps_the_later_one(
        client, app, store, shopify_sandbox, server):
    stock_link, price_link = store.links[3], store.links[4]
    _, newer_stock = _stock_changes(shopify_sandbox, store, stock_link, 71, 72)
    assert _apply(client, app, newer_stock) == "applied"
    _, newer_price = _same_second(shopify_sandbox, "products/update", *(
        lambda price=price: shopify_sandbox.set_price(store.shop, price_link.variant_id, price)
        for price in ("81.00", "82.00")))
    assert _apply(client, app, newer_price) == "applied"
    integration = db.session.get(Integration, store.shopify_integration_id)
    admin = shopify_admin(integration)
    level_id = (f"gid://shopify/InventoryLevel/{store.stock_location}?inventory_item_id={stock_link.inventory_item_id}",
                f"gid://shopify/Location/{store.stock_location}")
    exports = _export_taken_between(admin, server, {
        level_id: {"quantities": [{"name": "available", "quantity": 71}]},
        (f"gid://shopify/ProductVariant/{price_link.variant_id}", None): {"price": "81.00"}})
    shopify_sandbox.clear_request_log()

    load_catalog(integration, create_import_run(integration, "manual"), admin, exports, utcnow() - SNAPSHOT_MARGIN)

    assert _stored_stock(store, stock_link.inventory_item_id) == 72
    variant = db.session.execute(select(Variant).where(Variant.integration_id == store.shopify_integration_id,
                                                       Variant.shopify_id == price_link.variant_id)).scalar_one()
    assert variant.price == Decimal("82.00")
    # the level's item and the product, read back once each, and the product count the sweep checks first
    assert _admin_calls(shopify_sandbox, store.shop) == 3
