"""Alert emails, sent from workers so a slow mail server never holds up a sync.

A send that cannot succeed (an address the server refuses, a message it cannot take) is recorded on
its alerts at once and not retried; one that may (the server is down, busy) is retried by RQ and
recorded when its last retry fails too. The dashboard shows what could not be sent, and why.
"""
from __future__ import annotations

from rq import get_current_job
from sqlalchemy import select

from ..extensions import db
from ..models import Alert, Tenant
from ..notify import alerts, emails
from ..notify.mail import Email, permanent_reason, send_email
from . import app_job


@app_job
def send_failure_email(alert_id: int) -> bool:
    return _send_about(alert_id, emails.failure_email)


@app_job
def send_recovery_email(alert_id: int) -> bool:
    return _send_about(alert_id, emails.recovery_email)


def _send_about(alert_id: int, compose) -> bool:
    alert = db.session.get(Alert, alert_id)
    if alert is None or not alert.recipient:
        return False
    return _send([alert_id], lambda: compose(db.session.get(Tenant, alert.tenant_id), alert))


@app_job
def send_digest_email(tenant_id: int, alert_ids: list[int]) -> bool:
    tenant = db.session.get(Tenant, tenant_id)
    held = db.session.execute(select(Alert).where(Alert.tenant_id == tenant_id, Alert.id.in_(alert_ids))
                              .order_by(Alert.created_at, Alert.id)).scalars().all()
    if tenant is None or not tenant.alert_email or not held:
        return False
    return _send([alert.id for alert in held], lambda: emails.digest_email(tenant, held))


def _send(alert_ids: list[int], compose) -> bool:
    try:
        email: Email = compose()
        return send_email(email)
    except Exception as error:
        why = permanent_reason(error)
        job = get_current_job()
        if why is None and job is not None and job.retries_left:
            raise  # RQ tries again later
        db.session.rollback()
        alerts.record_unsent(alert_ids, why or f"the mail server could not be reached ({type(error).__name__}: "
                                               f"{str(error)[:200]})")
        return False


@app_job
def send_digests() -> int:
    """Scheduled every few minutes: the failures held back during each tenant's window, in one email."""
    return alerts.send_digests()
