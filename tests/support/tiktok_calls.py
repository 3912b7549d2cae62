"""Requests to the TikTok sandbox signed by the tests themselves (never ShopSync's client), and a check
of the webhooks it sends, written from tiktok.md §2 and §5."""
from __future__ import annotations

import hashlib
import hmac
import json
import time

import requests

from tests.support.tiktok import APP_KEY, APP_SECRET, RunningSandbox


def signature(path: str, params: list[tuple[str, str]], body: bytes, secret: str = APP_SECRET) -> str:
    """Pairs sorted by key (a repeated key keeps its values' order), empty values left out."""
    text = path
    for key, value in sorted(params, key=lambda pair: pair[0]):
        if key not in ("sign", "access_token") and value != "":
            text += key + str(value)
    message = secret.encode() + text.encode() + body + secret.encode()
    return hmac.new(secret.encode(), message, hashlib.sha256).hexdigest()


def call(running: RunningSandbox, token: str, method: str, path: str, body=None,
         query: dict | list[tuple[str, str]] | None = None, shop_index: int | None = 0,
         base_url: str | None = None, signed_path: str | None = None) -> tuple[int, dict]:
    """One signed call to `base_url + path` (default: the sandbox's API root); returns (HTTP status, envelope)."""
    raw = json.dumps(body, separators=(",", ":")).encode() if body is not None else b""
    pairs = [("app_key", APP_KEY), ("timestamp", str(int(time.time())))]
    pairs += list(query.items()) if isinstance(query, dict) else list(query or [])
    if shop_index is not None:
        pairs.append(("shop_cipher", running.sandbox.shops[shop_index].cipher))
    pairs.append(("sign", signature(signed_path or path, pairs, b"" if method == "GET" else raw)))
    answer = requests.request(method, (base_url or running.api_base_url) + path, params=pairs, data=raw or None,
                              timeout=10, headers={"x-tts-access-token": token, "content-type": "application/json"})
    return answer.status_code, answer.json()


def webhook_is_signed(delivery: dict) -> bool:
    expected = hmac.new(APP_SECRET.encode(), APP_KEY.encode() + delivery["body"], hashlib.sha256).hexdigest()
    return hmac.compare_digest(expected, delivery["headers"].get("Authorization", ""))



def eventually(condition, timeout: float = 10.0):
    """The first truthy value of `condition()` polled until `timeout` seconds have passed."""
    give_up = time.monotonic() + timeout
    while not (value := condition()):
        assert time.monotonic() < give_up, f"not true within {timeout} s"
        time.sleep(0.02)
    return value
