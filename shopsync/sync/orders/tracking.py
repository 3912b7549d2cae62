"""Tracking back to TikTok: a Shopify fulfilment of a TikTok order marks its units shipped on TikTok.

Driven by Shopify's fulfillments/create and fulfillments/update webhooks (the payload is
the REST fulfilment: its id, order_id, status, tracking company and number, and the
order's line items it ships with their quantities). Each fulfilment is one TikTok
package of the units it ships (a partial shipment splits the order's units). Sent once:
a fulfilment already shipped with the same number is not sent again. What TikTok cannot
take (an unmapped carrier, a rejected number) puts the shipment, and so the order, in
"needs attention" with TikTok's own reason.
"""
from __future__ import annotations

from sqlalchemy import select

from ...extensions import db
from ...models import Integration, Order, Shipment
from ...models import orders as states
from ...platforms.http import PermanentError, TransientError
from ...platforms.tiktok.fulfillment import TRACKING_NUMBER, mark_package_shipped, shipping_providers
from ..connections.tiktok_access import call_with_refresh
from ..ownership import shop_owner
from .carriers import mapped_provider, matching_provider, save_mapping
from .record import log_event

CANCELLED = ("cancelled", "error", "failure")


def fulfilment_changed(event, store: Integration, body: dict) -> tuple[str, set[int]]:
    """The catalog webhook handler's shape: (outcome, TikTok shops to flush)."""
    order = db.session.execute(select(Order).where(
        Order.tenant_id == store.tenant_id, Order.shopify_integration_id == store.id,
        Order.shopify_order_id == int(body["order_id"]))).scalar_one_or_none()
    if order is None:
        return "not_a_tiktok_order", set()
    if order.is_fulfilled_by_tiktok:
        return "fulfilled_by_tiktok", set()
    shop = db.session.get(Integration, order.tiktok_integration_id)
    order_id = order.id
    db.session.commit()  # nothing written yet: the owner lock is taken on its own connection
    with shop_owner(shop.id) as owner:
        if owner is None:
            raise _busy(shop)
        order = db.session.get(Order, order_id)
        return ship(shop, order, body, owner), set()


def ship(shop: Integration, order: Order, fulfilment: dict, owner) -> str:
    shipment = _shipment(order, fulfilment)
    number = _tracking_number(fulfilment)
    carrier = (fulfilment.get("tracking_company") or "").strip() or None
    if str(fulfilment.get("status") or "").lower() in CANCELLED:
        if shipment.state == states.SHIPMENT_SHIPPED:
            _attention(order, shipment, "This shipment was cancelled in Shopify after TikTok was told it shipped. "
                       "Correct it in TikTok Seller Center.")
        else:
            shipment.state = states.SHIPMENT_CANCELLED
        db.session.commit()
        return "cancelled"
    if shipment.state == states.SHIPMENT_SHIPPED and shipment.tracking_number == number:
        db.session.commit()
        return "already_shipped"
    if shipment.state == states.SHIPMENT_SHIPPED:
        _attention(order, shipment, f"The tracking number changed in Shopify to {number}; "
                                    "TikTok still has the first one. Update it in TikTok Seller Center.")
        db.session.commit()
        return "tracking_changed"
    shipment.carrier, shipment.tracking_number = carrier, number
    if not number:
        shipment.state = states.SHIPMENT_PENDING
        shipment.problem = "Waiting for a tracking number in Shopify."
        db.session.commit()
        return "waiting_for_tracking"
    if not TRACKING_NUMBER.match(number):
        _attention(order, shipment, f"TikTok accepts tracking numbers of 4-50 letters, digits and -_./; "
                                    f"{number!r} is not one. Correct it in Shopify.")
        db.session.commit()
        return "bad_tracking_number"
    units = _units(order, shipment)
    if not units:
        db.session.commit()
        return "nothing_to_ship"
    provider_id = _provider(shop, order, carrier)
    if provider_id is None:
        _attention(order, shipment, f"ShopSync does not know which TikTok shipping provider is "
                                    f"{carrier or 'the carrier (none given)'}. Map it in the shop's order settings "
                                    "(Carriers), then press Retry.")
        db.session.commit()
        return "unmapped_carrier"
    shipment.tiktok_provider_id = provider_id
    owner.check()
    try:
        package = call_with_refresh(shop, lambda client: mark_package_shipped(
            client, order.tiktok_order_id, number, provider_id, units))
    except PermanentError as error:
        _attention(order, shipment, f"TikTok did not accept the shipment: {error.message}")
        db.session.commit()
        return "refused"
    shipment.state = states.SHIPMENT_SHIPPED
    shipment.tiktok_line_item_ids = units
    shipment.tiktok_package_id = package.package_id
    shipment.problem = f"TikTok accepted it with a warning: {package.warning}" if package.warning else None
    log_event(order, "shipped", f"{len(units)} unit(s) to ship", f"shipped: {carrier or ''} {number}".strip(),
              shipment.problem or "TikTok has the tracking number.")
    if order.problem and order.problem.startswith("Shipment:"):
        order.problem = order.next_step = None
    db.session.commit()
    return "shipped"


