"""Alert emails that cannot be sent are recorded and shown, not retried forever (review finding 7).

A Shopify staff email or a TikTok seller SKU holding CR/LF made the email library refuse the header;
the job was retried and the merchant never learned. Real SMTP server (aiosmtpd), real RQ jobs.
"""
from __future__ import annotations

import uuid

import pytest
from sqlalchemy import select

from shopsync.extensions import db
from shopsync.models import Alert, Tenant
from shopsync.notify import alerts
from tests.support.journeys import install_shop
from tests.support.mail import mailbox, run_alert_emails  # noqa: F401 (fixture)
from tests.support.redis_server import free_port
from tests.support.shopify_import import take_jobs

SEND = "shopsync.jobs.notifications.send_failure_email"


def _fail(app, tenant_id: int, summary: str) -> int:
    with app.app_context():
        return alerts.report_failure(tenant_id, alerts.LINK_FAILED, f"link:{uuid.uuid4().hex[:6]}", summary,
                                     {"reason": "price locked"}, "/product-links").id


def _alert(app, alert_id: int) -> Alert:
    with app.app_context():
        alert = db.session.get(Alert, alert_id)
        db.session.expunge(alert)
        return alert


def _set_alert_email(app, tenant_id: int, address: str) -> None:
    with app.app_context():
        db.session.get(Tenant, tenant_id).alert_email = address
        db.session.commit()


def test_a_seller_sku_with_cr_lf_in_the_subject_is_sent_on_one_line(app, client, shop_domain, mailbox):
    tenant_id = install_shop(client, shop_domain)
    alert_id = _fail(app, tenant_id, "SKU TEE-1\r\nBcc: thief@evil.example did not sync\x00 to TikTok Shop")
    assert run_alert_emails(app, tenant_id) == 1
    [message] = mailbox.wait_for(f"owner@{shop_domain}", 1)
    assert message["Subject"].strip() == "ShopSync: SKU TEE-1 Bcc: thief@evil.example did not sync to TikTok Shop"
    assert message["Bcc"] is None and mailbox.to("thief@evil.example") == []
    assert _alert(app, alert_id).send_failed_at is None


def test_an_address_the_mail_server_refuses_is_recorded_once_and_shown_on_the_dashboard(app, client, shop_domain,
                                                                                          mailbox):
    tenant_id = install_shop(client, shop_domain)
    mailbox.refused.add(f"owner@{shop_domain}")
    alert_id = _fail(app, tenant_id, "Blue Shirt / M did not sync to TikTok Shop")
    [job] = take_jobs(app, SEND, arg=alert_id)
    assert job.retries_left  # RQ would retry a send that raised
    with app.app_context():
        assert job.perform() is False  # permanent: recorded, not raised, so never retried
    alert = _alert(app, alert_id)
    assert alert.send_failed_at is not None and "550" in alert.send_error and "refused" in alert.send_error
    page = client.get("/").get_data(as_text=True)
    assert "Alert email could not be sent" in page and "No such mailbox here" in page
    assert "Blue Shirt / M did not sync" in page


def test_a_stored_address_with_cr_lf_is_a_permanent_failure_not_a_retry(app, client, shop_domain, mailbox):
    tenant_id = install_shop(client, shop_domain)
    _set_alert_email(app, tenant_id, f"owner@{shop_domain}\r\nBcc: thief@evil.example")  # as an older version kept
    alert_id = _fail(app, tenant_id, "A product stopped syncing")
    [job] = take_jobs(app, SEND, arg=alert_id)
    with app.app_context():
        assert job.perform() is False
    assert "not a valid email address" in _alert(app, alert_id).send_error
    assert mailbox.messages == []


def test_a_mail_server_that_stays_down_is_retried_then_recorded_on_the_last_attempt(app, client, shop_domain,
                                                                                    mailbox):
    tenant_id = install_shop(client, shop_domain)
    app.config["MAIL_PORT"] = free_port()  # nothing listens there (the fixture restores the setting)
    alert_id = _fail(app, tenant_id, "A product stopped syncing")
    [job] = take_jobs(app, SEND, arg=alert_id)
    with app.app_context(), pytest.raises(ConnectionRefusedError):
        job.perform()  # retries left: RQ tries again later
    assert _alert(app, alert_id).send_failed_at is None
    job.retries_left = 0  # RQ's last retry
    with app.app_context():
        assert job.perform() is False
    assert "could not be reached" in _alert(app, alert_id).send_error


def test_staff_email_with_cr_lf_from_shopify_never_becomes_the_alert_address(app, client, shopify_sandbox,
                                                                             shop_domain):
    shopify_sandbox.set_staff_user(shop_domain, email=f"owner@{shop_domain}\r\nBcc: thief@evil.example",
                                   account_owner=True)
    tenant_id = install_shop(client, shop_domain)
    with app.app_context():
        assert db.session.get(Tenant, tenant_id).alert_email is None


@pytest.mark.parametrize("address", ["owner@example.com\r\nBcc: thief@evil.example", "owner@example.com\nx",
                                     "a@b", "owner@@example.com", "owner@example.com\x00", "owner@exa mple.com"])
def test_the_settings_form_refuses_addresses_mail_cannot_go_to(app, client, shop_domain, address):
    tenant_id = install_shop(client, shop_domain)
    token = client.get("/settings").get_data(as_text=True).split('name="csrf_token" value="')[1].split('"')[0]
    answer = client.post("/settings", data={"csrf_token": token, "alert_email": address, "digest_minutes": "60"})
    assert answer.status_code in (400, 422)
    with app.app_context():
        assert db.session.get(Tenant, tenant_id).alert_email == f"owner@{_shop(app, tenant_id)}"


def _shop(app, tenant_id: int) -> str:
    with app.app_context():
        return db.session.execute(select(Tenant.shop_domain).where(Tenant.id == tenant_id)).scalar_one()
