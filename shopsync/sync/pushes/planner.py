"""The plan: per TikTok product, the SKUs whose desired price or stock differs from what TikTok has.

Planning reads everything it needs in four set-based queries (links with their
variant and SKU, stock levels, integrations, warehouses), whatever the number of
links, and touches nothing: a dry run is just a plan returned as data.
"""
from __future__ import annotations

from collections import defaultdict
from dataclasses import asdict, dataclass, field
from decimal import Decimal
from typing import Iterable, Literal

from sqlalchemy import and_, select
from sqlalchemy.orm import aliased

from ...extensions import db
from ...models import Integration, InventoryLevel, Location, ProductLink, TikTokProduct, TikTokSku, Variant
from ...models.integration import ACTIVE
from ...models.links import NEEDS_CONFIRMATION, ORPHANED, PENDING
from .held import held_units, per_warehouse
from .rules import (SETTING_NAMES, LinkSettings, clean_settings, desired_inventory, desired_price,
                    price_outside_guard_rails)
from .warehouses import ShopWarehouses, shop_warehouses

Reference = Literal["pushed", "tiktok", "either"]
PRICE = "price"
INVENTORY = "inventory"
PROBLEM = "settings"  # a link's last_error_class while a Problem (not TikTok) stops one of its fields
MISSING_RATE = "set a currency rate"  # in the message of a price held for want of a rate (links.listing finds it)


@dataclass
class SkuChange:
    """What one link would change on its TikTok SKU; None on both sides of a field = no change."""

    link_id: int
    tenant_id: int
    change_seq: int
    state: str
    variant_id: int
    shopify_product_id: int
    sku_row_id: int
    sku_id: str
    seller_sku: str | None
    currency: str
    price_before: Decimal | None = None
    price_after: Decimal | None = None
    quantity_before: int | None = None
    quantity_after: int | None = None
    warehouse_id: str | None = None  # the shop's default seller warehouse
    inventory: dict[str, int] = field(default_factory=dict)  # every seller warehouse of the SKU, as it will be sent
    stored_inventory: dict[str, int] = field(default_factory=dict)  # what TikTok will then have, all warehouses

    @property
    def changes_price(self) -> bool:
        return self.price_after is not None

    @property
    def changes_quantity(self) -> bool:
        return self.quantity_after is not None

    @property
    def fields(self) -> tuple[str, ...]:
        return tuple(name for name, changed in ((PRICE, self.changes_price), (INVENTORY, self.changes_quantity))
                     if changed)


@dataclass
class ProductPlan:
    tiktok_integration_id: int
    tiktok_product_id: str
    changes: list[SkuChange] = field(default_factory=list)

    @property
    def price_changes(self) -> list[SkuChange]:
        return [c for c in self.changes if c.changes_price]

    @property
    def inventory_changes(self) -> list[SkuChange]:
        return [c for c in self.changes if c.changes_quantity]


@dataclass
class Problem:
    link_id: int
    tenant_id: int
    change_seq: int
    state: str
    shopify_product_id: int
    sku: str  # as the merchant knows it: the seller SKU, else TikTok's id
    field: str
    message: str


@dataclass
class Hold:
    """A price outside the link's guard rails: not pushed until the merchant confirms it."""

    link_id: int
    tenant_id: int
    change_seq: int
    state: str
    sku: str
    before: Decimal | None  # the price on TikTok now
    after: Decimal  # what the rules give
    currency: str
    reason: str


@dataclass
class Plan:
    products: list[ProductPlan] = field(default_factory=list)
    unchanged: dict[int, int] = field(default_factory=dict)  # link id -> change_seq, nothing to push
    unsettled: dict[int, int] = field(default_factory=dict)  # the unchanged ones still dirty, pending or with a problem
    problems: list[Problem] = field(default_factory=list)  # fields that cannot be pushed as things are
    holds: list[Hold] = field(default_factory=list)  # prices waiting for the merchant's confirmation

    @property
    def changes(self) -> list[SkuChange]:
        return [change for product in self.products for change in product.changes]

    @property
    def link_ids(self) -> list[int]:
        return sorted({c.link_id for c in self.changes} | set(self.unchanged) | {p.link_id for p in self.problems}
                      | {h.link_id for h in self.holds})

    @property
    def links_with_holds(self) -> set[int]:
        return {h.link_id for h in self.holds}

    @property
    def links_with_problems(self) -> set[int]:
        return {p.link_id for p in self.problems}

    @property
    def is_empty(self) -> bool:
        return not self.products and not self.problems and not self.holds

    def as_dict(self) -> dict:
        """The dry-run view: per TikTok product, each SKU's before and after."""
        return {
            "products": [{"tiktok_integration_id": p.tiktok_integration_id, "tiktok_product_id": p.tiktok_product_id,
                          "skus": [_change_dict(c) for c in p.changes]} for p in self.products],
            "unchanged_links": sorted(self.unchanged),
            "problems": [asdict(problem) for problem in self.problems],
            "held_prices": [{"link_id": h.link_id, "before": _text(h.before), "after": _text(h.after),
                             "currency": h.currency, "reason": h.reason} for h in self.holds],
        }


