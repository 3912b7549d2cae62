"""AdminClient against a scripted loopback server returning Shopify's answer shapes."""
from __future__ import annotations

import pytest
import requests

from shopsync.platforms.http import AuthError, PermanentError, TransientError
from shopsync.platforms.shopify.admin import AdminClient, ShopifyUserErrors
from shopsync.platforms.shopify.cost import QueryCostMemo
from shopsync.platforms.shopify.throttle import InMemoryCostBucket
from tests.support.shopify_fake_http import scripted_server, server  # noqa: F401 (fixtures)

QUERY = "query Q($first: Int!, $after: String) { products(first: $first, after: $after) { pageInfo { hasNextPage endCursor } nodes { id } } }"


def cost(available=1990.0, requested=12, actual=5):
    return {"cost": {"requestedQueryCost": requested, "actualQueryCost": actual,
                     "throttleStatus": {"maximumAvailable": 2000.0, "currentlyAvailable": available,
                                        "restoreRate": 100.0}}}


def page(ids, next_cursor=None):
    return {"data": {"products": {"pageInfo": {"hasNextPage": next_cursor is not None,
                                               "endCursor": next_cursor},
                                  "nodes": [{"id": i} for i in ids]}},
            "extensions": cost()}


THROTTLED = {"errors": [{"message": "Throttled", "extensions": {
    "code": "THROTTLED", "documentation": "https://shopify.dev/api/usage/limits#rate-limits"}}],
    "extensions": {"cost": {"requestedQueryCost": 312, "actualQueryCost": None, "throttleStatus": {
        "maximumAvailable": 2000.0, "currentlyAvailable": 112, "restoreRate": 100.0}}}}


class FakeTime(list):
    """Records sleeps and moves the bucket's clock instead of waiting."""

    now = 0.0

    def clock(self):
        return self.now

    def sleep(self, seconds):
        self.append(seconds)
        self.now += seconds


@pytest.fixture
def sleeps():
    return FakeTime()


@pytest.fixture
def client(server, sleeps):
    return AdminClient(server.url + "/shopify/a.myshopify.com", "shpat_secret", "2026-10",
                       session=requests.Session(), bucket=InMemoryCostBucket(sleeps.clock),
                       costs=QueryCostMemo(), sleep=sleeps.sleep, max_attempts=3)


def test_request_shape_and_data(server, client):
    server.answer(200, page(["gid://shopify/Product/1"]))
    data = client.execute(QUERY, {"first": 1})
    sent = server.requests[0]
    assert sent["path"] == "/shopify/a.myshopify.com/admin/api/2026-10/graphql.json"
    assert sent["headers"]["X-Shopify-Access-Token"] == "shpat_secret"
    assert sent["json"] == {"query": QUERY, "variables": {"first": 1}}
    assert data["products"]["nodes"] == [{"id": "gid://shopify/Product/1"}]
    assert "shpat_secret" not in repr(client)


def test_paginate_follows_cursors(server, client):
    server.answer(200, page([1, 2], "c1")).answer(200, page([3]))
    assert list(client.paginate(QUERY, {"first": 2}, "products")) == [{"id": i} for i in (1, 2, 3)]
    assert server.requests[1]["json"]["variables"] == {"first": 2, "after": "c1"}


def test_throttled_waits_what_shopify_says_then_retries(server, client, sleeps):
    server.answer(200, THROTTLED).answer(200, page([1]))
    client.execute(QUERY, {"first": 1})
    assert sleeps == [pytest.approx((312 - 112) / 100)]
    assert len(server.requests) == 2


def test_429_honours_retry_after(server, client, sleeps):
    server.answer(429, {"errors": "Exceeded 2 calls per second"}, {"Retry-After": "2.0"})
    server.answer(200, page([1]))
    client.execute(QUERY, {"first": 1})
    assert sleeps == [2.0]


def test_5xx_retries_with_backoff_then_gives_up_as_transient(server, client, sleeps):
    for _ in range(3):
        server.answer(503, {"errors": "unavailable"}, {"X-Request-Id": "req-1"})
    with pytest.raises(TransientError) as caught:
        client.execute(QUERY, {"first": 1})
    assert caught.value.code == 503 and caught.value.request_id == "req-1"
    assert len(server.requests) == 3 and len(sleeps) == 2
    assert all(0 <= s <= 30 for s in sleeps)


def test_internal_error_in_body_is_retried(server, client):
    server.answer(200, {"errors": [{"message": "Internal error", "extensions": {
        "code": "INTERNAL_SERVER_ERROR"}}]})
    server.answer(200, page([1]))
    assert client.execute(QUERY, {"first": 1})["products"]


@pytest.mark.parametrize("status", [401, 403])
def test_auth_errors_are_not_retried(server, client, status):
    server.answer(status, {"errors": "[API] Invalid API key or access token"})
    with pytest.raises(AuthError) as caught:
        client.execute(QUERY, {"first": 1})
    assert caught.value.code == status and len(server.requests) == 1
    assert "shpat_secret" not in str(caught.value)


def test_access_denied_in_body_is_auth(server, client):
    server.answer(200, {"errors": [{"message": "Access denied for inventoryItems field.",
                                    "extensions": {"code": "ACCESS_DENIED"}}]})
    with pytest.raises(AuthError):
        client.execute(QUERY, {"first": 1})


@pytest.mark.parametrize("status,body", [
    (200, {"errors": [{"message": "Field 'x' doesn't exist on type 'Product'",
                       "extensions": {"code": "undefinedField"}}]}),
    (200, {"errors": [{"message": "Query cost is 1400, which exceeds the single query max cost limit (1000).",
                       "extensions": {"code": "MAX_COST_EXCEEDED"}}]}),
    (404, {"errors": "Not Found"}),
    (402, {"errors": "Unavailable Shop"}),
])
def test_other_errors_are_permanent(server, client, status, body):
    server.answer(status, body)
    with pytest.raises(PermanentError):
        client.execute(QUERY, {"first": 1})
    assert len(server.requests) == 1


def test_user_errors_are_surfaced(server, client):
    server.answer(200, {"data": {"webhookSubscriptionCreate": {"webhookSubscription": None,
                                 "userErrors": [{"field": ["webhookSubscription", "callbackUrl"],
                                                 "message": "Address for this topic has already been taken"}]}},
                        "extensions": cost()})
    with pytest.raises(ShopifyUserErrors) as caught:
        client.execute("mutation { webhookSubscriptionCreate { userErrors { message } } }")
    assert "already been taken" in caught.value.message
    assert caught.value.user_errors[0]["field"] == ["webhookSubscription", "callbackUrl"]


def test_timeouts_are_retried_then_transient(sleeps):
    client = AdminClient("http://127.0.0.1:9", "t", "2026-10", session=requests.Session(),
                         timeout=0.5, max_attempts=2, sleep=sleeps.sleep, costs=QueryCostMemo())
    with pytest.raises(TransientError):
        client.execute(QUERY, {"first": 1})
    assert len(sleeps) == 1


def test_client_waits_for_room_in_the_mirrored_bucket(server, client, sleeps):
    server.answer(200, {**page([1]), "extensions": cost(available=50, requested=312, actual=300)})
    client.execute(QUERY, {"first": 1})
    assert sleeps == []  # nothing known before the first answer
    server.answer(200, page([1]))
    client.execute(QUERY, {"first": 1})
    # The second request reserves the 312 points Shopify reported for this page size.
    assert sleeps == [pytest.approx((312 - 50) / 100)]
