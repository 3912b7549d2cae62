"""Authenticity of TikTok Shop webhook deliveries."""
from __future__ import annotations

import hashlib
import hmac
import json
from dataclasses import dataclass


def webhook_signature(raw_body: bytes, app_key: str, app_secret: str) -> str:
    """What TikTok puts in the `Authorization` header: hex HMAC-SHA256(app_secret, app_key + body)."""
    return hmac.new(app_secret.encode("utf-8"), app_key.encode("utf-8") + raw_body, hashlib.sha256).hexdigest()


def verify_webhook_signature(raw_body: bytes, header_value: str, app_key: str, app_secret: str) -> bool:
    """True when the header matches the raw body bytes exactly as received."""
    if not header_value:
        return False
    expected = webhook_signature(raw_body, app_key, app_secret)
    return hmac.compare_digest(expected.encode("ascii"), header_value.strip().lower().encode("utf-8", "replace"))


# Notification types ShopSync acts on (tiktok-orders-listings.md §B2).
ORDER_STATUS_CHANGE = 1
RECIPIENT_ADDRESS_UPDATE = 3
CANCELLATION_STATUS_CHANGE = 11
RETURN_STATUS_CHANGE = 12
ORDER_TYPES = frozenset({ORDER_STATUS_CHANGE, RECIPIENT_ADDRESS_UPDATE, CANCELLATION_STATUS_CHANGE,
                         RETURN_STATUS_CHANGE})
PRODUCT_STATUS_CHANGE = 5
PRODUCT_AUDIT_STATUS_CHANGE = 37
PRODUCT_TYPES = frozenset({PRODUCT_STATUS_CHANGE, PRODUCT_AUDIT_STATUS_CHANGE})


@dataclass(frozen=True)
class Notification:
    type: int
    notification_id: str
    shop_id: str
    timestamp: int | None
    data: dict

    @property
    def order_id(self) -> str | None:
        """TikTok's order id (digits, sometimes sent as a number), or None when there is no such id."""
        return _digits(self.data.get("order_id"))

    @property
    def product_id(self) -> str | None:
        """TikTok's product id of a product event, or None when there is no such id."""
        return _digits(self.data.get("product_id"))


def _digits(value) -> str | None:
    text = str(value) if isinstance(value, (str, int)) and not isinstance(value, bool) else ""
    return text if text.isascii() and text.isdigit() and len(text) <= 64 else None


def parse_notification(raw_body: bytes) -> Notification:
    """The envelope of a delivery; ValueError when it is not one. Ids come as numbers in some types: str() them."""
    body = json.loads(raw_body)
    if not isinstance(body, dict):
        raise ValueError("not a TikTok Shop notification")
    notification_id, shop_id = _id(body.get("tts_notification_id")), _id(body.get("shop_id"))
    data, timestamp, kind = body.get("data"), body.get("timestamp"), body.get("type") or 0
    if (not isinstance(kind, int) or isinstance(kind, bool) or not 0 <= kind < 1000
            or not (timestamp is None or (isinstance(timestamp, int) and 0 <= timestamp < 2**32))):
        raise ValueError("not a TikTok Shop notification")
    return Notification(type=kind, notification_id=notification_id, shop_id=shop_id, timestamp=timestamp or None,
                        data=data if isinstance(data, dict) else {})


def _id(value) -> str:
    """An id as TikTok sends it (a string or a number): 1-64 printable characters."""
    text = str(value) if isinstance(value, (str, int)) and not isinstance(value, bool) else ""
    if not 0 < len(text) <= 64 or not text.isprintable():
        raise ValueError("not a TikTok Shop notification")
    return text
