import json
from datetime import datetime, timezone
from decimal import Decimal
from urllib.parse import parse_qs, urlsplit

import pytest
import requests

from shopsync.platforms.http import AuthError, PermanentError, TransientError
from shopsync.platforms.tiktok.client import TikTokClient, TikTokResponse, takes_shop_cipher
from shopsync.platforms.tiktok.errors import error_for
from shopsync.platforms.tiktok.limiter import build_rate_limiter
from shopsync.platforms.tiktok.oauth import TokenSet, authorize_url
from shopsync.platforms.tiktok.products import _result, format_amount
from shopsync.platforms.tiktok.signing import sign


class FakeSession:
    """Answers with queued (status, envelope, headers) and remembers what was sent."""

    def __init__(self, *answers):
        self.answers = list(answers)
        self.sent = []

    def request(self, method, url, params, data, headers, timeout):
        self.sent.append({"method": method, "url": url, "params": dict(params), "data": data, "headers": headers})
        answer = self.answers.pop(0)
        if isinstance(answer, Exception):
            raise answer
        status, envelope, extra_headers = answer
        response = requests.Response()
        response.status_code = status
        response._content = json.dumps(envelope).encode()
        response.headers.update(extra_headers)
        return response


def ok(data=None, request_id="req-1"):
    return 200, {"code": 0, "message": "Success", "request_id": request_id, "data": data or {}}, {}


def failure(code, message="", status=200, headers=None, request_id="req-x"):
    return status, {"code": code, "message": message, "request_id": request_id, "data": {}}, headers or {}


def make_client(session, clock=None, sleeps=None, **options):
    ticks = iter(range(1_700_000_000, 1_800_000_000, 7))
    return TikTokClient("https://open-api.example/", "key", "secret", "the-access-token", shop_cipher="CIPHER",
                        rate_limiter=build_rate_limiter(per_second=1000), session=session,
                        clock=clock or (lambda: next(ticks)), sleep=(sleeps.append if sleeps is not None else
                                                                     (lambda s: None)), **options)


def test_post_sends_the_exact_signed_bytes_with_common_params_and_headers():
    session = FakeSession(ok({"x": 1}))
    client = make_client(session)
    response = client.post("/product/202309/products/1/prices/update", {"title": "Crème", "n": 1},
                           query={"page_size": 5, "page_token": None})
    sent = session.sent[0]
    assert sent["data"] == '{"title":"Crème","n":1}'.encode("utf-8")
    assert sent["url"] == "https://open-api.example/product/202309/products/1/prices/update"
    params = sent["params"]
    assert set(params) == {"app_key", "timestamp", "shop_cipher", "page_size", "sign"}
    unsigned = {k: v for k, v in params.items() if k != "sign"}
    assert params["sign"] == sign("/product/202309/products/1/prices/update", unsigned, sent["data"], "secret")
    assert sent["headers"] == {"x-tts-access-token": "the-access-token", "content-type": "application/json"}
    assert response == TikTokResponse(data={"x": 1}, request_id="req-1", message="Success")


def test_authorization_calls_carry_no_shop_cipher():
    session = FakeSession(ok())
    make_client(session).get("/authorization/202309/shops")
    assert "shop_cipher" not in session.sent[0]["params"]
    assert session.sent[0]["data"] is None


def test_shop_cipher_rules():
    assert takes_shop_cipher("GET", "/product/202309/products/1")
    assert not takes_shop_cipher("GET", "/authorization/202309/shops")
    assert not takes_shop_cipher("POST", "/product/202309/images/upload")
    assert not takes_shop_cipher("POST", "/product/202309/brands")
    assert takes_shop_cipher("GET", "/product/202309/brands")


def test_transient_errors_are_retried_and_resigned_with_fresh_timestamps():
    sleeps = []
    session = FakeSession(failure(36009002, "Too many requests", 429, {"Retry-After": "3"}),
                          failure(36009003, "Internal error", 500), requests.Timeout("slow"), ok())
    response = make_client(session, sleeps=sleeps).get("/logistics/202309/warehouses")
    assert response.request_id == "req-1"
    timestamps = [s["params"]["timestamp"] for s in session.sent]
    assert len(set(timestamps)) == 4
    assert len({s["params"]["sign"] for s in session.sent}) == 4
    assert sleeps[0] >= 3  # Retry-After honoured
    assert len(sleeps) == 3


