"""One blueprint per area of the merchant's app."""
from __future__ import annotations

from flask import Flask

NAV_ITEMS = [
    ("dashboard.index", "Dashboard"),
    ("integrations.index", "Integrations"),
    ("products.index", "Products"),
    ("links.index", "Links"),
    ("logs.index", "Sync logs"),
]


def register_blueprints(app: Flask) -> None:
    from . import auth, dashboard, integrations, link_setup, links, logs, products, shopify, tiktok

    for module in (auth, dashboard, integrations, tiktok, products, shopify, links, link_setup, logs):
        app.register_blueprint(module.bp)

    @app.context_processor
    def navigation():
        return {"nav_items": [(endpoint, label) for endpoint, label in NAV_ITEMS if endpoint in app.view_functions]}
