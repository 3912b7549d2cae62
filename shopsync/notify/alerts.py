"""Telling the merchant what failed, without flooding their inbox.

An Alert row is one failing thing (a link, an integration, a run), keyed by
kind and subject_key. The first failure of a kind in a tenant's digest window is
emailed at once; later ones of that kind are held (sent_at empty) and go out
together in one digest once the window has passed. The same thing failing again
while it is still failing is not news: its row only keeps the latest reason.
When it works again the merchant gets a recovery email, if they were told it failed.

Emails are sent by jobs (jobs/notifications.py), so a slow mail server never
holds up a flush. Each tenant's decisions are serialized by a lock on its row,
so two workers failing at once still send one email.
"""
from __future__ import annotations

from datetime import datetime, timedelta

from flask import current_app
from rq import Retry
from sqlalchemy import func, select, update

from ..extensions import db
from ..jobs import enqueue
from ..models import Alert, Tenant, utcnow

FAILING = "failing"
RECOVERED = "recovered"

LINK_FAILED = "link_failed"
NEEDS_REAUTH = "needs_reauth"
RUN_FAILED = "run_failed"
PRICE_HELD = "price_held"  # a price outside the guard rails waits for the merchant
LINK_ORPHANED = "link_orphaned"  # a link's Shopify variant or TikTok SKU was deleted
LISTING_FAILED = "listing_failed"  # TikTok's review rejected a published listing

_JOBS = "shopsync.jobs.notifications."
_EMAIL_RETRY = Retry(max=3, interval=[30, 120, 600])


def report_failure(tenant_id: int, kind: str, subject_key: str, summary: str, details: dict,
                   fix_path: str) -> Alert | None:
    """Record that `subject_key` failed; email now if it is the first of its kind in the window.

    `fix_path` is where the merchant can fix it (a path below PUBLIC_URL, or a full URL).
    Commits the session. Returns the alert, or None when the tenant no longer exists.
    """
    tenant = _lock_tenant(tenant_id)
    if tenant is None:
        db.session.rollback()
        return None
    record = {"facts": {str(k): v for k, v in (details or {}).items()}, "fix_path": fix_path}
    summary = summary.replace("\x00", "")  # platform values end up here; PostgreSQL stores no NUL
    alert = _open_alert(tenant_id, kind, subject_key)
    if alert is not None:
        alert.summary = summary
        alert.details = record
        db.session.commit()
        return alert
    now = utcnow()
    alert = Alert(tenant_id=tenant_id, kind=kind, subject_key=subject_key, state=FAILING,
                  recipient=tenant.alert_email, summary=summary, details=record, created_at=now)
    if tenant.alert_email and not _emailed_since(tenant_id, kind, now - digest_window(tenant)):
        alert.sent_at = now
    db.session.add(alert)
    db.session.commit()
    if alert.sent_at is not None:
        enqueue(_JOBS + "send_failure_email", alert.id, retry=_EMAIL_RETRY)
    return alert


def report_recovery(tenant_id: int, kind: str, subject_key: str, summary: str) -> bool:
    """`subject_key` works again: close its alert and email the merchant if they were told it failed.

    Cheap when nothing was failing (one indexed read, no write). Commits when it closes an alert.
    """
    alert = _open_alert(tenant_id, kind, subject_key)
    if alert is None:
        return False
    details = dict(alert.details or {}, recovery=summary, recovered_at=utcnow().isoformat())
    closed = db.session.execute(
        update(Alert).where(Alert.id == alert.id, Alert.state == FAILING).values(state=RECOVERED, details=details),
        execution_options={"synchronize_session": False},
    ).rowcount
    was_emailed = alert.sent_at is not None
    db.session.commit()
    if not closed:  # another worker closed it first and tells the merchant
        return False
    if was_emailed:
        enqueue(_JOBS + "send_recovery_email", alert.id, retry=_EMAIL_RETRY)
    return True


def send_digests() -> int:
    """Queue one digest email per tenant of the failures held back whose window has passed.

    Returns how many digests were queued. Safe to run from several schedulers at once.
    """
    tenant_ids = db.session.execute(
        select(Alert.tenant_id).where(Alert.state == FAILING, Alert.sent_at.is_(None)).distinct()).scalars().all()
    db.session.rollback()
    queued = 0
    for tenant_id in tenant_ids:
        alert_ids = _claim_digest(tenant_id)
        if alert_ids:
            enqueue(_JOBS + "send_digest_email", tenant_id, alert_ids, retry=_EMAIL_RETRY)
            queued += 1
    return queued


def record_unsent(alert_ids: list[int], why: str) -> None:
    """The email about these alerts could not be sent and will not be retried: keep why, for the dashboard.
    Commits."""
    db.session.execute(update(Alert).where(Alert.id.in_(alert_ids)).values(send_failed_at=utcnow(),
                                                                         send_error=why[:500]),
                       execution_options={"synchronize_session": False})
    db.session.commit()


def unsent(tenant_id: int, limit: int = 10) -> list[Alert]:
    """Alerts whose email could not be sent, newest first."""
    return list(db.session.execute(select(Alert).where(Alert.tenant_id == tenant_id, Alert.send_failed_at.is_not(None))
                                   .order_by(Alert.send_failed_at.desc(), Alert.id.desc()).limit(limit)).scalars())


def digest_window(tenant: Tenant) -> timedelta:
    return timedelta(minutes=tenant.digest_minutes or current_app.config["ALERT_DIGEST_MINUTES"])


def _claim_digest(tenant_id: int) -> list[int]:
    tenant = _lock_tenant(tenant_id)
    if tenant is None or not tenant.alert_email:
        db.session.rollback()
        return []
    now = utcnow()
    held = db.session.execute(select(Alert).where(
        Alert.tenant_id == tenant_id, Alert.state == FAILING, Alert.sent_at.is_(None),
    ).order_by(Alert.created_at, Alert.id)).scalars().all()
    since = now - digest_window(tenant)
    quiet_kinds = {kind for kind in {alert.kind for alert in held} if not _emailed_since(tenant_id, kind, since)}
    due = [alert for alert in held if alert.kind in quiet_kinds]
    for alert in due:
        alert.sent_at = now
        alert.recipient = tenant.alert_email
    ids = [alert.id for alert in due]
    db.session.commit()
    return ids


def _lock_tenant(tenant_id: int) -> Tenant | None:
    # FOR NO KEY UPDATE: serializes alert decisions per tenant without blocking (or deadlocking
    # with) transactions that merely insert rows referencing the tenant.
    return db.session.execute(
        select(Tenant).where(Tenant.id == tenant_id).with_for_update(key_share=True)
        .execution_options(populate_existing=True)
    ).scalar_one_or_none()


def _open_alert(tenant_id: int, kind: str, subject_key: str) -> Alert | None:
    return db.session.execute(select(Alert).where(
        Alert.tenant_id == tenant_id, Alert.kind == kind, Alert.subject_key == subject_key, Alert.state == FAILING,
    ).order_by(Alert.id.desc()).limit(1)).scalar_one_or_none()


def _emailed_since(tenant_id: int, kind: str, since: datetime) -> bool:
    last = db.session.execute(select(func.max(Alert.sent_at)).where(
        Alert.tenant_id == tenant_id, Alert.kind == kind)).scalar_one_or_none()
    return last is not None and last > since
