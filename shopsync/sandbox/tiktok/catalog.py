"""The TikTok Shop side of the demo: one seller, two shops, warehouses and listings.

The US shop lists most of the first Shopify demo products under the same seller
SKUs, some under different ones (so auto-linking has conflicts to show) and a few
TikTok-only products. Everything is derived from fixed seeds: ids are stable.
"""
from __future__ import annotations

import random
from dataclasses import dataclass, field
from decimal import Decimal
from itertools import count

from shopsync.sandbox.demo_catalog import DemoProduct, demo_products, generated_products

CATALOG_EPOCH = 1_735_689_600  # 2025-01-01T00:00:00Z: demo listings were created after this
MIRRORED_PRODUCTS = 20


@dataclass
class Warehouse:
    id: str
    name: str
    type: str
    is_default: bool
    region: str
    effect_status: str = "ENABLED"
    # Run by TikTok (Fulfilled by TikTok): its stock shows on SKUs, but the seller's warehouse list does
    # not hold it and the seller cannot write it (12052144).
    platform: bool = False

    def as_json(self) -> dict:
        return {"id": self.id, "name": self.name, "type": self.type, "sub_type": "DOMESTIC_WAREHOUSE",
                "effect_status": self.effect_status, "is_default": self.is_default,
                "address": {"region_code": self.region, "full_address": f"{self.name}, {self.region}"}}


@dataclass
class Sku:
    id: str
    seller_sku: str
    price: Decimal
    inventory: dict[str, int]  # warehouse id -> quantity


@dataclass
class Product:
    id: str
    title: str
    status: str
    create_time: int
    update_time: int
    skus: list[Sku]
    under_review: bool = False
    # Set for products created through the API (sandbox/tiktok/listing_api.py)
    description: str = ""
    external_product_id: str = ""
    audit_status: str = "APPROVED"
    audit_failed_reasons: list[dict] = field(default_factory=list)

    @property
    def shown_status(self) -> str:
        return "PENDING" if self.under_review else self.status


@dataclass
class Shop:
    id: str
    name: str
    region: str
    currency: str
    cipher: str
    code: str
    warehouses: list[Warehouse]
    products: dict[str, Product] = field(default_factory=dict)
    seller_type: str = "LOCAL"

    @property
    def sales_warehouse_ids(self) -> list[str]:
        """The seller's own enabled sales warehouses, the ones new listings are stocked in."""
        return [w.id for w in self.warehouses
                if w.type == "SALES_WAREHOUSE" and w.effect_status == "ENABLED" and not w.platform]

    @property
    def platform_warehouse_ids(self) -> set[str]:
        return {w.id for w in self.warehouses if w.platform}

    def as_json(self) -> dict:
        return {"id": self.id, "name": self.name, "region": self.region, "seller_type": self.seller_type,
                "cipher": self.cipher, "code": self.code}


@dataclass
class Seller:
    open_id: str
    name: str
    region: str
    shops: list[Shop]


class IdSequence:
    """TikTok-shaped 19-digit string ids, in a fixed order."""

    def __init__(self, start: int):
        self._numbers = count(start)

    def __next__(self) -> str:
        return str(next(self._numbers))


def demo_seller(product_ids: IdSequence, sku_ids: IdSequence) -> Seller:
    us = Shop(id="7494000000000000101", name="ShopSync Demo US", region="US", currency="USD",
              cipher="ROW_SSdemoUSxkMbgAAAeVAQra0eZWe", code="USLCSSDEMO1", warehouses=[
                  Warehouse("7300000000000000101", "Los Angeles Fulfilment", "SALES_WAREHOUSE", True, "US"),
                  Warehouse("7300000000000000102", "New Jersey Fulfilment", "SALES_WAREHOUSE", False, "US"),
                  Warehouse("7300000000000000103", "US Returns", "RETURN_WAREHOUSE", False, "US")])
    uk = Shop(id="7494000000000000102", name="ShopSync Demo UK", region="GB", currency="GBP",
              cipher="ROW_SSdemoUKq5aIKbFQWebFQq5aIK", code="GBLCSSDEMO2", warehouses=[
                  Warehouse("7300000000000000201", "Manchester Warehouse", "SALES_WAREHOUSE", True, "GB"),
                  Warehouse("7300000000000000202", "UK Returns", "RETURN_WAREHOUSE", False, "GB")])
    rng = random.Random(17)
    catalog = demo_products()
    for number, demo in enumerate(catalog[:MIRRORED_PRODUCTS]):
        _add(us, product_ids, sku_ids, rng, demo, number, Decimal(1), curated=True)
    for number, (title, seller_sku, price) in enumerate(_TIKTOK_ONLY, start=MIRRORED_PRODUCTS):
        product = _listing(product_ids, number, title)
        product.skus.append(_sku(sku_ids, rng, us, seller_sku, Decimal(price)))
        us.products[product.id] = product
    us.products[product.id].under_review = True  # the last TikTok-only listing waits for TikTok's review
    for number, demo in enumerate(catalog[:6]):
        _add(uk, product_ids, sku_ids, rng, demo, number, Decimal("0.79"), curated=False)
    return Seller(open_id="7010000000000000001", name="ShopSync Demo Seller", region="US", shops=[us, uk])


def add_generated_products(shop: Shop, product_ids: IdSequence, sku_ids: IdSequence, sku_count: int,
                           seed: int = 11, skus_per_product: int = 5) -> int:
    """Append `sku_count` SKUs (the Shopify sandbox's generated catalog for the same seed); returns products added."""
    rng = random.Random(seed)
    added = 0
    demos = generated_products(sku_count, seed=seed, variants_per_product=skus_per_product)
    for number, demo in enumerate(demos, start=len(shop.products)):
        _add(shop, product_ids, sku_ids, rng, demo, number, Decimal(1), curated=False)
        added += 1
    return added


_TIKTOK_ONLY = (
    ("TikTok Live Exclusive Bundle", "TT-ONLY-BUNDLE", "39.00"),
    ("Creator Collab Sticker Pack", "TT-ONLY-STICKERS", "6.50"),
    ("Mystery Box (TikTok drop)", "TT-ONLY-MYSTERY", "25.00"),
)


def _add(shop: Shop, product_ids: IdSequence, sku_ids: IdSequence, rng: random.Random, demo: DemoProduct,
         number: int, price_factor: Decimal, curated: bool) -> None:
    """List a Shopify demo product; `curated` leaves out some variants and renames some SKUs."""
    product = _listing(product_ids, number, demo.title)
    for variant in demo.variants:
        if curated and variant.position == 5:
            continue
        seller_sku = f"TT-{variant.sku}" if curated and variant.id % 7 == 0 else variant.sku
        price = (variant.price * price_factor).quantize(Decimal("0.01"))
        product.skus.append(_sku(sku_ids, rng, shop, seller_sku, price))
    shop.products[product.id] = product


def _listing(product_ids: IdSequence, number: int, title: str) -> Product:
    created = CATALOG_EPOCH + number * 3600
    return Product(id=next(product_ids), title=title, status="ACTIVATE", create_time=created,
                   update_time=created, skus=[])


def _sku(sku_ids: IdSequence, rng: random.Random, shop: Shop, seller_sku: str, price: Decimal) -> Sku:
    return Sku(id=next(sku_ids), seller_sku=seller_sku, price=price,
               inventory={wid: rng.randint(0, 30) for wid in shop.sales_warehouse_ids})
