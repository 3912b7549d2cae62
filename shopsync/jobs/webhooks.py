"""Applying recorded Shopify webhook deliveries, and rebuilding lost jobs from the database."""
from __future__ import annotations

from rq import Retry
from rq.exceptions import DuplicateJobError

from ..sync.webhook_processing import process_event, unprocessed_event_ids
from . import app_job, enqueue
from .imports import request_flushes
from .pushes import _delete_if_over, _fetch

# A refetch from Shopify that failed transiently (after the client's own quick retries) is tried again later.
WEBHOOK_RETRY = Retry(max=5, interval=[10, 30, 120, 600, 1800])


@app_job
def process_webhook(event_id: int) -> None:
    request_flushes(process_event(event_id), "webhook")


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
                enqueue(process_webhook, event_id, queue_name="high", job_id=job_id, unique=True, result_ttl=0,
                        retry=WEBHOOK_RETRY)
                queued += 1
                break
            except DuplicateJobError:  # pending, or a failed attempt that is kept a while
                existing = _fetch(job_id)
                if existing is not None and not _delete_if_over(existing):
                    break
    return queued

