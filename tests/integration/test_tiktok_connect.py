"""Connecting TikTok shops through the sandbox's seller authorization, reconnecting, disconnecting."""
from __future__ import annotations

from urllib.parse import parse_qsl, urlencode, urlsplit

from sqlalchemy import func, select

from shopsync.extensions import db
from shopsync.models import Credential, Integration, SyncRun, TikTokProduct
from shopsync.security.credentials import (access_expires_at, access_token, refresh_expires_at, refresh_token,
                                          store_tokens)
from tests.support.journeys import (app_path, approve_tiktok_authorization, connect_tiktok, give_seller_new_shops,
                                    install_shop)
from tests.support.shopify_import import take_jobs


def _integrations(app, tenant_id):
    with app.app_context():
        rows = db.session.execute(select(Integration).where(
            Integration.tenant_id == tenant_id, Integration.platform == "tiktok").order_by(Integration.id)).scalars()
        return [(i.id, i.external_id, i.name, i.region, i.currency, i.shop_cipher, i.status, access_token(i),
                 refresh_token(i), access_expires_at(i), refresh_expires_at(i)) for i in rows]


def _csrf(client) -> str:
    page = client.get("/integrations").get_data(as_text=True)
    return page.split('name="csrf_token" value="')[1].split('"')[0]


def test_connect_makes_one_integration_per_authorized_shop_and_imports_each(client, app, tiktok_sandbox,
                                                                            shop_domain):
    tenant_id = install_shop(client, shop_domain)
    ids = connect_tiktok(client, tiktok_sandbox, import_catalog=True)
    assert len(ids) == len(tiktok_sandbox.shops) == 2
    rows = _integrations(app, tenant_id)
    for row, shop in zip(rows, tiktok_sandbox.shops):
        _, external_id, name, region, currency, cipher, status, access, refresh, access_exp, refresh_exp = row
        assert (external_id, name, region, currency, cipher, status) == (
            shop.id, shop.name, shop.region, shop.currency, shop.cipher, "active")
        assert access in tiktok_sandbox.access_tokens and refresh in tiktok_sandbox.refresh_tokens
        assert int(access_exp.timestamp()) == tiktok_sandbox.access_tokens[access].expires_at
        assert int(refresh_exp.timestamp()) == tiktok_sandbox.refresh_tokens[refresh].expires_at
    with app.app_context():
        runs = db.session.execute(select(SyncRun).where(SyncRun.integration_id.in_(ids))).scalars().all()
        assert sorted((r.integration_id, r.kind, r.status) for r in runs) == sorted(
            (i, "import", "succeeded") for i in ids)
        for integration_id, shop in zip(ids, tiktok_sandbox.shops):
            assert db.session.scalar(select(func.count()).select_from(TikTokProduct).where(
                TikTokProduct.integration_id == integration_id)) == len(shop.products)
    page = client.get("/integrations").get_data(as_text=True)
    assert all(shop.name in page for shop in tiktok_sandbox.shops) and "badge-active" in page


def test_tokens_are_encrypted_at_rest(client, app, tiktok_sandbox, shop_domain):
    install_shop(client, shop_domain)
    [first, _] = connect_tiktok(client, tiktok_sandbox)
    with app.app_context():
        integration = db.session.get(Integration, first)
        token = access_token(integration)
        assert token.encode() not in bytes(integration.credential.access_token_encrypted)
        assert token not in repr(integration)


def test_a_callback_with_a_wrong_or_reused_state_is_refused_and_writes_nothing(client, app, tiktok_sandbox,
                                                                             shop_domain):
    tenant_id = install_shop(client, shop_domain)
    give_seller_new_shops(tiktok_sandbox)
    start = client.get("/integrations/tiktok/connect")
    target = approve_tiktok_authorization(start.headers["Location"])
    parts = urlsplit(target)
    query = dict(parse_qsl(parts.query))
    forged = client.get(f"{parts.path}?{urlencode(dict(query, state='not-the-state'))}")
    assert forged.status_code == 400
    assert _integrations(app, tenant_id) == []
    # The state was used up by that attempt: even the right one no longer works.
    assert client.get(app_path(target)).status_code == 400
    assert _integrations(app, tenant_id) == []


def test_a_state_is_single_use(client, app, tiktok_sandbox, shop_domain):
    install_shop(client, shop_domain)
    give_seller_new_shops(tiktok_sandbox)
    start = client.get("/integrations/tiktok/connect")
    target = app_path(approve_tiktok_authorization(start.headers["Location"]))
    assert client.get(target).status_code == 302
    assert client.get(target).status_code == 400
    assert len(take_jobs(app, "shopsync.jobs.tiktok_imports.import_tiktok_catalog")) == 2  # queued once per shop


def test_seller_denying_access_connects_nothing(client, app, tiktok_sandbox, shop_domain):
    tenant_id = install_shop(client, shop_domain)
    assert connect_tiktok(client, tiktok_sandbox, decision="deny") == []
    assert _integrations(app, tenant_id) == []
    page = client.get("/integrations").get_data(as_text=True)
    assert "was not approved" in page and "nothing was connected" in page


