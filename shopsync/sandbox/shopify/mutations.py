"""The mutations ShopSync uses: webhook subscriptions and bulk query operations."""
from __future__ import annotations

from urllib.parse import urlsplit

from .graph import BulkOperationView, Context, SubscriptionView
from .store import Subscription, gid, now, parse_gid

_LOOPBACK = {"127.0.0.1", "localhost", "::1"}
# Order topics carry what only these scopes may read (shopify-orders-inventory.md F, C.1).
_TOPIC_SCOPES = {"ORDERS_": "read_orders", "REFUNDS_": "read_orders", "FULFILLMENTS_": "read_fulfillments",
                 "FULFILLMENT_ORDERS_": "read_merchant_managed_fulfillment_orders"}


def _topic_problem(topic: str, scopes: frozenset[str]) -> str | None:
    needed = next((scope for prefix, scope in _TOPIC_SCOPES.items() if (topic or "").startswith(prefix)), None)
    if needed and needed not in scopes:
        return f"Access denied for topic {topic}. Required access: `{needed}` access scope."
    return None


def _address_error(uri: str) -> str | None:
    parts = urlsplit(uri or "")
    if parts.scheme in ("pubsub", "arn"):
        return None
    if parts.scheme == "http" and parts.hostname in _LOOPBACK:
        return None  # the sandbox delivers to local test receivers; real Shopify wants HTTPS
    if parts.scheme != "https" or not parts.hostname:
        return f"Address protocol {parts.scheme}:// is not supported" if parts.scheme else "Address is invalid"
    return None


class Mutations:
    def __init__(self, ctx: Context):
        self._ctx = ctx

    def webhookSubscriptionCreate(self, info=None, topic=None, webhookSubscription=None, **_args) -> dict:
        shop = self._ctx.shop
        spec = webhookSubscription or {}
        uri = spec.get("uri") or spec.get("callbackUrl")
        field = ["webhookSubscription", "uri" if spec.get("uri") else "callbackUrl"]
        problem = _address_error(uri) if uri else "Address can't be blank"
        topic_problem = _topic_problem(topic, self._ctx.scopes)
        if topic_problem:
            return {"webhookSubscription": None, "userErrors": [{"field": ["topic"], "message": topic_problem}]}
        if problem is None and any(s.topic == topic and s.uri == uri for s in shop.subscriptions.values()):
            problem = "Address for this topic has already been taken"
        if problem:
            return {"webhookSubscription": None, "userErrors": [{"field": field, "message": problem}]}
        subscription = Subscription(id=self._ctx.sandbox._new_id(1_400_000_000), topic=topic, uri=uri,
                                    created_at=now())
        shop.subscriptions[subscription.id] = subscription
        return {"webhookSubscription": SubscriptionView(subscription, self._ctx.api_version), "userErrors": []}

    def webhookSubscriptionDelete(self, info=None, id=None) -> dict:
        parsed = parse_gid(id or "")
        shop = self._ctx.shop
        if parsed is None or parsed[0] != "WebhookSubscription" or parsed[1] not in shop.subscriptions:
            return {"deletedWebhookSubscriptionId": None,
                    "userErrors": [{"field": ["id"], "message": "Webhook subscription does not exist"}]}
        del shop.subscriptions[parsed[1]]
        return {"deletedWebhookSubscriptionId": gid("WebhookSubscription", parsed[1]), "userErrors": []}

    def bulkOperationRunQuery(self, info=None, query=None, groupObjects=False) -> dict:
        operation, errors = self._ctx.sandbox.start_bulk_query(self._ctx, query)
        return {"bulkOperation": BulkOperationView(operation) if operation else None, "userErrors": errors}

    def bulkOperationCancel(self, info=None, id=None) -> dict:
        parsed = parse_gid(id or "")
        operation = self._ctx.sandbox.cancel_bulk(self._ctx.shop, parsed[1]) if parsed else None
        if operation is None:
            return {"bulkOperation": None, "userErrors": [{"field": ["id"], "message": "Bulk operation does not exist"}]}
        return {"bulkOperation": BulkOperationView(operation), "userErrors": []}
