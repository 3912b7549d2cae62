"""The Orders pages, a TikTok shop's order settings and carriers, and the orders API."""
from __future__ import annotations

import re

import pytest
from sqlalchemy import update

from shopsync.extensions import db
from shopsync.models import CarrierMapping, Integration, Order, OrderEvent, OrderLine, Shipment, utcnow
from tests.support.api import bearer, create_api_key
from tests.support.journeys import install_shop
from tests.support.live import Poller, self_polling, watched


@pytest.fixture(autouse=True)
def _shops_without_tokens_left_disconnected(app_context):
    """These shops have no tokens: left connected, their unfinished orders would be taken up by the
    stalled-order sweep of later tests on this database, and fail there."""
    yield
    db.session.rollback()
    db.session.execute(update(Integration).where(Integration.platform == "tiktok", Integration.external_id.like("tt-%"))
                       .values(status="disconnected"))
    db.session.commit()


@pytest.fixture
def shop(app, client, app_context, shop_domain):
    tenant_id = install_shop(client, shop_domain)
    tiktok = Integration(tenant_id=tenant_id, platform="tiktok", external_id=f"tt-{shop_domain}", name="My TikTok",
                         currency="USD")
    db.session.add(tiktok)
    db.session.flush()
    orders = []
    for number, (state, problem) in enumerate((("created", None), ("failed", "Shopify refused the order: gone"),
                                               ("cancelled", None))):
        order = Order(tenant_id=tenant_id, tiktok_integration_id=tiktok.id, tiktok_order_id=f"5764{number}",
                      tiktok_status="AWAITING_SHIPMENT", state=state, problem=problem,
                      shopify_order_name=f"#100{number}" if state == "created" else None,
                      released_at=utcnow() if state == "created" else None,
                      lines=[OrderLine(tenant_id=tenant_id, tiktok_sku_id="1731", seller_sku="TEE-M", title="Tee",
                                       quantity=2, link_id=None, tiktok_line_item_ids=["1", "2"],
                                       cancelled_line_item_ids=[])])
        db.session.add(order)
        orders.append(order)
    db.session.flush()
    db.session.add(OrderEvent(tenant_id=tenant_id, order_id=orders[1].id, kind="create_failed",
                              message="Shopify refused the order: gone"))
    db.session.commit()
    return tiktok, orders


def _csrf(page: str) -> str:
    return re.search(r'name="csrf_token" value="([^"]+)"', page).group(1)


def test_the_orders_list_filters_and_the_order_page_shows_the_next_step(client, shop):
    tiktok, (created, failed, cancelled) = shop
    page = client.get("/orders").get_data(as_text=True)
    assert all(order.tiktok_order_id in page for order in (created, failed, cancelled))
    attention = client.get("/orders?view=attention").get_data(as_text=True)
    assert failed.tiktok_order_id in attention and created.tiktok_order_id not in attention
    assert created.tiktok_order_id in client.get("/orders?q=#1000".replace("#", "%23")).get_data(as_text=True)
    detail = client.get(f"/orders/{failed.id}").get_data(as_text=True)
    assert "Shopify refused the order: gone" in detail and "create failed" in detail
    retry = client.post(f"/orders/{failed.id}/retry", data={"csrf_token": _csrf(detail)})
    assert retry.status_code == 302
    assert client.post(f"/orders/{failed.id}/retry").status_code == 400  # no CSRF token
    assert "need attention" in client.get("/").get_data(as_text=True)


def _order(tenant_id: int, tiktok: Integration, number: str, state: str = "pending") -> Order:
    order = Order(tenant_id=tenant_id, tiktok_integration_id=tiktok.id, tiktok_order_id=number,
                  tiktok_status="AWAITING_SHIPMENT", state=state,
                  lines=[OrderLine(tenant_id=tenant_id, tiktok_sku_id="1731", seller_sku="TEE-M", title="Tee",
                                   quantity=1, link_id=None, tiktok_line_item_ids=["1"], cancelled_line_item_ids=[])])
    db.session.add(order)
    db.session.commit()
    return order


