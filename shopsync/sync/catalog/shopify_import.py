"""Importing a merchant's Shopify catalog: everything, or only what changed.

A full import reads Shopify's bulk export (two JSONL files: products with their
variants and images, then inventory levels), streaming each file line by line
into set-based batch writes, and afterwards sweeps away whatever Shopify no
longer has. Bulk exports cost no rate-limit points and have no deep-pagination
limits, so every full import uses one, whatever the catalog's size. The
incremental import is the safety net for missed webhooks: it pages through the
products changed since the last high-water mark (minus an overlap) and reads
their stock levels, 25 inventory items per request, which is cheap when little changed.

Progress goes to the run's sync_runs row and is committed batch by batch, so a
progress bar can poll it. Returns the TikTok integrations whose links became
dirty; the job requests their flush.
"""
from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Iterator
from datetime import datetime, timedelta

from flask import current_app
from sqlalchemy import exists, select

from ...extensions import db
from ...models import Integration, Product, ProductLink, SyncRun, utcnow
from ...models.integration import SHOPIFY
from ...platforms.http import AuthError, PermanentError, PlatformError, new_session
from ...platforms.shopify import queries
from ...platforms.shopify.admin import ACCESS_DENIED
from ...platforms.shopify.bulk import FINISHED, BulkResult, bulk_status, iter_jsonl, start_bulk_query
from ...platforms.shopify.catalog import (
    ImageRow,
    InventoryLevelRow,
    ProductRow,
    VariantRow,
    image_from_media_node,
    inventory_level_from_node,
    inventory_levels_from_item_node,
    location_from_node,
    product_from_node,
    rows_from_bulk_lines,
    to_gid,
    variant_from_node,
)
from .. import runs
from .writer import CatalogWriter, Upserted
from ..links import orphans
from ..pushes.dirty import mark_variants_dirty
from ..connections.shopify_access import ShopifyAdmin, mark_missing_permission, shopify_admin

BATCH_ROWS = 20000
INCREMENTAL_OVERLAP = timedelta(minutes=5)
# Shopify's export snapshot starts a little after we ask for it; rows changed from
# shortly before that moment on are left for the next import rather than swept.
SNAPSHOT_MARGIN = timedelta(minutes=1)
BULK_TIMEOUT_SECONDS = 6 * 3600


def bulk_finished_key(operation_id: str) -> str:
    return f"shopsync:shopify:bulk-finished:{operation_id}"


def notify_bulk_finished(operation_id: str) -> None:
    """Wake the import waiting for this export (called for the bulk_operations/finish webhook)."""
    redis = current_app.extensions["shopsync.redis"]
    key = bulk_finished_key(operation_id)
    redis.rpush(key, "finished")
    redis.expire(key, 3600)


class _Progress:
    """The run's counters, committed after every batch."""

    def __init__(self, run: SyncRun, on_batch=None):
        self.run = run
        self.on_batch = on_batch
        self.flush_integrations: set[int] = set()

    def batch_done(self, done: int, dirty_variant_ids: Iterable[int]) -> None:
        ids = list(dirty_variant_ids)
        if ids:
            self.flush_integrations |= mark_variants_dirty(self.run.tenant_id, ids)
        self.run.done = done
        self.run.total = max(self.run.total, done)
        db.session.commit()
        if self.on_batch:
            self.on_batch()


