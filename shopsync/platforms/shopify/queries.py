"""Every GraphQL document ShopSync sends to the Shopify Admin API.

Each uses only fields present in both the 2025-01 schema and the unstable one
(tests/unit/test_shopify_queries_schema.py checks every str constant here).
Page sizes keep a request's requested cost far below Shopify's 1000-point cap
(connection = 2 + first × node cost, nested connections multiply), which is why
inventory levels are read in their own query rather than inside product pages.
"""
from __future__ import annotations

from datetime import datetime, timezone

PRODUCTS_PAGE_SIZE = 10  # × (variants 20 × 2 + media 5 × 2 + 5) ≈ 560 points
VARIANTS_PAGE_SIZE = 100
INVENTORY_ITEMS_PAGE_SIZE = 25  # × (10 levels × 3 + 3) ≈ 830 points
LOCATIONS_PAGE_SIZE = 100

_PRODUCT_FIELDS = """
fragment ProductFields on Product {
  id legacyResourceId title handle status updatedAt descriptionHtml vendor productType tags
  media(first: 5) {
    pageInfo { hasNextPage endCursor }
    nodes { ... on MediaImage { id image { url altText width height } } }
  }
}"""

_VARIANT_FIELDS = """
fragment VariantFields on ProductVariant {
  id legacyResourceId title sku barcode price compareAtPrice inventoryQuantity inventoryPolicy position updatedAt
  inventoryItem { id legacyResourceId tracked }
}"""

_LEVEL_FIELDS = """
fragment LevelFields on InventoryLevel {
  location { id legacyResourceId }
  quantities(names: ["available"]) { name quantity }
  updatedAt
}"""

# Products, newest change last. $query filters, e.g. updated_since_filter(...)
# for the incremental fetch. Follow variants.pageInfo with PRODUCT_VARIANTS_PAGE.
PRODUCTS_PAGE = """
query ProductsPage($first: Int!, $after: String, $query: String) {
  products(first: $first, after: $after, query: $query, sortKey: UPDATED_AT) {
    pageInfo { hasNextPage endCursor }
    nodes {
      ...ProductFields
      variants(first: 20) { pageInfo { hasNextPage endCursor } nodes { ...VariantFields } }
    }
  }
}""" + _PRODUCT_FIELDS + _VARIANT_FIELDS

# Webhooks are hints: refetch the product's current state by id.
PRODUCT_BY_ID = """
query ProductById($id: ID!) {
  product(id: $id) {
    ...ProductFields
    variants(first: 100) { pageInfo { hasNextPage endCursor } nodes { ...VariantFields } }
  }
}""" + _PRODUCT_FIELDS + _VARIANT_FIELDS

PRODUCT_VARIANTS_PAGE = """
query ProductVariantsPage($id: ID!, $first: Int!, $after: String) {
  product(id: $id) {
    id
    variants(first: $first, after: $after) {
      pageInfo { hasNextPage endCursor }
      nodes { ...VariantFields }
    }
  }
}""" + _VARIANT_FIELDS

# Everything a TikTok listing is built from. 101 variants: one more than TikTok takes tells a product is too big.
LISTING_PRODUCT = """
query ListingProduct($id: ID!) {
  product(id: $id) {
    id legacyResourceId title descriptionHtml vendor productType tags updatedAt
    options { name position optionValues { name } }
    category { id name fullName }
    collections(first: 10) { nodes { title handle } }
    metafields(first: 25) { nodes { namespace key value } }
    media(first: 20) { nodes { ... on MediaImage { id image { url altText width height } } } }
    variants(first: 101) {
      pageInfo { hasNextPage }
      nodes {
        id legacyResourceId title sku barcode price compareAtPrice position
        selectedOptions { name value }
        inventoryItem { measurement { weight { unit value } } }
      }
    }
  }
}"""

# Images past the first media page of PRODUCTS_PAGE / PRODUCT_BY_ID.
PRODUCT_MEDIA_PAGE = """
query ProductMediaPage($id: ID!, $first: Int!, $after: String) {
  product(id: $id) {
    id
    media(first: $first, after: $after) {
      pageInfo { hasNextPage endCursor }
      nodes { ... on MediaImage { id image { url altText width height } } }
    }
  }
}"""

INVENTORY_ITEMS_PAGE = """
query InventoryItemsPage($first: Int!, $after: String, $query: String) {
  inventoryItems(first: $first, after: $after, query: $query) {
    pageInfo { hasNextPage endCursor }
    nodes {
      id legacyResourceId
      inventoryLevels(first: 10) { pageInfo { hasNextPage endCursor } nodes { ...LevelFields } }
    }
  }
}""" + _LEVEL_FIELDS

# Levels of up to INVENTORY_ITEMS_PAGE_SIZE items by id (nodes come back in the order of $ids, null for
# an item deleted since). Follow an item's inventoryLevels.pageInfo with INVENTORY_ITEM_LEVELS_PAGE.
INVENTORY_ITEMS_BY_ID = """
query InventoryItemsById($ids: [ID!]!) {
  nodes(ids: $ids) {
    ... on InventoryItem {
      id legacyResourceId
      inventoryLevels(first: 10) { pageInfo { hasNextPage endCursor } nodes { ...LevelFields } }
    }
  }
}""" + _LEVEL_FIELDS

