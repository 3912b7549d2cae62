"""The push engine through a real RQ worker process against the TikTok sandbox."""
from __future__ import annotations

import signal
import time
from decimal import Decimal

from sqlalchemy import select

from shopsync.extensions import db
from shopsync.jobs.pushes import flush_job_id, request_flush
from shopsync.models import ProductLink, SyncLog
from shopsync.sync.pushes import flush
from shopsync.sync.pushes.dirty import mark_variants_dirty
from tests.support.factories import LOCATION_IDS, make_world, no_lock, sandbox, set_stock  # noqa: F401
from tests.support.worker import rq_worker, running_worker, stop  # noqa: F401 - fixture

NO_LOCK = no_lock


def wait_for(predicate, timeout: float = 30.0, every: float = 0.1):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        db.session.rollback()
        db.session.expire_all()
        value = predicate()
        if value:
            return value
        time.sleep(every)
    raise AssertionError("timed out waiting")


def inventory_calls(sandbox, world):
    return sandbox.calls(f"/product/202309/products/{world.tiktok_product_id}/inventory/update")


def clean(world) -> bool:
    return not db.session.execute(select(ProductLink.id).where(
        ProductLink.id.in_(world.link_ids), ProductLink.dirty.is_(True))).first()


def synced(world, sandbox, quantity: int) -> bool:
    return clean(world) and all(sandbox.sku_state(s)["inventory"][world.warehouse_ids[0]] == quantity
                                for s in world.sku_ids)


def test_a_burst_of_100_changes_becomes_one_call_with_the_final_value(sandbox, rq_worker):
    world = make_world(sandbox, skus=3)
    flush.flush_dirty(world.tiktok_id, "webhook", NO_LOCK)
    sandbox.clear_calls()
    started = time.monotonic()
    for quantity in range(1, 101):
        set_stock(world, 0, LOCATION_IDS[0], quantity)
        mark_variants_dirty(world.tenant_id, [world.variant_ids[0]])
        db.session.commit()
        request_flush(world.tiktok_id, "webhook", delay=5.0)
    burst_seconds = time.monotonic() - started
    wait_for(lambda: clean(world) and inventory_calls(sandbox, world))
    time.sleep(1.0)
    assert burst_seconds < 5.0, "the burst outlasted the debounce; the test proves nothing"
    [call] = sandbox.calls()
    [sku] = call.body["skus"]
    assert sku["id"] == world.sku_ids[0]
    assert {i["warehouse_id"]: i["quantity"] for i in sku["inventory"]}[world.warehouse_ids[0]] == 104


def test_three_changed_skus_of_one_product_are_one_call(sandbox, rq_worker):
    world = make_world(sandbox, skus=3)
    flush.flush_dirty(world.tiktok_id, "webhook", NO_LOCK)
    sandbox.clear_calls()
    for index in range(3):
        set_stock(world, index, LOCATION_IDS[1], 10)
    mark_variants_dirty(world.tenant_id, world.variant_ids)
    db.session.commit()
    request_flush(world.tiktok_id)
    wait_for(lambda: synced(world, sandbox, 13))
    assert len(sandbox.calls()) == 1


def test_transient_failures_are_retried_by_rq_until_they_succeed(sandbox, rq_worker):
    world = make_world(sandbox, skus=1, price="12.00")
    sandbox.set_fault("server_error", count=6)  # more than the client's own four attempts
    request_flush(world.tiktok_id, delay=0)
    wait_for(lambda: synced(world, sandbox, 7), timeout=45)
    assert sandbox.sku_state(world.sku_ids[0])["price"] == "12.00"
    results = db.session.execute(select(SyncLog.field, SyncLog.result, SyncLog.error_class).where(
        SyncLog.link_id == world.link_ids[0]).order_by(SyncLog.id)).all()
    assert ("inventory", "error", "transient") in results
    assert ("inventory", "ok", None) in results and ("price", "ok", None) in results


def test_a_worker_killed_mid_flush_leaves_the_work_for_the_next_flush(sandbox, app):
    world = make_world(sandbox, skus=2)
    sandbox.settings["tiktok_timeout_fault_seconds"] = 8.0
    sandbox.set_fault("timeout", count=1)  # the first call stalls: the worker dies during it
    connection = app.extensions["shopsync.redis"]
    try:
        with running_worker() as first:
            request_flush(world.tiktok_id, delay=0)
            wait_for(lambda: inventory_calls(sandbox, world), timeout=20)
            stop(first, signal.SIGKILL)
        time.sleep(8.5)  # past the stall: a surviving process would have pushed by now
        assert not clean(world)
        assert len(inventory_calls(sandbox, world)) == 1
        # The dead worker's shop ownership ended with its database connection; what the scheduler
        # lock's TTL would do after 61 s, done at once:
        for key in connection.scan_iter("rq:scheduler-lock:*"):
            connection.delete(key)
        with running_worker():
            request_flush(world.tiktok_id, delay=0)
            wait_for(lambda: synced(world, sandbox, 7), timeout=30)
    finally:
        sandbox.settings["tiktok_timeout_fault_seconds"] = 3.0
        connection.delete(flush_job_id(world.tiktok_id))
    links = db.session.execute(select(ProductLink).where(ProductLink.id.in_(world.link_ids))).scalars().all()
    assert {(link.state, link.last_pushed_quantity, link.last_pushed_price is not None) for link in links} == {
        ("ok", 7, True)}


def test_scheduled_sync_with_nothing_changed_makes_no_calls(sandbox):
    world = make_world(sandbox, skus=3, schedule="hourly")
    flush.flush_dirty(world.tiktok_id, "webhook", NO_LOCK)
    sandbox.clear_calls()
    outcome = flush.push_due(world.tiktok_id, NO_LOCK)
    assert outcome.calls == 0 and sandbox.calls() == []
    links = db.session.execute(select(ProductLink).where(ProductLink.id.in_(world.link_ids))).scalars().all()
    assert all(link.next_sync_at is not None for link in links)
    # not due again until the hour has passed
    set_stock(world, 0, LOCATION_IDS[0], 30)
    db.session.commit()
    assert flush.push_due(world.tiktok_id, NO_LOCK).calls == 0


def test_scheduled_sync_pushes_what_changed_without_a_webhook(sandbox):
    world = make_world(sandbox, skus=1, price="8.00")
    flush.flush_dirty(world.tiktok_id, "webhook", NO_LOCK)
    sandbox.clear_calls()
    db.session.query(ProductLink).filter_by(id=world.link_ids[0]).update({"next_sync_at": None})
    set_stock(world, 0, LOCATION_IDS[0], 1)  # the webhook was missed: the link is not dirty
    db.session.commit()
    outcome = flush.push_due(world.tiktok_id, NO_LOCK)
    assert outcome.calls == 1
    assert sandbox.sku_state(world.sku_ids[0])["inventory"][world.warehouse_ids[0]] == 5
    assert db.session.get(ProductLink, world.link_ids[0]).last_pushed_price == Decimal("8.00")
