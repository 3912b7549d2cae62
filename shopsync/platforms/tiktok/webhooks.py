"""Authenticity of TikTok Shop webhook deliveries."""
from __future__ import annotations

import hashlib
import hmac


def webhook_signature(raw_body: bytes, app_key: str, app_secret: str) -> str:
    """What TikTok puts in the `Authorization` header: hex HMAC-SHA256(app_secret, app_key + body)."""
    return hmac.new(app_secret.encode("utf-8"), app_key.encode("utf-8") + raw_body, hashlib.sha256).hexdigest()


def verify_webhook_signature(raw_body: bytes, header_value: str, app_key: str, app_secret: str) -> bool:
    """True when the header matches the raw body bytes exactly as received."""
    if not header_value:
        return False
    expected = webhook_signature(raw_body, app_key, app_secret)
    return hmac.compare_digest(expected.encode("ascii"), header_value.strip().lower().encode("utf-8", "replace"))
