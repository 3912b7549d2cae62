"""One blueprint per area of the merchant's app."""
from __future__ import annotations

from flask import Flask

NAV_ITEMS = [
    ("dashboard.index", "Dashboard"),
    ("integrations.index", "Integrations"),
    ("products.index", "Products"),
    ("links.index", "Links"),
    ("listings.index", "Listings"),
    ("orders.index", "Orders"),
    ("logs.index", "Sync logs"),
    ("settings.index", "Settings"),
]


def register_blueprints(app: Flask) -> None:
    from . import (auth, dashboard, demo, integrations, link_setup, links, listings, live, logs, orders, products,
                   settings, shopify, tiktok, tiktok_webhooks)

    for module in (auth, dashboard, integrations, tiktok, products, shopify, links, link_setup, logs, settings,
                   listings, tiktok_webhooks, orders, live, demo):
        app.register_blueprint(module.bp)

    from ..api import init_api
    init_api(app)

    from ..security import roles

    app.jinja_env.globals.update(may=roles.acting_user_may, is_owner=roles.acting_user_is_owner,
                                 API_KEYS=roles.API_KEYS, ALERTS=roles.ALERTS, SHOPS=roles.SHOPS)

    @app.context_processor
    def navigation():
        return {"nav_items": [(endpoint, label) for endpoint, label in NAV_ITEMS if endpoint in app.view_functions]}
