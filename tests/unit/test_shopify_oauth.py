from __future__ import annotations

from datetime import datetime, timedelta, timezone
from urllib.parse import parse_qs, urlsplit

import pytest
from werkzeug.datastructures import MultiDict

from shopsync.platforms.http import AuthError, PermanentError, TransientError
from shopsync.platforms.shopify import oauth
from tests.support.shopify_fake_http import scripted_server, server  # noqa: F401 (fixtures)

DOCS_QUERY = {
    "code": "0907a61c0c8d55e99db179b68161bc00",
    "hmac": "700e2dadb827fcc8609e9d5ce208b2e9cdaab9df07390d2cbca10d7c328fc4bf",
    "shop": "some-shop.myshopify.com",
    "state": "0.6784241404160823",
    "timestamp": "1337178173",
}


@pytest.mark.parametrize("shop", [
    "some-shop.myshopify.com", "My-Shop.myshopify.com", "a.myshopify.com", "0shop.myshopify.com",
    "tiktok-sync-test.myshopify.com",
])
def test_valid_shop_domains(shop):
    assert oauth.is_valid_shop_domain(shop)


@pytest.mark.parametrize("shop", [
    "evil.com", "x.myshopify.com.evil.com", "shop.myshopify.com.evil.com",
    "evil.com/x.myshopify.com", "-x.myshopify.com", "https://x.myshopify.com",
    "x.myshopify.com/admin", "x.myshopify.com:443", ".myshopify.com", "myshopify.com",
    "a.b.myshopify.com", "x_y.myshopify.com", "x.myshopify.io", "x.myshopify.com\n",
    "x.MYSHOPIFY.COM", "x.myshopify.com/", "user@x.myshopify.com", " x.myshopify.com", "",
    None, 42, "x.myshopify.com?x=1", "x.myshopify.com#a",
])
def test_invalid_shop_domains(shop):
    assert not oauth.is_valid_shop_domain(shop)


def test_normalize_shop_lowercases_or_refuses():
    assert oauth.normalize_shop("My-Shop.myshopify.com") == "my-shop.myshopify.com"
    with pytest.raises(ValueError):
        oauth.normalize_shop("x.myshopify.com\n")


def test_docs_example_with_state_verifies():
    assert oauth.verify_query_hmac(DOCS_QUERY, "hush")
    assert oauth.sign_query(DOCS_QUERY, "hush") == DOCS_QUERY["hmac"]


def test_docs_example_without_state():
    query = {k: v for k, v in DOCS_QUERY.items() if k != "state"}
    assert oauth.sign_query(query, "hush") == \
        "4712bf92ffc2917d15a2f5a273e39f0116667419aa4b6ac0b3baaf26fa3c4d20"


def test_install_request_vector():
    query = {"shop": "tiktok-sync-test.myshopify.com", "timestamp": "1764072000",
             "hmac": "6825149b6a5c98daa3ae333da74f5e566a5219d54761322f303c85868ad68280"}
    assert oauth.verify_query_hmac(query, "shpss_0123456789abcdef")


def test_multidict_from_werkzeug_verifies():
    assert oauth.verify_query_hmac(MultiDict(list(DOCS_QUERY.items())), "hush")


@pytest.mark.parametrize("change", [
    {"shop": "evil-shop.myshopify.com"}, {"timestamp": "1337178174"}, {"extra": "1"},
    {"hmac": DOCS_QUERY["hmac"].upper()}, {"hmac": ""},
])
def test_tampered_query_fails(change):
    assert not oauth.verify_query_hmac({**DOCS_QUERY, **change}, "hush")


def test_wrong_secret_missing_or_repeated_hmac_fail():
    assert not oauth.verify_query_hmac(DOCS_QUERY, "hush2")
    assert not oauth.verify_query_hmac({k: v for k, v in DOCS_QUERY.items() if k != "hmac"}, "hush")
    doubled = MultiDict(list(DOCS_QUERY.items()) + [("hmac", DOCS_QUERY["hmac"])])
    assert not oauth.verify_query_hmac(doubled, "hush")


def test_legacy_signature_parameter_is_not_signed():
    with_signature = {**DOCS_QUERY, "signature": "anything"}
    assert oauth.verify_query_hmac(with_signature, "hush")


def test_array_parameters_are_signed_as_json_lists():
    params = MultiDict([("ids[]", "1"), ("ids[]", "2"), ("shop", "a.myshopify.com")])
    assert oauth._signed_message(params) == 'ids=["1", "2"]&shop=a.myshopify.com'
    assert oauth._signed_message({"ids[]": ["1", "2"], "shop": "a.myshopify.com"}) == \
        oauth._signed_message(params)
    signed = MultiDict(params)
    signed.add("hmac", oauth.sign_query(params, "s"))
    assert oauth.verify_query_hmac(signed, "s")
    reordered = MultiDict([("ids[]", "2"), ("ids[]", "1"), ("shop", "a.myshopify.com"),
                           ("hmac", signed["hmac"])])
    assert not oauth.verify_query_hmac(reordered, "s")


def test_delimiters_are_escaped_so_values_cannot_forge_pairs():
    assert oauth._signed_message({"a": "1&b=2"}) == "a=1%26b=2"
    assert oauth._signed_message({"a=b": "c%d"}) == "a%3Db=c%25d"
    # "a=1&b=2" as two params must not sign like one param holding "1&b=2".
    assert oauth.sign_query({"a": "1", "b": "2"}, "s") != oauth.sign_query({"a": "1&b=2"}, "s")
    assert oauth._signed_message({"note": "two words"}) == "note=two words"


