"""Push jobs: the debounced flush per TikTok shop, scheduled syncs, Sync now and batch runs.

Every push to a shop runs as that shop's owner (sync/ownership.py: a PostgreSQL advisory
lock held for as long as the job holds its connection), so one shop is pushed by one worker
at a time and no two pushes interleave stale values. Redis is only the queue.

The flush is debounced with a fixed job id per shop and `unique=True`: the first
webhook of a burst schedules it FLUSH_DEBOUNCE_SECONDS ahead and the rest find it
pending (DuplicateJobError), so a burst becomes one push. A request that finds the
flush running is answered by the flush itself (it loops while links are dirty) or,
if it came after the flush's last look, by the check each flush leaves behind as an
RQ dependent: RQ starts it only once the flush's job is finished and its id is free,
so it sees every mark made while the flush still held the id, and asks for another
flush if any link is dirty. Dirty marks live in the database; the scheduled sweep
(sync_due_links) remains the net for flushes whose worker died.
"""
from __future__ import annotations

import logging
import random
from collections import defaultdict
from datetime import datetime, timedelta, timezone

from flask import current_app
from rq import Retry, get_current_job
from rq.exceptions import DuplicateJobError, InvalidJobOperation, NoSuchJobError
from rq.job import Job, JobStatus
from sqlalchemy import select

from ..extensions import db
from ..models import Integration, ProductLink, SyncRun
from ..platforms.http import TransientError
from ..sync.pushes import flush as pushes
from ..sync.ownership import NotOwner, shop_is_owned, shop_owner
from ..sync.pushes.reconcile import reconcile_shop
from ..sync.runs import finish_run, mark_running, start_run
from . import app_job, queue

log = logging.getLogger(__name__)

REREQUEST_SECONDS = 2.0
ABANDONED_AFTER = timedelta(seconds=5)  # a started flush not owning its shop this long has died
FAILED_FLUSH_TTL = 3600
RETRY_BASE_SECONDS = 2.0
RETRY_ATTEMPTS = 5
QUEUE = "high"
SWEEP_MINUTES = 5  # sync_due_links runs every 5 minutes (jobs/schedule.py)
_PATH = "shopsync.jobs.pushes."
_OVER = (JobStatus.FINISHED, JobStatus.FAILED, JobStatus.STOPPED, JobStatus.CANCELED)


def flush_job_id(tiktok_integration_id: int) -> str:
    return f"shopsync-flush-{tiktok_integration_id}"


def push_retry() -> Retry:
    """Exponential backoff with jitter, drawn once per enqueue (RQ's Retry takes fixed intervals)."""
    return Retry(max=RETRY_ATTEMPTS, interval=[
        round(RETRY_BASE_SECONDS * 2 ** attempt * random.uniform(0.5, 1.5), 2) for attempt in range(RETRY_ATTEMPTS)])


# ---- the debounced flush -----------------------------------------------------------------------------
def request_flush(tiktok_integration_id: int, trigger: str = "webhook", delay: float | None = None) -> bool:
    """Ask for one flush of this TikTok shop soon; returns False when one is already pending.

    Callers mark links dirty and commit first (sync.dirty), then call this.
    """
    delay = current_app.config["FLUSH_DEBOUNCE_SECONDS"] if delay is None else delay
    job_id = flush_job_id(tiktok_integration_id)
    options = dict(job_id=job_id, unique=True, result_ttl=0, failure_ttl=FAILED_FLUSH_TTL, retry=push_retry())
    for _ in range(2):
        try:
            if delay > 0:
                queue(QUEUE).enqueue_in(timedelta(seconds=delay), _PATH + "flush_shop", tiktok_integration_id,
                                        trigger, **options)
            else:
                queue(QUEUE).enqueue(_PATH + "flush_shop", tiktok_integration_id, trigger, **options)
            return True
        except DuplicateJobError:
            if not _make_room(job_id, tiktok_integration_id, trigger):
                return False
    return False


