"""Shopify catalog import against the sandbox on real PostgreSQL and Redis."""
from __future__ import annotations

import math
from datetime import timedelta
from decimal import Decimal

import pytest
from sqlalchemy import func, select

from shopsync.extensions import db
from shopsync.models import Alert, Image, InventoryLevel, Location, Product, SyncRun, Variant
from shopsync.platforms.http import PlatformError
from shopsync.platforms.shopify import queries
from shopsync.sandbox.shopify.store import Location as SandboxLocation
from shopsync.security.credentials import access_token
from shopsync.sync.catalog.shopify_import import FULL, INCREMENTAL, create_import_run, run_import
from shopsync.sync.connections.webhook_subscriptions import webhook_address
from tests.support.shopify_import import install_store

pytestmark = pytest.mark.usefixtures("app_context")


def _import(integration, mode=FULL) -> SyncRun:
    run = create_import_run(integration, "manual")
    try:
        run_import(run, mode)
    except PlatformError:
        pass  # re-raised for the job's retry; the run holds the outcome
    db.session.refresh(run)
    db.session.refresh(integration)
    return run


def _stored_catalog(integration) -> dict:
    products = {p.shopify_id: p for p in db.session.execute(
        select(Product).where(Product.integration_id == integration.id)).scalars()}
    variants = {v.shopify_id: v for v in db.session.execute(
        select(Variant).where(Variant.integration_id == integration.id)).scalars()}
    images = {}
    for image in db.session.execute(select(Image).where(Image.tenant_id == integration.tenant_id)
                                    .order_by(Image.position)).scalars():
        images.setdefault(image.product_id, []).append(image.shopify_id)
    levels = {(level.inventory_item_id, level.location_id): level.available for level in db.session.execute(
        select(InventoryLevel).where(InventoryLevel.integration_id == integration.id)).scalars()}
    return {"products": products, "variants": variants, "images": images, "levels": levels}


def _assert_matches_sandbox(integration, sandbox_shop) -> None:
    stored = _stored_catalog(integration)
    assert set(stored["products"]) == set(sandbox_shop.products)
    expected_levels = {}
    for product in sandbox_shop.products.values():
        row = stored["products"][product.id]
        assert (row.title, row.status, row.vendor) == (product.title, product.status.lower(), product.vendor)
        assert stored["images"].get(row.id, []) == product.image_ids
        for variant in product.variants:
            stored_variant = stored["variants"][variant.id]
            assert stored_variant.product_id == row.id
            assert (stored_variant.sku, stored_variant.barcode, stored_variant.position) == (
                variant.sku, variant.barcode, variant.position)
            assert stored_variant.price == variant.price
            assert stored_variant.compare_at_price == variant.compare_at_price
            assert stored_variant.inventory_item_id == variant.inventory_item_id
            for location_id, available in variant.levels.items():
                expected_levels[(variant.inventory_item_id, location_id)] = available
    assert set(stored["variants"]) == {v.id for p in sandbox_shop.products.values() for v in p.variants}
    assert stored["levels"] == expected_levels


def test_install_subscribes_webhooks_and_imports_the_whole_demo_catalog(client, app, shopify_sandbox, shop_domain):
    integration = install_store(client, app, shop_domain)
    shop = shopify_sandbox.shop(shop_domain)

    _assert_matches_sandbox(integration, shop)
    locations = db.session.execute(select(Location.shopify_id, Location.name).where(
        Location.integration_id == integration.id)).all()
    assert sorted(locations) == sorted((loc.id, loc.name) for loc in shop.locations.values())
    run = db.session.execute(select(SyncRun).where(SyncRun.integration_id == integration.id)).scalar_one()
    assert (run.kind, run.trigger, run.status) == ("import", "install", "succeeded")
    assert run.total > 0 and run.done == run.total and run.finished_at is not None
    assert integration.last_import_at is not None
    assert integration.catalog_updated_through == max(p.updated_at for p in shop.products.values())
    subscriptions = sorted((s.topic, s.uri) for s in shop.subscriptions.values())
    assert subscriptions == sorted((topic, webhook_address()) for topic in (
        "PRODUCTS_CREATE", "PRODUCTS_UPDATE", "PRODUCTS_DELETE", "INVENTORY_LEVELS_UPDATE", "INVENTORY_ITEMS_UPDATE",
        "APP_UNINSTALLED", "BULK_OPERATIONS_FINISH", "FULFILLMENTS_CREATE", "FULFILLMENTS_UPDATE"))


