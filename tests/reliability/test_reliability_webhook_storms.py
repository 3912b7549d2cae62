"""Webhook storms: every delivery three times in shuffled order, a burst of thousands of signed deliveries,
and a property-based check of "the latest change wins" over generated event sequences.

Each delivery must be recorded once (one webhook_events row per event id), applied once (processed_at is
set once: a trigger on the table counts every change of it), none lost, and the final state right.
Burst size: 1,000 by default, 10,000 with SHOPSYNC_FULL_RELIABILITY=1.
"""
from __future__ import annotations

import json
import uuid
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime, timedelta, timezone
from decimal import Decimal

import pytest
import requests
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import func, select, text, update

from shopsync.extensions import db
from shopsync.models import InventoryLevel, Integration, Product, Variant, WebhookEvent, utcnow
from shopsync.jobs.webhooks import recover_unprocessed_webhooks
from shopsync.platforms.shopify.webhooks import WebhookDelivery
from shopsync.sandbox.shopify.webhooks import sign
from shopsync.sync.intake.shopify import accept_delivery, record_deliveries
from shopsync.sync.catalog.webhooks import process_event
from tests.support.convergence import (ChangeMaker, WorkerProcess, full_size, received, stale_pushes,
                                       wait_until_settled, wrong_values)
from tests.support.factories import LOCATION_IDS, make_world, sandbox  # noqa: F401 - fixture
from tests.support.scenario import linked_store
from tests.support.shopify_import import run_jobs, take_jobs

BURST = 10_000 if full_size() else 1_000
PROCESS = "shopsync.jobs.webhooks.process_webhooks"


@pytest.fixture
def applied_audit(app_context):
    """Every time a delivery's processed_at changes, a row here: 'applied once' means one row per event."""
    statements = [
        "CREATE TABLE IF NOT EXISTS reliability_applied (event_id bigint NOT NULL, at timestamptz NOT NULL)",
        """CREATE OR REPLACE FUNCTION reliability_note_applied() RETURNS trigger AS $$
           BEGIN INSERT INTO reliability_applied VALUES (NEW.id, clock_timestamp()); RETURN NEW; END $$
           LANGUAGE plpgsql""",
        "DROP TRIGGER IF EXISTS reliability_applied ON webhook_events",
        """CREATE TRIGGER reliability_applied AFTER UPDATE OF processed_at ON webhook_events FOR EACH ROW
           WHEN (OLD.processed_at IS DISTINCT FROM NEW.processed_at) EXECUTE FUNCTION reliability_note_applied()""",
    ]
    for statement in statements:
        db.session.execute(text(statement))
    db.session.commit()
    yield
    db.session.rollback()
    db.session.execute(text("DROP TRIGGER IF EXISTS reliability_applied ON webhook_events"))
    db.session.commit()


def applied_counts(shop: str, since: datetime) -> dict[str, int]:
    """delivery (event) id -> how many times it was applied."""
    db.session.rollback()
    return dict(db.session.execute(text(
        "SELECT e.delivery_id, count(a.event_id) FROM webhook_events e "
        "LEFT JOIN reliability_applied a ON a.event_id = e.id WHERE e.shop = :shop AND e.received_at >= :since "
        "GROUP BY e.delivery_id"), {"shop": shop, "since": since}).all())


def assert_each_recorded_and_applied_once(shop: str, sent_event_ids: set[str], since: datetime) -> None:
    """Of the deliveries received since `since`: one row per event sent, each applied exactly once."""
    db.session.rollback()
    rows = db.session.execute(select(WebhookEvent.delivery_id, WebhookEvent.processed_at, WebhookEvent.outcome)
                              .where(WebhookEvent.shop == shop, WebhookEvent.received_at >= since)).all()
    recorded = [row.delivery_id for row in rows]
    assert len(recorded) == len(set(recorded)), "a delivery id was recorded twice"
    assert set(recorded) == sent_event_ids, "deliveries lost or invented"
    assert all(row.processed_at is not None and row.outcome for row in rows)
    counts = applied_counts(shop, since)
    assert set(counts.values()) == {1}, {k: v for k, v in counts.items() if v != 1}


