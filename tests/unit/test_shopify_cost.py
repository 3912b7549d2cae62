from __future__ import annotations

from shopsync.platforms.shopify import queries
from shopsync.platforms.shopify.cost import QueryCostMemo, estimate_query_cost


def test_static_estimate_follows_shopify_rules():
    assert estimate_query_cost("{ shop { name } }") == 1
    assert estimate_query_cost("{ products(first: 10) { nodes { title } } }") == 2 + 10
    nested = "{ products(first: 10) { edges { node { id variants(first: 5) { nodes { id } } } } } }"
    assert estimate_query_cost(nested) == 2 + 10 * (1 + 2 + 5)
    assert estimate_query_cost("mutation { a: shop { id } }") == 10


def test_variables_and_fragments_count():
    query = """query Q($n: Int = 4) { products(first: $n) { pageInfo { hasNextPage }
               nodes { ...F } } } fragment F on Product { id variants(first: 2) { nodes { id } } }"""
    assert estimate_query_cost(query) == 2 + 4 * (1 + 2 + 2)
    assert estimate_query_cost(query, {"n": 10}) == 2 + 10 * (1 + 2 + 2)
    assert estimate_query_cost("query Q($ids: [ID!]!) { nodes(ids: $ids) { id } }",
                               {"ids": ["a", "b", "c"]}) == 3


def test_every_paged_document_stays_well_under_the_1000_point_cap():
    pages = {
        queries.PRODUCTS_PAGE: {"first": queries.PRODUCTS_PAGE_SIZE},
        queries.PRODUCT_BY_ID: {"id": "gid://shopify/Product/1"},
        queries.PRODUCT_VARIANTS_PAGE: {"first": queries.VARIANTS_PAGE_SIZE},
        queries.INVENTORY_ITEMS_PAGE: {"first": queries.INVENTORY_ITEMS_PAGE_SIZE},
        queries.INVENTORY_ITEM_LEVELS_PAGE: {"first": 50},
        queries.LOCATIONS_PAGE: {"first": queries.LOCATIONS_PAGE_SIZE},
        queries.WEBHOOK_SUBSCRIPTIONS: {"first": 50},
    }
    for query, variables in pages.items():
        assert 0 < estimate_query_cost(query, variables) <= 900, query


def test_memo_prefers_what_shopify_reported_for_the_same_page_size():
    memo = QueryCostMemo()
    query = "query Q($first: Int!, $after: String) { products(first: $first, after: $after) { nodes { id } } }"
    assert memo.estimate(query, {"first": 10}) == 12
    memo.remember(query, {"first": 10, "after": None}, 7)
    assert memo.estimate(query, {"first": 10, "after": "cursor"}) == 7
    assert memo.estimate(query, {"first": 20}) == 22
