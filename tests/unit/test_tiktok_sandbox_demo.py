from shopsync.sandbox.demo_catalog import demo_products
from shopsync.sandbox.tiktok import TikTokSandbox


def test_demo_data_is_deterministic_and_mirrors_the_shopify_catalog():
    first, second = TikTokSandbox(), TikTokSandbox()
    assert [p.id for p in first.shops[0].products.values()] == [p.id for p in second.shops[0].products.values()]
    shopify_skus = {v.sku for p in demo_products()[:20] for v in p.variants}
    tiktok_skus = [s.seller_sku for p in first.shops[0].products.values() for s in p.skus]
    shared = [s for s in tiktok_skus if s in shopify_skus]
    assert len(shared) > len(tiktok_skus) * 0.7
    assert any(s.startswith("TT-SS-") for s in tiktok_skus) and any(s.startswith("TT-ONLY") for s in tiktok_skus)
    assert [len(s.sales_warehouse_ids) for s in first.shops] == [2, 1]
    assert [s.currency for s in first.shops] == ["USD", "GBP"]
