"""Tools for proving the sync converges: seeded Shopify changes with their history, the settle wait,
the checks on what TikTok received, worker processes that can be SIGKILLed, and a Redis server of
the test's own that can be restarted.

A change is made in the Shopify sandbox (set_price / set_stock), which sends the signed webhooks a
real store would. Every value a change sets is new for its link and field, so each value TikTok
receives maps to exactly one moment in the Shopify history of that link.

Stock is followed per seller warehouse: a desired stock value is the quantities of every warehouse the
store's confirmed mapping computes (or of the default warehouse alone before confirmation), as
rules.desired_inventory makes them, untracked and continue-selling variants included.
"""
from __future__ import annotations

import os
import random
import shutil
import signal
import subprocess
import time
import uuid
from collections import defaultdict
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path

import redis
from rq import Queue, Worker
from rq.registry import ScheduledJobRegistry
from sqlalchemy import func, select

from shopsync.extensions import Queues, db
from shopsync.models import ProductLink, Variant, WebhookEvent
from shopsync.sync.pushes.rules import LinkSettings, WarehouseFeed, desired_inventory, desired_price
from tests.support.redis_server import free_port
from tests.support.scenario import LinkedStore
from tests.support.worker import stop

ROOT = Path(__file__).resolve().parents[2]
PRICE = "price"
INVENTORY = "inventory"
FIELDS = (PRICE, INVENTORY)
WRITE_PATHS = {PRICE: "/product/202309/products/{}/prices/update",
               INVENTORY: "/product/202309/products/{}/inventory/update"}
# The shop's defaults in these runs: prices jump far both ways, so the guard rails (their own tests) stay open.
SHOP_DEFAULTS = {"max_price_drop": "100"}
RULES = LinkSettings.effective(None, SHOP_DEFAULTS)


def full_size() -> bool:
    return os.environ.get("SHOPSYNC_FULL_RELIABILITY") == "1"


# ---- the changes and what TikTok should end up with ------------------------------------------------
@dataclass
class History:
    """Desired TikTok values of every link, in the order Shopify changed them (index 0 = before the run)."""
    values: dict[tuple[str, str], list] = field(default_factory=dict)  # (sku id, field) -> desired values

    def record(self, sku_id: str, name: str, value) -> None:
        self.values.setdefault((sku_id, name), []).append(value)

    def final(self, sku_id: str, name: str):
        return self.values[(sku_id, name)][-1]


class ChangeMaker:
    """Seeded random price and stock changes over the store's links, applied through the Shopify sandbox."""

    def __init__(self, store: LinkedStore, shopify_sandbox, seed: int):
        self.store, self.sandbox = store, shopify_sandbox
        self.rng = random.Random(seed)
        self.history = History()
        self.currency = "USD"
        # Fresh values come from ranges the imported catalog never uses, each drawn once per link.
        self._prices = {link.sku_id: self.rng.sample(range(100_00, 999_99), 2000) for link in store.links}
        self._stocks = {link.sku_id: self.rng.sample(range(100, 9_999), 2000) for link in store.links}
        for link in store.links:
            price, levels = self._shopify(link)
            self.history.record(link.sku_id, PRICE, desired_price(price, RULES, self.currency))
            self.history.record(link.sku_id, INVENTORY, desired_stock(store, link, levels))

    def _shopify(self, link) -> tuple[Decimal, dict[int, int]]:
        _, variant = self.sandbox.shop(self.store.shop).variant(link.variant_id)
        return variant.price, dict(variant.levels)

    def apply(self, count: int) -> list[tuple]:
        """Make `count` changes; returns (link, field, desired value) for each."""
        made = []
        for _ in range(count):
            link = self.rng.choice(self.store.links)
            name = self.rng.choice(FIELDS)
            if name == PRICE:
                price = Decimal(self._prices[link.sku_id].pop()) / 100
                self.sandbox.set_price(self.store.shop, link.variant_id, price)
            else:
                self.sandbox.set_stock(self.store.shop, self.store.stock_location, self._stocks[link.sku_id].pop(),
                                       variant_id=link.variant_id)
            price, levels = self._shopify(link)
            value = desired_price(price, RULES, self.currency) if name == PRICE else desired_stock(
                self.store, link, levels)
            self.history.record(link.sku_id, name, value)
            made.append((link, name, value))
        return made


def desired_stock(store: LinkedStore, link, levels: dict[int, int]) -> tuple[tuple[str, int], ...]:
    """What the rules give each computed warehouse of this link's SKU, as sorted (warehouse, quantity) pairs."""
    feeds = store.feeds or [WarehouseFeed(store.warehouse_id)]
    wanted = desired_inventory(levels, levels, RULES, feeds, sells_without_stock=link.variant_id in store.sells_freely)
    return tuple(sorted(wanted.items()))