def test_transient_errors_give_up_after_max_attempts():
    session = FakeSession(*[failure(36009003, "Internal error", 500)] * 3)
    with pytest.raises(TransientError) as raised:
        make_client(session, max_attempts=3).get("/logistics/202309/warehouses")
    assert raised.value.request_id == "req-x" and len(session.sent) == 3


def test_auth_errors_are_raised_at_once_without_the_token():
    session = FakeSession(failure(105002, "Expired credentials", 401), ok())
    with pytest.raises(AuthError) as raised:
        make_client(session).get("/logistics/202309/warehouses")
    assert raised.value.code == 105002 and len(session.sent) == 1
    assert "the-access-token" not in str(raised.value)


def test_permanent_errors_are_typed():
    session = FakeSession(failure(12019150, "The product does not exist", request_id="r-9"))
    with pytest.raises(PermanentError) as raised:
        make_client(session).get("/product/202309/products/404")
    assert (raised.value.code, raised.value.request_id, raised.value.error_class) == (12019150, "r-9", "permanent")


def test_client_repr_hides_secrets():
    text = repr(make_client(FakeSession()))
    assert "the-access-token" not in text and "secret" not in text


@pytest.mark.parametrize("code,message,status,kind", [
    (36009002, "Too many requests", 429, TransientError),
    (36009003, "Internal error", 500, TransientError),
    (36009007, "Timeout", 200, TransientError),
    (None, "Bad Gateway", 502, TransientError),
    (105002, "Expired credentials", 401, AuthError),
    (101000, "Invalid header", 401, AuthError),
    (105005, "Scope not granted", 200, AuthError),
    (36004004, "Invalid auth code", 200, AuthError),
    (36009004, "Invalid access_token", 401, AuthError),
    (36009004, "Invalid timestamp", 401, PermanentError),
    (106001, "Invalid sign", 401, PermanentError),
    (12019150, "Product not found", 200, PermanentError),
    (12052032, "Product not found", 200, PermanentError),
    (12052260, "Product not found", 200, PermanentError),
    (12052557, "SKU not in product", 200, PermanentError),
    (12052901, "Under review", 200, PermanentError),
])
def test_error_classes(code, message, status, kind):
    error = error_for(code, message, http_status=status, request_id="rid")
    assert type(error) is kind and error.request_id == "rid"


def test_update_result_reads_per_sku_errors_on_success():
    response = TikTokResponse(request_id="r1", data={"errors": [
        {"code": 12052557, "message": "not in product", "detail": {"sku_id": "2", "extra_errors": []}},
        {"code": 0, "message": "", "detail": {"sku_id": "3", "extra_errors": [
            {"code": 12052055, "message": "out of range", "warehouse_id": "w1"}]}},
    ]})
    result = _result("p1", ["1", "2", "3"], response)
    assert result.updated == ("1",)
    assert result.errors["2"].code == 12052557 and result.errors["3"].code == 12052055
    assert result.request_id == "r1" and isinstance(result.errors["2"], PermanentError)


def test_amounts_use_the_currency_decimals():
    assert format_amount(Decimal("19.9"), "USD") == "19.90"
    assert format_amount(Decimal("15000"), "IDR") == "15000"


def test_authorize_url_and_token_repr():
    url = authorize_url("https://services.tiktokshop.com/open/authorize", "700", "s t&ate")
    assert parse_qs(urlsplit(url).query) == {"service_id": ["700"], "state": ["s t&ate"]}
    now = datetime.now(timezone.utc)
    tokens = TokenSet("ACCESS-SECRET", now, "REFRESH-SECRET", now, "open", "Seller", "US", ("a",))
    assert "ACCESS-SECRET" not in repr(tokens) and "REFRESH-SECRET" not in repr(tokens)
