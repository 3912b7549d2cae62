"""Failure alerts by email through a real SMTP server: one per kind per window, digest, recovery, races."""
from __future__ import annotations

import logging
import threading
from datetime import timedelta

import pytest
from sqlalchemy import select

from shopsync.extensions import db
from shopsync.models import Alert, Tenant
from shopsync.notify import alerts
from shopsync.notify.mail import Email, send_email
from tests.support.journeys import install_shop
from tests.support.mail import html_part, mailbox, run_alert_emails, text_part  # noqa: F401 (fixture)


@pytest.fixture
def tenant(client, app, shop_domain):
    tenant_id = install_shop(client, shop_domain)
    with app.app_context():
        return tenant_id, db.session.get(Tenant, tenant_id).alert_email


def _fail(app, tenant_id, key, summary, kind=alerts.LINK_FAILED, **facts):
    with app.app_context():
        alert = alerts.report_failure(tenant_id, kind, key, summary, facts or {"reason": "price locked"},
                                      f"/links?focus={key}")
        return alert.id


def _alerts(app, tenant_id):
    with app.app_context():
        return db.session.execute(select(Alert.subject_key, Alert.state, Alert.sent_at.is_not(None)).where(
            Alert.tenant_id == tenant_id).order_by(Alert.id)).all()


def _age_emails(app, tenant_id, by: timedelta):
    """Pretend the emails so far went out `by` earlier: the digest window has passed."""
    with app.app_context():
        for alert in db.session.execute(select(Alert).where(
                Alert.tenant_id == tenant_id, Alert.sent_at.is_not(None))).scalars():
            alert.sent_at -= by
        db.session.commit()


def test_first_failure_is_emailed_at_once_with_what_why_and_where_to_fix(app, tenant, mailbox):
    tenant_id, address = tenant
    _fail(app, tenant_id, "link:1", "Blue Shirt / M did not sync to TikTok Shop",
          reason="TikTok Shop error 12052901: product is under review", request_id="2026REQ")
    assert run_alert_emails(app, tenant_id) == 1
    [message] = mailbox.wait_for(address, 1)
    assert message["Subject"] == "ShopSync: Blue Shirt / M did not sync to TikTok Shop"
    text, html = text_part(message), html_part(message)
    for body in (text, html):
        assert "Blue Shirt / M did not sync" in body
        assert "product is under review" in body and "2026REQ" in body
        assert app.config["PUBLIC_URL"] + "/links?focus=link:1" in body.replace("&amp;", "&")


def test_more_failures_of_a_kind_in_the_window_wait_for_one_digest(app, tenant, mailbox):
    tenant_id, address = tenant
    _fail(app, tenant_id, "link:1", "Link 1 failed")
    _fail(app, tenant_id, "link:2", "Link 2 failed")
    _fail(app, tenant_id, "link:3", "Link 3 failed")
    _fail(app, tenant_id, "link:2", "Link 2 failed again")  # still failing: not news
    _fail(app, tenant_id, "run:9", "Import failed", kind=alerts.RUN_FAILED)  # another kind has its own email
    assert _alerts(app, tenant_id) == [("link:1", "failing", True), ("link:2", "failing", False),
                                       ("link:3", "failing", False), ("run:9", "failing", True)]
    assert run_alert_emails(app, tenant_id) == 2
    assert sorted(m["Subject"] for m in mailbox.wait_for(address, 2)) == [
        "ShopSync: Import failed", "ShopSync: Link 1 failed"]

    with app.app_context():
        alerts.send_digests()  # the window has not passed: nothing yet
    assert run_alert_emails(app, tenant_id) == 0

    _age_emails(app, tenant_id, timedelta(minutes=61))
    with app.app_context():
        assert alerts.send_digests() >= 1
        assert alerts.send_digests() == 0  # claimed once
    assert run_alert_emails(app, tenant_id) == 1
    digest = mailbox.wait_for(address, 3)[-1]
    assert digest["Subject"] == "ShopSync: 2 more problems since our last email"
    text = text_part(digest)
    assert "Link 2 failed again" in text and "Link 3 failed" in text and "Link 1 failed" not in text
    assert all(sent for _, _, sent in _alerts(app, tenant_id))


