"""`flask shopsync sandbox ...` changes the running sandbox (store stock and price, TikTok buyers) through its
control API."""
from decimal import Decimal

from shopsync.sandbox.tiktok import buying


def _variant(shopify_sandbox, shop, sku):
    return next(v for p in shopify_sandbox.shop(shop).products.values() for v in p.variants if v.sku == sku)


def test_set_stock_and_price_by_sku(app, shopify_sandbox, shop_domain):
    downtown = sorted(shopify_sandbox.ensure_shop(shop_domain).locations)[1]
    runner = app.test_cli_runner()
    stock = runner.invoke(args=["shopsync", "sandbox", "set-stock", "SS-0001-M", "3", "--shop", shop_domain,
                                "--location", str(downtown)])
    assert stock.exit_code == 0, stock.output
    assert _variant(shopify_sandbox, shop_domain, "SS-0001-M").levels[downtown] == 3
    price = runner.invoke(args=["shopsync", "sandbox", "set-price", "SS-0001-M", "21.50", "--shop", shop_domain])
    assert price.exit_code == 0, price.output
    assert _variant(shopify_sandbox, shop_domain, "SS-0001-M").price == Decimal("21.50")


def test_clear_errors_for_bad_input(app, shopify_sandbox, shop_domain):
    shopify_sandbox.ensure_shop(shop_domain)
    before = _variant(shopify_sandbox, shop_domain, "SS-0001-M")
    price_before, levels_before = before.price, dict(before.levels)
    runner = app.test_cli_runner()
    unknown = runner.invoke(args=["shopsync", "sandbox", "set-stock", "NO-SUCH-SKU", "3", "--shop", shop_domain])
    assert unknown.exit_code != 0 and "no variant with SKU NO-SUCH-SKU" in unknown.output
    bad_price = runner.invoke(args=["shopsync", "sandbox", "set-price", "SS-0001-M", "abc", "--shop", shop_domain])
    assert bad_price.exit_code != 0 and "not a price" in bad_price.output
    negative = runner.invoke(args=["shopsync", "sandbox", "set-stock", "SS-0001-M", "-1", "--shop", shop_domain])
    assert negative.exit_code != 0
    after = _variant(shopify_sandbox, shop_domain, "SS-0001-M")
    assert after.price == price_before and after.levels == levels_before


def test_sell_cancel_and_return_on_the_tiktok_sandbox(app, tiktok_sandbox):
    tiktok_sandbox.reset()
    runner = app.test_cli_runner()
    sku = "TT-ONLY-STICKERS"
    _, _, listing = next((s, p, k) for s in tiktok_sandbox.shops for p in s.products.values() for k in p.skus
                         if k.seller_sku == sku)
    before = sum(listing.inventory.values())
    sold = runner.invoke(args=["shopsync", "sandbox", "sell", sku, "2"])
    assert sold.exit_code == 0, sold.output
    order = next(iter(tiktok_sandbox.book.orders.values()))
    assert f"TikTok order {order.id}: 2 x {sku}, ON_HOLD" in sold.output
    assert sum(listing.inventory.values()) == before - 2
    released = runner.invoke(args=["shopsync", "sandbox", "release-hold", order.id])
    assert released.exit_code == 0 and "AWAITING_SHIPMENT" in released.output
    early_return = runner.invoke(args=["shopsync", "sandbox", "return", order.id])
    assert early_return.exit_code != 0 and "only shipped orders can be returned" in early_return.output
    cancelled = runner.invoke(args=["shopsync", "sandbox", "cancel", order.id, "--line-item",
                                    order.line_items[0].id])
    assert cancelled.exit_code == 0 and "order AWAITING_SHIPMENT" in cancelled.output
    assert sum(listing.inventory.values()) == before - 1
    tiktok_sandbox.sell(sku, on_hold=False)
    shipped = list(tiktok_sandbox.book.orders.values())[-1]
    with tiktok_sandbox.lock:
        buying.ship(tiktok_sandbox, shipped, [shipped.line_items[0].id], "1Z999", "7117858858072016686", "USPS")
    returned = runner.invoke(args=["shopsync", "sandbox", "return", shipped.id])
    assert returned.exit_code == 0 and "RETURN_OR_REFUND_REQUEST_COMPLETE" in returned.output


def test_sell_refuses_unknown_skus_and_short_stock(app, tiktok_sandbox):
    tiktok_sandbox.reset()
    runner = app.test_cli_runner()
    unknown = runner.invoke(args=["shopsync", "sandbox", "sell", "NO-SUCH-SKU"])
    assert unknown.exit_code != 0 and "no listing with seller SKU NO-SUCH-SKU" in unknown.output
    too_many = runner.invoke(args=["shopsync", "sandbox", "sell", "TT-ONLY-STICKERS", "100"])
    assert too_many.exit_code != 0 and "not enough stock" in too_many.output
    missing = runner.invoke(args=["shopsync", "sandbox", "cancel", "123"])
    assert missing.exit_code != 0 and "no order 123" in missing.output
    assert not tiktok_sandbox.book.orders


def test_sell_on_shopify_checks_out_on_the_online_store(app, shopify_sandbox, shop_domain):
    shopify_sandbox.ensure_shop(shop_domain)
    runner = app.test_cli_runner()
    variant = _variant(shopify_sandbox, shop_domain, "SS-0001-M")
    before = sum(variant.levels.values())
    sold = runner.invoke(args=["shopsync", "sandbox", "sell-on-shopify", "SS-0001-M", "1", "--shop", shop_domain])
    assert sold.exit_code == 0 and "Shopify order #1001: 1 x SS-0001-M" in sold.output, sold.output
    assert sum(variant.levels.values()) == before - 1
    too_many = runner.invoke(args=["shopsync", "sandbox", "sell-on-shopify", "SS-0001-M", "100", "--shop",
                                   shop_domain])
    assert too_many.exit_code != 0 and "sold out" in too_many.output
