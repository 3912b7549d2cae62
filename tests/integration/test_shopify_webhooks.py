"""Shopify webhooks: intake checks on the live app, then every topic applied from the sandbox's deliveries."""
from __future__ import annotations

import base64
import hashlib
import hmac
import json
import time
import uuid
from datetime import timedelta
from decimal import Decimal

import psycopg
import pytest
from sqlalchemy import func, select, update

from rq.job import Job

from shopsync.extensions import db
from shopsync.jobs.pushes import flush_job_id
from shopsync.models import (Alert, Integration, InventoryLevel, Product, ProductLink, Tenant, TikTokProduct, TikTokSku,
                             Variant, WebhookEvent, utcnow)
from shopsync.jobs.webhooks import recover_unprocessed_webhooks
from shopsync.sync.catalog.shopify_import import FULL, create_import_run, run_import
from shopsync.sync.connections.webhook_subscriptions import webhook_address
from tests.support.shopify_import import deliver_webhooks, install_store, run_jobs, take_jobs
from tests.support.shopify_import import post_webhook as _post
from tests.support.shopify_import import sign_webhook as _sign

pytestmark = pytest.mark.usefixtures("app_context")

PROCESS = "shopsync.jobs.webhooks.process_webhooks"


def _events(shop: str) -> list[WebhookEvent]:
    db.session.expire_all()
    return list(db.session.execute(select(WebhookEvent).where(WebhookEvent.shop == shop)
                                   .order_by(WebhookEvent.id)).scalars())


@pytest.fixture
def store(client, app, shopify_sandbox, shop_domain) -> Integration:
    integration = install_store(client, app, shop_domain)
    assert all(s.uri == webhook_address() for s in shopify_sandbox.shop(shop_domain).subscriptions.values())
    return integration


# -- intake ----------------------------------------------------------------------------------------
def test_signed_delivery_is_recorded_and_queued(client, app, shop_domain):
    answer = _post(client, app, shop_domain, "products/delete", {"id": 1}, event_id="evt-good-" + shop_domain)
    assert answer.status_code == 200
    [event] = _events(shop_domain)
    assert (event.topic, event.delivery_id, event.processed_at) == ("products/delete", "evt-good-" + shop_domain,
                                                                    None)
    assert event.payload == b'{"id":1}' and event.webhook_id
    assert [job.args for job in take_jobs(app, PROCESS, arg=event.id)] == [(event.id,)]


@pytest.mark.parametrize("signature", ["", "bm90IGEgc2lnbmF0dXJl", "tampered"])
def test_missing_or_bad_hmac_is_refused_and_nothing_is_written(client, app, shop_domain, signature):
    body = b'{"id":1}'
    if signature == "tampered":
        signature = _sign(app, body)
        body = b'{"id":2}'
    answer = _post(client, app, shop_domain, "products/delete", {}, body=body, signature=signature)
    assert answer.status_code == 401
    assert _events(shop_domain) == []


def test_previous_secret_still_verifies_during_rotation(client, app, shop_domain, monkeypatch):
    monkeypatch.setitem(app.config, "SHOPIFY_PREVIOUS_API_SECRET", "old-secret")
    body = b'{"id":5}'
    old = base64.b64encode(hmac.new(b"old-secret", body, hashlib.sha256).digest()).decode()
    assert _post(client, app, shop_domain, "products/delete", {}, body=body, signature=old).status_code == 200


def test_oversize_body_is_refused_before_reading(client, app, shop_domain):
    body = b'{"pad":"' + b"x" * app.config["WEBHOOK_MAX_BYTES"] + b'"}'
    assert _post(client, app, shop_domain, "products/update", {}, body=body).status_code == 413
    assert _events(shop_domain) == []


def test_invalid_shop_header_is_refused(client, app):
    assert _post(client, app, "evil.example.com", "products/delete", {"id": 1}).status_code == 400


