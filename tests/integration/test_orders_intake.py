"""TikTok order webhooks reach ShopSync signed, recorded once and applied; an order's units are held until
Shopify has it; orders without a linked SKU are recorded and skipped."""
from __future__ import annotations

import json
import re

from sqlalchemy import delete, func, select

from shopsync.extensions import db
from shopsync.models import Integration, Order, ProductLink, WebhookEvent
from shopsync.models import orders as states
from shopsync.platforms.tiktok.webhooks import webhook_signature
from shopsync.sync.pushes.planner import plan_links
from shopsync.sync.orders.permissions import missing_order_scopes
from tests.support.journeys import app_path, approve_shopify_grant
from tests.support.shopify_import import run_jobs
from tests.support.orders import order_of, seller_sku, settle, shopify_orders, store_taking_orders
from tests.support.shopify_sandbox import SCOPES as CATALOG_SCOPES


def _events(shop_id: str) -> int:
    return db.session.execute(select(func.count(WebhookEvent.id)).where(
        WebhookEvent.platform == "tiktok", WebhookEvent.shop == shop_id)).scalar_one()


def test_a_delivery_sent_three_times_is_recorded_once(client, app, app_context, shopify_sandbox, tiktok_sandbox,
                                                       shop_domain):
    store = store_taking_orders(client, app, shopify_sandbox, tiktok_sandbox, shop_domain)
    tiktok_sandbox.events.outbox.set_controls(copies=3)
    order = tiktok_sandbox.sell(seller_sku(store), 1, on_hold=False)
    assert tiktok_sandbox.events.outbox.wait_until_drained()
    delivered = [a for a in tiktok_sandbox.events.outbox.attempts_for(store.tiktok_shop_id)
                 if a["outcome"] == "delivered"]
    notifications = {a["event_id"] for a in delivered}
    assert len(delivered) == 3 * len(notifications)
    settle(app, lambda: (found := order_of(store, order.id)) and found.tiktok_status == "AWAITING_SHIPMENT")
    assert _events(store.tiktok_shop_id) == len(notifications)


def test_a_delivery_with_a_bad_signature_is_refused_and_not_recorded(client, app, app_context):
    body = json.dumps({"type": 1, "tts_notification_id": "forged-1", "shop_id": "1", "timestamp": 1,
                       "data": {"order_id": "1"}}).encode()
    forged = webhook_signature(body, app.config["TIKTOK_APP_KEY"], "not-the-secret")
    answer = client.post("/webhooks/tiktok", data=body, headers={"Authorization": forged,
                                                                 "Content-Type": "application/json"})
    assert answer.status_code == 401
    good = webhook_signature(body, app.config["TIKTOK_APP_KEY"], app.config["TIKTOK_APP_SECRET"])
    assert client.post("/webhooks/tiktok", data=b"{}", headers={
        "Authorization": webhook_signature(b"{}", app.config["TIKTOK_APP_KEY"], app.config["TIKTOK_APP_SECRET"])
    }).status_code == 400
    assert db.session.execute(select(func.count(WebhookEvent.id)).where(
        WebhookEvent.delivery_id == "1:forged-1")).scalar_one() == 0
    for _ in range(2):
        assert client.post("/webhooks/tiktok", data=body, headers={"Authorization": good}).status_code == 200
    assert db.session.execute(select(func.count(WebhookEvent.id)).where(
        WebhookEvent.delivery_id == "1:forged-1")).scalar_one() == 1


