"""The embedded default's "Try the demo": once both demo catalogs are imported, link them by SKU."""
from __future__ import annotations

from datetime import timedelta

from sqlalchemy import exists, select

from ..extensions import db
from ..models import Integration, ProductLink
from ..models.integration import ACTIVE, SHOPIFY, TIKTOK
from ..sync.links import auto as linking
from . import app_job, queue

LOOK_AGAIN_SECONDS = 2
GIVE_UP_AFTER = 150  # looks, about five minutes


@app_job
def link_demo_catalog(tenant_id: int, looks: int = 0) -> int:
    """Auto-link by SKU every connected TikTok shop of the tenant that has no link yet; waits for imports.

    Returns how many links were made (0 while waiting; it asks to look again in a moment)."""
    integrations = db.session.execute(select(Integration).where(
        Integration.tenant_id == tenant_id, Integration.status == ACTIVE)).scalars().all()
    shops = [i for i in integrations if i.platform == TIKTOK]
    imported = shops and all(i.last_import_at for i in integrations if i.platform in (SHOPIFY, TIKTOK))
    if not imported:
        db.session.rollback()
        if looks < GIVE_UP_AFTER:
            queue("default").enqueue_in(timedelta(seconds=LOOK_AGAIN_SECONDS), link_demo_catalog, tenant_id,
                                        looks + 1)
        return 0
    made = 0
    for shop in shops:
        if db.session.execute(select(exists().where(ProductLink.tiktok_integration_id == shop.id))).scalar():
            continue
        preview = linking.preview_auto_link(tenant_id, shop.id, "sku")
        if preview.pairs:
            made += len(linking.apply_auto_link(tenant_id, shop.id, "sku", preview.pairs))
    return made
