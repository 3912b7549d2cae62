"""How fast the big merchant pages render: /products and /product-links with 50,000 variants and 20,000 links.

Fills one tenant (plus a smaller neighbour, so tenant filters matter) in a
database of its own with bulk inserts, then times each page with the Flask test
client, logged in, median of several runs, and prints the ratio to a bare
SELECT of the same page's rows: how much the page costs over its data.

    .venv/bin/python -m bench.pages            # PostgreSQL on 127.0.0.1 (BENCH_PG_ADMIN_URL)
"""
from __future__ import annotations

import os
import statistics
import sys
import time
from decimal import Decimal

from bench._scratch import fresh_database

BENCH_DB = "shopsync_bench_pages"
PRODUCTS = 10_000
VARIANTS_PER_PRODUCT = 5  # 50,000 variants
LOCATIONS = 2
LINKS = 20_000
LOGS = 100_000
RUNS = 15
BUDGET_MS = 300.0


def _app(database_url: str):
    os.environ.update({"DATABASE_URL": database_url, "REDIS_URL": "", "SECRET_KEY": "bench",
                       "SHOPSYNC_SANDBOX": "1", "SHOPSYNC_SANDBOX_MOUNT": "0"})
    os.environ.setdefault("SHOPSYNC_INSTANCE_PATH", "/tmp/shopsync-bench-instance")
    from flask_migrate import upgrade

    from shopsync import create_app

    app = create_app({"TESTING": True, "WTF_CSRF_ENABLED": False})
    with app.app_context():
        upgrade()
    return app


