"""Checking and publishing listings: nothing is submitted before TikTok's listing check passes, and each
listing is created exactly once.

Exactly once: a listing is claimed (state `submitting`, with its idempotency key) and committed before
the create call. A retry of the call, in the client or after a crash, sends the same key, and TikTok
answers with the product it already made. A listing found `submitting` later (the worker died between
TikTok's answer and our commit) is looked up on TikTok by its external product id before it is created
again with the same key; a duplicate external id (12052996) is looked up too and adopted.
"""
from __future__ import annotations

import logging
import uuid
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime, time, timedelta, timezone
from urllib.parse import urlsplit

from sqlalchemy import func, select, update

from ...extensions import db
from ...models import Integration, Listing, ListingShop, Product, utcnow
from ...models.listings import (BLOCKED, DRAFT, FAILED, LIVE, PENDING, QUEUED, SUBMITTING, TIKTOK_DRAFT)
from ...platforms.http import PermanentError, TransientError, new_session
from ...platforms.tiktok import listings as tiktok
from ..connections.shopify_access import shopify_admin, shopify_base_url
from ..connections.tiktok_access import call_with_refresh
from ..pushes.dirty import mark_links_dirty
from .build import build, sales_warehouse_ids
from .images import ImageHost
from .linking import link_created
from .problems import SHOP, Problem, advice_from_diagnoses, from_tiktok
from .readiness import is_ready, listing_shop, refresh_readiness
from .source import read_product
from .templates import templates_of

log = logging.getLogger(__name__)

ON_TIKTOK = (SUBMITTING, PENDING, LIVE, TIKTOK_DRAFT)
READINESS_FRESH_FOR = timedelta(minutes=10)
STALE_SUBMISSION = timedelta(minutes=2)  # a claim this old whose worker is gone is recovered
SHOPIFY_CDN = "cdn.shopify.com"


@dataclass
class Outcome:
    submitted: list[int] = field(default_factory=list)
    blocked: list[int] = field(default_factory=list)
    waiting: list[int] = field(default_factory=list)  # checked, waiting for readiness or the daily quota
    skipped: list[int] = field(default_factory=list)  # already on TikTok


