"""Which TikTok Shop answers are worth retrying, need a new token, or cannot succeed.

Codes from TikTok's common-errors and product error tables (see platforms/tiktok.md §4).
"""
from __future__ import annotations

from shopsync.platforms.http import AuthError, PermanentError, PlatformError, TransientError

RATE_LIMITED = 36009002
TRANSIENT_CODES = frozenset({RATE_LIMITED, 36009003, 36009007, 12052109})
AUTH_CODES = frozenset({
    101000,    # invalid x-tts-access-token
    105002,    # access token expired
    105005,    # token lacks the scope for this endpoint
    36004001,  # refresh token expired
    36004004,  # invalid auth code
    36004005,  # no related auth record
})
GATEWAY_REJECTED = 36009004  # token, app_key, timestamp, shop_cipher or param problems: read the message
_TOKEN_WORDS = ("access_token", "access token", "x-tts-access-token", "token")


def error_for(code: int | None, message: str, *, request_id: str | None = None,
              http_status: int | None = None, retry_after: float | None = None) -> PlatformError:
    """The typed error for a TikTok answer that did not succeed."""
    kind = _kind(code, message, http_status)
    text = f"TikTok Shop error {code}: {message}" if code is not None else f"TikTok Shop HTTP {http_status}: {message}"
    return kind(text, code=code, request_id=request_id, retry_after=retry_after)


def _kind(code: int | None, message: str, http_status: int | None) -> type[PlatformError]:
    if code in TRANSIENT_CODES or http_status == 429 or (http_status or 0) >= 500:
        return TransientError
    if code in AUTH_CODES or (code is not None and str(code).startswith("105")):
        return AuthError
    if code == GATEWAY_REJECTED and any(word in message.lower() for word in _TOKEN_WORDS):
        return AuthError
    return PermanentError
