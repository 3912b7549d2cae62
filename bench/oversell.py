"""Units sold beyond stock when buyers on both channels race for the last units, with order import on and off.

    python -m bench.oversell --skus 200 --gaps 2 10 --rate 5

Everything real, as in order_latency: the app, both sandboxes, ShopSync's worker processes, PostgreSQL and
Redis. 200 linked SKUs start with 1-3 units each, the same on both channels. Each SKU then gets one more
buyer than it has units, each on TikTok or the Shopify storefront at random, one every GAP seconds (SKUs
start one after another, so buyers come at RATE a second over all SKUs): a TikTok buyer is refused by TikTok when TikTok shows no stock, a Shopify
buyer when Shopify shows none (inventory policy DENY). Units sold beyond a SKU's stock are oversold.
Per gap, two runs side by side:
  import on   the default: TikTok sales become Shopify orders (their units held until then)
  import off  the baseline: TikTok sales never reach Shopify, whose higher number is pushed back to TikTok
The bar: 0 units oversold with import on when the two channels' sales are >= 10 s apart.
"""
from __future__ import annotations

import argparse
import os
import random
import sys
import time
from contextlib import ExitStack
from pathlib import Path

from bench._scratch import measure_then_report
from bench._platforms import start_platforms

ROOT = Path(__file__).resolve().parent.parent
BENCH_DB = f"shopsync_bench_oversell_{os.getpid()}"
SHOP = "bench-oversell.myshopify.com"
SEED = 20261202
WORKERS = 2


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--skus", type=int, default=200)
    parser.add_argument("--gaps", type=float, nargs="+", default=[2.0, 10.0],
                        help="seconds between one buyer of a SKU and the next")
    parser.add_argument("--rate", type=float, default=5.0, help="buyers per second over all SKUs")
    sys.path.insert(0, str(ROOT))
    measure_then_report(BENCH_DB, _measure, _report, parser.parse_args())


def _measure(args) -> list[dict]:
    with ExitStack() as stack:
        app, shopify, tiktok = start_platforms(BENCH_DB, stack)
        from tests.support.orders import seller_sku, store_taking_orders
        from tests.support.worker import running_worker

        started = time.monotonic()
        store = store_taking_orders(app.test_client(), app, shopify, tiktok, SHOP, variants=args.skus)
        skus = [seller_sku(store, n) for n in range(len(store.links))]
        print(f"set up in {time.monotonic() - started:.1f} s: {len(skus)} linked SKUs", flush=True)
        results = []
        for _ in range(WORKERS):
            stack.enter_context(running_worker())
        for gap in args.gaps:
            for imports in (True, False):
                results.append(_run(app, store, shopify, tiktok, skus, gap, imports, args.rate))
        return results


def _restock(app, store, shopify, tiktok, chance: random.Random) -> dict[int, int]:
    """Give each SKU 1-3 units on both channels, and ShopSync the same numbers; returns the stock per link."""
    from sqlalchemy import case, update

    from shopsync.extensions import db
    from shopsync.models import InventoryLevel, ProductLink, TikTokSku

    stock = {}
    with shopify.lock, tiktok.lock:
        shop = shopify.shop(store.shop)
        for link in store.links:
            units = chance.randint(1, 3)
            stock[link.link_id] = units
            _, variant = shop.variant(link.variant_id)
            first, *others = sorted(variant.levels)
            variant.levels.update({first: units, **{location: 0 for location in others}})
            variant.committed.clear()
            _, _, sku = tiktok.find_sku(link.sku_id)
            sku.inventory.update({warehouse: 0 for warehouse in sku.inventory})
            sku.inventory[store.warehouse_id] = units
            db.session.execute(update(TikTokSku).where(  # what ShopSync last saw on TikTok, as a push re-sends it
                TikTokSku.integration_id == store.tiktok_integration_id, TikTokSku.tiktok_id == link.sku_id
            ).values(inventory=dict(sku.inventory)))
            db.session.execute(update(InventoryLevel).where(
                InventoryLevel.integration_id == store.shopify_integration_id,
                InventoryLevel.inventory_item_id == link.inventory_item_id).values(
                available=case((InventoryLevel.location_id == first, units), else_=0)))
            db.session.execute(update(ProductLink).where(ProductLink.id == link.link_id).values(
                last_pushed_quantity=units, dirty=False))
    db.session.commit()
    return stock


