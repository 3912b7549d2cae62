"""TikTok's event side: per-shop webhook subscriptions and the signed notifications sent to them (notes B)."""
from __future__ import annotations

from dataclasses import dataclass
from urllib.parse import urlsplit

from shopsync.sandbox.outbox import Delivery, DeliveryControls, Outbox
from shopsync.sandbox.tiktok.catalog import IdSequence
from shopsync.sandbox.tiktok.signature import webhook_authorization

# Event-API names and the `type` number their notifications carry (None: subscribable, never sent here).
EVENT_TYPES: dict[str, int | None] = {
    "ORDER_STATUS_CHANGE": 1, "REVERSE_STATUS_UPDATE": 2, "RECIPIENT_ADDRESS_UPDATE": 3, "PACKAGE_UPDATE": 4,
    "PRODUCT_STATUS_CHANGE": 5, "SELLER_DEAUTHORIZATION": 6, "UPCOMING_AUTHORIZATION_EXPIRATION": 7,
    "CANCELLATION_STATUS_CHANGE": 11, "RETURN_STATUS_CHANGE": 12, "PRODUCT_INFORMATION_CHANGE": 15,
    "PRODUCT_CREATION": 16, "PRODUCT_CATEGORY_CHANGE": 18, "PRODUCT_AUDIT_STATUS_CHANGE": 37,
    "NEW_CONVERSATION": None, "NEW_MESSAGE": None, "NEW_MESSAGE_LISTENER": None, "INVOICE_STATUS_CHANGE": None,
}
MAX_ADDRESS = 255
_LOOPBACK = {"127.0.0.1", "localhost", "::1"}


@dataclass
class Subscription:
    event_type: str
    address: str
    create_time: int
    update_time: int

    def as_json(self) -> dict:
        return {"event_type": self.event_type, "address": self.address, "create_time": self.create_time,
                "update_time": self.update_time}


def address_problem(address: str) -> str | None:
    """Why TikTok would not deliver to this address: https, a domain name, no port (loopback http is let
    through so tests and the embedded default can receive)."""
    if not address or len(address) > MAX_ADDRESS:
        return f"address is required and at most {MAX_ADDRESS} characters"
    parts = urlsplit(address)
    if parts.scheme == "http" and parts.hostname in _LOOPBACK:
        return None
    if parts.scheme != "https" or not parts.hostname:
        return "address must be an https URL"
    if parts.port is not None or parts.hostname.replace(".", "").isdigit():
        return "address must use a domain name and no port"
    return None


class Events:
    """Subscriptions by shop and event type, and the outbox that delivers their notifications."""

    def __init__(self, app_key: str, app_secret: str, retry_delays: tuple[float, ...], seed: int = 0):
        self.outbox = Outbox(lambda d: _headers(app_key, app_secret, d), retry_delays=retry_delays, seed=seed,
                             timeout=3.0, name="tiktok-sandbox-webhooks")
        # never restarted: a notification id names one notification for good, as the dedupe key it is
        self._ids = IdSequence(7_327_112_393_057_371_001)
        self.reset()

    def reset(self) -> None:
        self.subscriptions: dict[str, dict[str, Subscription]] = {}
        self.outbox.discard_pending()
        self.outbox.set_controls(**DeliveryControls().__dict__)

    def of(self, shop_id: str) -> list[Subscription]:
        return list(self.subscriptions.get(shop_id, {}).values())

    def subscribe(self, shop_id: str, event_type: str, address: str, now: int) -> Subscription:
        shop = self.subscriptions.setdefault(shop_id, {})
        existing = shop.get(event_type)
        created = existing.create_time if existing else now
        shop[event_type] = Subscription(event_type, address, created, now)
        return shop[event_type]

    def unsubscribe(self, shop_id: str, event_type: str) -> None:
        self.subscriptions.get(shop_id, {}).pop(event_type, None)

    def notify(self, shop_id: str, event_type: str, data: dict, now: int) -> str | None:
        """Send one notification to the shop's address for this event; returns its id (None: not subscribed)."""
        subscription = self.subscriptions.get(shop_id, {}).get(event_type)
        if subscription is None:
            return None
        notification_id = next(self._ids)
        envelope = {"type": EVENT_TYPES[event_type], "tts_notification_id": notification_id, "shop_id": shop_id,
                    "timestamp": now, "data": data}
        self.outbox.publish(shop_id, event_type, envelope, [subscription.address], event_id=notification_id)
        return notification_id


def _headers(app_key: str, app_secret: str, delivery: Delivery) -> dict:
    return {"Content-Type": "application/json", "User-Agent": "TikTokShop-Webhook",
            "Authorization": webhook_authorization(app_key, app_secret, delivery.body)}
