"""Shopify webhook deliveries: recorded once on arrival, applied later by a job.

Deliveries are recorded by webhook_intake, once per event id. Applying takes a
row lock (SKIP LOCKED) so a recovered event and its original job cannot both
run. Product webhooks are applied from their payload rather than refetched:
the payload is the full product with every variant and image, each with its
own updated_at, so stale or out-of-order deliveries are recognised and
dropped, and a burst of edits costs no API points. A deletion is remembered
(deleted_products), so an update sent before it but applied after it cannot bring
the product back. The scheduled incremental import catches whatever webhooks miss.

Shopify's updated_at has whole seconds. A payload strictly newer than what is
stored is applied, an older one dropped; one with the stored time but other
values is in doubt: two changes fell in one second and either may be the later
one. Then the current state is read from the Admin API and applied instead
(holding the rows' lock, so concurrent refetches land in the order they read).
X-Shopify-Triggered-At does not settle it: it is when the event fired, not when
the row changed, so it can fall in the next second of the change's updated_at,
and Shopify documents neither its precision nor that events fire in change
order. A refetch that fails transiently raises: the job is retried and the
event stays unprocessed until then; the payload in doubt is never applied.
"""
from __future__ import annotations

import json
import logging
from collections.abc import Callable
from datetime import datetime, timedelta

from sqlalchemy import select, update

from ...extensions import db
from ...models import Integration, InventoryLevel, Product, Variant, WebhookEvent, utcnow
from ...models.integration import DISCONNECTED, SHOPIFY
from ...platforms.http import PlatformError
from ...platforms.shopify import queries
from ...platforms.shopify import webhooks as payloads
from ...platforms.shopify.catalog import InventoryLevelRow, inventory_level_from_node, to_gid
from ..intake import failures
from .writer import CatalogWriter
from ..links import orphans
from ..pushes.dirty import mark_variants_dirty
from .shopify_import import notify_bulk_finished, write_current_product, write_product
from ..connections import installation
from ..connections.shopify_access import shopify_admin
from ..orders.tracking import fulfilment_changed

log = logging.getLogger(__name__)

# The web process stamps a delivery's arrival and the worker a read back, on clocks that may differ a
# little: a read back covers only deliveries that arrived at least this long before it was sent.
CLOCK_MARGIN = timedelta(seconds=1)


def unprocessed_event_ids(older_than_seconds: float, limit: int = 500) -> list[int]:
    """Events received a while ago and still not applied: their job was lost."""
    cutoff = utcnow() - timedelta(seconds=older_than_seconds)
    return list(db.session.execute(select(WebhookEvent.id).where(
        WebhookEvent.platform == SHOPIFY, WebhookEvent.processed_at.is_(None),
        WebhookEvent.received_at < cutoff).order_by(WebhookEvent.id).limit(limit)).scalars())


def process_event(event_id: int) -> set[int]:
    """Apply one recorded delivery; returns the TikTok integrations whose links became dirty.

    Raises when a retry may succeed (the delivery stays pending); one that cannot, or that has
    used its attempts, is recorded as failed with the reason (intake/failures.py).
    """
    return failures.apply_once(event_id, _apply, set())


def _apply(event: WebhookEvent) -> Result:
    integration = db.session.execute(select(Integration).where(
        Integration.platform == SHOPIFY, Integration.external_id == event.shop)).scalar_one_or_none()
    handler = _HANDLERS.get(event.topic, _ignored)
    if integration is None and handler not in _WITHOUT_STORE:
        return "unknown_shop", set()
    try:
        return handler(event, integration, json.loads(event.payload or b"{}"))
    except PlatformError as error:
        if error.error_class == "transient":
            raise  # retried later; the event stays unprocessed
        # Shopify refused the refetch (the store needs re-authorizing, or the query): the payload in doubt is
        # not applied, and the import after the store is reconnected reads the current state.
        log.warning("webhook event %s (%s): refetch failed: %s", event.id, event.topic, type(error).__name__)
        raise failures.Settled(f"refetch_failed: {type(error).__name__}") from None


