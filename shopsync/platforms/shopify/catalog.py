"""Shopify catalog data as typed rows the importer upserts.

Rows come from three shapes of the same data: GraphQL nodes (paged reads),
bulk-operation JSONL lines, and REST-shaped webhook payloads (webhooks.py).
Ids are the numeric REST ids (the tail of the GID); prices are Decimal in the
shop currency; times are aware UTC datetimes.
"""
from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import datetime, timezone
from decimal import Decimal

_GID_PREFIX = "gid://shopify/"


@dataclass(frozen=True)
class ProductRow:
    id: int
    title: str
    handle: str | None
    status: str  # active | draft | archived
    vendor: str | None
    product_type: str | None
    description_html: str | None
    tags: tuple[str, ...]
    updated_at: datetime | None


@dataclass(frozen=True)
class VariantRow:
    id: int
    product_id: int
    title: str | None
    sku: str | None
    barcode: str | None
    price: Decimal | None
    compare_at_price: Decimal | None
    inventory_item_id: int | None
    inventory_quantity: int | None
    position: int | None
    updated_at: datetime | None
    inventory_tracked: bool | None = None  # None: the source does not say (product webhooks)
    inventory_policy: str | None = None  # deny | continue


@dataclass(frozen=True)
class ImageRow:
    id: int
    product_id: int
    url: str
    alt: str | None
    width: int | None
    height: int | None
    position: int


@dataclass(frozen=True)
class LocationRow:
    id: int
    name: str
    is_active: bool
    fulfills_online_orders: bool
    country_code: str | None


@dataclass(frozen=True)
class InventoryLevelRow:
    inventory_item_id: int
    location_id: int
    available: int | None  # None when the item is not tracked
    updated_at: datetime | None


def gid_type(gid: str) -> str:
    if not isinstance(gid, str) or not gid.startswith(_GID_PREFIX):
        raise ValueError(f"not a Shopify GID: {gid!r}")
    return gid[len(_GID_PREFIX):].split("/", 1)[0]


def parse_gid(gid: str) -> int:
    """gid://shopify/Product/123 -> 123 (InventoryLevel GIDs carry a ?query)."""
    gid_type(gid)
    tail = gid.rsplit("/", 1)[1].split("?", 1)[0]
    if not tail.isdigit():
        raise ValueError(f"GID without a numeric id: {gid!r}")
    return int(tail)


def to_gid(resource: str, numeric_id: int) -> str:
    return f"{_GID_PREFIX}{resource}/{int(numeric_id)}"


def parse_datetime(value: str | None) -> datetime | None:
    if not value:
        return None
    parsed = datetime.fromisoformat(value)
    if parsed.tzinfo is None:
        raise ValueError(f"timestamp without a UTC offset: {value!r}")
    return parsed.astimezone(timezone.utc)


def parse_money(value) -> Decimal | None:
    if value is None or value == "":
        return None
    return Decimal(str(value))


def _node_id(node: dict) -> int:
    legacy = node.get("legacyResourceId")
    return int(legacy) if legacy is not None else parse_gid(node["id"])


def _connection_nodes(connection: dict | None) -> list[dict]:
    if not connection:
        return []
    if "nodes" in connection:
        return connection["nodes"]
    return [edge["node"] for edge in connection.get("edges", [])]


def product_from_node(node: dict) -> ProductRow:
    return ProductRow(
        id=_node_id(node),
        title=node["title"],
        handle=node.get("handle"),
        status=node["status"].lower(),
        vendor=node.get("vendor"),
        product_type=node.get("productType"),
        description_html=node.get("descriptionHtml"),
        tags=tuple(node.get("tags") or ()),
        updated_at=parse_datetime(node.get("updatedAt")),
    )


