"""Links whose Shopify variant or TikTok SKU disappeared: kept as orphaned, never deleted with it.

A deletion (webhook, import sweep, a TikTok shop moving to another account) first marks the links
it would take with it as orphaned, saying what went and why; the foreign key then only empties the
side that went. Rules and history stay, the merchant is told, and the link page offers a relink or
a removal.
"""
from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from sqlalchemy import bindparam, select, update
from sqlalchemy.engine import Connection

from ...models import Product, ProductLink, TikTokProduct, TikTokSku, Variant, utcnow
from ...models.links import ORPHANED
from ...notify import alerts

LINK_PATH = "/product-links/{link_id}"


@dataclass(frozen=True)
class Orphaned:
    tenant_id: int
    link_id: int
    reason: str


def orphan_variant_links(conn: Connection, variant_ids, why: str) -> list[Orphaned]:
    """Orphan the links fed by these variants (ids or a select of ids) before they are deleted.

    `why` completes "Shopify variant X …", e.g. "was deleted in Shopify".
    """
    rows = conn.execute(
        select(ProductLink.id, ProductLink.tenant_id, Product.title, Variant.title, Variant.sku)
        .join(Variant, Variant.id == ProductLink.variant_id).join(Product, Product.id == Variant.product_id)
        .where(ProductLink.variant_id.in_(variant_ids), ProductLink.state != ORPHANED)).all()
    return _orphan(conn, [(link_id, tenant_id, f"Shopify variant {_label(product, variant, sku)} {why}")
                          for link_id, tenant_id, product, variant, sku in rows])


def orphan_sku_links(conn: Connection, sku_ids, why: str) -> list[Orphaned]:
    """Orphan the links feeding these TikTok SKUs (ids or a select of ids) before they are deleted."""
    rows = conn.execute(
        select(ProductLink.id, ProductLink.tenant_id, TikTokProduct.title, TikTokSku.seller_sku, TikTokSku.tiktok_id)
        .join(TikTokSku, TikTokSku.id == ProductLink.tiktok_sku_id)
        .join(TikTokProduct, TikTokProduct.id == TikTokSku.product_id)
        .where(ProductLink.tiktok_sku_id.in_(sku_ids), ProductLink.state != ORPHANED)).all()
    return _orphan(conn, [(link_id, tenant_id, f"TikTok SKU {seller_sku or sku_id} of “{title}” {why}")
                          for link_id, tenant_id, title, seller_sku, sku_id in rows])


def orphan_shop_links(conn: Connection, tiktok_integration_id: int, why: str) -> list[Orphaned]:
    """Orphan every link feeding one TikTok shop (it is now another account's)."""
    rows = conn.execute(select(ProductLink.id, ProductLink.tenant_id).where(
        ProductLink.tiktok_integration_id == tiktok_integration_id, ProductLink.state != ORPHANED)).all()
    return _orphan(conn, [(link_id, tenant_id, why) for link_id, tenant_id in rows])


def _label(product: str, variant: str | None, sku: str | None) -> str:
    name = product if not variant or variant == "Default Title" else f"{product} · {variant}"
    return f"{sku} (“{name}”)" if sku else f"“{name}”"


def _orphan(conn: Connection, rows: list[tuple[int, int, str]]) -> list[Orphaned]:
    if not rows:
        return []
    now = utcnow()
    table = ProductLink.__table__
    conn.execute(update(table).where(table.c.id == bindparam("link_id")).values(
        state=ORPHANED, orphaned_reason=bindparam("reason"), orphaned_at=now, dirty=False, updated_at=now),
        [{"link_id": link_id, "reason": reason[:2000]} for link_id, _, reason in rows])
    return [Orphaned(tenant_id, link_id, reason) for link_id, tenant_id, reason in rows]


def report(orphaned: Iterable[Orphaned]) -> None:
    """Tell each merchant about their newly orphaned links (the first at once, the rest in the digest).

    Call after the orphaning is committed: each alert commits the session.
    """
    for item in orphaned:
        alerts.report_failure(item.tenant_id, alerts.LINK_ORPHANED, f"link:{item.link_id}",
                              f"A product link stopped syncing: {item.reason}",
                              {"link_id": item.link_id, "reason": item.reason},
                              LINK_PATH.format(link_id=item.link_id))


def report_resolved(tenant_id: int, link_id: int, summary: str) -> None:
    alerts.report_recovery(tenant_id, alerts.LINK_ORPHANED, f"link:{link_id}", summary)