class _Batch:
    """Rows buffered for one set-based write; parents are written before children.

    Rows are written only where strictly newer than what is stored. A stored row with the
    same Shopify second but other values came from a webhook for another change in that
    second, and the import cannot tell which change came last (an export can be minutes
    old): such rows are read back from Shopify and what it has now is written.
    """

    def __init__(self, conn, writer: CatalogWriter, progress: _Progress, has_links: bool, client: ShopifyAdmin):
        self.conn, self.writer, self.progress, self.has_links = conn, writer, progress, has_links
        self.client = client
        self.products: list[ProductRow] = []
        self.variants: list[VariantRow] = []
        self.images: list[ImageRow] = []
        self.levels: list[InventoryLevelRow] = []
        self.complete: dict[int, tuple[list[int], list[int]]] = {}  # product -> its full child id lists
        self.newest: datetime | None = None

    def __len__(self) -> int:
        return len(self.products) + len(self.variants) + len(self.images) + len(self.levels)

    def add(self, row) -> None:
        if isinstance(row, ProductRow):
            self.products.append(row)
            if row.updated_at and (self.newest is None or row.updated_at > self.newest):
                self.newest = row.updated_at
        elif isinstance(row, VariantRow):
            self.variants.append(row)
        elif isinstance(row, ImageRow):
            self.images.append(row)
        elif isinstance(row, InventoryLevelRow):
            self.levels.append(row)

    def add_product(self, product: ProductRow, variants: list[VariantRow], images: list[ImageRow],
                    levels: list[InventoryLevelRow]) -> None:
        """A product with ALL its variants and images: children it no longer has are removed."""
        for row in (product, *variants, *images, *levels):
            self.add(row)
        self.complete[product.id] = ([v.id for v in variants], [i.id for i in images])

    def flush(self, done: int) -> None:
        writer = self.writer
        products = writer.products(self.products, strictly_newer=True)
        variants = writer.variants(self.variants, strictly_newer=True)
        writer.images(self.images)
        levels = writer.levels(self.levels, strictly_newer=True)
        for product_id, (variant_ids, image_ids) in self.complete.items():
            if product_id in products.written:
                writer.prune_product(product_id, variant_ids, image_ids)
        changed, changed_items = list(variants.written), list(levels.written)
        for product_id in sorted(set(products.in_doubt) | set(variants.in_doubt)):
            changed += write_current_product(writer, self.client, product_id)
        if levels.in_doubt:
            changed_items += writer.levels(stock_of(self.client, sorted(set(levels.in_doubt)))).written
        if self.has_links:
            changed = changed + writer.variant_ids_for_items(changed_items)
        self.conn.commit()
        self.progress.batch_done(done, changed if self.has_links else ())
        self.products, self.variants, self.images, self.levels = [], [], [], []
        self.complete = {}


def _has_links(integration: Integration) -> bool:
    return db.session.execute(select(exists().where(
        ProductLink.shopify_integration_id == integration.id))).scalar()


def _begin(run: SyncRun, message: str) -> None:
    run.status = "running"
    run.started_at = utcnow()
    run.done = 0
    run.message = message
    db.session.commit()


def _raise_high_water_mark(integration: Integration, newest: datetime | None) -> None:
    if newest is not None and (integration.catalog_updated_through is None
                               or newest > integration.catalog_updated_through):
        integration.catalog_updated_through = newest


# -- full import ---------------------------------------------------------------------------------
def _wait_for_export(client: ShopifyAdmin, operation_id: str, poll_seconds: float) -> BulkResult:
    """Poll the export, sleeping on a Redis list the bulk_operations/finish webhook pushes to."""
    redis = current_app.extensions["shopsync.redis"]
    deadline = utcnow() + timedelta(seconds=BULK_TIMEOUT_SECONDS)
    while True:
        result = bulk_status(client, operation_id)
        if result.status in FINISHED:
            return result
        if utcnow() > deadline:
            raise PermanentError(f"Shopify's catalog export is still {result.status} after hours")
        redis.blpop([bulk_finished_key(operation_id)], timeout=poll_seconds)


def _counted(lines: Iterable[dict], counter: list[int]) -> Iterator[dict]:
    for line in lines:
        counter[0] += 1
        yield line