def test_recovery_is_emailed_once_and_only_for_what_the_merchant_was_told(app, tenant, mailbox):
    tenant_id, address = tenant
    _fail(app, tenant_id, "link:1", "Link 1 failed")
    _fail(app, tenant_id, "link:2", "Link 2 failed")  # held, never emailed
    with app.app_context():
        assert alerts.report_recovery(tenant_id, alerts.LINK_FAILED, "link:1", "Link 1 synced fine again.")
        assert not alerts.report_recovery(tenant_id, alerts.LINK_FAILED, "link:1", "again")
        assert alerts.report_recovery(tenant_id, alerts.LINK_FAILED, "link:2", "Link 2 synced fine again.")
        assert not alerts.report_recovery(tenant_id, alerts.LINK_FAILED, "link:404", "never failed")
    assert run_alert_emails(app, tenant_id) == 2  # failure of link 1, recovery of link 1
    messages = mailbox.wait_for(address, 2)
    assert [m["Subject"] for m in messages] == ["ShopSync: Link 1 failed", "ShopSync: working again: Link 1 failed"]
    assert "Link 1 synced fine again." in text_part(messages[1])
    assert [state for _, state, _ in _alerts(app, tenant_id)] == ["recovered", "recovered"]
    with app.app_context():
        alerts.send_digests()
    assert run_alert_emails(app, tenant_id) == 0  # what was held recovered before any digest: no news

    _fail(app, tenant_id, "link:1", "Link 1 failed once more")  # a new failure after recovery is a new alert
    assert [key for key, state, _ in _alerts(app, tenant_id) if state == "failing"] == ["link:1"]


def test_two_workers_failing_at_once_send_one_email(app, tenant, mailbox):
    tenant_id, address = tenant
    start = threading.Barrier(4)
    errors = []

    def fail(key):
        try:
            start.wait(5)
            _fail(app, tenant_id, key, f"{key} failed")
        except Exception as error:  # noqa: BLE001 - surfaced below
            errors.append(error)

    workers = [threading.Thread(target=fail, args=(f"link:{n}",)) for n in range(4)]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join(10)
    assert not errors
    rows = _alerts(app, tenant_id)
    assert len(rows) == 4 and sum(sent for _, _, sent in rows) == 1
    assert run_alert_emails(app, tenant_id) == 1
    assert len(mailbox.wait_for(address, 1)) == 1


def test_the_same_failure_reported_by_two_workers_at_once_is_one_alert(app, tenant, mailbox):
    tenant_id, address = tenant
    start = threading.Barrier(3)
    workers = [threading.Thread(target=lambda: (start.wait(5), _fail(app, tenant_id, "link:7", "Link 7 failed")))
               for _ in range(3)]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join(10)
    assert _alerts(app, tenant_id) == [("link:7", "failing", True)]
    assert run_alert_emails(app, tenant_id) == 1


def test_without_an_alert_email_failures_wait_until_there_is_one(app, tenant, mailbox):
    tenant_id, address = tenant
    with app.app_context():
        db.session.get(Tenant, tenant_id).alert_email = None
        db.session.commit()
    _fail(app, tenant_id, "link:1", "Link 1 failed")
    with app.app_context():
        alerts.send_digests()
    assert run_alert_emails(app, tenant_id) == 0
    with app.app_context():
        db.session.get(Tenant, tenant_id).alert_email = address
        db.session.commit()
        alerts.send_digests()
    assert run_alert_emails(app, tenant_id) == 1
    assert "1 more problem since" in mailbox.wait_for(address, 1)[0]["Subject"]


def test_with_mail_off_nothing_is_sent_and_only_subject_and_recipient_are_logged(app, caplog, monkeypatch):
    assert not app.config["MAIL_ENABLED"]
    # Alembic's fileConfig (run by the app fixture's upgrade) disables loggers that existed before it.
    monkeypatch.setattr(logging.getLogger("shopsync.notify.mail"), "disabled", False)
    with app.app_context(), caplog.at_level(logging.INFO, logger="shopsync.notify.mail"):
        sent = send_email(Email(to="owner@example.com", subject="ShopSync: Link failed",
                                text="token ROW_secret-token-value", html="<p>ROW_secret-token-value</p>"))
    assert sent is False
    assert "owner@example.com" in caplog.text and "ShopSync: Link failed" in caplog.text
    assert "ROW_secret" not in caplog.text
