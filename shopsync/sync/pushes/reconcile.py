"""Nightly reconciliation: read TikTok's own prices and stock back, report drift, fix what links sync.

TikTok's values are read with products/search, a page of up to 100 products per
call, and stored on the SKU rows; the plan is then made against those values, so
every drift becomes a logged push (before = what TikTok had, after = what it
should have) in a reconcile run.
"""
from __future__ import annotations

from collections.abc import Callable

from sqlalchemy import bindparam, select, update

from ...extensions import db
from ...models import Integration, ProductLink, SyncRun, TikTokProduct, TikTokSku
from ...platforms.http import PermanentError, PlatformError, TransientError
from ...platforms.tiktok.products import get_product, iter_products
from .planner import build_plan, pushable
from .pusher import PushOutcome, push_plan
from ..runs import finish_run, start_run
from ..connections.tiktok_access import call_with_refresh


def reconcile_shop(tiktok_integration_id: int, keep_alive: Callable[[], None] = lambda: None) -> PushOutcome:
    integration = db.session.get(Integration, tiktok_integration_id)
    if integration is None or not integration.is_active:
        return PushOutcome()
    run_id = start_run(integration.tenant_id, "reconcile", "schedule", integration_id=tiktok_integration_id)
    keep_alive()
    try:
        products = call_with_refresh(integration, lambda client: list(iter_products(client)))
    except PlatformError as error:
        finish_run(run_id, f"Could not read the TikTok shop: {error.message}", status="failed")
        if isinstance(error, TransientError):
            raise
        return PushOutcome()
    store_tiktok_values(tiktok_integration_id, products)
    plan = build_plan(pushable(ProductLink.tiktok_integration_id == tiktok_integration_id), reference="tiktok")
    db.session.execute(update(SyncRun).where(SyncRun.id == run_id).values(total=len(plan.link_ids)),
                       execution_options={"synchronize_session": False})
    outcome = push_plan(plan, trigger="schedule", run_id=run_id, keep_alive=keep_alive)
    drifted = len(plan.changes)
    finish_run(run_id, f"{drifted} SKU(s) differed on TikTok" if drifted else "TikTok matches Shopify")
    return outcome


def read_from_tiktok(tiktok_integration_id: int, link_ids: list[int], keep_alive: Callable[[], None]) -> int:
    """Store TikTok's current prices and stock for these links' SKUs: one product detail call per TikTok
    product (TikTok has no read by SKU id that also gives prices). Returns how many products were read.

    A product TikTok no longer has, or refuses to show, is skipped: the push that follows reports it.
    Transient failures propagate, so the job is retried.
    """
    if not link_ids:
        return 0
    integration = db.session.get(Integration, tiktok_integration_id)
    product_ids = db.session.execute(
        select(TikTokProduct.tiktok_id).join(TikTokSku, TikTokSku.product_id == TikTokProduct.id)
        .join(ProductLink, ProductLink.tiktok_sku_id == TikTokSku.id)
        .where(ProductLink.id.in_(link_ids), ProductLink.tiktok_integration_id == tiktok_integration_id)
        .distinct()).scalars().all()
    products = []
    for product_id in sorted(product_ids):
        keep_alive()
        try:
            products.append(call_with_refresh(integration, lambda client: get_product(client, product_id)))
        except PermanentError:
            continue
    store_tiktok_values(tiktok_integration_id, products)
    return len(products)


def store_tiktok_values(tiktok_integration_id: int, products) -> int:
    """Update the linked SKU rows with TikTok's prices and stock; returns how many rows changed."""
    linked = dict(db.session.execute(
        select(TikTokSku.tiktok_id, TikTokSku.id).join(ProductLink, ProductLink.tiktok_sku_id == TikTokSku.id)
        .where(TikTokSku.integration_id == tiktok_integration_id)).all())
    rows = [{"row_id": linked[sku.id], "new_price": sku.price, "new_currency": sku.currency or None,
             "new_inventory": dict(sku.inventory)}
            for product in products for sku in product.skus if sku.id in linked]
    if rows:
        db.session.execute(
            update(TikTokSku.__table__).where(TikTokSku.__table__.c.id == bindparam("row_id"))
            .values(price=bindparam("new_price"), currency=bindparam("new_currency"),
                    inventory=bindparam("new_inventory")),
            rows)
    db.session.commit()
    return len(rows)