def _fill(app, shop: str, products: int, links: int, logs: int) -> str:
    """One merchant's catalog, TikTok shop, links and logs; returns the user id to log in as."""
    from sqlalchemy import insert, select

    from shopsync.extensions import db
    from shopsync.models import (Image, Integration, InventoryLevel, Location, Product, ProductLink, SyncLog,
                                 SyncRun, Tenant, TikTokProduct, TikTokSku, TikTokWarehouse, User, Variant, utcnow)

    now = utcnow()
    with app.app_context():
        tenant = Tenant(name=shop, shop_domain=shop)
        db.session.add(tenant)
        db.session.flush()
        t = tenant.id
        user = User(tenant_id=t, shopify_user_id=1, email=f"owner@{shop}", account_owner=True)
        shopify = Integration(tenant_id=t, platform="shopify", external_id=shop, name=shop)
        tiktok = Integration(tenant_id=t, platform="tiktok", external_id=f"tt-{shop}", name=f"TikTok {shop}",
                             currency="USD")
        db.session.add_all([user, shopify, tiktok])
        db.session.flush()
        s, k = shopify.id, tiktok.id

        def bulk(model, rows):
            for start in range(0, len(rows), 10_000):
                db.session.execute(insert(model), rows[start:start + 10_000])

        bulk(Location, [{"tenant_id": t, "integration_id": s, "shopify_id": 100 + n, "name": f"Warehouse {n}"}
                        for n in range(LOCATIONS)])
        bulk(TikTokWarehouse, [{"tenant_id": t, "integration_id": k, "tiktok_id": "W1", "name": "Main",
                                "type": "SALES_WAREHOUSE", "is_default": True}])
        bulk(Product, [{"tenant_id": t, "integration_id": s, "shopify_id": 1_000_000 + p,
                        "title": f"Product {p:05d} {('Shirt', 'Mug', 'Cap', 'Sock')[p % 4]}", "status": "active"}
                       for p in range(products)])
        product_ids = list(db.session.execute(select(Product.id).where(Product.tenant_id == t)
                                              .order_by(Product.shopify_id)).scalars())
        bulk(Image, [{"tenant_id": t, "product_id": pid, "shopify_id": pid, "position": 1,
                      "url": f"https://cdn.example.com/{pid}.jpg"} for pid in product_ids])
        variants = []
        for p, pid in enumerate(product_ids):
            for v in range(VARIANTS_PER_PRODUCT):
                n = p * VARIANTS_PER_PRODUCT + v
                variants.append({"tenant_id": t, "integration_id": s, "product_id": pid, "shopify_id": 5_000_000 + n,
                                 "title": f"Size {v}", "sku": f"SKU-{n:06d}", "barcode": f"{n:012d}",
                                 "price": Decimal("19.99"), "inventory_item_id": 9_000_000 + n, "position": v + 1,
                                 "inventory_quantity": 10})
        bulk(Variant, variants)
        bulk(InventoryLevel, [{"tenant_id": t, "integration_id": s, "inventory_item_id": row["inventory_item_id"],
                               "location_id": 100 + n, "available": 5} for row in variants for n in range(LOCATIONS)])
        variant_ids = list(db.session.execute(select(Variant.id).where(Variant.tenant_id == t)
                                              .order_by(Variant.shopify_id)).scalars())
        tt_products = links // 4
        bulk(TikTokProduct, [{"tenant_id": t, "integration_id": k, "tiktok_id": f"TP{n}", "title": f"TikTok {n}"}
                             for n in range(tt_products)])
        tt_ids = list(db.session.execute(select(TikTokProduct.id).where(TikTokProduct.tenant_id == t)
                                         .order_by(TikTokProduct.id)).scalars())
        bulk(TikTokSku, [{"tenant_id": t, "integration_id": k, "product_id": tt_ids[n // 4], "tiktok_id": f"TS{n}",
                          "seller_sku": f"SKU-{n:06d}", "price": Decimal("19.99"), "currency": "USD",
                          "inventory": {"W1": 10}} for n in range(links)])
        sku_ids = list(db.session.execute(select(TikTokSku.id).where(TikTokSku.tenant_id == t)
                                          .order_by(TikTokSku.id)).scalars())
        states = ("ok",) * 17 + ("pending", "error", "ok")
        bulk(ProductLink, [{"tenant_id": t, "variant_id": variant_ids[n], "tiktok_sku_id": sku_ids[n],
                            "shopify_integration_id": s, "tiktok_integration_id": k, "state": states[n % 20],
                            "paused": n % 50 == 0, "dirty": False, "change_seq": 0, "created_at": now,
                            "last_pushed_price": Decimal("19.99"), "last_pushed_quantity": 10, "last_synced_at": now,
                            "last_error": "Product is under review" if states[n % 20] == "error" else None}
                           for n in range(links)])
        link_ids = list(db.session.execute(select(ProductLink.id).where(ProductLink.tenant_id == t)
                                           .order_by(ProductLink.id)).scalars())
        run = SyncRun(tenant_id=t, integration_id=k, kind="push", trigger="schedule", status="succeeded",
                      total=links, done=links, started_at=now, finished_at=now)
        db.session.add(run)
        db.session.flush()
        bulk(SyncLog, [{"tenant_id": t, "run_id": run.id, "link_id": link_ids[n % links], "field": "inventory",
                        "before": "9", "after": "10", "result": "ok", "trigger": "schedule", "created_at": now}
                       for n in range(logs)])
        user.shopify_integration_id = s
        db.session.commit()
        return user.get_id()


def _logged_in_client(app, session_user_id: str):
    from flask_login.utils import _create_identifier

    client = app.test_client()
    with app.test_request_context(environ_base={"REMOTE_ADDR": "127.0.0.1"},
                                  headers={"User-Agent": "shopsync-bench"}):
        identifier = _create_identifier()
    client.environ_base.update({"REMOTE_ADDR": "127.0.0.1", "HTTP_USER_AGENT": "shopsync-bench"})
    with client.session_transaction() as session:
        session.update({"_user_id": session_user_id, "_fresh": True, "_id": identifier})
    return client


def _median_ms(action, runs: int = RUNS) -> float:
    action()  # warm caches and statement compilation, as a running server is
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        action()
        times.append((time.perf_counter() - start) * 1000)
    return statistics.median(times)


def _page(client, path: str):
    def fetch():
        answer = client.get(path)
        if answer.status_code != 200:
            raise SystemExit(f"{path} answered {answer.status_code}")
        return answer
    return fetch


def _bare(app, sql: str, **params):
    from sqlalchemy import text

    from shopsync.extensions import db

    def select_rows():
        with app.app_context():
            db.session.execute(text(sql), params).all()
    return select_rows


def main() -> int:
    from sqlalchemy import func, select

    app = _app(fresh_database(BENCH_DB))
    start = time.perf_counter()
    _fill(app, "neighbour.myshopify.com", 2_000, 4_000, 10_000)
    session_user_id = _fill(app, "big-store.myshopify.com", PRODUCTS, LINKS, LOGS)
    with app.app_context():
        from shopsync.extensions import db
        from shopsync.models import Tenant, Variant
        tenant_id = db.session.execute(select(Tenant.id).where(Tenant.shop_domain == "big-store.myshopify.com")
                                       ).scalar_one()
        variants = db.session.execute(select(func.count()).select_from(Variant)
                                      .where(Variant.tenant_id == tenant_id)).scalar_one()
        db.session.execute(db.text("ANALYZE"))
        db.session.commit()
    print(f"filled {variants} variants and {LINKS} links (+ a neighbour) in {time.perf_counter() - start:.1f} s")

    client = _logged_in_client(app, session_user_id)
    products_rows = ("SELECT * FROM products WHERE tenant_id = :t ORDER BY title, id LIMIT 51")
    link_rows = (
        "SELECT product_links.*, variants.title, variants.sku, products.title, tiktok_skus.seller_sku "
        "FROM product_links JOIN variants ON variants.id = product_links.variant_id "
        "JOIN products ON products.id = variants.product_id "
        "JOIN tiktok_skus ON tiktok_skus.id = product_links.tiktok_sku_id "
        "WHERE product_links.tenant_id = :t ORDER BY product_links.id DESC LIMIT 51")
    cases = [
        ("/products", products_rows),
        ("/products?q=Mug", products_rows),
        ("/product-links", link_rows),
        ("/product-links?state=error", link_rows),
        ("/product-links?q=SKU-0123", link_rows),
        ("/sync-logs", "SELECT * FROM sync_logs WHERE tenant_id = :t ORDER BY id DESC LIMIT 51"),
        ("/", "SELECT state, count(*) FROM product_links WHERE tenant_id = :t GROUP BY state"),
    ]
    with app.app_context():  # a later page of each list, reached by its keyset link
        from shopsync.models import ProductLink
        middle = db.session.execute(select(ProductLink.id).where(ProductLink.tenant_id == tenant_id)
                                    .order_by(ProductLink.id).offset(LINKS // 2).limit(1)).scalar_one()
    cases.insert(4, (f"/product-links?before={middle}", link_rows))

    slow = []
    print(f"{'page':38} {'median ms':>10} {'bare SELECT ms':>15} {'ratio':>7}")
    for path, sql in cases:
        page_ms = _median_ms(_page(client, path))
        bare_ms = _median_ms(_bare(app, sql, t=tenant_id))
        print(f"{path:38} {page_ms:10.1f} {bare_ms:15.2f} {page_ms / bare_ms:7.1f}")
        if page_ms > BUDGET_MS and path.split("?")[0] in ("/products", "/product-links"):
            slow.append(path)
    if slow:
        print(f"over the {BUDGET_MS:.0f} ms budget: {', '.join(slow)}")
        return 1
    print(f"every /products and /product-links page is under {BUDGET_MS:.0f} ms")
    return 0


if __name__ == "__main__":
    sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
    sys.exit(main())