def _change_dict(change: SkuChange) -> dict:
    out = {"link_id": change.link_id, "sku_id": change.sku_id, "seller_sku": change.seller_sku}
    if change.changes_price:
        out["price"] = {"before": _text(change.price_before), "after": _text(change.price_after),
                        "currency": change.currency}
    if change.changes_quantity:
        out["inventory"] = {"before": change.quantity_before, "after": change.quantity_after,
                            "warehouse_id": change.warehouse_id, "warehouses": dict(change.inventory)}
    return out


def _text(value) -> str | None:
    return None if value is None else str(value)


# ---- which links -------------------------------------------------------------------------------------
def pushable(*conditions) -> list:
    """Conditions for links that may be pushed: not paused, not orphaned, both integrations active."""
    return [*conditions, ProductLink.paused.is_(False), ProductLink.state != ORPHANED]


def plan_dirty(tiktok_integration_id: int) -> Plan:
    return build_plan(pushable(ProductLink.tiktok_integration_id == tiktok_integration_id,
                               ProductLink.dirty.is_(True)))


def plan_links(tenant_id: int, link_ids: Iterable[int], reference: Reference = "pushed",
               overrides: dict[int, dict] | None = None) -> Plan:
    ids = list(set(link_ids))
    if not ids:
        return Plan()
    return build_plan(pushable(ProductLink.tenant_id == tenant_id, ProductLink.id.in_(ids)), reference, overrides)