def export_catalog(client: ShopifyAdmin) -> list[BulkResult]:
    """Run Shopify's two catalog exports side by side (API 2026-01+ allows five) and wait for both."""
    poll = current_app.config["SHOPIFY_BULK_POLL_SECONDS"]
    operations = [start_bulk_query(client, queries.BULK_PRODUCTS),
                  start_bulk_query(client, queries.BULK_INVENTORY_LEVELS)]
    exports = [_wait_for_export(client, operation, poll) for operation in operations]
    for export in exports:
        if export.error_code == ACCESS_DENIED:
            mark_missing_permission(client.integration, "the catalog export was refused")
            raise AuthError("Shopify refused the catalog export (ACCESS_DENIED)", code=ACCESS_DENIED)
        if not export.completed:
            raise PermanentError(f"Shopify's catalog export ended {export.status.lower()}"
                                 + (f" ({export.error_code})" if export.error_code else ""))
    return exports


def load_catalog(integration: Integration, run: SyncRun, client: ShopifyAdmin, exports: list[BulkResult],
                 unchanged_since: datetime, on_batch=None) -> set[int]:
    """Stream the export files into the catalog in batches, then sweep what they no longer hold."""
    progress = _Progress(run, on_batch)
    run.total = sum(export.object_count or 0 for export in exports)
    run.message = "Importing the catalog…"
    db.session.commit()
    # A store with nothing imported yet has nothing to sweep, so its ids need no tracking.
    sweep = db.session.execute(select(exists().where(Product.integration_id == integration.id))).scalar()
    with db.engine.connect() as conn:
        writer = CatalogWriter(conn, integration.tenant_id, integration.id, track_seen=sweep)
        batch = _Batch(conn, writer, progress, _has_links(integration), client)
        lines = [0]
        download = new_session(follow_redirects=True)  # a signed file URL: no token header to leak
        for export in exports:
            for row in rows_from_bulk_lines(_counted(iter_jsonl(download, export.url), lines)):
                batch.add(row)
                if len(batch) >= BATCH_ROWS:
                    batch.flush(lines[0])
        batch.flush(lines[0])
        removed, held_back = 0, ""
        if sweep:
            expected, seen = products_created_by(client, unchanged_since), writer.products_seen()
            if seen < expected:  # a short export must not look like a store that deleted products
                held_back = (f"; nothing was removed: Shopify counts {expected} products but the export held "
                             f"{seen}, so it looks incomplete (the next import checks again)")
            else:
                removed = writer.sweep(unchanged_since)
        conn.commit()
        orphans.report(writer.orphaned)

    integration.last_import_at = utcnow()
    _raise_high_water_mark(integration, batch.newest)
    run.message = (f"Imported {lines[0]} catalog items" + (f"; removed {removed} deleted products" if removed else "")
                   + held_back)
    db.session.commit()
    return progress.flush_integrations


def products_created_by(client: ShopifyAdmin, until: datetime) -> int:
    """How many products the store has that were created by `until` (the export's snapshot)."""
    data = client.execute(queries.PRODUCTS_COUNT, {"query": queries.created_until_filter(until)})
    return int(data["productsCount"]["count"])


def full_import(integration: Integration, run: SyncRun, on_batch=None) -> set[int]:
    """Import the store's currency and every product, variant, image, location and stock level;
    remove what Shopify deleted."""
    _begin(run, "Asking Shopify for the catalog export…")
    client = shopify_admin(integration)
    snapshot = utcnow() - SNAPSHOT_MARGIN
    # Prices are in this currency; the planner will not push them unconverted to a shop selling in another.
    integration.currency = client.execute(queries.SHOP_INFO)["shop"]["currencyCode"]
    with db.engine.connect() as conn:
        CatalogWriter(conn, integration.tenant_id, integration.id).locations(
            location_from_node(node) for node in client.paginate(
                queries.LOCATIONS_PAGE, {"first": queries.LOCATIONS_PAGE_SIZE}, "locations"))
        conn.commit()
    return load_catalog(integration, run, client, export_catalog(client), snapshot, on_batch)