def round_groups(store: LinkedStore, history: History, before: dict[tuple[str, str], int]) -> set[tuple[str, str]]:
    """(TikTok product, field) pairs whose desired value of some SKU differs from the start of the round."""
    product_of = {link.sku_id: link.tiktok_product_id for link in store.links}
    return {(product_of[sku], name) for (sku, name), values in history.values.items()
            if values[-1] != values[before[(sku, name)]]}


def positions(history: History) -> dict[tuple[str, str], int]:
    return {key: len(values) - 1 for key, values in history.values.items()}


# ---- what TikTok received ------------------------------------------------------------------------------
@dataclass
class Received:
    """Accepted TikTok write calls of the store, and every value they set, per SKU and field, in order."""
    accepted: int = 0
    attempts: int = 0
    values: dict[tuple[str, str], list] = field(default_factory=lambda: defaultdict(list))


def received(tiktok_sandbox, store: LinkedStore) -> Received:
    products = {link.tiktok_product_id for link in store.links}
    paths = {WRITE_PATHS[name].format(product): name for product in products for name in FIELDS}
    out = Received()
    for call in tiktok_sandbox.calls(method="POST"):
        name = paths.get(call.path)
        if name is None:
            continue
        out.attempts += 1
        if call.code != 0:
            continue
        out.accepted += 1
        for sku in call.body["skus"]:
            if name == PRICE:
                out.values[(sku["id"], PRICE)].append(Decimal(sku["price"]["amount"]))
            else:
                by_warehouse = {item["warehouse_id"]: item["quantity"] for item in sku["inventory"]}
                out.values[(sku["id"], INVENTORY)].append(_computed(store, by_warehouse))
    return out


def _computed(store: LinkedStore, by_warehouse: dict[str, int]) -> tuple[tuple[str, int], ...]:
    """The warehouses the rules compute for the store, as in desired_stock."""
    computed = [feed.warehouse_id for feed in store.feeds] or [store.warehouse_id]
    return tuple(sorted((w, by_warehouse.get(w)) for w in computed))


def stale_pushes(history: History, got: Received) -> list[str]:
    """Every value pushed must be one Shopify had, never older than one pushed before it."""
    problems = []
    for key, pushed in got.values.items():
        desired = history.values[key]
        last = 0
        for value in pushed:
            if value not in desired:
                problems.append(f"{key}: pushed {value}, which Shopify never had")
                continue
            index = len(desired) - 1 - desired[::-1].index(value)
            if index < last:
                problems.append(f"{key}: pushed {value} (change {index}) after change {last}")
            last = max(last, index)
    return problems


def wrong_values(tiktok_sandbox, store: LinkedStore, history: History) -> list[str]:
    """Links whose TikTok price or stock is not what the rules make of Shopify's final values. With a confirmed
    warehouse mapping, the units TikTok can sell of the SKU (all its seller warehouses) must be the rules' total."""
    wrong = []
    for link in store.links:
        state = tiktok_sandbox.sku_state(link.sku_id)
        stock = history.final(link.sku_id, INVENTORY)
        got = (Decimal(state["price"]), _computed(store, state["inventory"]))
        want = (history.final(link.sku_id, PRICE), stock)
        if store.feeds:
            got += (sum(state["inventory"].values()),)
            want += (sum(quantity for _, quantity in stock),)
        if got != want:
            stored = db.session.execute(select(Variant.price, ProductLink.last_pushed_price,
                                               ProductLink.last_pushed_quantity, ProductLink.dirty, ProductLink.state)
                                        .join(Variant, Variant.id == ProductLink.variant_id)
                                        .where(ProductLink.id == link.link_id)).one()
            wrong.append(f"link {link.link_id} SKU {link.sku_id}: TikTok has {got}, Shopify says {want}; ShopSync "
                         f"holds price {stored.price}, last pushed {stored.last_pushed_price} / "
                         f"{stored.last_pushed_quantity}, dirty {stored.dirty}, state {stored.state}; "
                         f"Shopify's prices {history.values[(link.sku_id, PRICE)]}")
    return wrong


# ---- settling --------------------------------------------------------------------------------------
def unsettled(store: LinkedStore, shopify_sandbox, connection: redis.Redis, worker: "WorkerProcess") -> str | None:
    """Why the system is still busy with this store, or None once everything is done.

    Running jobs are asked of the live worker: a killed worker's job stays in RQ's started
    registry until its timeout, long after nobody runs it.
    """
    if shopify_sandbox.outbox.pending():
        return "webhooks still being delivered"
    db.session.rollback()
    waiting = db.session.execute(select(func.count()).select_from(WebhookEvent).where(
        WebhookEvent.shop == store.shop, WebhookEvent.processed_at.is_(None))).scalar()
    if waiting:
        return f"{waiting} webhook deliveries not applied"
    dirty = db.session.execute(select(func.count()).select_from(ProductLink).where(
        ProductLink.tenant_id == store.tenant_id, ProductLink.dirty.is_(True))).scalar()
    db.session.rollback()
    if dirty:
        return f"{dirty} links dirty"
    for name in Queues.NAMES:
        queue = Queue(name, connection=connection)
        for what, count in (("queued", queue.count), ("scheduled", ScheduledJobRegistry(queue=queue).count)):
            if count:
                return f"{count} job(s) {what} on {name}"
    if worker.busy(connection):
        return "the worker is running a job"
    return None


