"""Applying a recorded delivery once, and giving up on one that cannot be applied: attempts counted on its
webhook_events row, a permanent failure recorded with its reason, so no delivery is retried without end.
For any platform's deliveries: apply_once takes the platform's own apply function.

Each attempt is counted and committed before the work starts, so one that kills its worker (a job
timeout, memory) still counts. An error that cannot succeed on retry (is_permanent) fails the delivery
at once; any other fails it once it has used MAX_ATTEMPTS. A failed delivery is processed (the recovery
sweep skips it), keeps its reason for the merchant's dashboard and drops its payload.
"""
from __future__ import annotations

import json
import logging
from collections.abc import Callable
from typing import TypeVar

import psycopg
from sqlalchemy import select, update
from sqlalchemy.exc import DataError

from ...extensions import db
from ...models import WebhookEvent, utcnow

log = logging.getLogger(__name__)
Result = TypeVar("Result")

MAX_ATTEMPTS = 8  # RQ's retries of one job, plus the recovery sweep's re-queues while workers were away
FAILED = "failed"
REASON_LENGTH = 500


class Settled(Exception):
    """Raised by an apply function: roll back its writes and record the delivery as handled with `outcome`
    (e.g. a refetch the platform refused: the payload in doubt is not applied, nothing to retry)."""

    def __init__(self, outcome: str):
        super().__init__(outcome)
        self.outcome = outcome


def apply_once(event_id: int, apply: Callable[[WebhookEvent], tuple[str, Result]], nothing: Result) -> Result:
    """Apply a pending delivery as one counted attempt, holding its row's lock, and record the outcome.

    `apply(event)` returns (outcome, result) and may raise Settled. Any other exception fails the attempt:
    it is re-raised (the job is retried) while retrying may help and attempts remain, else the delivery is
    given up with the reason. Returns `nothing` when the delivery was not applied by this call.
    """
    attempt = begin_attempt(event_id)
    if attempt is None:
        return nothing
    if attempt > MAX_ATTEMPTS:  # the earlier attempts never finished (a worker died on them)
        give_up(event_id, f"gave up after {MAX_ATTEMPTS} attempts that did not finish")
        return nothing
    event = db.session.execute(select(WebhookEvent).where(WebhookEvent.id == event_id)
                               .with_for_update(skip_locked=True)).scalar_one_or_none()
    if event is None or event.processed_at is not None:
        db.session.rollback()
        return nothing
    topic = event.topic
    try:
        outcome, result = apply(event)
        db.session.flush()  # a value the database refuses fails here, inside the attempt
    except Settled as settled:
        db.session.rollback()
        outcome, result = settled.outcome, nothing
    except Exception as error:
        db.session.rollback()
        log.warning("webhook event %s (%s) not applied (attempt %s): %s", event_id, topic, attempt,
                    type(error).__name__)
        if after_error(event_id, attempt, error):
            return nothing
        raise
    db.session.execute(update(WebhookEvent).where(WebhookEvent.id == event_id).values(
        processed_at=utcnow(), outcome=outcome[:40], payload=None))
    db.session.commit()
    return result


def begin_attempt(event_id: int) -> int | None:
    """Count one more attempt and commit it; returns the count, or None when the delivery is applied
    already or another worker is applying it (its row is locked)."""
    pending = (select(WebhookEvent.id).where(WebhookEvent.id == event_id, WebhookEvent.processed_at.is_(None))
               .with_for_update(skip_locked=True).scalar_subquery())
    attempts = db.session.execute(update(WebhookEvent).where(WebhookEvent.id == pending)
                                  .values(attempts=WebhookEvent.attempts + 1).returning(WebhookEvent.attempts),
                                  execution_options={"synchronize_session": False}).scalar_one_or_none()
    db.session.commit()
    return attempts


def is_permanent(error: BaseException) -> bool:
    """Whether retrying cannot help: a body that does not parse or nests too deep, a value of the wrong
    type or out of range (also when the database is the one to refuse it)."""
    return isinstance(error, (ValueError, KeyError, TypeError, RecursionError, OverflowError, DataError,
                              psycopg.DataError))


def reason(error: BaseException) -> str:
    """What went wrong, in words for the merchant; never the payload's values."""
    if isinstance(error, RecursionError):
        text = "the body is nested too deeply to read"
    elif isinstance(error, json.JSONDecodeError):
        text = "the body is not valid JSON"
    elif isinstance(error, (DataError, psycopg.DataError)):
        detail = (str(getattr(error, "orig", error)).strip().splitlines() or ["DataError"])[0]
        text = f"a value does not fit what ShopSync stores ({detail[:200]})"
    elif isinstance(error, KeyError):
        text = f"the body lacks the field {str(error)[:100]}"
    elif isinstance(error, (ValueError, TypeError, OverflowError)):
        text = f"the body holds a value ShopSync cannot use: {str(error)[:200] or type(error).__name__}"
    else:
        text = f"{type(error).__name__}: {str(error)[:200]}"
    return text[:REASON_LENGTH]


def note_failure(event_id: int, why: str) -> None:
    """Remember why this attempt failed; the delivery stays pending and is tried again. Commits."""
    db.session.execute(update(WebhookEvent).where(WebhookEvent.id == event_id).values(failure=why[:REASON_LENGTH]))
    db.session.commit()


def give_up(event_id: int, why: str) -> None:
    """Record the delivery as failed for good, with the reason. Commits."""
    db.session.execute(update(WebhookEvent).where(WebhookEvent.id == event_id, WebhookEvent.processed_at.is_(None))
                       .values(processed_at=utcnow(), outcome=FAILED, failure=why[:REASON_LENGTH], payload=None))
    db.session.commit()


def after_error(event_id: int, attempt: int, error: BaseException) -> bool:
    """Record a failed attempt (the session rolled back already); True when the delivery is now given up,
    False when it should be retried."""
    why = reason(error)
    if is_permanent(error):
        give_up(event_id, why)
        return True
    if attempt >= MAX_ATTEMPTS:
        give_up(event_id, f"still failing after {attempt} attempts: {why}")
        return True
    note_failure(event_id, why)
    return False


def failed_deliveries(tenant_id: int, limit: int = 10) -> list[WebhookEvent]:
    """A merchant's deliveries given up, newest first (kept as long as processed deliveries are)."""
    return list(db.session.execute(select(WebhookEvent).where(
        WebhookEvent.tenant_id == tenant_id, WebhookEvent.outcome == FAILED)
        .order_by(WebhookEvent.id.desc()).limit(limit)).scalars())
