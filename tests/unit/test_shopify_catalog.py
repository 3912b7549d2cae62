from __future__ import annotations

from datetime import datetime, timezone
from decimal import Decimal

import pytest

from shopsync.platforms.shopify import catalog

PRODUCT_NODE = {
    "id": "gid://shopify/Product/1", "legacyResourceId": "1", "title": "Tee", "handle": "tee",
    "status": "ACTIVE", "updatedAt": "2026-11-25T10:00:00Z", "descriptionHtml": "", "vendor": "V",
    "productType": "Shirts", "tags": ["a", "b"],
    "media": {"nodes": [{"id": "gid://shopify/MediaImage/5", "image": {
        "url": "https://cdn/x.jpg", "altText": "front", "width": 1, "height": 2}}, {}]},
    "variants": {"pageInfo": {"hasNextPage": False, "endCursor": None}, "nodes": [{
        "id": "gid://shopify/ProductVariant/11", "legacyResourceId": "11", "title": "S",
        "sku": "TEE-S", "barcode": None, "price": "19.00", "compareAtPrice": "25.50",
        "inventoryQuantity": 3, "position": 1, "updatedAt": "2026-11-25T10:00:00+02:00",
        "inventoryItem": {"id": "gid://shopify/InventoryItem/111", "legacyResourceId": "111"}}]},
}


def test_gids():
    assert catalog.parse_gid("gid://shopify/Product/123") == 123
    assert catalog.parse_gid("gid://shopify/InventoryLevel/9?inventory_item_id=4") == 9
    assert catalog.gid_type("gid://shopify/ProductVariant/1") == "ProductVariant"
    assert catalog.to_gid("Product", 5) == "gid://shopify/Product/5"
    for bad in ("123", "gid://shopify/Product/", "gid://other/Product/1"):
        with pytest.raises(ValueError):
            catalog.parse_gid(bad)


def test_product_node_rows():
    product = catalog.product_from_node(PRODUCT_NODE)
    assert (product.id, product.status, product.tags) == (1, "active", ("a", "b"))
    variant, = catalog.variants_from_product_node(PRODUCT_NODE)
    assert variant.price == Decimal("19.00") and variant.compare_at_price == Decimal("25.50")
    assert variant.inventory_item_id == 111 and variant.product_id == 1
    assert variant.updated_at == datetime(2026, 11, 25, 8, tzinfo=timezone.utc)
    image, = catalog.images_from_product_node(PRODUCT_NODE)
    assert (image.id, image.position, image.alt) == (5, 1, "front")


def test_locations_and_levels():
    location = catalog.location_from_node({"id": "gid://shopify/Location/7", "name": "Main",
                                           "isActive": True, "fulfillsOnlineOrders": False,
                                           "address": {"countryCode": "DE"}})
    assert (location.id, location.fulfills_online_orders, location.country_code) == (7, False, "DE")
    item = {"id": "gid://shopify/InventoryItem/111", "inventoryLevels": {"nodes": [
        {"location": {"id": "gid://shopify/Location/7"},
         "quantities": [{"name": "available", "quantity": 4}], "updatedAt": None}]}}
    level, = catalog.inventory_levels_from_item_node(item)
    assert (level.inventory_item_id, level.location_id, level.available) == (111, 7, 4)


def test_bulk_lines_map_one_by_one_even_when_not_grouped():
    lines = [
        {"id": "gid://shopify/Product/1", "title": "A", "status": "DRAFT", "updatedAt": None},
        {"id": "gid://shopify/Product/2", "title": "B", "status": "ACTIVE", "updatedAt": None},
        {"id": "gid://shopify/ProductVariant/11", "price": "1.50", "__parentId": "gid://shopify/Product/1",
         "inventoryItem": {"id": "gid://shopify/InventoryItem/111"}},
        {"id": "gid://shopify/MediaImage/5", "image": {"url": "u1"}, "__parentId": "gid://shopify/Product/2"},
        {"__parentId": "gid://shopify/Product/2"},  # a video: no MediaImage fields selected
        {"id": "gid://shopify/MediaImage/6", "image": {"url": "u2"}, "__parentId": "gid://shopify/Product/2"},
        {"id": "gid://shopify/InventoryItem/111"},
        {"id": "gid://shopify/InventoryLevel/9?inventory_item_id=111", "location": {"id": "gid://shopify/Location/7"},
         "quantities": [{"name": "available", "quantity": 2}], "__parentId": "gid://shopify/InventoryItem/111"},
    ]
    rows = list(catalog.rows_from_bulk_lines(lines))
    assert [type(r).__name__ for r in rows] == ["ProductRow", "ProductRow", "VariantRow", "ImageRow",
                                                "ImageRow", "InventoryLevelRow"]
    assert rows[2].product_id == 1 and rows[2].inventory_item_id == 111
    assert [(r.product_id, r.position) for r in rows[3:5]] == [(2, 1), (2, 2)]
    assert rows[5].available == 2 and rows[5].location_id == 7