def variant_from_node(node: dict, product_id: int) -> VariantRow:
    item = node.get("inventoryItem") or {}
    return VariantRow(
        id=_node_id(node),
        product_id=product_id,
        title=node.get("title"),
        sku=node.get("sku") or None,
        barcode=node.get("barcode") or None,
        price=parse_money(node.get("price")),
        compare_at_price=parse_money(node.get("compareAtPrice")),
        inventory_item_id=_node_id(item) if item else None,
        inventory_quantity=node.get("inventoryQuantity"),
        position=node.get("position"),
        updated_at=parse_datetime(node.get("updatedAt")),
        inventory_tracked=item.get("tracked") if isinstance(item.get("tracked"), bool) else None,
        inventory_policy=policy_name(node.get("inventoryPolicy")),
    )


def policy_name(value) -> str | None:
    text = str(value or "").lower()
    return text if text in ("deny", "continue") else None


def image_from_media_node(node: dict, product_id: int, position: int) -> ImageRow | None:
    """A MediaImage as an image row; other media (video, 3D) has no `image`."""
    image = node.get("image")
    if not image or not node.get("id"):
        return None
    return ImageRow(id=parse_gid(node["id"]), product_id=product_id, url=image["url"],
                    alt=image.get("altText"), width=image.get("width"),
                    height=image.get("height"), position=position)


def variants_from_product_node(node: dict) -> list[VariantRow]:
    product_id = _node_id(node)
    return [variant_from_node(v, product_id) for v in _connection_nodes(node.get("variants"))]


def images_from_product_node(node: dict) -> list[ImageRow]:
    product_id = _node_id(node)
    images = (image_from_media_node(m, product_id, position)
              for position, m in enumerate(_connection_nodes(node.get("media")), start=1))
    return [image for image in images if image is not None]


def location_from_node(node: dict) -> LocationRow:
    address = node.get("address") or {}
    return LocationRow(id=_node_id(node), name=node["name"],
                       is_active=bool(node.get("isActive", True)),
                       fulfills_online_orders=bool(node.get("fulfillsOnlineOrders", True)),
                       country_code=address.get("countryCode"))


def _available(quantities: list[dict] | None) -> int | None:
    for quantity in quantities or ():
        if quantity.get("name") == "available":
            return quantity.get("quantity")
    return None


def inventory_level_from_node(node: dict, inventory_item_id: int) -> InventoryLevelRow:
    return InventoryLevelRow(inventory_item_id=inventory_item_id,
                             location_id=_node_id(node["location"]),
                             available=_available(node.get("quantities")),
                             updated_at=parse_datetime(node.get("updatedAt")))


def inventory_levels_from_item_node(node: dict) -> list[InventoryLevelRow]:
    item_id = _node_id(node)
    return [inventory_level_from_node(level, item_id)
            for level in _connection_nodes(node.get("inventoryLevels"))]


def rows_from_bulk_lines(lines: Iterable[dict]) -> Iterator[ProductRow | VariantRow | ImageRow
                                                             | InventoryLevelRow]:
    """Map bulk JSONL lines to rows one at a time, in file order.

    Each child line names its parent in `__parentId`, so a line never needs its
    parent in memory; parents precede children, so upserting in this order keeps
    foreign keys satisfied. Lines are not contiguous per parent unless the
    operation ran with groupObjects, so image positions are counted per product.
    """
    image_counts: dict[int, int] = {}
    for line in lines:
        if "id" not in line:  # media that is not an image selects no fields
            continue
        kind = gid_type(line["id"])
        parent = line.get("__parentId")
        if kind == "Product":
            yield product_from_node(line)
        elif kind == "ProductVariant":
            yield variant_from_node(line, parse_gid(parent))
        elif kind == "MediaImage":
            product_id = parse_gid(parent)
            image_counts[product_id] = image_counts.get(product_id, 0) + 1
            image = image_from_media_node(line, product_id, image_counts[product_id])
            if image is not None:
                yield image
        elif kind == "InventoryLevel":
            yield inventory_level_from_node(line, parse_gid(parent))