def test_the_orders_list_is_live_through_the_one_poll(client, shop):
    tiktok, (created, failed, cancelled) = shop
    page = client.get("/orders").get_data(as_text=True)
    assert self_polling(page) == 1  # the page's one live poll, nothing of its own
    assert watched(page) == [f"orders:{cancelled.id},{failed.id},{created.id}", f"new_orders:{cancelled.id}"]
    poller = Poller(client, page)
    first = poller.poll().get_data(as_text=True)
    assert f'<tr id="order-{failed.id}"' in first and 'hx-swap-oob="true"' in first
    assert 'hx-trigger="every 10s' in first  # nothing on its way: the page polls slowly
    assert poller.poll().status_code == 204  # nothing changed, nothing sent

    failed.state, failed.problem = "pending", None  # retried: on its way into Shopify again
    db.session.commit()
    changed = poller.poll().get_data(as_text=True)
    assert f'<tr id="order-{failed.id}"' in changed and "Creating in Shopify" in changed
    assert f'id="order-{created.id}"' not in changed  # unchanged rows cost nothing
    assert 'hx-trigger="every 2s' in changed  # something on its way: fast

    arrived = _order(tiktok.tenant_id, tiktok, "57649")
    news = poller.poll().get_data(as_text=True)
    assert 'hx-swap-oob="afterbegin:#order-rows"' in news and f'<tr id="order-{arrived.id}"' in news
    assert f'id="orders-newest" data-live="new_orders" data-live-id="{arrived.id}"' in news
    assert "afterbegin" not in client.get(f"/live?w=new_orders:{arrived.id}").get_data(as_text=True)


def test_filtered_and_older_pages_watch_their_rows_only(client, shop):
    tiktok, (created, failed, cancelled) = shop
    for path in ("/orders?view=attention", f"/orders?before={cancelled.id}"):
        page = client.get(path).get_data(as_text=True)
        assert self_polling(page) == 1 and "new_orders" not in page, path
    assert watched(client.get("/orders?view=attention").get_data(as_text=True)) == [f"orders:{failed.id}"]


def test_an_empty_orders_page_shows_the_first_order_arriving(client, shop_domain, app_context):
    tenant_id = install_shop(client, shop_domain)
    tiktok = Integration(tenant_id=tenant_id, platform="tiktok", external_id=f"tt-{shop_domain}", name="Mine")
    db.session.add(tiktok)
    db.session.commit()
    page = client.get("/orders").get_data(as_text=True)
    assert 'id="orders-none"' in page and watched(page) == ["new_orders:0"]
    poller = Poller(client, page)
    assert "order-rows" not in poller.poll().get_data(as_text=True)
    first = _order(tenant_id, tiktok, "1")
    arrived = poller.poll().get_data(as_text=True)
    assert f'<tr id="order-{first.id}"' in arrived and '<tr id="orders-none" hx-swap-oob="delete">' in arrived


def test_the_order_page_is_live_through_the_one_poll(client, shop):
    tiktok, (created, failed, cancelled) = shop
    page = client.get(f"/orders/{created.id}").get_data(as_text=True)
    assert self_polling(page) == 1 and watched(page) == [f"order:{created.id}"]
    poller = Poller(client, page)
    first = poller.poll().get_data(as_text=True)
    assert 'id="order-status"' in first and 'id="order-events"' in first and "every 10s" in first
    assert poller.poll().status_code == 204
    db.session.add(Shipment(tenant_id=created.tenant_id, order_id=created.id, shopify_fulfillment_id=77,
                            carrier="UPS", tracking_number="1Z999", state="pending"))
    db.session.add(OrderEvent(tenant_id=created.tenant_id, order_id=created.id, kind="shipped",
                              before="1 unit(s) to ship", after="shipped: UPS 1Z999"))
    db.session.commit()
    shipping = poller.poll().get_data(as_text=True)
    assert 'data-shipment-state="pending"' in shipping and "shipped: UPS 1Z999" in shipping
    assert "every 2s" in shipping  # the tracking number is on its way to TikTok


