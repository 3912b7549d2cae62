"""One Shopify order per TikTok order, ever, and the units it held given back in one transaction.

orderCreate has no idempotency key, so three things make creation exactly once:
- every order write runs as the TikTok shop's owner (one worker per shop at a time);
- before creating, Shopify is searched for an order with the TikTok order id as source
  identifier, and one found is adopted instead of creating another;
- the attempt is committed as CREATING before orderCreate is sent, once (never retried by
  the client on a timeout or 5xx, whose effect is unknown). An attempt found in doubt (a
  crash or timeout between Shopify's answer and our commit) is settled by the search, and
  since Shopify's search lags its writes, a miss counts only once the attempt is older than
  the longest it could have taken plus SEARCH_LAG; until then the job retries later.

Releasing the hold (docs/engine.md): after the order exists, the affected inventory items'
levels are read back from Shopify and written together with the order's released_at, so no
push ever sees Shopify's number from before the order without the hold.
"""
from __future__ import annotations

from datetime import timedelta

from flask import current_app
from sqlalchemy import select

from ...extensions import db
from ...models import Integration, Location, Order, Variant, utcnow
from ...models import orders as states
from ...platforms.http import DEFAULT_TIMEOUT, TransientError
from ...platforms.shopify import orders as documents
from ...platforms.shopify.admin import AdminClient
from ...platforms.tiktok.orders import TikTokOrder
from ..catalog.shopify_import import stock_of
from ..catalog.writer import CatalogWriter
from ..pushes.dirty import mark_variants_dirty
from .record import log_event, set_state
from .settings import OrderSettings
from .shopify_order import Line, create_options, order_input

SEARCH_LAG = timedelta(seconds=10)
_LONGEST_ATTEMPT = timedelta(seconds=sum(DEFAULT_TIMEOUT))


class AttemptInDoubt(TransientError):
    """An earlier attempt may still show up in Shopify's search: look again later."""


def find_existing(client: AdminClient, tiktok_order_id: str) -> dict | None:
    nodes = client.execute(documents.FIND_ORDER_BY_SOURCE,
                           {"query": documents.source_query(tiktok_order_id)})["orders"]["nodes"]
    return next((node for node in nodes if str(node.get("sourceIdentifier")) == str(tiktok_order_id)), None)


def settle_or_create(order: Order, tiktok: TikTokOrder, client: AdminClient, settings: OrderSettings,
                     owner) -> None:
    """Make sure Shopify has this order (adopting one an earlier attempt created).

    Commits the attempt before sending it; what Shopify answered is committed with the stock after it
    (release_units), so a crash in between leaves an attempt the search settles."""
    owner.check()
    found = find_existing(client, order.tiktok_order_id)
    if found is None and in_doubt(order):
        db.session.rollback()
        raise AttemptInDoubt(f"order {order.tiktok_order_id}: an earlier attempt may still appear in Shopify")
    if found is not None:
        adopt(order, found, "found")
        return
    lines = shopify_lines(order)
    body = order_input(tiktok, lines, tag=settings.tag,
                       fbt_location_id=fbt_location(order, settings) if order.is_fulfilled_by_tiktok else None)
    set_state(order, states.CREATING)
    order.attempts += 1
    order.attempt_started_at = utcnow()
    db.session.commit()
    owner.check()
    created = client.execute(documents.ORDER_CREATE, {"order": body, "options": create_options(
        order.is_fulfilled_by_tiktok)}, attempts=1)["orderCreate"]["order"]
    adopt(order, created, "created")


def in_doubt(order: Order) -> bool:
    """An earlier attempt whose order may yet show up in Shopify's search."""
    return (order.state == states.CREATING and order.attempt_started_at is not None
            and utcnow() < order.attempt_started_at + doubt_window())


def doubt_window() -> timedelta:
    """How long after an attempt began a miss in Shopify's search is not yet proof: the longest the call could
    take plus the search's lag (ORDER_DOUBT_SECONDS overrides it; only tests have reason to)."""
    seconds = current_app.config.get("ORDER_DOUBT_SECONDS")
    return timedelta(seconds=float(seconds)) if seconds else _LONGEST_ATTEMPT + SEARCH_LAG


def shopify_lines(order: Order) -> list[Line]:
    store = order.shopify_integration_id
    return [Line(tiktok_sku_id=line.tiktok_sku_id, title=line.title, seller_sku=line.seller_sku,
                 quantity=line.live_quantity, unit_price=line.unit_price or 0,
                 variant_id=line.shopify_variant_id if line.shopify_integration_id == store else None)
            for line in order.lines if line.live_quantity > 0]


def adopt(order: Order, node: dict, how: str) -> None:
    """Store Shopify's order on ours: its id and name, and which Shopify line carries which TikTok SKU."""
    order.shopify_order_id = documents.legacy_id(node["id"])
    order.shopify_order_name = node.get("name")
    order.problem = order.next_step = None
    by_variant = {}
    by_sku = {}
    for item in (node.get("lineItems") or {}).get("nodes") or ():
        variant = (item.get("variant") or {}).get("id")
        if variant:
            by_variant[documents.legacy_id(variant)] = documents.legacy_id(item["id"])
        if item.get("sku"):
            by_sku.setdefault(item["sku"], documents.legacy_id(item["id"]))
    for line in order.lines:
        line.shopify_line_item_id = by_variant.get(line.shopify_variant_id) or by_sku.get(line.seller_sku)
    set_state(order, states.CREATED, f"Shopify order {order.shopify_order_name} "
                                     f"{'created' if how == 'created' else 'found (created by an earlier attempt)'}.")
    if node.get("cancelledAt") and order.shopify_cancelled_at is None:
        order.shopify_cancelled_at = utcnow()


def fbt_location(order: Order, settings: OrderSettings) -> int | None:
    """Where an order TikTok fulfils is recorded as fulfilled from: the shop's choice, else an active location."""
    if settings.location_id is not None:
        return settings.location_id
    return db.session.execute(select(Location.shopify_id).where(
        Location.integration_id == order.shopify_integration_id, Location.is_active.is_(True))
        .order_by(Location.shopify_id).limit(1)).scalar_one_or_none()


def release_units(orders: list[Order], store: Integration, client: AdminClient, owner) -> set[int]:
    """Store Shopify's stock after these orders (of one store) and stop holding their units, in one commit.

    Returns the TikTok shops whose links were marked dirty (the caller asks for their flush).
    """
    shopify_ids = {line.shopify_variant_id for order in orders for line in order.lines
                   if line.link_id and line.shopify_integration_id == store.id and line.shopify_variant_id}
    variants = db.session.execute(select(Variant.id, Variant.inventory_item_id).where(
        Variant.integration_id == store.id, Variant.shopify_id.in_(shopify_ids))).all() if shopify_ids else []
    items = sorted({item for _, item in variants if item is not None})
    owner.check()
    levels = stock_of(client, items) if items else []
    CatalogWriter(db.session.connection(), store.tenant_id, store.id).levels(levels)
    for order in orders:
        held = order.held_units
        order.released_at = utcnow()
        log_event(order, "units_released", f"{held} held", "0 held",
                  "Shopify's stock after the order is stored; its units are no longer held.")
    # Every link of these variants: the orders' (their holds are gone) and any other the new stock feeds.
    flush = mark_variants_dirty(store.tenant_id, [variant_id for variant_id, _ in variants])
    db.session.commit()
    return flush