def test_reconnect_updates_the_same_integrations_in_place(client, app, tiktok_sandbox, shop_domain):
    tenant_id = install_shop(client, shop_domain)
    first_ids = connect_tiktok(client, tiktok_sandbox)
    before = _integrations(app, tenant_id)
    with app.app_context():
        integration = db.session.get(Integration, first_ids[0])
        integration.status, integration.status_reason = "needs_reauth", "TikTok refused the token"
        db.session.commit()
    assert connect_tiktok(client, tiktok_sandbox, new_shops=False) == first_ids
    after = _integrations(app, tenant_id)
    assert [row[:6] for row in after] == [row[:6] for row in before]
    assert all(row[6] == "active" for row in after)
    assert all(new[7] != old[7] and new[8] != old[8] for new, old in zip(after, before))  # fresh tokens
    with app.app_context():
        assert db.session.get(Integration, first_ids[0]).status_reason is None


def test_one_authorization_is_one_grant_for_all_its_shops_and_reconnecting_replaces_it(
        client, app, tiktok_sandbox, shop_domain):
    tenant_id = install_shop(client, shop_domain)
    ids = connect_tiktok(client, tiktok_sandbox)
    with app.app_context():
        shops = [db.session.get(Integration, i) for i in ids]
        assert len({shop.credential_id for shop in shops}) == 1
        grant = shops[0].credential
        assert (grant.platform, grant.grant_key) == ("tiktok", tiktok_sandbox.seller.open_id)
        # A shop whose tokens were stored before its seller was known (a migrated install) joins the grant.
        store_tokens(shops[1], access="old-copy", access_expires_at=None, refresh="old-copy",
                     refresh_expires_at=None, grant="migrated:1")
        db.session.commit()
        grant_id, old_grant_id = grant.id, shops[1].credential_id
    before = _integrations(app, tenant_id)
    assert connect_tiktok(client, tiktok_sandbox, new_shops=False) == ids
    after = _integrations(app, tenant_id)
    assert after[0][7] == after[1][7] != before[0][7]  # one new access token, for both shops
    with app.app_context():
        assert {db.session.get(Integration, i).credential_id for i in ids} == {grant_id}
        assert db.session.get(Credential, old_grant_id) is None  # no shop uses it any more
        assert db.session.execute(select(func.count()).select_from(Credential).where(
            Credential.tenant_id == tenant_id, Credential.platform == "tiktok")).scalar() == 1


def test_a_shop_connected_to_another_merchant_is_refused(client, app, tiktok_sandbox, shop_domain):
    owner_tenant = install_shop(client, shop_domain)
    owner_ids = connect_tiktok(client, tiktok_sandbox)
    owned = _integrations(app, owner_tenant)

    other = app.test_client()
    other_tenant = install_shop(other, "other-" + shop_domain)
    assert connect_tiktok(other, tiktok_sandbox, new_shops=False) == []
    assert _integrations(app, other_tenant) == []
    page = other.get("/integrations").get_data(as_text=True)
    assert "already connected to another ShopSync account" in page
    assert _integrations(app, owner_tenant) == owned  # untouched, tokens included
    with app.app_context():  # and nothing was queued for the refused shops
        assert db.session.scalar(select(func.count()).select_from(SyncRun).where(
            SyncRun.integration_id.in_(owner_ids))) == len(owner_ids)


def test_disconnect_needs_csrf_forgets_tokens_and_is_tenant_scoped(client, app, tiktok_sandbox, shop_domain):
    tenant_id = install_shop(client, shop_domain)
    first, second = connect_tiktok(client, tiktok_sandbox)
    assert client.post(f"/integrations/{first}/disconnect").status_code == 400
    answer = client.post(f"/integrations/{first}/disconnect", data={"csrf_token": _csrf(client)})
    assert answer.status_code == 302
    with app.app_context():
        integration = db.session.get(Integration, first)
        assert integration.status == "disconnected"
        assert access_token(integration) is None and refresh_token(integration) is None
        assert db.session.get(Integration, second).status == "active"
        assert access_token(db.session.get(Integration, second))  # the seller's grant still serves it

    other = app.test_client()
    install_shop(other, "other-" + shop_domain)
    refused = other.post(f"/integrations/{second}/disconnect", data={"csrf_token": _csrf(other)})
    assert refused.status_code == 404
    with app.app_context():
        assert db.session.get(Integration, second).status == "active"


def test_the_reconnect_banner_shows_for_a_shop_that_needs_it(client, app, tiktok_sandbox, shop_domain):
    install_shop(client, shop_domain)
    first, _ = connect_tiktok(client, tiktok_sandbox)
    assert "Reconnect TikTok Shop" not in client.get("/").get_data(as_text=True)
    with app.app_context():
        integration = db.session.get(Integration, first)
        integration.status = "needs_reauth"
        name = integration.name
        db.session.commit()
    for page in ("/", "/integrations"):
        html = client.get(page).get_data(as_text=True)
        assert 'role="alert"' in html and name in html
        assert 'href="/integrations/tiktok/connect">Reconnect TikTok Shop</a>' in html


def test_import_button_queues_an_import(client, app, tiktok_sandbox, shop_domain):
    install_shop(client, shop_domain)
    first, _ = connect_tiktok(client, tiktok_sandbox)
    answer = client.post(f"/integrations/{first}/import-tiktok", data={"csrf_token": _csrf(client)})
    assert answer.status_code == 302
    with app.app_context():
        [job] = take_jobs(app, "shopsync.jobs.tiktok_imports.import_tiktok_catalog", arg=first)
        assert job.func(*job.args, **job.kwargs) == "succeeded"
    assert "Import: done" in client.get("/integrations").get_data(as_text=True)
