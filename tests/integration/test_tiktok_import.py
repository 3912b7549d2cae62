"""Importing a TikTok shop's catalog through the sandbox: counts, progress, removals, big shops, failures."""
from __future__ import annotations

import gc
import tracemalloc
from decimal import Decimal

import pytest
from sqlalchemy import event, func, select

from shopsync.extensions import db
from shopsync.models import Alert, Integration, SyncRun, TikTokProduct, TikTokSku, TikTokWarehouse
from shopsync.platforms.tiktok.products import RESULT_WINDOW, SEARCH_PATH
from shopsync.sync.catalog.tiktok_import import import_catalog
from tests.support.journeys import connect_tiktok, install_shop
from tests.support.mail import run_alert_emails


@pytest.fixture
def shop(client, app, tiktok_sandbox, shop_domain):
    """The first connected TikTok shop: (integration id, sandbox shop)."""
    install_shop(client, shop_domain)
    first, _ = connect_tiktok(client, tiktok_sandbox)
    return first, tiktok_sandbox.shops[0]


def _count(model, integration_id):
    return db.session.scalar(select(func.count()).select_from(model).where(model.integration_id == integration_id))


def _run_import(app, integration_id):
    with app.app_context():
        run = import_catalog(integration_id)
        return run.id, run.status, run.total, run.done, run.message


def test_import_brings_warehouses_products_and_skus_as_tiktok_has_them(app, shop):
    integration_id, sandbox_shop = shop
    run_id, status, total, done, _ = _run_import(app, integration_id)
    assert status == "succeeded" and total == done == len(sandbox_shop.products)
    with app.app_context():
        warehouses = db.session.execute(select(TikTokWarehouse).where(
            TikTokWarehouse.integration_id == integration_id)).scalars().all()
        assert {(w.tiktok_id, w.is_default, w.type) for w in warehouses} == {
            (w.id, w.is_default, w.type) for w in sandbox_shop.warehouses}
        assert _count(TikTokProduct, integration_id) == len(sandbox_shop.products)
        skus = {s.tiktok_id: s for s in db.session.execute(select(TikTokSku).where(
            TikTokSku.integration_id == integration_id)).scalars()}
        expected = [(p, s) for p in sandbox_shop.products.values() for s in p.skus]
        assert len(skus) == len(expected)
        for product, sku in expected:
            row = skus[sku.id]
            assert (row.seller_sku, row.price, row.currency) == (sku.seller_sku, sku.price, sandbox_shop.currency)
            assert row.inventory == sku.inventory and row.product.tiktok_id == product.id
        integration = db.session.get(Integration, integration_id)
        assert integration.last_import_at is not None and integration.currency == sandbox_shop.currency
        run = db.session.get(SyncRun, run_id)
        assert (run.kind, run.integration_id, run.finished_at is not None) == ("import", integration_id, True)


def test_reimport_updates_changes_and_removes_what_tiktok_no_longer_has(app, tiktok_sandbox, shop):
    integration_id, sandbox_shop = shop
    _run_import(app, integration_id)
    with tiktok_sandbox.lock:
        products = list(sandbox_shop.products.values())
        gone = products[0]
        del sandbox_shop.products[gone.id]
        changed = products[1].skus[0]
        changed.price = Decimal("123.45")
        changed.inventory = {w: 99 for w in changed.inventory}
        dropped_sku = products[2].skus.pop()
    _, status, total, done, message = _run_import(app, integration_id)
    assert status == "succeeded" and total == done == len(sandbox_shop.products)
    assert "removed 1" in message
    with app.app_context():
        assert db.session.scalar(select(TikTokProduct).where(TikTokProduct.tiktok_id == gone.id,
                                                             TikTokProduct.integration_id == integration_id)) is None
        assert not db.session.scalar(select(func.count()).select_from(TikTokSku).where(
            TikTokSku.integration_id == integration_id, TikTokSku.tiktok_id.in_(
                [s.id for s in gone.skus] + [dropped_sku.id])))
        row = db.session.execute(select(TikTokSku).where(TikTokSku.integration_id == integration_id,
                                                         TikTokSku.tiktok_id == changed.id)).scalar_one()
        assert row.price == Decimal("123.45") and set(row.inventory.values()) == {99}
        assert _count(TikTokSku, integration_id) == sum(len(p.skus) for p in sandbox_shop.products.values())


def _peak_memory_of_import(app, integration_id) -> int:
    gc.collect()
    tracemalloc.start()
    try:
        status = _run_import(app, integration_id)[1]
        return tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
        assert status == "succeeded"


