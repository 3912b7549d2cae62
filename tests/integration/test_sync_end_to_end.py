"""Issue 6 end to end: a change in the Shopify sandbox reaches the TikTok sandbox through signed webhooks,
the app's live webhook endpoint, a real RQ worker process, the debounced flush and the per-product push.
"""
from __future__ import annotations

import os
import time
from decimal import Decimal

import pytest
from sqlalchemy import select

from shopsync.extensions import db
from shopsync.jobs import queue
from shopsync.models import Location, ProductLink, SyncLog, SyncRun, Tenant
from shopsync.platforms.tiktok.products import SEARCH_PATH
from shopsync.sync.links.actions import change_settings
from tests.support.mail import Mailbox, _LoopbackController, text_part
from tests.support.sync_journey import (inventory_calls, links_settled, price_calls, sent_prices, sent_quantities,
                                        set_up_synced_shop, wait_for)
from tests.support.worker import running_worker

DEBOUNCE = 1.0  # the production default, in the worker that runs the flushes
# Prices here jump far either way; the guard rails that would hold a big drop have tests of their own.
RULES = {"price_multiplier": "1.5", "price_rounding": "99", "inventory_buffer": 2, "max_price_drop": "100"}
QUIET = 1.5  # seconds past the debounce in which no further call may arrive


@pytest.fixture
def mailbox_and_worker(app):
    """An SMTP server and a worker process that sends its alert emails there."""
    box = Mailbox()
    controller = _LoopbackController(box, hostname="127.0.0.1", port=0)
    controller.start()
    mail_env = {"MAIL_ENABLED": "1", "MAIL_SERVER": "127.0.0.1", "MAIL_PORT": str(controller.port),
                "MAIL_USE_TLS": "0", "FLUSH_DEBOUNCE_SECONDS": str(DEBOUNCE)}
    saved = {name: os.environ.get(name) for name in mail_env}
    os.environ.update(mail_env)
    try:
        with running_worker():
            yield box
    finally:
        for name, value in saved.items():
            if value is None:
                os.environ.pop(name, None)
            else:
                os.environ[name] = value
        controller.stop()


@pytest.fixture
def synced(mailbox_and_worker, app, client, shop_domain, tiktok_sandbox, shopify_sandbox):
    shopify_sandbox.set_webhook_delivery(copies=1, shuffle=False, delay=0.0, paused=False)
    tiktok_sandbox.clear_faults()
    with app.app_context():
        shop = set_up_synced_shop(client, shop_domain, tiktok_sandbox, RULES)
        yield shop
    shopify_sandbox.set_webhook_delivery(copies=1, shuffle=False, delay=0.0, paused=False)
    tiktok_sandbox.clear_faults()


def owner_email(shop) -> str:
    return db.session.get(Tenant, shop.tenant_id).alert_email


def link_row(link) -> ProductLink:
    db.session.expire_all()
    return db.session.get(ProductLink, link.link_id)


def active_location_ids(shop) -> set[int]:
    return set(db.session.execute(select(Location.shopify_id).where(
        Location.integration_id == shop.shopify_id, Location.is_active.is_(True))).scalars())


def expected_quantity(shop, shopify_sandbox, variant_id: int) -> int:
    _, variant = shopify_sandbox.shop(shop.shop).variant(variant_id)
    active = active_location_ids(shop)
    return max(sum(q for location, q in variant.levels.items() if location in active) - RULES["inventory_buffer"], 0)


def some_location(shop) -> int:
    return min(active_location_ids(shop))


def quiet_after_debounce() -> None:
    time.sleep(DEBOUNCE + QUIET)


def test_setup_registers_webhooks_and_the_first_push_applies_the_rules(synced, shopify_sandbox, tiktok_sandbox):
    topics = {s.topic for s in shopify_sandbox.shop(synced.shop).subscriptions.values()}
    assert {"PRODUCTS_UPDATE", "INVENTORY_LEVELS_UPDATE", "PRODUCTS_DELETE"} <= topics
    assert synced.links
    link = synced.links[0]
    _, variant = shopify_sandbox.shop(synced.shop).variant(link.variant_id)
    state = tiktok_sandbox.sku_state(link.sku_id)
    assert state["inventory"][synced.warehouse_id] == expected_quantity(synced, shopify_sandbox, link.variant_id)
    assert Decimal(state["price"]) == _rounded_up_99(variant.price * Decimal("1.5"))


