"""The demo store both simulators share: deterministic, so ids are stable across restarts.

The Shopify sandbox serves these products; the TikTok sandbox lists part of the
same catalog (same seller SKUs for some variants, renamed SKUs or barcodes only for
others) so that auto-linking has real matching and real conflicts to show.
"""
from __future__ import annotations

import random
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Iterator

LOCATIONS = (
    (71001, "Main Warehouse"),
    (71002, "Downtown Store"),
)

_KINDS = (  # kind, product type, option values, option name, grams shipped
    ("Tee", "Apparel", ("S", "M", "L", "XL"), "Size", 250),
    ("Hoodie", "Apparel", ("S", "M", "L"), "Size", 700),
    ("Cap", "Accessories", ("One size",), "Size", 150),
    ("Mug", "Home", ("White", "Black"), "Color", 450),
    ("Tote Bag", "Accessories", ("Natural", "Black"), "Color", 300),
    ("Sneakers", "Footwear", ("40", "41", "42", "43", "44"), "Shoe Size", 1100),
)
# What a merchant keeps in product metafields, which publishing maps to TikTok's required attributes.
_METAFIELDS = {
    "Tee": {"custom.material": "Cotton"}, "Hoodie": {"custom.material": "Cotton, Polyester"},
    "Cap": {"custom.material": "Cotton"}, "Mug": {"custom.material": "Ceramic"},
    "Tote Bag": {"custom.material": "Canvas"}, "Sneakers": {"custom.upper_material": "Canvas"},
}
_ADJECTIVES = ("Classic", "Sunset", "Ocean", "Forest", "Retro", "Minimal")


@dataclass
class DemoVariant:
    id: int
    title: str
    sku: str
    barcode: str
    price: Decimal
    compare_at_price: Decimal | None
    inventory_item_id: int
    position: int
    levels: dict[int, int] = field(default_factory=dict)  # location id -> available


@dataclass
class DemoProduct:
    id: int
    title: str
    handle: str
    status: str
    vendor: str
    product_type: str
    image_ids: list[int]
    variants: list[DemoVariant]
    description_html: str = ""
    tags: tuple[str, ...] = ()
    option_name: str = "Title"
    weight_grams: int = 500
    metafields: dict[str, str] = field(default_factory=dict)  # "namespace.key" -> value


def demo_products(seed: int = 7) -> list[DemoProduct]:
    """36 products (6 kinds x 6 styles), 1-5 variants each, 1-4 images, stock at two locations."""
    rng = random.Random(seed)
    products = []
    number = 0
    for kind, product_type, options, option_name, grams in _KINDS:
        for adjective in _ADJECTIVES:
            number += 1
            products.append(_product(rng, number, f"{adjective} {kind}", product_type, options, option_name, grams))
    return products


def generated_products(variant_count: int, seed: int = 11, variants_per_product: int = 5) -> Iterator[DemoProduct]:
    """A large synthetic catalog for benchmarks, produced lazily (constant memory)."""
    rng = random.Random(seed)
    made = 0
    number = 1000
    while made < variant_count:
        number += 1
        size = min(variants_per_product, variant_count - made)
        options = tuple(f"Option {i + 1}" for i in range(size))
        yield _product(rng, number, f"Generated Product {number}", "Generated", options, "Style", 400)
        made += size


def _product(rng: random.Random, number: int, title: str, product_type: str, options, option_name: str,
             grams: int) -> DemoProduct:
    product_id = 8_000_000_000 + number
    base_price = Decimal(rng.choice((12, 18, 24, 29, 35, 49, 65, 89))) + Decimal("0.00")
    variants = []
    for position, option in enumerate(options, start=1):
        variant_id = 45_000_000_000 + number * 10 + position
        code = option.upper().replace(" ", "")[:6]
        levels = {location_id: rng.randint(0, 40) for location_id, _ in LOCATIONS}
        variants.append(DemoVariant(
            id=variant_id,
            title=option,
            sku=f"SS-{number:04d}-{code}",
            barcode=f"0{number:05d}{position:02d}{rng.randint(1000, 9999)}",
            price=base_price,
            compare_at_price=(base_price + 10) if rng.random() < 0.3 else None,
            inventory_item_id=47_000_000_000 + number * 10 + position,
            position=position,
            levels=levels,
        ))
    status = "ACTIVE" if number % 9 else "DRAFT"
    image_count = rng.randint(1, 4)
    return DemoProduct(
        id=product_id,
        title=title,
        handle=title.lower().replace(" ", "-"),
        status=status,
        vendor="ShopSync Demo",
        product_type=product_type,
        image_ids=[36_000_000_000 + number * 10 + i for i in range(1, image_count + 1)],
        variants=variants,
        description_html=(f"<p>The {title.lower()} from ShopSync Demo: made to last, easy to care for and "
                          f"packed with care.</p><ul><li>{product_type} essential</li><li>Ships in 2 days</li></ul>"),
        tags=(product_type.lower(), title.split()[0].lower()),
        option_name=option_name,
        weight_grams=grams,
        metafields=dict(_METAFIELDS.get(title.split(" ", 1)[-1], {})),
    )