@pytest.mark.slow
def test_each_delivery_sent_three_times_in_shuffled_order_is_applied_once(
        app, app_context, client, shopify_sandbox, tiktok_sandbox, shop_domain, applied_audit):
    store = linked_store(client, app, shopify_sandbox, tiktok_sandbox, shop_domain, variants=20)
    maker = ChangeMaker(store, shopify_sandbox, seed=7)
    worker = WorkerProcess(app.config["REDIS_URL"]).start()
    since = utcnow()
    shopify_sandbox.set_webhook_delivery(copies=3, shuffle=True, paused=True)
    try:
        maker.apply(60)
        shopify_sandbox.set_webhook_delivery(paused=False)
        wait_until_settled(store, shopify_sandbox, app.extensions["shopsync.redis"], worker, timeout=120)
    finally:
        shopify_sandbox.set_webhook_delivery(copies=1, shuffle=False, paused=False)
        worker.stop()
    attempts = [a for a in shopify_sandbox.webhook_attempts(store.shop) if a["at"] >= since.timestamp()]
    sent = {a["event_id"] for a in attempts}
    by_event: dict[str, int] = {}
    for attempt in attempts:
        by_event[attempt["event_id"]] = by_event.get(attempt["event_id"], 0) + 1
    assert all(a["status"] == 200 for a in attempts)
    assert min(by_event.values()) >= 3
    assert_each_recorded_and_applied_once(store.shop, sent, since)
    assert not wrong_values(tiktok_sandbox, store, maker.history)
    assert not stale_pushes(maker.history, received(tiktok_sandbox, store))


def _post(session: requests.Session, url: str, secret: str, shop: str, topic: str, payload: dict,
          event_id: str) -> int:
    body = json.dumps(payload, separators=(",", ":")).encode()
    headers = {"Content-Type": "application/json", "X-Shopify-Topic": topic, "X-Shopify-Shop-Domain": shop,
               "X-Shopify-Hmac-Sha256": sign(secret, body), "X-Shopify-API-Version": "2026-10",
               "X-Shopify-Webhook-Id": str(uuid.uuid4()), "X-Shopify-Event-Id": event_id,
               "X-Shopify-Triggered-At": datetime.now(timezone.utc).isoformat()}
    return session.post(url, data=body, headers=headers, timeout=30).status_code


@pytest.mark.slow
def test_a_burst_of_signed_deliveries_is_recorded_and_applied_once(
        app, app_context, client, shopify_sandbox, tiktok_sandbox, shop_domain, applied_audit):
    """BURST stock updates (a tenth of them delivered twice) posted by 16 threads to the live endpoint."""
    store = linked_store(client, app, shopify_sandbox, tiktok_sandbox, shop_domain, variants=5)
    items = [link.inventory_item_id for link in store.links]
    start = datetime(2031, 1, 1, tzinfo=timezone.utc)  # newer than anything the import stored
    events = [(f"burst-{uuid.uuid4()}", items[n % len(items)], n) for n in range(BURST)]
    deliveries = events + events[::10]
    url = app.config["PUBLIC_URL"] + "/webhooks/shopify"
    since = utcnow()
    secret = app.config["SHOPIFY_API_SECRET"]

    def deliver(chunk):
        with requests.Session() as session:
            return [_post(session, url, secret, store.shop, "inventory_levels/update",
                          {"inventory_item_id": item, "location_id": store.stock_location, "available": n,
                           "updated_at": (start + timedelta(seconds=n)).isoformat()}, event_id)
                    for event_id, item, n in chunk]

    chunks = [deliveries[i::16] for i in range(16)]
    with ThreadPoolExecutor(16) as pool:
        statuses = [status for answer in pool.map(deliver, chunks) for status in answer]
    assert statuses == [200] * len(deliveries)
    assert run_jobs(app, PROCESS)  # one job per intake write, which may hold many deliveries
    assert_each_recorded_and_applied_once(store.shop, {event_id for event_id, _, _ in events}, since)
    last = {item: n for _, item, n in events}
    db.session.rollback()
    stored = dict(db.session.execute(select(InventoryLevel.inventory_item_id, InventoryLevel.available).where(
        InventoryLevel.integration_id == store.shopify_integration_id,
        InventoryLevel.location_id == store.stock_location)).all())
    assert stored == last


# ---- "latest wins" over generated event sequences, on the real processing functions and database ----------
T0 = datetime(2030, 6, 1, 12, 0, 0, tzinfo=timezone.utc)
BASE_PRICE, BASE_STOCK = Decimal("10.00"), 5


def _events():
    """Shopify's timeline: (topic, whole seconds after the previous change, value); delivered with
    duplicates in any order. Changes within one second are the refetch's case, proven against the
    sandbox in tests/integration/test_shopify_webhook_ties.py."""
    change = st.tuples(st.sampled_from(["products/update", "inventory_levels/update"]),
                       st.integers(min_value=1, max_value=2), st.integers(1, 10_000))
    return st.lists(change, min_size=1, max_size=8).flatmap(
        lambda timeline: st.tuples(st.just(timeline), st.lists(st.integers(0, len(timeline) - 1), max_size=4)
                                   .flatmap(lambda copies: st.permutations(list(range(len(timeline))) + copies))))


@pytest.fixture
def one_variant(sandbox):
    world = make_world(sandbox, skus=1)
    integration = db.session.get(Integration, world.shopify_id)
    variant = db.session.get(Variant, world.variant_ids[0])
    product = db.session.get(Product, variant.product_id)
    return {"shop": integration.external_id, "integration": integration.id, "product_id": product.shopify_id,
            "product_row": product.id, "variant_id": variant.shopify_id, "variant_row": variant.id,
            "item": world.inventory_item_ids[0]}


