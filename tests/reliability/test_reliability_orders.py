"""Orders under the same injected faults, worker kills and Redis restart as the stock convergence suite:
every TikTok order becomes exactly one Shopify order, and every cancellation restocks once.

The real path throughout: TikTok sandbox sales -> signed order webhooks (some dropped, the rest sent twice and
shuffled) -> live intake -> RQ worker process -> Shopify sandbox, with the poll and the sweeps as safety nets.
Sizes: 24 orders per test (a third of them cancelled later) over 8 links; 200 per test with
SHOPSYNC_FULL_RELIABILITY=1. Faults: TikTok answers 20% of calls with a rate limit, 10% with a server error and
5% with a timeout; Shopify throttles 30% of GraphQL calls.

Checked once everything has settled:
- no TikTok order has more than one Shopify order (0 duplicates), and every order TikTok did not cancel has
  exactly one, not cancelled (0 lost); a cancelled one has none, or one that is cancelled;
- each variant's Shopify stock is its start less the units of the orders that stand: every cancellation
  restocked, and only once.
"""
from __future__ import annotations

import random
import time
from collections import Counter

import pytest
from sqlalchemy import func, select

from shopsync.extensions import db
from shopsync.jobs.orders import poll_orders, recover_tiktok_webhooks, resume_stalled_orders
from shopsync.jobs.webhooks import recover_unprocessed_webhooks
from shopsync.models import Integration, Order, WebhookEvent
from shopsync.platforms.http import TransientError
from shopsync.models import orders as states
from shopsync.sandbox.tiktok import buying
from shopsync.sandbox.tiktok.buying import OrderError
from shopsync.sync.connections.tiktok_webhooks import subscribe_shop_events
from tests.reliability.test_reliability_convergence import faulty_platforms, own_redis  # noqa: F401 - fixtures
from tests.support.convergence import WorkerProcess, full_size, isolated_app, unsettled
from tests.support.orders import seller_sku, shopify_orders, store_taking_orders
from tests.support.servers import LiveServer

LINKS = 8
ORDERS = 200 if full_size() else 24
SEED = 20261202
SETTLE_TIMEOUT = 600 if full_size() else 240
WORKER_ENV = {"ORDER_DOUBT_SECONDS": "3"}  # an attempt in doubt is settled after 3 s, not 45


@pytest.fixture
def order_faults(faulty_platforms, tiktok_sandbox):
    """The convergence suite's faults, holds that end after a second, and webhooks as they were after."""
    tiktok_sandbox.settings["tiktok_on_hold_seconds"] = 1.0
    yield
    tiktok_sandbox.settings["tiktok_on_hold_seconds"] = 15.0
    tiktok_sandbox.events.outbox.set_controls(copies=1, shuffle=False, drop=0)


@pytest.fixture
def store(app_context, client, app, shopify_sandbox, tiktok_sandbox, shop_domain):
    return store_taking_orders(client, app, shopify_sandbox, tiktok_sandbox, shop_domain, variants=LINKS)


def _stock(shopify_sandbox, store) -> dict[int, int]:
    with shopify_sandbox.lock:
        shop = shopify_sandbox.shop(store.shop)
        return {link.variant_id: sum(shop.variant(link.variant_id)[1].levels.values()) for link in store.links}


