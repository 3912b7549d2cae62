"""A TikTok sale through to Shopify and back, on both sandboxes: one Shopify order, units held until it lands,
holds, cancellations and returns restocking once, fulfilments sending tracking to TikTok."""
from __future__ import annotations

import threading
from datetime import datetime, timedelta, timezone

import pytest
from rq.job import Job
from sqlalchemy import func, select

from shopsync.extensions import db
from shopsync.jobs.orders import (poll_orders, queue_order_import, resume_stalled_orders, save_order_references,
                                  sync_order)
from shopsync.models import Alert, CarrierMapping, Integration, InventoryLevel, SyncRun
from shopsync.models import orders as states
from shopsync.models.integration import ACTIVE, DISCONNECTED
from shopsync.sandbox.shopify import order_book
from shopsync.sandbox.tiktok import buying
from shopsync.sync.orders import create as creating
from shopsync.sync.pushes.planner import plan_links
from tests.support.orders import order_of, seller_sku, settle, shopify_orders, store_taking_orders
from tests.support.shopify_import import run_jobs

SHOPIFY_WEBHOOKS = "shopsync.jobs.webhooks.process_webhooks"
TIKTOK_WEBHOOKS = "shopsync.jobs.orders.process_tiktok_webhooks"
BOTH = (TIKTOK_WEBHOOKS, SHOPIFY_WEBHOOKS)


@pytest.fixture
def store(client, app, app_context, shopify_sandbox, tiktok_sandbox, shop_domain):
    return store_taking_orders(client, app, shopify_sandbox, tiktok_sandbox, shop_domain)


def _available(shopify_sandbox, shop: str, variant_id: int) -> int:
    with shopify_sandbox.lock:
        _, variant = shopify_sandbox.shop(shop).variant(variant_id)
        return sum(variant.levels.values())


def _sold(app, store, tiktok_sandbox, units: int = 2, index: int = 0, **options):
    order = tiktok_sandbox.sell(seller_sku(store, index), units, **options)
    return order, settle(app, lambda: (found := order_of(store, order.id)) and found.state == states.CREATED
                         and found.released_at is not None and found, jobs=BOTH)


def _in_shopify(shopify_sandbox, shop: str, tiktok_order_id: str) -> list:
    return [o for o in shopify_orders(shopify_sandbox, shop) if o.source_identifier == str(tiktok_order_id)]


def test_a_sale_becomes_one_paid_tagged_shopify_order_and_its_units_are_released_after_it(
        app, store, shopify_sandbox, tiktok_sandbox, shop_domain):
    link = store.links[0]
    before = _available(shopify_sandbox, shop_domain, link.variant_id)
    tiktok, order = _sold(app, store, tiktok_sandbox, 2, on_hold=False)

    [created] = _in_shopify(shopify_sandbox, shop_domain, tiktok.id)
    assert order.shopify_order_id == created.id and order.shopify_order_name == created.name
    assert created.financial_status == "PAID" and created.source_name == "tiktok_shop"
    assert {"TikTok Shop", f"tiktok:{tiktok.id}"} <= set(created.tags)
    assert created.email is None and created.shipping_address["city"] == "Los Angeles"
    assert [(line.variant_id, line.quantity) for line in created.lines] == [(link.variant_id, 2)]
    # Shopify claimed the units, ShopSync stored Shopify's stock after it, and nothing is held any more.
    assert _available(shopify_sandbox, shop_domain, link.variant_id) == before - 2
    stored = db.session.execute(select(func.sum(InventoryLevel.available)).where(
        InventoryLevel.integration_id == store.shopify_integration_id,
        InventoryLevel.inventory_item_id == link.inventory_item_id)).scalar_one()
    assert stored == before - 2
    # What ShopSync now wants on TikTok is what TikTok already shows after counting the sale itself.
    [change] = plan_links(store.tenant_id, [link.link_id]).changes
    assert change.quantity_after == before - 2 == tiktok_sandbox.sku_state(link.sku_id)["inventory"][store.warehouse_id]
    assert save_order_references(store.tiktok_integration_id) == 1  # the write the order asked for, due in 3 s
    with tiktok_sandbox.lock:
        assert tiktok_sandbox.order(tiktok.id).external_orders["SHOPIFY"]["id"] == str(created.id)

    assert sync_order(order.id) == states.CREATED  # applied again: nothing new
    assert len(_in_shopify(shopify_sandbox, shop_domain, tiktok.id)) == 1
    kinds = [event.kind for event in order_of(store, tiktok.id).events]
    assert kinds[0] == "received" and "units_released" in kinds


