"""TikTok Shop Open API request signature (HMAC-SHA256 over path, sorted query and body)."""
from __future__ import annotations

import hashlib
import hmac
from typing import Mapping

# Never part of the signed string, even when present in the query.
_UNSIGNED_KEYS = frozenset({"sign", "access_token", "x-tts-access-token"})


def sign(path: str, params: Mapping[str, str], body: bytes | str | None, app_secret: str) -> str:
    """Lowercase hex signature for a request to `path` (below the API host) with these query params.

    `body` must be the exact bytes sent (None or empty for GET / no body).
    """
    kept = {k: str(v) for k, v in params.items() if k not in _UNSIGNED_KEYS and v is not None and str(v) != ""}
    # Byte order, as TikTok's ordinal sort does (differs from str order only for surrogates; encode to be exact).
    ordered = sorted(kept, key=lambda key: key.encode("utf-8"))
    message = path.encode("utf-8") + b"".join(k.encode("utf-8") + kept[k].encode("utf-8") for k in ordered)
    if body:
        message += body.encode("utf-8") if isinstance(body, str) else bytes(body)
    secret = app_secret.encode("utf-8")
    return hmac.new(secret, secret + message + secret, hashlib.sha256).hexdigest()
