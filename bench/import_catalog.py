"""How fast a full Shopify catalog import does its own work, against the database's floor.

    python -m bench.import_catalog --variants 50000

The Shopify sandbox runs as a real server in a child process (so its memory is not
ours) with a generated catalog. The import goes through the real path: OAuth
token, bulk exports, JSONL streamed over HTTP, parsed and upserted in batches into
a fresh PostgreSQL database. Times reported:
  export   the sandbox generating its two JSONL files (Shopify's side, not ours)
  import   our local work: download stream, parse, stage, upsert, sweep
  re-import  the same files again: every row compared and kept (what a scheduled full
           import of an unchanged catalog costs), as a ratio to the first import
  floor    COPY of the very same rows, prepared in memory beforehand, into the
           same tables (a second store of the same tenant), side by side in this run
and peak RSS of this process (resource.getrusage), before and after the import.
"""
from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import tempfile
import time
from urllib.parse import parse_qsl, urlsplit

import requests
from cryptography.fernet import Fernet

from bench._scratch import fresh_database

BENCH_DB = "shopsync_bench_import"
SHOP = "bench-store.myshopify.com"
CALLBACK = "http://127.0.0.1:9/auth/shopify/callback"

_SANDBOX_SERVER = """
import json, sys
from werkzeug.serving import make_server
from shopsync.sandbox.app import create_sandbox_app
app = create_sandbox_app({"shopify_api_key": "sandbox-shopify-key", "shopify_api_secret": "sandbox-shopify-secret",
                          "shopify_redirect_uris": [sys.argv[1]], "tiktok_app_key": "sandbox-tiktok-key",
                          "tiktok_app_secret": "sandbox-tiktok-secret", "tiktok_service_id": "7000000000000000001",
                          "tiktok_redirect_uri": sys.argv[1], **json.loads(sys.argv[2])})
import logging; logging.getLogger("werkzeug").setLevel(logging.ERROR)
server = make_server("127.0.0.1", 0, app, threaded=True)
print(server.server_port, flush=True)
server.serve_forever()
"""


def _rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def _start_sandbox(**settings) -> tuple[subprocess.Popen, str]:
    """Both sandboxes on a server of their own in a child process; `settings` add to or replace its defaults."""
    process = subprocess.Popen([sys.executable, "-c", _SANDBOX_SERVER, CALLBACK, json.dumps(settings)],
                               stdout=subprocess.PIPE, text=True)
    port = int(process.stdout.readline())
    return process, f"http://127.0.0.1:{port}"


def _oauth_token(base: str):
    """The sandbox's own install flow: grant page, approve, code exchange (expiring offline token)."""
    from shopsync.platforms.shopify import oauth

    params = {"client_id": "sandbox-shopify-key", "scope": "read_products,read_inventory,read_locations",
              "redirect_uri": CALLBACK, "state": "bench"}
    requests.get(f"{base}/admin/oauth/authorize", params=params, timeout=10).raise_for_status()
    answer = requests.post(f"{base}/admin/oauth/authorize", data={**params, "decision": "install"},
                           allow_redirects=False, timeout=10)
    code = dict(parse_qsl(urlsplit(answer.headers["Location"]).query))["code"]
    return oauth.exchange_code(base, "sandbox-shopify-key", "sandbox-shopify-secret", code)


def _floor_rows(session, integration_id: int, variants: int):
    """The rows the import wrote, as tuples for COPY into a second store (ids allocated up front)."""
    from sqlalchemy import text

    products = session.execute(text(
        "SELECT id, shopify_id, title, handle, status, vendor, product_type, shopify_updated_at FROM products "
        "WHERE integration_id = :i ORDER BY id"), {"i": integration_id}).all()
    new_ids = [row[0] for row in session.execute(text(
        "SELECT nextval(pg_get_serial_sequence('products', 'id')) FROM generate_series(1, :n)"),
        {"n": len(products)}).all()]
    mapped = {old[0]: new for old, new in zip(products, new_ids)}
    product_rows = [(mapped[p[0]], *p[1:]) for p in products]
    variant_rows = [(mapped[v[0]], *v[1:]) for v in session.execute(text(
        "SELECT product_id, shopify_id, title, sku, barcode, price, compare_at_price, inventory_item_id, "
        "inventory_quantity, position, shopify_updated_at FROM variants WHERE integration_id = :i"),
        {"i": integration_id}).all()]
    image_rows = [(mapped[i[0]], *i[1:]) for i in session.execute(text(
        "SELECT images.product_id, images.shopify_id, url, alt, images.position FROM images "
        "JOIN products ON products.id = images.product_id WHERE products.integration_id = :i"),
        {"i": integration_id}).all()]
    level_rows = session.execute(text(
        "SELECT inventory_item_id, location_id, available, shopify_updated_at FROM inventory_levels "
        "WHERE integration_id = :i"), {"i": integration_id}).all()
    assert len(variant_rows) == variants, (len(variant_rows), variants)
    return product_rows, variant_rows, image_rows, level_rows