def test_intake_reconnects_when_the_database_dropped_its_connection(client, app, shop_domain):
    first, second = f"evt-before-{shop_domain}", f"evt-after-{shop_domain}"
    assert _post(client, app, shop_domain, "products/delete", {"id": 1}, event_id=first).status_code == 200
    # A database restart as the intake sees it: every idle connection is gone, its held one included.
    with psycopg.connect(app.config["SQLALCHEMY_DATABASE_URI"].replace("+psycopg", ""), autocommit=True) as admin:
        dropped = admin.execute("SELECT array_agg(pid) FROM pg_stat_activity WHERE datname = current_database() "
                                "AND state = 'idle' AND pid <> pg_backend_pid()").fetchone()[0]
        assert dropped
        admin.execute("SELECT pg_terminate_backend(pid) FROM unnest(%s::int[]) AS pid", [dropped])
        deadline = time.monotonic() + 10
        while admin.execute("SELECT count(*) FROM pg_stat_activity WHERE pid = ANY(%s)", [dropped]).fetchone()[0]:
            assert time.monotonic() < deadline
            time.sleep(0.05)
    assert _post(client, app, shop_domain, "products/delete", {"id": 1}, event_id=second).status_code == 200
    assert [event.delivery_id for event in _events(shop_domain)] == [first, second]


def test_duplicate_delivery_is_acknowledged_and_applied_once(client, app, store):
    event_id = "evt-dup-" + store.external_id
    product = db.session.execute(select(Product).where(Product.integration_id == store.id)).scalars().first()
    for _ in range(3):
        assert _post(client, app, store.external_id, "products/delete", {"id": product.shopify_id},
                     event_id=event_id).status_code == 200
    events = [e for e in _events(store.external_id) if e.delivery_id == event_id]
    assert len(events) == 1
    assert run_jobs(app, PROCESS, arg=events[0].id) == 1
    assert _events(store.external_id)[-1].outcome == "deleted"


def test_older_product_update_never_overwrites_a_newer_one(client, app, store, shopify_sandbox):
    shopify_sandbox.set_webhook_delivery(paused=True)
    try:
        product = next(iter(shopify_sandbox.shop(store.external_id).products.values()))
        variant = product.variants[0]
        shopify_sandbox.set_price(store.external_id, variant.id, "30.00")
        older = shopify_sandbox.outbox._queue[-1]
        shopify_sandbox.outbox._queue.clear()
    finally:
        shopify_sandbox.release_webhooks()
    newer = json.loads(older.body)
    newer["updated_at"] = "2030-01-01T00:00:00Z"
    newer["variants"][0]["updated_at"] = "2030-01-01T00:00:00Z"
    newer["variants"][0]["price"] = "31.00"
    assert _post(client, app, store.external_id, "products/update", newer).status_code == 200
    run_jobs(app, PROCESS)
    assert _post(client, app, store.external_id, "products/update", {}, body=older.body).status_code == 200
    run_jobs(app, PROCESS)
    stored = db.session.execute(select(Variant).where(Variant.integration_id == store.id,
                                                      Variant.shopify_id == variant.id)).scalar_one()
    assert stored.price == Decimal("31.00")
    assert [e.outcome for e in _events(store.external_id)][-2:] == ["applied", "stale"]


def test_older_inventory_level_never_overwrites_a_newer_one(client, app, store):
    level = db.session.execute(select(InventoryLevel).where(InventoryLevel.integration_id == store.id)).scalars().first()
    payload = {"inventory_item_id": level.inventory_item_id, "location_id": level.location_id}
    _post(client, app, store.external_id, "inventory_levels/update",
          {**payload, "available": 9, "updated_at": "2030-01-01T10:00:00Z"})
    _post(client, app, store.external_id, "inventory_levels/update",
          {**payload, "available": 2, "updated_at": "2030-01-01T09:00:00Z"})
    run_jobs(app, PROCESS)
    db.session.refresh(level)
    assert level.available == 9
    assert [e.outcome for e in _events(store.external_id)][-2:] == ["applied", "stale_or_unchanged"]


# -- topics from the sandbox -------------------------------------------------------------------------
def _linked(store: Integration, variant_shopify_id: int) -> ProductLink:
    """A TikTok SKU linked to one of the store's variants, its link clean."""
    tiktok = Integration(tenant_id=store.tenant_id, platform="tiktok", external_id="tt-" + store.external_id,
                         name="TikTok shop")
    db.session.add(tiktok)
    db.session.flush()
    tiktok_product = TikTokProduct(tenant_id=store.tenant_id, integration_id=tiktok.id, tiktok_id="p1", title="t")
    db.session.add(tiktok_product)
    db.session.flush()
    sku = TikTokSku(tenant_id=store.tenant_id, integration_id=tiktok.id, product_id=tiktok_product.id,
                    tiktok_id="s1")
    db.session.add(sku)
    db.session.flush()
    variant_id = db.session.execute(select(Variant.id).where(Variant.integration_id == store.id,
                                                             Variant.shopify_id == variant_shopify_id)).scalar_one()
    link = ProductLink(tenant_id=store.tenant_id, variant_id=variant_id, tiktok_sku_id=sku.id,
                       shopify_integration_id=store.id, tiktok_integration_id=tiktok.id, dirty=False)
    db.session.add(link)
    db.session.commit()
    return link


