"""From a TikTok sale to the Shopify order created: latency percentiles at a steady rate and in a burst.

    python -m bench.order_latency --orders 300 --rate 5 --burst 50

Everything real: the app on a live werkzeug server thread, the sandbox (Shopify and TikTok) on another,
one `rq worker --with-scheduler` process (ShopSync's worker class) with the default settings, a scratch
PostgreSQL database and a private Redis server. A store is installed, both catalogs imported and
auto-linked through the real flows, and the TikTok shop is subscribed to its order webhooks. Then
buyers order on the TikTok sandbox (no hold, one or two units of a linked SKU, round robin), and each
sale's latency runs from the moment the buyer's order was placed to the Shopify sandbox's creation
time of the order carrying its id. The sandbox store is on a paid plan (a development store takes only
5 new orders a minute). Runs, side by side:
  steady   --rate orders per second for --orders orders
  burst    --burst orders placed at once
  baseline one bare sandbox round trip, as many times as there are steady orders: the order detail
           call to TikTok and the source-identifier search in Shopify, signed and sent as ShopSync does
"""
from __future__ import annotations

import argparse
import os
import statistics
import sys
import time
from contextlib import ExitStack
from pathlib import Path

from bench._platforms import start_platforms
from bench._scratch import measure_then_report
from bench.push_latency import _percentile as percentile

ROOT = Path(__file__).resolve().parent.parent
BENCH_DB = f"shopsync_bench_orders_{os.getpid()}"
SHOP = "bench-orders.myshopify.com"
LINKS = 20
AIM_P50, AIM_P99 = 2.0, 5.0


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--orders", type=int, default=300)
    parser.add_argument("--rate", type=float, default=5.0, help="orders per second in the steady run")
    parser.add_argument("--burst", type=int, default=50, help="orders placed at once in the burst run")
    sys.path.insert(0, str(ROOT))
    measure_then_report(BENCH_DB, _measure, _report, parser.parse_args())


def plenty_of_stock(store, shopify, tiktok, units: int = 100_000) -> None:
    """Enough units on both sides that no buyer is refused during a run."""
    with shopify.lock, tiktok.lock:
        shop = shopify.shop(store.shop)
        for link in store.links:
            _, variant = shop.variant(link.variant_id)
            for location in variant.levels:
                variant.levels[location] = units
            _, _, sku = tiktok.find_sku(link.sku_id)
            for warehouse in sku.inventory:
                sku.inventory[warehouse] = units


def _measure(args) -> dict:
    with ExitStack() as stack:
        app, shopify, tiktok = start_platforms(BENCH_DB, stack)
        from tests.support.orders import seller_sku, store_taking_orders
        from tests.support.worker import running_worker

        started = time.monotonic()
        store = store_taking_orders(app.test_client(), app, shopify, tiktok, SHOP, variants=LINKS)
        plenty_of_stock(store, shopify, tiktok)
        skus = [seller_sku(store, n) for n in range(len(store.links))]
        print(f"set up in {time.monotonic() - started:.1f} s: {len(skus)} linked SKUs", flush=True)
        baseline = _baseline(app, store, tiktok.sell(skus[0], 1, on_hold=False).id, args.orders)
        with running_worker():
            steady = _run(shopify, tiktok, store, skus, args.orders, args.rate)
            burst = _run(shopify, tiktok, store, skus, args.burst, None)
        return {"baseline": baseline, "steady": steady, "burst": burst}


def _baseline(app, store, order_id: str, count: int) -> dict:
    """One bare round trip to each sandbox, signed and sent by ShopSync's own clients: the detail of a real
    TikTok order, and Shopify's search for the order of a TikTok order id."""
    from shopsync.extensions import db
    from shopsync.models import Integration
    from shopsync.platforms.shopify import orders as documents
    from shopsync.platforms.tiktok.orders import get_orders
    from shopsync.sync.connections.shopify_access import shopify_admin
    from shopsync.sync.connections.tiktok_access import tiktok_client

    shop = db.session.get(Integration, store.tiktok_integration_id)
    client = tiktok_client(shop)
    admin = shopify_admin(db.session.get(Integration, store.shopify_integration_id))
    tiktok_times, shopify_times = [], []
    for _ in range(count):
        began = time.monotonic()
        get_orders(client, [order_id])
        tiktok_times.append(time.monotonic() - began)
        began = time.monotonic()
        admin.execute(documents.FIND_ORDER_BY_SOURCE, {"query": documents.source_query(order_id)})
        shopify_times.append(time.monotonic() - began)
    return {"tiktok": tiktok_times, "shopify": shopify_times}


def _run(shopify, tiktok, store, skus: list[str], orders: int, rate: float | None) -> dict:
    placed: dict[str, float] = {}
    began = time.monotonic()
    for number in range(orders):
        if rate:
            time.sleep(max(0.0, began + number / rate - time.monotonic()))
        at = time.time()
        order = tiktok.sell(skus[number % len(skus)], 1 + number % 2, on_hold=False)
        placed[order.id] = at
    created = _wait_for_orders(shopify, store.shop, placed, timeout=120 + orders)
    latencies = [created[order_id] - at for order_id, at in placed.items()]
    return {"orders": orders, "seconds": time.monotonic() - began, "latencies": latencies}


def _wait_for_orders(shopify, shop: str, placed: dict[str, float], timeout: float) -> dict[str, float]:
    deadline = time.monotonic() + timeout
    while True:
        with shopify.lock:
            created = {o.source_identifier: o.created_at.timestamp() for o in shopify.shop(shop).orders.values()
                       if o.source_identifier in placed}
        if len(created) == len(placed):
            return created
        if time.monotonic() > deadline:
            raise SystemExit(f"only {len(created)} of {len(placed)} orders reached Shopify in {timeout:.0f} s")
        time.sleep(0.1)


def _line(label: str, values: list[float]) -> str:
    return (f"{label:44} p50 {percentile(values, 0.5):6.3f} s  p95 {percentile(values, 0.95):6.3f} s  "
            f"p99 {percentile(values, 0.99):6.3f} s  mean {statistics.fmean(values):6.3f} s")


def _report(results: dict, args) -> None:
    steady, burst, baseline = results["steady"], results["burst"], results["baseline"]
    print(f"\n{args.orders} TikTok sales at {args.rate:g}/s, then {args.burst} at once; one worker, default settings\n")
    print(_line(f"steady {args.rate:g}/s: sale -> Shopify order", steady["latencies"]))
    print(_line(f"burst of {args.burst}: sale -> Shopify order", burst["latencies"]))
    print(_line("baseline: bare TikTok order detail call", baseline["tiktok"]))
    print(_line("baseline: bare Shopify order search", baseline["shopify"]))
    bare = percentile(baseline["tiktok"], 0.5) + percentile(baseline["shopify"], 0.5)
    print(f"ratio: steady p50 / (both bare round trips' p50) = {percentile(steady['latencies'], 0.5) / bare:.1f}")
    met = percentile(steady["latencies"], 0.5) <= AIM_P50 and percentile(steady["latencies"], 0.99) <= AIM_P99
    print(f"aim p50 <= {AIM_P50:g} s and p99 <= {AIM_P99:g} s at {args.rate:g} orders/s: {'met' if met else 'MISSED'}")


if __name__ == "__main__":
    main()
