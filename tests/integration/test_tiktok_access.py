"""Calling a connected TikTok shop: tokens refreshed once when refused, needs_reauth when that fails too."""
from __future__ import annotations

import threading
from datetime import timedelta

import pytest
from sqlalchemy import select

from shopsync.extensions import db
from shopsync.models import Alert, Integration, Tenant, utcnow
from shopsync.platforms.http import AuthError
from shopsync.platforms.tiktok import products
from shopsync.security.credentials import access_expires_at, access_token, refresh_token
from shopsync.sync.connections.tiktok_access import call_with_refresh, refresh_expiring_tokens
from tests.support.journeys import connect_tiktok, install_shop
from tests.support.mail import mailbox, run_alert_emails, text_part  # noqa: F401 (fixture)

WAREHOUSES = "/logistics/202309/warehouses"


@pytest.fixture
def shop(client, app, tiktok_sandbox, shop_domain):
    """A tenant with its TikTok shops connected; the first shop's integration id and tenant id."""
    tenant_id = install_shop(client, shop_domain)
    first, _ = connect_tiktok(client, tiktok_sandbox)
    tiktok_sandbox.clear_calls()
    return first, tenant_id


def _tokens(app, integration_id):
    with app.app_context():
        integration = db.session.get(Integration, integration_id)
        return access_token(integration), refresh_token(integration)


def _use_up_refresh_tokens(tiktok_sandbox):
    with tiktok_sandbox.lock:
        for grant in tiktok_sandbox.refresh_tokens.values():
            grant.expires_at = 0


def test_an_expired_token_is_refreshed_once_and_the_call_retried(app, tiktok_sandbox, shop):
    integration_id, _ = shop
    old_access, old_refresh = _tokens(app, integration_id)
    tiktok_sandbox.expire_tokens(old_access)
    with app.app_context():
        integration = db.session.get(Integration, integration_id)
        found = call_with_refresh(integration, products.warehouses)
        assert [w.id for w in found] == [w.id for w in tiktok_sandbox.shops[0].warehouses]
        assert integration.status == "active"
    assert [c.code for c in tiktok_sandbox.calls(WAREHOUSES)] == [105002, 0]
    new_access, new_refresh = _tokens(app, integration_id)
    assert new_access != old_access and new_access in tiktok_sandbox.access_tokens
    assert new_refresh != old_refresh and old_refresh not in tiktok_sandbox.refresh_tokens  # rotated, stored
    with app.app_context():
        expires = access_expires_at(db.session.get(Integration, integration_id))
        assert int(expires.timestamp()) == tiktok_sandbox.access_tokens[new_access].expires_at


def test_concurrent_workers_refresh_once(app, tiktok_sandbox, shop):
    integration_id, _ = shop
    tiktok_sandbox.expire_tokens(_tokens(app, integration_id)[0])
    start, results = threading.Barrier(3), []

    def work():
        with app.app_context():
            integration = db.session.get(Integration, integration_id)
            start.wait(5)
            try:
                results.append(len(call_with_refresh(integration, products.warehouses)))
            except Exception as error:  # noqa: BLE001 - surfaced below
                results.append(error)

    workers = [threading.Thread(target=work) for _ in range(3)]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join(20)
    # Refresh tokens are single-use in the sandbox: a second refresh would have failed and marked needs_reauth.
    assert all(isinstance(r, int) for r in results) and len(results) == 3, results
    with app.app_context():
        assert db.session.get(Integration, integration_id).status == "active"


def test_a_refused_refresh_marks_needs_reauth_and_sends_exactly_one_email(client, app, tiktok_sandbox, shop, mailbox):
    integration_id, tenant_id = shop
    tiktok_sandbox.expire_tokens()
    _use_up_refresh_tokens(tiktok_sandbox)
    with app.app_context():
        integration = db.session.get(Integration, integration_id)
        with pytest.raises(AuthError) as raised:
            call_with_refresh(integration, products.warehouses)
        assert raised.value.code == 36004001
        assert "ROW_" not in str(raised.value)
        assert integration.status == "needs_reauth" and "no longer accepts" in integration.status_reason
        calls = len(tiktok_sandbox.calls())
        with pytest.raises(AuthError):  # known to need reconnecting: TikTok is not asked again
            call_with_refresh(integration, products.warehouses)
        assert len(tiktok_sandbox.calls()) == calls
        # Another worker that still saw the shop active fails the same way: still one alert.
        stale = db.session.get(Integration, integration_id)
        stale.status = "active"
        with pytest.raises(AuthError):
            call_with_refresh(stale, products.warehouses)
        address = db.session.get(Tenant, tenant_id).alert_email
        assert db.session.execute(select(Alert.kind, Alert.state).where(Alert.tenant_id == tenant_id)).all() == [
            ("needs_reauth", "failing")]
    assert run_alert_emails(app, tenant_id) == 1
    [message] = mailbox.wait_for(address, 1)
    assert "Reconnect your TikTok shop" in message["Subject"]
    assert app.config["PUBLIC_URL"] + "/integrations" in text_part(message)
    assert "Reconnect TikTok Shop" in client.get("/").get_data(as_text=True)

    # Reconnecting closes the alert with a recovery email and removes the banner.
    connect_tiktok(client, tiktok_sandbox, new_shops=False)
    assert run_alert_emails(app, tenant_id) == 1
    assert "working again" in mailbox.wait_for(address, 2)[-1]["Subject"]
    assert "Reconnect TikTok Shop" not in client.get("/").get_data(as_text=True)


