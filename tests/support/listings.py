"""A tenant ready to publish: Shopify installed (demo catalog imported), a TikTok shop connected, package
defaults set, and TikTok's audit shortened so tests see it end."""
from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import select

from shopsync.extensions import db
from shopsync.models import Integration, Product
from shopsync.sync.listings.readiness import listing_shop
from tests.support.journeys import connect_tiktok
from tests.support.shopify_import import install_store

PACKAGE = {"weight_value": "0.5", "weight_unit": "KILOGRAMS", "length": "30", "width": "20", "height": "5",
           "dimension_unit": "CENTIMETER"}


@dataclass
class PublishingStore:
    shop: str
    tenant_id: int
    shopify_integration_id: int
    tiktok_integration_id: int
    tiktok_shop_id: str

    @property
    def integration(self) -> Integration:
        return db.session.get(Integration, self.tiktok_integration_id)

    def products(self, *titles: str) -> list[Product]:
        query = select(Product).where(Product.tenant_id == self.tenant_id).order_by(Product.id)
        if titles:
            query = query.where(Product.title.in_(titles))
        return list(db.session.execute(query).scalars())


def publishing_store(client, app, tiktok_sandbox, shop: str, *, audit_seconds: float = 0.3) -> PublishingStore:
    """Needs an app context. Resets the TikTok sandbox (new shop ids)."""
    shopify = install_store(client, app, shop)
    tiktok_id = connect_tiktok(client, tiktok_sandbox)[0]
    tiktok_sandbox.listing_desk.audit_seconds = audit_seconds
    integration = db.session.get(Integration, tiktok_id)
    listing_shop(integration).package_defaults = dict(PACKAGE)
    db.session.commit()
    return PublishingStore(shop=shop, tenant_id=shopify.tenant_id, shopify_integration_id=shopify.id,
                           tiktok_integration_id=tiktok_id, tiktok_shop_id=tiktok_sandbox.shops[0].id)