def test_units_stay_held_while_the_store_has_not_approved_order_permissions(client, app, app_context,
                                                                           shopify_sandbox, tiktok_sandbox,
                                                                           shop_domain):
    store = store_taking_orders(client, app, shopify_sandbox, tiktok_sandbox, shop_domain)
    shopify = db.session.get(Integration, store.shopify_integration_id)
    shopify.scopes = CATALOG_SCOPES  # installed before orders existed
    db.session.commit()
    shopify_sandbox.narrow_grant(shop_domain, CATALOG_SCOPES)
    link = store.links[0]
    before = plan_links(store.tenant_id, [link.link_id], reference="tiktok")
    assert not before.changes  # TikTok shows what Shopify has

    order = tiktok_sandbox.sell(seller_sku(store), 2, on_hold=False)
    recorded = settle(app, lambda: db.session.execute(select(Order).where(
        Order.tiktok_order_id == str(order.id), Order.state == states.PENDING)).scalar_one_or_none())
    assert "approval" in recorded.problem and recorded.shopify_order_id is None
    assert [(line.quantity, line.link_id) for line in recorded.lines] == [(2, link.link_id)]
    shopify_available = db.session.get(ProductLink, link.link_id).last_pushed_quantity
    plan = plan_links(store.tenant_id, [link.link_id])
    assert [change.quantity_after for change in plan.changes] == [shopify_available - 2]
    assert not shopify_orders(shopify_sandbox, shop_domain)
    page = client.get("/orders").get_data(as_text=True)
    assert str(order.id) in page and "Approve order permissions" in page


def test_an_order_with_no_linked_sku_is_recorded_shown_and_skipped(client, app, app_context, shopify_sandbox,
                                                                  tiktok_sandbox, shop_domain):
    store = store_taking_orders(client, app, shopify_sandbox, tiktok_sandbox, shop_domain)
    sku = seller_sku(store, 1)
    db.session.execute(delete(ProductLink).where(ProductLink.id == store.links[1].link_id))
    db.session.commit()
    order = tiktok_sandbox.sell(sku, 1, on_hold=False)
    skipped = settle(app, lambda: db.session.execute(select(Order).where(
        Order.tiktok_order_id == str(order.id), Order.state == states.SKIPPED)).scalar_one_or_none())
    assert skipped.lines[0].link_id is None and not skipped.holds_units
    assert "not linked" in skipped.problem or "linked" in skipped.problem
    assert not shopify_orders(shopify_sandbox, shop_domain)
    assert "Link its TikTok SKUs" in client.get(f"/orders/{skipped.id}").get_data(as_text=True)


def test_approving_the_order_permissions_from_the_banner_creates_the_waiting_order(
        client, app, app_context, shopify_sandbox, tiktok_sandbox, shop_domain):
    store = store_taking_orders(client, app, shopify_sandbox, tiktok_sandbox, shop_domain)
    shopify = db.session.get(Integration, store.shopify_integration_id)
    shopify.scopes = CATALOG_SCOPES
    db.session.commit()
    shopify_sandbox.narrow_grant(shop_domain, CATALOG_SCOPES)
    order = tiktok_sandbox.sell(seller_sku(store), 1, on_hold=False)
    settle(app, lambda: (found := order_of(store, order.id)) and found.state == states.PENDING)

    page = client.get("/orders")
    approve = client.post("/orders/permissions", data={"csrf_token": _csrf(page.get_data(as_text=True))})
    assert approve.status_code == 302 and "/admin/oauth/authorize" in approve.headers["Location"]
    assert "write_orders" in approve.headers["Location"]
    location = approve.headers["Location"]
    while "/admin/oauth/authorize" in location:
        answer = client.get(app_path(approve_shopify_grant(location)))
        assert answer.status_code == 302, answer.get_data(as_text=True)
        location = answer.headers["Location"]
    db.session.refresh(shopify)
    assert not missing_order_scopes(shopify)
    run_jobs(app, "shopsync.jobs.installs.after_install", arg=shopify.id)
    run_jobs(app, "shopsync.jobs.orders.sync_order")
    created = order_of(store, order.id)
    assert created.state == states.CREATED and created.problem is None
    assert len([o for o in shopify_orders(shopify_sandbox, shop_domain) if o.source_identifier == str(order.id)]) == 1
    with shopify_sandbox.lock:
        topics = {s.topic for s in shopify_sandbox.shop(shop_domain).subscriptions.values()}
    assert {"FULFILLMENTS_CREATE", "FULFILLMENTS_UPDATE"} <= topics
    assert "Approve order permissions" not in client.get("/orders").get_data(as_text=True)


def _csrf(page: str) -> str:
    return re.search(r'name="csrf_token" value="([^"]+)"', page).group(1)