def test_duplicate_shuffled_webhooks_and_the_poll_racing_them_make_one_shopify_order(
        app, store, shopify_sandbox, tiktok_sandbox, shop_domain):
    tiktok_sandbox.events.outbox.set_controls(copies=3, shuffle=True)
    orders = [tiktok_sandbox.sell(seller_sku(store, n % 3), 1, on_hold=False) for n in range(6)]
    polling = threading.Thread(target=lambda: [poll_orders(store.tiktok_integration_id) for _ in range(3)])
    polling.start()
    settle(app, lambda: all((found := order_of(store, o.id)) and found.state == states.CREATED for o in orders),
           jobs=BOTH)
    polling.join(30)
    for tiktok in orders:
        assert len(_in_shopify(shopify_sandbox, shop_domain, tiktok.id)) == 1


def test_a_crash_between_shopifys_answer_and_our_commit_is_settled_by_the_search(
        app, store, shopify_sandbox, tiktok_sandbox, shop_domain, monkeypatch):
    def crash(*args, **kwargs):
        raise ConnectionError("the worker died before committing")

    monkeypatch.setattr(creating, "adopt", crash)
    tiktok = tiktok_sandbox.sell(seller_sku(store), 1, on_hold=False)
    with pytest.raises(ConnectionError):
        settle(app, lambda: False, jobs=(TIKTOK_WEBHOOKS,))
    stuck = order_of(store, tiktok.id)
    assert stuck.state == states.CREATING and stuck.shopify_order_id is None
    assert len(_in_shopify(shopify_sandbox, shop_domain, tiktok.id)) == 1
    monkeypatch.undo()

    assert sync_order(stuck.id) == states.CREATED
    assert len(_in_shopify(shopify_sandbox, shop_domain, tiktok.id)) == 1
    assert "found" in " ".join(event.message or "" for event in order_of(store, tiktok.id).events)


def test_a_stalled_order_of_a_disconnected_shop_waits_for_its_reconnection(app, store, tiktok_sandbox):
    tiktok, order = _sold(app, store, tiktok_sandbox, 1, on_hold=False)
    order.state = states.CREATING  # left half way, as by a worker killed mid-attempt
    shop = db.session.get(Integration, store.tiktok_integration_id)
    shop.status = DISCONNECTED
    db.session.commit()
    redis = app.extensions["shopsync.redis"]

    resume_stalled_orders(older_than_seconds=0)
    assert not Job.exists(f"shopsync-order-{order.id}", connection=redis)

    shop.status = ACTIVE
    db.session.commit()
    resume_stalled_orders(older_than_seconds=0)
    assert Job.exists(f"shopsync-order-{order.id}", connection=redis)


def test_an_attempt_in_doubt_waits_for_shopifys_search_rather_than_create_twice(
        app, store, shopify_sandbox, tiktok_sandbox, shop_domain, monkeypatch):
    tiktok = tiktok_sandbox.sell(seller_sku(store), 1, on_hold=False)
    settle(app, lambda: (found := order_of(store, tiktok.id)) and found.state == states.CREATED)
    order = order_of(store, tiktok.id)
    # As if the answer was lost: ShopSync has the attempt on record, Shopify has the order, its search lags.
    order.state, order.shopify_order_id, order.attempt_started_at = states.CREATING, None, order.updated_at
    db.session.commit()
    monkeypatch.setitem(shopify_sandbox.settings, "shopify_order_index_lag", 3600)
    with pytest.raises(creating.AttemptInDoubt):
        sync_order(order.id)
    assert len(_in_shopify(shopify_sandbox, shop_domain, tiktok.id)) == 1
    monkeypatch.setitem(shopify_sandbox.settings, "shopify_order_index_lag", 0)
    assert sync_order(order.id) == states.CREATED
    assert len(_in_shopify(shopify_sandbox, shop_domain, tiktok.id)) == 1


