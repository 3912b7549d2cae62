"""Publishing jobs: check or publish a selection of products (a sync run with progress), submit what waits
in a shop's queue, follow TikTok's audits, and re-check categories TikTok changed."""
from __future__ import annotations

from collections.abc import Iterable

from sqlalchemy import select

from ..extensions import db
from ..models import Integration, Listing, Product
from ..models.integration import ACTIVE, TIKTOK
from ..models.listings import FAILED, PENDING, QUEUED, SUBMITTING
from ..sync import runs
from ..sync.listings import audit
from ..sync.listings.facts import recheck_categories
from ..sync.listings.publish import Publisher
from . import app_job, enqueue

QUEUE = "default"
_PATH = "shopsync.jobs.listings."
JOB_TIMEOUT = 6 * 3600  # a bulk publish of thousands of products


def start_publish(tenant_id: int, tiktok_integration_id: int, product_ids: list[int], *, save_as_draft: bool,
                  check_only: bool = False) -> int:
    """Queue a publish (or a check, for the preview) of these products; returns its sync run id."""
    run_id = runs.start_run(tenant_id, "publish", "manual" if len(product_ids) == 1 else "batch",
                            integration_id=tiktok_integration_id, total=len(product_ids), status="queued",
                            dry_run=check_only)
    enqueue(_PATH + "publish_products", tenant_id, tiktok_integration_id, product_ids, run_id, save_as_draft,
            check_only, queue_name=QUEUE, job_timeout=JOB_TIMEOUT)
    return run_id


@app_job
def publish_products(tenant_id: int, tiktok_integration_id: int, product_ids: Iterable[int], run_id: int,
                     save_as_draft: bool = False, check_only: bool = False) -> None:
    integration = _shop(tenant_id, tiktok_integration_id)
    runs.mark_running(run_id)
    if integration is None:
        runs.finish_run(run_id, "The TikTok shop is no longer connected.", status="failed")
        return
    ids = sorted({int(i) for i in product_ids})
    products = list(db.session.execute(select(Product).where(
        Product.tenant_id == tenant_id, Product.id.in_(ids))).scalars())
    publisher = Publisher(integration)

    def progress(done: int = 0, failed: int = 0, skipped: int = 0) -> None:
        runs.count_run(run_id, done=done, failed=failed, skipped=skipped)
        db.session.commit()

    if check_only:
        for product in products:
            listing = publisher.listing_for(product)
            listing.run_id = run_id
            passed = publisher.check(listing)
            progress(done=int(passed), failed=int(not passed))
        runs.finish_run(run_id, f"Checked {len(products)} products")
        return
    try:
        outcome = publisher.publish(products, save_as_draft=save_as_draft, run_id=run_id, progress=progress)
    except Exception:
        db.session.rollback()
        runs.finish_run(run_id, "Publishing stopped on an error; what was submitted stays submitted.",
                        status="failed")
        raise
    parts = [f"{len(outcome.submitted)} submitted to TikTok", f"{len(outcome.blocked)} need fixes"]
    if outcome.waiting:
        parts.append(f"{len(outcome.waiting)} wait for the shop's readiness or its daily listing limit")
    if outcome.skipped:
        parts.append(f"{len(outcome.skipped)} already on TikTok")
    runs.finish_run(run_id, ", ".join(parts))


@app_job
def resubmit_listings(tenant_id: int, listing_ids: Iterable[int]) -> int:
    listings = list(db.session.execute(select(Listing).where(
        Listing.tenant_id == tenant_id, Listing.id.in_([int(i) for i in listing_ids]),
        Listing.state == FAILED)).scalars())
    done = 0
    for listing in listings:
        integration = _shop(tenant_id, listing.tiktok_integration_id)
        if integration is not None and Publisher(integration).resubmit(listing):
            done += 1
    return done


@app_job
def drain_shop(tiktok_integration_id: int) -> int:
    integration = db.session.get(Integration, tiktok_integration_id)
    if integration is None or integration.status != ACTIVE:
        return 0
    return len(Publisher(integration).drain().submitted)


@app_job
def follow_listings() -> int:
    """The poll behind the audit webhooks, and the queue's daily restart: every shop with work to do."""
    shops = db.session.execute(select(Listing.tiktok_integration_id, Listing.state).where(
        Listing.state.in_([PENDING, QUEUED, SUBMITTING])).distinct()).all()
    moved = 0
    for integration_id in sorted({row[0] for row in shops}):
        integration = db.session.get(Integration, integration_id)
        if integration is None or integration.status != ACTIVE:
            continue
        states = {state for shop_id, state in shops if shop_id == integration_id}
        if PENDING in states:
            moved += sum(audit.follow(integration).values())
        if states & {QUEUED, SUBMITTING}:
            Publisher(integration).drain()
    return moved


@app_job
def recheck_all_categories() -> int:
    """TikTok changes categories and mandatory attributes every few months: flag the listings affected."""
    changed = 0
    for integration in db.session.execute(select(Integration).where(
            Integration.platform == TIKTOK, Integration.status == ACTIVE)).scalars():
        changed += len(recheck_categories(integration))
    return changed


def _shop(tenant_id: int, tiktok_integration_id: int) -> Integration | None:
    integration = db.session.get(Integration, tiktok_integration_id)
    if integration is None or integration.tenant_id != tenant_id or integration.platform != TIKTOK \
            or integration.status != ACTIVE:
        return None
    return integration
