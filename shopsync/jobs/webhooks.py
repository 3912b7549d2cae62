"""Applying recorded Shopify webhook deliveries, and rebuilding lost jobs from the database."""
from __future__ import annotations

import logging

from rq import Retry
from rq.exceptions import DuplicateJobError

from ..extensions import db
from ..sync.catalog.webhooks import process_event, unprocessed_event_ids
from . import app_job, enqueue
from .imports import request_flushes
from .pushes import _delete_if_over, _fetch

log = logging.getLogger(__name__)

# A refetch from Shopify that failed transiently (after the client's own quick retries) is tried again later.
WEBHOOK_RETRY = Retry(max=5, interval=[10, 30, 120, 600, 1800])


@app_job
def process_webhooks(*event_ids: int) -> None:
    """Apply deliveries (those one intake write recorded together), each in its own transaction.

    One that fails does not hold up the rest; the job then fails, and its retry applies what
    is still unprocessed (an applied event is skipped).
    """
    flushes: set[int] = set()
    failure: Exception | None = None
    for event_id in event_ids:
        try:
            flushes |= process_event(event_id)
        except Exception as error:
            db.session.rollback()
            log.warning("webhook event %s not applied yet: %s", event_id, type(error).__name__)
            failure = failure or error
    request_flushes(flushes, "webhook")
    if failure is not None:
        raise failure


@app_job
def recover_unprocessed_webhooks(older_than_seconds: float = 120) -> int:
    """Re-enqueue deliveries whose job never ran (e.g. Redis lost it); applying twice is harmless.

    One recovery job per delivery at a time (fixed id): sweeps that come round while the
    workers are down or behind would otherwise queue another copy of the whole backlog each time.
    Returns how many were queued.
    """
    queued = 0
    for event_id in unprocessed_event_ids(older_than_seconds):
        job_id = f"shopsync-recover-webhook-{event_id}"
        for _ in range(2):
            try:
                enqueue(process_webhooks, event_id, queue_name="high", job_id=job_id, unique=True, result_ttl=0,
                        retry=WEBHOOK_RETRY)
                queued += 1
                break
            except DuplicateJobError:  # pending, or a failed attempt that is kept a while
                existing = _fetch(job_id)
                if existing is not None and not _delete_if_over(existing):
                    break
    return queued

