"""Proof: 0 duplicate listings under faults, lost answers and a crash between TikTok's answer and our commit;
every created SKU is linked."""
from __future__ import annotations

import signal
from collections import Counter
from datetime import timedelta

import pytest
from sqlalchemy import func, select, update

from shopsync.extensions import db
from shopsync.jobs.listings import close_abandoned_runs, follow_listings, start_publish
from shopsync.models import Listing, ProductLink, SyncRun, Variant, utcnow
from shopsync.platforms.http import TransientError
from shopsync.platforms.tiktok import listings as tiktok
from shopsync.sync import runs
from shopsync.sync.connections.tiktok_access import call_with_refresh
from shopsync.sync.listings.publish import Publisher
from tests.support.listings import publishing_store
from tests.support.sync_journey import wait_for
from tests.support.worker import running_worker, stop

TITLES = ("Classic Tee", "Sunset Tee", "Ocean Mug", "Forest Cap", "Retro Tote Bag", "Minimal Hoodie")


@pytest.fixture
def store(app_context, client, app, tiktok_sandbox, shop_domain):
    tiktok_sandbox.clear_faults()
    yield publishing_store(client, app, tiktok_sandbox, shop_domain)
    tiktok_sandbox.clear_faults()


def _tiktok_products_by_external_id(tiktok_sandbox) -> Counter:
    shop = tiktok_sandbox.shops[0]
    with tiktok_sandbox.lock:
        return Counter(p.external_product_id for p in shop.products.values() if p.external_product_id)


def _every_sku_linked(store, products) -> None:
    variants = db.session.execute(select(func.count(Variant.id)).where(
        Variant.product_id.in_([p.id for p in products]))).scalar_one()
    links = db.session.execute(select(func.count(ProductLink.id)).where(
        ProductLink.tiktok_integration_id == store.tiktok_integration_id)).scalar_one()
    assert links == variants


def test_faults_and_lost_answers_make_no_duplicate(store, tiktok_sandbox):
    products = store.products(*TITLES)
    tiktok_sandbox.listing_desk.lost_answers = 3  # three creates are made, then answered "timeout"
    tiktok_sandbox.set_fault("server_error", probability=0.25, seed=5)
    tiktok_sandbox.set_fault("rate_limit", probability=0.1, seed=5)
    publisher = Publisher(store.integration)
    for _ in range(8):  # a job retried until everything is settled, as RQ's retries would
        try:
            publisher.publish(products)
        except TransientError:
            db.session.rollback()
        db.session.execute(update(Listing).where(Listing.state == "submitting").values(
            submitted_at=utcnow() - timedelta(minutes=5)))  # the next run treats them as a dead worker's
        db.session.commit()
        states = set(db.session.execute(select(Listing.state).where(
            Listing.tenant_id == store.tenant_id)).scalars())
        if states <= {"pending", "live"} and len(_tiktok_products_by_external_id(tiktok_sandbox)) == len(TITLES):
            break
    tiktok_sandbox.clear_faults()
    Publisher(store.integration).drain()
    made = _tiktok_products_by_external_id(tiktok_sandbox)
    assert len(made) == len(TITLES) and set(made.values()) == {1}, made
    assert tiktok_sandbox.listing_desk.lost_answers == 0
    listings = db.session.execute(select(Listing).where(Listing.tenant_id == store.tenant_id)).scalars().all()
    assert {listing.state for listing in listings} <= {"pending", "live"}
    assert len({listing.tiktok_product_id for listing in listings}) == len(TITLES)
    _every_sku_linked(store, products)


