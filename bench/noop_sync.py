"""A scheduled sync over N links where nothing changed: zero TikTok calls, and how long it takes.

    .venv/bin/python bench/noop_sync.py [--links 20000]

Uses a scratch PostgreSQL database (shopsync_bench, recreated) and prints the time
of the scheduled sync next to a bare SELECT of the same links, as a ratio: medians of
five runs each, alternating, with the links made due again before each sync.
"""
from __future__ import annotations

import argparse
import os
import statistics
import time
from datetime import datetime, timedelta, timezone
from decimal import Decimal

from cryptography.fernet import Fernet

from bench._scratch import fresh_database

DB = "shopsync_bench"
RUNS = 5


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--links", type=int, default=20_000)
    args = parser.parse_args()
    os.environ.update(DATABASE_URL=fresh_database(DB),
                      TOKEN_ENCRYPTION_KEYS=Fernet.generate_key().decode(), SECRET_KEY="bench")
    os.environ.pop("REDIS_URL", None)
    from flask_migrate import upgrade
    from sqlalchemy import insert, select, text, update

    from shopsync import create_app
    from shopsync.extensions import db
    from shopsync.models import (Integration, InventoryLevel, Location, Product, ProductLink, Tenant,
                                 TikTokProduct, TikTokSku, TikTokWarehouse, Variant)
    from shopsync.sync.pushes import flush

    app = create_app()
    with app.app_context():
        upgrade()
        n = args.links
        tenant = Tenant(name="bench", shop_domain="bench.myshopify.com")
        db.session.add(tenant)
        db.session.flush()
        shopify = Integration(tenant_id=tenant.id, platform="shopify", external_id="bench.myshopify.com")
        tiktok = Integration(tenant_id=tenant.id, platform="tiktok", external_id="bench-shop", currency="USD",
                             shop_cipher="x")
        db.session.add_all([shopify, tiktok])
        db.session.flush()
        db.session.add(Location(tenant_id=tenant.id, integration_id=shopify.id, shopify_id=1, name="Main"))
        db.session.add(TikTokWarehouse(tenant_id=tenant.id, integration_id=tiktok.id, tiktok_id="W1",
                                       type="SALES_WAREHOUSE", is_default=True))
        t, s, k = tenant.id, shopify.id, tiktok.id
        products = n // 5
        db.session.execute(insert(Product), [{"id": i + 1, "tenant_id": t, "integration_id": s, "shopify_id": i,
                                              "title": f"P{i}", "status": "ACTIVE"} for i in range(products)])
        db.session.execute(insert(TikTokProduct), [{"id": i + 1, "tenant_id": t, "integration_id": k,
                                                    "tiktok_id": str(10**12 + i), "title": f"P{i}"}
                                                   for i in range(products)])
        db.session.execute(insert(Variant), [{"id": i + 1, "tenant_id": t, "integration_id": s,
                                              "product_id": i // 5 + 1, "shopify_id": i, "sku": f"S{i}",
                                              "price": Decimal("10.00"), "inventory_item_id": i, "position": 1}
                                             for i in range(n)])
        db.session.execute(insert(InventoryLevel), [{"tenant_id": t, "integration_id": s, "inventory_item_id": i,
                                                     "location_id": 1, "available": 5} for i in range(n)])
        db.session.execute(insert(TikTokSku), [{"id": i + 1, "tenant_id": t, "integration_id": k,
                                                "product_id": i // 5 + 1, "tiktok_id": str(2 * 10**12 + i),
                                                "seller_sku": f"S{i}", "price": Decimal("10.00"), "currency": "USD",
                                                "inventory": {"W1": 5}} for i in range(n)])
        due = datetime.now(timezone.utc) - timedelta(minutes=1)
        db.session.execute(insert(ProductLink), [{"tenant_id": t, "variant_id": i + 1, "tiktok_sku_id": i + 1,
                                                  "shopify_integration_id": s, "tiktok_integration_id": k,
                                                  "state": "ok", "dirty": False, "change_seq": 0, "paused": False,
                                                  "schedule": "hourly", "next_sync_at": due,
                                                  "last_pushed_price": Decimal("10.00"), "last_pushed_quantity": 5}
                                                 for i in range(n)])
        db.session.commit()
        db.session.execute(text("ANALYZE"))
        db.session.commit()

        def bare_select() -> list:
            return db.session.execute(select(ProductLink.id, ProductLink.last_pushed_price,
                                             ProductLink.last_pushed_quantity).where(
                ProductLink.tiktok_integration_id == k)).all()

        # A sync reschedules the links it checked: make them due again before each timed run.
        bares, syncs, calls = [], [], 0
        for _ in range(RUNS):
            db.session.execute(update(ProductLink).where(ProductLink.tiktok_integration_id == k)
                               .values(next_sync_at=due))
            db.session.commit()
            started = time.perf_counter()
            rows = bare_select()
            bares.append(time.perf_counter() - started)
            db.session.rollback()
            started = time.perf_counter()
            calls += flush.push_due(k, lambda: None).calls
            syncs.append(time.perf_counter() - started)
        bare, sync = statistics.median(bares), statistics.median(syncs)
        print(f"links: {len(rows)}; median of {RUNS} runs each, alternating")
        print(f"scheduled sync, nothing changed: {sync * 1000:.0f} ms, TikTok calls: {calls}")
        print(f"bare SELECT of the same links:   {bare * 1000:.0f} ms")
        print(f"ratio: {sync / bare:.1f}x")
        if calls:
            raise SystemExit("a sync where nothing changed called TikTok")

if __name__ == "__main__":
    main()
