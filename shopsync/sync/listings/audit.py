"""Following TikTok's audit of each submitted listing: by product status webhooks (types 5 and 37, taken as
hints) and by a poll, the net for lost webhooks. Pending becomes live, or failed with TikTok's reasons; a
failed listing can be fixed in Shopify and resubmitted. Failures reach the merchant through the alert
digest: one email for the first, the rest together."""
from __future__ import annotations

from collections import Counter

from sqlalchemy import func, select

from ...extensions import db
from ...models import Integration, Listing, TikTokProduct, utcnow
from ...models.listings import FAILED, LIVE, PENDING, QUEUED, STATES, TIKTOK_DRAFT
from ...notify import alerts
from ...platforms.http import PermanentError
from ...platforms.tiktok import listings as tiktok
from ..connections.tiktok_access import call_with_refresh

_GONE = frozenset({12019150, 12052032, 12052260})
FIX_PATH = "/listings?state=failed"


def follow(integration: Integration, limit: int = 200) -> Counter:
    """Poll TikTok for listings still in audit; returns how many moved to each state. Commits."""
    pending = list(db.session.execute(select(Listing).where(
        Listing.tiktok_integration_id == integration.id, Listing.state == PENDING,
    ).order_by(Listing.submitted_at).limit(limit)).scalars())
    moved = Counter()
    for listing in pending:
        new_state = refresh(integration, listing)
        if new_state != PENDING:
            moved[new_state] += 1
    return moved


def refresh(integration: Integration, listing: Listing) -> str:
    """Read the listing's product from TikTok and apply its status. Commits."""
    try:
        state = call_with_refresh(integration, lambda client: tiktok.product_state(client, listing.tiktok_product_id))
    except PermanentError as error:
        if error.code not in _GONE:
            raise
        listing.state, listing.tiktok_product_id, listing.idempotency_key = QUEUED, None, None
        listing.problems = [{"field": "Shop", "message": "TikTok no longer has this listing.", "fix":
                             "It is queued to be published again.", "code": error.code}]
        db.session.commit()
        return QUEUED
    return apply(integration, listing, state)


def apply(integration: Integration, listing: Listing, state: tiktok.ProductState) -> str:
    before = listing.state
    if state.status == "ACTIVATE":
        listing.state, listing.audit_reasons = LIVE, []
    elif state.status == "FAILED" or state.audit_status == "FAILED":
        listing.state = FAILED
        listing.audit_reasons = [{"position": r.get("position", ""), "reasons": list(r.get("reasons") or ()),
                                  "suggestions": list(r.get("suggestions") or ())} for r in state.failed_reasons]
    elif state.status == "DRAFT":
        listing.state = TIKTOK_DRAFT
    if listing.state != before:
        listing.decided_at = utcnow()
        db.session.execute(TikTokProduct.__table__.update().where(
            TikTokProduct.integration_id == integration.id, TikTokProduct.tiktok_id == listing.tiktok_product_id,
        ).values(status=state.status))
    db.session.commit()
    if listing.state != before:
        _tell(integration, listing)
    return listing.state


def _tell(integration: Integration, listing: Listing) -> None:
    subject = f"listing:{listing.id}"
    title = listing.product.title
    if listing.state == FAILED:
        reasons = "; ".join(r for item in listing.audit_reasons for r in item["reasons"])[:1000]
        alerts.report_failure(integration.tenant_id, alerts.LISTING_FAILED, subject,
                              f"TikTok's review rejected “{title}”",
                              {"product": title, "shop": integration.name, "reasons": reasons}, FIX_PATH)
    elif listing.state == LIVE:
        alerts.report_recovery(integration.tenant_id, alerts.LISTING_FAILED, subject,
                               f"“{title}” is live on TikTok Shop.")


def on_status_event(integration: Integration, product_id: str) -> str | None:
    """A product status webhook (type 5 or 37): refresh that listing now. None when it isn't ours."""
    listing = db.session.execute(select(Listing).where(
        Listing.tiktok_integration_id == integration.id, Listing.tiktok_product_id == str(product_id),
    )).scalar_one_or_none()
    if listing is None:
        return None
    return refresh(integration, listing)


def counts(tenant_id: int, tiktok_integration_id: int | None = None) -> dict[str, int]:
    """How many listings are in each state (every state present, zero or not)."""
    query = select(Listing.state, func.count(Listing.id)).where(Listing.tenant_id == tenant_id)
    if tiktok_integration_id is not None:
        query = query.where(Listing.tiktok_integration_id == tiktok_integration_id)
    found = dict(db.session.execute(query.group_by(Listing.state)).all())
    return {state: int(found.get(state, 0)) for state in STATES}
