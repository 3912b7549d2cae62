from datetime import datetime, timedelta, timezone
from urllib.parse import parse_qs, urlsplit

import pytest
import requests

from shopsync.platforms.http import AuthError, TransientError, new_session
from shopsync.platforms.tiktok import oauth
from shopsync.platforms.tiktok.products import authorized_shops
from tests.support.tiktok import APP_KEY, APP_SECRET, REDIRECT_URI, SERVICE_ID, client_for, running_sandbox


@pytest.fixture(scope="module")
def running():
    with running_sandbox() as running:
        yield running


def approve(running, state="st-1", decision="approve"):
    url = oauth.authorize_url(running.authorize_url, SERVICE_ID, state)
    page = requests.get(url, timeout=5)
    assert page.status_code == 200 and "Authorize ShopSync" in page.text and "ShopSync Demo UK" in page.text
    answer = requests.post(url, data={"service_id": SERVICE_ID, "state": state, "decision": decision},
                           allow_redirects=False, timeout=5)
    assert answer.status_code == 302 and answer.headers["Location"].startswith(REDIRECT_URI + "?")
    return {k: v[0] for k, v in parse_qs(urlsplit(answer.headers["Location"]).query).items()}


def exchange(running, code):
    return oauth.exchange_code(new_session(), running.auth_base_url, APP_KEY, APP_SECRET, code)


def test_approve_redirects_with_code_and_state_and_the_code_buys_tokens(running):
    redirect = approve(running, state="abc")
    assert redirect["state"] == "abc"
    tokens = exchange(running, redirect["code"])
    now = datetime.now(timezone.utc)
    assert timedelta(days=6, hours=23) < tokens.access_token_expires_at - now <= timedelta(days=7)
    assert tokens.refresh_token_expires_at > tokens.access_token_expires_at
    assert tokens.access_token_expires_at.tzinfo is timezone.utc
    assert (tokens.open_id, tokens.seller_name, tokens.region) == ("7010000000000000001", "ShopSync Demo Seller", "US")
    assert tokens.scopes and tokens.access_token not in repr(tokens)
    shops = authorized_shops(client_for(running, tokens.access_token, shop_index=None))
    assert [s.name for s in shops] == ["ShopSync Demo US", "ShopSync Demo UK"]


def test_deny_redirects_with_access_denied(running):
    assert approve(running, state="xyz", decision="deny") == {"error": "access_denied", "state": "xyz"}


def test_unknown_service_id_is_refused(running):
    assert requests.get(running.authorize_url, params={"service_id": "1", "state": "s"}, timeout=5).status_code == 400


def test_bad_and_replayed_codes_are_refused(running):
    with pytest.raises(AuthError) as raised:
        exchange(running, "not-a-code")
    assert raised.value.code == 36004004
    code = approve(running)["code"]
    exchange(running, code)
    with pytest.raises(AuthError) as raised:
        exchange(running, code)
    assert raised.value.code == 36004004 and code not in str(raised.value)


def test_codes_are_short_lived():
    with running_sandbox(tiktok_auth_code_lifetime=0) as short:
        with pytest.raises(AuthError) as raised:
            exchange(short, short.sandbox.issue_code())
    assert raised.value.code == 36004004


def test_wrong_app_secret_is_refused_without_echoing_it(running):
    code = running.sandbox.issue_code()
    with pytest.raises(AuthError) as raised:
        oauth.exchange_code(new_session(), running.auth_base_url, APP_KEY, "wrong-secret-value", code)
    assert "wrong-secret-value" not in str(raised.value) and code not in str(raised.value)


def test_refresh_rotates_the_refresh_token(running):
    first = exchange(running, running.sandbox.issue_code())
    second = oauth.refresh(new_session(), running.auth_base_url, APP_KEY, APP_SECRET, first.refresh_token)
    assert second.access_token != first.access_token and second.refresh_token != first.refresh_token
    with pytest.raises(AuthError) as spent:  # a spent refresh token is unknown to TikTok from then on
        oauth.refresh(new_session(), running.auth_base_url, APP_KEY, APP_SECRET, first.refresh_token)
    assert spent.value.code == 36004005
    assert authorized_shops(client_for(running, second.access_token, shop_index=None))


def test_expired_access_token_raises_auth_error_and_refresh_recovers(running):
    tokens = exchange(running, running.sandbox.issue_code())
    client = client_for(running, tokens.access_token, shop_index=None)
    running.sandbox.expire_tokens(tokens.access_token)
    calls_before = len(running.sandbox.calls())
    with pytest.raises(AuthError) as raised:
        authorized_shops(client)
    assert raised.value.code == 105002 and raised.value.request_id
    assert len(running.sandbox.calls()) == calls_before + 1  # auth errors are not retried
    renewed = oauth.refresh(new_session(), running.auth_base_url, APP_KEY, APP_SECRET, tokens.refresh_token)
    assert authorized_shops(client_for(running, renewed.access_token, shop_index=None))


def test_unreachable_token_endpoint_is_transient():
    with pytest.raises(TransientError) as raised:
        oauth.exchange_code(new_session(), "http://127.0.0.1:9/auth", APP_KEY, APP_SECRET, "c")
    assert APP_SECRET not in str(raised.value)