def test_a_tiktok_cancellation_cancels_the_shopify_order_and_restocks_it_once(
        app, store, shopify_sandbox, tiktok_sandbox, shop_domain):
    link = store.links[0]
    before = _available(shopify_sandbox, shop_domain, link.variant_id)
    tiktok, order = _sold(app, store, tiktok_sandbox, 2, on_hold=False)
    with tiktok_sandbox.lock:
        buying.cancel(tiktok_sandbox, tiktok_sandbox.order(tiktok.id), role="SELLER")
    cancelled = settle(app, lambda: (found := order_of(store, tiktok.id)) and found.state == states.CANCELLED
                       and found, jobs=BOTH)
    assert cancelled.shopify_cancelled_at is not None
    [shopify_order] = _in_shopify(shopify_sandbox, shop_domain, tiktok.id)
    settle(app, lambda: _available(shopify_sandbox, shop_domain, link.variant_id) == before, jobs=BOTH)
    assert shopify_order.cancelled_at is not None
    sync_order(order.id)
    settle(app, lambda: shopify_sandbox.outbox.pending() == 0, jobs=BOTH)
    assert _available(shopify_sandbox, shop_domain, link.variant_id) == before  # restocked once
    steps = {(event.kind, event.after) for event in order_of(store, tiktok.id).events}
    assert ("shopify_cancelled", "cancelled") in steps and ("state", states.CANCELLED) in steps


def test_a_partial_cancellation_refunds_and_restocks_those_units(app, store, shopify_sandbox, tiktok_sandbox,
                                                                 shop_domain):
    link = store.links[0]
    before = _available(shopify_sandbox, shop_domain, link.variant_id)
    tiktok, order = _sold(app, store, tiktok_sandbox, 2, on_hold=False)
    with tiktok_sandbox.lock:
        first = tiktok_sandbox.order(tiktok.id).line_items[0].id
        buying.cancel(tiktok_sandbox, tiktok_sandbox.order(tiktok.id), role="SELLER", line_item_ids=[first])
    settle(app, lambda: order_of(store, tiktok.id).lines[0].restocked_quantity == 1, jobs=BOTH)
    settle(app, lambda: _available(shopify_sandbox, shop_domain, link.variant_id) == before - 1, jobs=BOTH)
    [shopify_order] = _in_shopify(shopify_sandbox, shop_domain, tiktok.id)
    assert len(shopify_order.refunds) == 1 and shopify_order.cancelled_at is None
    sync_order(order.id)
    assert len(_in_shopify(shopify_sandbox, shop_domain, tiktok.id)[0].refunds) == 1


def test_an_order_tiktok_holds_is_created_at_once_with_its_fulfilment_held_until_tiktok_releases_it(
        app, store, shopify_sandbox, tiktok_sandbox, shop_domain):
    tiktok = tiktok_sandbox.sell(seller_sku(store), 1, on_hold=True)
    held = settle(app, lambda: (found := order_of(store, tiktok.id)) and found.fulfilment_held and found, jobs=BOTH)
    assert held.state == states.CREATED and held.tiktok_status == "ON_HOLD"
    [shopify_order] = _in_shopify(shopify_sandbox, shop_domain, tiktok.id)
    assert all(fo.status == "ON_HOLD" for fo in shopify_order.fulfillment_orders)
    with tiktok_sandbox.lock:
        buying.release_hold(tiktok_sandbox, tiktok_sandbox.order(tiktok.id))
    settle(app, lambda: not order_of(store, tiktok.id).fulfilment_held, jobs=BOTH)
    assert all(fo.status == "OPEN" for fo in shopify_order.fulfillment_orders)
    assert shopify_order.shipping_address and shopify_order.shipping_address.get("address1")


def test_a_shop_set_to_wait_creates_the_order_only_when_the_hold_ends(app, store, shopify_sandbox, tiktok_sandbox,
                                                                      shop_domain):
    shop = db.session.get(Integration, store.tiktok_integration_id)
    shop.order_settings = {"create_mode": "after_hold"}
    db.session.commit()
    tiktok = tiktok_sandbox.sell(seller_sku(store), 1, on_hold=True)
    waiting = settle(app, lambda: (found := order_of(store, tiktok.id)) and found.state == states.WAITING_HOLD
                     and found)
    assert waiting.holds_units and not _in_shopify(shopify_sandbox, shop_domain, tiktok.id)
    with tiktok_sandbox.lock:
        buying.release_hold(tiktok_sandbox, tiktok_sandbox.order(tiktok.id))
    settle(app, lambda: order_of(store, tiktok.id).state == states.CREATED, jobs=BOTH)
    assert len(_in_shopify(shopify_sandbox, shop_domain, tiktok.id)) == 1


