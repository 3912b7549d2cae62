"""TikTok orders on their way into Shopify: list, one order with what happened to it, and retry."""
from __future__ import annotations

import marshmallow as ma
from flask_smorest import Blueprint
from sqlalchemy import select

from ..models import Order
from ..models.orders import SHIPMENT_STATES
from ..sync.orders import listing
from ..jobs.orders import queue_order
from ..tenancy import current_tenant_id, get_or_404
from .fields import ID, Id, Text
from .pagination import PageArgs, page, page_schema

blp = Blueprint("api_orders", __name__, url_prefix="/api/orders",
                description="TikTok Shop orders ShopSync brings into Shopify, newest first.")

STATES = list(listing.STATE_LABELS)


class OrderLineSchema(ma.Schema):
    tiktok_sku_id = ma.fields.String(required=True)
    seller_sku = ma.fields.String(allow_none=True)
    title = ma.fields.String(required=True)
    quantity = ma.fields.Integer(required=True)
    cancelled_quantity = ma.fields.Integer(required=True)
    returned_quantity = ma.fields.Integer(required=True)
    link_id = ma.fields.Integer(allow_none=True, metadata={"description": "null: not linked to a Shopify variant"})


class OrderSchema(ma.Schema):
    id = ma.fields.Integer(required=True)
    tiktok_integration_id = ma.fields.Integer(required=True)
    tiktok_order_id = ma.fields.String(required=True)
    tiktok_status = ma.fields.String(required=True)
    state = ma.fields.String(required=True, metadata={"enum": STATES})
    shopify_order_id = ma.fields.Integer(allow_none=True)
    shopify_order_name = ma.fields.String(allow_none=True)
    fulfilment_held = ma.fields.Boolean(required=True)
    fulfilled_by_tiktok = ma.fields.Boolean(required=True, attribute="is_fulfilled_by_tiktok")
    held_units = ma.fields.Integer(required=True, metadata={"description": "Units kept off TikTok's stock until "
                                                                            "Shopify has counted the order"})
    problem = ma.fields.String(allow_none=True)
    next_step = ma.fields.String(allow_none=True)
    lines = ma.fields.List(ma.fields.Nested(OrderLineSchema), required=True)
    created_at = ma.fields.DateTime(required=True)
    updated_at = ma.fields.DateTime(required=True)


class OrderEventSchema(ma.Schema):
    kind = ma.fields.String(required=True)
    before = ma.fields.String(allow_none=True)
    after = ma.fields.String(allow_none=True)
    message = ma.fields.String(allow_none=True)
    created_at = ma.fields.DateTime(required=True)


class ShipmentSchema(ma.Schema):
    shopify_fulfillment_id = ma.fields.Integer(required=True)
    carrier = ma.fields.String(allow_none=True)
    tracking_number = ma.fields.String(allow_none=True)
    state = ma.fields.String(required=True, metadata={"enum": list(SHIPMENT_STATES)})
    problem = ma.fields.String(allow_none=True)


class OrderDetailSchema(OrderSchema):
    events = ma.fields.List(ma.fields.Nested(OrderEventSchema), required=True)
    shipments = ma.fields.List(ma.fields.Nested(ShipmentSchema), required=True)


class OrderArgs(PageArgs):
    view = ma.fields.String(validate=ma.validate.OneOf(list(listing.VIEWS)),
                            metadata={"description": "; ".join(f"{k}: {v}" for k, v in listing.VIEWS.items())})
    tiktok_integration_id = Id()
    q = Text(validate=ma.validate.Length(max=100), metadata={"description": "TikTok order id or Shopify order name"})


class RetrySchema(ma.Schema):
    queued = ma.fields.Boolean(required=True, metadata={"description": "false: a try is already under way"})


@blp.get("")
@blp.arguments(OrderArgs, location="query")
@blp.response(200, page_schema(OrderSchema, "OrderPageSchema"))
def list_orders(args):
    filters = listing.OrderFilters(view=args.get("view", ""), shop_id=args.get("tiktok_integration_id"),
                                   search=args.get("q", "").strip())
    return page(select(Order).where(*listing.conditions(current_tenant_id(), filters)), Order.id, args)


@blp.get(f"/<{ID}:order_id>")
@blp.response(200, OrderDetailSchema)
def get_order(order_id: int):
    return get_or_404(Order, order_id)


@blp.post(f"/<{ID}:order_id>/retry")
@blp.response(202, RetrySchema)
def retry_order(order_id: int):
    order = get_or_404(Order, order_id)
    return {"queued": queue_order(order.id)}