# -- incremental import --------------------------------------------------------------------------
def all_variants(client: ShopifyAdmin, node: dict, product_id: int) -> list[VariantRow]:
    """Every variant of a product node, reading the pages past its first one."""
    connection = node.get("variants") or {}
    rows = [variant_from_node(v, product_id) for v in connection.get("nodes", ())]
    if (connection.get("pageInfo") or {}).get("hasNextPage"):
        rows += [variant_from_node(v, product_id) for v in client.paginate(
            queries.PRODUCT_VARIANTS_PAGE,
            {"id": node["id"], "first": queries.VARIANTS_PAGE_SIZE,
             "after": connection["pageInfo"]["endCursor"]},
            "product.variants")]
    return rows


def all_images(client: ShopifyAdmin, node: dict, product_id: int) -> list[ImageRow]:
    """Every image of a product node, reading the media pages past its first one."""
    connection = node.get("media") or {}
    media = list(connection.get("nodes", ()))
    if (connection.get("pageInfo") or {}).get("hasNextPage"):
        media += client.paginate(queries.PRODUCT_MEDIA_PAGE,
                                 {"id": node["id"], "first": queries.VARIANTS_PAGE_SIZE,
                                  "after": connection["pageInfo"]["endCursor"]},
                                 "product.media")
    images = (image_from_media_node(m, product_id, position) for position, m in enumerate(media, start=1))
    return [image for image in images if image is not None]


def write_product(writer: CatalogWriter, product: ProductRow, variants: list[VariantRow], images: list[ImageRow],
                  *, strictly_newer: bool = False) -> tuple[Upserted, Upserted]:
    """A product with all its variants and images; returns what was written of the product and of its variants."""
    product_rows = writer.products([product], strictly_newer=strictly_newer)
    variant_rows = writer.variants(variants, strictly_newer=strictly_newer)
    if product.id in product_rows.written:
        writer.images(images)
        writer.prune_product(product.id, [v.id for v in variants], [i.id for i in images])
    return product_rows, variant_rows


def write_current_product(writer: CatalogWriter, client: ShopifyAdmin, product_id: int) -> list[int]:
    """Write the product as Shopify has it now; returns the variant rows that changed."""
    node = client.execute(queries.PRODUCT_BY_ID, {"id": to_gid("Product", product_id)})["product"]
    if node is None:
        return []  # deleted meanwhile: its products/delete delivery removes it
    product = product_from_node(node)
    _, variants = write_product(writer, product, all_variants(client, node, product.id),
                                all_images(client, node, product.id))
    return list(variants.written)


def stock_of(client: ShopifyAdmin, inventory_item_ids: list[int]) -> list[InventoryLevelRow]:
    """Every level of these inventory items, INVENTORY_ITEMS_PAGE_SIZE items per request (a request
    stays under Shopify's 1,000-point cap), reading on for items at more than 10 locations."""
    size = queries.INVENTORY_ITEMS_PAGE_SIZE
    levels = []
    for chunk in (inventory_item_ids[start:start + size] for start in range(0, len(inventory_item_ids), size)):
        nodes = client.execute(queries.INVENTORY_ITEMS_BY_ID,
                               {"ids": [to_gid("InventoryItem", item_id) for item_id in chunk]})["nodes"]
        for item_id, node in zip(chunk, nodes):
            if not node:
                continue  # deleted since the product was read
            levels += inventory_levels_from_item_node(node)
            connection = node["inventoryLevels"]
            if connection["pageInfo"]["hasNextPage"]:
                levels += [inventory_level_from_node(level, item_id) for level in client.paginate(
                    queries.INVENTORY_ITEM_LEVELS_PAGE,
                    {"id": to_gid("InventoryItem", item_id), "first": 10,
                     "after": connection["pageInfo"]["endCursor"]},
                    "inventoryItem.inventoryLevels")]
    return levels


