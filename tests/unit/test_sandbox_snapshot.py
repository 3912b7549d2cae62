"""The embedded default's sandbox state kept across restarts (shopsync/sandbox/snapshot.py)."""
from __future__ import annotations

import os
from decimal import Decimal

from shopsync.sandbox.shopify import ShopifySandbox
from shopsync.sandbox.snapshot import Snapshots
from shopsync.sandbox.tiktok import TikTokSandbox

SHOP = "demo-store.myshopify.com"


def test_a_restarted_sandbox_has_the_shops_catalogs_and_subscriptions_of_the_last_run(tmp_path):
    path = str(tmp_path / "sandbox-state.pickle")
    shopify, tiktok = ShopifySandbox(), TikTokSandbox()
    variant = next(iter(shopify.ensure_shop(SHOP).products.values())).variants[0]
    shopify.set_price(SHOP, variant.id, "21.50")
    shop_id = tiktok.shops[0].id
    tiktok.events.subscribe(shop_id, "ORDER_STATUS_CHANGE", "http://127.0.0.1:5000/webhooks/tiktok", 1)
    snapshots = Snapshots(path, shopify=shopify, tiktok=tiktok)
    assert snapshots.save() and not snapshots.save()  # written once; unchanged state is not written again
    assert oct(os.stat(path).st_mode & 0o777) == "0o600"  # it holds tokens: owner-only, like the database

    later_shopify = ShopifySandbox({"shopify_api_secret": "today's secret"})
    later_tiktok = TikTokSandbox()
    assert Snapshots(path, shopify=later_shopify, tiktok=later_tiktok).restore()
    _, restored = later_shopify.shop(SHOP).variant(variant.id)
    assert restored.price == Decimal("21.50")
    assert later_shopify.settings["shopify_api_secret"] == "today's secret"  # settings come from this run
    assert later_tiktok.events.of(shop_id)[0].address.endswith("/webhooks/tiktok")  # kept beside its sender
    assert later_tiktok.events.outbox is not tiktok.events.outbox  # the sender itself is this run's


def test_no_snapshot_or_a_broken_one_starts_the_sandbox_afresh(tmp_path):
    assert not Snapshots(str(tmp_path / "none.pickle"), shopify=ShopifySandbox()).restore()
    broken = tmp_path / "broken.pickle"
    broken.write_bytes(b"not a pickle")
    fresh = ShopifySandbox()
    assert not Snapshots(str(broken), shopify=fresh).restore() and fresh.shops == {}
