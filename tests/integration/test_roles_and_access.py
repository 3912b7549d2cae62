"""Owner and staff roles, API keys that die with their creator's access, uninstall revoking access and
TikTok token use, and sessions that really end (review findings 4 and 6)."""
from __future__ import annotations

import re
import uuid
from datetime import timedelta

import pytest
from sqlalchemy import func, select

from shopsync.extensions import db
from shopsync.models import ApiKey, Integration, Tenant, User
from shopsync.models.integration import ACTIVE, DISCONNECTED
from shopsync.platforms.tiktok.products import authorized_shops
from shopsync.sync.catalog.tiktok_import import import_catalog
from shopsync.sync.connections.tiktok_access import ShopNotConnected, call_with_refresh, refresh_expiring_tokens
from shopsync.sync.connections.webhook_subscriptions import webhook_address
from tests.support.api import bearer
from tests.support.journeys import app_path, approve_shopify_grant, connect_tiktok, install_shop
from tests.support.shopify_import import deliver_webhooks, install_store



def _csrf(client, path: str = "/settings") -> str:
    return client.get(path).get_data(as_text=True).split('name="csrf_token" value="')[1].split('"')[0]


def _log_in_as_staff(app, shopify_sandbox, shop: str, *, owner: bool = False, user_id: int | None = None):
    """A browser of one of the store's people (staff unless `owner`), logged in through Shopify."""
    shopify_sandbox.set_staff_user(shop, id=user_id or uuid.uuid4().int % 10**9, account_owner=owner,
                                   first_name="Sam", last_name="Staff", email=f"sam@{shop}")
    client = app.test_client()
    install_shop(client, shop)
    shopify_sandbox.set_staff_user(shop)  # the owner logs in next, as before
    return client


def _create_key(client, name: str = "tool"):
    page = client.post("/settings/api-keys", data={"csrf_token": _csrf(client), "name": name})
    match = re.search(r'value="(ss_[^"]+)"', page.get_data(as_text=True))
    return page.status_code, (match.group(1) if match else None)


def _keys(tenant_id: int) -> int:
    return db.session.execute(select(func.count()).select_from(ApiKey).where(ApiKey.tenant_id == tenant_id)).scalar()


def _api_status(app, key: str) -> int:
    return app.test_client().get("/api/integrations", headers=bearer(key)).status_code


@pytest.fixture
def store(client, app, shop_domain):
    """An installed store; `client` is its account owner's logged-in browser."""
    install_shop(client, shop_domain)
    return shop_domain


# -- roles -----------------------------------------------------------------------------------------
def test_staff_view_link_and_sync_but_owner_controls_answer_403(app, shopify_sandbox, store):
    staff = _log_in_as_staff(app, shopify_sandbox, store)
    for path in ("/", "/integrations", "/product-links", "/sync-logs", "/settings"):
        assert staff.get(path).status_code == 200, path
    token = _csrf(staff)
    settings = staff.get("/settings").get_data(as_text=True)
    assert "Create API key" not in settings and "Save alert settings" not in settings
    assert "Connect TikTok Shop" not in staff.get("/integrations").get_data(as_text=True)
    refused = {
        "alerts": staff.post("/settings", data={"csrf_token": token, "alert_email": "x@example.com",
                                                "digest_minutes": "60"}),
        "key": staff.post("/settings/api-keys", data={"csrf_token": token, "name": "mine"}),
        "connect": staff.get("/integrations/tiktok/connect"),
        "grants": staff.post("/settings/staff", data={"csrf_token": token, "api_keys": "yes"}),
    }
    assert {name: answer.status_code for name, answer in refused.items()} == dict.fromkeys(refused, 403)
    assert "account owner" in refused["key"].get_data(as_text=True)
    api = staff.post("/api/integrations", json={"platform": "tiktok"}, headers={"X-CSRFToken": token})
    assert api.status_code == 403 and api.get_json()["error"]["status"] == 403
    with app.app_context():
        tenant = db.session.execute(select(Tenant).where(Tenant.shop_domain == store)).scalar_one()
        assert tenant.alert_email == f"owner@{store}"
        assert _keys(tenant.id) == 0


def test_an_owner_grant_lets_staff_manage_api_keys_and_the_key_dies_with_it(client, app, shopify_sandbox, store):
    staff = _log_in_as_staff(app, shopify_sandbox, store)
    assert client.post("/settings/staff", data={"csrf_token": _csrf(client), "api_keys": "yes"}).status_code == 302
    status, key = _create_key(staff)
    assert status == 201 and _api_status(app, key) == 200
    # The key acts for its creator: staff may not connect shops, so neither may their key.
    assert app.test_client().post("/api/integrations", json={"platform": "tiktok"},
                                  headers=bearer(key)).status_code == 403

    client.post("/settings/staff", data={"csrf_token": _csrf(client)})  # grant taken back
    assert _api_status(app, key) == 401
    assert _create_key(staff)[0] == 403
    client.post("/settings/staff", data={"csrf_token": _csrf(client), "api_keys": "yes"})
    assert _api_status(app, key) == 200


def test_a_key_stops_when_its_owner_is_no_longer_the_account_owner(client, app, shopify_sandbox, store):
    status, key = _create_key(client)
    assert status == 201 and _api_status(app, key) == 200
    with app.app_context():
        owner = db.session.execute(select(User).where(User.email == f"owner@{store}")).scalar_one()
    # Ownership moved in Shopify: the next login says this person is staff now.
    _log_in_as_staff(app, shopify_sandbox, store, user_id=owner.shopify_user_id)
    assert _api_status(app, key) == 401