def test_price_and_stock_changes_update_the_catalog_and_dirty_the_links(client, app, store, shopify_sandbox):
    product = list(shopify_sandbox.shop(store.external_id).products.values())[2]
    variant = product.variants[0]
    link = _linked(store, variant.id)
    location_id = next(iter(shopify_sandbox.shop(store.external_id).locations))

    shopify_sandbox.set_price(store.external_id, variant.id, "42.00")
    shopify_sandbox.set_stock(store.external_id, location_id, 17, variant_id=variant.id)
    deliver_webhooks(app, shopify_sandbox)

    stored = db.session.execute(select(Variant).where(Variant.integration_id == store.id,
                                                      Variant.shopify_id == variant.id)).scalar_one()
    assert stored.price == Decimal("42.00")
    level = db.session.execute(select(InventoryLevel).where(
        InventoryLevel.integration_id == store.id, InventoryLevel.inventory_item_id == variant.inventory_item_id,
        InventoryLevel.location_id == location_id)).scalar_one()
    assert level.available == 17
    db.session.refresh(link)
    assert link.dirty and link.change_seq >= 2
    outcomes = {(e.topic, e.outcome) for e in _events(store.external_id)}
    assert ("inventory_levels/update", "applied") in outcomes and ("products/update", "applied") in outcomes
    assert all(e.processed_at is not None and e.payload is None for e in _events(store.external_id))
    flush = Job.fetch(flush_job_id(link.tiktok_integration_id), connection=app.extensions["shopsync.redis"])
    assert flush.args == (link.tiktok_integration_id, "webhook")
    flush.delete()


def test_products_created_and_deleted_in_shopify(app, store, shopify_sandbox):
    created = shopify_sandbox.create_product(store.external_id, "Webhook Beanie",
                                             [{"sku": "BEANIE-1", "price": "12.00"}], image_count=2)
    deliver_webhooks(app, shopify_sandbox)
    product = db.session.execute(select(Product).where(Product.integration_id == store.id,
                                                       Product.shopify_id == created.id)).scalar_one()
    assert product.title == "Webhook Beanie"
    assert [v.sku for v in product.variants] == ["BEANIE-1"]
    assert [i.shopify_id for i in product.images] == created.image_ids

    victim = list(shopify_sandbox.shop(store.external_id).products.values())[0]
    link_id = _linked(store, victim.variants[0].id).id
    shopify_sandbox.delete_product(store.external_id, victim.id)
    shopify_sandbox.delete_product(store.external_id, created.id)
    deliver_webhooks(app, shopify_sandbox)
    assert db.session.execute(select(func.count()).select_from(Product).where(
        Product.integration_id == store.id, Product.shopify_id.in_([victim.id, created.id]))).scalar() == 0
    # The link is kept, orphaned with the reason, and the merchant is told (issue #14, item 7).
    db.session.expire_all()
    link = db.session.get(ProductLink, link_id)
    assert link.state == "orphaned" and link.variant_id is None and link.tiktok_sku_id is not None
    assert "was deleted in Shopify" in link.orphaned_reason
    alert = db.session.execute(select(Alert).where(Alert.tenant_id == store.tenant_id,
                                                   Alert.kind == "link_orphaned")).scalar_one()
    assert alert.details["fix_path"] == f"/product-links/{link_id}"


def test_bulk_operation_finish_wakes_the_import(app, store):
    from shopsync.sync.catalog.shopify_import import bulk_finished_key

    gid = "gid://shopify/BulkOperation/" + str(uuid.uuid4().int % 10**9)
    redis = app.extensions["shopsync.redis"]
    body = {"admin_graphql_api_id": gid, "completed_at": "2026-11-25T12:00:00Z", "created_at": "2026-11-25T11:59:00Z",
            "error_code": None, "status": "completed", "type": "query"}
    client = app.test_client()
    assert _post(client, app, store.external_id, "bulk_operations/finish", body).status_code == 200
    run_jobs(app, PROCESS)
    assert redis.lpop(bulk_finished_key(gid)) == b"finished"
    assert _events(store.external_id)[-1].outcome == "import_woken"