def test_a_crash_after_tiktoks_answer_is_recovered_without_a_second_listing(store, tiktok_sandbox):
    product, = store.products("Classic Tee")
    publisher = Publisher(store.integration)
    listing = publisher.listing_for(product)
    assert publisher.check(listing)
    listing.state, listing.queued_at = "queued", utcnow()
    db.session.commit()
    # The worker claims the listing and sends the create; TikTok makes the product, and the worker dies
    # before it can write down TikTok's answer.
    db.session.execute(update(Listing).where(Listing.id == listing.id).values(
        state="submitting", idempotency_key="crash-key", submitted_at=utcnow() - timedelta(minutes=5)))
    db.session.commit()
    body = dict(listing.body, idempotency_key="crash-key", save_mode="LISTING")
    made = call_with_refresh(store.integration, lambda client: tiktok.create_product(client, body))
    tiktok_sandbox.clear_calls()

    assert Publisher(store.integration).recover() == 1

    db.session.refresh(listing)
    assert listing.state == "pending" and listing.tiktok_product_id == made.product_id
    assert not tiktok_sandbox.calls(path="/product/202309/products", method="POST")  # found, not created again
    assert _tiktok_products_by_external_id(tiktok_sandbox)[product_gid(product)] == 1
    _every_sku_linked(store, [product])


def test_a_crash_before_the_create_reached_tiktok_creates_it_once(store, tiktok_sandbox):
    product, = store.products("Sunset Mug")
    publisher = Publisher(store.integration)
    listing = publisher.listing_for(product)
    assert publisher.check(listing)
    db.session.execute(update(Listing).where(Listing.id == listing.id).values(
        state="submitting", idempotency_key="never-sent", submitted_at=utcnow() - timedelta(minutes=5)))
    db.session.commit()

    assert Publisher(store.integration).recover() == 1
    assert Publisher(store.integration).recover() == 0

    db.session.refresh(listing)
    assert listing.state == "pending"
    assert _tiktok_products_by_external_id(tiktok_sandbox)[product_gid(product)] == 1
    _every_sku_linked(store, [product])


def product_gid(product) -> str:
    return f"gid://shopify/Product/{product.shopify_id}"


def test_a_worker_killed_while_tiktok_answers_leaves_one_listing_and_the_next_worker_links_it(
        store, tiktok_sandbox, app, redis_url):  # redis_url: the queue is emptied after the test
    product, = store.products("Ocean Tee")
    desk = tiktok_sandbox.listing_desk
    desk.slow_answer_seconds = 30.0  # TikTok makes the product, then takes its time to say so
    run_id = start_publish(store.tenant_id, store.tiktok_integration_id, [product.id], save_as_draft=False)
    try:
        with running_worker() as worker:
            wait_for(lambda: any(p.external_product_id == product_gid(product)
                                 for p in tiktok_sandbox.shops[0].products.values()), timeout=60,
                     message="TikTok to create the product")
            stop(worker, signal.SIGKILL)  # the worker dies before TikTok's answer reaches it
    finally:
        desk.slow_answer_seconds = 0.0
    listing = db.session.execute(select(Listing).where(Listing.product_id == product.id)).scalar_one()
    assert listing.state == "submitting" and listing.tiktok_product_id is None
    assert db.session.get(SyncRun, run_id).finished_at is None
    db.session.execute(update(Listing).where(Listing.id == listing.id).values(
        submitted_at=utcnow() - timedelta(minutes=5)))  # long enough ago that its worker is known to be gone
    db.session.commit()

    follow_listings()  # the periodic job: recovers what was left submitting

    db.session.refresh(listing)
    assert listing.state in ("pending", "live") and listing.tiktok_product_id
    assert _tiktok_products_by_external_id(tiktok_sandbox)[product_gid(product)] == 1
    _every_sku_linked(store, [product])


def test_a_publish_run_whose_job_is_gone_is_closed_not_left_running(store):
    run_id = runs.start_run(store.tenant_id, "publish", "batch", integration_id=store.tiktok_integration_id, total=3)
    assert close_abandoned_runs() == 0  # too recent to tell
    db.session.execute(update(SyncRun).where(SyncRun.id == run_id).values(created_at=utcnow() - timedelta(minutes=5)))
    db.session.commit()
    assert close_abandoned_runs() == 1
    run = db.session.get(SyncRun, run_id)
    assert run.status == "failed" and run.finished_at and "stopped before the end" in run.message
