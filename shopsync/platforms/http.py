"""HTTP plumbing shared by the platform clients: sessions, timeouts, error types.

platforms/ knows nothing of Flask or the database. The sync engine acts on the
three error classes below: transient errors are retried with backoff, auth
errors trigger a token refresh (then re-authorization), permanent errors mark
the link as failed.
"""
from __future__ import annotations

import random

import requests

CONNECT_TIMEOUT = 5.0
DEFAULT_TIMEOUT = (CONNECT_TIMEOUT, 30.0)  # connect, read (seconds)


class PlatformError(Exception):
    """An answer from Shopify or TikTok Shop that the caller must act on."""

    error_class = "permanent"

    def __init__(self, message: str, *, code: str | int | None = None,
                 request_id: str | None = None, retry_after: float | None = None):
        super().__init__(message)
        self.message = message
        self.code = code
        self.request_id = request_id
        self.retry_after = retry_after


class TransientError(PlatformError):
    """Worth retrying later: rate limits, timeouts, 5xx, server busy."""

    error_class = "transient"


class AuthError(PlatformError):
    """The token is expired, revoked or lacks a scope: refresh or re-authorize."""

    error_class = "auth"


class PermanentError(PlatformError):
    """Retrying the same request cannot succeed: bad SKU, product under review."""

    error_class = "permanent"


USER_AGENT = "ShopSync/0.1"


def new_session(user_agent: str = USER_AGENT) -> requests.Session:
    session = requests.Session()
    session.headers["User-Agent"] = user_agent
    return session


def backoff_delay(attempt: int, base: float = 0.5, cap: float = 30.0) -> float:
    """Exponential backoff with full jitter (attempt counts from 0)."""
    return random.uniform(0, min(cap, base * (2 ** attempt)))
