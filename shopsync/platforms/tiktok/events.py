"""A shop's webhook subscriptions through TikTok's event API (tiktok-orders-listings.md §B3)."""
from __future__ import annotations

from shopsync.platforms.tiktok.client import TikTokClient

PATH = "/event/202309/webhooks"
# What ShopSync follows orders by: status changes, cancellation requests, returns.
ORDER_EVENTS = ("ORDER_STATUS_CHANGE", "CANCELLATION_STATUS_CHANGE", "RETURN_STATUS_CHANGE")
# What ShopSync follows published listings by: their status and audit outcome.
PRODUCT_EVENTS = ("PRODUCT_STATUS_CHANGE", "PRODUCT_AUDIT_STATUS_CHANGE")
SUBSCRIBED_EVENTS = ORDER_EVENTS + PRODUCT_EVENTS


def subscriptions(client: TikTokClient) -> dict[str, str]:
    """event_type -> the address it is delivered to."""
    answer = client.get(PATH)
    return {str(w.get("event_type")): str(w.get("address") or "") for w in answer.data.get("webhooks") or ()}


def subscribe(client: TikTokClient, event_type: str, address: str) -> None:
    """Create or replace the shop's address for one event type."""
    client.request("PUT", PATH, body={"event_type": event_type, "address": address})
