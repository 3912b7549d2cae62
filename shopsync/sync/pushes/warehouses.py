"""A TikTok shop's seller warehouses and the Shopify locations feeding each (docs/engine.md, Warehouses).

Loaded once per plan for every shop in it; `feeds` says which warehouses a SKU's update carries and
where their stock comes from, `inventory_to_send` what the update holds for each.
"""
from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field

from sqlalchemy import and_, select

from ...extensions import db
from ...models import Integration, TikTokWarehouse, WarehouseMapping
from ...platforms.tiktok.products import is_seller_warehouse
from .rules import WarehouseFeed


@dataclass
class ShopWarehouses:
    seller: list[str] = field(default_factory=list)  # enabled seller warehouse ids, the default first
    mapping: dict[str, tuple[int, ...] | None] = field(default_factory=dict)  # explicit rows only
    confirmed: bool = False  # the merchant confirmed the mapping: every seller warehouse is computed
    names: dict[str, str] = field(default_factory=dict)
    _feeds: dict[tuple[str, ...], list[WarehouseFeed]] = field(default_factory=dict)  # per set of SKU warehouses

    def feeds(self, sku_inventory: dict[str, int]) -> list[WarehouseFeed]:
        """The warehouses a stock update of this SKU computes, its default first; [] when it has none.

        Confirmed: every seller warehouse of the SKU, fed as mapped; without a mapping row the SKU's
        default takes the link's chosen locations and the others 0. Not confirmed (existing installs):
        only the default is computed, as before warehouses could be mapped.
        """
        own = tuple(w for w in self.seller if w in sku_inventory) if sku_inventory else tuple(self.seller)
        found = self._feeds.get(own)
        if found is None:
            found = self._feeds[own] = self._feeds_of(own)
        return found

    def _feeds_of(self, own: tuple[str, ...]) -> list[WarehouseFeed]:
        if not own:
            return []
        if not self.confirmed:
            return [WarehouseFeed(own[0], None)]
        return [WarehouseFeed(w, self.mapping[w] if w in self.mapping else (None if n == 0 else ()))
                for n, w in enumerate(own)]

    def inventory_to_send(self, on_tiktok: dict[str, int], wanted: dict[str, int]) -> dict[str, int]:
        """Every seller warehouse of the SKU: computed ones as wanted; before confirmation the others as
        TikTok has them. Warehouses TikTok runs itself are never in it."""
        if self.confirmed:
            return dict(wanted)
        kept = {w: on_tiktok[w] for w in self.seller if w in on_tiktok and w not in wanted}
        return {**wanted, **kept}


def shop_warehouses(integrations: Iterable[Integration]) -> dict[int, ShopWarehouses]:
    """ShopWarehouses per TikTok integration, in one query."""
    shops = {i.id: ShopWarehouses(confirmed=i.warehouses_confirmed_at is not None) for i in integrations}
    if not shops:
        return {}
    rows = db.session.execute(
        select(TikTokWarehouse.integration_id, TikTokWarehouse.tiktok_id, TikTokWarehouse.name, TikTokWarehouse.type,
               TikTokWarehouse.sub_type, TikTokWarehouse.enabled, WarehouseMapping.id, WarehouseMapping.location_ids)
        .outerjoin(WarehouseMapping, and_(WarehouseMapping.integration_id == TikTokWarehouse.integration_id,
                                          WarehouseMapping.warehouse_id == TikTokWarehouse.tiktok_id))
        .where(TikTokWarehouse.integration_id.in_(list(shops)))
        .order_by(TikTokWarehouse.integration_id, TikTokWarehouse.is_default.desc(), TikTokWarehouse.tiktok_id)
    ).all()
    for integration_id, warehouse_id, name, type_, sub_type, enabled, mapping_id, location_ids in rows:
        if not is_seller_warehouse(type_, sub_type, enabled):
            continue
        shop = shops[integration_id]
        shop.seller.append(warehouse_id)
        shop.names[warehouse_id] = name
        if mapping_id is not None:
            shop.mapping[warehouse_id] = None if location_ids is None else tuple(int(i) for i in location_ids)
    return shops


def seller_warehouse_names(integration_id: int) -> dict[str, str]:
    integration = db.session.get(Integration, integration_id)
    return shop_warehouses([integration])[integration_id].names if integration else {}