def wait_until_settled(store: LinkedStore, shopify_sandbox, connection: redis.Redis, worker: "WorkerProcess", *,
                       timeout: float, while_waiting=None, every: float = 0.25) -> float:
    """Poll until nothing is left to do (twice in a row); returns the seconds it took."""
    started = time.monotonic()
    quiet = 0
    reason = None
    while quiet < 2:
        if time.monotonic() - started > timeout:
            raise AssertionError(f"not settled after {timeout:.0f} s: {reason}")
        if while_waiting is not None:
            while_waiting()
        reason = unsettled(store, shopify_sandbox, connection, worker)
        quiet = quiet + 1 if reason is None else 0
        time.sleep(every)
    return time.monotonic() - started


# ---- processes the tests start ----------------------------------------------------------------------
class WorkerProcess:
    """ShopSync's worker (as in the Procfile) with this process's environment plus `env`; SIGKILL-able."""

    def __init__(self, redis_url: str, maintenance_interval: int | None = None, **env: str):
        self.redis_url = redis_url
        self.options = ["--maintenance-interval", str(maintenance_interval)] if maintenance_interval else []
        self.env = {**os.environ, "REDIS_URL": redis_url, **env}
        self.process: subprocess.Popen | None = None
        self.name = ""
        self.kills = 0

    def start(self, timeout: float = 30.0) -> "WorkerProcess":
        self.name = name = f"reliability-{uuid.uuid4().hex[:8]}"
        self.process = subprocess.Popen(
            [str(ROOT / ".venv/bin/rq"), "worker", "--with-scheduler", "-w", "shopsync.jobs.worker.ShopSyncWorker",
             "--url", self.redis_url, "--name", name,
             "--logging_level", "WARNING", *self.options, *Queues.NAMES], cwd=ROOT, env=self.env,
            start_new_session=True)
        connection = redis.Redis.from_url(self.redis_url)
        deadline = time.monotonic() + timeout
        while not any(w.name == name for w in Worker.all(connection=connection)):
            if self.process.poll() is not None:
                raise RuntimeError(f"rq worker exited with {self.process.returncode}")
            if time.monotonic() > deadline:
                raise TimeoutError("rq worker did not register in time")
            time.sleep(0.05)
        return self

    def busy(self, connection: redis.Redis) -> bool:
        worker = Worker.find_by_key(Worker.redis_worker_namespace_prefix + self.name, connection=connection)
        return worker is not None and worker.get_current_job_id() is not None

    @property
    def alive(self) -> bool:
        return self.process is not None and self.process.poll() is None

    def kill(self) -> None:
        """SIGKILL the worker and the work-horse running its job: no cleanup of any kind."""
        stop(self.process, signal.SIGKILL)
        self.kills += 1

    def stop(self) -> None:
        if self.process is not None:
            stop(self.process)


class RedisServer:
    """A redis-server of the test's own on a free port, without persistence: a restart loses everything.

    (redis_server.private_redis cannot restart on the same port, which this is for.)
    """

    def __init__(self):
        self.port = free_port()
        self.url = f"redis://127.0.0.1:{self.port}/0"
        self.process: subprocess.Popen | None = None
        self.restarts = 0

    def start(self) -> "RedisServer":
        binary = shutil.which("redis-server")
        assert binary, "redis-server is not installed"
        self.process = subprocess.Popen([binary, "--port", str(self.port), "--bind", "127.0.0.1", "--save", "",
                                         "--appendonly", "no"], stdout=subprocess.DEVNULL,
                                        stderr=subprocess.DEVNULL)
        connection = redis.Redis.from_url(self.url)
        deadline = time.monotonic() + 10
        while True:
            try:
                connection.ping()
                return self
            except redis.ConnectionError:
                if time.monotonic() > deadline:
                    raise
                time.sleep(0.05)

    def kill(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.send_signal(signal.SIGKILL)
            self.process.wait(10)

    def restart(self) -> None:
        self.kill()
        self.start()
        self.restarts += 1


def isolated_app(redis_url: str, server, store: LinkedStore, shopify_sandbox):
    """An app of its own on `server` with its own Redis (to restart), the store's Shopify webhooks pointed at it."""
    from shopsync import create_app
    from shopsync.sync.connections.webhook_subscriptions import WEBHOOK_PATH

    app = create_app({"TESTING": True, "REDIS_URL": redis_url, "RATELIMIT_STORAGE_URI": "memory://",
                      "PUBLIC_URL": server.url})
    server.start(app)
    for subscription in shopify_sandbox.shop(store.shop).subscriptions.values():
        subscription.uri = server.url + WEBHOOK_PATH
    return app