def _fulfil(shopify_sandbox, shop: str, shopify_order_id: int, quantity: int, company: str, number: str) -> None:
    """The merchant ships `quantity` units of the order's first line in Shopify."""
    with shopify_sandbox.lock:
        shopify_shop = shopify_sandbox.shop(shop)
        order = shopify_shop.orders[shopify_order_id]
        fo = next(fo for fo in order.fulfillment_orders if fo.status in ("OPEN", "IN_PROGRESS"))
        line = next(line for line in fo.lines if line.remaining)
        order_book.fulfil(shopify_sandbox, shopify_shop, order, [(fo, [(line, quantity)])],
                          {"company": company, "number": number})


def test_shopify_fulfilments_ship_the_tiktok_units_with_tracking_partial_shipments_included(
        app, store, shopify_sandbox, tiktok_sandbox, shop_domain):
    tiktok, order = _sold(app, store, tiktok_sandbox, 2, on_hold=False)
    _fulfil(shopify_sandbox, shop_domain, order.shopify_order_id, 1, "UPS", "1Z999AA10123456784")
    settle(app, lambda: len(tiktok_sandbox.order(tiktok.id).packages) == 1, jobs=BOTH)
    with tiktok_sandbox.lock:
        package = tiktok_sandbox.order(tiktok.id).packages[0]
        assert (package.tracking_number, package.shipping_provider_name) == ("1Z999AA10123456784", "UPS")
        assert len(package.line_item_ids) == 1 and tiktok_sandbox.order(tiktok.id).status == "PARTIALLY_SHIPPING"
    _fulfil(shopify_sandbox, shop_domain, order.shopify_order_id, 1, "UPS", "1Z999AA10123456785")
    settle(app, lambda: tiktok_sandbox.order(tiktok.id).status == "AWAITING_COLLECTION", jobs=BOTH)
    with tiktok_sandbox.lock:
        shipped = [unit for package in tiktok_sandbox.order(tiktok.id).packages for unit in package.line_item_ids]
    assert sorted(shipped) == sorted(order_of(store, tiktok.id).lines[0].tiktok_line_item_ids)
    assert db.session.execute(select(CarrierMapping.tiktok_provider_name).where(
        CarrierMapping.tiktok_integration_id == store.tiktok_integration_id)).scalars().all() == ["UPS"]


def test_an_unmapped_carrier_needs_attention_until_the_merchant_maps_it(
        app, client, store, shopify_sandbox, tiktok_sandbox, shop_domain):
    tiktok, order = _sold(app, store, tiktok_sandbox, 1, on_hold=False)
    _fulfil(shopify_sandbox, shop_domain, order.shopify_order_id, 1, "Acme Freight", "AC123456")
    stuck = settle(app, lambda: (found := order_of(store, tiktok.id)).problem and found, jobs=BOTH)
    assert "Acme Freight" in stuck.problem and stuck.shipments[0].state == states.SHIPMENT_ATTENTION
    page = client.get(f"/orders/{stuck.id}").get_data(as_text=True)
    assert "Needs attention" in page and "Map it in the shop" in page
    db.session.add(CarrierMapping(tenant_id=store.tenant_id, tiktok_integration_id=store.tiktok_integration_id,
                                  shopify_carrier="acmefreight", tiktok_provider_id="7212608507307099950",
                                  tiktok_provider_name="OnTrac"))
    db.session.commit()
    sync_order(stuck.id)
    assert order_of(store, tiktok.id).shipments[0].state == states.SHIPMENT_SHIPPED
    assert order_of(store, tiktok.id).problem is None
    with tiktok_sandbox.lock:
        assert tiktok_sandbox.order(tiktok.id).packages[0].tracking_number == "AC123456"


def test_an_order_tiktok_fulfils_arrives_fulfilled_holding_nothing(app, store, shopify_sandbox, tiktok_sandbox,
                                                                    shop_domain):
    link = store.links[0]
    before = _available(shopify_sandbox, shop_domain, link.variant_id)
    tiktok = tiktok_sandbox.sell(seller_sku(store), 1, on_hold=False, fulfilled_by_tiktok=True)
    order = settle(app, lambda: (found := order_of(store, tiktok.id)) and found.state == states.CREATED and found,
                   jobs=BOTH)
    assert order.is_fulfilled_by_tiktok and not order.holds_units
    [shopify_order] = _in_shopify(shopify_sandbox, shop_domain, tiktok.id)
    assert shopify_order.display_fulfillment_status == "FULFILLED"
    assert _available(shopify_sandbox, shop_domain, link.variant_id) == before