def test_reimport_changes_nothing_and_removes_what_shopify_deleted(client, app, shopify_sandbox, shop_domain):
    integration = install_store(client, app, shop_domain)
    shopify_sandbox.set_webhook_delivery(paused=True)  # only the import may notice the deletion
    try:
        victim = next(iter(shopify_sandbox.shop(shop_domain).products.values()))
        shopify_sandbox.delete_product(shop_domain, victim.id)
        assert _import(integration).status == "succeeded"
    finally:
        shopify_sandbox.release_webhooks()
    _assert_matches_sandbox(integration, shopify_sandbox.shop(shop_domain))
    assert db.session.execute(select(func.count()).select_from(Variant).where(
        Variant.integration_id == integration.id, Variant.shopify_id.in_([v.id for v in victim.variants]))).scalar() == 0

    before = _stored_catalog(integration)
    _import(integration)
    after = _stored_catalog(integration)
    assert {k: v.id for k, v in after["variants"].items()} == {k: v.id for k, v in before["variants"].items()}
    assert after["levels"] == before["levels"]


def test_incremental_import_reads_changed_products_and_their_stock(client, app, shopify_sandbox, shop_domain):
    integration = install_store(client, app, shop_domain)
    shopify_sandbox.set_webhook_delivery(paused=True)
    try:
        product = list(shopify_sandbox.shop(shop_domain).products.values())[3]
        variant = product.variants[0]
        main, downtown = sorted(shopify_sandbox.shop(shop_domain).locations)
        shopify_sandbox.set_price(shop_domain, variant.id, "77.50")
        shopify_sandbox.set_stock(shop_domain, downtown, 123, variant_id=variant.id)
        created = shopify_sandbox.create_product(shop_domain, "Brand New Scarf",
                                                 [{"sku": "SCARF-1", "price": "15.00", "levels": {main: 4}}])
        shopify_sandbox.clear_request_log()
        run = _import(integration, INCREMENTAL)
    finally:
        shopify_sandbox.release_webhooks()

    assert run.status == "succeeded"
    stored = _stored_catalog(integration)
    assert stored["variants"][variant.id].price == Decimal("77.50")
    assert stored["levels"][(variant.inventory_item_id, downtown)] == 123
    assert stored["variants"][created.variants[0].id].sku == "SCARF-1"
    assert stored["levels"][(created.variants[0].inventory_item_id, main)] == 4
    _assert_matches_sandbox(integration, shopify_sandbox.shop(shop_domain))
    # Only recently changed products were read, not the whole catalog again.
    assert run.done < 10
    assert not any(entry["operation"] == "mutation" for entry in shopify_sandbox.request_log(shop_domain))


def test_incremental_import_reads_every_level_of_an_item_stocked_at_many_locations(
        client, app, shopify_sandbox, shop_domain):
    integration = install_store(client, app, shop_domain)
    store = shopify_sandbox.shop(shop_domain)
    for number in range(12):  # more than the 10 levels the first request reads per item
        store.locations[72_000 + number] = SandboxLocation(id=72_000 + number, name=f"Depot {number}")
    levels = {72_000 + number: number + 1 for number in range(12)}
    shopify_sandbox.set_webhook_delivery(paused=True)
    try:
        created = shopify_sandbox.create_product(shop_domain, "Widely Stocked Lamp",
                                                 [{"sku": "LAMP-1", "price": "30.00", "levels": levels}])
        run = _import(integration, INCREMENTAL)
    finally:
        shopify_sandbox.release_webhooks()
    assert run.status == "succeeded"
    item = created.variants[0].inventory_item_id
    stored = _stored_catalog(integration)["levels"]
    assert {location: stored[(item, location)] for location in levels} == levels


