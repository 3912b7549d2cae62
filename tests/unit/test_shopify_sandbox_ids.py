"""Shopify's resource ids are global: no two shops of the sandbox share one (review finding 3)."""
from shopsync.sandbox.shopify.sandbox import ShopifySandbox


def _ids(shop) -> dict[str, set[int]]:
    variants = [variant for product in shop.products.values() for variant in product.variants]
    return {
        "products": set(shop.products),
        "variants": {variant.id for variant in variants},
        "inventory_items": {variant.inventory_item_id for variant in variants},
        "images": {image for product in shop.products.values() for image in product.image_ids},
        "locations": set(shop.locations),
    }


def test_every_kind_of_id_differs_between_shops():
    sandbox = ShopifySandbox()
    first = sandbox.ensure_shop("first.myshopify.com")
    second = sandbox.ensure_shop("second.myshopify.com")
    sandbox.load_generated_catalog("third.myshopify.com", 50)
    third = sandbox.shop("third.myshopify.com")
    made = sandbox.create_product("second.myshopify.com", "Made later", [{"sku": "LATER"}])
    for kind, ids in _ids(first).items():
        assert ids, kind
        assert not ids & _ids(second)[kind], kind
        assert not ids & _ids(third)[kind], kind
        assert not _ids(second)[kind] & _ids(third)[kind], kind
    assert made.id not in first.products and made.variants[0].id not in _ids(first)["variants"]


def test_stock_levels_name_the_shops_own_locations():
    sandbox = ShopifySandbox()
    sandbox.ensure_shop("first.myshopify.com")
    second = sandbox.ensure_shop("second.myshopify.com")
    for product in second.products.values():
        for variant in product.variants:
            assert set(variant.levels) <= set(second.locations)
