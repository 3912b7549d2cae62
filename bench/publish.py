"""Publishing N Shopify products (with images) to TikTok: wall time, TikTok calls per product against the
floor, and memory.

    python -m bench.publish --products 1000

Both sandboxes run as a real server in a child process (their memory is not ours), with TikTok's
per-shop rate of 50 requests a second and ShopSync's client limited to 40. The store is installed through
the real flows, its generated catalog imported, a TikTok shop connected, one category template made (the
"handful of decisions": category, a Material value, package defaults), then every product is published
by the same code the publish job runs: read from Shopify, images downloaded, checked and uploaded once
each, TikTok's listing check, create, links. Reported:
  wall      the publish, and products per second
  calls     TikTok calls per product by endpoint, against the floor of one listing check, one create and
            one upload per distinct image (uploads are counted against the distinct images of the catalog)
  shopify   Shopify GraphQL requests per product (one read each; images are downloaded once each)
  memory    peak RSS of this process before and after the publish
It exits non-zero if any product is not submitted, a product is created twice, or a created SKU is not
linked.
"""
from __future__ import annotations

import argparse
import os
import resource
import sys
import tempfile
import time
from collections import Counter
from urllib.parse import parse_qsl, urlsplit

import requests
from cryptography.fernet import Fernet

from bench._scratch import fresh_database
from bench.import_catalog import _oauth_token, _start_sandbox

BENCH_DB = "shopsync_bench_publish"
SHOP = "bench-publish.myshopify.com"
SERVICE_ID = "7000000000000000001"  # the sandbox's default

def _rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def _connect_tiktok(sandbox_url: str, tenant_id: int):
    from shopsync.platforms.http import new_session
    from shopsync.platforms.tiktok import oauth, products
    from shopsync.sync.connections.tiktok_access import seller_client
    from shopsync.sync.connections.tiktok_connect import connect_shops

    answer = requests.post(f"{sandbox_url}/tiktok/open/authorize", data={
        "service_id": SERVICE_ID, "state": "bench", "decision": "approve"}, allow_redirects=False, timeout=10)
    code = dict(parse_qsl(urlsplit(answer.headers["Location"]).query))["code"]
    tokens = oauth.exchange_code(new_session(), f"{sandbox_url}/tiktok/auth", "sandbox-tiktok-key",
                                 "sandbox-tiktok-secret", code)
    shops = products.authorized_shops(seller_client(tokens.access_token))
    return connect_shops(tenant_id, tokens, shops[:1]).connected[0]


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--products", type=int, default=1000)
    args = parser.parse_args(argv)
    process, sandbox_url = _start_sandbox(tiktok_qps=50, tiktok_audit_seconds=1.0,
                                          tiktok_daily_listing_limit=100_000)
    try:
        os.environ.update({
            "SHOPSYNC_INSTANCE_PATH": tempfile.mkdtemp(prefix="shopsync-bench-"),
            "DATABASE_URL": fresh_database(BENCH_DB), "REDIS_URL": "", "SECRET_KEY": "bench",
            "TOKEN_ENCRYPTION_KEYS": Fernet.generate_key().decode(), "SHOPSYNC_SANDBOX": "1",
            "SHOPSYNC_SANDBOX_MOUNT": "0", "SANDBOX_URL": sandbox_url, "MAIL_ENABLED": "0", "TIKTOK_QPS": "40",
        })
        return _publish(sandbox_url, args.products)
    finally:
        process.terminate()
        process.wait(timeout=10)


