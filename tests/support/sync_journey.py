"""The merchant's whole setup, driven through the real flows with a real worker running the jobs:
install from Shopify (webhooks registered, catalog imported), connect TikTok (catalog imported),
auto-link by SKU, and wait for the first push to settle. Used by the end-to-end tests and the benchmark.
"""
from __future__ import annotations

import time
from dataclasses import dataclass

from sqlalchemy import func, select

from shopsync.extensions import db
from shopsync.models import Integration, ProductLink, SyncRun, TikTokProduct, TikTokSku, Variant
from shopsync.sync.links.auto import apply_auto_link, preview_auto_link
from tests.support.journeys import connect_tiktok, install_shop

INVENTORY_PATH = "/product/202309/products/{product_id}/inventory/update"
PRICES_PATH = "/product/202309/products/{product_id}/prices/update"


def wait_for(predicate, timeout: float = 30.0, every: float = 0.05, message: str = "timed out waiting"):
    """Poll `predicate` (in a fresh database transaction each time) until it returns something truthy."""
    deadline = time.monotonic() + timeout
    while True:
        db.session.rollback()
        value = predicate()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(message)
        time.sleep(every)


@dataclass
class LinkedSku:
    link_id: int
    variant_id: int  # Shopify's id
    inventory_item_id: int
    sku_id: str  # TikTok's id
    product_id: str  # TikTok's product id


@dataclass
class SyncedShop:
    tenant_id: int
    shop: str
    shopify_id: int
    tiktok_id: int
    warehouse_id: str
    links: list[LinkedSku]

    def by_product(self) -> dict[str, list[LinkedSku]]:
        found: dict[str, list[LinkedSku]] = {}
        for link in self.links:
            found.setdefault(link.product_id, []).append(link)
        return found


def _runs_finished(tenant_id: int, integration_id: int) -> bool:
    statuses = db.session.execute(select(SyncRun.status).where(
        SyncRun.tenant_id == tenant_id, SyncRun.integration_id == integration_id, SyncRun.kind == "import")
    ).scalars().all()
    return bool(statuses) and all(status in ("succeeded", "partial", "failed") for status in statuses)


def links_settled(tenant_id: int) -> bool:
    unsettled = db.session.scalar(select(func.count()).select_from(ProductLink).where(
        ProductLink.tenant_id == tenant_id, (ProductLink.dirty.is_(True)) | (ProductLink.state == "pending")))
    return unsettled == 0


def set_up_synced_shop(client, shop: str, tiktok_sandbox, settings: dict | None = None,
                       timeout: float = 60.0) -> SyncedShop:
    """Install, import both catalogs, auto-link by SKU with `settings`, and wait for the first push.

    Needs a worker running; the app context is the caller's.
    """
    tenant_id = install_shop(client, shop)
    shopify_id = db.session.execute(select(Integration.id).where(
        Integration.platform == "shopify", Integration.external_id == shop)).scalar_one()
    wait_for(lambda: _runs_finished(tenant_id, shopify_id), timeout, message="the Shopify import did not finish")
    tiktok_ids = connect_tiktok(client, tiktok_sandbox, import_catalog=True)  # whichever of us takes the job
    for integration_id in tiktok_ids:
        wait_for(lambda: _runs_finished(tenant_id, integration_id), timeout,
                 message="the TikTok import did not finish")
    tiktok_id = tiktok_ids[0]  # the US shop: it lists most Shopify demo products under the same SKUs
    preview = preview_auto_link(tenant_id, tiktok_id, "sku")
    assert preview.matches, "auto-link found nothing to link"
    apply_auto_link(tenant_id, tiktok_id, "sku", preview.pairs, settings)
    wait_for(lambda: links_settled(tenant_id), timeout, message="the first push did not settle")
    rows = db.session.execute(
        select(ProductLink.id, Variant.shopify_id, Variant.inventory_item_id, TikTokSku.tiktok_id,
               TikTokProduct.tiktok_id)
        .join(Variant, Variant.id == ProductLink.variant_id)
        .join(TikTokSku, TikTokSku.id == ProductLink.tiktok_sku_id)
        .join(TikTokProduct, TikTokProduct.id == TikTokSku.product_id)
        .where(ProductLink.tenant_id == tenant_id, ProductLink.tiktok_integration_id == tiktok_id)
        .order_by(TikTokProduct.tiktok_id, TikTokSku.tiktok_id)).all()
    shop_id = db.session.get(Integration, tiktok_id).external_id
    warehouse_id = tiktok_sandbox.shop(shop_id).sales_warehouse_ids[0]
    return SyncedShop(tenant_id, shop, shopify_id, tiktok_id, warehouse_id, [LinkedSku(*row) for row in rows])


def inventory_calls(tiktok_sandbox, product_id: str, since: float = 0.0):
    return [c for c in tiktok_sandbox.calls(INVENTORY_PATH.format(product_id=product_id)) if c.timestamp >= since]


def price_calls(tiktok_sandbox, product_id: str, since: float = 0.0):
    return [c for c in tiktok_sandbox.calls(PRICES_PATH.format(product_id=product_id)) if c.timestamp >= since]


def sent_quantities(call, warehouse_id: str) -> dict[str, int]:
    """TikTok SKU id -> the quantity this inventory call set at `warehouse_id`."""
    return {sku["id"]: q["quantity"] for sku in call.body["skus"] for q in sku["inventory"]
            if q["warehouse_id"] == warehouse_id}


def sent_prices(call) -> dict[str, str]:
    return {sku["id"]: sku["price"]["amount"] for sku in call.body["skus"]}