def test_order_settings_are_saved_checked_and_carriers_mapped(client, shop):
    tiktok, _ = shop
    page = client.get(f"/integrations/{tiktok.id}/orders")
    assert page.status_code == 200
    token = _csrf(page.get_data(as_text=True))
    refused = client.post(f"/integrations/{tiktok.id}/orders", data={
        "csrf_token": token, "create_mode": "someday", "tag": "a,b", "return_policy": "restock"})
    assert refused.status_code == 422 and "choose one of" in refused.get_data(as_text=True)
    saved = client.post(f"/integrations/{tiktok.id}/orders", data={
        "csrf_token": token, "import_orders": "yes", "create_mode": "after_hold", "tag": "From TikTok",
        "return_policy": "restock", "location_id": ""})
    assert saved.status_code == 302
    db.session.refresh(tiktok)
    assert tiktok.order_settings == {"import_orders": True, "create_mode": "after_hold", "location_id": None,
                                     "tag": "From TikTok", "return_policy": "restock"}
    foreign_location = client.post(f"/integrations/{tiktok.id}/orders", data={
        "csrf_token": token, "create_mode": "at_once", "return_policy": "restock", "location_id": "999999"})
    assert foreign_location.status_code == 422
    mapped = client.post(f"/integrations/{tiktok.id}/carriers", data={
        "csrf_token": token, "shopify_carrier": "Royal Mail", "tiktok_provider_id": "7208502187360519982",
        "tiktok_provider_name": "Royal Mail"})
    assert mapped.status_code == 302
    mapping = db.session.query(CarrierMapping).filter_by(tiktok_integration_id=tiktok.id).one()
    assert (mapping.shopify_carrier, mapping.tiktok_provider_id) == ("royalmail", "7208502187360519982")
    assert client.post(f"/integrations/{tiktok.id}/carriers", data={
        "csrf_token": token, "shopify_carrier": "DHL", "tiktok_provider_id": "not digits"}).status_code == 302
    assert db.session.query(CarrierMapping).filter_by(tiktok_integration_id=tiktok.id).count() == 1
    assert client.post(f"/integrations/{tiktok.id}/carriers/{mapping.id}/delete",
                       data={"csrf_token": token}).status_code == 302
    assert db.session.query(CarrierMapping).filter_by(tiktok_integration_id=tiktok.id).count() == 0
    too_old = client.post(f"/integrations/{tiktok.id}/orders/import", data={"csrf_token": token,
                                                                           "since": "2020-01-01"})
    assert "within the last 90 days" in client.get(too_old.headers["Location"]).get_data(as_text=True)


def test_the_orders_api_lists_shows_and_retries(app, client, shop):
    tiktok, (created, failed, cancelled) = shop
    headers = bearer(create_api_key(app, tiktok.tenant_id))
    listed = client.get("/api/orders?limit=2", headers=headers).get_json()
    assert [item["tiktok_order_id"] for item in listed["items"]] == [cancelled.tiktok_order_id, failed.tiktok_order_id]
    assert listed["next_cursor"]
    attention = client.get("/api/orders?view=attention", headers=headers).get_json()["items"]
    assert [item["id"] for item in attention] == [failed.id]
    one = client.get(f"/api/orders/{failed.id}", headers=headers).get_json()
    assert one["problem"].startswith("Shopify refused") and one["events"][0]["kind"] == "create_failed"
    assert one["lines"][0]["quantity"] == 2 and one["held_units"] == 0
    assert client.post(f"/api/orders/{failed.id}/retry", headers=headers).status_code == 202
    assert client.get("/api/orders?view=nonsense", headers=headers).status_code == 422
    assert "/api/orders/{order_id}/retry" in client.get("/api/openapi.json").get_json()["paths"]
