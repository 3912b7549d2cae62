import time

import pytest
import redis

from shopsync.platforms.tiktok import products
from tests.support.tiktok import (LIMITER_PREFIX, REDIS_URL, access_token_for, clear_limiter_keys, client_for,
                                  redis_limiter, running_sandbox)


@pytest.fixture
def clean_redis():
    clear_limiter_keys()
    yield
    clear_limiter_keys()


def test_limiters_in_different_processes_share_one_window_through_redis(clean_redis):
    first, second = redis_limiter(per_second=5), redis_limiter(per_second=5)  # as two workers would
    started = time.monotonic()
    for n in range(12):
        (first if n % 2 else second).acquire("app:shop-1")
    elapsed = time.monotonic() - started
    assert elapsed >= 2.0  # 12 hits at 5/s need the third window
    assert any(k.decode().startswith(LIMITER_PREFIX) for k in redis.Redis.from_url(REDIS_URL).scan_iter())


def test_shops_have_separate_windows(clean_redis):
    limiter = redis_limiter(per_second=5)
    started = time.monotonic()
    for shop in range(4):
        for _ in range(5):
            limiter.acquire(f"app:shop-{shop}")
    assert time.monotonic() - started < 0.9


def test_client_stays_under_the_shop_qps(clean_redis):
    with running_sandbox(tiktok_qps=6) as running:
        client = client_for(running, access_token_for(running), rate_limiter=redis_limiter(per_second=5))
        for _ in range(8):
            products.warehouses(client)
        codes = [c.code for c in running.sandbox.calls()]
    assert codes == [0] * 8
