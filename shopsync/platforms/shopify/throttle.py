"""A client-side mirror of Shopify's per-shop GraphQL cost bucket.

Shopify's bucket (per app and shop) holds up to `maximumAvailable` points and
refills at `restoreRate` points per second; each request first reserves its
requested cost. Every response reports the bucket as Shopify sees it
(`throttleStatus`), so the mirror is re-synced from each answer and is only
trusted for the short time between answers. Reserving from the mirror before
sending keeps all ShopSync workers of one shop, together, under the real limit
instead of discovering it through THROTTLED answers.

Before the first answer nothing is known (limits differ by plan and Shopify may
lower them), so requests go through unthrottled until Shopify tells us.
"""
from __future__ import annotations

import threading
import time
from dataclasses import dataclass
from typing import Protocol

_MIN_RESTORE_RATE = 1.0  # guards against a zero rate turning into an endless wait


@dataclass(frozen=True)
class ThrottleStatus:
    maximum_available: float
    currently_available: float
    restore_rate: float

    @classmethod
    def from_cost(cls, cost: dict) -> "ThrottleStatus | None":
        status = (cost or {}).get("throttleStatus")
        if not status:
            return None
        maximum, available, rate = (float(status[key]) for key in (
            "maximumAvailable", "currentlyAvailable", "restoreRate"))
        if not (0 < maximum < 1e9 and 0 <= available <= maximum and 0 <= rate < 1e9):
            return None  # numbers no bucket has (NaN, negative, 1e400): not worth pacing by
        return cls(maximum, available, max(rate, _MIN_RESTORE_RATE))


class CostBucket(Protocol):
    def reserve(self, cost: float) -> float:
        """Take `cost` points and return 0, or take nothing and return seconds to wait."""

    def observe(self, status: ThrottleStatus, refund: float = 0.0) -> None:
        """Re-sync from Shopify's answer; `refund` = points reserved but not charged."""


class InMemoryCostBucket:
    """For a single process (CLI runs, the embedded default, tests)."""

    def __init__(self, clock=time.monotonic):
        self._clock = clock
        self._lock = threading.Lock()
        self._state: tuple[float, float, float, float] | None = None  # max, level, rate, at

    def _level(self, now: float) -> float:
        maximum, level, rate, at = self._state
        return min(maximum, level + max(0.0, now - at) * rate)

    def reserve(self, cost: float) -> float:
        with self._lock:
            if self._state is None:
                return 0.0
            now = self._clock()
            maximum, _, rate, _ = self._state
            level = self._level(now)
            cost = min(cost, maximum)
            if level >= cost:
                self._state = (maximum, level - cost, rate, now)
                return 0.0
            self._state = (maximum, level, rate, now)
            return (cost - level) / rate

    def observe(self, status: ThrottleStatus, refund: float = 0.0) -> None:
        with self._lock:
            now = self._clock()
            level = status.currently_available
            if self._state is not None:
                # Shopify has not yet seen requests still in flight, so its number
                # can be too high; ours misses nothing we sent, but can be too high
                # if something else spent points: trust the lower of the two.
                level = min(self._level(now) + refund, level)
            self._state = (status.maximum_available, level, status.restore_rate, now)

    def available(self) -> float | None:
        with self._lock:
            return None if self._state is None else self._level(self._clock())


# The same maths as InMemoryCostBucket, run inside Redis so that reading the
# level and taking points is one atomic step for every worker of the shop.
# Time comes from the Redis server so all workers share one clock. Numbers are
# returned as strings because Redis truncates Lua numbers to integers.
_LEVEL_LUA = """
local function now()
  local t = redis.call('TIME')
  return tonumber(t[1]) + tonumber(t[2]) / 1000000
end
local function level(s, at_now)
  local maximum, avail, rate, at = tonumber(s[1]), tonumber(s[2]), tonumber(s[3]), tonumber(s[4])
  return math.min(maximum, avail + math.max(0, at_now - at) * rate)
end
local function num(x) return string.format('%.6f', x) end
"""

_RESERVE_LUA = _LEVEL_LUA + """
-- KEYS[1] bucket hash, ARGV[1] cost
local s = redis.call('HMGET', KEYS[1], 'max', 'avail', 'rate', 'at')
if not s[1] then return '0' end
local t = now()
local lvl = level(s, t)
local cost = math.min(tonumber(ARGV[1]), tonumber(s[1]))
if lvl >= cost then
  redis.call('HSET', KEYS[1], 'avail', num(lvl - cost), 'at', num(t))
  return '0'
end
redis.call('HSET', KEYS[1], 'avail', num(lvl), 'at', num(t))
return num((cost - lvl) / tonumber(s[3]))
"""

_OBSERVE_LUA = _LEVEL_LUA + """
-- KEYS[1] bucket hash, ARGV: maximumAvailable, currentlyAvailable, restoreRate, refund
local maximum, avail, rate = tonumber(ARGV[1]), tonumber(ARGV[2]), tonumber(ARGV[3])
local s = redis.call('HMGET', KEYS[1], 'max', 'avail', 'rate', 'at')
local t = now()
if s[1] then avail = math.min(level(s, t) + tonumber(ARGV[4]), avail) end
redis.call('HSET', KEYS[1], 'max', num(maximum), 'avail', num(avail), 'rate', num(rate), 'at', num(t))
-- An idle bucket is full again after maximum/rate seconds; forget it then.
redis.call('EXPIRE', KEYS[1], math.ceil(maximum / rate) + 60)
return num(avail)
"""


class RedisCostBucket:
    """Shared by every worker process that calls the Admin API for one shop."""

    def __init__(self, redis_client, shop: str, key_prefix: str = "shopsync:shopify:cost:"):
        self.key = f"{key_prefix}{shop}"
        self._reserve = redis_client.register_script(_RESERVE_LUA)
        self._observe = redis_client.register_script(_OBSERVE_LUA)
        self._redis = redis_client

    def reserve(self, cost: float) -> float:
        return float(self._reserve(keys=[self.key], args=[cost]))

    def observe(self, status: ThrottleStatus, refund: float = 0.0) -> None:
        self._observe(keys=[self.key], args=[status.maximum_available,
                                             status.currently_available,
                                             status.restore_rate, refund])

    def available(self) -> float | None:
        # Read-only peek for progress displays and tests; not used to decide.
        state = self._redis.hmget(self.key, "max", "avail", "rate", "at")
        if state[0] is None:
            return None
        maximum, avail, rate, at = (float(x) for x in state)
        seconds, micros = self._redis.time()
        return min(maximum, avail + max(0.0, seconds + micros / 1e6 - at) * rate)
