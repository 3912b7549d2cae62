"""Fixtures: the Shopify sandbox blueprint on a real werkzeug server thread, and a tiny webhook receiver."""
from __future__ import annotations

import threading
from dataclasses import dataclass, field
from urllib.parse import parse_qsl, urlsplit

import pytest
import requests
from flask import Flask, request
from werkzeug.serving import make_server

from shopsync.sandbox.shopify import ShopifySandbox, create_blueprint

API_KEY = "test-shopify-key"
API_SECRET = "test-shopify-secret"
REDIRECT_URI = "http://127.0.0.1:9/shopify/callback"
SHOP = "demo-store.myshopify.com"
VERSION = "2026-10"
SCOPES = "read_products,read_inventory,read_locations"


class ServerThread:
    def __init__(self, app: Flask):
        self.server = make_server("127.0.0.1", 0, app, threaded=True)
        self.url = f"http://127.0.0.1:{self.server.server_port}"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def __enter__(self):
        self.thread.start()
        return self

    def __exit__(self, *exc):
        self.server.shutdown()
        self.thread.join(5)


@dataclass
class RunningSandbox:
    sandbox: ShopifySandbox
    url: str  # ends in /shopify

    def shop_url(self, shop: str = SHOP) -> str:
        return f"{self.url}/{shop}"

    def graphql_url(self, shop: str = SHOP) -> str:
        return f"{self.shop_url(shop)}/admin/api/{VERSION}/graphql.json"

    def install(self, shop: str = SHOP, *, expiring: bool = False, scope: str = SCOPES) -> dict:
        """Full OAuth round trip through the grant page; returns the token response."""
        session = requests.Session()
        params = {"client_id": API_KEY, "scope": scope, "redirect_uri": REDIRECT_URI, "state": "nonce-1"}
        page = session.get(f"{self.shop_url(shop)}/admin/oauth/authorize", params=params)
        assert page.status_code == 200, page.text
        answer = session.post(f"{self.shop_url(shop)}/admin/oauth/authorize",
                              data={**params, "decision": "install"}, allow_redirects=False)
        callback = dict(parse_qsl(urlsplit(answer.headers["Location"]).query))
        token = session.post(f"{self.shop_url(shop)}/admin/oauth/access_token",
                             json={"client_id": API_KEY, "client_secret": API_SECRET, "code": callback["code"],
                                   **({"expiring": 1} if expiring else {})})
        assert token.status_code == 200, token.text
        return token.json()

    def graphql(self, token: str, query: str, variables: dict | None = None, shop: str = SHOP) -> requests.Response:
        return requests.post(self.graphql_url(shop), json={"query": query, "variables": variables or {}},
                             headers={"X-Shopify-Access-Token": token}, timeout=30)


@pytest.fixture
def shopify_sandbox():
    sandbox = ShopifySandbox({"shopify_api_key": API_KEY, "shopify_api_secret": API_SECRET,
                              "shopify_redirect_uris": [REDIRECT_URI],
                              "shopify_webhook_retry_delays": (0.02, 0.02, 0.02)})
    app = Flask(__name__)
    app.register_blueprint(create_blueprint(sandbox), url_prefix="/shopify")
    with ServerThread(app) as server:
        yield RunningSandbox(sandbox, server.url + "/shopify")


@dataclass
class Receiver:
    url: str
    deliveries: list = field(default_factory=list)
    fail_first: int = 0  # answer 500 to this many deliveries first


@pytest.fixture
def webhook_receiver():
    app = Flask("receiver")
    receiver = Receiver(url="")

    @app.post("/webhooks")
    def receive():
        receiver.deliveries.append({"headers": dict(request.headers), "body": request.get_data()})
        if receiver.fail_first > 0:
            receiver.fail_first -= 1
            return "nope", 500
        return "", 200

    with ServerThread(app) as server:
        receiver.url = server.url + "/webhooks"
        yield receiver
