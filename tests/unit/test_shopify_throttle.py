"""The cost-bucket mirror: the maths alone, then shared through Redis by several processes."""
from __future__ import annotations

import multiprocessing
import time
import uuid

import pytest
import redis

from shopsync.platforms.shopify.throttle import (
    InMemoryCostBucket,
    RedisCostBucket,
    ThrottleStatus,
)

REDIS_URL = "redis://127.0.0.1:6379/15"
PREFIX = "test:shopsync:shopify-throttle:"


class Clock:
    def __init__(self):
        self.now = 1000.0

    def __call__(self):
        return self.now


def status(available, maximum=2000.0, rate=100.0):
    return ThrottleStatus(maximum, available, rate)


def test_unknown_bucket_lets_requests_through():
    assert InMemoryCostBucket().reserve(500) == 0


def test_reserve_and_wait_maths():
    clock = Clock()
    bucket = InMemoryCostBucket(clock)
    bucket.observe(status(300))
    assert bucket.reserve(200) == 0
    assert bucket.available() == 100
    assert bucket.reserve(250) == pytest.approx(1.5)  # (250 - 100) / 100 per second
    assert bucket.available() == 100  # nothing taken while waiting
    clock.now += 1.5
    assert bucket.reserve(250) == 0
    clock.now += 1000
    assert bucket.available() == 2000  # capped at maximumAvailable


def test_observe_trusts_the_lower_of_mirror_and_shopify():
    clock = Clock()
    bucket = InMemoryCostBucket(clock)
    bucket.observe(status(1000))
    bucket.reserve(400)  # in flight, not yet seen by Shopify
    bucket.observe(status(1000))
    assert bucket.available() == 600
    bucket.observe(status(100))  # something else spent points
    assert bucket.available() == 100
    bucket.observe(status(2000), refund=50)  # a reserved request cost less than requested
    assert bucket.available() == 150


def test_cost_above_bucket_size_waits_for_a_full_bucket_not_forever():
    clock = Clock()
    bucket = InMemoryCostBucket(clock)
    bucket.observe(status(0, maximum=100, rate=10))
    assert bucket.reserve(1000) == pytest.approx(10)
    clock.now += 10
    assert bucket.reserve(1000) == 0


@pytest.fixture
def redis_client():
    client = redis.Redis.from_url(REDIS_URL)
    try:
        client.ping()
    except redis.ConnectionError:
        pytest.fail("Redis must be running on 127.0.0.1:6379")
    yield client
    for key in client.scan_iter(PREFIX + "*"):
        client.delete(key)


def test_redis_bucket_matches_the_in_memory_maths(redis_client):
    bucket = RedisCostBucket(redis_client, f"{uuid.uuid4().hex}.myshopify.com", key_prefix=PREFIX)
    assert bucket.reserve(100) == 0 and bucket.available() is None
    bucket.observe(status(300, rate=50))
    assert bucket.reserve(200) == 0
    wait = bucket.reserve(250)
    assert 2.9 < wait <= 3.0  # (250 - ~100) / 50, minus refill since
    assert 0 < redis_client.ttl(bucket.key) <= 40 + 60
    bucket.observe(status(20, rate=50), refund=0)
    assert bucket.available() < 25


def _hammer(shop, until, cost, results):
    client = redis.Redis.from_url(REDIS_URL)
    bucket = RedisCostBucket(client, shop, key_prefix=PREFIX)
    taken = []
    while time.time() < until:
        wait = bucket.reserve(cost)
        if wait == 0:
            seconds, micros = client.time()
            taken.append(seconds + micros / 1e6)
        else:
            time.sleep(min(wait, 0.05))
    results.put(taken)


def test_processes_sharing_the_redis_bucket_never_exceed_it(redis_client):
    shop = f"{uuid.uuid4().hex}.myshopify.com"
    maximum, rate, cost = 100.0, 50.0, 10
    RedisCostBucket(redis_client, shop, key_prefix=PREFIX).observe(status(maximum, maximum, rate))
    seconds, micros = redis_client.time()
    start = seconds + micros / 1e6
    context = multiprocessing.get_context("fork")
    results = context.Queue()
    until = time.time() + 1.5
    workers = [context.Process(target=_hammer, args=(shop, until, cost, results)) for _ in range(4)]
    for worker in workers:
        worker.start()
    taken = sorted(t for _ in workers for t in results.get(timeout=10))
    for worker in workers:
        worker.join(timeout=10)
    # At every moment, points spent since the start <= the full bucket + what it refilled.
    for count, at in enumerate(taken, start=1):
        assert count * cost <= maximum + (at - start) * rate + 1e-6
    # ...and the workers together did use it: close to the limit, not starved.
    elapsed = taken[-1] - start
    assert len(taken) * cost >= maximum + elapsed * rate - 3 * cost