Result = tuple[str, set[int]]


def _writer(integration: Integration) -> CatalogWriter:
    return CatalogWriter(db.session.connection(), integration.tenant_id, integration.id)


def _product_changed(event: WebhookEvent, integration: Integration, body: dict) -> Result:
    payload = payloads.parse_product_payload(body)
    product = payload.product
    writer = _writer(integration)
    if writer.was_deleted(product.id):
        return "deleted_earlier", set()
    stored = db.session.execute(select(Product.shopify_updated_at).where(
        Product.integration_id == integration.id, Product.shopify_id == product.id)).scalar_one_or_none()
    if stored is not None and product.updated_at is not None and product.updated_at < stored:
        return "stale", set()
    product_rows, variant_rows = write_product(writer, product, payload.variants, payload.images,
                                               strictly_newer=True)
    changed = list(variant_rows.written)
    _report_orphans(writer)
    if product_rows.in_doubt or variant_rows.in_doubt:
        return "refetched", mark_variants_dirty(integration.tenant_id, changed + _refetch_product(
            integration, product.id))
    if not product_rows.written and not changed:
        return "unchanged", set()
    return "applied", mark_variants_dirty(integration.tenant_id, changed)


def _refetch_product(integration: Integration, product_id: int) -> list[int]:
    """Apply the product as Shopify has it now; returns the variant rows that changed."""
    client = shopify_admin(integration)  # before the row lock: a token refresh may wait on Shopify
    db.session.execute(select(Product.id).where(Product.integration_id == integration.id,
                                                Product.shopify_id == product_id).with_for_update())
    return write_current_product(_writer(integration), client, product_id)


def _product_deleted(event: WebhookEvent, integration: Integration, body: dict) -> Result:
    writer = _writer(integration)
    deleted = writer.delete_product(payloads.parse_product_deleted(body).product_id,
                                    event.triggered_at or event.received_at)
    _report_orphans(writer)
    return ("deleted" if deleted else "not_found"), set()


def _report_orphans(writer: CatalogWriter) -> None:
    """Alerts for links a deletion orphaned. They commit the deletion with them, which is safe: applying the
    delivery again deletes nothing more, and the event is only marked processed after."""
    if writer.orphaned:
        orphans.report(writer.orphaned)


def _inventory_level(event: WebhookEvent, integration: Integration, body: dict) -> Result:
    level = payloads.parse_inventory_level(body)
    if level.available is None:
        return "untracked", set()
    writer = _writer(integration)
    written, in_doubt = writer.levels([level], strictly_newer=True)
    if in_doubt:
        return _read_back_level(integration, level, event.received_at)
    if not written:
        return "stale_or_unchanged", set()
    return "applied", mark_variants_dirty(integration.tenant_id, writer.variant_ids_for_items(written))


def _read_back_level(integration: Integration, level: InventoryLevelRow, received_at: datetime) -> Result:
    """Settle a level in doubt with Shopify's current quantity, read under the row's lock.

    Not read again when it was read back after this delivery arrived: the row then holds
    what Shopify had after the change (a burst of same-second stock updates, as orders
    come in during a sale, costs one read instead of one per delivery).
    """
    this_level = (InventoryLevel.integration_id == integration.id,
                  InventoryLevel.inventory_item_id == level.inventory_item_id,
                  InventoryLevel.location_id == level.location_id)
    read_back_at = db.session.execute(select(InventoryLevel.read_back_at).where(*this_level)).scalar_one_or_none()
    if read_back_at is not None and read_back_at >= received_at + CLOCK_MARGIN:
        return "read_back_since", set()
    client = shopify_admin(integration)  # before the row lock: a token refresh may wait on Shopify
    db.session.execute(select(InventoryLevel.id).where(*this_level).with_for_update())
    sent_at = utcnow()
    item = client.execute(queries.INVENTORY_LEVEL, {"id": to_gid("InventoryItem", level.inventory_item_id),
                                                     "locationId": to_gid("Location", level.location_id)})
    node = (item.get("inventoryItem") or {}).get("inventoryLevel")
    current = [inventory_level_from_node(node, level.inventory_item_id)] if node else []
    writer = _writer(integration)  # on this transaction's connection: a token refresh above commits
    items = writer.levels(current).written
    if current and current[0].available is not None:
        db.session.execute(update(InventoryLevel).where(
            *this_level, InventoryLevel.available == current[0].available).values(read_back_at=sent_at))
    return "refetched", mark_variants_dirty(integration.tenant_id, writer.variant_ids_for_items(items))


