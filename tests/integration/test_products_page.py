"""The products page: imported catalog, search, status filter, keyset pages, Import now with its progress."""
from __future__ import annotations

import json
import re

from sqlalchemy import select

from shopsync.extensions import db
from shopsync.models import SyncRun
from shopsync.sync.catalog.product_listing import list_products
from tests.support.shopify_import import install_store, run_jobs, shopify_integration



def _csrf(client) -> str:
    page = client.get("/products").get_data(as_text=True)
    return re.search(r'name="csrf_token" value="([^"]+)"', page).group(1)


def test_products_page_lists_searches_filters_and_pages(client, app, shopify_sandbox, shop_domain):
    with app.app_context():
        install_store(client, app, shop_domain)
    products = sorted(shopify_sandbox.shop(shop_domain).products.values(), key=lambda p: (p.title, p.id))

    page = client.get("/products").get_data(as_text=True)
    assert products[0].title in page and products[0].variants[0].sku in page
    assert "Main Warehouse" in page and "Last import" in page and "Next page" not in page

    target = products[5]
    found = client.get("/products", query_string={"q": target.variants[0].sku}).get_data(as_text=True)
    assert target.title in found and products[0].title not in found

    drafts = client.get("/products", query_string={"status": "draft"}).get_data(as_text=True)
    assert all((p.title in drafts) == (p.status == "DRAFT") for p in products)

    seen = []
    cursor = None
    with app.app_context():
        tenant_id = shopify_integration(shop_domain).tenant_id
        while True:
            listing = list_products(tenant_id, cursor=cursor, limit=7)
            seen += [entry.product.shopify_id for entry in listing.entries]
            if listing.next_cursor is None:
                break
            cursor = listing.next_cursor
    assert seen == [p.id for p in products]


def test_import_now_shows_progress_until_the_run_finishes(client, app, shopify_sandbox, shop_domain):
    with app.app_context():
        install_store(client, app, shop_domain)
    answer = client.post("/products/import", headers={"X-CSRFToken": _csrf(client), "HX-Request": "true"})
    assert answer.status_code == 200
    run_id = int(re.search(r'id="run-(\d+)-progress"', answer.get_data(as_text=True)).group(1))
    assert f'data-live="runs" data-live-id="{run_id}"' in answer.get_data(as_text=True)  # the live poll watches it
    assert 'hx-trigger="every 2s' in client.get(f"/live?w=runs:{run_id}").get_data(as_text=True)  # fast while it runs

    with app.app_context():
        assert run_jobs(app, "shopsync.jobs.imports.import_shopify_catalog", arg=run_id) == 1
        run = db.session.execute(select(SyncRun).where(SyncRun.id == run_id)).scalar_one()
        assert (run.trigger, run.status) == ("manual", "succeeded")
    done = client.get(f"/live?w=runs:{run_id}").get_data(as_text=True)
    assert f'id="run-{run_id}-progress"' in done and "Done" in done and 'data-live="runs"' not in done
    assert 'hx-trigger="every 10s' in done  # nothing left running: the page polls slowly


def test_progress_of_another_tenants_run_is_never_sent(client, app, shopify_sandbox, shop_domain):
    other = app.test_client()
    # One app context per merchant: requests inside an app context share its `g`, and with it the
    # logged-in user, which would make the second install join the first merchant's account.
    with app.app_context():
        install_store(client, app, shop_domain, import_catalog=False)
    with app.app_context():
        install_store(other, app, "other-" + shop_domain, import_catalog=False)
        theirs = shopify_integration("other-" + shop_domain)
        run = db.session.execute(select(SyncRun).where(SyncRun.integration_id == theirs.id)).scalar_one()
    assert f'id="run-{run.id}-progress"' not in client.get(f"/live?w=runs:{run.id}").get_data(as_text=True)
    assert f'id="run-{run.id}-progress"' in other.get(f"/live?w=runs:{run.id}").get_data(as_text=True)


def test_stock_lookup_walks_the_store_index_not_every_level_of_the_tenant(app_context, tiktok_sandbox):
    from sqlalchemy import event, insert, text

    from shopsync.models import InventoryLevel

    from tests.support.factories import make_world

    world = make_world(tiktok_sandbox, skus=3)
    # A big store: stock levels of many other items, so reading all of the tenant's levels would show.
    db.session.execute(insert(InventoryLevel), [
        {"tenant_id": world.tenant_id, "integration_id": world.shopify_id, "inventory_item_id": item,
         "location_id": 1, "available": 1} for item in range(1, 5001)])
    db.session.commit()
    statements = []

    def capture(conn, cursor, statement, parameters, context, executemany):
        if "FROM inventory_levels" in statement:
            statements.append((statement, parameters))

    event.listen(db.engine, "before_cursor_execute", capture)
    try:
        [entry] = list_products(world.tenant_id).entries
    finally:
        event.remove(db.engine, "before_cursor_execute", capture)
    assert [line.total_stock for line in entry.variants] == [7, 7, 7]
    [(statement, parameters)] = statements
    connection = db.session.connection()
    connection.execute(text("ANALYZE inventory_levels"))
    connection.execute(text("SET LOCAL enable_seqscan = off"))
    plan = connection.exec_driver_sql("EXPLAIN (FORMAT JSON) " + statement, parameters).scalar()[0]["Plan"]
    db.session.rollback()
    conditions, nodes = [], [plan]
    while nodes:
        node = nodes.pop()
        conditions.append(node.get("Index Cond", ""))
        nodes += node.get("Plans", [])
    assert any("inventory_item_id" in condition for condition in conditions), json.dumps(plan, indent=1)