# Whether Shopify tracks an item's stock: inventory_items/update deliveries are read back (they may arrive out of order).
INVENTORY_ITEM_TRACKED = """
query InventoryItemTracked($id: ID!) {
  inventoryItem(id: $id) { id legacyResourceId tracked }
}"""

# Levels of one item, for items stocked at more than 10 locations.
INVENTORY_ITEM_LEVELS_PAGE = """
query InventoryItemLevelsPage($id: ID!, $first: Int!, $after: String) {
  inventoryItem(id: $id) {
    id legacyResourceId
    inventoryLevels(first: $first, after: $after) {
      pageInfo { hasNextPage endCursor }
      nodes { ...LevelFields }
    }
  }
}""" + _LEVEL_FIELDS

# One item's level at one location: the current quantity when a webhook's time cannot order it.
INVENTORY_LEVEL = """
query InventoryLevel($id: ID!, $locationId: ID!) {
  inventoryItem(id: $id) {
    id legacyResourceId
    inventoryLevel(locationId: $locationId) { ...LevelFields }
  }
}""" + _LEVEL_FIELDS

LOCATIONS_PAGE = """
query LocationsPage($first: Int!, $after: String) {
  locations(first: $first, after: $after, includeInactive: true) {
    pageInfo { hasNextPage endCursor }
    nodes { id legacyResourceId name isActive fulfillsOnlineOrders address { countryCode } }
  }
}"""

SHOP_INFO = """
query ShopInfo {
  shop { id name myshopifyDomain currencyCode }
}"""

# How many products match $query (created_until_filter): a full import's export holding fewer looks incomplete.
PRODUCTS_COUNT = """
query ProductsCount($query: String) {
  productsCount(query: $query, limit: null) { count precision }
}"""

# Inner documents for bulkOperationRunQuery: no first/after, at most 5
# connections, nested at most 2 levels; inventoryItem stays inline on its line.
BULK_PRODUCTS = """
{
  products {
    edges { node {
      id legacyResourceId title handle status updatedAt descriptionHtml vendor productType tags
      variants { edges { node {
        id legacyResourceId title sku barcode price compareAtPrice inventoryQuantity inventoryPolicy position updatedAt
        inventoryItem { id legacyResourceId tracked }
      } } }
      media { edges { node { ... on MediaImage { id image { url altText width height } } } } }
    } }
  }
}"""

BULK_INVENTORY_LEVELS = """
{
  inventoryItems {
    edges { node {
      id legacyResourceId
      inventoryLevels { edges { node {
        id
        location { id legacyResourceId }
        quantities(names: ["available"]) { name quantity }
        updatedAt
      } } }
    } }
  }
}"""

BULK_OPERATION_RUN_QUERY = """
mutation BulkOperationRunQuery($query: String!) {
  bulkOperationRunQuery(query: $query) {
    bulkOperation { id status }
    userErrors { field message code }
  }
}"""

BULK_OPERATION_STATUS = """
query BulkOperationStatus($id: ID!) {
  node(id: $id) {
    ... on BulkOperation {
      id status errorCode objectCount rootObjectCount fileSize url partialDataUrl completedAt
    }
  }
}"""

# Subscriptions use `uri`, the current field at our pinned version (2026-10); `callbackUrl` and
# `endpoint` are deprecated there. `uri` postdates 2025-01, so these two documents are checked
# against the newer schema only.
WEBHOOK_SUBSCRIPTION_CREATE = """
mutation WebhookSubscriptionCreate($topic: WebhookSubscriptionTopic!,
                                   $webhookSubscription: WebhookSubscriptionInput!) {
  webhookSubscriptionCreate(topic: $topic, webhookSubscription: $webhookSubscription) {
    webhookSubscription { id topic format uri }
    userErrors { field message }
  }
}"""

WEBHOOK_SUBSCRIPTIONS = """
query WebhookSubscriptions($first: Int!, $after: String) {
  webhookSubscriptions(first: $first, after: $after) {
    pageInfo { hasNextPage endCursor }
    nodes { id topic format uri }
  }
}"""

WEBHOOK_SUBSCRIPTION_DELETE = """
mutation WebhookSubscriptionDelete($id: ID!) {
  webhookSubscriptionDelete(id: $id) {
    deletedWebhookSubscriptionId
    userErrors { field message }
  }
}"""


def _stamp(when: datetime) -> str:
    if when.tzinfo is None:
        raise ValueError("times must be timezone-aware")
    return when.astimezone(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


def created_until_filter(until: datetime) -> str:
    """Search filter for PRODUCTS_COUNT's $query: products created by `until`."""
    return f"created_at:<='{_stamp(until)}'"


def updated_since_filter(since: datetime) -> str:
    """Search filter for PRODUCTS_PAGE's $query: products changed after `since`."""
    return f"updated_at:>'{_stamp(since)}'"