def _sell_on_shopify(shopify, store, link) -> bool:
    """A storefront buyer takes one unit if Shopify shows one in all (a TikTok order may have claimed its units at
    another location, leaving that one below zero); the sandbox sends inventory_levels/update."""
    with shopify.lock:
        _, variant = shopify.shop(store.shop).variant(link.variant_id)
        location = max(variant.levels, key=variant.levels.get)
        if sum(variant.levels.values()) <= 0 or variant.levels[location] <= 0:
            return False
        shopify.set_stock(store.shop, location, variant.levels[location] - 1, variant_id=link.variant_id)
        return True


def _quiet(app, timeout: float = 120.0) -> None:
    """Wait until the previous run's orders, webhooks and pushes are all done (nothing queued or running)."""
    from rq import Queue, Worker
    from rq.registry import ScheduledJobRegistry, StartedJobRegistry

    from shopsync.extensions import Queues

    connection = app.extensions["shopsync.redis"]
    deadline, calm = time.monotonic() + timeout, 0
    while calm < 3 and time.monotonic() < deadline:
        queues = [Queue(name, connection=connection) for name in Queues.NAMES]
        busy = any(q.count or StartedJobRegistry(queue=q).count or ScheduledJobRegistry(queue=q).count
                   for q in queues) or any(w.get_current_job_id() for w in Worker.all(connection=connection))
        calm = 0 if busy else calm + 1
        time.sleep(0.5)


def _run(app, store, shopify, tiktok, skus: list[str], gap: float, imports: bool, rate: float) -> dict:
    from shopsync.extensions import db
    from shopsync.models import Integration, utcnow
    from shopsync.sandbox.tiktok.buying import OrderError

    chance = random.Random(SEED)
    _quiet(app)
    shop = db.session.get(Integration, store.tiktok_integration_id)
    shop.order_settings = {"import_orders": imports}
    shop.orders_polled_through = utcnow()  # as turning import on does: earlier sales are not this run's
    db.session.commit()
    stock = _restock(app, store, shopify, tiktok, chance)
    plan = []  # (when, link index, channel)
    # SKUs start one after another so that buyers come at about `rate` a second over all SKUs.
    spacing = sum(stock[link.link_id] + 1 for link in store.links) / len(store.links) / rate
    for index, link in enumerate(store.links):
        offset = spacing * index
        for buyer in range(stock[link.link_id] + 1):
            plan.append((offset + buyer * gap, index, chance.choice(("tiktok", "shopify"))))
    plan.sort()
    sold = {link.link_id: 0 for link in store.links}
    began = time.monotonic()
    for when, index, channel in plan:
        time.sleep(max(0.0, began + when - time.monotonic()))
        link = store.links[index]
        if channel == "tiktok":
            try:
                tiktok.sell(skus[index], 1, on_hold=False)
                sold[link.link_id] += 1
            except OrderError:
                pass
        elif _sell_on_shopify(shopify, store, link):
            sold[link.link_id] += 1
    oversold = sum(max(0, sold[link_id] - units) for link_id, units in stock.items())
    result = {"gap": gap, "imports": imports, "buyers": len(plan), "sold": sum(sold.values()),
              "stock": sum(stock.values()), "oversold": oversold, "seconds": time.monotonic() - began}
    print(f"gap {gap:g} s, import {'on ' if imports else 'off'}: {result['sold']} of {result['stock']} units sold "
          f"to {result['buyers']} buyers, {oversold} oversold", flush=True)
    return result


def _report(results: list[dict], args) -> None:
    print(f"\n{args.skus} SKUs with 1-3 units each, one buyer more than units per SKU, on TikTok or Shopify at "
          f"random; {WORKERS} workers\n")
    print(f"{'gap between buyers':>20} {'oversold, import on':>21} {'oversold, import off (baseline)':>33}")
    for gap in args.gaps:
        on = next(r for r in results if r["gap"] == gap and r["imports"])
        off = next(r for r in results if r["gap"] == gap and not r["imports"])
        print(f"{gap:>18g} s {on['oversold']:>21d} {off['oversold']:>33d}")
    apart = [r for r in results if r["imports"] and r["gap"] >= 10]
    if apart:
        met = all(r["oversold"] == 0 for r in apart)
        print(f"aim 0 units oversold with import on when sales are >= 10 s apart: {'met' if met else 'MISSED'}")


if __name__ == "__main__":
    main()