def test_authorize_url_offline_and_online():
    url, state = oauth.authorize_url("https://a.myshopify.com", "key", ["read_products", "read_inventory"],
                                     "https://app.example/cb")
    parts = urlsplit(url)
    assert (parts.scheme, parts.netloc, parts.path) == ("https", "a.myshopify.com",
                                                          "/admin/oauth/authorize")
    query = parse_qs(parts.query)
    assert query == {"response_type": ["code"], "client_id": ["key"], "scope": ["read_products,read_inventory"],
                     "redirect_uri": ["https://app.example/cb"], "state": [state]}
    assert len(state) >= 30
    online, other_state = oauth.authorize_url("https://a.myshopify.com", "key", "read_products",
                                              "https://app.example/cb", per_user=True)
    assert parse_qs(urlsplit(online).query)["grant_options[]"] == ["per-user"]
    assert other_state != state


def test_missing_scopes_understands_write_implies_read():
    assert oauth.missing_scopes("write_products,read_inventory",
                                "read_products,read_inventory,read_locations") == {"read_locations"}
    assert oauth.missing_scopes("read_products", "write_products") == {"write_products"}
    assert oauth.missing_scopes(" read_products , ", ["read_products"]) == set()


def test_token_repr_hides_secrets():
    token = oauth.ShopifyToken(access_token="shpat_secret", scope="read_products",
                               refresh_token="shprt_secret")
    assert "secret" not in repr(token)


def test_exchange_code_expiring_offline(server):
    server.answer(200, {"access_token": "shpat_x", "scope": "read_products", "expires_in": 3600,
                        "refresh_token": "shprt_y", "refresh_token_expires_in": 7776000})
    before = datetime.now(timezone.utc)
    token = oauth.exchange_code(server.url, "key", "secret", "the-code")
    sent = server.requests[0]
    assert sent["path"] == "/admin/oauth/access_token" and sent["method"] == "POST"
    assert sent["form"] == {"grant_type": "authorization_code", "client_id": "key", "client_secret": "secret",
                            "code": "the-code", "expiring": "1"}
    assert token.access_token == "shpat_x" and token.refresh_token == "shprt_y"
    assert before + timedelta(seconds=3599) < token.expires_at < before + timedelta(seconds=3700)
    assert token.expires_at.tzinfo is not None
    assert token.refresh_token_expires_at > token.expires_at


def test_exchange_code_online_token_has_user(server):
    user = {"id": 902541635, "email": "john@example.com", "account_owner": True}
    server.answer(200, {"access_token": "shpat_x", "scope": "read_products", "expires_in": 86399,
                        "associated_user_scope": "read_products", "associated_user": user})
    token = oauth.exchange_code(server.url, "key", "secret", "c", expiring=False)
    assert "expiring" not in server.requests[0]["form"]
    assert token.associated_user == oauth.StaffUser(id=902541635, email="john@example.com", account_owner=True)
    assert token.refresh_token is None


def test_refresh_token_sends_grant(server):
    server.answer(200, {"access_token": "shpat_new", "scope": "read_products", "expires_in": 3600,
                        "refresh_token": "shprt_new", "refresh_token_expires_in": 100})
    token = oauth.refresh_token(server.url, "key", "secret", "shprt_old")
    assert server.requests[0]["form"] == {"client_id": "key", "client_secret": "secret",
                                          "grant_type": "refresh_token",
                                          "refresh_token": "shprt_old"}
    assert token.refresh_token == "shprt_new"


@pytest.mark.parametrize("status,error_type", [
    (400, AuthError), (401, AuthError), (404, PermanentError), (429, TransientError),
    (503, TransientError),
])
def test_token_errors_are_typed_and_leak_nothing(server, status, error_type):
    server.answer(status, {"error": "invalid_request",
                           "error_description": "code the-code was not found"})
    with pytest.raises(error_type) as caught:
        oauth.exchange_code(server.url, "key", "secret-xyz", "the-code")
    assert "the-code" not in str(caught.value) and "secret-xyz" not in str(caught.value)


def test_retry_after_is_kept_in_seconds_and_a_date_is_not_misread(server):
    server.answer(429, {"error": "too_many_requests"}, headers={"Retry-After": "7"})
    with pytest.raises(TransientError) as caught:
        oauth.exchange_code(server.url, "key", "secret", "the-code")
    assert caught.value.retry_after == 7.0
    server.answer(503, raw=b"<html>down</html>", headers={"Retry-After": "Wed, 25 Nov 2026 12:00:00 GMT"})
    with pytest.raises(TransientError) as caught:
        oauth.refresh_token(server.url, "key", "secret", "shprt_old")
    assert caught.value.retry_after is None


def test_an_error_in_a_200_answer_or_no_json_is_refused(server):
    server.answer(200, {"error": "invalid_request", "error_description": "code the-code was not found"})
    with pytest.raises(AuthError) as caught:
        oauth.exchange_code(server.url, "key", "secret-xyz", "the-code")
    assert "the-code" not in str(caught.value)
    server.answer(200, ["not", "an", "object"])
    with pytest.raises(PermanentError):
        oauth.exchange_code(server.url, "key", "secret-xyz", "the-code")
    server.answer(200, {"scope": "read_products"})
    with pytest.raises(PermanentError):
        oauth.refresh_token(server.url, "key", "secret-xyz", "shprt_old")


def test_unreachable_token_endpoint_is_transient():
    with pytest.raises(TransientError):
        oauth.refresh_token("http://127.0.0.1:9", "k", "s", "r", timeout=1)
