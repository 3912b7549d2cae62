"""What a merchant does to links they picked: pause, resume, unlink, change settings, sync now.

Every function takes the tenant id and ignores ids of other tenants, so the
callers (pages, API) can pass what the request sent. Each commits.
"""
from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from sqlalchemy import delete, select, update
from sqlalchemy.exc import IntegrityError

from ...extensions import db
from ...models import Integration, ProductLink, SyncRun, TikTokSku, Variant, utcnow
from ...models.links import NEEDS_CONFIRMATION, ORPHANED, PENDING
from ..pushes.dirty import mark_links_dirty
from ..pushes.rules import clean_settings


def owned_ids(tenant_id: int, link_ids: Iterable[int]) -> list[int]:
    ids = sorted({int(i) for i in link_ids})
    if not ids:
        return []
    return list(db.session.execute(select(ProductLink.id).where(
        ProductLink.tenant_id == tenant_id, ProductLink.id.in_(ids))).scalars())


def pause(tenant_id: int, link_ids: Iterable[int]) -> int:
    ids = owned_ids(tenant_id, link_ids)
    _update(ids, paused=True)
    db.session.commit()
    return len(ids)


def resume(tenant_id: int, link_ids: Iterable[int]) -> int:
    """Unpause; whatever changed while paused is pushed by the next flush."""
    ids = owned_ids(tenant_id, link_ids)
    _update(ids, paused=False)
    shops = mark_links_dirty(tenant_id, ids)
    db.session.commit()
    _request_flushes(shops, "manual")
    return len(ids)


def unlink(tenant_id: int, link_ids: Iterable[int]) -> int:
    """Remove the links; TikTok keeps its last values, and the logs keep their history."""
    from .orphans import report_resolved

    ids = owned_ids(tenant_id, link_ids)
    removed = []
    if ids:
        removed = db.session.execute(delete(ProductLink).where(ProductLink.id.in_(ids)).returning(
            ProductLink.id, ProductLink.state), execution_options={"synchronize_session": False}).all()
    db.session.commit()
    for link_id, state in removed:
        if state == ORPHANED:
            report_resolved(tenant_id, link_id, "The orphaned link was removed")
    return len(ids)


def change_settings(tenant_id: int, link_ids: Iterable[int], data: Mapping[str, Any], *,
                    only_given: bool = False) -> int:
    """Validate and store settings (raises rules.SettingsError); the links are pushed with the new rules.

    With only_given, empty values leave a setting as it is (batch edits); otherwise
    they reset it to the shop's default.
    """
    cleaned = clean_settings(data, partial=True)
    if only_given:
        cleaned = {name: value for name, value in cleaned.items() if value is not None}
    ids = owned_ids(tenant_id, link_ids)
    if cleaned:
        _update(ids, **cleaned)
        shops = mark_links_dirty(tenant_id, ids)
    else:
        shops = set()
    db.session.commit()
    _request_flushes(shops, "manual")
    return len(ids)


def sync_now(tenant_id: int, link_ids: Iterable[int], trigger: str = "manual") -> SyncRun | None:
    """Push these links now (paused links are skipped by the push); None when none were given."""
    from ...jobs.pushes import sync_now as start_push

    ids = owned_ids(tenant_id, link_ids)
    if not ids:
        return None
    return start_push(tenant_id, ids, trigger)


def _update(ids: list[int], **values) -> None:
    for start in range(0, len(ids), 5000):
        db.session.execute(update(ProductLink).where(ProductLink.id.in_(ids[start:start + 5000]))
                           .values(updated_at=utcnow(), **values),
                           execution_options={"synchronize_session": False})


def _request_flushes(tiktok_integration_ids: set[int], trigger: str) -> None:
    from ...jobs.pushes import request_flush

    for integration_id in sorted(tiktok_integration_ids):
        request_flush(integration_id, trigger)


class LinkError(ValueError):
    """A link that cannot be made as asked; the message says why in the merchant's words."""


def confirm_price(tenant_id: int, link_id: int) -> bool:
    """Allow the held price once: the link is pushed with it. False when nothing waits for confirmation."""
    confirmed = db.session.execute(
        update(ProductLink).where(ProductLink.tenant_id == tenant_id, ProductLink.id == link_id,
                                  ProductLink.state == NEEDS_CONFIRMATION, ProductLink.held_price.is_not(None))
        .values(confirmed_price=ProductLink.held_price, updated_at=utcnow()),
        execution_options={"synchronize_session": False}).rowcount
    if not confirmed:
        db.session.rollback()
        return False
    shops = mark_links_dirty(tenant_id, [link_id])
    db.session.commit()
    _request_flushes(shops, "manual")
    return True


