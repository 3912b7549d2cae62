"""The sandbox as a third-party TikTok client sees it: the Open API at the host root (whole-path signatures,
shop_cipher decided by path), repeated `ids`, and the newest Mark Package As Shipped body."""
import pytest
import requests
from flask import Flask

from shopsync.sandbox.app import OpenApiAtRoot
from shopsync.sandbox.tiktok import create_blueprint
from tests.support.servers import LiveServer
from tests.support.tiktok import running, running_sandbox, token  # noqa: F401 - fixtures
from tests.support.tiktok_calls import call

SKU = "TT-ONLY-STICKERS"
UPS = "7117859084333745966"


@pytest.fixture(scope="module")
def server():
    with running_sandbox(tiktok_on_hold_seconds=3600) as running:
        yield running


@pytest.fixture
def at_root(running):
    """The same sandbox also answering at the root of another server, as the real API host does."""
    app = Flask("tiktok-at-root")
    app.register_blueprint(create_blueprint(running.sandbox), url_prefix="/tiktok")
    app.wsgi_app = OpenApiAtRoot(app.wsgi_app, "/tiktok/api")
    live = LiveServer().start(app)
    yield live.url
    live.stop()


def test_open_api_paths_answer_at_the_host_root_and_other_paths_do_not(running, token, at_root):
    order = running.sandbox.sell(SKU)
    status, envelope = call(running, token, "GET", "/order/202507/orders", query={"ids": order.id}, base_url=at_root)
    assert envelope["code"] == 0 and envelope["data"]["orders"][0]["id"] == order.id
    status, envelope = call(running, token, "GET", "/authorization/202309/shops", shop_index=None, base_url=at_root)
    assert envelope["code"] == 0 and len(envelope["data"]["shops"]) == 2
    assert requests.get(f"{at_root}/order/orders", timeout=5).status_code == 404  # no version: not the Open API


def test_repeated_ids_are_read_as_one_list_and_signed_as_sent(running, token):
    first, second = running.sandbox.sell(SKU), running.sandbox.sell(SKU)
    status, envelope = call(running, token, "GET", "/order/202507/orders",
                            query=[("ids", first.id), ("ids", second.id)])
    assert envelope["code"] == 0 and [o["id"] for o in envelope["data"]["orders"]] == [first.id, second.id]


def test_mark_package_as_shipped_202610_takes_the_new_lists(running, token):
    order = running.sandbox.sell(SKU, 2, on_hold=False)
    path = f"/fulfillment/202610/orders/{order.id}/packages"
    body = {"order_line_list": [{"order_line_id": order.line_items[0].id}],
            "shipping_info_list": [{"tracking_number": "1Z999AA10123456784", "shipping_provider_id": UPS}]}
    status, envelope = call(running, token, "POST", path, body)
    assert envelope["code"] == 0 and envelope["data"]["order_line_item_ids"] == [order.line_items[0].id]
    assert order.status == "PARTIALLY_SHIPPING"
    two_numbers = dict(body, shipping_info_list=body["shipping_info_list"] * 2)
    assert call(running, token, "POST", path, two_numbers)[1]["code"] == 36009004
    package = order.packages[0].id
    fix = {"shipping_info_list": [{"tracking_number": "1Z999AA10123456799", "shipping_provider_id": UPS}]}
    assert call(running, token, "POST", f"/fulfillment/202610/packages/{package}/shipping_info/update", fix)[1][
        "code"] == 0
    assert order.packages[0].tracking_number == "1Z999AA10123456799"
