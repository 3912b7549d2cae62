"""What one simulated shop holds: catalog, locations, subscriptions, bulk operations, rate bucket."""
from __future__ import annotations

import time
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from decimal import Decimal

from shopsync.sandbox.demo_catalog import LOCATIONS, DemoProduct

# Demo rows get fixed timestamps so a fresh sandbox looks the same on every start.
CATALOG_EPOCH = datetime(2026, 11, 1, 9, 0, 0, tzinfo=timezone.utc)


def gid(kind: str, number: int) -> str:
    return f"gid://shopify/{kind}/{number}"


def parse_gid(value: str) -> tuple[str, int] | None:
    prefix = "gid://shopify/"
    if not isinstance(value, str) or not value.startswith(prefix):
        return None
    kind, _, rest = value[len(prefix):].partition("/")
    number = rest.split("?", 1)[0]
    return (kind, int(number)) if number.isdigit() else None


def iso(moment: datetime) -> str:
    if moment.tzinfo is not timezone.utc:
        moment = moment.astimezone(timezone.utc)
    return moment.replace(tzinfo=None, microsecond=0).isoformat() + "Z"


def now() -> datetime:
    return datetime.now(timezone.utc)


def money(amount: Decimal | None) -> str | None:
    return None if amount is None else f"{amount:.2f}"


@dataclass
class Location:
    id: int
    name: str
    is_active: bool = True
    fulfills_online_orders: bool = True


@dataclass
class Variant:
    id: int
    product_id: int
    title: str
    sku: str
    barcode: str | None
    price: Decimal
    compare_at_price: Decimal | None
    position: int
    inventory_item_id: int
    levels: dict[int, int]
    updated_at: datetime
    tracked: bool = True
    options: list[str] = field(default_factory=list)  # values, in the order of the product's option names
    weight: tuple[Decimal, str] | None = None  # value, unit (GRAMS | KILOGRAMS | OUNCES | POUNDS)
    committed: dict[int, int] = field(default_factory=dict)  # location id -> units in unfulfilled orders
    inventory_policy: str = "DENY"  # CONTINUE: sells on when out of stock

    @property
    def inventory_quantity(self) -> int:
        return sum(self.levels.values()) if self.tracked else 0


@dataclass
class Product:
    id: int
    title: str
    handle: str
    status: str  # ACTIVE | DRAFT | ARCHIVED
    vendor: str
    product_type: str
    image_ids: list[int]
    variants: list[Variant]
    created_at: datetime
    updated_at: datetime
    description_html: str = ""
    tags: list[str] = field(default_factory=list)
    option_names: list[str] = field(default_factory=list)
    metafields: dict[str, str] = field(default_factory=dict)  # "namespace.key" -> value
    collections: list[str] = field(default_factory=list)  # titles


@dataclass
class Subscription:
    id: int
    topic: str  # enum form, e.g. PRODUCTS_UPDATE
    uri: str
    created_at: datetime


@dataclass
class BulkOperation:
    id: int
    query: str
    status: str = "CREATED"
    error_code: str | None = None
    object_count: int = 0
    root_object_count: int = 0
    file_size: int | None = None
    url: str | None = None
    partial_data_url: str | None = None
    created_at: datetime = field(default_factory=now)
    completed_at: datetime | None = None
    path: str | None = None


@dataclass
class StaffUser:
    id: int
    first_name: str
    last_name: str
    email: str
    account_owner: bool = True
    locale: str = "en"
    collaborator: bool = False
    email_verified: bool = True


