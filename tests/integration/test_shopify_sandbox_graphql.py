"""Shopify sandbox Admin GraphQL: validation, pagination, search filter, cost, throttling, faults."""
import time
from datetime import datetime, timezone

import pytest

from tests.support.shopify_sandbox import SHOP, shopify_sandbox  # noqa: F401 - fixture

PAGE = """
query Page($first: Int!, $after: String, $q: String) {
  products(first: $first, after: $after, query: $q, sortKey: UPDATED_AT) {
    pageInfo { hasNextPage endCursor }
    nodes { id legacyResourceId title updatedAt status
      variants(first: 5) { nodes { id sku price compareAtPrice inventoryQuantity } } }
  }
}"""


@pytest.fixture
def token(shopify_sandbox):
    return shopify_sandbox.install()["access_token"]


def test_invalid_document_gets_shopify_error_shape(shopify_sandbox, token):
    answer = shopify_sandbox.graphql(token, "{ products(first: 1) { nodes { id inventoryLevel } } }")
    assert answer.status_code == 200
    body = answer.json()
    assert "data" not in body
    error = body["errors"][0]
    assert error["message"] == "Field 'inventoryLevel' doesn't exist on type 'Product'"
    assert error["locations"] == [{"line": 1, "column": 35}]
    assert error["extensions"]["code"] == "undefinedField"
    syntax = shopify_sandbox.graphql(token, "{ products(first: 1) { nodes { id }").json()
    assert syntax["errors"][0]["locations"] and "data" not in syntax


def test_pagination_walks_every_product_once(shopify_sandbox, token):
    seen, after, pages = [], None, 0
    while True:
        body = shopify_sandbox.graphql(token, PAGE, {"first": 10, "after": after}).json()
        connection = body["data"]["products"]
        seen += [node["id"] for node in connection["nodes"]]
        pages += 1
        if not connection["pageInfo"]["hasNextPage"]:
            break
        after = connection["pageInfo"]["endCursor"]
    assert len(seen) == len(set(seen)) == 36 and pages == 4
    node = body["data"]["products"]["nodes"][0]
    assert node["id"] == f"gid://shopify/Product/{node['legacyResourceId']}"
    assert isinstance(node["variants"]["nodes"][0]["price"], str)


