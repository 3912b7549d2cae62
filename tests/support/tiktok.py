"""The TikTok sandbox on a real werkzeug server thread, and clients pointed at it."""
from __future__ import annotations

import os
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Iterator

import pytest
import redis
from flask import Flask

from shopsync.platforms.http import new_session
from shopsync.platforms.tiktok.client import TikTokClient
from shopsync.platforms.tiktok.limiter import ShopRateLimiter, build_rate_limiter
from shopsync.sandbox.tiktok import TikTokSandbox, create_blueprint
from tests.support.servers import LiveServer

APP_KEY = "test-tiktok-key"
APP_SECRET = "test-tiktok-secret"
SERVICE_ID = "7000000000000000042"
REDIRECT_URI = "http://127.0.0.1:9/tiktok/callback"
REDIS_URL = "redis://127.0.0.1:6379/15"
# One prefix per xdist worker: each test run flushes only the keys it wrote.
LIMITER_PREFIX = f"shopsync-test-tiktok-qps-{os.environ.get('PYTEST_XDIST_WORKER', 'main')}"


@dataclass
class RunningSandbox:
    sandbox: TikTokSandbox
    base_url: str  # where the blueprint is mounted: <server>/tiktok

    @property
    def api_base_url(self) -> str:
        return self.base_url + "/api"

    @property
    def auth_base_url(self) -> str:
        return self.base_url + "/auth"

    @property
    def authorize_url(self) -> str:
        return self.base_url + "/open/authorize"


@contextmanager
def running_sandbox(**settings) -> Iterator[RunningSandbox]:
    sandbox = TikTokSandbox({"tiktok_app_key": APP_KEY, "tiktok_app_secret": APP_SECRET,
                             "tiktok_service_id": SERVICE_ID, "tiktok_redirect_uri": REDIRECT_URI, **settings})
    app = Flask("tiktok-sandbox-test")
    app.register_blueprint(create_blueprint(sandbox), url_prefix="/tiktok")
    server = LiveServer().start(app)
    try:
        yield RunningSandbox(sandbox, f"{server.url}/tiktok")
    finally:
        server.stop()


def redis_limiter(per_second: int = 10) -> ShopRateLimiter:
    """A limiter on the test Redis database; clear_limiter_keys() removes what it wrote."""
    return build_rate_limiter(REDIS_URL, per_second=per_second, key_prefix=LIMITER_PREFIX)


def clear_limiter_keys() -> None:
    connection = redis.Redis.from_url(REDIS_URL)
    for key in connection.scan_iter(f"{LIMITER_PREFIX}*"):
        connection.delete(key)


def client_for(running: RunningSandbox, access_token: str, shop_index: int | None = 0, **options) -> TikTokClient:
    shop = running.sandbox.shops[shop_index] if shop_index is not None else None
    options.setdefault("rate_limiter", build_rate_limiter(per_second=50))
    options.setdefault("backoff_base", 0.01)
    return TikTokClient(api_base_url=running.api_base_url, app_key=APP_KEY, app_secret=APP_SECRET,
                        access_token=access_token, shop_cipher=shop.cipher if shop else None,
                        shop_id=shop.id if shop else None, session=new_session(), **options)


def access_token_for(running: RunningSandbox) -> str:
    """Tokens as if the seller had approved: straight from the sandbox, no HTTP round trip."""
    return running.sandbox.issue_tokens(running.sandbox.seller.open_id)["access_token"]


@pytest.fixture
def running(server):
    """The test module's `server` fixture (a running_sandbox), back to the demo state for each test."""
    server.sandbox.reset()
    return server


@pytest.fixture
def token(running):
    return access_token_for(running)