def test_uninstall_disconnects_and_keeps_the_data(app, store, shopify_sandbox):
    products_before = db.session.execute(select(func.count()).select_from(Product).where(
        Product.integration_id == store.id)).scalar()
    shopify_sandbox.uninstall(store.external_id)
    deliver_webhooks(app, shopify_sandbox)
    db.session.refresh(store)
    assert store.status == "disconnected" and store.status_reason
    assert store.access_token_encrypted is None and store.refresh_token_encrypted is None
    assert db.session.get(Tenant, store.tenant_id).uninstalled_at is not None
    assert db.session.execute(select(func.count()).select_from(Product).where(
        Product.integration_id == store.id)).scalar() == products_before


def test_compliance_topics(app, store, shopify_sandbox):
    address = webhook_address()
    for topic in ("customers/data_request", "customers/redact"):
        shopify_sandbox.send_compliance(store.external_id, topic, address)
    deliver_webhooks(app, shopify_sandbox)
    assert sorted(e.outcome for e in _events(store.external_id)
                  if e.topic.startswith("customers/")) == ["no_customer_data", "no_customer_data"]

    tenant_id, shop = store.tenant_id, store.external_id
    shopify_sandbox.uninstall(shop)
    shopify_sandbox.send_compliance(shop, "shop/redact", address)
    deliver_webhooks(app, shopify_sandbox)
    db.session.expire_all()
    assert db.session.get(Tenant, tenant_id) is None
    assert db.session.execute(select(func.count()).select_from(Variant).where(
        Variant.tenant_id == tenant_id)).scalar() == 0
    redact = [e for e in _events(shop) if e.topic == "shop/redact"]
    assert [(e.outcome, e.tenant_id) for e in redact] == [("tenant_deleted", None)]


def test_lost_jobs_are_rebuilt_from_the_database(client, app, store):
    answer = _post(client, app, store.external_id, "customers/redact", {"shop_domain": store.external_id})
    assert answer.status_code == 200
    event = _events(store.external_id)[-1]
    take_jobs(app, PROCESS, arg=event.id)  # Redis lost the job
    db.session.execute(update(WebhookEvent).where(WebhookEvent.id == event.id).values(
        received_at=utcnow() - timedelta(minutes=10)))
    db.session.commit()
    assert recover_unprocessed_webhooks(60) >= 1
    assert run_jobs(app, PROCESS, arg=event.id) == 1
    assert _events(store.external_id)[-1].outcome == "no_customer_data"


def test_a_delete_wins_over_an_older_update_arriving_after_it(client, app, store, shopify_sandbox):
    shopify_sandbox.set_webhook_delivery(paused=True)
    try:
        product = list(shopify_sandbox.shop(store.external_id).products.values())[1]
        shopify_sandbox.set_price(store.external_id, product.variants[0].id, "55.00")
        update_body = shopify_sandbox.outbox._queue[-1].body
        shopify_sandbox.outbox._queue.clear()
    finally:
        shopify_sandbox.release_webhooks()
    assert _post(client, app, store.external_id, "products/delete", {"id": product.id}).status_code == 200
    run_jobs(app, PROCESS)
    # Shopify never reuses a product id, so whatever comes for it later is older than the deletion.
    late = json.loads(update_body)
    late["updated_at"] = "2030-01-01T00:00:00Z"
    for body in (update_body, json.dumps(late).encode()):
        assert _post(client, app, store.external_id, "products/update", {}, body=body).status_code == 200
        run_jobs(app, PROCESS)
    assert db.session.execute(select(func.count()).select_from(Product).where(
        Product.integration_id == store.id, Product.shopify_id == product.id)).scalar() == 0
    assert [e.outcome for e in _events(store.external_id)][-3:] == ["deleted", "deleted_earlier", "deleted_earlier"]


