"""API test helpers: a tenant with a catalog, links, runs and logs, and API keys for it."""
from __future__ import annotations

import uuid
from datetime import timedelta
from decimal import Decimal

from shopsync.extensions import db
from shopsync.models import (Integration, Product, ProductLink, SyncLog, SyncRun, TikTokProduct, TikTokSku, User,
                             Variant, utcnow)
from shopsync.security import api_keys


def create_api_key(app, tenant_id: int, name: str = "test key") -> str:
    """A key made by the tenant's account owner (keys act for their creator)."""
    with app.app_context():
        owner = db.session.query(User).filter_by(tenant_id=tenant_id, role="owner").order_by(User.id).first()
        return api_keys.create_key(tenant_id, name, created_by_id=owner.id)[1]


def bearer(key: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {key}"}


def seed_catalog(app, tenant_id: int, products: int = 3, variants: int = 2) -> dict:
    """Shopify products and variants, one TikTok shop with a SKU per variant, a link for each of the first
    half of the variants, one finished push run and a log row per link. Returns the ids and a name marker."""
    marker = f"m{uuid.uuid4().hex[:10]}"
    with app.app_context():
        shopify = db.session.query(Integration).filter_by(tenant_id=tenant_id, platform="shopify").one()
        # Disconnected: jobs the API queues for this shop find nothing to push, whichever worker runs them.
        tiktok = Integration(tenant_id=tenant_id, platform="tiktok", external_id=f"74{uuid.uuid4().int % 10**17}",
                             name=f"TikTok {marker}", currency="USD", region="US", status="disconnected",
                             defaults={})
        db.session.add(tiktok)
        db.session.flush()
        variant_rows, sku_rows, product_rows = [], [], []
        for p in range(products):
            product = Product(tenant_id=tenant_id, integration_id=shopify.id, shopify_id=9_000_000 + p,
                              title=f"{marker} product {p}", status="active" if p % 2 == 0 else "draft",
                              handle=f"{marker}-{p}")
            tt_product = TikTokProduct(tenant_id=tenant_id, integration_id=tiktok.id, tiktok_id=f"{marker}-{p}",
                                       title=f"{marker} tiktok {p}")
            db.session.add_all([product, tt_product])
            db.session.flush()
            product_rows.append(product)
            for v in range(variants):
                variant = Variant(tenant_id=tenant_id, integration_id=shopify.id, product_id=product.id,
                                  shopify_id=8_000_000 + p * 100 + v, title=f"Size {v}", sku=f"{marker}-SKU-{p}-{v}",
                                  barcode=f"{p}{v}{marker}", price=Decimal("10.00") + p, position=v + 1,
                                  inventory_item_id=7_000_000 + p * 100 + v, inventory_quantity=5)
                sku = TikTokSku(tenant_id=tenant_id, integration_id=tiktok.id, product_id=tt_product.id,
                                tiktok_id=f"{marker}-{p}-{v}", seller_sku=f"{marker}-SKU-{p}-{v}",
                                price=Decimal("12.00"), currency="USD", inventory={})
                db.session.add_all([variant, sku])
                variant_rows.append(variant)
                sku_rows.append(sku)
        db.session.flush()
        half = len(variant_rows) // 2
        links = [ProductLink(tenant_id=tenant_id, variant_id=variant.id, tiktok_sku_id=sku.id,
                             shopify_integration_id=shopify.id, tiktok_integration_id=tiktok.id, state="ok",
                             dirty=False)
                 for variant, sku in zip(variant_rows[:half], sku_rows[:half])]
        now = utcnow()
        run = SyncRun(tenant_id=tenant_id, integration_id=tiktok.id, kind="push", trigger="manual",
                      status="partial", total=len(links), done=len(links) - 1, failed=1, started_at=now,
                      finished_at=now)
        db.session.add_all(links + [run])
        db.session.flush()
        logs = [SyncLog(tenant_id=tenant_id, run_id=run.id, link_id=link.id, product_id=variant_rows[i].product_id,
                        field="price", before="12.00", after="10.00", result="error" if i == 0 else "ok",
                        trigger="schedule" if i == 0 else "manual", error_class="permanent" if i == 0 else None,
                        error_message=f"{marker} refused" if i == 0 else None,
                        created_at=now - timedelta(minutes=len(links) - i))
                for i, link in enumerate(links)]
        db.session.add_all(logs)
        db.session.commit()
        return {
            "marker": marker, "shopify": shopify.id, "tiktok": tiktok.id, "run": run.id,
            "products": [p.id for p in product_rows], "variants": [v.id for v in variant_rows],
            "skus": [s.id for s in sku_rows], "links": [link.id for link in links], "logs": [log.id for log in logs],
            "unlinked": list(zip([v.id for v in variant_rows[half:]], [s.id for s in sku_rows[half:]])),
        }
