"""Per-shop request rate for TikTok Shop, shared by every process through Redis.

TikTok throttles per app and shop (code 36009002); staying under the rate is
cheaper than being throttled and backing off.
"""
from __future__ import annotations

import time
from typing import Callable

from limits import RateLimitItemPerSecond
from limits.storage import MemoryStorage, RedisStorage, Storage
from limits.strategies import MovingWindowRateLimiter

DEFAULT_PER_SECOND = 10
_SHORTEST_WAIT = 0.005


class ShopRateLimiter:
    """Blocks until a request for `key` fits in the moving one-second window."""

    def __init__(self, storage: Storage, per_second: int = DEFAULT_PER_SECOND,
                 sleep: Callable[[float], None] = time.sleep, clock: Callable[[], float] = time.time):
        self._limiter = MovingWindowRateLimiter(storage)
        self._rate = RateLimitItemPerSecond(per_second, 1)
        self._sleep = sleep
        self._clock = clock

    def acquire(self, key: str) -> None:
        while not self._limiter.hit(self._rate, key):
            reset_at = self._limiter.get_window_stats(self._rate, key).reset_time
            self._sleep(max(reset_at - self._clock(), _SHORTEST_WAIT))


def build_rate_limiter(redis_url: str | None = None, per_second: int = DEFAULT_PER_SECOND,
                       key_prefix: str = "shopsync-tiktok-qps") -> ShopRateLimiter:
    """A limiter shared through Redis when `redis_url` is given, else private to this process."""
    storage = RedisStorage(redis_url, key_prefix=key_prefix) if redis_url else MemoryStorage()
    return ShopRateLimiter(storage, per_second)
