"""Shopify Admin GraphQL documents for TikTok orders: find, create, hold, cancel, refund.

Every str constant here is validated against Shopify's published schemas by
tests/unit/test_shopify_queries_schema.py, like queries.py. Page sizes keep each
request far below the 1,000-point cost cap.
"""
from __future__ import annotations

import uuid

# The order ShopSync created for a TikTok order, if any: the import's idempotency check
# (`source_identifier:<TikTok order id>`). A search lags writes by a few seconds.
FIND_ORDER_BY_SOURCE = """
query FindImportedOrder($query: String!) {
  orders(first: 2, query: $query) {
    nodes {
      id legacyResourceId name sourceIdentifier cancelledAt
      lineItems(first: 50) { nodes { id sku quantity variant { id } } }
    }
  }
}"""

ORDER_CREATE = """
mutation ImportTikTokOrder($order: OrderCreateOrderInput!, $options: OrderCreateOptionsInput) {
  orderCreate(order: $order, options: $options) {
    order {
      id legacyResourceId name sourceIdentifier
      lineItems(first: 50) { nodes { id sku quantity variant { id } } }
    }
    userErrors { field message code }
  }
}"""

ORDER_FULFILLMENT_ORDERS = """
query OrderFulfillmentOrders($id: ID!) {
  order(id: $id) {
    id
    fulfillmentOrders(first: 10) {
      nodes { id status fulfillmentHolds { id handle } }
    }
  }
}"""

# ShopSync's hold carries its own handle, so releasing it never releases a hold someone else placed.
FULFILLMENT_ORDER_HOLD = """
mutation HoldTikTokOrder($id: ID!, $hold: FulfillmentOrderHoldInput!) {
  fulfillmentOrderHold(id: $id, fulfillmentHold: $hold) {
    fulfillmentHold { id handle }
    userErrors { field message code }
  }
}"""

FULFILLMENT_ORDER_RELEASE_HOLD = """
mutation ReleaseTikTokHold($id: ID!, $holdIds: [ID!]) {
  fulfillmentOrderReleaseHold(id: $id, holdIds: $holdIds) {
    fulfillmentOrder { id status }
    userErrors { field message code }
  }
}"""

# ON_HOLD orders come without an address: it is added once TikTok releases the order.
ORDER_UPDATE_ADDRESS = """
mutation UpdateTikTokOrderAddress($input: OrderInput!) {
  orderUpdate(input: $input) {
    order { id }
    userErrors { field message }
  }
}"""

# The 2026 shape (refundMethod; `refund` is deprecated): checked against the newer schema only.
# Its errors come as orderCancelUserErrors, which the caller reads.
ORDER_CANCEL = """
mutation CancelTikTokOrder($orderId: ID!, $restock: Boolean!, $staffNote: String) {
  orderCancel(orderId: $orderId, reason: CUSTOMER, restock: $restock, notifyCustomer: false,
              refundMethod: { originalPaymentMethodsRefund: true }, staffNote: $staffNote) {
    job { id done }
    orderCancelUserErrors { field message code }
  }
}"""

# Refunds already on the order: a refund ShopSync made carries its key in the note, so a retry
# after a lost answer finds it instead of refunding twice.
ORDER_REFUNDS = """
query OrderRefunds($id: ID!) {
  order(id: $id) { id cancelledAt refunds(first: 50) { id note } }
}"""

# @idempotent (2026-01; required from 2026-04) is absent from the published schemas: the schema test
# adds it as Shopify documents it. The same key with the same input returns the first refund. Shopify's
# examples give the key inline, not as a variable: refund_document() puts each refund's key in.
REFUND_CREATE = """
mutation RefundTikTokUnits($input: RefundInput!) {
  refundCreate(input: $input) @idempotent(key: "00000000-0000-0000-0000-000000000000") {
    refund { id note }
    userErrors { field message }
  }
}"""


def refund_document(key: uuid.UUID) -> str:
    """REFUND_CREATE with this refund's idempotency key (a UUID, so nothing else can reach the document)."""
    return REFUND_CREATE.replace("00000000-0000-0000-0000-000000000000", str(uuid.UUID(str(key))))


def order_gid(order_id: int) -> str:
    return f"gid://shopify/Order/{order_id}"


def legacy_id(gid: str) -> int:
    return int(str(gid).rsplit("/", 1)[-1])


def source_query(tiktok_order_id: str) -> str:
    """Search syntax for FIND_ORDER_BY_SOURCE; TikTok ids are digits, quoted anyway."""
    return f'source_identifier:"{tiktok_order_id}"'
