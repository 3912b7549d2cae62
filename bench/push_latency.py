"""From a stock change in Shopify to TikTok holding it: latency percentiles and TikTok calls per change.

    python -m bench.push_latency --changes 300 --rate 10

Everything real: the app on a live werkzeug server thread, the sandbox (Shopify and TikTok)
on another, real `rq worker --with-scheduler` processes (ShopSync's worker class), a scratch
PostgreSQL database and a private Redis server. A shop is installed, both catalogs imported
and auto-linked by SKU through the real flows, then N stock changes are made in the Shopify
sandbox at a steady rate, round robin over variants of several products. Each change's
latency runs from the sandbox's timestamp of the change to the TikTok sandbox's timestamp
of the first inventory call carrying that quantity or a newer one for the SKU (quantities
only grow during a run, so a newer one includes it). Runs, side by side in one process:
  debounce 1 s, 1 worker      the default
  debounce 0,   1 worker      the baseline: every request flushes at once
  debounce 1 s, 2 workers     the scale-out note
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
from bench._scratch import drop_database

ROOT = Path(__file__).resolve().parent.parent
BENCH_DB = f"shopsync_bench_latency_{os.getpid()}"  # two runs at once never drop each other's
SHOP = "bench-latency.myshopify.com"
PRODUCTS = 10
VARIANTS_PER_PRODUCT = 3
AIM_P50, AIM_P99 = 2.0, 5.0
WINDOW = 1.0  # seconds: the default debounce, for counting products touched per window
RUNS = (("debounce 1 s, 1 worker", 1.0, 1), ("debounce 0, 1 worker (baseline)", 0.0, 1),
        ("debounce 1 s, 2 workers", 1.0, 2))


def _percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, round(share * len(ordered)) - 1))]


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--changes", type=int, default=300)
    parser.add_argument("--rate", type=float, default=10.0,
                        help="stock changes per second (each sends inventory_levels/update)")
    parser.add_argument("--stock-bumps-product", action="store_true",
                        help="the Shopify sandbox also bumps the product's updatedAt and sends products/update on "
                             "each stock change (its default before 2026-12-02): the workload of older figures")
    args = parser.parse_args()
    sys.path.insert(0, str(ROOT))
    try:
        results = _measure(args)
    finally:
        drop_database(BENCH_DB)
    _report(results, args)


def _measure(args) -> list[dict]:
    with ExitStack() as stack:
        app, shopify, tiktok = start_platforms(BENCH_DB, stack, FLUSH_DEBOUNCE_SECONDS="1")
        shopify.settings["shopify_stock_bumps_product"] = args.stock_bumps_product
        shop = _set_up(app, shopify, tiktok)
        return [_run(index, label, debounce, workers, shop, shopify, tiktok, args.changes, args.rate)
                for index, (label, debounce, workers) in enumerate(RUNS)]


def _set_up(app, shopify, tiktok):
    from tests.support.sync_journey import set_up_synced_shop
    from tests.support.worker import running_worker

    started = time.monotonic()
    with running_worker():
        shop = set_up_synced_shop(app.test_client(), SHOP, tiktok)
    picked = [links[:VARIANTS_PER_PRODUCT] for links in shop.by_product().values()
              if len(links) >= VARIANTS_PER_PRODUCT][:PRODUCTS]
    shop.links = [link for links in picked for link in links]
    print(f"set up in {time.monotonic() - started:.1f} s: {len(shop.links)} linked variants over "
          f"{len(picked)} TikTok products", flush=True)
    return shop


def _run(index, label, debounce, workers, shop, shopify, tiktok, changes, rate) -> dict:
    from sqlalchemy import select

    from shopsync.extensions import db
    from shopsync.models import Location
    from tests.support.sync_journey import inventory_calls, links_settled, sent_quantities, wait_for
    from tests.support.worker import running_worker

    active = set(db.session.execute(select(Location.shopify_id).where(
        Location.integration_id == shop.shopify_id, Location.is_active.is_(True))).scalars())
    location = min(active)
    os.environ["FLUSH_DEBOUNCE_SECONDS"] = str(debounce)
    made = []  # (link, quantity TikTok should get, sandbox time of the change)
    with ExitStack() as stack:
        for _ in range(workers):
            stack.enter_context(running_worker())
        tiktok.clear_calls()
        base = 1000 + 100_000 * index  # every run's quantities above the last run's
        started = time.monotonic()
        for number in range(changes):
            link = shop.links[number % len(shop.links)]
            time.sleep(max(0.0, started + number / rate - time.monotonic()))
            variant = shopify.set_stock(shop.shop, location, base + number, variant_id=link.variant_id)
            quantity = sum(q for loc, q in variant.levels.items() if loc in active)
            made.append((link, quantity, variant.updated_at.timestamp()))
        spent = time.monotonic() - started
        shopify.wait_for_webhooks(60)
        wait_for(lambda: links_settled(shop.tenant_id) and all(
            tiktok.sku_state(link.sku_id)["inventory"][shop.warehouse_id] >= quantity
            for link, quantity, _ in made[-len(shop.links):]), 120, 0.2, "the run did not settle")
    calls = [c for product in {link.product_id for link, _, _ in made}
             for c in inventory_calls(tiktok, product)]
    by_sku: dict[str, list[tuple[float, int]]] = {}
    for call in calls:
        for sku_id, quantity in sent_quantities(call, shop.warehouse_id).items():
            by_sku.setdefault(sku_id, []).append((call.timestamp, quantity))
    latencies = []
    for link, quantity, changed_at in made:
        arrived = min(at for at, sent in by_sku[link.sku_id] if sent >= quantity and at >= changed_at)
        latencies.append(arrived - changed_at)
    products = len({link.product_id for link in shop.links})
    first = made[0][2]
    touched = len({(int((at - first) // WINDOW), link.product_id) for link, _, at in made})
    return {"label": label, "debounce": debounce, "workers": workers, "changes": changes, "seconds": spent,
            "p50": _percentile(latencies, 0.50), "p95": _percentile(latencies, 0.95),
            "p99": _percentile(latencies, 0.99), "mean": statistics.fmean(latencies), "calls": len(calls),
            "touched": touched,
            "products": products, "variants": len(shop.links)}


def _report(results: list[dict], args) -> None:
    first = results[0]
    webhooks = "inventory_levels/update and products/update" if args.stock_bumps_product else \
        "inventory_levels/update"
    print(f"\n{args.changes} stock changes at {args.rate:g}/s per run (each sends {webhooks}), round robin over "
          f"{first['variants']} variants of {first['products']} TikTok products\n")
    print(f"{'run':34} {'p50 s':>7} {'p95 s':>7} {'p99 s':>7} {'calls':>6} {'calls/change':>13} "
          f"{'products touched per 1 s window':>32}")
    for r in results:
        print(f"{r['label']:34} {r['p50']:7.3f} {r['p95']:7.3f} {r['p99']:7.3f} {r['calls']:6d} "
              f"{r['calls'] / r['changes']:13.3f} {r['touched']:>32d}")
    default, baseline, two = results
    print("(calls = stock updates TikTok received; the aim is one per product touched in a debounce window)")
    print(f"\ndebounce 1 s vs baseline: latency p50 x{default['p50'] / baseline['p50']:.2f}, "
          f"TikTok calls x{default['calls'] / baseline['calls']:.2f}")
    print(f"2 workers vs 1: p50 x{two['p50'] / default['p50']:.2f}, p99 x{two['p99'] / default['p99']:.2f}")
    met = default["p50"] < AIM_P50 and default["p99"] < AIM_P99
    print(f"aim p50 < {AIM_P50:g} s and p99 < {AIM_P99:g} s with the default debounce: {'met' if met else 'MISSED'}")


if __name__ == "__main__":
    main()
