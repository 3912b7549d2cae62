"""Guards for values that come back to us in URLs."""
from __future__ import annotations

from urllib.parse import urlsplit


def safe_next_url(value: str | None) -> str | None:
    """A local path to return to after login, or None: never another origin (open redirect)."""
    if not value:
        return None
    value = value.strip()
    if "\\" in value or any(ord(ch) < 32 for ch in value):
        return None
    parts = urlsplit(value)
    if parts.scheme or parts.netloc or not value.startswith("/") or value.startswith("//"):
        return None
    return value
