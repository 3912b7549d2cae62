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


@dataclass(frozen=True)
class Notification:
    type: int
    notification_id: str
    shop_id: str
    timestamp: int | None
    data: dict

    @property
    def order_id(self) -> str | None:
        value = self.data.get("order_id")
        return str(value) if value not in (None, "") else None


def parse_notification(raw_body: bytes) -> Notification:
    """The envelope of a delivery; ValueError when it is not one. Ids come as numbers in some types: str() them."""
    body = json.loads(raw_body)
    if not isinstance(body, dict) or not body.get("tts_notification_id") or not body.get("shop_id"):
        raise ValueError("not a TikTok Shop notification")
    data = body.get("data")
    timestamp = body.get("timestamp")
    return Notification(type=int(body.get("type") or 0), notification_id=str(body["tts_notification_id"]),
                        shop_id=str(body["shop_id"]), timestamp=int(timestamp) if timestamp else None,
                        data=data if isinstance(data, dict) else {})
