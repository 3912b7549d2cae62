"""Importing a TikTok shop's catalog: warehouses, then every product and SKU, one page at a time.

Each page of products is upserted in a few set-based statements and committed
with the run's progress, so memory stays flat whatever the catalog size and the
progress bar moves as it goes. Which products were seen is kept in Redis for the
run; after a complete pass the ones TikTok no longer has are removed.
"""
from __future__ import annotations

import uuid
from datetime import datetime, timezone
from itertools import islice
from typing import Iterable, Iterator

from flask import current_app
from sqlalchemy import and_, delete, select
from sqlalchemy.dialects import postgresql, sqlite

from ...extensions import db
from ...models import Integration, SyncRun, TikTokProduct, TikTokSku, TikTokWarehouse, utcnow
from ...notify import alerts
from ...platforms.http import AuthError, PlatformError
from ...platforms.tiktok import products as tiktok
from ...platforms.tiktok.client import TikTokClient
from .. import runs
from ..links import orphans
from ..connections.tiktok_access import call_with_refresh

PAGE_SIZE = tiktok.MAX_PAGE_SIZE
SWEEP_BATCH = 1000
_SEEN_TTL_SECONDS = 24 * 3600


def import_catalog(integration_id: int, run_id: int | None = None, trigger: str = "manual") -> SyncRun | None:
    """Import the shop's whole TikTok catalog, recording progress and outcome in a sync run."""
    integration = db.session.get(Integration, integration_id)
    if integration is None:
        return None
    if run_id is None:
        run_id = runs.start_run(integration.tenant_id, "import", trigger, integration_id=integration.id)
    runs.mark_running(run_id)
    run = db.session.get(SyncRun, run_id)
    subject = f"import:{integration.id}"
    try:
        call_with_refresh(integration, lambda client: _import(client, integration, run))
    except Exception as error:
        db.session.rollback()
        known = isinstance(error, PlatformError)
        reason = error.message if known else "ShopSync hit an unexpected error while importing."
        run.status, run.finished_at, run.message = "failed", utcnow(), reason[:2000]
        db.session.commit()
        if not isinstance(error, AuthError):  # an auth failure is already reported as needs_reauth
            alerts.report_failure(integration.tenant_id, alerts.RUN_FAILED, subject,
                                  f"Importing the catalog of TikTok shop {integration.name} failed",
                                  {"reason": reason, "request_id": getattr(error, "request_id", None)},
                                  "/integrations")
        if not known:
            raise
        return run
    alerts.report_recovery(integration.tenant_id, alerts.RUN_FAILED, subject,
                           f"The catalog of TikTok shop {integration.name} imported fine.")
    return run


def _import(client: TikTokClient, integration: Integration, run: SyncRun) -> None:
    # May run twice (after a token refresh): everything below is an idempotent upsert.
    redis = current_app.extensions["shopsync.redis"]
    # Unique per pass: a retried pass starts a fresh set, and nothing else can share it.
    seen_key = f"shopsync:tiktok-import:{run.id}:{uuid.uuid4().hex}:seen"
    _store_warehouses(integration, tiktok.warehouses(client))
    run.total = _total_count(client)
    run.done = 0
    db.session.commit()
    expected = run.total
    try:
        for page in _pages(tiktok.iter_products(client, page_size=PAGE_SIZE), PAGE_SIZE):
            orphaned = _store_page(integration, page)
            redis.sadd(seen_key, *(product.id for product in page))
            redis.expire(seen_key, _SEEN_TTL_SECONDS)
            run.done += len(page)
            run.total = max(run.total, run.done)
            db.session.commit()
            orphans.report(orphaned)
        # A pass that saw fewer products than TikTok counted looks incomplete: it removes nothing.
        removed = _remove_unseen(integration, redis, seen_key) if run.done >= expected else None
    finally:
        redis.delete(seen_key)
    integration.last_import_at = utcnow()
    run.status, run.finished_at = "succeeded", utcnow()
    run.message = f"Imported {run.done} products" + (f", removed {removed} gone from TikTok Shop" if removed else "")
    if removed is None:
        run.message += (f"; nothing was removed: TikTok Shop counted {expected} products but the import read "
                        f"{run.done} (the next import checks again)")
    db.session.commit()


def _total_count(client: TikTokClient) -> int:
    # A one-product page: the catalog walk itself only yields products, not TikTok's count.
    data = client.post(tiktok.SEARCH_PATH, {}, query={"page_size": 1}).data
    return int(data.get("total_count") or 0)


def _pages(products: Iterable[tiktok.Product], size: int) -> Iterator[list[tiktok.Product]]:
    iterator = iter(products)
    while page := list(islice(iterator, size)):
        yield page