class Publisher:
    """Checks and submits listings of one TikTok shop; one instance per job."""

    def __init__(self, integration: Integration):
        self.integration = integration
        self.shop: ListingShop = listing_shop(integration)
        self.templates = templates_of(integration.tenant_id, integration.id)
        self._admins: dict[int, object] = {}
        self._warehouse_ids: list[str] | None = None
        self.host = ImageHost(integration.tenant_id, integration.id, new_session(), self._upload,
                              frozenset({SHOPIFY_CDN}))

    # ---- check -------------------------------------------------------------------------------------
    def listing_for(self, product: Product) -> Listing:
        listing = db.session.execute(select(Listing).where(
            Listing.tiktok_integration_id == self.integration.id, Listing.product_id == product.id,
        )).scalar_one_or_none()
        if listing is None:
            listing = Listing(tenant_id=product.tenant_id, product_id=product.id,
                              tiktok_integration_id=self.integration.id, state=DRAFT, chosen_attributes={},
                              problems=[], advice=[], audit_reasons=[])
            db.session.add(listing)
            db.session.flush()
        return listing

    def check(self, listing: Listing) -> bool:
        """Build the listing from Shopify now and run TikTok's listing check; True when it may be submitted.

        Problems ShopSync sees itself are reported without asking TikTok. Commits.
        """
        source = read_product(self._admin(listing), listing.product.shopify_id)
        if source is None:
            return self._stop(listing, [Problem(SHOP, "Shopify no longer has this product.",
                                                "Nothing to publish; remove it from the list.")])
        self.host.allowed_hosts = self.host.allowed_hosts | {urlsplit(i.url).hostname for i in source.images}
        if self._warehouse_ids is None:
            self._warehouse_ids = sales_warehouse_ids(self.integration)
        built = build(self.integration, self.shop, listing, source, self.templates, self.host, self._warehouse_ids)
        listing.template_id = built.template.id if built.template else None
        listing.category_id, listing.category_path = built.category_id, built.category_path
        listing.brand_id = built.brand_id
        listing.body = built.body
        if built.problems or built.body is None:
            return self._stop(listing, built.problems)
        checked = call_with_refresh(self.integration, lambda client: tiktok.listing_check(client, built.body))
        listing.advice = advice_from_diagnoses(checked.diagnoses)
        if not checked.passed:
            return self._stop(listing, [from_tiktok(code, message) for code, message in checked.fail_reasons])
        listing.problems, listing.attention = [], None
        listing.checked_at = utcnow()
        if listing.state == BLOCKED:
            listing.state = DRAFT
        db.session.commit()
        return True

    def _stop(self, listing: Listing, problems: list[Problem]) -> bool:
        listing.problems = [p.as_json() for p in problems]
        listing.checked_at = utcnow()
        if listing.state not in ON_TIKTOK and listing.state != FAILED:
            listing.state = BLOCKED
        db.session.commit()
        return False

    # ---- publish -----------------------------------------------------------------------------------
    def publish(self, products: Iterable[Product], *, save_as_draft: bool = False, run_id: int | None = None,
                progress=None) -> Outcome:
        """Check each product and queue those that pass, then submit what readiness and the quota allow.

        `progress(done=, failed=, skipped=)` is told as each product settles: submitted, stopped by a check,
        or left waiting (already on TikTok, or for readiness or tomorrow's quota).
        """
        progress = progress or (lambda **counts: None)
        outcome, queued = Outcome(), []
        for product in products:
            listing = self.listing_for(product)
            if listing.state in ON_TIKTOK:
                outcome.skipped.append(listing.id)
                progress(skipped=1)
                continue
            if listing.state == FAILED:  # already on TikTok, rejected: fixed, it goes back as an edit
                resubmitted = self.resubmit(listing)
                (outcome.submitted if resubmitted else outcome.blocked).append(listing.id)
                progress(done=int(resubmitted), failed=int(not resubmitted))
                continue
            if not self.check(listing):
                outcome.blocked.append(listing.id)
                progress(failed=1)
                continue
            listing.state, listing.queued_at = QUEUED, utcnow()
            listing.save_as_draft, listing.run_id = save_as_draft, run_id
            db.session.commit()
            queued.append(listing.id)
        self.drain()
        for listing_id, state in db.session.execute(select(Listing.id, Listing.state).where(
                Listing.id.in_(queued))).all() if queued else ():
            if state in (PENDING, TIKTOK_DRAFT, LIVE, FAILED):
                outcome.submitted.append(listing_id)
                progress(done=1)
            elif state == BLOCKED:
                outcome.blocked.append(listing_id)
                progress(failed=1)
            else:
                outcome.waiting.append(listing_id)
                progress(skipped=1)
        return outcome

    def drain(self) -> Outcome:
        """Submit queued listings, oldest first, while the shop is ready and today's quota lasts."""
        outcome = Outcome()
        self.recover()
        if self.shop.checked_at is None or self.shop.checked_at < utcnow() - READINESS_FRESH_FOR:
            self.shop = refresh_readiness(self.integration)
        if not is_ready(self.shop):
            return outcome
        while True:
            remaining = self.remaining_today()
            if remaining <= 0:
                return outcome
            queued = list(db.session.execute(select(Listing).where(
                Listing.tiktok_integration_id == self.integration.id, Listing.state == QUEUED,
            ).order_by(Listing.queued_at, Listing.id).limit(min(remaining, 50))).scalars())
            if not queued:
                return outcome
            for listing in queued:
                result = self.submit(listing)
                if result == "quota":
                    return outcome
                (outcome.submitted if result == "submitted" else outcome.blocked if result == "blocked"
                 else outcome.waiting).append(listing.id)

    def remaining_today(self) -> int:
        now = utcnow()
        if self.shop.quota_resets_at and self.shop.quota_resets_at > now:
            return 0
        used = db.session.execute(select(func.count(Listing.id)).where(
            Listing.tiktok_integration_id == self.integration.id, Listing.submitted_at >= start_of_day(now),
        )).scalar_one()
        return max(0, self.shop.daily_limit - used)

    def submit(self, listing: Listing) -> str:
        """Create the listing on TikTok exactly once: 'submitted', 'blocked', 'quota' or 'retry'. Commits."""
        key = listing.idempotency_key or uuid.uuid4().hex
        claimed = db.session.execute(update(Listing).where(Listing.id == listing.id, Listing.state == QUEUED).values(
            state=SUBMITTING, idempotency_key=key, submitted_at=utcnow()),
            execution_options={"synchronize_session": False}).rowcount
        db.session.commit()
        if not claimed:  # another worker has it
            return "retry"
        db.session.refresh(listing)
        return self._create(listing)

    def _create(self, listing: Listing) -> str:
        body = dict(listing.body, idempotency_key=listing.idempotency_key,
                    save_mode="AS_DRAFT" if listing.save_as_draft else "LISTING")
        try:
            created = call_with_refresh(self.integration, lambda client: tiktok.create_product(client, body))
        except TransientError:
            log.info("TikTok did not answer the create of listing %s; it is retried with the same key", listing.id)
            return "retry"
        except PermanentError as refused:
            return self._refused(listing, refused)
        self._record(listing, created.product_id, created.skus)
        return "submitted"

    def _refused(self, listing: Listing, refused: PermanentError) -> str:
        if refused.code == tiktok.LISTING_LIMIT:
            listing.state, listing.submitted_at = QUEUED, None
            self.shop.quota_resets_at = start_of_day(utcnow()) + timedelta(days=1)
            db.session.commit()
            return "quota"
        if refused.code == tiktok.DUPLICATE_EXTERNAL_ID and self._adopt(listing):
            return "submitted"
        listing.state, listing.submitted_at = BLOCKED, None
        listing.problems = [from_tiktok(int(refused.code or 0), refused.message).as_json()]
        db.session.commit()
        return "blocked"

    def resubmit(self, listing: Listing) -> bool:
        """A listing TikTok's review rejected, rebuilt from Shopify as it is now, checked again and sent as an
        edit of the same TikTok product (its SKUs keep their ids, so the links stay). Commits."""
        if listing.state != FAILED or not listing.tiktok_product_id or not self.check(listing):
            return False
        current = call_with_refresh(self.integration, lambda client: tiktok.product_state(
            client, listing.tiktok_product_id))
        by_seller_sku = {sku.seller_sku: sku.id for sku in current.skus if sku.seller_sku}
        skus = []
        for position, entry in enumerate(listing.body["skus"]):
            sku_id = by_seller_sku.get(entry.get("seller_sku") or "") or (
                current.skus[position].id if position < len(current.skus) else None)
            skus.append(dict(entry, id=sku_id) if sku_id else dict(entry))
        body = dict(listing.body, skus=skus)
        call_with_refresh(self.integration, lambda client: tiktok.edit_product(client, listing.tiktok_product_id,
                                                                               body))
        listing.state, listing.audit_reasons, listing.decided_at = PENDING, [], None
        db.session.commit()
        return True

    def recover(self) -> int:
        """Settle listings left `submitting` by a timeout or a crash: adopt what TikTok made, else create again
        with the same idempotency key. Returns how many were settled."""
        stale = list(db.session.execute(select(Listing).where(
            Listing.tiktok_integration_id == self.integration.id, Listing.state == SUBMITTING,
            Listing.submitted_at < utcnow() - STALE_SUBMISSION)).scalars())
        settled = 0
        for listing in stale:
            if self._adopt(listing) or self._create(listing) != "retry":
                settled += 1
        return settled

    def _adopt(self, listing: Listing) -> bool:
        """Link the product TikTok already has for this listing, if it has one."""
        body = listing.body or {}
        seller_skus = [s.get("seller_sku") for s in body.get("skus") or () if s.get("seller_sku")]
        found = call_with_refresh(self.integration, lambda client: tiktok.find_by_external_id(
            client, body.get("external_product_id", ""), seller_skus))
        if found is None:
            return False
        state = call_with_refresh(self.integration, lambda client: tiktok.product_state(client, found))
        self._record(listing, found, state.skus)
        return True

    def _record(self, listing: Listing, product_id: str, skus) -> None:
        listing.tiktok_product_id = product_id
        listing.state = TIKTOK_DRAFT if listing.save_as_draft else PENDING
        listing.problems = []
        link_ids = link_created(self.integration, listing, product_id, tuple(skus),
                                "DRAFT" if listing.save_as_draft else "PENDING")
        shops = mark_links_dirty(listing.tenant_id, link_ids)
        db.session.commit()
        if shops:
            from ...jobs.pushes import request_flush

            request_flush(self.integration.id, "manual")

    # ---- helpers -----------------------------------------------------------------------------------
    def _admin(self, listing: Listing):
        shopify_id = listing.product.integration_id
        if shopify_id not in self._admins:
            shopify = db.session.get(Integration, shopify_id)
            self._admins[shopify_id] = shopify_admin(shopify)
            self.host.allowed_hosts |= {urlsplit(shopify_base_url(shopify.external_id)).hostname}
        return self._admins[shopify_id]

    def _upload(self, content: bytes, use_case: str) -> tiktok.UploadedImage:
        return call_with_refresh(self.integration, lambda client: tiktok.upload_image(client, content, use_case))


def start_of_day(moment: datetime) -> datetime:
    return datetime.combine(moment.astimezone(timezone.utc).date(), time(0), tzinfo=timezone.utc)

