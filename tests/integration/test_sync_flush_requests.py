"""Flush requests that arrive while a flush is finishing are never left for the 5-minute sweep."""
from __future__ import annotations

import threading
import time

from rq import SimpleWorker
from rq.job import Job, JobStatus
from sqlalchemy import select

from shopsync.extensions import db
from shopsync.jobs import queue
from shopsync.jobs.pushes import QUEUE, flush_job_id, request_flush
from shopsync.models import ProductLink
from shopsync.sync.pushes import flush
from shopsync.sync.pushes.dirty import mark_variants_dirty
from tests.support.factories import LOCATION_IDS, make_world, no_lock, sandbox, set_stock  # noqa: F401
from tests.support.sync_journey import sent_quantities, wait_for
from tests.support.worker import rq_worker  # noqa: F401 - fixture


def change_stock(world, available: int) -> None:
    set_stock(world, 0, LOCATION_IDS[0], available)
    mark_variants_dirty(world.tenant_id, [world.variant_ids[0]])
    db.session.commit()


def on_tiktok(sandbox, world) -> int:
    return sandbox.sku_state(world.sku_ids[0])["inventory"][world.warehouse_ids[0]]


def dirty(world) -> bool:
    return db.session.execute(select(ProductLink.dirty).where(ProductLink.id == world.link_ids[0])).scalar_one()


class _LateRequestWorker(SimpleWorker):
    """Runs `late` after the flush job returned and before RQ finishes it: the window a request can hit."""

    late = None

    def handle_job_success(self, job, queue, started_job_registry, execution):
        if job.func_name.endswith(".flush_shop") and self.late is not None:
            late, self.late = self.late, None
            late()
        return super().handle_job_success(job, queue, started_job_registry, execution)


def test_a_request_made_while_the_flush_job_is_being_finished_gets_its_own_flush(sandbox, app):
    world = make_world(sandbox, skus=1)
    flush.flush_dirty(world.tiktok_id, "webhook", no_lock)
    connection = app.extensions["shopsync.redis"]
    change_stock(world, 20)  # 20 + 4 at the other location
    request_flush(world.tiktok_id, delay=0)
    seen = {}

    def late_change():
        seen["status"] = Job.fetch(flush_job_id(world.tiktok_id), connection=connection).get_status()
        change_stock(world, 30)
        seen["enqueued"] = request_flush(world.tiktok_id, delay=0)

    worker = _LateRequestWorker([queue(QUEUE)], connection=connection)
    worker.late = late_change
    worker.work(burst=True)

    assert seen == {"status": JobStatus.STARTED, "enqueued": False}  # the request could not enqueue a flush
    assert on_tiktok(sandbox, world) == 24
    follow_up = Job.fetch(flush_job_id(world.tiktok_id), connection=connection)
    # Asked for by the check the finished flush left, before any re-request timer could fire:
    assert follow_up.get_status() == JobStatus.SCHEDULED
    time.sleep(app.config["FLUSH_DEBOUNCE_SECONDS"])
    SimpleWorker([queue(QUEUE)], connection=connection).work(burst=True, with_scheduler=True)
    assert on_tiktok(sandbox, world) == 34
    assert not dirty(world)


def test_hammering_requests_while_flushes_finish_leaves_nothing_for_the_sweep(sandbox, app, rq_worker):
    world = make_world(sandbox, skus=1)
    flush.flush_dirty(world.tiktok_id, "webhook", no_lock)
    sandbox.clear_calls()
    stop = threading.Event()
    last = {}

    def hammer():
        with app.app_context():
            available = 100
            while not stop.is_set():
                available += 1
                change_stock(world, available)
                for _ in range(5):
                    request_flush(world.tiktok_id)
                last["value"] = available + 4
                time.sleep(0.003)

    thread = threading.Thread(target=hammer)
    thread.start()
    try:
        wait_for(lambda: len(sandbox.calls()) >= 8, 60, message="flushes did not keep up")
    finally:
        stop.set()
        thread.join()
    stopped = time.monotonic()
    wait_for(lambda: on_tiktok(sandbox, world) == last["value"] and not dirty(world), 10,
             message="the last change waited for the sweep")
    settled_after = time.monotonic() - stopped
    sent = [sent_quantities(call, world.warehouse_ids[0])[world.sku_ids[0]] for call in sandbox.calls()]
    assert sent == sorted(sent), "a flush pushed an older value after a newer one"
    assert settled_after < 5, settled_after


def test_a_flush_job_that_vanishes_while_its_status_is_read_counts_as_over(sandbox, app):
    """RQ deletes a finished flush (result_ttl=0) between a request's DuplicateJobError and its status read."""
    from shopsync.jobs.pushes import _delete_if_over

    world = make_world(sandbox, skus=1)
    request_flush(world.tiktok_id, delay=60)
    connection = app.extensions["shopsync.redis"]
    job = Job.fetch(flush_job_id(world.tiktok_id), connection=connection)
    connection.delete(job.key)
    assert _delete_if_over(job)
    assert request_flush(world.tiktok_id, delay=60)