def _upsert(model, rows: list[dict], keys: tuple[str, ...], returning=None):
    """INSERT ... ON CONFLICT (keys) DO UPDATE on PostgreSQL and SQLite alike."""
    dialect = postgresql if db.engine.dialect.name == "postgresql" else sqlite
    statement = dialect.insert(model.__table__).values(rows)
    updated = {name: statement.excluded[name] for name in rows[0] if name not in keys}
    statement = statement.on_conflict_do_update(index_elements=list(keys), set_=updated)
    if returning is not None:
        statement = statement.returning(*returning)
    return db.session.execute(statement)


def _store_warehouses(integration: Integration, warehouses: list[tiktok.Warehouse]) -> None:
    owner = {"tenant_id": integration.tenant_id, "integration_id": integration.id}
    if warehouses:
        _upsert(TikTokWarehouse, [dict(owner, tiktok_id=w.id, name=w.name, type=w.type or None,
                                       sub_type=w.sub_type or None,
                                       is_default=w.is_default, enabled=w.effect_status == "ENABLED")
                                  for w in warehouses], ("integration_id", "tiktok_id"))
    db.session.execute(delete(TikTokWarehouse).where(
        TikTokWarehouse.integration_id == integration.id,
        TikTokWarehouse.tiktok_id.not_in([w.id for w in warehouses])))
    # A shop imported for the first time with one seller warehouse has nothing to choose: its default mapping
    # stands confirmed. Shops synced before warehouses could be mapped keep the old behaviour until confirmed.
    if (integration.warehouses_confirmed_at is None and integration.last_import_at is None
            and sum(1 for w in warehouses if w.takes_stock) == 1):
        integration.warehouses_confirmed_at = utcnow()


def _store_page(integration: Integration, page: list[tiktok.Product]) -> list[orphans.Orphaned]:
    """Upsert one page; returns the links orphaned by SKUs their products no longer have (committed by the caller)."""
    owner = {"tenant_id": integration.tenant_id, "integration_id": integration.id}
    row_ids = dict((tiktok_id, row_id) for row_id, tiktok_id in _upsert(
        TikTokProduct,
        [dict(owner, tiktok_id=p.id, title=p.title[:512], status=p.status or None,
              tiktok_updated_at=_when(p.update_time)) for p in page],
        ("integration_id", "tiktok_id"), returning=(TikTokProduct.id, TikTokProduct.tiktok_id)).all())
    skus = [dict(owner, product_id=row_ids[p.id], tiktok_id=s.id, seller_sku=s.seller_sku or None,
                 barcode=s.barcode or None, price=s.price, currency=s.currency or None, inventory=s.inventory)
            for p in page for s in p.skus]
    if skus:
        _upsert(TikTokSku, skus, ("integration_id", "tiktok_id"))
    gone = and_(TikTokSku.product_id.in_(list(row_ids.values())),
                TikTokSku.tiktok_id.not_in([s["tiktok_id"] for s in skus]))
    orphaned = orphans.orphan_sku_links(db.session.connection(), select(TikTokSku.id).where(gone),
                                        "is no longer in TikTok Shop")
    db.session.execute(delete(TikTokSku).where(gone))
    if skus and not integration.currency:
        integration.currency = next((s["currency"] for s in skus if s["currency"]), None)
    return orphaned


def _remove_unseen(integration: Integration, redis, seen_key: str) -> int:
    """Delete the products this complete pass did not see, a batch at a time; returns how many."""
    removed, after = 0, 0
    while True:
        batch = db.session.execute(select(TikTokProduct.id, TikTokProduct.tiktok_id).where(
            TikTokProduct.integration_id == integration.id, TikTokProduct.id > after,
        ).order_by(TikTokProduct.id).limit(SWEEP_BATCH)).all()
        if not batch:
            return removed
        after = batch[-1].id
        seen = redis.smismember(seen_key, [row.tiktok_id for row in batch])
        gone = [row.id for row, present in zip(batch, seen) if not present]
        if gone:
            orphaned = orphans.orphan_sku_links(db.session.connection(), select(TikTokSku.id).where(
                TikTokSku.product_id.in_(gone)), "is no longer in TikTok Shop (its product was deleted)")
            db.session.execute(delete(TikTokProduct).where(TikTokProduct.id.in_(gone)))
            db.session.commit()
            orphans.report(orphaned)
            removed += len(gone)


def _when(timestamp: int | None) -> datetime | None:
    return datetime.fromtimestamp(int(timestamp), tz=timezone.utc) if timestamp else None