def _rounded_up_99(amount: Decimal) -> Decimal:
    whole = int(amount)
    candidate = Decimal(whole) + Decimal("0.99")
    return candidate if candidate >= amount else candidate + 1


def test_a_stock_change_is_one_inventory_update_with_the_rules_applied(synced, shopify_sandbox, tiktok_sandbox):
    link = synced.links[0]
    since = time.time()
    shopify_sandbox.set_stock(synced.shop, some_location(synced), 40, variant_id=link.variant_id)
    wanted = expected_quantity(synced, shopify_sandbox, link.variant_id)
    wait_for(lambda: tiktok_sandbox.sku_state(link.sku_id)["inventory"][synced.warehouse_id] == wanted, 20)
    quiet_after_debounce()
    [call] = inventory_calls(tiktok_sandbox, link.product_id, since)
    assert sent_quantities(call, synced.warehouse_id) == {link.sku_id: wanted}
    assert price_calls(tiktok_sandbox, link.product_id, since) == []
    assert links_settled(synced.tenant_id)


def test_a_price_change_is_one_price_update_with_the_rounded_price(synced, shopify_sandbox, tiktok_sandbox):
    link = synced.links[0]
    since = time.time()
    shopify_sandbox.set_price(synced.shop, link.variant_id, "19.40")  # x 1.5 = 29.10, rounded up to .99
    wait_for(lambda: tiktok_sandbox.sku_state(link.sku_id)["price"] == "29.99", 20)
    quiet_after_debounce()
    [call] = price_calls(tiktok_sandbox, link.product_id, since)
    assert sent_prices(call) == {link.sku_id: "29.99"}
    assert inventory_calls(tiktok_sandbox, link.product_id, since) == []


def test_three_changed_skus_of_one_tiktok_product_are_one_call(synced, shopify_sandbox, tiktok_sandbox):
    product_id, links = next((p, links) for p, links in synced.by_product().items() if len(links) >= 3)
    links = links[:3]
    since = time.time()
    for quantity, link in enumerate(links, start=50):
        shopify_sandbox.set_stock(synced.shop, some_location(synced), quantity, variant_id=link.variant_id)
    wanted = {link.sku_id: expected_quantity(synced, shopify_sandbox, link.variant_id) for link in links}
    wait_for(lambda: all(tiktok_sandbox.sku_state(s)["inventory"][synced.warehouse_id] == q
                         for s, q in wanted.items()), 20)
    quiet_after_debounce()
    [call] = inventory_calls(tiktok_sandbox, product_id, since)
    assert sent_quantities(call, synced.warehouse_id) == wanted


def test_duplicated_and_shuffled_deliveries_never_leave_tiktok_on_a_stale_value(synced, shopify_sandbox,
                                                                                tiktok_sandbox):
    link = synced.links[0]
    location = some_location(synced)
    shopify_sandbox.set_webhook_delivery(copies=3, shuffle=True)
    since = time.time()
    for available in range(60, 71):  # eleven changes, one second apart at most
        shopify_sandbox.set_stock(synced.shop, location, available, variant_id=link.variant_id)
        time.sleep(0.1)
    wanted = expected_quantity(synced, shopify_sandbox, link.variant_id)
    assert shopify_sandbox.wait_for_webhooks(30)
    wait_for(lambda: tiktok_sandbox.sku_state(link.sku_id)["inventory"][synced.warehouse_id] == wanted, 20)
    quiet_after_debounce()
    assert tiktok_sandbox.sku_state(link.sku_id)["inventory"][synced.warehouse_id] == wanted
    sent = [sent_quantities(c, synced.warehouse_id)[link.sku_id]
            for c in inventory_calls(tiktok_sandbox, link.product_id, since)]
    assert wanted in sent
    assert set(sent[sent.index(wanted):]) == {wanted}, f"an older value was sent after the fresh one: {sent}"
    attempts = shopify_sandbox.webhook_attempts(synced.shop)
    assert len({a["event_id"] for a in attempts if a["at"] >= since}) * 3 <= len(
        [a for a in attempts if a["at"] >= since])  # every event really was delivered three times


