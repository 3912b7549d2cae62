"""Keeping a listing's content in step with Shopify (a per-shop option): when a published product's title,
description or images change in Shopify, the listing is rebuilt, checked by TikTok again, and only those
fields are sent as a partial edit. TikTok reviews every content edit; the live version stays on sale
until the edit passes."""
from __future__ import annotations

from sqlalchemy import func, select

from ...extensions import db
from ...models import Listing, Product
from ...models.listings import LIVE, PENDING
from ...platforms.tiktok import listings as tiktok
from ..connections.tiktok_access import call_with_refresh
from .publish import Publisher

CONTENT_FIELDS = ("title", "description", "main_images")


def push_content_edits(publisher: Publisher, limit: int = 100) -> int:
    """Send the content edits of products changed in Shopify since their listing was last checked."""
    if not publisher.shop.keep_content_in_step:
        return 0
    changed = list(db.session.execute(select(Listing).join(Product, Product.id == Listing.product_id).where(
        Listing.tiktok_integration_id == publisher.integration.id, Listing.state.in_((LIVE, PENDING)),
        Listing.tiktok_product_id.is_not(None),
        Product.shopify_updated_at > func.coalesce(Listing.checked_at, Listing.submitted_at),
    ).order_by(Listing.id).limit(limit)).scalars())
    sent = 0
    for listing in changed:
        before = _content(listing.body)
        if not publisher.check(listing):  # the problems show on the listing; TikTok keeps the live version
            continue
        after = _content(listing.body)
        if after == before:
            continue
        call_with_refresh(publisher.integration, lambda client: tiktok.partial_edit(
            client, listing.tiktok_product_id, after))
        listing.state = PENDING
        db.session.commit()
        sent += 1
    return sent


def _content(body: dict | None) -> dict:
    return {name: (body or {}).get(name) for name in CONTENT_FIELDS}