def _copy_floor(engine, tenant_id: int, integration_id: int, rows) -> float:
    product_rows, variant_rows, image_rows, level_rows = rows
    tables = [
        ("products", "id, shopify_id, title, handle, status, vendor, product_type, shopify_updated_at",
         product_rows),
        ("variants", "product_id, shopify_id, title, sku, barcode, price, compare_at_price, inventory_item_id, "
                     "inventory_quantity, position, shopify_updated_at", variant_rows),
        ("images", "product_id, shopify_id, url, alt, position", image_rows),
        ("inventory_levels", "inventory_item_id, location_id, available, shopify_updated_at", level_rows),
    ]
    raw = engine.raw_connection()
    try:
        connection = raw.driver_connection
        started = time.perf_counter()
        with connection.cursor() as cursor:
            for table, columns, values in tables:
                owner = "tenant_id" if table == "images" else "tenant_id, integration_id"
                prefix = (tenant_id,) if table == "images" else (tenant_id, integration_id)
                with cursor.copy(f"COPY {table} ({owner}, {columns}) FROM STDIN") as copy:
                    for value in values:
                        copy.write_row(prefix + tuple(value))
        connection.commit()
        return time.perf_counter() - started
    finally:
        raw.close()


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--variants", type=int, default=50_000)
    args = parser.parse_args(argv)

    sandbox, sandbox_url = _start_sandbox()
    try:
        os.environ.update({
            "SHOPSYNC_INSTANCE_PATH": tempfile.mkdtemp(prefix="shopsync-bench-"),
            "DATABASE_URL": fresh_database(BENCH_DB), "REDIS_URL": "", "SECRET_KEY": "bench",
            "TOKEN_ENCRYPTION_KEYS": Fernet.generate_key().decode(), "SHOPSYNC_SANDBOX": "1",
            "SHOPSYNC_SANDBOX_MOUNT": "0", "SANDBOX_URL": sandbox_url, "MAIL_ENABLED": "0",
        })
        from flask_migrate import upgrade

        from shopsync import create_app
        from shopsync.extensions import db
        from shopsync.models import Integration, utcnow
        from shopsync.sync.catalog.shopify_import import (SNAPSHOT_MARGIN, create_import_run, export_catalog,
                                                          load_catalog)
        from shopsync.sync.connections.installation import install
        from shopsync.sync.connections.shopify_access import shopify_admin, shopify_base_url

        app = create_app({"SHOPIFY_BULK_POLL_SECONDS": 0.2})
        with app.app_context():
            upgrade()
            requests.post(f"{sandbox_url}/shopify/_control/shops", json={"shop": SHOP}, timeout=10).raise_for_status()
            generated = requests.post(f"{sandbox_url}/shopify/_control/shops/{SHOP}/generate",
                                      json={"variants": args.variants}, timeout=600).json()["variants"]
            integration, _ = install(SHOP, _oauth_token(shopify_base_url(SHOP)))
            run = create_import_run(integration, "manual")
            baseline_rss = _rss_mb()

            client = shopify_admin(integration)
            started = time.perf_counter()
            snapshot = utcnow() - SNAPSHOT_MARGIN
            exports = export_catalog(client)
            export_seconds = time.perf_counter() - started
            started = time.perf_counter()
            load_catalog(integration, run, client, exports, snapshot)
            import_seconds = time.perf_counter() - started
            peak_rss = _rss_mb()
            started = time.perf_counter()
            load_catalog(integration, create_import_run(integration, "manual"), client, exports, snapshot)
            reimport_seconds = time.perf_counter() - started

            rows = _floor_rows(db.session, integration.id, generated)
            db.session.commit()
            floor_store = Integration(tenant_id=integration.tenant_id, platform="shopify",
                                      external_id="floor-" + SHOP, name="floor")
            db.session.add(floor_store)
            db.session.commit()
            floor_seconds = _copy_floor(db.engine, integration.tenant_id, floor_store.id, rows)

        lines = sum(export.object_count or 0 for export in exports)
        print(f"catalog: {generated} variants, {len(rows[0])} products, {len(rows[2])} images, "
              f"{len(rows[3])} stock levels ({lines} JSONL lines)")
        print(f"export (sandbox file generation): {export_seconds:.2f}s")
        print(f"import (stream + parse + upsert + sweep): {import_seconds:.2f}s = "
              f"{generated / import_seconds:,.0f} variants/s")
        print(f"floor (COPY of the same rows into the same tables): {floor_seconds:.2f}s = "
              f"{generated / floor_seconds:,.0f} variants/s")
        print(f"ratio import/floor: {import_seconds / floor_seconds:.2f}x")
        print(f"re-import of the same files, nothing changed (compare, keep, sweep): {reimport_seconds:.2f}s = "
              f"{reimport_seconds / import_seconds:.2f}x the first import")
        print(f"peak RSS: {baseline_rss:.0f} MB before the import, {peak_rss:.0f} MB after "
              f"(+{peak_rss - baseline_rss:.0f} MB)")
    finally:
        sandbox.terminate()
        sandbox.wait(timeout=10)


if __name__ == "__main__":
    main()
