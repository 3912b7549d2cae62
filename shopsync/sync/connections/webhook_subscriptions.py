"""The store's webhook subscriptions: exactly one per topic ShopSync needs, at ShopSync's address.

Subscribing twice to one topic and address is an error at Shopify, so the
current list is read first; subscriptions for our topics that point elsewhere
(an old address) are replaced. The GDPR compliance topics are set in the app's
configuration, not here.
"""
from __future__ import annotations

from dataclasses import dataclass, field

from flask import current_app

from ...platforms.shopify import queries
from ...platforms.shopify.admin import AdminClient
from ...platforms.shopify.webhooks import ORDER_WEBHOOK_TOPICS, WEBHOOK_TOPICS

WEBHOOK_PATH = "/webhooks/shopify"


def webhook_address() -> str:
    return current_app.config["PUBLIC_URL"] + WEBHOOK_PATH


@dataclass
class SubscriptionChanges:
    kept: list[str] = field(default_factory=list)
    created: list[str] = field(default_factory=list)
    removed: list[str] = field(default_factory=list)


def store_topics(with_orders: bool) -> list[str]:
    """The topics a store is subscribed to: order topics only once it granted the order permissions."""
    return list(WEBHOOK_TOPICS) + (list(ORDER_WEBHOOK_TOPICS) if with_orders else [])


def sync_webhook_subscriptions(client: AdminClient, address: str,
                               topics: list[str] | None = None) -> SubscriptionChanges:
    topics = list(WEBHOOK_TOPICS) if topics is None else topics
    changes = SubscriptionChanges()
    existing = list(client.paginate(queries.WEBHOOK_SUBSCRIPTIONS, {"first": 50}, "webhookSubscriptions"))
    for subscription in existing:
        topic = subscription["topic"]
        if topic not in WEBHOOK_TOPICS and topic not in ORDER_WEBHOOK_TOPICS:
            continue
        if topic in topics and subscription.get("uri") == address and topic not in changes.kept:
            changes.kept.append(topic)
        else:
            client.execute(queries.WEBHOOK_SUBSCRIPTION_DELETE, {"id": subscription["id"]})
            changes.removed.append(topic)
    for topic in topics:
        if topic not in changes.kept:
            client.execute(queries.WEBHOOK_SUBSCRIPTION_CREATE, {
                "topic": topic, "webhookSubscription": {"uri": address, "format": "JSON"}})
            changes.created.append(topic)
    return changes
