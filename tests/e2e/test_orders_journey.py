"""The orders journey in a real browser on the app as the suite runs it: a buyer orders on the TikTok sandbox,
the merchant sees the order reach Shopify on the Orders page (live, no reload), ships it in the Shopify
sandbox's admin, and the TikTok sandbox shows the tracking number."""
from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from shopsync.extensions import db
from tests.support.orders import seller_sku, store_taking_orders
from tests.support.worker import running_worker

pytestmark = pytest.mark.e2e

def test_sell_on_tiktok_see_the_shopify_order_ship_it_and_see_tracking_on_tiktok(
        app, client, app_context, shopify_sandbox, tiktok_sandbox, shop_domain, page):
    base, sandbox = app.config["PUBLIC_URL"], app.config["SANDBOX_URL"]
    store = store_taking_orders(client, app, shopify_sandbox, tiktok_sandbox, shop_domain)
    sku = seller_sku(store)
    db.session.remove()

    with running_worker():
        # The merchant logs in through Shopify.
        page.goto(base + "/login")
        page.get_by_label("Store address", exact=False).fill(shop_domain)
        page.get_by_role("button", name="Continue with Shopify").click()
        page.wait_for_url(lambda url: "/admin/oauth/authorize" in url or url.startswith(base))
        if "/admin/oauth/authorize" in page.url:
            page.get_by_role("button", name="Install").click()
        page.wait_for_url(base + "/")
        page.get_by_role("link", name="Orders", exact=True).click()
        expect(page.get_by_role("heading", name="Orders")).to_be_visible()

        # A buyer orders on TikTok Shop (the sandbox's buyers' page), without TikTok's hold.
        buyer = page.context.new_page()
        buyer.goto(sandbox + "/tiktok/_control/admin")
        buyer.get_by_label("SKU").select_option(sku)
        buyer.get_by_label("Quantity").fill("2")
        buyer.get_by_label("ON_HOLD first").uncheck()
        buyer.get_by_role("button", name="Place order").click()
        placed = buyer.get_by_role("status").inner_text()
        tiktok_order_id = re.search(r"Order (\d+) placed", placed).group(1)

        # The Orders page shows it reach Shopify without a reload (it polls itself).
        row = page.locator(f"tr:has-text('{tiktok_order_id}')")
        expect(row.locator("[data-state]")).to_have_text("In Shopify", timeout=60_000)
        row.get_by_role("link", name=tiktok_order_id).click()
        expect(page.locator("[data-shopify-order]")).to_be_visible()
        shopify_name = page.locator("[data-shopify-order]").inner_text()
        expect(page.get_by_text("Units held: 0")).to_be_visible()

        # The merchant ships it from the Shopify sandbox's admin, with a UPS tracking number.
        admin = page.context.new_page()
        admin.goto(page.get_by_role("link", name="open in the Shopify admin").get_attribute("href"))
        order_row = admin.locator(f"tr:has-text('{shopify_name}')")
        expect(order_row).to_contain_text(tiktok_order_id)
        order_row.get_by_label("Carrier").select_option("UPS")
        order_row.get_by_label("Tracking number").fill("1Z999AA10123456784")
        order_row.get_by_role("button", name="Fulfill items").click()

        # TikTok has the tracking number: on the order's page here, and on the TikTok sandbox's page.
        expect(page.locator("[data-shipment-state]")).to_have_text("shipped", timeout=60_000)
        expect(page.get_by_text("1Z999AA10123456784").first).to_be_visible()
        buyer.reload()
        expect(buyer.locator(f"tr:has-text('{tiktok_order_id}')")).to_contain_text("UPS 1Z999AA10123456784",
                                                                                  timeout=60_000)
