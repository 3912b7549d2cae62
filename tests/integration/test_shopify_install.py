"""Installing from Shopify and logging in (authorization code grant through the sandbox)."""
from urllib.parse import parse_qsl, urlencode, urlsplit

import pytest
import requests
from sqlalchemy import func, select

from shopsync.extensions import db
from shopsync.models import Integration, Tenant, User
from shopsync.platforms.shopify.oauth import sign_query
from shopsync.security.credentials import access_expires_at, access_token, refresh_token
from tests.support.journeys import app_path, approve_shopify_grant, install_shop


def _counts():
    return (db.session.scalar(select(func.count()).select_from(Tenant)),
            db.session.scalar(select(func.count()).select_from(Integration)),
            db.session.scalar(select(func.count()).select_from(User)))


def test_install_creates_tenant_integration_and_logs_the_owner_in(client, app, shop_domain):
    tenant_id = install_shop(client, shop_domain)
    with app.app_context():
        tenant = db.session.get(Tenant, tenant_id)
        integration = db.session.query(Integration).filter_by(external_id=shop_domain).one()
        assert tenant.shop_domain == shop_domain
        assert integration.status == "active" and integration.platform == "shopify"
        assert access_token(integration) and refresh_token(integration)  # expiring offline token + refresh
        assert access_expires_at(integration) is not None
        user = db.session.query(User).filter_by(tenant_id=tenant_id).one()
        assert user.account_owner and user.email
        assert tenant.alert_email == user.email
    page = client.get("/")
    assert page.status_code == 200
    assert shop_domain.removesuffix(".myshopify.com") in page.get_data(as_text=True)


def test_reinstall_and_relogin_update_in_place(client, app, shop_domain):
    first = install_shop(client, shop_domain)
    client.post("/logout", data={"csrf_token": _csrf(client)})
    assert client.get("/").status_code == 302
    second = install_shop(client, shop_domain)
    assert first == second
    with app.app_context():
        assert db.session.query(Integration).filter_by(external_id=shop_domain).count() == 1
        assert db.session.query(User).filter_by(tenant_id=first).count() == 1


def test_logout_requires_csrf_and_logs_out(client, shop_domain):
    install_shop(client, shop_domain)
    assert client.post("/logout").status_code == 400
    assert client.get("/").status_code == 200
    assert client.post("/logout", data={"csrf_token": _csrf(client)}).status_code == 302
    assert client.get("/").status_code == 302


@pytest.mark.parametrize("shop", [
    "evil.com", "shop.myshopify.com.evil.com", "SHOP.MYSHOPIFY.COM", "shop.myshopify.com/admin",
    "https://shop.myshopify.com", "shop.myshopify.com:443", "-shop.myshopify.com", "", "shop.myshopify.com\n",
])
def test_invalid_shop_domains_are_refused(client, app, shop):
    with app.app_context():
        before = _counts()
    answer = client.get("/auth/shopify?" + urlencode({"shop": shop}))
    assert answer.status_code == 400
    with app.app_context():
        assert _counts() == before


def test_install_request_with_tampered_hmac_is_refused(client, app, shop_domain):
    secret = app.config["SHOPIFY_API_SECRET"]
    params = {"shop": shop_domain, "timestamp": "1764072000"}
    params["hmac"] = sign_query(params, secret)
    assert client.get("/auth/shopify?" + urlencode(params)).status_code == 302
    params["timestamp"] = "1764072001"
    assert client.get("/auth/shopify?" + urlencode(params)).status_code == 400


def _begin(client, shop):
    start = client.get(f"/auth/shopify?shop={shop}")
    return approve_shopify_grant(start.headers["Location"])


def _tamper(url, **changes):
    parts = urlsplit(url)
    params = dict(parse_qsl(parts.query))
    params.update(changes)
    return parts.path + "?" + urlencode(params)


def test_callback_with_tampered_hmac_changes_nothing(client, app, shop_domain):
    callback = _begin(client, shop_domain)
    with app.app_context():
        before = _counts()
    assert client.get(_tamper(callback, hmac="0" * 64)).status_code == 400
    with app.app_context():
        assert _counts() == before


def test_callback_with_wrong_state_is_refused(client, app, shop_domain):
    callback = _begin(client, shop_domain)
    secret = app.config["SHOPIFY_API_SECRET"]
    params = dict(parse_qsl(urlsplit(callback).query))
    params["state"] = "forged-state"
    params.pop("hmac")
    params["hmac"] = sign_query(params, secret)  # even a correctly signed answer needs our nonce
    assert client.get("/auth/shopify/callback?" + urlencode(params)).status_code == 400
    with app.app_context():
        assert db.session.query(Integration).filter_by(external_id=shop_domain).count() == 0


def test_callback_without_a_started_flow_is_refused(client, app, shop_domain):
    callback = _begin(client, shop_domain)
    fresh = app.test_client()  # another browser: no state in its session
    assert fresh.get(app_path(callback)).status_code == 400