def test_updated_at_filter_returns_only_changed_products(shopify_sandbox, token):
    mark = datetime.now(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")
    time.sleep(1.01)
    product = shopify_sandbox.sandbox.shop(SHOP).products[8_000_000_007]
    variant = product.variants[0]
    shopify_sandbox.sandbox.set_price(SHOP, variant.id, "12.34")
    body = shopify_sandbox.graphql(token, PAGE, {"first": 50, "q": f"updated_at:>'{mark}'"}).json()
    nodes = body["data"]["products"]["nodes"]
    assert [n["legacyResourceId"] for n in nodes] == ["8000000007"]
    assert nodes[0]["variants"]["nodes"][0]["price"] == "12.34"
    drafts = shopify_sandbox.graphql(token, PAGE, {"first": 50, "q": "status:draft"}).json()
    assert drafts["data"]["products"]["nodes"] and all(
        n["status"] == "DRAFT" for n in drafts["data"]["products"]["nodes"])


def test_cost_numbers_on_a_known_query(shopify_sandbox, token):
    # products: 2 + 10 x (1 product + variants(2 + 5 x 1)) = 82 requested
    body = shopify_sandbox.graphql(token, PAGE, {"first": 10}).json()
    cost = body["extensions"]["cost"]
    assert cost["requestedQueryCost"] == 82
    returned = body["data"]["products"]["nodes"]
    assert cost["actualQueryCost"] == 2 + sum(3 + len(n["variants"]["nodes"]) for n in returned)
    assert cost["throttleStatus"]["maximumAvailable"] == 2000.0
    assert cost["throttleStatus"]["restoreRate"] == 100.0
    assert 2000 - 82 <= cost["throttleStatus"]["currentlyAvailable"] <= 2000
    [entry] = shopify_sandbox.sandbox.request_log(SHOP)
    assert entry["requested_cost"] == 82 and entry["actual_cost"] == cost["actualQueryCost"]
    assert entry["throttled"] is False


def test_page_size_and_max_cost_limits(shopify_sandbox, token):
    too_big = shopify_sandbox.graphql(token, PAGE, {"first": 251}).json()
    assert "data" not in too_big and "250" in too_big["errors"][0]["message"]
    expensive = shopify_sandbox.graphql(
        token, "{ products(first: 250) { nodes { variants(first: 100) { nodes { id } } } } }").json()
    assert expensive["errors"][0]["extensions"]["code"] == "MAX_COST_EXCEEDED"
    assert expensive["errors"][0]["extensions"]["cost"] == 2 + 250 * (1 + 102)


def test_drained_bucket_throttles_and_is_recorded(shopify_sandbox, token):
    shopify_sandbox.sandbox.set_bucket(SHOP, maximum_available=200, restore_rate=10, currently_available=50)
    body = shopify_sandbox.graphql(token, PAGE, {"first": 10}).json()
    assert "data" not in body
    assert body["errors"][0]["extensions"]["code"] == "THROTTLED"
    cost = body["extensions"]["cost"]
    assert cost["requestedQueryCost"] == 82 and cost["actualQueryCost"] is None
    assert cost["throttleStatus"]["maximumAvailable"] == 200.0
    assert len(shopify_sandbox.sandbox.throttled_requests(SHOP)) == 1
    time.sleep((82 - cost["throttleStatus"]["currentlyAvailable"]) / 10 + 0.2)
    assert "data" in shopify_sandbox.graphql(token, PAGE, {"first": 10}).json()


def test_faults_throttle_http_errors_and_401(shopify_sandbox, token):
    sandbox = shopify_sandbox.sandbox
    sandbox.add_fault("throttle", count=1)
    assert shopify_sandbox.graphql(token, "{ shop { name } }").json()["errors"][0]["message"] == "Throttled"
    sandbox.add_fault("http", status=429, retry_after=3)
    answer = shopify_sandbox.graphql(token, "{ shop { name } }")
    assert answer.status_code == 429 and answer.headers["Retry-After"] == "3"
    sandbox.add_fault("http", status=503, count=2)
    assert [shopify_sandbox.graphql(token, "{ shop { name } }").status_code for _ in range(3)] == [503, 503, 200]
    sandbox.add_fault("unauthorized")
    assert shopify_sandbox.graphql(token, "{ shop { name } }").status_code == 401
    sandbox.add_fault("slow", seconds=0.3)
    started = time.monotonic()
    assert shopify_sandbox.graphql(token, "{ shop { name } }").status_code == 200
    assert time.monotonic() - started >= 0.3


def test_lookups_by_id_and_locations(shopify_sandbox, token):
    query = """query($ids: [ID!]!) { nodes(ids: $ids) { id ... on ProductVariant { sku product { id }
      inventoryItem { id inventoryLevels(first: 5) { nodes { location { id name }
        quantities(names: ["available", "on_hand"]) { name quantity } } } } } }
      locations(first: 10) { nodes { id name isActive fulfillsOnlineOrders } } }"""
    variant = shopify_sandbox.sandbox.shop(SHOP).products[8_000_000_001].variants[0]
    body = shopify_sandbox.graphql(token, query, {"ids": [f"gid://shopify/ProductVariant/{variant.id}",
                                                          "gid://shopify/Product/1"]}).json()
    found, missing = body["data"]["nodes"]
    assert missing is None and found["sku"] == variant.sku
    levels = found["inventoryItem"]["inventoryLevels"]["nodes"]
    assert {level["location"]["id"]: level["quantities"][0]["quantity"] for level in levels} == {
        f"gid://shopify/Location/{k}": v for k, v in variant.levels.items()}
    assert len(body["data"]["locations"]["nodes"]) == 2


def test_page_of_250_is_fast(shopify_sandbox, token):
    shopify_sandbox.sandbox.load_generated_catalog(SHOP, 2000)
    query = """{ products(first: 250) { nodes { id title updatedAt status }
                 pageInfo { hasNextPage endCursor } }
               productVariants(first: 250) { nodes { id sku price inventoryQuantity } } }"""
    shopify_sandbox.graphql(token, query)
    started = time.monotonic()
    body = shopify_sandbox.graphql(token, query).json()
    assert len(body["data"]["products"]["nodes"]) == len(body["data"]["productVariants"]["nodes"]) == 250
    assert time.monotonic() - started < 0.5


def test_a_token_without_a_scope_is_refused_the_fields_that_need_it(shopify_sandbox):
    token = shopify_sandbox.install(scope="read_products")["access_token"]
    assert shopify_sandbox.graphql(token, "{ products(first: 1) { nodes { id } } }").json()["data"]["products"]
    body = shopify_sandbox.graphql(token, "{ products(first: 1) { nodes { id } } locations(first: 5) { nodes { id } } }"
                                   ).json()
    assert body["data"] is None  # locations is non-null, so its null takes the whole answer with it
    [error] = body["errors"]
    assert error["message"] == "Access denied for locations field. Required access: `read_locations` access scope."
    assert error["path"] == ["locations"] and error["extensions"]["code"] == "ACCESS_DENIED"
    assert error["extensions"]["requiredAccess"] == "`read_locations` access scope."

    item = shopify_sandbox.sandbox.shop(SHOP).products[8_000_000_001].variants[0].inventory_item_id
    stock = shopify_sandbox.graphql(token, "query($ids: [ID!]!) { nodes(ids: $ids) { id } }",
                                    {"ids": [f"gid://shopify/InventoryItem/{item}"]}).json()
    assert stock["data"] is None
    assert stock["errors"][0]["message"].endswith("Required access: `read_inventory` access scope.")
    levels = shopify_sandbox.graphql(token, """{ productVariants(first: 1) { nodes { inventoryItem { id
        inventoryLevels(first: 1) { nodes { updatedAt } } } } } }""").json()
    assert levels["errors"][0]["path"][-1] == "inventoryLevels"

    # A write scope brings its read scope with it, as on Shopify.
    writer = shopify_sandbox.install(scope="write_products,write_inventory,read_locations")["access_token"]
    both = shopify_sandbox.graphql(writer, "query($ids: [ID!]!) { nodes(ids: $ids) { id } }",
                                   {"ids": [f"gid://shopify/InventoryItem/{item}"]}).json()
    assert "errors" not in both and both["data"]["nodes"][0]["id"].endswith(str(item))
