"""The TikTok gateway's own reading of tiktok.md §2 and §5: the `sign` it expects, which paths refuse a
shop_cipher, and the `Authorization` header of the webhooks it sends.

Written apart from ShopSync's client on purpose: the sandbox judges the client's requests, so it must
not share the client's mistakes.
"""
from __future__ import annotations

import hashlib
import hmac
import re
from typing import Iterable, Mapping

_NOT_SIGNED = ("sign", "access_token")
_SHOPLESS = re.compile(r"/(authorization|seller)/|/product/[^/]+/(images/upload|files/upload|global_products"
                       r"|compliance)")
_BRANDS = re.compile(r"/product/[^/]+/brands")


def expected_sign(app_secret: str, path: str, query: Mapping[str, str] | Iterable[tuple[str, str]],
                  body: bytes | None, keep_empty: bool = False) -> str:
    """Hex HMAC-SHA256 keyed with the secret over secret + path + key/value pairs sorted by key + body + secret.

    `query` may repeat a key (`ids=1&ids=2`): its values keep the order they came in."""
    items = query.items() if isinstance(query, Mapping) else query
    pairs = sorted(((key.encode("utf-8"), str(value).encode("utf-8")) for key, value in items
                    if key not in _NOT_SIGNED and (keep_empty or str(value) != "")), key=lambda pair: pair[0])
    signed = path.encode("utf-8") + b"".join(key + value for key, value in pairs) + (body or b"")
    secret = app_secret.encode("utf-8")
    return hmac.new(secret, secret + signed + secret, hashlib.sha256).hexdigest()


def accepted_signs(app_secret: str, paths: Iterable[str], query: Iterable[tuple[str, str]],
                   body: bytes | None) -> set[str]:
    """The signatures the gateway takes for a call. Clients differ where tiktok.md leaves it open: an
    empty parameter signed or left out, and the path below the API host or the whole path a client
    reached (a sandbox mounted below a prefix); the real host has no prefix, so both paths agree there."""
    pairs = list(query)
    return {expected_sign(app_secret, path, pairs, body, keep_empty) for path in paths for keep_empty in (False, True)}


def wants_shop_cipher(method: str, path: str) -> bool:
    """Shop-scoped endpoints need a shop_cipher; the seller-level ones refuse one."""
    if method.upper() == "POST" and _BRANDS.fullmatch(path):
        return False
    return _SHOPLESS.match(path) is None


def webhook_authorization(app_key: str, app_secret: str, body: bytes) -> str:
    """What TikTok puts in a webhook's Authorization header: hex HMAC-SHA256(app_secret, app_key + body)."""
    return hmac.new(app_secret.encode("utf-8"), app_key.encode("utf-8") + body, hashlib.sha256).hexdigest()
