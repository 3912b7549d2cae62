"""The moment TikTok creates a listing, each of its SKUs is linked to its Shopify variant, so price and stock
sync starts at once with the shop's default rules (as links made by hand or by auto-link do)."""
from __future__ import annotations

from decimal import Decimal

from sqlalchemy import select

from ...extensions import db
from ...models import Integration, Listing, ProductLink, TikTokProduct, TikTokSku, Variant, utcnow
from ...models.links import PENDING
from ...platforms.shopify.catalog import parse_gid
from ...platforms.tiktok.listings import CreatedSku


def link_created(integration: Integration, listing: Listing, product_id: str, skus: tuple[CreatedSku, ...],
                 status: str) -> list[int]:
    """Catalog rows for the new TikTok product and one link per SKU; returns the links made. Flushes."""
    sent = (listing.body or {}).get("skus") or []
    product = _product_row(integration, product_id, listing.body.get("title", ""), status)
    variants = _variants(listing, sent)
    made = []
    for position, created in enumerate(skus):
        entry = _entry_for(created, sent, position)
        if entry is None:
            continue
        sku = _sku_row(integration, product, created, entry)
        variant_id = variants.get(entry.get("external_sku_id"))
        if variant_id is None:
            continue
        existing = db.session.execute(select(ProductLink.id).where(
            ProductLink.tiktok_sku_id == sku.id)).scalar_one_or_none()
        if existing is not None:
            continue
        link = ProductLink(tenant_id=integration.tenant_id, variant_id=variant_id, tiktok_sku_id=sku.id,
                           shopify_integration_id=listing.product.integration_id,
                           tiktok_integration_id=integration.id, state=PENDING, dirty=True, change_seq=1,
                           last_pushed_price=Decimal(entry["price"]["amount"]),
                           last_pushed_quantity=sum(int(i["quantity"]) for i in entry.get("inventory") or ()),
                           updated_at=utcnow())
        db.session.add(link)
        db.session.flush()
        made.append(link.id)
    return made


def _product_row(integration: Integration, product_id: str, title: str, status: str) -> TikTokProduct:
    row = db.session.execute(select(TikTokProduct).where(
        TikTokProduct.integration_id == integration.id, TikTokProduct.tiktok_id == product_id)).scalar_one_or_none()
    if row is None:
        row = TikTokProduct(tenant_id=integration.tenant_id, integration_id=integration.id, tiktok_id=product_id,
                            title=title[:512], status=status, tiktok_updated_at=utcnow())
        db.session.add(row)
        db.session.flush()
    return row


def _sku_row(integration: Integration, product: TikTokProduct, created: CreatedSku, entry: dict) -> TikTokSku:
    row = db.session.execute(select(TikTokSku).where(
        TikTokSku.integration_id == integration.id, TikTokSku.tiktok_id == created.id)).scalar_one_or_none()
    if row is None:
        identifier = entry.get("identifier_code") or {}
        row = TikTokSku(tenant_id=integration.tenant_id, integration_id=integration.id, product_id=product.id,
                        tiktok_id=created.id, seller_sku=created.seller_sku or entry.get("seller_sku"),
                        barcode=identifier.get("code"), price=Decimal(entry["price"]["amount"]),
                        currency=entry["price"]["currency"],
                        inventory={i["warehouse_id"]: int(i["quantity"]) for i in entry.get("inventory") or ()})
        db.session.add(row)
        db.session.flush()
    return row


def _entry_for(created: CreatedSku, sent: list[dict], position: int) -> dict | None:
    """The SKU we sent that TikTok answered with: by external SKU id, then seller SKU, then order."""
    for key, value in (("external_sku_id", created.external_sku_id), ("seller_sku", created.seller_sku)):
        if value:
            found = next((entry for entry in sent if entry.get(key) == value), None)
            if found is not None:
                return found
    return sent[position] if position < len(sent) else None


def _variants(listing: Listing, sent: list[dict]) -> dict[str, int]:
    """external_sku_id (the Shopify variant gid) -> our variant row id."""
    by_shopify = {parse_gid(entry["external_sku_id"]): entry["external_sku_id"] for entry in sent
                  if entry.get("external_sku_id")}
    rows = db.session.execute(select(Variant.id, Variant.shopify_id).where(
        Variant.tenant_id == listing.tenant_id, Variant.integration_id == listing.product.integration_id,
        Variant.shopify_id.in_(list(by_shopify)))).all()
    return {by_shopify[row.shopify_id]: row.id for row in rows}