def _make_room(job_id: str, tiktok_integration_id: int, trigger: str) -> bool:
    """Whether the job holding `job_id` is over and was removed, so the flush can be enqueued."""
    job = _fetch(job_id)
    if job is None or _delete_if_over(job):
        return True
    if job.get_status(refresh=False) == JobStatus.STARTED:  # as _delete_if_over just read it
        started = job.started_at.replace(tzinfo=timezone.utc) if job.started_at else None
        if started and started < _now() - ABANDONED_AFTER and not shop_is_owned(tiktok_integration_id):
            log.warning("flush of TikTok integration %s was abandoned by a dead worker; starting over",
                        tiktok_integration_id)
            job.delete()
            return True
        # It may already have planned past this change: ask again once it is done.
        _request_again(tiktok_integration_id, trigger)
    return False


def _fetch(job_id: str) -> Job | None:
    try:
        return Job.fetch(job_id, connection=current_app.extensions["shopsync.redis"])
    except NoSuchJobError:
        return None


def _delete_if_over(job: Job) -> bool:
    """Whether the job is over and gone (deleted here, or by RQ since it was fetched)."""
    try:
        status = job.get_status(refresh=True)
    except InvalidJobOperation:  # finished meanwhile: RQ deleted it (result_ttl=0)
        return True
    if status in _OVER:
        job.delete()
        return True
    return False


def _request_again(tiktok_integration_id: int, trigger: str) -> None:
    try:
        queue(QUEUE).enqueue_in(timedelta(seconds=REREQUEST_SECONDS), _PATH + "flush_requested_again",
                                tiktok_integration_id, trigger, job_id=f"{flush_job_id(tiktok_integration_id)}-again",
                                unique=True, result_ttl=0, failure_ttl=FAILED_FLUSH_TTL)
    except DuplicateJobError:
        pass


@app_job
def flush_requested_again(tiktok_integration_id: int, trigger: str = "webhook") -> bool:
    return request_flush(tiktok_integration_id, trigger, delay=0)


@app_job
def flush_shop(tiktok_integration_id: int, trigger: str = "webhook") -> dict:
    """Push this shop's dirty links. Transient failures raise, so RQ retries the flush later."""
    with shop_owner(tiktok_integration_id, wait=False) as owner:
        if owner is None:
            _request_again(tiktok_integration_id, trigger)
            return {"locked": True}
        _check_when_finished(tiktok_integration_id, trigger)
        outcome = pushes.flush_dirty(tiktok_integration_id, trigger, owner.check)
    return _raise_for_retry(outcome)


def _check_when_finished(tiktok_integration_id: int, trigger: str) -> None:
    """Leave flush_if_dirty behind as this job's dependent (once: a retried flush has it already).

    Not for a failed flush: its links wait for the sweep rather than loop on a failing TikTok.
    """
    job = get_current_job()
    if job is None or job.dependent_ids:
        return
    queue(QUEUE).enqueue(_PATH + "flush_if_dirty", tiktok_integration_id, trigger, depends_on=job, result_ttl=0,
                         ttl=FAILED_FLUSH_TTL, failure_ttl=FAILED_FLUSH_TTL)


@app_job
def flush_if_dirty(tiktok_integration_id: int, trigger: str = "webhook") -> bool:
    """Runs right after a flush: ask for the next one if links became dirty after its last look."""
    dirty = pushes.has_dirty_links(tiktok_integration_id)
    db.session.rollback()
    return dirty and request_flush(tiktok_integration_id, trigger)


def next_push_at(tiktok_integration_id: int) -> datetime:
    """When this shop's dirty links are tried next: its flush's scheduled retry, else the next sweep."""
    registry = queue(QUEUE).scheduled_job_registry
    try:
        return registry.get_scheduled_time(flush_job_id(tiktok_integration_id)).replace(tzinfo=timezone.utc)
    except NoSuchJobError:
        now = _now()
        return now.replace(second=0, microsecond=0) + timedelta(minutes=SWEEP_MINUTES - now.minute % SWEEP_MINUTES)


