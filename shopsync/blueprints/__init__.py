"""One blueprint per area of the merchant's app."""
from __future__ import annotations

from flask import Flask

NAV_ITEMS = [
    ("dashboard.index", "Dashboard"),
    ("integrations.index", "Integrations"),
    ("products.index", "Products"),
    ("links.index", "Links"),
    ("orders.index", "Orders"),
    ("logs.index", "Sync logs"),
    ("settings.index", "Settings"),
]


def register_blueprints(app: Flask) -> None:
    from . import (auth, dashboard, integrations, link_setup, links, logs, orders, products, settings, shopify, tiktok,
                   tiktok_webhooks)

    for module in (auth, dashboard, integrations, tiktok, products, shopify, links, link_setup, logs, settings,
                   tiktok_webhooks, orders):
        app.register_blueprint(module.bp)

    from ..api import init_api
    init_api(app)

    @app.context_processor
    def navigation():
        return {"nav_items": [(endpoint, label) for endpoint, label in NAV_ITEMS if endpoint in app.view_functions]}