def test_a_completed_return_restocks_when_the_shop_says_so(app, store, shopify_sandbox, tiktok_sandbox, shop_domain):
    shop = db.session.get(Integration, store.tiktok_integration_id)
    shop.order_settings = {"return_policy": "restock"}
    db.session.commit()
    link = store.links[0]
    before = _available(shopify_sandbox, shop_domain, link.variant_id)
    tiktok, order = _sold(app, store, tiktok_sandbox, 1, on_hold=False)
    _fulfil(shopify_sandbox, shop_domain, order.shopify_order_id, 1, "UPS", "1Z999AA10123456784")
    settle(app, lambda: tiktok_sandbox.order(tiktok.id).status == "AWAITING_COLLECTION", jobs=BOTH)
    with tiktok_sandbox.lock:
        buying.return_items(tiktok_sandbox, tiktok_sandbox.order(tiktok.id))
    settle(app, lambda: order_of(store, tiktok.id).lines[0].returned_quantity == 1, jobs=BOTH)
    settle(app, lambda: _available(shopify_sandbox, shop_domain, link.variant_id) == before, jobs=BOTH)
    assert len(_in_shopify(shopify_sandbox, shop_domain, tiktok.id)[0].refunds) == 1



def test_an_order_shopify_refuses_needs_attention_and_alerts_the_merchant(
        app, client, store, shopify_sandbox, tiktok_sandbox, shop_domain):
    link = store.links[0]
    shopify_sandbox.set_webhook_delivery(paused=True)  # the product goes before ShopSync hears of it
    try:
        shopify_sandbox.delete_product(shop_domain, shopify_sandbox.shop(shop_domain).variant(link.variant_id)[0].id)
        tiktok = tiktok_sandbox.sell(seller_sku(store), 1, on_hold=False)
        failed = settle(app, lambda: (found := order_of(store, tiktok.id)) and found.state == states.FAILED
                        and found)
    finally:
        shopify_sandbox.set_webhook_delivery(paused=False)
    assert "Variant does not exist" in failed.problem and failed.holds_units and failed.held_units == 1
    alert = db.session.execute(select(Alert).where(Alert.tenant_id == store.tenant_id,
                                                   Alert.kind == "order_failed")).scalar_one()
    assert tiktok.id in alert.summary and alert.details["fix_path"] == f"/orders/{failed.id}"
    assert not _in_shopify(shopify_sandbox, shop_domain, tiktok.id)
    page = client.get(f"/orders/{failed.id}").get_data(as_text=True)
    assert "Shopify refused the order" in page and "press Retry" in page


def test_the_poll_and_an_import_since_a_day_catch_orders_whose_webhooks_were_lost(
        app, store, shopify_sandbox, tiktok_sandbox, shop_domain):
    tiktok_sandbox.events.outbox.set_controls(drop=10)
    lost = tiktok_sandbox.sell(seller_sku(store), 1, on_hold=False)
    assert tiktok_sandbox.events.outbox.wait_until_drained()
    assert order_of(store, lost.id) is None
    poll_orders(store.tiktok_integration_id)
    assert order_of(store, lost.id).state == states.CREATED
    assert len(_in_shopify(shopify_sandbox, shop_domain, lost.id)) == 1

    also_lost = tiktok_sandbox.sell(seller_sku(store, 1), 1, on_hold=False)
    assert tiktok_sandbox.events.outbox.wait_until_drained()
    run_id = queue_order_import(db.session.get(Integration, store.tiktok_integration_id),
                                datetime.now(timezone.utc) - timedelta(days=1))
    assert run_jobs(app, "shopsync.jobs.orders.import_orders_since") == 1
    assert order_of(store, also_lost.id).state == states.CREATED
    run = db.session.get(SyncRun, run_id)
    assert run.status == "succeeded" and run.total == 2 and run.done == 2
    assert len(_in_shopify(shopify_sandbox, shop_domain, lost.id)) == 1  # imported again: not created twice