def test_an_import_exported_before_a_deletion_does_not_bring_the_product_back(client, app, store, shopify_sandbox):
    from shopsync.sync.catalog.shopify_import import FULL, create_import_run, run_import

    # The export still lists the product (Shopify deleted it after the snapshot), the delete webhook came first.
    product = list(shopify_sandbox.shop(store.external_id).products.values())[3]
    assert _post(client, app, store.external_id, "products/delete", {"id": product.id}).status_code == 200
    run_jobs(app, PROCESS)
    run_import(create_import_run(store, "manual"), FULL)
    assert db.session.execute(select(func.count()).select_from(Variant).where(
        Variant.integration_id == store.id, Variant.shopify_id.in_([v.id for v in product.variants]))).scalar() == 0
    assert db.session.execute(select(func.count()).select_from(Product).where(
        Product.integration_id == store.id)).scalar() == len(shopify_sandbox.shop(store.external_id).products) - 1


def test_retention_forgets_old_deletions_only(client, app, store):
    from shopsync.jobs.schedule import delete_old_records
    from shopsync.models import DeletedProduct

    now = utcnow()
    db.session.add_all([DeletedProduct(tenant_id=store.tenant_id, integration_id=store.id, shopify_id=shopify_id,
                                       deleted_at=when) for shopify_id, when in (
        (1, now - timedelta(days=app.config["LOG_RETENTION_DAYS"] + 1)), (2, now - timedelta(days=1)))])
    db.session.commit()
    assert delete_old_records()["deleted_products"] >= 1
    assert db.session.execute(select(DeletedProduct.shopify_id).where(
        DeletedProduct.integration_id == store.id)).scalars().all() == [2]


def test_a_product_swept_by_the_full_import_stays_deleted(client, app, store, shopify_sandbox):
    from shopsync.sync.catalog.shopify_import import FULL, create_import_run, run_import

    shopify_sandbox.set_webhook_delivery(paused=True)  # the delete webhook is lost: only the import notices
    try:
        victim = list(shopify_sandbox.shop(store.external_id).products.values())[2]
        shopify_sandbox.set_price(store.external_id, victim.variants[0].id, "66.00")
        late_update = shopify_sandbox.outbox._queue[-1].body
        shopify_sandbox.delete_product(store.external_id, victim.id)
        shopify_sandbox.outbox._queue.clear()
    finally:
        shopify_sandbox.release_webhooks()
    run_import(create_import_run(store, "manual"), FULL)
    assert _post(client, app, store.external_id, "products/update", {}, body=late_update).status_code == 200
    run_jobs(app, PROCESS)
    assert _events(store.external_id)[-1].outcome == "deleted_earlier"
    assert db.session.execute(select(func.count()).select_from(Product).where(
        Product.integration_id == store.id, Product.shopify_id == victim.id)).scalar() == 0


def test_untracked_and_continue_selling_variants_are_imported_and_a_policy_change_applied(
        app, store, shopify_sandbox):
    shop = shopify_sandbox.shop(store.external_id)
    untracked, continuing = [p.variants[0] for p in list(shop.products.values())[:2]]
    shopify_sandbox.set_webhook_delivery(paused=True)
    try:
        shopify_sandbox.set_inventory_behaviour(store.external_id, untracked.id, tracked=False)
        shopify_sandbox.set_inventory_behaviour(store.external_id, continuing.id, policy="CONTINUE")
        run = create_import_run(store, "manual")
        run_import(run, FULL)
    finally:
        shopify_sandbox.release_webhooks()
    deliver_webhooks(app, shopify_sandbox)

    def stored(variant):
        db.session.expire_all()
        row = db.session.execute(select(Variant).where(Variant.integration_id == store.id,
                                                       Variant.shopify_id == variant.id)).scalar_one()
        return row.inventory_tracked, row.inventory_policy

    assert stored(untracked) == (False, "deny")
    assert stored(continuing) == (True, "continue")
    # products/update carries the policy but not whether the stock is tracked: that stays as imported
    shopify_sandbox.set_inventory_behaviour(store.external_id, untracked.id, policy="CONTINUE")
    deliver_webhooks(app, shopify_sandbox)
    assert stored(untracked) == (False, "continue")
    # inventory_items/update says tracking changed; the item is read back from Shopify
    shopify_sandbox.set_inventory_behaviour(store.external_id, untracked.id, tracked=True)
    deliver_webhooks(app, shopify_sandbox)
    assert stored(untracked) == (True, "continue")