def test_callback_for_a_different_shop_is_refused(client, app, shop_domain):
    callback = _begin(client, shop_domain)
    secret = app.config["SHOPIFY_API_SECRET"]
    params = dict(parse_qsl(urlsplit(callback).query))
    params["shop"] = "other-" + shop_domain
    params.pop("hmac")
    params["hmac"] = sign_query(params, secret)
    assert client.get("/auth/shopify/callback?" + urlencode(params)).status_code == 400


def test_replayed_answer_and_replayed_code_are_refused(client, app, shop_domain):
    callback = _begin(client, shop_domain)
    assert client.get(app_path(callback)).status_code == 302
    # The same answer again: its state was single-use.
    assert client.get(app_path(callback)).status_code == 400
    # The used code inside a fresh, correctly signed answer for a new flow: Shopify refuses the code.
    client.get(f"/auth/shopify?shop={shop_domain}")
    with client.session_transaction() as session:
        state = session["shopify_oauth"]["state"]
    params = dict(parse_qsl(urlsplit(callback).query))
    params.pop("hmac")
    params["state"] = state
    params["hmac"] = sign_query(params, app.config["SHOPIFY_API_SECRET"])
    with app.app_context():
        before = _counts()
    assert client.get("/auth/shopify/callback?" + urlencode(params)).status_code == 400
    with app.app_context():
        assert _counts() == before


def test_open_redirect_after_login_is_refused(client, shop_domain):
    start = client.get(f"/auth/shopify?shop={shop_domain}&next=https://evil.example/")
    location = start.headers["Location"]
    for _ in range(2):
        answer = client.get(app_path(approve_shopify_grant(location)))
        location = answer.headers["Location"]
    assert not location.startswith("https://evil.example")
    assert urlsplit(location).netloc in ("", "localhost")


def test_login_form_validates_the_shop_and_needs_csrf(client):
    assert client.post("/login", data={"shop": "demo-store"}).status_code == 400  # no CSRF token
    page = client.get("/login").get_data(as_text=True)
    token = page.split('name="csrf_token" value="')[1].split('"')[0]
    bad = client.post("/login", data={"shop": "evil.com/x", "csrf_token": token})
    assert bad.status_code == 400 and "myshopify.com" in bad.get_data(as_text=True)
    good = client.post("/login", data={"shop": "demo-store", "csrf_token": token})
    assert good.status_code == 302 and "shop=demo-store.myshopify.com" in good.headers["Location"]


def _csrf(client) -> str:
    page = client.get("/").get_data(as_text=True)
    return page.split('name="csrf_token" value="')[1].split('"')[0]


def test_a_logged_in_merchant_connects_another_store_to_the_same_account(client, app, shop_domain):
    tenant_id = install_shop(client, shop_domain)
    page = client.get("/integrations").get_data(as_text=True)
    assert "Connect Shopify store" in page
    token = page.split('name="csrf_token" value="')[1].split('"')[0]
    second = "second-" + shop_domain
    start = client.post("/login", data={"shop": second, "csrf_token": token, "next": "/integrations"})
    location = client.get(app_path(start.headers["Location"])).headers["Location"]
    while "/admin/oauth/authorize" in location:
        location = client.get(app_path(approve_shopify_grant(location))).headers["Location"]
    assert location == "/integrations"
    with app.app_context():
        stores = db.session.query(Integration).filter_by(tenant_id=tenant_id, platform="shopify").all()
        assert sorted(store.external_id for store in stores) == sorted([shop_domain, second])
        assert db.session.query(Tenant).filter_by(shop_domain=second).count() == 0
    assert second in client.get("/integrations").get_data(as_text=True)


def _consent_screens(client, shop: str) -> int:
    """Log in through the sandbox's grant pages as a browser would; how many consent screens were shown."""
    location = client.get(f"/auth/shopify?shop={shop}").headers["Location"]
    shown = 0
    while "/admin/oauth/authorize" in location:
        shown += requests.get(location, timeout=10, allow_redirects=False).status_code == 200
        location = client.get(app_path(approve_shopify_grant(location))).headers["Location"]
    return shown


def test_the_consent_screen_shows_at_install_only(client, app, shop_domain, shopify_sandbox):
    assert _consent_screens(client, shop_domain) == 1  # install; the login right after asks nothing
    client.post("/logout", data={"csrf_token": _csrf(client)})
    assert _consent_screens(client, shop_domain) == 0  # a later login of the installed app
    assert client.get("/").status_code == 200
    client.post("/logout", data={"csrf_token": _csrf(client)})
    grown = app.config["SHOPIFY_SCOPES"] + ",read_orders"
    app.config["SHOPIFY_SCOPES"] = grown
    try:
        assert _consent_screens(client, shop_domain) == 1  # ShopSync now needs more: the merchant approves it
    finally:
        app.config["SHOPIFY_SCOPES"] = grown.removesuffix(",read_orders")
