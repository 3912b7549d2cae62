"""Publishing under faults and kills: a whole catalog published by real RQ worker processes that are killed at
random moments, while TikTok refuses calls at random and carries out some creates without answering. Once the
system settles there is exactly one TikTok listing per Shopify product, and every created SKU is linked.

Sizes: the 36-product demo catalog and 6 kills by default; 12 kills with SHOPSYNC_FULL_RELIABILITY=1.
"""
from __future__ import annotations

import random
import signal
import time
from collections import Counter
from datetime import timedelta

import pytest
from sqlalchemy import func, select, update

from shopsync.extensions import db
from shopsync.jobs.listings import start_publish
from shopsync.models import Listing, ProductLink, TikTokSku, utcnow
from shopsync.sync.listings.publish import Publisher
from tests.support.convergence import full_size
from tests.support.listings import publishing_store
from tests.support.worker import running_worker, stop

KILLS = 12 if full_size() else 6
SEED = 20261202
FAULTS = {"rate_limit": 0.20, "server_error": 0.10, "timeout": 0.05}


@pytest.fixture
def store(app_context, client, app, tiktok_sandbox, shop_domain):
    store = publishing_store(client, app, tiktok_sandbox, shop_domain, audit_seconds=0.5)
    tiktok_sandbox.settings["tiktok_timeout_fault_seconds"] = 0.5
    yield store
    tiktok_sandbox.clear_faults()
    tiktok_sandbox.listing_desk.lost_answers = 0


@pytest.mark.slow
def test_no_duplicate_listing_and_every_sku_linked_under_faults_and_kills(store, tiktok_sandbox, redis_url):
    # (redis_url: the queue is emptied after the test, so no job of the killed workers is left for another)
    products = store.products()
    ids = [p.id for p in products]
    rng = random.Random(SEED)
    for kind, probability in FAULTS.items():
        tiktok_sandbox.set_fault(kind, probability=probability, seed=SEED)
    for kill in range(KILLS):
        tiktok_sandbox.listing_desk.lost_answers = 2  # creates carried out, answered with a gateway timeout
        start_publish(store.tenant_id, store.tiktok_integration_id, ids, save_as_draft=False)
        with running_worker() as worker:
            time.sleep(rng.uniform(1.0, 4.0))
            stop(worker, signal.SIGKILL)
        # Claims of the killed worker are old enough to be recovered by the next pass.
        db.session.execute(update(Listing).where(Listing.state == "submitting").values(
            submitted_at=utcnow() - timedelta(minutes=5)))
        db.session.commit()
    tiktok_sandbox.clear_faults()
    tiktok_sandbox.listing_desk.lost_answers = 0
    publisher = Publisher(store.integration)
    publisher.publish(products)  # what the last retry of the job does once TikTok is well again

    shop = tiktok_sandbox.shops[0]
    with tiktok_sandbox.lock:
        made = Counter(p.external_product_id for p in shop.products.values() if p.external_product_id)
    wanted = {f"gid://shopify/Product/{p.shopify_id}" for p in products}
    assert set(made) == wanted and set(made.values()) == {1}, made.most_common(3)
    states = Counter(db.session.execute(select(Listing.state).where(
        Listing.tenant_id == store.tenant_id)).scalars())
    assert set(states) <= {"pending", "live"}, states
    skus = db.session.execute(select(func.count(TikTokSku.id)).where(
        TikTokSku.integration_id == store.tiktok_integration_id)).scalar_one()
    links = db.session.execute(select(func.count(ProductLink.id)).where(
        ProductLink.tiktok_integration_id == store.tiktok_integration_id)).scalar_one()
    with tiktok_sandbox.lock:
        created_skus = sum(len(p.skus) for p in shop.products.values() if p.external_product_id)
    assert skus == links == created_skus
    print(f"\n{len(products)} products published across {KILLS} killed workers under faults: "
          f"{sum(made.values())} TikTok listings, 0 duplicates, {links} SKUs linked")
