"""Platform clients against answers no real platform sends, from a real HTTP server on loopback (review finding 10).

Every client entry point either returns a well-formed result or raises one of the typed platform
errors its callers handle (PermanentError, TransientError, AuthError); never a plain Python
exception. And none follows a redirect: a 307 to another host would re-send the access token
headers and the OAuth client secret there.
"""
from __future__ import annotations

import json
from urllib.parse import parse_qsl, urlsplit

import pytest

from shopsync.platforms.http import PermanentError, PlatformError, new_session
from shopsync.platforms.shopify import oauth as shopify_oauth
from shopsync.platforms.shopify.admin import AdminClient
from shopsync.platforms.tiktok import oauth as tiktok_oauth
from shopsync.platforms.tiktok.client import TikTokClient
from shopsync.platforms.tiktok.limiter import build_rate_limiter
from shopsync.platforms.tiktok.products import authorized_shops, warehouses
from tests.support.garbage_server import Answer, GarbageServer
from tests.support.journeys import install_shop

NOW = 1_800_000_000
TOKEN = {"access_token": "A" * 20, "access_token_expire_in": NOW, "refresh_token": "R" * 20,
         "refresh_token_expire_in": NOW, "open_id": "o", "seller_name": "s", "seller_base_region": "US"}


def _json(value) -> bytes:
    return json.dumps(value).encode()


def _tiktok(data) -> bytes:
    return _json({"code": 0, "message": "Success", "request_id": "r", "data": data})


def _ok(body: bytes, status: int = 200, **headers) -> Answer:
    return Answer(status, body, {"Content-Type": "application/json", **headers})


GARBAGE = [
    # not JSON, or not an object
    _ok(b""), _ok(b"<html>Bad gateway</html>"), _ok(b"{"), _ok(b"null"), _ok(b"[]"), _ok(b'"text"'), _ok(b"1e400"),
    _ok(b"NaN"), _ok(b"[" * 100_000 + b"]" * 100_000), _ok(b'{"a": ' * 5000 + b"1" + b"}" * 5000),
    _ok(b"\xff\xfe\x00garbage"), _ok(b'{"code": 0}', status=204),
    # TikTok's envelope, bent
    _ok(_json({"code": "abc"})), _ok(_json({"code": None})), _ok(_json({"code": 1.5})), _ok(_json({"code": True})),
    _ok(_json({"code": [0]})), _ok(_json({"code": 10**30, "message": "x"})), _ok(b'{"code": 1e400}'),
    _ok(b'{"code": NaN}'), _ok(_json({"code": 0, "data": []})), _ok(_json({"code": 0, "data": "x"})),
    _ok(_json({"code": 0, "data": 1})), _ok(_json({"code": 0, "message": ["x"], "request_id": {"a": 1}})),
    _ok(_json({"code": 0})), _ok(_json({"message": "no code"})),
    # TikTok token answers
    _ok(_tiktok({**TOKEN, "access_token_expire_in": 10**20})), _ok(_tiktok({**TOKEN, "access_token_expire_in": -5})),
    _ok(_tiktok({**TOKEN, "refresh_token_expire_in": "abc"})), _ok(_tiktok({**TOKEN, "access_token_expire_in": 1.5})),
    _ok(_tiktok({**TOKEN, "access_token_expire_in": None})), _ok(_tiktok({**TOKEN, "access_token": 12345})),
    _ok(_tiktok({**TOKEN, "access_token": ["a"]})), _ok(_tiktok({**TOKEN, "refresh_token": ""})),
    _ok(_tiktok({key: value for key, value in TOKEN.items() if key != "refresh_token"})),
    _ok(_tiktok({**TOKEN, "granted_scopes": "not a list"})),
    # TikTok lists
    _ok(_tiktok({"shops": "x"})), _ok(_tiktok({"shops": [1, 2]})), _ok(_tiktok({"shops": [{"id": None}]})),
    _ok(_tiktok({"shops": [{"id": {}, "cipher": "c"}]})), _ok(_tiktok({"shops": [{"id": "1"}]})),
    _ok(_tiktok({"warehouses": [{"id": ["x"]}]})), _ok(_tiktok({"warehouses": {"id": 1}})),
    # Shopify token answers
    _ok(_json({"access_token": ["x"], "scope": "read_products"})), _ok(_json({"access_token": "a", "expires_in": "abc"})),
    _ok(_json({"access_token": "a", "expires_in": 10**20})), _ok(_json({"access_token": "a", "expires_in": -5})),
    _ok(_json({"access_token": "a", "expires_in": [1]})), _ok(_json({"access_token": "a", "associated_user": "bob"})),
    _ok(_json({"access_token": "a", "scope": 5})), _ok(_json({"error": ["x"]})), _ok(_json({"error": {"a": 1}})),
    # Shopify GraphQL answers
    _ok(_json({"data": []})), _ok(_json({"errors": "x"})), _ok(_json({"errors": [1, 2]})),
    _ok(_json({"data": {"shop": 1}, "extensions": []})),
    _ok(_json({"data": {}, "extensions": {"cost": {"throttleStatus": {"maximumAvailable": "x"}}}})),
    _ok(b'{"data": {}, "extensions": {"cost": {"requestedQueryCost": 1, "throttleStatus": {"maximumAvailable": 1e400, '
        b'"currentlyAvailable": -1e400, "restoreRate": NaN}}}}'),
    # statuses with odd headers
    _ok(b"{}", status=429, **{"Retry-After": "1e400"}), _ok(b"{}", status=503, **{"Retry-After": "-5"}),
]
assert len(GARBAGE) == 60