def sell_and_cancel(store, tiktok_sandbox, chance: random.Random, between=None) -> tuple[dict, set[str]]:
    """Sell ORDERS orders at random (a third held first), cancel a third of them a little later.

    Returns units sold per Shopify variant of the orders that stand, and the ids of the cancelled ones.
    """
    skus = {link.variant_id: seller_sku(store, n) for n, link in enumerate(store.links)}
    db.session.rollback()
    sold, cancelled, placed = Counter(), set(), []
    tiktok_sandbox.events.outbox.set_controls(copies=2, shuffle=True, drop=ORDERS // 8)
    for number in range(ORDERS):
        variant_id = chance.choice(list(skus))
        units = chance.randint(1, 2)
        try:
            order = tiktok_sandbox.sell(skus[variant_id], units, on_hold=chance.random() < 0.33)
        except OrderError:  # sold out on TikTok
            continue
        placed.append((order.id, variant_id, units))
        if between is not None:
            between(number)
        time.sleep(chance.uniform(0.0, 0.1))
        if placed and chance.random() < 0.33:
            order_id, cancelled_variant, cancelled_units = placed.pop(chance.randrange(len(placed)))
            with tiktok_sandbox.lock:
                try:
                    buying.cancel(tiktok_sandbox, tiktok_sandbox.order(order_id), role="SYSTEM")
                    cancelled.add(order_id)
                except OrderError:
                    placed.append((order_id, cancelled_variant, cancelled_units))
    for order_id, variant_id, units in placed:
        sold[variant_id] += units
    return sold, cancelled


def orders_unsettled(store, tiktok_sandbox) -> str | None:
    if tiktok_sandbox.events.outbox.pending():
        return "TikTok webhooks still being delivered"
    db.session.rollback()
    waiting = db.session.execute(select(func.count()).select_from(WebhookEvent).where(
        WebhookEvent.shop == store.tiktok_shop_id, WebhookEvent.processed_at.is_(None))).scalar()
    if waiting:
        return f"{waiting} TikTok deliveries not applied"
    with tiktok_sandbox.lock:
        on_tiktok = {o.id: o.status for o in tiktok_sandbox.book.orders.values() if o.shop_id == store.tiktok_shop_id}
    ours = {o.tiktok_order_id: o for o in db.session.execute(select(Order).where(
        Order.tiktok_integration_id == store.tiktok_integration_id)).scalars()}
    for order_id, status in on_tiktok.items():
        order = ours.get(order_id)
        if order is None:
            return f"TikTok order {order_id} not recorded"
        if status == "CANCELLED":
            if order.state != states.CANCELLED or (order.shopify_order_id and not order.shopify_cancelled_at):
                return f"cancelled TikTok order {order_id} is {order.state}"
        elif order.state != states.CREATED or order.released_at is None:
            return f"TikTok order {order_id} is {order.state}"
    return None


def settle(app, store, shopify_sandbox, tiktok_sandbox, connection, worker, rebuild) -> float:
    started, quiet, reason = time.monotonic(), 0, None
    while quiet < 2:
        assert time.monotonic() - started < SETTLE_TIMEOUT, f"not settled after {SETTLE_TIMEOUT} s: {reason}"
        rebuild()
        reason = orders_unsettled(store, tiktok_sandbox) or unsettled(store, shopify_sandbox, connection, worker)
        quiet = quiet + 1 if reason is None else 0
        time.sleep(0.5)
    return time.monotonic() - started


def sweeps(store, every: float = 3.0):
    """What the cron entries do every minute or five, done every few seconds: rebuild lost work."""
    last = [0.0]

    def run() -> None:
        if time.monotonic() - last[0] >= every:
            recover_unprocessed_webhooks(older_than_seconds=every)
            recover_tiktok_webhooks(older_than_seconds=every)
            resume_stalled_orders(older_than_seconds=every)
            try:
                poll_orders(store.tiktok_integration_id)
            except TransientError:  # TikTok's injected faults outlasted the client's retries: as the cron job
                db.session.rollback()  # would, the next round polls again
            last[0] = time.monotonic()
    return run


def assert_exactly_once(store, shopify_sandbox, sold: Counter, cancelled: set[str], before: dict[int, int]) -> None:
    by_source = Counter(o.source_identifier for o in shopify_orders(shopify_sandbox, store.shop))
    cancelled_in_shopify = {o.source_identifier for o in shopify_orders(shopify_sandbox, store.shop)
                            if o.cancelled_at is not None}
    ours = db.session.execute(select(Order.tiktok_order_id).where(
        Order.tiktok_integration_id == store.tiktok_integration_id)).scalars().all()
    duplicates = [source for source, count in by_source.items() if count > 1]
    lost = [order_id for order_id in ours if order_id not in cancelled and by_source[order_id] != 1]
    uncancelled = [order_id for order_id in cancelled if by_source[order_id] and order_id not in cancelled_in_shopify]
    print(f"\n{len(ours)} TikTok orders ({len(cancelled)} cancelled): {sum(by_source.values())} Shopify orders, "
          f"{len(duplicates)} duplicates, {len(lost)} lost, {len(uncancelled)} cancellations not applied")
    assert not duplicates and not lost and not uncancelled
    after = _stock(shopify_sandbox, store)
    assert {v: before[v] - after[v] for v in before} == {v: sold.get(v, 0) for v in before}


def _run(app, store, shopify_sandbox, tiktok_sandbox, worker, connection, chance, between=None, rebuild=None):
    before = _stock(shopify_sandbox, store)
    sold, cancelled = sell_and_cancel(store, tiktok_sandbox, chance, between)
    took = settle(app, store, shopify_sandbox, tiktok_sandbox, connection, worker, rebuild or sweeps(store))
    print(f"settled {took:.1f} s after the last sale")
    assert_exactly_once(store, shopify_sandbox, sold, cancelled, before)


@pytest.mark.slow
def test_every_order_lands_once_and_every_cancellation_restocks_once_under_faults(
        app, store, shopify_sandbox, tiktok_sandbox, order_faults):
    worker = WorkerProcess(app.config["REDIS_URL"], **WORKER_ENV).start()
    try:
        _run(app, store, shopify_sandbox, tiktok_sandbox, worker, app.extensions["shopsync.redis"],
             random.Random(SEED))
    finally:
        worker.stop()


@pytest.mark.slow
def test_every_order_lands_once_when_the_worker_is_killed(app, store, shopify_sandbox, tiktok_sandbox,
                                                          order_faults):
    connection = app.extensions["shopsync.redis"]
    worker = WorkerProcess(app.config["REDIS_URL"], **WORKER_ENV).start()
    chance = random.Random(SEED + 1)

    def kill_now_and_then(number: int) -> None:
        if number % 6 == 5:
            time.sleep(chance.uniform(0.0, 0.5))
            worker.kill()
            connection.delete(f"shopsync:push-lock:{store.tiktok_integration_id}",
                              *connection.scan_iter("rq:scheduler-lock:*"))
            worker.start()

    try:
        _run(app, store, shopify_sandbox, tiktok_sandbox, worker, connection, chance, between=kill_now_and_then)
    finally:
        worker.stop()
    assert worker.kills == ORDERS // 6


@pytest.mark.slow
def test_every_order_lands_once_across_a_redis_restart(app, store, shopify_sandbox, tiktok_sandbox,
                                                       order_faults, own_redis):
    server = LiveServer()
    isolated = isolated_app(own_redis.url, server, store, shopify_sandbox)
    with isolated.app_context():
        subscribe_shop_events(db.session.get(Integration, store.tiktok_integration_id))
    worker = WorkerProcess(own_redis.url, maintenance_interval=5, RATELIMIT_STORAGE_URI="memory://",
                           **WORKER_ENV).start()
    rebuild = sweeps(store)

    def restart_redis(number: int) -> None:
        if number == ORDERS // 2:
            own_redis.restart()
            time.sleep(0.5)

    def while_waiting() -> None:
        if not worker.alive:
            worker.start()
        with isolated.app_context():
            rebuild()

    try:
        with isolated.app_context():
            _run(isolated, store, shopify_sandbox, tiktok_sandbox, worker, isolated.extensions["shopsync.redis"],
                 random.Random(SEED + 2), between=restart_redis, rebuild=while_waiting)
    finally:
        worker.stop()
        server.stop()
    assert own_redis.restarts == 1