# ---- scheduled ---------------------------------------------------------------------------------------
@app_job
def sync_due_links() -> int:
    """Periodic: one push job per TikTok shop with links due by their schedule (or left dirty)."""
    shops = pushes.due_integrations()
    db.session.rollback()
    _enqueue_per_shop("push_due_links", "shopsync-due", shops)
    return len(shops)


@app_job
def push_due_links(tiktok_integration_id: int) -> dict:
    return _while_locked(tiktok_integration_id, pushes.push_due)


@app_job
def reconcile_all() -> int:
    """Nightly: read every active TikTok shop back and fix drift, one job per shop."""
    shops = db.session.execute(select(Integration.id).where(
        Integration.platform == "tiktok", Integration.status == "active")).scalars().all()
    db.session.rollback()
    _enqueue_per_shop("reconcile_shop_job", "shopsync-reconcile", shops, job_timeout=3600)
    return len(shops)


@app_job
def reconcile_shop_job(tiktok_integration_id: int) -> dict:
    return _while_locked(tiktok_integration_id, reconcile_shop)


def _while_locked(tiktok_integration_id: int, push) -> dict:
    """push(shop, owner.check) as the shop's owner; waits for a running push, retries later if it must."""
    with shop_owner(tiktok_integration_id) as owner:
        if owner is None:
            raise TransientError("another push of this TikTok shop is still running")
        outcome = push(tiktok_integration_id, owner.check)
    return _raise_for_retry(outcome)


# ---- Sync now and batch --------------------------------------------------------------------------------
def sync_now(tenant_id: int, link_ids: list[int], trigger: str = "manual") -> SyncRun:
    """Start a push of these links (sync_runs row kind push); progress is on the returned run."""
    ids = sorted(set(link_ids))
    run_id = start_run(tenant_id, "push", trigger, total=len(ids), status="queued")
    queue("default").enqueue(_PATH + "run_push", run_id, ids, job_timeout=3600, result_ttl=0)
    return db.session.get(SyncRun, run_id)


@app_job
def run_push(run_id: int, link_ids: list[int]) -> dict:
    run = db.session.get(SyncRun, run_id)
    tenant_id = run.tenant_id
    mark_running(run_id)
    by_shop: dict[int, list[int]] = defaultdict(list)
    for link_id, shop_id in db.session.execute(select(ProductLink.id, ProductLink.tiktok_integration_id).where(
            ProductLink.tenant_id == tenant_id, ProductLink.id.in_(link_ids))).all():
        by_shop[shop_id].append(link_id)
    db.session.rollback()
    transient = 0
    for tiktok_integration_id, ids in sorted(by_shop.items()):
        with shop_owner(tiktok_integration_id) as owner:
            if owner is None:
                transient += 1
                continue
            try:
                outcome = pushes.push_selected(run_id, tenant_id, tiktok_integration_id, ids, owner.check)
            except NotOwner:
                db.session.rollback()
                transient += 1
                continue
            transient += len(outcome.transient)
    message = "Some updates failed for now; the next sync retries them." if transient else None
    run = finish_run(run_id, message)
    return {"status": run.status, "done": run.done, "failed": run.failed}


def _enqueue_per_shop(job: str, id_prefix: str, shops: list[int], **options) -> None:
    """One low-priority job per shop; a shop whose job is still pending or running is skipped."""
    for tiktok_integration_id in shops:
        job_id = f"{id_prefix}-{tiktok_integration_id}"
        for _ in range(2):
            try:
                queue("low").enqueue(_PATH + job, tiktok_integration_id, job_id=job_id, unique=True, result_ttl=0,
                                     failure_ttl=FAILED_FLUSH_TTL, retry=push_retry(), **options)
                break
            except DuplicateJobError:
                existing = _fetch(job_id)
                if existing is not None and not _delete_if_over(existing):
                    break


def _raise_for_retry(outcome) -> dict:
    if outcome.retry_later:
        raise outcome.transient[0]
    return {"pushed": outcome.pushed, "failed": outcome.failed, "calls": outcome.calls}


def _now() -> datetime:
    return datetime.now(timezone.utc)
