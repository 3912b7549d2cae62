"""A Shopify product as publishing needs it, read fresh from Shopify (LISTING_PRODUCT)."""
from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal

from ...platforms.shopify.admin import AdminClient
from ...platforms.shopify.catalog import parse_gid, to_gid
from ...platforms.shopify.queries import LISTING_PRODUCT

_DEFAULT_OPTION = "Title"


@dataclass(frozen=True)
class SourceVariant:
    shopify_id: int
    title: str
    sku: str
    barcode: str
    price: Decimal
    compare_at_price: Decimal | None
    options: tuple[tuple[str, str], ...]  # (option name, value), in the product's option order
    weight: tuple[Decimal, str] | None  # value, Shopify unit (GRAMS | KILOGRAMS | OUNCES | POUNDS)


@dataclass(frozen=True)
class SourceImage:
    url: str
    alt: str
    position: int


@dataclass(frozen=True)
class SourceProduct:
    shopify_id: int
    title: str
    description_html: str
    vendor: str
    product_type: str
    tags: tuple[str, ...]
    option_names: tuple[str, ...]
    collections: tuple[str, ...]
    metafields: dict[str, str] = field(hash=False)  # "namespace.key" -> value
    category: str  # Shopify taxonomy category's full name, "" when unset
    images: tuple[SourceImage, ...] = ()
    variants: tuple[SourceVariant, ...] = ()
    more_variants: bool = False  # Shopify has more variants than were read (over TikTok's limit anyway)

    @property
    def gid(self) -> str:
        return to_gid("Product", self.shopify_id)

    @property
    def has_options(self) -> bool:
        """A product with only Shopify's default variant has no variations to list."""
        return bool(self.option_names) and self.option_names != (_DEFAULT_OPTION,)

    def field_value(self, name: str) -> str:
        """A Shopify field a template may take an attribute value from."""
        return {"vendor": self.vendor, "product_type": self.product_type, "title": self.title,
                "category": self.category.rsplit(" > ", 1)[-1]}.get(name, "")


def read_product(admin: AdminClient, shopify_id: int) -> SourceProduct | None:
    """The product as Shopify has it now, or None when Shopify no longer has it."""
    node = admin.execute(LISTING_PRODUCT, {"id": to_gid("Product", shopify_id)}).get("product")
    return None if node is None else source_from_node(node)


def source_from_node(node: dict) -> SourceProduct:
    variants = node.get("variants") or {}
    media = (node.get("media") or {}).get("nodes") or []
    images = [SourceImage(url=m["image"]["url"], alt=m["image"].get("altText") or "", position=n)
              for n, m in enumerate((m for m in media if m.get("image")), 1)]
    return SourceProduct(
        shopify_id=parse_gid(node["id"]), title=node.get("title") or "", description_html=node.get("descriptionHtml")
        or "", vendor=node.get("vendor") or "", product_type=node.get("productType") or "",
        tags=tuple(node.get("tags") or ()), option_names=tuple(o["name"] for o in node.get("options") or ()),
        collections=tuple(c["title"] for c in (node.get("collections") or {}).get("nodes") or ()),
        metafields={f"{m['namespace']}.{m['key']}": m.get("value") or ""
                    for m in (node.get("metafields") or {}).get("nodes") or ()},
        category=(node.get("category") or {}).get("fullName") or "", images=tuple(images),
        variants=tuple(_variant(v) for v in variants.get("nodes") or ()),
        more_variants=bool((variants.get("pageInfo") or {}).get("hasNextPage")))


def _variant(node: dict) -> SourceVariant:
    weight = ((node.get("inventoryItem") or {}).get("measurement") or {}).get("weight") or {}
    compare_at = node.get("compareAtPrice")
    return SourceVariant(
        shopify_id=parse_gid(node["id"]), title=node.get("title") or "", sku=(node.get("sku") or "").strip(),
        barcode=(node.get("barcode") or "").strip(), price=Decimal(str(node.get("price") or "0")),
        compare_at_price=Decimal(str(compare_at)) if compare_at else None,
        options=tuple((o["name"], o["value"]) for o in node.get("selectedOptions") or ()),
        weight=(Decimal(str(weight["value"])), weight.get("unit") or "GRAMS") if weight.get("value") else None)