# ---- building ----------------------------------------------------------------------------------------
def build_plan(conditions: list, reference: Reference = "pushed", overrides: dict[int, dict] | None = None) -> Plan:
    """Plan every link matching `conditions` whose integrations are both active.

    `overrides` (link id -> setting values, cleaned) plans a link as if those were its settings: the
    dry run of a form not saved yet.
    """
    tiktok = aliased(Integration)
    shopify = aliased(Integration)
    link_filter = and_(*conditions, tiktok.status == ACTIVE, shopify.status == ACTIVE)
    link_columns = [getattr(ProductLink, name) for name in _LINK_COLUMNS]
    rows = db.session.execute(
        select(*link_columns, Variant.product_id, Variant.price, Variant.inventory_item_id,
               Variant.inventory_quantity, Variant.integration_id, Variant.inventory_tracked, Variant.inventory_policy,
               TikTokSku.tiktok_id, TikTokSku.seller_sku,
               TikTokSku.price, TikTokSku.currency, TikTokSku.inventory, TikTokProduct.tiktok_id, shopify.currency)
        .join(Variant, Variant.id == ProductLink.variant_id)
        .join(TikTokSku, TikTokSku.id == ProductLink.tiktok_sku_id)
        .join(TikTokProduct, TikTokProduct.id == TikTokSku.product_id)
        .join(tiktok, tiktok.id == ProductLink.tiktok_integration_id)
        .join(shopify, shopify.id == ProductLink.shopify_integration_id)
        .where(link_filter)
        .order_by(TikTokProduct.tiktok_id, TikTokSku.tiktok_id)
    ).all()
    if not rows:
        return Plan()
    integration_ids = {row.tiktok_integration_id for row in rows}
    integrations = {i.id: i for i in db.session.execute(
        select(Integration).where(Integration.id.in_(integration_ids))).scalars()}
    levels = _levels(link_filter, tiktok, shopify)
    warehouses = shop_warehouses(integrations.values())
    held = held_units(integration_ids)

    plan = Plan()
    products: dict[tuple[int, str], ProductPlan] = {}
    base_settings = {i.id: LinkSettings.effective(None, i.defaults) for i in integrations.values()}
    shops_with_rate = {i.id for i in integrations.values()
                       if clean_settings(i.defaults or {}).get("currency_rate") is not None}
    width = len(_LINK_COLUMNS)
    settings_seen: dict[tuple, LinkSettings] = {}
    for row in rows:
        link = row
        (shopify_product_id, price, item_id, variant_quantity, shopify_integration_id, tracked, policy, sku_id,
         seller_sku, sku_price, sku_currency, sku_inventory, product_id, shopify_currency) = row[width:]
        integration = integrations[link.tiktok_integration_id]
        # Most links share their settings: each combination is worked out once per plan.
        key = (integration.id, _settings_key(row))
        settings = settings_seen.get(key)
        if settings is None:
            settings = settings_seen[key] = base_settings[integration.id].with_link(link)
        if overrides and link.id in overrides:
            settings = LinkSettings.effective(_Overridden(link, overrides[link.id]), integration.defaults)
        tiktok_currency = sku_currency or integration.currency
        currency = tiktok_currency or "USD"
        problems: list[tuple[str, str]] = []  # (field, message)
        change = SkuChange(link_id=link.id, tenant_id=link.tenant_id, change_seq=link.change_seq, state=link.state,
                           variant_id=link.variant_id, shopify_product_id=shopify_product_id,
                           sku_row_id=link.tiktok_sku_id, sku_id=sku_id, seller_sku=seller_sku, currency=currency)
        tiktok_inventory = {str(k): int(v) for k, v in (sku_inventory or {}).items()}
        missing_rate = settings.sync_price and _missing_rate(
            shopify_currency, tiktok_currency, link.currency_rate is not None or integration.id in shops_with_rate)
        if missing_rate:
            problems.append((PRICE, missing_rate))
        elif settings.sync_price:
            wanted = desired_price(price, settings, currency)
            before = _differs(wanted, link.last_pushed_price, sku_price, reference)
            if before is not _SAME:
                outside = price_outside_guard_rails(wanted, sku_price, settings, currency)
                if outside and link.confirmed_price != wanted:
                    plan.holds.append(Hold(link.id, link.tenant_id, link.change_seq, link.state, seller_sku or sku_id,
                                           sku_price, wanted, currency, outside))
                else:
                    change.price_before, change.price_after = before, wanted
        if settings.sync_inventory:
            shop = warehouses[link.tiktok_integration_id]
            feeds = shop.feeds(tiktok_inventory)
            if not feeds:
                problems.append((INVENTORY, "the TikTok shop has no enabled sales warehouse for this SKU"))
            else:
                active, every = levels.get((shopify_integration_id, item_id)) or ({0: variant_quantity or 0},) * 2
                wanted_inventory = desired_inventory(
                    active, every, settings, feeds,
                    sells_without_stock=tracked is False or policy == "continue",
                    held=per_warehouse(held, link.id, feeds[0].warehouse_id))
                if wanted_inventory is not None:
                    _plan_inventory(change, shop, tiktok_inventory, wanted_inventory, link.last_pushed_quantity,
                                    reference)
        plan.problems += [Problem(link.id, link.tenant_id, link.change_seq, link.state, shopify_product_id,
                                  seller_sku or sku_id, name, message) for name, message in problems]
        if change.fields:
            key = (link.tiktok_integration_id, product_id)
            products.setdefault(key, ProductPlan(link.tiktok_integration_id, product_id)).changes.append(change)
        elif not problems and not (plan.holds and plan.holds[-1].link_id == link.id):
            plan.unchanged[link.id] = link.change_seq
            if (link.dirty or link.state in (PENDING, NEEDS_CONFIRMATION)
                    or link.last_error_class == PROBLEM):
                plan.unsettled[link.id] = link.change_seq
    plan.products = list(products.values())
    return plan


_SAME = object()
_LINK_COLUMNS = ("id", "tenant_id", "tiktok_integration_id", "variant_id", "tiktok_sku_id", "change_seq", "state",
                 "dirty", "last_pushed_price", "last_pushed_quantity", "last_error_class", "confirmed_price",
                 *SETTING_NAMES)


_SETTINGS = slice(len(_LINK_COLUMNS) - len(SETTING_NAMES), len(_LINK_COLUMNS))
_LOCATIONS_AT = SETTING_NAMES.index("location_ids")


