"""Alert emails, sent from workers so a slow mail server never holds up a sync."""
from __future__ import annotations

from sqlalchemy import select

from ..extensions import db
from ..models import Alert, Tenant
from ..notify import alerts, emails
from ..notify.mail import send_email
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
    return send_email(compose(db.session.get(Tenant, alert.tenant_id), alert))


@app_job
def send_digest_email(tenant_id: int, alert_ids: list[int]) -> bool:
    tenant = db.session.get(Tenant, tenant_id)
    held = db.session.execute(select(Alert).where(Alert.tenant_id == tenant_id, Alert.id.in_(alert_ids))
                              .order_by(Alert.created_at, Alert.id)).scalars().all()
    if tenant is None or not tenant.alert_email or not held:
        return False
    return send_email(emails.digest_email(tenant, held))


@app_job
def send_digests() -> int:
    """Scheduled every few minutes: the failures held back during each tenant's window, in one email."""
    return alerts.send_digests()
