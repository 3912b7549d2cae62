"""Requests to the TikTok sandbox signed by the tests themselves (never ShopSync's client), and a check
of the webhooks it sends, written from tiktok.md §2 and §5."""
from __future__ import annotations

import hashlib
import hmac
import json
import time

import requests

from tests.support.tiktok import APP_KEY, APP_SECRET, RunningSandbox


def signature(path: str, params: dict, body: bytes) -> str:
    text = path
    for key in sorted(params):
        if key not in ("sign", "access_token") and params[key] != "":
            text += key + str(params[key])
    message = APP_SECRET.encode() + text.encode() + body + APP_SECRET.encode()
    return hmac.new(APP_SECRET.encode(), message, hashlib.sha256).hexdigest()


def call(running: RunningSandbox, token: str, method: str, path: str, body=None, query: dict | None = None,
         shop_index: int | None = 0) -> tuple[int, dict]:
    """One signed call; returns (HTTP status, envelope)."""
    raw = json.dumps(body, separators=(",", ":")).encode() if body is not None else b""
    params = {"app_key": APP_KEY, "timestamp": str(int(time.time())), **(query or {})}
    if shop_index is not None:
        params["shop_cipher"] = running.sandbox.shops[shop_index].cipher
    params["sign"] = signature(path, params, b"" if method == "GET" else raw)
    answer = requests.request(method, running.api_base_url + path, params=params, data=raw or None, timeout=10,
                              headers={"x-tts-access-token": token, "content-type": "application/json"})
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