def test_removing_staff_ends_their_sessions_and_keys_and_keeps_them_out(client, app, shopify_sandbox, store):
    staff_id = uuid.uuid4().int % 10**9
    staff = _log_in_as_staff(app, shopify_sandbox, store, user_id=staff_id)
    client.post("/settings/staff", data={"csrf_token": _csrf(client), "api_keys": "yes"})
    _, key = _create_key(staff)
    with app.app_context():
        person = db.session.execute(select(User).where(User.shopify_user_id == staff_id)).scalar_one()

    answer = client.post(f"/settings/people/{person.id}/remove", data={"csrf_token": _csrf(client)})
    assert answer.status_code == 302
    assert staff.get("/").status_code == 302  # back to the login page
    assert _api_status(app, key) == 401
    shopify_sandbox.set_staff_user(store, id=staff_id, account_owner=False)
    again = app.test_client()
    start = again.get(f"/auth/shopify?shop={store}")
    refused = again.get(app_path(approve_shopify_grant(start.headers["Location"])))
    shopify_sandbox.set_staff_user(store)
    assert refused.status_code == 403 and "removed your access" in refused.get_data(as_text=True)

    client.post(f"/settings/people/{person.id}/restore", data={"csrf_token": _csrf(client)})
    _log_in_as_staff(app, shopify_sandbox, store, user_id=staff_id)
    assert _api_status(app, key) == 401  # keys revoked at removal stay revoked


# -- sessions --------------------------------------------------------------------------------------
def test_a_cookie_copied_before_logout_no_longer_works(client, app, store):
    token = _csrf(client)
    copied = client.get_cookie("session").value
    assert client.post("/logout", data={"csrf_token": token}).status_code == 302

    thief = app.test_client()
    thief.set_cookie("session", copied)
    assert thief.get("/settings").status_code == 302
    answer = thief.post("/settings/api-keys", data={"csrf_token": token, "name": "stolen"})
    assert answer.status_code in (302, 401)
    assert thief.post("/api/integrations", json={"platform": "tiktok"},
                      headers={"X-CSRFToken": token}).status_code == 401
    with app.app_context():
        tenant_id = db.session.execute(select(Tenant.id).where(Tenant.shop_domain == store)).scalar_one()
        assert _keys(tenant_id) == 0


def test_logout_ends_the_same_persons_sessions_in_other_browsers(client, app, store):
    other = app.test_client()
    install_shop(other, store)
    assert other.get("/").status_code == 200
    client.post("/logout", data={"csrf_token": _csrf(client)})
    assert other.get("/").status_code == 302


# -- uninstall -------------------------------------------------------------------------------------
def test_uninstall_revokes_access_and_tiktok_token_use_and_a_reinstall_says_what_it_restored(
        client, app, shopify_sandbox, tiktok_sandbox, shop_domain):
    with app.app_context():
        tenant_id = install_store(client, app, shop_domain).tenant_id
    [tiktok_id] = connect_tiktok(client, tiktok_sandbox)[:1]
    _, key = _create_key(client)
    assert _api_status(app, key) == 200

    shopify_sandbox.uninstall(shop_domain)
    with app.app_context():
        deliver_webhooks(app, shopify_sandbox)
        assert db.session.get(Tenant, tenant_id).uninstalled_at is not None
        [revoked_at] = db.session.execute(select(ApiKey.revoked_at).where(ApiKey.tenant_id == tenant_id)).one()
        assert revoked_at is not None
        tiktok = db.session.get(Integration, tiktok_id)
        assert tiktok.status == DISCONNECTED and tiktok.access_token_encrypted is not None
        tiktok_name = tiktok.name
    assert client.get("/").status_code == 302
    assert _api_status(app, key) == 401

    tiktok_sandbox.clear_calls()
    with app.app_context():
        assert import_catalog(tiktok_id).status == "failed"
        with pytest.raises(ShopNotConnected):
            call_with_refresh(db.session.get(Integration, tiktok_id), authorized_shops)
        refresh_expiring_tokens(within=timedelta(days=3650))
    assert tiktok_sandbox.calls() == []

    back = app.test_client()
    install_shop(back, shop_domain)
    page = back.get("/").get_data(as_text=True)
    assert "Welcome back: ShopSync restored" in page and tiktok_name in page
    with app.app_context():
        assert db.session.get(Integration, tiktok_id).status == ACTIVE
    assert _api_status(app, key) == 401  # a reinstall starts clean

    # 48 hours after another uninstall, shop/redact erases the account, TikTok tokens included.
    shopify_sandbox.uninstall(shop_domain)
    with app.app_context():
        shopify_sandbox.send_compliance(shop_domain, "shop/redact", webhook_address())
        deliver_webhooks(app, shopify_sandbox)
        assert db.session.get(Integration, tiktok_id) is None


def test_a_store_installed_from_a_staff_session_does_not_join_the_account(app, shopify_sandbox, store):
    staff = _log_in_as_staff(app, shopify_sandbox, store)
    joined = install_shop(staff, f"staff-side-{store}")
    with app.app_context():
        account = db.session.execute(select(Tenant.id).where(Tenant.shop_domain == store)).scalar_one()
    assert joined != account  # the new store became an account of its own
