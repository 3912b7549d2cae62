"""Guards for values that come back to us in URLs."""
from __future__ import annotations

from urllib.parse import urlsplit

from flask import request


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


def same_site_referrer() -> str | None:
    """The page a form was posted from, as a local path, if it is one of ours (Referer is the client's word)."""
    referrer = request.referrer
    if not referrer or not referrer.startswith(request.host_url):
        return None
    return safe_next_url("/" + referrer[len(request.host_url):])
