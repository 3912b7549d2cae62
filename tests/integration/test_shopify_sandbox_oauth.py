"""Shopify sandbox OAuth: grant page, signed callback, token endpoint rules, refresh rotation."""
import hashlib
import hmac
from urllib.parse import parse_qsl, urlsplit

import requests

from shopsync.sandbox.shopify.oauth import query_hmac
from tests.support.shopify_sandbox import (  # noqa: F401 - fixtures
    API_KEY, API_SECRET, REDIRECT_URI, SCOPES, SHOP, shopify_sandbox,
)


def _verify(query: str, secret: str) -> bool:
    """shopify.md §1.2 written out independently of the sandbox's own signer."""
    pairs = [(k, v) for k, v in parse_qsl(query, keep_blank_values=True) if k not in ("hmac", "signature")]
    message = "&".join(f"{k}={v}" for k, v in sorted(pairs))
    expected = hmac.new(secret.encode(), message.encode(), hashlib.sha256).hexdigest()
    return hmac.compare_digest(expected, dict(parse_qsl(query))["hmac"])


def test_query_hmac_matches_the_documented_vectors():
    pairs = [("code", "0907a61c0c8d55e99db179b68161bc00"), ("shop", "some-shop.myshopify.com"),
             ("state", "0.6784241404160823"), ("timestamp", "1337178173")]
    assert query_hmac(pairs, "hush") == "700e2dadb827fcc8609e9d5ce208b2e9cdaab9df07390d2cbca10d7c328fc4bf"
    without_state = [p for p in pairs if p[0] != "state"]
    assert query_hmac(without_state, "hush") == "4712bf92ffc2917d15a2f5a273e39f0116667419aa4b6ac0b3baaf26fa3c4d20"
    assert query_hmac(pairs, "hush2") != query_hmac(pairs, "hush")


def _authorize(running, **extra):
    params = {"client_id": API_KEY, "scope": SCOPES, "redirect_uri": REDIRECT_URI, "state": "st-42", **extra}
    return params, requests.get(f"{running.shop_url()}/admin/oauth/authorize", params=params)


def _install(running, params):
    answer = requests.post(f"{running.shop_url()}/admin/oauth/authorize", data={**params, "decision": "install"},
                           allow_redirects=False)
    assert answer.status_code == 302
    location = answer.headers["Location"]
    assert location.startswith(REDIRECT_URI + "?")
    return urlsplit(location).query


def test_grant_page_then_signed_callback_then_offline_token(shopify_sandbox):
    params, page = _authorize(shopify_sandbox)
    assert page.status_code == 200
    assert "Install ShopSync" in page.text and "read_inventory" in page.text
    query = _install(shopify_sandbox, params)
    callback = dict(parse_qsl(query))
    assert set(callback) == {"code", "hmac", "host", "shop", "state", "timestamp"}
    assert callback["shop"] == SHOP and callback["state"] == "st-42"
    assert _verify(query, API_SECRET)
    assert not _verify(query, API_SECRET + "x")

    token_url = f"{shopify_sandbox.shop_url()}/admin/oauth/access_token"
    answer = requests.post(token_url, data={"client_id": API_KEY, "client_secret": API_SECRET,
                                            "code": callback["code"]})
    assert answer.status_code == 200
    body = answer.json()
    assert body["scope"] == SCOPES and body["access_token"].startswith("shpat_")
    assert set(body) == {"access_token", "scope"}

    replay = requests.post(token_url, json={"client_id": API_KEY, "client_secret": API_SECRET,
                                            "code": callback["code"]})
    assert replay.status_code == 400
    assert replay.json()["error"] == "invalid_request"

    shop = shopify_sandbox.graphql(body["access_token"], "{ shop { myshopifyDomain } }").json()
    assert shop["data"]["shop"]["myshopifyDomain"] == SHOP


def test_wrong_client_or_redirect_is_refused(shopify_sandbox):
    _, page = _authorize(shopify_sandbox, redirect_uri="https://evil.example/cb")
    assert page.status_code == 400
    _, page = _authorize(shopify_sandbox, client_id="someone-else")
    assert page.status_code == 400
    params, _ = _authorize(shopify_sandbox)
    code = dict(parse_qsl(_install(shopify_sandbox, params)))["code"]
    answer = requests.post(f"{shopify_sandbox.shop_url()}/admin/oauth/access_token",
                           json={"client_id": API_KEY, "client_secret": "wrong", "code": code})
    assert answer.status_code == 400 and answer.json()["error"] == "invalid_client"


def test_grant_page_escapes_what_it_echoes(shopify_sandbox):
    _, page = _authorize(shopify_sandbox, scope="read_products,<script>alert(1)</script>")
    assert "<script>alert" not in page.text and "&lt;script&gt;" in page.text


def test_online_token_carries_the_logged_in_staff_user(shopify_sandbox):
    shopify_sandbox.sandbox.set_staff_user(SHOP, id=777, email="clerk@demo-store.example", account_owner=False)
    params, page = _authorize(shopify_sandbox, **{"grant_options[]": "per-user"})
    assert "clerk@demo-store.example" in page.text
    code = dict(parse_qsl(_install(shopify_sandbox, params)))["code"]
    body = requests.post(f"{shopify_sandbox.shop_url()}/admin/oauth/access_token",
                         json={"client_id": API_KEY, "client_secret": API_SECRET, "code": code}).json()
    assert body["associated_user"]["id"] == 777
    assert body["associated_user"]["account_owner"] is False
    assert set(body["associated_user"]) == {"id", "first_name", "last_name", "email", "email_verified",
                                            "account_owner", "locale", "collaborator"}
    assert body["associated_user_scope"] == SCOPES and body["expires_in"] > 0


def test_expiring_token_refresh_rotates_and_keeps_previous_until_first_use(shopify_sandbox):
    first = shopify_sandbox.install(expiring=True)
    assert first["expires_in"] == 3600 and first["refresh_token"].startswith("shprt_")
    token_url = f"{shopify_sandbox.shop_url()}/admin/oauth/access_token"

    def refresh(refresh_token):
        return requests.post(token_url, data={"client_id": API_KEY, "client_secret": API_SECRET,
                                              "grant_type": "refresh_token", "refresh_token": refresh_token})

    second = refresh(first["refresh_token"])
    assert second.status_code == 200
    # The response may have been lost: the previous refresh token still works once more...
    again = refresh(first["refresh_token"])
    assert again.status_code == 200
    # ...until a new one is used.
    assert refresh(again.json()["refresh_token"]).status_code == 200
    assert refresh(first["refresh_token"]).status_code == 400


def test_forced_expiry_answers_401_in_shopify_shape(shopify_sandbox):
    token = shopify_sandbox.install(expiring=True)["access_token"]
    assert shopify_sandbox.graphql(token, "{ shop { name } }").status_code == 200
    shopify_sandbox.sandbox.expire_tokens(SHOP)
    answer = shopify_sandbox.graphql(token, "{ shop { name } }")
    assert answer.status_code == 401
    assert answer.json() == {"errors": "[API] Invalid API key or access token (unrecognized login or wrong password)"}