def _publish(sandbox_url: str, product_count: int) -> int:
    from flask_migrate import upgrade
    from sqlalchemy import func, select

    from shopsync import create_app
    from shopsync.extensions import db
    from shopsync.models import CategoryTemplate, Image, Listing, Product, ProductLink, TikTokSku, utcnow
    from shopsync.sandbox.tiktok.categories import category_tree
    from shopsync.sync.catalog.shopify_import import SNAPSHOT_MARGIN, create_import_run, export_catalog, load_catalog
    from shopsync.sync.connections.installation import install
    from shopsync.sync.connections.shopify_access import shopify_admin, shopify_base_url
    from shopsync.sync.listings.publish import Publisher
    from shopsync.sync.listings.readiness import listing_shop

    app = create_app({"SHOPIFY_BULK_POLL_SECONDS": 0.2})
    with app.app_context():
        upgrade()
        requests.post(f"{sandbox_url}/shopify/_control/shops", json={"shop": SHOP}, timeout=10).raise_for_status()
        requests.post(f"{sandbox_url}/shopify/_control/shops/{SHOP}/generate",
                      json={"variants": product_count * 5}, timeout=600).raise_for_status()
        shopify = install(SHOP, _oauth_token(shopify_base_url(SHOP)))
        client = shopify_admin(shopify)
        load_catalog(shopify, create_import_run(shopify, "manual"), client, export_catalog(client),
                     utcnow() - SNAPSHOT_MARGIN)
        tiktok = _connect_tiktok(sandbox_url, shopify.tenant_id)
        tees = next(c for c in category_tree().leaves if c.name == "Plain Tees")
        material = next(a for a in category_tree().attributes_of(tees) if a.name == "Material")
        db.session.add(CategoryTemplate(
            tenant_id=tiktok.tenant_id, tiktok_integration_id=tiktok.id, name="Generated tees", position=1,
            match_field="product_type", match_value="Generated", category_id=tees.id, category_path=tees.name,
            attribute_rules=[{"attribute_id": material.id, "source": "value", "value": "Cotton"}], package={}))
        settings = listing_shop(tiktok)
        settings.daily_limit = 100_000  # what Seller Center shows for a graduated shop; the queue is tested apart
        settings.package_defaults = {"weight_value": "0.3", "weight_unit": "KILOGRAMS", "length": "30",
                                                 "width": "20", "height": "3", "dimension_unit": "CENTIMETER"}
        db.session.commit()
        products = list(db.session.execute(select(Product).where(Product.tenant_id == tiktok.tenant_id)
                                           .order_by(Product.id)).scalars())
        images = db.session.execute(select(func.count(Image.id)).where(Image.tenant_id == tiktok.tenant_id)
                                    ).scalar_one()
        requests.delete(f"{sandbox_url}/tiktok/_control/calls", timeout=10)
        requests.delete(f"{sandbox_url}/shopify/_control/requests", timeout=10)
        before_rss = _rss_mb()
        started = time.perf_counter()
        outcome = Publisher(tiktok).publish(products)
        seconds = time.perf_counter() - started
        after_rss = _rss_mb()
        calls = requests.get(f"{sandbox_url}/tiktok/_control/calls", timeout=60).json()["calls"]
        created = db.session.execute(select(func.count(Listing.id)).where(
            Listing.tiktok_integration_id == tiktok.id, Listing.tiktok_product_id.is_not(None))).scalar_one()
        skus = db.session.execute(select(func.count(TikTokSku.id)).where(
            TikTokSku.integration_id == tiktok.id)).scalar_one()
        links = db.session.execute(select(func.count(ProductLink.id)).where(
            ProductLink.tiktok_integration_id == tiktok.id)).scalar_one()
    shopify_calls = len(requests.get(f"{sandbox_url}/shopify/_control/requests", timeout=60).json())
    return _report(product_count, len(products), images, outcome, seconds, calls, created, skus, links,
                   before_rss, after_rss, shopify_calls)


def _report(wanted, products, images, outcome, seconds, calls, created, skus, links, before_rss, after_rss,
            shopify_calls) -> int:
    by_path = Counter(_endpoint(call) for call in calls if call["code"] == 0)
    failed = Counter(_endpoint(call) for call in calls if call["code"] != 0)
    floor = 2 * products + images
    total = sum(by_path.values())
    print(f"catalog: {products} products ({wanted} asked), {images} distinct images")
    print(f"wall: {seconds:.1f}s to publish = {products / seconds:.1f} products/s "
          f"({len(outcome.submitted)} submitted, {len(outcome.blocked)} blocked, {len(outcome.waiting)} waiting)")
    for endpoint, count in sorted(by_path.items(), key=lambda item: -item[1]):
        print(f"  {endpoint:42} {count:6}  {count / products:.2f}/product")
    if failed:
        print(f"  refused or failed calls (retried): {dict(failed)}")
    print(f"calls per product: {total / products:.2f} against a floor of {floor / products:.2f} "
          f"(1 check + 1 create + {images / products:.2f} uploads); ratio {total / floor:.2f}x")
    print(f"shopify: {shopify_calls} GraphQL requests ({shopify_calls / products:.2f}/product), "
          f"and one download per image")
    print(f"peak RSS: {before_rss:.0f} MB before the publish, {after_rss:.0f} MB after "
          f"(+{after_rss - before_rss:.0f} MB)")
    ok = len(outcome.submitted) == products == created and by_path.get("POST /product/202309/products") == products \
        and links == skus
    print(f"consistency: {created} listings created once each, {skus} SKUs, {links} links: "
          f"{'ok' if ok else 'FAILED'}")
    return 0 if ok else 1


def _endpoint(call: dict) -> str:
    """"POST /product/202309/products", ids replaced by {id}."""
    parts = ["{id}" if part.isdigit() and len(part) > 8 else part for part in call["path"].split("/")]
    return f"{call['method']} {'/'.join(parts)}"


if __name__ == "__main__":
    sys.exit(main())