def _inventory_item(event: WebhookEvent, integration: Integration, body: dict) -> Result:
    """Whether Shopify tracks a variant's stock changed, maybe: read it back, since deliveries can cross."""
    item_id = payloads.parse_inventory_item_id(body)
    variants = select(Variant.id).where(Variant.integration_id == integration.id, Variant.inventory_item_id == item_id)
    if db.session.execute(variants.limit(1)).first() is None:
        return "unknown_item", set()
    client = shopify_admin(integration)  # a token refresh commits: lock after it
    item = client.execute(queries.INVENTORY_ITEM_TRACKED, {"id": to_gid("InventoryItem", item_id)})["inventoryItem"]
    if item is None:
        return "not_found", set()
    changed = db.session.execute(update(Variant).where(
        Variant.id.in_(variants.scalar_subquery()), Variant.inventory_tracked.is_distinct_from(bool(item["tracked"])))
        .values(inventory_tracked=bool(item["tracked"])).returning(Variant.id)).scalars().all()
    return ("applied", mark_variants_dirty(integration.tenant_id, changed)) if changed else ("unchanged", set())


def _uninstalled(event: WebhookEvent, integration: Integration, body: dict) -> Result:
    """This store's token is already revoked: forget it and stop syncing it; the merchant's data stays."""
    installation.uninstall_store(integration)
    return "uninstalled", set()


def _bulk_finished(event: WebhookEvent, integration: Integration | None, body: dict) -> Result:
    notify_bulk_finished(payloads.parse_bulk_operation_finished(body).bulk_operation_id)
    return "import_woken", set()


def _customer_request(event: WebhookEvent, integration: Integration | None, body: dict) -> Result:
    return "no_customer_data", set()


def _shop_redact(event: WebhookEvent, integration: Integration | None, body: dict) -> Result:
    """48 hours after a store uninstalled: erase that store; the account goes with its last store."""
    if integration is None:
        return "nothing_stored", set()
    if integration.status != DISCONNECTED:
        # Installed again since the uninstall this request follows: the store is in use, keep it.
        log.warning("shop/redact for %s ignored: the store is installed", event.shop)
        return "installed_again", set()
    if installation.erase_store(integration, event):
        return "tenant_deleted", set()
    return "store_erased", set()


def _ignored(event: WebhookEvent, integration: Integration | None, body: dict) -> Result:
    return "ignored", set()


_HANDLERS: dict[str, Callable[..., Result]] = {
    "products/create": _product_changed,
    "products/update": _product_changed,
    "products/delete": _product_deleted,
    "inventory_levels/update": _inventory_level,
    "inventory_items/update": _inventory_item,
    "app/uninstalled": _uninstalled,
    "bulk_operations/finish": _bulk_finished,
    "customers/data_request": _customer_request,
    "customers/redact": _customer_request,
    "shop/redact": _shop_redact,
    "fulfillments/create": fulfilment_changed,
    "fulfillments/update": fulfilment_changed,
}
_WITHOUT_STORE = {_bulk_finished, _customer_request, _shop_redact, _ignored}