def _sibling(integration: Integration) -> Integration:
    """The other shop the same seller authorization covers."""
    return db.session.execute(select(Integration).where(
        Integration.tenant_id == integration.tenant_id, Integration.id != integration.id,
        Integration.platform == "tiktok")).scalar_one()


def test_one_authorization_is_one_grant_and_a_refresh_by_one_shop_keeps_the_other_syncing(app, tiktok_sandbox,
                                                                                           shop):
    us_id, tenant_id = shop
    with app.app_context():
        uk = _sibling(db.session.get(Integration, us_id))
        uk_id, spent_refresh = uk.id, refresh_token(uk)
        assert uk.credential_id == db.session.get(Integration, us_id).credential_id
        stale_access = access_token(uk)  # what a worker busy with the UK shop read before the refresh
    tiktok_sandbox.expire_tokens()
    with app.app_context():
        call_with_refresh(db.session.get(Integration, us_id), products.warehouses)  # the US shop refreshes
    assert spent_refresh not in tiktok_sandbox.refresh_tokens  # rotated: TikTok refuses it from now on
    with app.app_context():
        uk = db.session.get(Integration, uk_id)
        assert access_token(uk) != stale_access
        found = call_with_refresh(uk, products.warehouses)
        assert [w.id for w in found] == [w.id for w in tiktok_sandbox.shops[1].warehouses]
        assert uk.status == "active"
        assert db.session.execute(select(Alert.kind).where(Alert.tenant_id == tenant_id)).all() == []


def test_a_worker_holding_the_old_token_of_a_shop_picks_up_the_grant_s_new_one(app, tiktok_sandbox, shop):
    us_id, _ = shop
    with app.app_context():  # a worker on the UK shop, its tokens read before the US shop refreshed
        uk = _sibling(db.session.get(Integration, us_id))
        stale_access = access_token(uk)
        tiktok_sandbox.expire_tokens()
        with app.app_context():  # another worker, another session: the US shop refreshes
            call_with_refresh(db.session.get(Integration, us_id), products.warehouses)
        assert access_token(uk) == stale_access  # still what this session read
        calls = len(tiktok_sandbox.calls(WAREHOUSES))
        call_with_refresh(uk, products.warehouses)
        assert uk.status == "active"
        assert [c.code for c in tiktok_sandbox.calls(WAREHOUSES)[calls:]] == [105002, 0]
        assert access_token(uk) != stale_access


def _grant_expiring_in(integration_id: int, when: timedelta) -> None:
    integration = db.session.get(Integration, integration_id)
    integration.credential.access_token_expires_at = utcnow() + when
    db.session.commit()


def test_a_grant_expiring_within_a_day_is_refreshed_ahead_once_for_all_its_shops(app, tiktok_sandbox, shop):
    us_id, tenant_id = shop
    with app.app_context():
        uk_id = _sibling(db.session.get(Integration, us_id)).id
        _grant_expiring_in(us_id, timedelta(hours=3))
    spent = _tokens(app, us_id)[1]
    with app.app_context():
        assert refresh_expiring_tokens() >= 1
        us, uk = db.session.get(Integration, us_id), db.session.get(Integration, uk_id)
        assert access_expires_at(us) > utcnow() + timedelta(days=6)
        assert (us.status, uk.status) == ("active", "active")
    assert _tokens(app, us_id) == _tokens(app, uk_id) != (None, None)
    assert spent not in tiktok_sandbox.refresh_tokens and _tokens(app, uk_id)[1] in tiktok_sandbox.refresh_tokens
    with app.app_context():
        _grant_expiring_in(us_id, timedelta(days=3))
    before = _tokens(app, us_id)
    with app.app_context():
        refresh_expiring_tokens()
    assert _tokens(app, us_id) == before  # not due: untouched


def test_a_refused_scheduled_refresh_marks_every_shop_of_the_grant_needs_reauth(app, tiktok_sandbox, shop):
    integration_id, tenant_id = shop
    _use_up_refresh_tokens(tiktok_sandbox)
    with app.app_context():
        _grant_expiring_in(integration_id, timedelta(hours=1))
        refresh_expiring_tokens()
        assert {i.status for i in db.session.execute(select(Integration).where(
            Integration.tenant_id == tenant_id, Integration.platform == "tiktok")).scalars()} == {"needs_reauth"}
        assert db.session.execute(select(Alert.kind).where(Alert.tenant_id == tenant_id)).scalars().all() == [
            "needs_reauth", "needs_reauth"]
    assert run_alert_emails(app, tenant_id) == 1  # one email now, the second shop in the digest
