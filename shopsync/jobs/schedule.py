"""Periodic jobs, declared once as data and registered idempotently with rq-scheduler's cron.

Registration cancels each entry by its fixed id and adds it again, so running it
at every worker start, from `flask shopsync schedule`, or twice at once leaves
exactly one entry per job. Production runs one `TZ=UTC rqscheduler --url $REDIS_URL`
process to move due entries onto the queues (rq-scheduler computes cron in naive
local time, hence TZ=UTC). The embedded default runs the same declaration in a
thread of the web process (embedded.py).
"""
from __future__ import annotations

import warnings
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import timedelta

import click
from flask import current_app
from rq_scheduler import Scheduler
from sqlalchemy import delete, select

from ..extensions import db
from ..models import DeletedProduct, Integration, SyncLog, SyncRun, WebhookEvent, utcnow
from . import app_job, queue


@dataclass(frozen=True)
class Periodic:
    id: str
    cron: str  # minute hour day month weekday, UTC
    func: str  # dotted path, so declaring never imports the job's module
    queue: str = "low"
    timeout: int = 1800


PERIODIC_JOBS = (
    Periodic("shopsync-sync-due-links", "*/5 * * * *", "shopsync.jobs.pushes.sync_due_links"),
    Periodic("shopsync-import-changes", "*/5 * * * *", "shopsync.jobs.schedule.import_changes_everywhere"),
    Periodic("shopsync-reconcile", "30 3 * * *", "shopsync.jobs.pushes.reconcile_all"),
    Periodic("shopsync-refresh-tiktok-tokens", "15 * * * *", "shopsync.jobs.tokens.refresh_expiring_tiktok_tokens"),
    Periodic("shopsync-alert-digests", "*/10 * * * *", "shopsync.jobs.notifications.send_digests"),
    Periodic("shopsync-recover-webhooks", "*/5 * * * *", "shopsync.jobs.webhooks.recover_unprocessed_webhooks"),
    Periodic("shopsync-retention", "45 4 * * *", "shopsync.jobs.schedule.delete_old_records"),
    Periodic("shopsync-follow-listings", "*/5 * * * *", "shopsync.jobs.listings.follow_listings"),
    Periodic("shopsync-recheck-categories", "20 5 * * *", "shopsync.jobs.listings.recheck_all_categories"),
    Periodic("shopsync-poll-tiktok-orders", "*/5 * * * *", "shopsync.jobs.orders.poll_orders_everywhere"),
    Periodic("shopsync-resume-orders", "* * * * *", "shopsync.jobs.orders.resume_stalled_orders"),
    Periodic("shopsync-recover-tiktok-webhooks", "*/5 * * * *", "shopsync.jobs.orders.recover_tiktok_webhooks"),
)


@contextmanager
def _quiet_crontab():
    """rq-scheduler calls crontab's next() the deprecated way; that one FutureWarning is noise."""
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", category=FutureWarning, module=r"rq_scheduler\.utils",
                                message=r"Version 0\.22\.0\+ of crontab")
        yield


def scheduler(connection=None) -> Scheduler:
    return Scheduler(queue_name="low", connection=connection or current_app.extensions["shopsync.redis"])


def register_schedule(connection=None) -> list[str]:
    """(Re)register every periodic job under its fixed id; returns the ids."""
    cron = scheduler(connection)
    with _quiet_crontab():
        for job in PERIODIC_JOBS:
            cron.cancel(job.id)
            cron.cron(job.cron, func=job.func, id=job.id, queue_name=job.queue, timeout=job.timeout,
                      result_ttl=0, use_local_timezone=False)
    return [job.id for job in PERIODIC_JOBS]


def enqueue_due(cron: Scheduler) -> None:
    """Move due entries onto their queues: what the rqscheduler process does each tick."""
    with _quiet_crontab():
        cron.enqueue_jobs()


@app_job
def import_changes_everywhere() -> int:
    """The missed-webhook safety net: an incremental Shopify import per active store."""
    store_ids = db.session.execute(select(Integration.id).where(
        Integration.platform == "shopify", Integration.status == "active")).scalars().all()
    db.session.rollback()
    for integration_id in store_ids:
        queue("low").enqueue("shopsync.jobs.imports.import_changed_products", integration_id, result_ttl=0)
    return len(store_ids)


@app_job
def delete_old_records() -> dict:
    """Retention: sync logs, finished runs, handled webhook deliveries and product deletions older than
    LOG_RETENTION_DAYS (by then no late webhook or export can still mention a deleted product)."""
    cutoff = utcnow() - timedelta(days=current_app.config["LOG_RETENTION_DAYS"])
    deleted = {
        "sync_logs": db.session.execute(delete(SyncLog).where(SyncLog.created_at < cutoff)).rowcount,
        "sync_runs": db.session.execute(delete(SyncRun).where(
            SyncRun.finished_at.is_not(None), SyncRun.finished_at < cutoff)).rowcount,
        "webhook_events": db.session.execute(delete(WebhookEvent).where(
            WebhookEvent.processed_at.is_not(None), WebhookEvent.received_at < cutoff)).rowcount,
        "deleted_products": db.session.execute(delete(DeletedProduct).where(
            DeletedProduct.deleted_at < cutoff)).rowcount,
    }
    db.session.commit()
    return deleted


@click.command("schedule")
def schedule_command():
    """Register the periodic jobs with rq-scheduler (idempotent; run `TZ=UTC rqscheduler` to fire them)."""
    for job_id in register_schedule():
        click.echo(f"registered {job_id}")