def relink(tenant_id: int, link_id: int, *, variant_id: int | None = None, tiktok_sku_id: int | None = None) -> None:
    """Give an orphaned link the side it lost (another Shopify variant or TikTok SKU), keeping its rules and
    history; it is pushed again as a new link is. Raises LinkError when that cannot be done."""
    from .orphans import report_resolved

    link = db.session.execute(select(ProductLink).where(
        ProductLink.tenant_id == tenant_id, ProductLink.id == link_id).with_for_update()).scalar_one_or_none()
    if link is None or link.state != ORPHANED:
        raise LinkError("this link is not orphaned any more")
    values: dict = {}
    if link.variant_id is None:
        variant = db.session.execute(select(Variant.id, Variant.integration_id).where(
            Variant.tenant_id == tenant_id, Variant.id == (variant_id or 0))).first()
        if variant is None:
            raise LinkError("choose the Shopify variant that feeds this TikTok SKU now")
        values.update(variant_id=variant.id, shopify_integration_id=variant.integration_id)
    if link.tiktok_sku_id is None or _shop_released(link):
        sku = db.session.execute(select(TikTokSku.id, TikTokSku.integration_id).where(
            TikTokSku.tenant_id == tenant_id, TikTokSku.id == (tiktok_sku_id or 0))).first()
        if sku is None:
            raise LinkError("choose the TikTok SKU this Shopify variant feeds now")
        values.update(tiktok_sku_id=sku.id, tiktok_integration_id=sku.integration_id)
    db.session.execute(update(ProductLink).where(ProductLink.id == link.id).values(
        state=PENDING, dirty=True, change_seq=ProductLink.change_seq + 1, orphaned_reason=None, orphaned_at=None,
        last_pushed_price=None, last_pushed_quantity=None, last_error=None, last_error_class=None,
        held_price=None, held_price_before=None, confirmed_price=None, updated_at=utcnow(), **values),
        execution_options={"synchronize_session": False})
    try:
        db.session.commit()
    except IntegrityError:  # the SKU was linked in the meantime
        db.session.rollback()
        raise LinkError("that TikTok SKU was linked in the meantime; choose another") from None
    report_resolved(tenant_id, link.id, "The link is relinked and syncs again")
    _request_flushes({values.get("tiktok_integration_id", link.tiktok_integration_id)}, "manual")


def _shop_released(link: ProductLink) -> bool:
    """The link's TikTok shop was let go to another account (see connections.tiktok_connect)."""
    integration = db.session.get(Integration, link.tiktok_integration_id)
    return integration is None or integration.is_released


def create_links(tenant_id: int, pairs: Iterable[tuple[int, int]], settings: Mapping[str, Any] | None = None
                 ) -> list[int]:
    """Link each (variant id, TikTok SKU row id); returns the new link ids, pending their first push.

    Raises LinkError (nothing saved) when a variant or SKU is not the tenant's or a SKU is already linked.
    """
    pairs = list(dict.fromkeys((int(v), int(s)) for v, s in pairs))
    cleaned = {k: v for k, v in clean_settings(settings or {}).items() if v is not None}
    variant_ids = {v for v, _ in pairs}
    sku_ids = [s for _, s in pairs]
    if len(set(sku_ids)) != len(sku_ids):
        raise LinkError("a TikTok SKU can be fed by one Shopify variant only")
    variants = dict(db.session.execute(select(Variant.id, Variant.integration_id).where(
        Variant.tenant_id == tenant_id, Variant.id.in_(variant_ids))).all())
    skus = dict(db.session.execute(select(TikTokSku.id, TikTokSku.integration_id).where(
        TikTokSku.tenant_id == tenant_id, TikTokSku.id.in_(sku_ids))).all())
    if len(variants) != len(variant_ids) or len(skus) != len(set(sku_ids)):
        raise LinkError("that Shopify variant or TikTok SKU is not in your catalog any more")
    taken = db.session.execute(select(TikTokSku.seller_sku, TikTokSku.tiktok_id).join(
        ProductLink, ProductLink.tiktok_sku_id == TikTokSku.id).where(TikTokSku.id.in_(sku_ids)).limit(1)).first()
    if taken:
        raise LinkError(f"TikTok SKU {taken[0] or taken[1]} is already linked")
    now = utcnow()
    links = [ProductLink(tenant_id=tenant_id, variant_id=variant_id, tiktok_sku_id=sku_id,
                         shopify_integration_id=variants[variant_id], tiktok_integration_id=skus[sku_id],
                         state=PENDING, dirty=True, created_at=now, updated_at=now, **cleaned)
             for variant_id, sku_id in pairs]
    db.session.add_all(links)
    try:
        db.session.commit()
    except IntegrityError:  # someone linked one of these SKUs in the meantime
        db.session.rollback()
        raise LinkError("one of these TikTok SKUs was linked in the meantime; nothing was saved") from None
    _request_flushes({link.tiktok_integration_id for link in links}, "manual")
    return [link.id for link in links]
