"""The merchant's warehouse mapping of one TikTok shop: reading it, describing it, confirming it.

Confirming is what switches a shop from the old behaviour (default warehouse computed, the others
re-sent as TikTok had them) to every seller warehouse computed from the mapping (docs/engine.md).
"""
from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from sqlalchemy import delete, select, update

from ...extensions import db
from ...inputs import InvalidInput, row_ids
from ...models import Integration, Location, ProductLink, WarehouseMapping, utcnow
from .dirty import mark_shop_dirty
from .warehouses import shop_warehouses

LINKS = "links"  # the locations each link counts
CHOSEN = "locations"  # the locations the merchant ticks
NONE = "none"  # nothing: the warehouse gets 0
SOURCES = (LINKS, CHOSEN, NONE)


class MappingError(ValueError):
    """A mapping that cannot be saved; `errors` maps each warehouse id to what is wrong."""

    def __init__(self, errors: Mapping[str, str]):
        self.errors = dict(errors)
        super().__init__("; ".join(self.errors.values()))


@dataclass(frozen=True)
class WarehouseChoice:
    warehouse_id: str
    name: str
    is_default: bool
    source: str  # LINKS | CHOSEN | NONE
    location_ids: tuple[int, ...] = ()

    def describe(self, location_names: Mapping[int, str]) -> str:
        """What this warehouse will get, in the merchant's words."""
        if self.source == LINKS:
            return ("the stock each link counts: every active Shopify location, or the locations a link chooses, "
                    "less its buffer")
        if self.source == NONE:
            return "0: ShopSync sets its stock to 0 on every update"
        names = ", ".join(location_names.get(i, f"location {i}") for i in self.location_ids)
        return f"the stock at {names}, less each link's buffer"


def mapping_of(integration: Integration) -> list[WarehouseChoice]:
    """The shop's seller warehouses as they are (or will be) mapped, the default first."""
    shop = shop_warehouses([integration])[integration.id]
    choices = []
    for n, warehouse_id in enumerate(shop.seller):
        if warehouse_id in shop.mapping:
            ids = shop.mapping[warehouse_id]
            source = LINKS if ids is None else (CHOSEN if ids else NONE)
        else:
            ids, source = (), LINKS if n == 0 else NONE
        choices.append(WarehouseChoice(warehouse_id, shop.names.get(warehouse_id, warehouse_id), n == 0, source,
                                       tuple(ids or ())))
    return choices


def choices_from_form(integration: Integration, form) -> list[WarehouseChoice]:
    """The mapping as the form states it (raises MappingError), checked against the tenant's locations."""
    known = set(db.session.execute(select(Location.shopify_id).where(
        Location.tenant_id == integration.tenant_id)).scalars())
    errors, choices = {}, []
    for current in mapping_of(integration):
        wid = current.warehouse_id
        source = form.get(f"source-{wid}", current.source)
        try:
            ids = tuple(sorted(set(row_ids(form.getlist(f"locations-{wid}")))))
        except InvalidInput:
            ids = (0,)  # not a location id: refused below as not one of the store's
        if source not in SOURCES:
            errors[wid] = "choose where its stock comes from"
        elif source == CHOSEN and not ids:
            errors[wid] = "tick at least one Shopify location, or choose another option"
        elif source == CHOSEN and not set(ids) <= known:
            errors[wid] = "one of these locations is not in your Shopify store"
        choices.append(WarehouseChoice(wid, current.name, current.is_default, source,
                                       ids if source == CHOSEN else ()))
    if errors:
        raise MappingError(errors)
    return choices


def confirm_mapping(integration: Integration, choices: Sequence[WarehouseChoice]) -> None:
    """Store the mapping and mark the shop confirmed; every link is pushed again against TikTok's values. Commits."""
    now = utcnow()
    db.session.execute(delete(WarehouseMapping).where(WarehouseMapping.integration_id == integration.id))
    db.session.add_all([WarehouseMapping(
        tenant_id=integration.tenant_id, integration_id=integration.id, warehouse_id=choice.warehouse_id,
        location_ids=None if choice.source == LINKS else list(choice.location_ids), updated_at=now)
        for choice in choices])
    integration.warehouses_confirmed_at = integration.warehouses_confirmed_at or now
    integration.updated_at = now
    # What was pushed counted other warehouses: compare with TikTok's own values on the next push.
    db.session.execute(update(ProductLink).where(ProductLink.tiktok_integration_id == integration.id)
                       .values(last_pushed_quantity=None), execution_options={"synchronize_session": False})
    shops = mark_shop_dirty(integration.tenant_id, integration.id)
    db.session.commit()
    if shops:
        from ...jobs.pushes import request_flush

        request_flush(integration.id, "manual")


def unconfirmed_shops(tenant_id: int) -> list[Integration]:
    """Active TikTok shops of the tenant with more than one seller warehouse and no confirmed mapping."""
    found = db.session.execute(select(Integration).where(
        Integration.tenant_id == tenant_id, Integration.platform == "tiktok", Integration.status == "active",
        Integration.warehouses_confirmed_at.is_(None)).order_by(Integration.id)).scalars().all()
    shops = shop_warehouses(found)
    return [integration for integration in found if len(shops[integration.id].seller) > 1]