class LeakyBucket:
    """Shopify's cost bucket: reserve the requested cost, refund down to the actual cost."""

    def __init__(self, maximum_available: float, restore_rate: float):
        self.maximum_available = float(maximum_available)
        self.restore_rate = float(restore_rate)
        self._available = float(maximum_available)
        self._at = time.monotonic()

    def currently_available(self) -> float:
        moment = time.monotonic()
        self._available = min(self.maximum_available, self._available + (moment - self._at) * self.restore_rate)
        self._at = moment
        return self._available

    def reserve(self, cost: int) -> bool:
        if cost > self.currently_available():
            return False
        self._available -= cost
        return True

    def refund(self, amount: float) -> None:
        self._available = min(self.maximum_available, self.currently_available() + amount)

    def drain(self, to: float = 0.0) -> None:
        self.currently_available()
        self._available = float(to)

    def status(self) -> dict:
        return {
            "maximumAvailable": self.maximum_available,
            "currentlyAvailable": int(self.currently_available()),
            "restoreRate": self.restore_rate,
        }


@dataclass
class Shop:
    domain: str
    id: int
    name: str
    bucket: LeakyBucket
    currency_code: str = "USD"
    products: dict[int, Product] = field(default_factory=dict)
    locations: dict[int, Location] = field(default_factory=dict)
    subscriptions: dict[int, Subscription] = field(default_factory=dict)
    bulk_operations: dict[int, BulkOperation] = field(default_factory=dict)
    staff_user: StaffUser | None = None
    installed: bool = True
    id_offset: int = 0  # added to the demo catalog's ids, so no two shops share a resource id
    created_at: datetime = field(default_factory=now)
    plan: str = "paid"  # "development": orderCreate is limited to 5 new orders a minute
    order_location_id: int | None = None  # where orders claim stock; None: Shopify's routing (see sandbox)
    orders: dict = field(default_factory=dict)  # order id -> orders.Order
    order_creations: list[float] = field(default_factory=list)  # monotonic times of recent orderCreate
    idempotent: dict = field(default_factory=dict)  # (mutation, key) -> (variables, answer)

    _variants: dict[int, tuple[Product, Variant]] = field(default_factory=dict)
    _items: dict[int, tuple[Product, Variant]] = field(default_factory=dict)

    def add_product(self, product: Product) -> None:
        self.products[product.id] = product
        for variant in product.variants:
            self._variants[variant.id] = (product, variant)
            self._items[variant.inventory_item_id] = (product, variant)

    def remove_product(self, product_id: int) -> Product | None:
        product = self.products.pop(product_id, None)
        for variant in product.variants if product else ():
            self._variants.pop(variant.id, None)
            self._items.pop(variant.inventory_item_id, None)
        return product

    def clear_catalog(self) -> None:
        self.products.clear()
        self._variants.clear()
        self._items.clear()

    def variant(self, variant_id: int) -> tuple[Product, Variant] | None:
        return self._variants.get(variant_id)

    def variant_by_inventory_item(self, inventory_item_id: int) -> tuple[Product, Variant] | None:
        return self._items.get(inventory_item_id)


def product_from_demo(demo: DemoProduct, index: int, id_offset: int = 0) -> Product:
    """The demo product as one shop holds it: its ids moved into the shop's own range (id_offset)."""
    stamp = CATALOG_EPOCH + timedelta(minutes=index)
    product_id = demo.id + id_offset
    variants = [
        Variant(
            id=v.id + id_offset, product_id=product_id, title=v.title, sku=v.sku, barcode=v.barcode, price=v.price,
            compare_at_price=v.compare_at_price, position=v.position, inventory_item_id=v.inventory_item_id + id_offset,
            levels={location_id + id_offset: quantity for location_id, quantity in v.levels.items()},
            updated_at=stamp, options=[v.title], weight=(Decimal(demo.weight_grams), "GRAMS"),
        )
        for v in demo.variants
    ]
    return Product(
        id=product_id, title=demo.title, handle=demo.handle, status=demo.status, vendor=demo.vendor,
        product_type=demo.product_type, image_ids=[image_id + id_offset for image_id in demo.image_ids],
        variants=variants, created_at=stamp, updated_at=stamp, description_html=demo.description_html,
        tags=list(demo.tags), option_names=[demo.option_name], collections=[demo.product_type],
        metafields=dict(demo.metafields),
    )


def demo_locations(id_offset: int = 0) -> dict[int, Location]:
    return {location_id + id_offset: Location(location_id + id_offset, name) for location_id, name in LOCATIONS}
