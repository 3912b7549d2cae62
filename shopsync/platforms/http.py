"""HTTP plumbing shared by the platform clients: sessions, timeouts, error types.

platforms/ knows nothing of Flask or the database. The sync engine acts on the
three error classes below: transient errors are retried with backoff, auth
errors trigger a token refresh (then re-authorization), permanent errors mark
the link as failed.
"""
from __future__ import annotations

import random
from collections.abc import Iterator
from contextlib import contextmanager

import requests

DEFAULT_TIMEOUT = (5.0, 30.0)  # connect, read (seconds)


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


# What reading an answer of the wrong shape raises: a missing key, a list for an object, "abc" for a number,
# a timestamp past year 9999, JSON nested beyond the parser's depth.
SHAPE_ERRORS = (KeyError, IndexError, TypeError, AttributeError, ValueError, ArithmeticError, RecursionError)


def new_session(user_agent: str = USER_AGENT, *, follow_redirects: bool = False) -> requests.Session:
    """A session for one platform; `follow_redirects` only for downloads that carry no credential header."""
    session = requests.Session()
    session.headers["User-Agent"] = user_agent
    return session if follow_redirects else refuse_redirects(session)


def refuse_redirects(session: requests.Session) -> requests.Session:
    """Make `session` raise PermanentError on any redirect instead of following it.

    requests re-sends custom headers (X-Shopify-Access-Token, x-tts-access-token) and a 307/308's body
    (an OAuth client secret) to wherever Location points; no platform endpoint ShopSync calls redirects.
    """
    session.hooks["response"].append(_no_redirect)
    return session


def _no_redirect(response: requests.Response, **kwargs) -> requests.Response:
    if response.is_redirect:
        response.close()
        raise PermanentError(f"{response.request.url.split('?')[0]} answered with a redirect "
                             f"(HTTP {response.status_code}); platform redirects are never followed",
                             code=response.status_code)
    return response


@contextmanager
def reading_answer(platform: str, error: type[PlatformError] | None = None) -> Iterator[None]:
    """Turn an answer of the wrong shape into a typed error (PermanentError unless `error` says otherwise),
    so callers that handle platform errors handle garbage too."""
    try:
        yield
    except PlatformError:
        raise
    except SHAPE_ERRORS as exc:
        raise (error or PermanentError)(f"{platform} answered in an unexpected shape ({type(exc).__name__})",
                                        code="malformed_answer") from None


def backoff_delay(attempt: int, base: float = 0.5, cap: float = 30.0) -> float:
    """Exponential backoff with full jitter (attempt counts from 0)."""
    return random.uniform(0, min(cap, base * (2 ** attempt)))
