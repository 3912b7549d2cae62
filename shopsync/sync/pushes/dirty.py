"""Marking links dirty: Shopify changed something a link pushes, so the next flush must push it.

A mark bumps change_seq; a flush clears only the marks it saw (see pusher), so a
change that lands while a push is in flight is never lost.
"""
from __future__ import annotations

from collections.abc import Iterable

from sqlalchemy import select, update

from ...extensions import db
from ...models import ProductLink, utcnow


def mark_variants_dirty(tenant_id: int, variant_ids: Iterable[int]) -> set[int]:
    """Mark every link fed by these variants; returns the TikTok integrations that need a flush."""
    ids = list(set(variant_ids))
    if not ids:
        return set()
    where = (ProductLink.tenant_id == tenant_id, ProductLink.variant_id.in_(ids))
    return _mark(where)


def mark_links_dirty(tenant_id: int, link_ids: Iterable[int]) -> set[int]:
    ids = list(set(link_ids))
    if not ids:
        return set()
    return _mark((ProductLink.tenant_id == tenant_id, ProductLink.id.in_(ids)))


def mark_shop_dirty(tenant_id: int, tiktok_integration_id: int) -> set[int]:
    """Mark every link feeding this TikTok shop (its defaults changed); returns it when a flush is needed."""
    return _mark((ProductLink.tenant_id == tenant_id, ProductLink.tiktok_integration_id == tiktok_integration_id))


def _mark(where) -> set[int]:
    integrations = set(db.session.execute(
        select(ProductLink.tiktok_integration_id).where(*where, ProductLink.paused.is_(False)).distinct()
    ).scalars())
    db.session.execute(
        update(ProductLink).where(*where).values(
            dirty=True, change_seq=ProductLink.change_seq + 1, updated_at=utcnow()),
        execution_options={"synchronize_session": False},
    )
    return integrations