def _settings_key(row) -> tuple:
    """A link row's own settings, hashable (its location ids are a JSON list)."""
    values = row[_SETTINGS]
    locations = values[_LOCATIONS_AT]
    if locations is None:
        return values
    return values[:_LOCATIONS_AT] + (tuple(locations),) + values[_LOCATIONS_AT + 1:]


class _Overridden:
    """A link row with some settings replaced (None: the shop default), for planning unsaved settings."""

    def __init__(self, row, values: dict):
        self._row, self._values = row, values

    def __getattr__(self, name):
        return self._values[name] if name in self._values else getattr(self._row, name)


def _plan_inventory(change: SkuChange, shop: ShopWarehouses, on_tiktok: dict[str, int], wanted: dict[str, int],
                    last_pushed: int | None, reference: Reference) -> None:
    """Fill `change` with the stock update when the seller warehouses should differ from what TikTok has.

    Compared as one number: the total over the seller warehouses once the shop's mapping is confirmed,
    the default warehouse's quantity before (the others are then re-sent as TikTok has them).
    """
    sent = shop.inventory_to_send(on_tiktok, wanted)
    default = next(iter(wanted))
    counted = sent if shop.confirmed else {default: sent[default]}
    wanted_number = sum(counted.values())
    if all(on_tiktok.get(w) == q for w, q in sent.items()):
        tiktok_number = wanted_number
    elif all(w in on_tiktok for w in counted) and sum(on_tiktok[w] for w in counted) != wanted_number:
        tiktok_number = sum(on_tiktok[w] for w in counted)
    else:
        tiktok_number = None  # the same total spread differently, or not known: TikTok differs
    before = _differs(wanted_number, last_pushed, tiktok_number, reference)
    if before is _SAME:
        return
    change.quantity_before, change.quantity_after = before, wanted_number
    change.warehouse_id = default
    change.inventory = sent
    change.stored_inventory = {**on_tiktok, **sent}


def _missing_rate(shopify_currency: str | None, tiktok_currency: str | None, rate_set: bool) -> str | None:
    """Why the price cannot be pushed: both currencies known and different, with no rate chosen.

    The built-in rate of 1 would turn 49.00 USD into 49.00 GBP, so a guess is never made.
    """
    if rate_set or not shopify_currency or not tiktok_currency or shopify_currency.upper() == tiktok_currency.upper():
        return None
    return (f"Shopify sells in {shopify_currency.upper()} and this TikTok shop in {tiktok_currency.upper()}: "
            f"{MISSING_RATE} for this link or for the shop before prices sync")


def _differs(wanted, last_pushed, on_tiktok, reference: Reference):
    """The value TikTok has (as far as we know) when it differs from `wanted`, else _SAME."""
    if reference == "pushed":
        if last_pushed is not None and last_pushed == wanted:
            return _SAME
        return last_pushed if last_pushed is not None else on_tiktok
    if reference == "tiktok":
        return _SAME if on_tiktok is not None and on_tiktok == wanted else on_tiktok
    if last_pushed is not None and last_pushed == wanted and on_tiktok is not None and on_tiktok == wanted:
        return _SAME
    return on_tiktok if on_tiktok is not None and on_tiktok != wanted else last_pushed


def _levels(link_filter, tiktok, shopify) -> dict[tuple[int, int], tuple[dict[int, int], dict[int, int]]]:
    """(shopify integration, inventory item) -> (stock at active locations, stock at every location)."""
    rows = db.session.execute(
        select(InventoryLevel.integration_id, InventoryLevel.inventory_item_id, InventoryLevel.location_id,
               InventoryLevel.available, Location.is_active)
        .join(Variant, and_(Variant.integration_id == InventoryLevel.integration_id,
                            Variant.inventory_item_id == InventoryLevel.inventory_item_id))
        .join(ProductLink, ProductLink.variant_id == Variant.id)
        .join(tiktok, tiktok.id == ProductLink.tiktok_integration_id)
        .join(shopify, shopify.id == ProductLink.shopify_integration_id)
        .outerjoin(Location, and_(Location.integration_id == InventoryLevel.integration_id,
                                  Location.shopify_id == InventoryLevel.location_id))
        .where(link_filter)
        .distinct()
    ).all()
    levels: dict = defaultdict(lambda: ({}, {}))
    for integration_id, item_id, location_id, available, is_active in rows:
        active, every = levels[(integration_id, item_id)]
        every[location_id] = available
        if is_active is not False:
            active[location_id] = available
    return dict(levels)
