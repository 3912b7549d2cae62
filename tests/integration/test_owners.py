"""One owner per TikTok shop and per Shopify store: nothing expires mid-job, a lost lock stops the job."""
from __future__ import annotations

import threading
import time

import pytest
import redis
from sqlalchemy import select, text

from shopsync.extensions import db
from shopsync.jobs import queue
from shopsync.jobs.pushes import flush_shop, request_flush, sync_now
from shopsync.models import ProductLink, SyncRun
from shopsync.sync import ownership
from shopsync.sync.catalog.shopify_import import FULL, create_import_run, run_import
from shopsync.sync.catalog.tiktok_import import import_catalog
from shopsync.sync.ownership import NotOwner, shop_is_owned, shop_owner
from shopsync.sync.pushes import flush
from shopsync.sync.pushes.dirty import mark_variants_dirty
from tests.support.factories import LOCATION_IDS, make_world, no_lock, sandbox, set_price, set_stock  # noqa: F401
from tests.support.shopify_import import install_store
from tests.support.sync_journey import sent_quantities, wait_for
from tests.support.worker import running_worker

SLOW_SECONDS = 90.0
OLD_PUSH_LOCK_SECONDS = 60  # the Redis push lock this replaced expired after a minute unless renewed
WRITES = ("/inventory/update", "/prices/update")


def inventory_path(world) -> str:
    return f"/product/202309/products/{world.tiktok_product_id}/inventory/update"


def change_stock(world, available: int) -> None:
    set_stock(world, 0, LOCATION_IDS[0], available)
    mark_variants_dirty(world.tenant_id, [world.variant_ids[0]])
    db.session.commit()


def overlapping_writes(calls) -> list[tuple]:
    """Pairs of write calls to one shop that TikTok was answering at the same time."""
    writes = sorted((c for c in calls if c.path.endswith(WRITES)), key=lambda c: c.timestamp)
    return [(a.path, a.timestamp, a.finished_at, b.path, b.timestamp)
            for i, a in enumerate(writes) for b in writes[i + 1:]
            if a.shop_id == b.shop_id and b.timestamp < a.finished_at]


def lock_backend(namespace: int, key: int) -> int | None:
    return db.session.execute(text(
        "SELECT pid FROM pg_locks WHERE locktype = 'advisory' AND granted AND objsubid = 2"
        " AND database = (SELECT oid FROM pg_database WHERE datname = current_database())"
        " AND classid = CAST(:namespace AS oid) AND objid = CAST(:key AS oid)"),
        {"namespace": namespace, "key": key}).scalar()


def links_clean(world) -> bool:
    return not db.session.execute(select(ProductLink.id).where(
        ProductLink.id.in_(world.link_ids), ProductLink.dirty.is_(True))).first()


@pytest.mark.slow
def test_two_workers_never_write_one_shop_at_once_while_tiktok_takes_90_s_to_answer(sandbox, app, monkeypatch):
    world = make_world(sandbox, skus=2)
    flush.flush_dirty(world.tiktok_id, "webhook", no_lock)
    monkeypatch.setenv("TIKTOK_READ_TIMEOUT_SECONDS", str(SLOW_SECONDS * 2))  # the workers wait for the answer
    sandbox.clear_calls()
    sandbox.answer_slowly(inventory_path(world), SLOW_SECONDS)
    since = time.time()
    with running_worker(), running_worker():
        quantity = 10
        change_stock(world, quantity)
        request_flush(world.tiktok_id, delay=0)
        wait_for(lambda: inventory_path(world) not in sandbox.slow_answers, timeout=30,
                 message="the first flush never reached TikTok")
        slow_started = time.monotonic()
        others_asked = False
        # Changes keep coming while TikTok sits on the first call: flush requests every few seconds, and
        # once the old lock would have expired, a scheduled push and a Sync now as well.
        while time.monotonic() - slow_started < SLOW_SECONDS + 3:
            quantity += 1
            change_stock(world, quantity)
            request_flush(world.tiktok_id, delay=0)
            if not others_asked and time.monotonic() - slow_started > OLD_PUSH_LOCK_SECONDS + 2:
                queue("low").enqueue("shopsync.jobs.pushes.push_due_links", world.tiktok_id, job_timeout=600)
                sync_now(world.tenant_id, world.link_ids)
                others_asked = True
            time.sleep(3)  # the pace of the changes, not a wait for a result
        expected = quantity + 4  # the other location holds 4
        wait_for(lambda: links_clean(world)
                 and sandbox.sku_state(world.sku_ids[0])["inventory"][world.warehouse_ids[0]] == expected,
                 timeout=120, message="the last change never reached TikTok")
        wait_for(lambda: db.session.execute(select(SyncRun.status).where(
            SyncRun.tenant_id == world.tenant_id, SyncRun.trigger == "manual")).scalar() == "succeeded",
            timeout=60, message="Sync now did not finish")
    calls = [c for c in sandbox.calls() if c.timestamp >= since and c.shop_id == world.sandbox_shop_id]
    slow = [c for c in calls if c.finished_at - c.timestamp >= SLOW_SECONDS]
    assert len(slow) == 1, "the 90 s answer did not happen as planned"
    assert overlapping_writes(calls) == []
    last = max((c for c in calls if c.path == inventory_path(world)), key=lambda c: c.finished_at)
    assert sent_quantities(last, world.warehouse_ids[0])[world.sku_ids[0]] == expected