def test_a_5000_sku_shop_imports_page_by_page_with_flat_memory(app, tiktok_sandbox, shop):
    integration_id, sandbox_shop = shop
    _run_import(app, integration_id)  # warm caches (compiled statements, templates) before measuring
    tiktok_sandbox.generate_catalog(sandbox_shop.id, 1000)
    small_peak = _peak_memory_of_import(app, integration_id)
    tiktok_sandbox.generate_catalog(sandbox_shop.id, 4000, seed=12)
    product_count = len(sandbox_shop.products)
    sku_count = sum(len(p.skus) for p in sandbox_shop.products.values())
    assert sku_count >= 5000
    tiktok_sandbox.clear_calls()

    commits = []

    def committed(session):
        commits.append(session)

    event.listen(db.session, "after_commit", committed)  # the scoped session's factory: every session
    try:
        big_peak = _peak_memory_of_import(app, integration_id)
    finally:
        event.remove(db.session, "after_commit", committed)
    searches = [c for c in tiktok_sandbox.calls(SEARCH_PATH) if c.query["page_size"] == "100"]
    assert len(searches) == -(-product_count // 100)  # every page once, 100 products at a time
    assert len(commits) >= len(searches)  # progress committed page by page
    with app.app_context():
        run = db.session.execute(select(SyncRun).where(SyncRun.integration_id == integration_id)
                                 .order_by(SyncRun.id.desc()).limit(1)).scalar_one()
        assert run.status == "succeeded" and run.total == run.done == product_count, run.message
        assert _count(TikTokProduct, integration_id) == product_count, run.message
        assert _count(TikTokSku, integration_id) == sku_count
    # Five times the catalog, about the same peak: pages are never accumulated.
    assert big_peak < small_peak * 1.5 + 512 * 1024, (small_peak, big_peak)


def test_a_shop_past_tiktoks_10000_result_window_imports_every_product_once(app, tiktok_sandbox, shop):
    integration_id, sandbox_shop = shop
    tiktok_sandbox.generate_catalog(sandbox_shop.id, 12_000, skus_per_product=1)
    product_count = len(sandbox_shop.products)
    assert product_count > RESULT_WINDOW
    tiktok_sandbox.clear_calls()
    _, status, total, done, message = _run_import(app, integration_id)
    assert status == "succeeded" and total == done == product_count, message  # each product yielded once
    searches = tiktok_sandbox.calls(SEARCH_PATH)
    assert all(c.code == 0 for c in searches)  # never paged past the window (12052180)
    assert any("update_time_le" in (c.body or {}) for c in searches)  # read in update-time windows
    with app.app_context():
        imported = db.session.execute(select(TikTokProduct.tiktok_id).where(
            TikTokProduct.integration_id == integration_id)).scalars().all()
        assert sorted(imported) == sorted(sandbox_shop.products)
        assert _count(TikTokSku, integration_id) == sum(len(p.skus) for p in sandbox_shop.products.values())


def test_an_expired_token_during_import_is_refreshed_and_the_import_completes(app, tiktok_sandbox, shop):
    integration_id, sandbox_shop = shop
    tiktok_sandbox.expire_tokens()
    _, status, total, done, _ = _run_import(app, integration_id)
    assert status == "succeeded" and total == done == len(sandbox_shop.products)


def test_a_failing_import_is_recorded_and_alerted_then_recovers(app, tiktok_sandbox, shop):
    integration_id, _ = shop
    tiktok_sandbox.set_fault("server_error", count=100)
    try:
        run_id, status, _, _, message = _run_import(app, integration_id)
    finally:
        tiktok_sandbox.clear_faults()
    assert status == "failed" and "36009003" in message
    with app.app_context():
        tenant_id = db.session.get(Integration, integration_id).tenant_id
        alerts = db.session.execute(select(Alert.kind, Alert.subject_key, Alert.state).where(
            Alert.tenant_id == tenant_id)).all()
        assert alerts == [("run_failed", f"import:{integration_id}", "failing")]
    assert _run_import(app, integration_id)[1] == "succeeded"
    with app.app_context():
        assert db.session.execute(select(Alert.state).where(Alert.tenant_id == tenant_id)).scalars().all() == [
            "recovered"]
    assert run_alert_emails(app, tenant_id) == 2  # failure, recovery (mail is off here: logged only)


def test_a_new_shop_with_one_sales_warehouse_starts_confirmed_and_one_with_two_asks(client, app, tiktok_sandbox,
                                                                                   shop_domain):
    install_shop(client, shop_domain)
    us, uk = connect_tiktok(client, tiktok_sandbox)  # US: two sales warehouses; UK: one
    for integration_id in (us, uk):
        _run_import(app, integration_id)
    with app.app_context():
        assert db.session.get(Integration, us).warehouses_confirmed_at is None
        assert db.session.get(Integration, uk).warehouses_confirmed_at is not None
    page = client.get("/product-links").get_data(as_text=True)  # the banner asks for the US shop only
    assert f"/integrations/{us}/warehouses" in page and f"/integrations/{uk}/warehouses" not in page
