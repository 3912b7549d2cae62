"""Signed calls to the TikTok Shop Open API (202309+), with retries and a per-shop rate."""
from __future__ import annotations

import json
import re
import time
from dataclasses import dataclass, field
from typing import Any, Callable, Mapping

import requests

from shopsync.platforms.http import DEFAULT_TIMEOUT, PermanentError, TransientError, backoff_delay, new_session
from shopsync.platforms.tiktok.errors import error_for
from shopsync.platforms.tiktok.limiter import ShopRateLimiter, build_rate_limiter
from shopsync.platforms.tiktok.signing import sign

# Endpoints that are not scoped to one shop: TikTok rejects a shop_cipher on them.
_NO_SHOP_CIPHER = (
    re.compile(r"^/authorization/"),
    re.compile(r"^/seller/"),
    re.compile(r"^/product/[^/]+/(images|files)/upload$"),
    re.compile(r"^/product/[^/]+/global_products"),
    re.compile(r"^/product/[^/]+/compliance"),
)
_BRANDS = re.compile(r"^/product/[^/]+/brands$")


def takes_shop_cipher(method: str, path: str) -> bool:
    """Whether TikTok expects `shop_cipher` on this endpoint (path below the API host)."""
    if method.upper() == "POST" and _BRANDS.match(path):
        return False
    return not any(pattern.match(path) for pattern in _NO_SHOP_CIPHER)


def encode_body(body: Any) -> bytes:
    """JSON exactly as it is signed and sent: compact, UTF-8, serialized once."""
    return json.dumps(body, separators=(",", ":"), ensure_ascii=False).encode("utf-8")


@dataclass(frozen=True)
class TikTokResponse:
    data: dict
    request_id: str | None
    message: str = ""


@dataclass
class TikTokClient:
    api_base_url: str
    app_key: str
    app_secret: str = field(repr=False)
    access_token: str = field(repr=False)
    shop_cipher: str | None = None
    rate_limiter: ShopRateLimiter | None = field(default=None, repr=False)
    session: requests.Session | None = field(default=None, repr=False)
    clock: Callable[[], float] = field(default=time.time, repr=False)
    sleep: Callable[[float], None] = field(default=time.sleep, repr=False)
    shop_id: str | None = None
    max_attempts: int = 4
    backoff_base: float = 0.5
    timeout: float | tuple[float, float] = DEFAULT_TIMEOUT

    def __post_init__(self):
        self.api_base_url = self.api_base_url.rstrip("/")
        self.rate_limiter = self.rate_limiter or build_rate_limiter()
        self.session = self.session or new_session()

    @property
    def rate_key(self) -> str:
        return f"{self.app_key}:{self.shop_id or self.shop_cipher or '-'}"

    def get(self, path: str, query: Mapping[str, Any] | None = None) -> TikTokResponse:
        return self.request("GET", path, query=query)

    def post(self, path: str, body: Any = None, query: Mapping[str, Any] | None = None) -> TikTokResponse:
        return self.request("POST", path, query=query, body={} if body is None else body)

    def upload(self, path: str, content: bytes, fields: Mapping[str, str], filename: str = "file") -> TikTokResponse:
        """A multipart/form-data call (image and file uploads): `content` goes in the part `data`."""
        return self.request("POST", path, multipart=(dict(fields), {"data": (filename, content)}))

    def request(self, method: str, path: str, *, query: Mapping[str, Any] | None = None,
                body: Any = None, multipart: tuple[dict, dict] | None = None) -> TikTokResponse:
        """One business call; transient failures are retried, auth and permanent ones raised at once."""
        payload = None if body is None else encode_body(body)
        params = {k: _query_value(v) for k, v in (query or {}).items() if v is not None and v != ""}
        params["app_key"] = self.app_key
        if takes_shop_cipher(method, path):
            if not self.shop_cipher:
                raise ValueError(f"{path} needs a shop_cipher")
            params["shop_cipher"] = self.shop_cipher
        attempt = 0
        while True:
            try:
                return self._attempt(method, path, params, payload, multipart)
            except TransientError as error:
                if attempt + 1 >= self.max_attempts:
                    raise
                self.sleep(max(backoff_delay(attempt, base=self.backoff_base), error.retry_after or 0.0))
                attempt += 1

    def _attempt(self, method: str, path: str, params: dict, payload: bytes | None,
                 multipart: tuple[dict, dict] | None = None) -> TikTokResponse:
        self.rate_limiter.acquire(self.rate_key)
        signed = dict(params, timestamp=str(int(self.clock())))
        signed["sign"] = sign(path, signed, payload, self.app_secret)  # a multipart body is never signed
        headers = {"x-tts-access-token": self.access_token}
        if multipart is None:
            sent = {"data": payload}
            headers["content-type"] = "application/json"
        else:  # requests writes the multipart body and its boundary
            sent = {"data": multipart[0], "files": multipart[1]}
        try:
            response = self.session.request(method, self.api_base_url + path, params=signed, headers=headers,
                                            timeout=self.timeout, **sent)
        except requests.Timeout:
            raise TransientError(f"TikTok Shop {path} timed out") from None
        except requests.ConnectionError:
            raise TransientError(f"TikTok Shop {path} unreachable") from None
        return parse_envelope(response)


def parse_envelope(response: requests.Response) -> TikTokResponse:
    """The `data` of a successful answer, or the typed error for any other."""
    retry_after = _retry_after(response)
    try:
        envelope = response.json()
    except (ValueError, RecursionError):
        envelope = None
    if not isinstance(envelope, dict) or "code" not in envelope:
        raise error_for(None, response.reason or "unexpected answer", http_status=response.status_code,
                        retry_after=retry_after, request_id=response.headers.get("x-tt-logid"))
    code = envelope["code"]
    request_id = envelope.get("request_id")
    request_id = request_id if isinstance(request_id, str) else None
    message = str(envelope.get("message") or "")[:500]
    if isinstance(code, bool) or not isinstance(code, int):
        if response.status_code >= 400:
            raise error_for(None, message, http_status=response.status_code, retry_after=retry_after,
                            request_id=request_id)
        raise PermanentError("TikTok Shop answered with a code that is not a number", code="malformed_answer",
                             request_id=request_id)
    if code != 0 or response.status_code >= 400:
        raise error_for(code or None, message, request_id=request_id, http_status=response.status_code,
                        retry_after=retry_after)
    data = envelope.get("data")
    if data is not None and not isinstance(data, dict):
        raise PermanentError("TikTok Shop answered with data that is not an object", code="malformed_answer",
                             request_id=request_id)
    return TikTokResponse(data=data or {}, request_id=request_id, message=message)


def _retry_after(response: requests.Response) -> float | None:
    try:
        delay = float(response.headers["Retry-After"])
    except (KeyError, ValueError):
        return None
    return delay if 0 <= delay <= 3600 else None  # NaN, inf and an hour-plus wait are no advice


def _query_value(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)