def test_a_job_whose_lock_connection_was_killed_stops_before_its_next_tiktok_call(sandbox, app):
    world = make_world(sandbox, skus=1, price="10.00")
    flush.flush_dirty(world.tiktok_id, "webhook", no_lock)
    set_price(world, 0, "12.00")
    change_stock(world, 20)  # one inventory call, then one price call
    sandbox.clear_calls()
    sandbox.answer_slowly(inventory_path(world), 3)
    errors: list[Exception] = []

    def run_flush():
        with app.app_context():
            try:
                flush_shop(world.tiktok_id, "webhook")
            except Exception as error:  # noqa: BLE001 - asserted below
                errors.append(error)

    job = threading.Thread(target=run_flush)
    job.start()
    wait_for(lambda: inventory_path(world) not in sandbox.slow_answers, message="the flush never called TikTok")
    backend = wait_for(lambda: lock_backend(ownership.TIKTOK_SHOP, world.tiktok_id))
    assert db.session.execute(text("SELECT pg_terminate_backend(:pid)"), {"pid": backend}).scalar()
    db.session.commit()
    job.join(30)
    assert [type(e) for e in errors] == [NotOwner]
    assert len(sandbox.calls(inventory_path(world))) == 1
    assert sandbox.calls(f"/product/202309/products/{world.tiktok_product_id}/prices/update") == []
    assert not links_clean(world)  # the next flush pushes it
    assert not shop_is_owned(world.tiktok_id)


def test_a_shop_has_one_owner_at_a_time_and_the_probe_sees_it(sandbox, app):
    world = make_world(sandbox, skus=1)
    assert not shop_is_owned(world.tiktok_id)
    result = []
    with shop_owner(world.tiktok_id, wait=False) as owner:
        owner.check()
        assert shop_is_owned(world.tiktok_id)
        with shop_owner(world.tiktok_id, wait=False) as again:  # the same thread: the same owner
            assert again is owner

        def other_worker():
            with app.app_context(), shop_owner(world.tiktok_id, wait=False) as other:
                result.append(other)

        thread = threading.Thread(target=other_worker)
        thread.start()
        thread.join(10)
        assert result == [None]
    assert not shop_is_owned(world.tiktok_id)
    with pytest.raises(NotOwner):
        owner.check()


def test_an_import_waiting_on_a_long_bulk_export_is_not_joined_by_a_second_one(client, app, shopify_sandbox,
                                                                                shop_domain, app_context):
    store = install_store(client, app, shop_domain, import_catalog=False)
    first_run, second_run = create_import_run(store, "manual"), create_import_run(store, "manual")
    first_id, second_id = first_run.id, second_run.id
    shopify_sandbox.settings["shopify_bulk_min_seconds"] = 4.0
    outcome = []

    def first_import():
        with app.app_context():
            run_import(db.session.get(SyncRun, first_id), FULL)
            outcome.append(db.session.get(SyncRun, first_id).status)

    thread = threading.Thread(target=first_import)
    try:
        thread.start()
        wait_for(lambda: db.session.get(SyncRun, first_id).message == "Importing the catalog…"
                 or any(op.status == "RUNNING" for op in shopify_sandbox.shop(shop_domain).bulk_operations.values()),
                 message="the first import never started its export")
        # What hours of waiting do to anything that expires in Redis, done at once: a lock there would be gone.
        connection = redis.Redis.from_url(app.config["REDIS_URL"])
        for key in connection.scan_iter("shopsync:*"):
            if connection.ttl(key) > 0:
                connection.delete(key)
        run_import(db.session.get(SyncRun, second_id), FULL)
        thread.join(60)
    finally:
        shopify_sandbox.settings["shopify_bulk_min_seconds"] = 0.0
    second = db.session.get(SyncRun, second_id)
    assert (second.status, second.message) == ("failed", "Another import of this store is already running.")
    assert outcome == ["succeeded"]


def test_on_sqlite_the_owner_is_a_lock_inside_the_process(tmp_path):
    """The embedded default runs everything in one process: a process-local lock per key is the owner."""
    from shopsync import create_app

    embedded = create_app({"SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp_path}/embedded.db", "REDIS_URL": "",
                           "SANDBOX_ENABLED": False})
    seen = []

    def other_worker():
        with embedded.app_context(), shop_owner(7, wait=False) as other:
            seen.append(other)

    with embedded.app_context():
        with shop_owner(7, wait=False) as owner:
            owner.check()
            assert shop_is_owned(7) and not shop_is_owned(8)
            thread = threading.Thread(target=other_worker)
            thread.start()
            thread.join(10)
        assert seen == [None]
        assert not shop_is_owned(7)
        with shop_owner(7, wait=False) as again:
            assert again is not None


def test_the_tiktok_catalog_import_reads_and_writes_a_page_only_as_the_shop_s_owner(sandbox, app):
    """A page read while a push owns the shop could overwrite what that push records: the import waits."""
    world = make_world(sandbox, skus=1)
    sandbox.clear_calls()
    holding, release, outcome = threading.Event(), threading.Event(), []

    def push():
        with app.app_context(), shop_owner(world.tiktok_id):
            holding.set()
            release.wait(30)

    def import_shop():
        with app.app_context():
            outcome.append(import_catalog(world.tiktok_id).status)

    pusher, importer = threading.Thread(target=push), threading.Thread(target=import_shop)
    pusher.start()
    assert holding.wait(10)
    importer.start()
    wait_for(lambda: db.session.execute(text(
        "SELECT 1 FROM pg_locks WHERE locktype = 'advisory' AND NOT granted AND objsubid = 2"
        " AND classid = CAST(:namespace AS oid) AND objid = CAST(:key AS oid)"),
        {"namespace": ownership.TIKTOK_SHOP, "key": world.tiktok_id}).first(),
        message="the import never asked for the shop")
    released_at = time.time()
    release.set()
    pusher.join(10)
    importer.join(60)
    assert outcome == ["succeeded"]
    calls = sandbox.calls()
    assert calls and all(call.timestamp >= released_at for call in calls)
