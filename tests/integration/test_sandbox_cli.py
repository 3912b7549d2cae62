"""`flask shopsync sandbox set-stock/set-price` change the running sandbox store through its control API."""
from decimal import Decimal


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
