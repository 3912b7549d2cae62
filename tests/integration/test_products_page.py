"""The products page: imported catalog, search, status filter, keyset pages, Import now with its progress."""
from __future__ import annotations

import re

from sqlalchemy import select

from shopsync.extensions import db
from shopsync.models import SyncRun
from shopsync.sync.product_listing import list_products
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
    run_id = int(re.search(r'/sync-runs/(\d+)/progress', answer.get_data(as_text=True)).group(1))
    assert 'hx-trigger="every 1s"' in answer.get_data(as_text=True)

    with app.app_context():
        assert run_jobs(app, "shopsync.jobs.imports.import_shopify_catalog", arg=run_id) == 1
        run = db.session.execute(select(SyncRun).where(SyncRun.id == run_id)).scalar_one()
        assert (run.trigger, run.status) == ("manual", "succeeded")
    done = client.get(f"/sync-runs/{run_id}/progress").get_data(as_text=True)
    assert "succeeded" in done and "hx-trigger" not in done


def test_progress_of_another_tenants_run_is_not_found(client, app, shopify_sandbox, shop_domain):
    other = app.test_client()
    with app.app_context():
        install_store(client, app, shop_domain, import_catalog=False)
        install_store(other, app, "other-" + shop_domain, import_catalog=False)
        theirs = shopify_integration("other-" + shop_domain)
        run = db.session.execute(select(SyncRun).where(SyncRun.integration_id == theirs.id)).scalar_one()
    assert client.get(f"/sync-runs/{run.id}/progress").status_code == 404
    assert other.get(f"/sync-runs/{run.id}/progress").status_code == 200
