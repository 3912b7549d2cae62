"""A TikTok shop's webhook subscriptions: its order and product events delivered to ShopSync's address.

Set when a shop connects and again on reconnect (a job after connect_shops); PUT
replaces the address per event type, so running it twice leaves one subscription each.
"""
from __future__ import annotations

from flask import current_app

from ...models import Integration
from ...platforms.tiktok import events
from .tiktok_access import call_with_refresh

WEBHOOK_PATH = "/webhooks/tiktok"


def webhook_address() -> str:
    return current_app.config["PUBLIC_URL"] + WEBHOOK_PATH


def subscribe_shop_events(integration: Integration) -> list[str]:
    """Point every order and product event of the shop at ShopSync; returns the event types (re)subscribed."""
    address = webhook_address()

    def subscribe(client) -> list[str]:
        current = events.subscriptions(client)
        changed = [event for event in events.SUBSCRIBED_EVENTS if current.get(event) != address]
        for event in changed:
            events.subscribe(client, event, address)
        return changed
    return call_with_refresh(integration, subscribe)
