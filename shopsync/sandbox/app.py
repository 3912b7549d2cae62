"""The sandbox: simulators of Shopify and TikTok Shop in one Flask app.

Tests run it on its own server thread; the embedded default mounts it into the
main app under /sandbox so one process on http://127.0.0.1:5000 is enough.
"""
from __future__ import annotations

import re

from flask import Flask
from werkzeug.middleware.dispatcher import DispatcherMiddleware

from ..config import SANDBOX_CREDENTIALS, check_sandbox
from ..sync.connections.webhook_subscriptions import WEBHOOK_PATH
from .shopify import ShopifySandbox
from .shopify import create_blueprint as shopify_blueprint
from .tiktok import TikTokSandbox
from .tiktok import create_blueprint as tiktok_blueprint


def settings_from_app_config(config) -> dict:
    """The sandbox's settings for this app: its addresses, and the sandbox's own credentials, never the
    configured ones (with the sandbox on, config.load makes the app use these too)."""
    public_url = config["PUBLIC_URL"]
    return {
        "shopify_api_key": SANDBOX_CREDENTIALS["SHOPIFY_API_KEY"],
        "shopify_api_secret": SANDBOX_CREDENTIALS["SHOPIFY_API_SECRET"],
        "shopify_redirect_uris": [public_url + "/auth/shopify/callback"],
        # The only address the sandbox's compliance-webhook control sends to.
        "shopify_compliance_uri": public_url + WEBHOOK_PATH,
        "tiktok_app_key": SANDBOX_CREDENTIALS["TIKTOK_APP_KEY"],
        "tiktok_app_secret": SANDBOX_CREDENTIALS["TIKTOK_APP_SECRET"],
        "tiktok_service_id": SANDBOX_CREDENTIALS["TIKTOK_SERVICE_ID"],
        "tiktok_redirect_uri": public_url + "/tiktok/callback",
    }


# Open API paths carry a version segment (/order/202309/...): no page of ShopSync or the sandbox does.
_OPEN_API_PATH = re.compile(r"/(authorization|seller|product|order|fulfillment|logistics|event|return_refund)"
                            r"/\d{6}/")


class OpenApiAtRoot:
    """Answers TikTok Open API paths at the root of the host, as open-api.tiktokglobalshop.com does, so
    a third-party TikTok client that signs the whole path it requests (and decides on shop_cipher by it)
    can be pointed at the host itself; everything else goes to `app` unchanged."""

    def __init__(self, app, api_prefix: str):
        self.app, self.api_prefix = app, api_prefix

    def __call__(self, environ, start_response):
        path = environ.get("PATH_INFO", "")
        if _OPEN_API_PATH.match(path):
            environ = dict(environ, PATH_INFO=self.api_prefix + path)
        return self.app(environ, start_response)


def create_sandbox_app(settings: dict) -> Flask:
    app = Flask("shopsync.sandbox")
    app.config["MAX_CONTENT_LENGTH"] = 10 * 1024 * 1024
    shopify = ShopifySandbox(settings)
    tiktok = TikTokSandbox(settings)
    app.extensions["shopify_sandbox"] = shopify
    app.extensions["tiktok_sandbox"] = tiktok
    app.register_blueprint(shopify_blueprint(shopify), url_prefix="/shopify")
    app.register_blueprint(tiktok_blueprint(tiktok), url_prefix="/tiktok")
    app.wsgi_app = OpenApiAtRoot(app.wsgi_app, "/tiktok/api")
    return app


def mount_sandbox(app: Flask) -> Flask:
    check_sandbox(app.config["SHOPSYNC_ENV"] == "production", True)
    sandbox = create_sandbox_app(settings_from_app_config(app.config))
    app.extensions["sandbox_app"] = sandbox
    app.wsgi_app = OpenApiAtRoot(DispatcherMiddleware(app.wsgi_app, {"/sandbox": sandbox.wsgi_app}),
                                 "/sandbox/tiktok/api")
    return sandbox
