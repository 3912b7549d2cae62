"""ShopSync's Shopify layer against the Shopify sandbox over real HTTP."""
from __future__ import annotations

from urllib.parse import parse_qsl, urlsplit

import pytest
import requests

from shopsync.platforms.http import AuthError
from shopsync.platforms.shopify import bulk, catalog, oauth, queries
from shopsync.platforms.shopify.admin import AdminClient, ShopifyUserErrors
from shopsync.platforms.shopify.cost import QueryCostMemo
from tests.support.shopify_sandbox import (  # noqa: F401 (fixture)
    API_KEY,
    API_SECRET,
    REDIRECT_URI,
    SCOPES,
    SHOP,
    VERSION,
    shopify_sandbox,
)


def _install(running, per_user=False) -> oauth.ShopifyToken:
    session = requests.Session()
    base = running.shop_url(oauth.normalize_shop(SHOP))
    url, state = oauth.authorize_url(base, API_KEY, SCOPES, REDIRECT_URI, per_user=per_user)
    assert session.get(url).status_code == 200
    answer = session.post(url.split("?")[0], data={**dict(parse_qsl(urlsplit(url).query)),
                                                   "decision": "install"}, allow_redirects=False)
    callback = dict(parse_qsl(urlsplit(answer.headers["Location"]).query))
    assert oauth.verify_query_hmac(callback, API_SECRET)
    assert not oauth.verify_query_hmac({**callback, "shop": "evil.myshopify.com"}, API_SECRET)
    assert callback["state"] == state and oauth.normalize_shop(callback["shop"]) == SHOP
    return oauth.exchange_code(base, API_KEY, API_SECRET, callback["code"])


@pytest.fixture
def admin(shopify_sandbox):
    token = _install(shopify_sandbox)
    return AdminClient(shopify_sandbox.shop_url(), token.access_token, VERSION,
                       costs=QueryCostMemo())


def test_install_gives_an_expiring_token_that_refreshes(shopify_sandbox):
    token = _install(shopify_sandbox)
    assert not oauth.missing_scopes(token.scope, SCOPES)
    assert token.expires_at is not None and token.refresh_token
    fresh = oauth.refresh_token(shopify_sandbox.shop_url(), API_KEY, API_SECRET, token.refresh_token)
    assert fresh.access_token != token.access_token and fresh.refresh_token != token.refresh_token


def test_full_read_through_pages(shopify_sandbox, admin):
    shop = admin.execute(queries.SHOP_INFO)["shop"]
    assert shop["myshopifyDomain"] == SHOP and shop["currencyCode"]
    products = list(admin.paginate(queries.PRODUCTS_PAGE, {"first": queries.PRODUCTS_PAGE_SIZE},
                                   "products"))
    assert len(products) == len(shopify_sandbox.sandbox.shop(SHOP).products)
    variants = [v for p in products for v in catalog.variants_from_product_node(p)]
    assert all(v.inventory_item_id and v.price is not None for v in variants)
    locations = [catalog.location_from_node(n) for n in admin.paginate(
        queries.LOCATIONS_PAGE, {"first": queries.LOCATIONS_PAGE_SIZE}, "locations")]
    assert locations
    levels = [level for item in admin.paginate(
        queries.INVENTORY_ITEMS_PAGE, {"first": queries.INVENTORY_ITEMS_PAGE_SIZE}, "inventoryItems")
        for level in catalog.inventory_levels_from_item_node(item)]
    assert {level.location_id for level in levels} <= {loc.id for loc in locations}


def test_client_stays_under_a_small_bucket(shopify_sandbox, admin):
    shopify_sandbox.sandbox.set_bucket(SHOP, maximum_available=1000, restore_rate=500,
                                       currently_available=1000)
    for _ in range(6):
        admin.execute(queries.PRODUCTS_PAGE, {"first": queries.PRODUCTS_PAGE_SIZE})
    # Only the first answer can surprise the mirror; after that it waits instead.
    assert len(shopify_sandbox.sandbox.throttled_requests(SHOP)) <= 1


def test_faults_are_retried_or_classified(shopify_sandbox, admin):
    sandbox = shopify_sandbox.sandbox
    sandbox.add_fault("throttle", count=1)
    sandbox.add_fault("http", status=503, count=2)
    assert admin.execute(queries.SHOP_INFO)["shop"]["name"]
    sandbox.add_fault("unauthorized")
    with pytest.raises(AuthError):
        admin.execute(queries.SHOP_INFO)


def test_bulk_export_round_trip(shopify_sandbox, admin):
    operation = bulk.start_bulk_query(admin, queries.BULK_PRODUCTS)
    result = bulk.wait_for_bulk(admin, operation, poll_interval=0.05, timeout=30)
    assert result.completed
    rows = list(catalog.rows_from_bulk_lines(bulk.iter_jsonl(requests.Session(), result.url)))
    products = [r for r in rows if isinstance(r, catalog.ProductRow)]
    variants = [r for r in rows if isinstance(r, catalog.VariantRow)]
    store = shopify_sandbox.sandbox.shop(SHOP).products
    assert {p.id for p in products} == set(store)
    assert len(variants) == sum(len(p.variants) for p in store.values())


def test_webhook_subscriptions_are_idempotent(shopify_sandbox, admin):
    variables = {"topic": "PRODUCTS_UPDATE",
                 "webhookSubscription": {"callbackUrl": "https://sync.example.com/webhooks/shopify",
                                         "format": "JSON"}}
    created = admin.execute(queries.WEBHOOK_SUBSCRIPTION_CREATE, variables)
    assert created["webhookSubscriptionCreate"]["webhookSubscription"]["topic"] == "PRODUCTS_UPDATE"
    with pytest.raises(ShopifyUserErrors):
        admin.execute(queries.WEBHOOK_SUBSCRIPTION_CREATE, variables)
    listed = list(admin.paginate(queries.WEBHOOK_SUBSCRIPTIONS, {"first": 50}, "webhookSubscriptions"))
    assert [s["topic"] for s in listed] == ["PRODUCTS_UPDATE"]
