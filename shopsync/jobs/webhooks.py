"""Applying recorded Shopify webhook deliveries, and rebuilding lost jobs from the database."""
from __future__ import annotations

from ..sync.webhook_processing import process_event, unprocessed_event_ids
from . import app_job, enqueue
from .imports import request_flushes


@app_job
def process_webhook(event_id: int) -> None:
    request_flushes(process_event(event_id), "webhook")


@app_job
def recover_unprocessed_webhooks(older_than_seconds: float = 120) -> int:
    """Re-enqueue deliveries whose job never ran (e.g. Redis lost it); applying twice is harmless."""
    event_ids = unprocessed_event_ids(older_than_seconds)
    for event_id in event_ids:
        enqueue(process_webhook, event_id, queue_name="high")
    return len(event_ids)