@pytest.fixture(scope="module")
def platform():
    server = GarbageServer()
    yield server
    server.close()


@pytest.fixture(scope="module")
def elsewhere():
    """Another host a redirect points to: nothing must ever reach it."""
    server = GarbageServer()
    yield server
    server.close()


def _tiktok_client(base: str) -> TikTokClient:
    return TikTokClient(api_base_url=base, app_key="app-key", app_secret="APP-SECRET-xyz", access_token="TT-TOKEN-xyz",
                        shop_cipher="cipher", rate_limiter=build_rate_limiter(per_second=10_000), session=new_session(),
                        sleep=lambda seconds: None, max_attempts=2)


CALLS = {
    "TikTok token exchange": lambda base: tiktok_oauth.exchange_code(new_session(), base, "app-key", "APP-SECRET-xyz",
                                                                     "CODE-xyz"),
    "TikTok token refresh": lambda base: tiktok_oauth.refresh(new_session(), base, "app-key", "APP-SECRET-xyz",
                                                              "REFRESH-xyz"),
    "TikTok authorized shops": lambda base: authorized_shops(_tiktok_client(base)),
    "TikTok warehouses": lambda base: warehouses(_tiktok_client(base)),
    "Shopify token exchange": lambda base: shopify_oauth.exchange_code(base, "client-id", "CLIENT-SECRET-xyz",
                                                                       "CODE-xyz"),
    "Shopify token refresh": lambda base: shopify_oauth.refresh_token(base, "client-id", "CLIENT-SECRET-xyz",
                                                                      "REFRESH-xyz"),
    "Shopify GraphQL": lambda base: AdminClient(base, "SHPAT-xyz", "2026-10", sleep=lambda seconds: None,
                                                max_attempts=2, max_throttle_waits=2).execute("{ shop { id } }"),
}


@pytest.mark.parametrize("answer", GARBAGE, ids=[f"garbage{n:02d}" for n in range(len(GARBAGE))])
def test_every_client_turns_a_garbage_answer_into_a_typed_platform_error(platform, answer):
    platform.answer = answer
    for name, call in CALLS.items():
        try:
            result = call(platform.url)
        except PlatformError as error:
            assert error.message and "xyz" not in error.message, (name, error.message)
        except Exception as error:  # noqa: BLE001 - what the test is about
            pytest.fail(f"{name}: {type(error).__name__}: {error}"[:500])
        else:
            _well_formed(name, result)


def _well_formed(name: str, result) -> None:
    """A garbage answer that still reads as a valid one (an empty list of shops) must give sane values."""
    if isinstance(result, list):
        assert all(isinstance(item.id, str) for item in result), name
    elif isinstance(result, shopify_oauth.ShopifyToken):
        assert isinstance(result.access_token, str) and isinstance(result.scope, str), name
    elif isinstance(result, tiktok_oauth.TokenSet):
        assert result.access_token_expires_at.year < 2100, name
    else:
        assert isinstance(result, dict), (name, result)


@pytest.mark.parametrize("status", [301, 302, 303, 307, 308])
def test_no_client_follows_a_redirect_with_its_credentials(platform, elsewhere, status):
    platform.answer = Answer(status, b"", {"Location": elsewhere.url + "/steal?x=1"})
    elsewhere.answer = _ok(_tiktok({**TOKEN, "shops": []}))
    elsewhere.received.clear()
    for name, call in CALLS.items():
        with pytest.raises(PermanentError, match="redirect"):
            call(platform.url)
    assert elsewhere.received == [], [(r.method, r.path, r.headers) for r in elsewhere.received]


def test_a_garbage_token_answer_on_the_tiktok_callback_is_a_clear_message_not_a_500(app, client, shop_domain,
                                                                                    platform, monkeypatch):
    install_shop(client, shop_domain)
    monkeypatch.setitem(app.config, "TIKTOK_AUTH_BASE_URL", platform.url)
    for body in (_json({"code": "abc"}), _tiktok([]), _tiktok({**TOKEN, "access_token_expire_in": 10**20})):
        platform.answer = _ok(body)
        start = client.get("/integrations/tiktok/connect")
        state = dict(parse_qsl(urlsplit(start.headers["Location"]).query))["state"]
        answer = client.get("/tiktok/callback", query_string={"code": "CODE-xyz", "state": state})
        assert answer.status_code == 302, answer.get_data(as_text=True)[:500]
        page = client.get(answer.headers["Location"]).get_data(as_text=True)
        assert "TikTok Shop did not accept this connection" in page