def _reset(one: dict) -> None:
    db.session.execute(update(Product).where(Product.id == one["product_row"]).values(shopify_updated_at=T0))
    db.session.execute(update(Variant).where(Variant.id == one["variant_row"]).values(
        price=BASE_PRICE, shopify_updated_at=T0))
    db.session.execute(update(InventoryLevel).where(
        InventoryLevel.integration_id == one["integration"], InventoryLevel.inventory_item_id == one["item"],
        InventoryLevel.location_id == LOCATION_IDS[0]).values(available=BASE_STOCK, shopify_updated_at=T0))
    db.session.execute(WebhookEvent.__table__.delete().where(WebhookEvent.shop == one["shop"]))
    db.session.commit()


def _payload(one: dict, topic: str, stamp: datetime, value: int) -> dict:
    if topic == "inventory_levels/update":
        return {"inventory_item_id": one["item"], "location_id": LOCATION_IDS[0], "available": value,
                "updated_at": stamp.isoformat()}
    return {"id": one["product_id"], "title": "Generated", "status": "active", "updated_at": stamp.isoformat(),
            "variants": [{"id": one["variant_id"], "product_id": one["product_id"], "title": "Default",
                          "price": f"{value}.00", "position": 1, "inventory_item_id": one["item"],
                          "updated_at": stamp.isoformat()}], "images": []}


def _check_latest_wins(one: dict, timeline, order) -> None:
    _reset(one)
    stamps, triggered, clock = [], [], T0 + timedelta(seconds=1)
    for number, (_, gap, _) in enumerate(timeline):
        clock += timedelta(seconds=gap)
        stamps.append(clock)  # updated_at: whole seconds
        triggered.append(clock + timedelta(milliseconds=10 * number))  # X-Shopify-Triggered-At: finer
    event_ids = [f"prop-{uuid.uuid4()}" for _ in timeline]
    for index in order:
        topic, _, value = timeline[index]
        body = json.dumps(_payload(one, topic, stamps[index], value)).encode()
        delivery = WebhookDelivery(topic=topic, shop_domain=one["shop"], api_version="2026-10",
                                   webhook_id=str(uuid.uuid4()), event_id=event_ids[index],
                                   triggered_at=triggered[index])
        with db.engine.connect() as connection:
            [event_row] = record_deliveries(connection.execution_options(isolation_level="AUTOCOMMIT"),
                                            [(delivery, body)])
        if event_row is not None:
            process_event(event_row)
    prices = [value for topic, _, value in timeline if topic == "products/update"]
    stocks = [value for topic, _, value in timeline if topic == "inventory_levels/update"]
    db.session.expire_all()
    price = db.session.get(Variant, one["variant_row"]).price
    stock = db.session.execute(select(InventoryLevel.available).where(
        InventoryLevel.integration_id == one["integration"], InventoryLevel.inventory_item_id == one["item"],
        InventoryLevel.location_id == LOCATION_IDS[0])).scalar_one()
    assert price == (Decimal(prices[-1]) if prices else BASE_PRICE)
    assert stock == (stocks[-1] if stocks else BASE_STOCK)
    assert db.session.execute(select(func.count()).select_from(WebhookEvent).where(
        WebhookEvent.shop == one["shop"], WebhookEvent.processed_at.is_(None))).scalar() == 0


PROPERTY = settings(max_examples=60, deadline=None, derandomize=True, database=None,
                    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])


@PROPERTY
@given(case=_events())
def test_latest_change_wins_whatever_the_delivery_order(one_variant, case):
    timeline, order = case
    _check_latest_wins(one_variant, timeline, order)



def test_sweeps_while_workers_are_down_queue_each_lost_delivery_once(app, app_context, shop_domain):
    delivery = WebhookDelivery(topic="customers/redact", shop_domain=shop_domain, api_version="2026-10",
                               webhook_id=str(uuid.uuid4()), event_id=str(uuid.uuid4()), triggered_at=utcnow())
    event_id = accept_delivery(delivery, b"{}")
    assert len(take_jobs(app, PROCESS, arg=event_id)) == 1  # then Redis lost the job
    db.session.execute(update(WebhookEvent).where(WebhookEvent.id == event_id).values(
        received_at=utcnow() - timedelta(minutes=10)))
    db.session.commit()
    # Other tests' leftovers may be swept up by the first sweep too; later sweeps find every one queued.
    first, *later = [recover_unprocessed_webhooks(60) for _ in range(3)]
    assert first >= 1 and later == [0, 0]
    assert len(take_jobs(app, PROCESS, arg=event_id)) == 1
