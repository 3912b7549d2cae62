"""Connected stores: list them, connect a TikTok shop, import the Shopify catalog."""
from __future__ import annotations

import marshmallow as ma
from flask import abort, current_app, url_for
from flask_smorest import Blueprint

from ..extensions import db
from ..jobs.imports import start_import
from ..models import Integration
from ..models.integration import ACTIVE, SHOPIFY, TIKTOK
from ..security import roles
from ..tenancy import scoped
from .pagination import PageArgs, page, page_schema
from .runs import SyncRunSchema

blp = Blueprint("api_integrations", __name__, url_prefix="/api/integrations",
                description="Your Shopify store and TikTok shops.")


class IntegrationSchema(ma.Schema):
    id = ma.fields.Integer(required=True)
    platform = ma.fields.String(required=True, metadata={"enum": [SHOPIFY, TIKTOK]})
    external_id = ma.fields.String(required=True, metadata={"description": "Shop domain or TikTok shop id"})
    name = ma.fields.String(required=True)
    region = ma.fields.String(allow_none=True)
    currency = ma.fields.String(allow_none=True)
    status = ma.fields.String(required=True, metadata={"enum": ["active", "needs_reauth", "disconnected"]})
    status_reason = ma.fields.String(allow_none=True)
    last_import_at = ma.fields.DateTime(allow_none=True)
    created_at = ma.fields.DateTime(required=True)


class ConnectSchema(ma.Schema):
    platform = ma.fields.String(required=True, validate=ma.validate.OneOf(
        [TIKTOK], error="must be tiktok: your Shopify store is connected by installing ShopSync from Shopify"))


class ConnectStartedSchema(ma.Schema):
    authorize_url = ma.fields.String(required=True, metadata={
        "description": "Open in a browser logged in to ShopSync; it continues to TikTok Shop's authorization page"})


@blp.get("")
@blp.arguments(PageArgs, location="query")
@blp.response(200, page_schema(IntegrationSchema, "IntegrationPageSchema"))
def list_integrations(args):
    return page(scoped(Integration), Integration.id, args)


@blp.post("")
@blp.arguments(ConnectSchema)
@blp.response(200, ConnectStartedSchema)
@blp.alt_response(403, description="Only the account owner (or staff they allow) connects shops")
@roles.requires(roles.SHOPS)
def connect(body):
    """Start connecting a TikTok shop."""
    # The grant's state must live in the browser session that comes back from TikTok,
    # so the API hands out our own start URL rather than TikTok's.
    return {"authorize_url": current_app.config["PUBLIC_URL"] + url_for("tiktok.connect")}


@blp.post("/shopify/products")
@blp.response(202, SyncRunSchema)
def import_shopify_catalog():
    """Import the Shopify catalog now (or return the import already under way)."""
    store = db.session.execute(scoped(Integration).where(Integration.platform == SHOPIFY)
                               .order_by(Integration.id)).scalars().first()
    if store is None or store.status != ACTIVE:
        abort(409, "Your Shopify store is not connected: open ShopSync from your Shopify admin to reconnect it.")
    return start_import(store, "manual")

