"""Publishing jobs: check or publish a selection of products (a sync run with progress), submit what waits
in a shop's queue, follow TikTok's audits, and re-check categories TikTok changed."""
from __future__ import annotations

import logging
from collections.abc import Iterable
from contextlib import contextmanager
from datetime import timedelta

from flask import current_app
from rq.exceptions import NoSuchJobError
from rq.job import Job, JobStatus
from sqlalchemy import select

from ..extensions import db
from ..models import Integration, Listing, ListingShop, Product, SyncRun, utcnow
from ..models.integration import ACTIVE, TIKTOK
from ..models.listings import FAILED, PENDING, QUEUED, SUBMITTING
from ..platforms.http import PlatformError
from ..sync import runs
from ..sync.listings import audit
from ..sync.listings.content import push_content_edits
from ..sync.listings.facts import recheck_categories
from ..sync.listings.publish import Publisher
from . import app_job, enqueue, queue

log = logging.getLogger(__name__)

QUEUE = "default"
_PATH = "shopsync.jobs.listings."
JOB_TIMEOUT = 6 * 3600  # a bulk publish of thousands of products
ABANDONED_AFTER = timedelta(minutes=2)


def start_publish(tenant_id: int, tiktok_integration_id: int, product_ids: list[int], *, save_as_draft: bool,
                  check_only: bool = False) -> int:
    """Queue a publish (or a check, for the preview) of these products; returns its sync run id."""
    run_id = runs.start_run(tenant_id, "publish", "manual" if len(product_ids) == 1 else "batch",
                            integration_id=tiktok_integration_id, total=len(product_ids), status="queued",
                            dry_run=check_only)
    enqueue(_PATH + "publish_products", tenant_id, tiktok_integration_id, product_ids, run_id, save_as_draft,
            check_only, queue_name=QUEUE, job_timeout=JOB_TIMEOUT, job_id=publish_job_id(run_id))
    return run_id


def publish_job_id(run_id: int) -> str:
    return f"shopsync-publish-{run_id}"


def close_abandoned_runs(older_than: timedelta = ABANDONED_AFTER) -> int:
    """Publish runs whose job is gone or failed (its worker was killed) are closed, so no progress bar waits
    forever; their listings are settled by the queue's recovery."""
    stale = db.session.execute(select(SyncRun).where(
        SyncRun.kind == "publish", SyncRun.status.in_(("queued", "running")),
        SyncRun.created_at < utcnow() - older_than)).scalars().all()
    closed = 0
    for run in stale:
        try:
            status = Job.fetch(publish_job_id(run.id), connection=current_app.extensions["shopsync.redis"]).get_status()
        except NoSuchJobError:
            status = None
        if status in (None, JobStatus.FAILED, JobStatus.STOPPED, JobStatus.CANCELED):
            runs.finish_run(run.id, "Publishing stopped before the end; what was submitted stays submitted, and "
                                    "publishing the rest again picks up where it stopped.",
                            status="partial" if run.done else "failed")
            closed += 1
    return closed


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
        passed = 0
        for product in products:
            listing = publisher.listing_for(product)
            listing.run_id = run_id
            ok = publisher.check(listing)
            passed += ok
            progress(done=int(ok), failed=int(not ok))
        runs.finish_run(run_id, f"Checked {len(products)} products: {passed} passed TikTok's check, "
                                f"{len(products) - passed} need fixes", status="succeeded")
        return
    try:
        outcome = publisher.publish(products, save_as_draft=save_as_draft, run_id=run_id, progress=progress)
    except Exception:
        db.session.rollback()
        runs.finish_run(run_id, "Publishing stopped on an error; what was submitted stays submitted.",
                        status="failed")
        raise
    if outcome.submitted:
        follow_soon(integration.id)
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
            follow_soon(integration.id)
            done += 1
    return done


@app_job
def drain_shop(tiktok_integration_id: int) -> int:
    integration = db.session.get(Integration, tiktok_integration_id)
    if integration is None or integration.status != ACTIVE:
        return 0
    return len(Publisher(integration).drain().submitted)


FOLLOW_ROUNDS = 6  # then the periodic poll (every 5 minutes) carries on


def follow_soon(tiktok_integration_id: int, round_: int = 0) -> None:
    """Look at TikTok's review of this shop's new listings shortly, then at growing intervals."""
    delay = current_app.config["LISTING_FOLLOW_SECONDS"] * (2 ** round_)
    queue(QUEUE).enqueue_in(timedelta(seconds=delay), _PATH + "follow_shop", tiktok_integration_id, round_,
                            job_id=f"shopsync-follow-listings-{tiktok_integration_id}-{round_}")


@app_job
def follow_shop(tiktok_integration_id: int, round_: int = 0) -> int:
    integration = db.session.get(Integration, tiktok_integration_id)
    if integration is None or integration.status != ACTIVE:
        return 0
    moved = sum(audit.follow(integration).values())
    still_pending = db.session.execute(select(Listing.id).where(
        Listing.tiktok_integration_id == integration.id, Listing.state == PENDING).limit(1)).first()
    if still_pending and round_ + 1 < FOLLOW_ROUNDS:
        follow_soon(integration.id, round_ + 1)
    return moved


@app_job
def follow_listings() -> int:
    """The poll behind the audit webhooks, and the queue's daily restart: every shop with work to do."""
    shops = db.session.execute(select(Listing.tiktok_integration_id, Listing.state).where(
        Listing.state.in_([PENDING, QUEUED, SUBMITTING])).distinct()).all()
    close_abandoned_runs()
    moved = 0
    for integration_id in sorted({row[0] for row in shops}):
        integration = db.session.get(Integration, integration_id)
        if integration is None or integration.status != ACTIVE:
            continue
        states = {state for shop_id, state in shops if shop_id == integration_id}
        with _one_shop(integration):
            if PENDING in states:
                moved += sum(audit.follow(integration).values())
            if states & {QUEUED, SUBMITTING}:
                Publisher(integration).drain()
    for integration in db.session.execute(select(Integration).join(
            ListingShop, ListingShop.tiktok_integration_id == Integration.id).where(
            ListingShop.keep_content_in_step.is_(True), Integration.status == ACTIVE)).scalars().all():
        with _one_shop(integration):
            push_content_edits(Publisher(integration))
    return moved


@contextmanager
def _one_shop(integration: Integration):
    """One shop's failure (TikTok down, access revoked: already reported) never stops the others' turn."""
    try:
        yield
    except PlatformError as error:
        db.session.rollback()
        log.warning("Listings of TikTok shop %s not followed this time: %s", integration.id, error.message)


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