def incremental_import(integration: Integration, run: SyncRun, on_batch=None) -> set[int]:
    """Products changed since the high-water mark (with overlap), their variants, images and stock."""
    since = integration.catalog_updated_through - INCREMENTAL_OVERLAP
    _begin(run, "Looking for products changed in Shopify…")
    client = shopify_admin(integration)
    progress = _Progress(run, on_batch)
    products = 0
    with db.engine.connect() as conn:
        batch = _Batch(conn, CatalogWriter(conn, integration.tenant_id, integration.id), progress,
                       _has_links(integration), client)
        waiting: list[tuple[ProductRow, list[VariantRow], list[ImageRow]]] = []  # for their stock

        def add_waiting() -> None:
            levels: dict[int, list[InventoryLevelRow]] = defaultdict(list)
            for level in stock_of(client, [v.inventory_item_id for _, variants, _ in waiting
                                           for v in variants if v.inventory_item_id]):
                levels[level.inventory_item_id].append(level)
            for product, variants, images in waiting:
                batch.add_product(product, variants, images,
                                  [level for v in variants for level in levels.get(v.inventory_item_id, ())])
            waiting.clear()

        for node in client.paginate(queries.PRODUCTS_PAGE,
                                    {"first": queries.PRODUCTS_PAGE_SIZE,
                                     "query": queries.updated_since_filter(since)}, "products"):
            product = product_from_node(node)
            waiting.append((product, all_variants(client, node, product.id), all_images(client, node, product.id)))
            products += 1
            if sum(len(variants) for _, variants, _ in waiting) >= queries.INVENTORY_ITEMS_PAGE_SIZE:
                add_waiting()
                if len(batch) >= BATCH_ROWS:
                    batch.flush(products)
        add_waiting()
        batch.flush(products)
        orphans.report(batch.writer.orphaned)

    integration.last_import_at = utcnow()
    _raise_high_water_mark(integration, batch.newest)
    run.message = f"Checked {products} product(s) changed in Shopify"
    db.session.commit()
    return progress.flush_integrations


# -- runs ----------------------------------------------------------------------------------------
FULL = "full"
INCREMENTAL = "incremental"
_IMPORT_LOCK_SECONDS = 900  # renewed after every batch


UNFINISHED_FOR = timedelta(hours=BULK_TIMEOUT_SECONDS // 3600 + 1)  # older unfinished runs were lost


def unfinished_import(integration_id: int) -> SyncRun | None:
    return db.session.execute(select(SyncRun).where(
        SyncRun.integration_id == integration_id, SyncRun.kind == "import",
        SyncRun.status.in_(("queued", "running")), SyncRun.created_at > utcnow() - UNFINISHED_FOR,
    ).order_by(SyncRun.id.desc()).limit(1)).scalar_one_or_none()


def create_import_run(integration: Integration, trigger: str) -> SyncRun:
    run_id = runs.start_run(integration.tenant_id, "import", trigger, integration_id=integration.id, status="queued")
    return db.session.get(SyncRun, run_id)


def run_import(run: SyncRun, mode: str) -> set[int]:
    """Run one import run to its end (one import per store at a time); returns TikTok integrations to flush."""
    integration = db.session.get(Integration, run.integration_id)
    if integration is None or integration.platform != SHOPIFY or not integration.is_active:
        runs.finish_run(run.id, "The Shopify store is not connected.", "failed")
        return set()
    redis = current_app.extensions["shopsync.redis"]
    lock = redis.lock(f"shopsync:shopify:import:{integration.id}", timeout=_IMPORT_LOCK_SECONDS)
    if not lock.acquire(blocking=False):
        runs.finish_run(run.id, "Another import of this store is already running.", "failed")
        return set()
    try:
        if mode == INCREMENTAL and integration.catalog_updated_through is not None:
            flush = incremental_import(integration, run, on_batch=lock.reacquire)
        else:
            flush = full_import(integration, run, on_batch=lock.reacquire)
        runs.finish_run(run.id, run.message, "succeeded")
        return flush
    except PlatformError as error:
        db.session.rollback()
        runs.finish_run(run.id, f"Shopify: {error.message}", "failed")
        raise
    except Exception:
        db.session.rollback()
        runs.finish_run(run.id, "The import stopped because of an internal error; it will be retried.", "failed")
        raise
    finally:
        lock.release()