def test_paged_reads_stay_under_the_cost_limit_and_a_forced_throttle_is_retried(
        client, app, shopify_sandbox, shop_domain):
    integration = install_store(client, app, shop_domain)
    shopify_sandbox.set_bucket(shop_domain, maximum_available=1000, restore_rate=1000, currently_available=1000)
    integration.catalog_updated_through -= timedelta(days=365)  # re-read everything page by page
    db.session.commit()
    shopify_sandbox.clear_request_log()
    assert _import(integration, INCREMENTAL).status == "succeeded"
    store = shopify_sandbox.shop(shop_domain)
    items = sum(len(product.variants) for product in store.products.values())
    reads = shopify_sandbox.request_log(shop_domain)
    # Products a page at a time, their stock 25 items a request: paged, and every request under the cap.
    assert len(reads) >= (math.ceil(len(store.products) / queries.PRODUCTS_PAGE_SIZE)
                          + math.ceil(items / queries.INVENTORY_ITEMS_PAGE_SIZE))
    assert max(entry["requested_cost"] for entry in reads) <= 1000
    assert sum(entry["operation"] == "query" for entry in reads) < items  # not one request per item
    assert shopify_sandbox.throttled_requests(shop_domain) == []

    shopify_sandbox.add_fault("throttle", count=1, shop=shop_domain)
    shopify_sandbox.set_price(shop_domain, next(iter(shopify_sandbox.shop(shop_domain).products.values()))
                              .variants[0].id, "1.25")
    assert _import(integration, INCREMENTAL).status == "succeeded"
    throttled = shopify_sandbox.throttled_requests(shop_domain)
    assert [entry["fault"] for entry in throttled] == ["throttle"]
    _assert_matches_sandbox(integration, shopify_sandbox.shop(shop_domain))


def test_expired_token_is_refreshed_and_a_revoked_one_needs_reauthorization(
        client, app, shopify_sandbox, shop_domain):
    integration = install_store(client, app, shop_domain)
    old_token = access_token(integration)
    shopify_sandbox.expire_tokens(shop_domain)  # Shopify refuses it although we think it is still valid
    assert _import(integration).status == "succeeded"
    assert access_token(integration) != old_token and integration.status == "active"

    shopify_sandbox.revoke_tokens(shop_domain)
    shopify_sandbox.expire_tokens(shop_domain, refresh_tokens=True)
    run = _import(integration)
    assert run.status == "failed"
    assert integration.status == "needs_reauth" and integration.status_reason
    alert = db.session.execute(select(Alert).where(Alert.tenant_id == integration.tenant_id)).scalar_one()
    assert (alert.kind, alert.subject_key) == ("needs_reauth", f"integration:{integration.id}")


@pytest.mark.parametrize("mode", [INCREMENTAL, FULL])
def test_a_grant_missing_a_permission_asks_the_merchant_to_reconnect(client, app, shopify_sandbox, shop_domain, mode):
    integration = install_store(client, app, shop_domain)
    shopify_sandbox.narrow_grant(shop_domain, "read_products,read_locations")  # read_inventory not approved
    integration.catalog_updated_through -= timedelta(days=1)
    db.session.commit()
    token = access_token(integration)
    run = _import(integration, mode)
    assert run.status == "failed"
    assert integration.status == "needs_reauth"
    assert "needs a permission this store has not granted" in integration.status_reason
    if mode == INCREMENTAL:
        assert "read_inventory" in integration.status_reason
    alert = db.session.execute(select(Alert).where(Alert.tenant_id == integration.tenant_id)).scalar_one()
    assert (alert.kind, alert.subject_key) == ("needs_reauth", f"integration:{integration.id}")
    assert access_token(integration) == token  # a refreshed token would carry the same grant: none was asked for


def test_bulk_import_of_a_20000_variant_catalog(client, app, shopify_sandbox, shop_domain):
    integration = install_store(client, app, shop_domain, import_catalog=False)
    assert shopify_sandbox.load_generated_catalog(shop_domain, 20_000) == 20_000
    run = _import(integration)
    assert run.status == "succeeded", run.message
    count = db.session.execute(select(func.count()).select_from(Variant).where(
        Variant.integration_id == integration.id)).scalar()
    assert count == 20_000
    _assert_matches_sandbox(integration, shopify_sandbox.shop(shop_domain))


def test_full_import_records_the_currency_the_store_sells_in(client, app, shopify_sandbox, shop_domain):
    integration = install_store(client, app, shop_domain)
    assert integration.currency == "USD"
    with shopify_sandbox.lock:
        shopify_sandbox.shop(shop_domain).currency_code = "CAD"
    assert _import(integration).status == "succeeded"
    assert integration.currency == "CAD"
