"""The imported Shopify catalog: products with their variants and stock, searchable."""
from __future__ import annotations

import marshmallow as ma
from flask_smorest import Blueprint

from ..inputs import InvalidInput
from ..sync.catalog.product_listing import STATUSES, decode_cursor, list_products
from ..tenancy import current_tenant_id
from .fields import Money, Text
from .pagination import PageArgs

blp = Blueprint("api_products", __name__, url_prefix="/api/products",
                description="Your Shopify catalog as last imported, by title.")


class ImageSchema(ma.Schema):
    url = ma.fields.String(required=True)
    alt = ma.fields.String(allow_none=True)


class VariantSchema(ma.Schema):
    id = ma.fields.Integer(required=True, attribute="variant.id")
    shopify_id = ma.fields.Integer(required=True, attribute="variant.shopify_id")
    title = ma.fields.String(required=True, attribute="variant.title")
    sku = ma.fields.String(allow_none=True, attribute="variant.sku")
    barcode = ma.fields.String(allow_none=True, attribute="variant.barcode")
    price = Money(required=True, attribute="variant.price")
    compare_at_price = Money(allow_none=True, attribute="variant.compare_at_price")
    stock = ma.fields.Dict(keys=ma.fields.String(), values=ma.fields.Integer(), required=True,
                           metadata={"description": "Available stock by Shopify location id"})
    total_stock = ma.fields.Integer(required=True)


class ProductSchema(ma.Schema):
    id = ma.fields.Integer(required=True, attribute="product.id")
    shopify_id = ma.fields.Integer(required=True, attribute="product.shopify_id")
    title = ma.fields.String(required=True, attribute="product.title")
    handle = ma.fields.String(allow_none=True, attribute="product.handle")
    status = ma.fields.String(required=True, attribute="product.status", metadata={"enum": list(STATUSES)})
    vendor = ma.fields.String(allow_none=True, attribute="product.vendor")
    product_type = ma.fields.String(allow_none=True, attribute="product.product_type")
    shopify_updated_at = ma.fields.DateTime(allow_none=True, attribute="product.shopify_updated_at")
    images = ma.fields.List(ma.fields.Nested(ImageSchema), required=True)
    variants = ma.fields.List(ma.fields.Nested(VariantSchema), required=True)


class ProductPageSchema(ma.Schema):
    items = ma.fields.List(ma.fields.Nested(ProductSchema), required=True, attribute="entries")
    next_cursor = ma.fields.String(required=True, allow_none=True)


class ProductCursor(ma.fields.String):
    def _deserialize(self, value, attr, data, **kwargs):
        cursor = super()._deserialize(value, attr, data, **kwargs)
        try:
            decode_cursor(cursor)
        except InvalidInput:
            raise ma.ValidationError("is not a cursor from this API: pass next_cursor from the previous page") from None
        return cursor


class ProductArgs(PageArgs):
    search = Text(validate=ma.validate.Length(max=100),
                  metadata={"description": "Words in the title, or the start of a variant's SKU"})
    status = ma.fields.String(validate=ma.validate.OneOf(STATUSES))
    cursor = ProductCursor(metadata={"description": "next_cursor of the previous page"})


@blp.get("")
@blp.arguments(ProductArgs, location="query")
@blp.response(200, ProductPageSchema)
def list_catalog(args):
    return list_products(current_tenant_id(), search=args.get("search", ""), status=args.get("status", ""),
                         cursor=args.get("cursor"), limit=args["limit"])