def test_a_product_under_review_fails_the_link_with_one_email_and_fixing_it_sends_a_recovery(
        synced, mailbox_and_worker, shopify_sandbox, tiktok_sandbox):
    mailbox = mailbox_and_worker
    link = synced.links[0]
    address = owner_email(synced)
    tiktok_sandbox.set_under_review(link.product_id)
    shopify_sandbox.set_stock(synced.shop, some_location(synced), 41, variant_id=link.variant_id)
    wait_for(lambda: link_row(link).state == "error", 20, message="the link never failed")
    assert "under review" in link_row(link).last_error
    shopify_sandbox.set_stock(synced.shop, some_location(synced), 42, variant_id=link.variant_id)  # fails again
    [failure] = mailbox.wait_for(address, 1, timeout=20)
    assert "TikTok" in failure["Subject"] and "under review" in text_part(failure)

    tiktok_sandbox.set_under_review(link.product_id, False)  # the merchant gets the listing approved
    shopify_sandbox.set_stock(synced.shop, some_location(synced), 43, variant_id=link.variant_id)
    wanted = expected_quantity(synced, shopify_sandbox, link.variant_id)
    wait_for(lambda: link_row(link).state == "ok", 20, message="the link never recovered")
    assert tiktok_sandbox.sku_state(link.sku_id)["inventory"][synced.warehouse_id] == wanted
    messages = mailbox.wait_for(address, 2, timeout=20)
    quiet_after_debounce()
    assert len(mailbox.to(address)) == 2, [m["Subject"] for m in mailbox.to(address)]
    assert messages[1]["Subject"] != failure["Subject"]
    failed_pushes = db.session.execute(select(SyncLog.result, SyncLog.error_class).where(
        SyncLog.link_id == link.link_id, SyncLog.result == "error")).all()
    assert failed_pushes and {row.error_class for row in failed_pushes} == {"permanent"}


def test_reconciliation_reads_tiktok_back_reports_drift_and_fixes_the_fields_links_sync(
        synced, shopify_sandbox, tiktok_sandbox):
    both, stock_only, in_step = synced.links[:3]
    change_settings(synced.tenant_id, [stock_only.link_id], {"sync_price": False})
    wait_for(lambda: links_settled(synced.tenant_id), 20)
    before = {link.sku_id: tiktok_sandbox.sku_state(link.sku_id) for link in (both, stock_only, in_step)}
    with tiktok_sandbox.lock:  # someone edits the listings in TikTok Seller Center
        for link in (both, stock_only):
            _, _, sku = tiktok_sandbox.find_sku(link.sku_id)
            sku.price = Decimal("1.00")
            sku.inventory[synced.warehouse_id] = 999
    tiktok_sandbox.clear_calls()

    queue("low").enqueue("shopsync.jobs.pushes.reconcile_shop_job", synced.tiktok_id)
    run = wait_for(lambda: db.session.execute(select(SyncRun).where(
        SyncRun.tenant_id == synced.tenant_id, SyncRun.kind == "reconcile", SyncRun.finished_at.is_not(None))
    ).scalar_one_or_none(), 30, message="the reconciliation did not finish")

    assert tiktok_sandbox.calls(SEARCH_PATH, "POST"), "TikTok's values were not read back"
    assert tiktok_sandbox.sku_state(both.sku_id)["price"] == before[both.sku_id]["price"]
    assert tiktok_sandbox.sku_state(stock_only.sku_id)["price"] == "1.00"  # not synced: reported by nobody, left
    for link in (both, stock_only):
        assert tiktok_sandbox.sku_state(link.sku_id)["inventory"][synced.warehouse_id] == before[
            link.sku_id]["inventory"][synced.warehouse_id]
    assert tiktok_sandbox.sku_state(in_step.sku_id) == before[in_step.sku_id]
    logs = db.session.execute(select(SyncLog.link_id, SyncLog.field, SyncLog.before, SyncLog.after, SyncLog.result)
                              .where(SyncLog.run_id == run.id)).all()
    assert {(row.link_id, row.field, row.before, row.result) for row in logs} == {
        (both.link_id, "price", "1.00", "ok"), (both.link_id, "inventory", "999", "ok"),
        (stock_only.link_id, "inventory", "999", "ok")}
    assert run.status == "succeeded" and "2 SKU(s) differed" in run.message