def _shipment(order: Order, fulfilment: dict) -> Shipment:
    fulfilment_id = int(fulfilment["id"])
    shipment = db.session.execute(select(Shipment).where(
        Shipment.order_id == order.id, Shipment.shopify_fulfillment_id == fulfilment_id)).scalar_one_or_none()
    if shipment is None:
        shipment = Shipment(tenant_id=order.tenant_id, order_id=order.id, shopify_fulfillment_id=fulfilment_id,
                            state=states.SHIPMENT_PENDING, quantities={}, tiktok_line_item_ids=[])
        db.session.add(shipment)
    quantities = {str(item["id"]): int(item.get("quantity") or 0) for item in fulfilment.get("line_items") or ()
                  if item.get("id") is not None}
    if quantities:
        shipment.quantities = quantities
    return shipment


def _tracking_number(fulfilment: dict) -> str | None:
    number = fulfilment.get("tracking_number") or next(iter(fulfilment.get("tracking_numbers") or ()), None)
    return (str(number).strip() or None) if number else None


def _units(order: Order, shipment: Shipment) -> list[str]:
    """TikTok line item ids (one per unit) for the units this fulfilment ships, none shipped before."""
    shipped = {unit for other in db.session.execute(select(Shipment.tiktok_line_item_ids).where(
        Shipment.order_id == order.id, Shipment.id != shipment.id, Shipment.state == states.SHIPMENT_SHIPPED)
    ).scalars() for unit in other or ()}
    units = []
    for line in order.lines:
        wanted = shipment.quantities.get(str(line.shopify_line_item_id), 0)
        free = [unit for unit in line.tiktok_line_item_ids
                if unit not in shipped and unit not in set(line.cancelled_line_item_ids or ())]
        units += free[:wanted]
    return units


def _provider(shop: Integration, order: Order, carrier: str | None) -> str | None:
    mapping = mapped_provider(shop, carrier)
    if mapping is not None:
        return mapping.tiktok_provider_id
    if not carrier or not order.delivery_option_id:
        return None
    providers = call_with_refresh(shop, lambda client: shipping_providers(client, order.delivery_option_id))
    provider = matching_provider(carrier, providers)
    if provider is None:
        return None
    save_mapping(shop, carrier, provider)
    return provider.id


def _attention(order: Order, shipment: Shipment, reason: str) -> None:
    shipment.state = states.SHIPMENT_ATTENTION
    shipment.problem = reason
    order.problem = f"Shipment: {reason}"
    order.next_step = "Fix what the shipment names, then press Retry on this order."
    log_event(order, "shipment_attention", None, None, reason)


def _busy(shop: Integration) -> TransientError:
    return TransientError(f"TikTok shop {shop.id} is busy; trying again shortly")


def retry_shipments(shop: Integration, order: Order, owner) -> None:
    """Send again the shipments that need attention and never reached TikTok (after the merchant fixed them)."""
    waiting = db.session.execute(select(Shipment).where(
        Shipment.order_id == order.id, Shipment.state.in_((states.SHIPMENT_ATTENTION, states.SHIPMENT_PENDING)),
        Shipment.tiktok_package_id.is_(None))).scalars().all()
    for shipment in waiting:
        ship(shop, order, {"id": shipment.shopify_fulfillment_id, "status": "success",
                           "tracking_number": shipment.tracking_number, "tracking_company": shipment.carrier,
                           "line_items": [{"id": line_id, "quantity": units}
                                          for line_id, units in shipment.quantities.items()]}, owner)
