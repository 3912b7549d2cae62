"""Product links: which Shopify variant feeds which TikTok SKU, with what rules, and Sync now."""
from __future__ import annotations

import marshmallow as ma
from flask import abort
from flask_smorest import Blueprint
from flask_smorest import abort as detailed_abort

from ..blueprints.links import MAX_BATCH
from ..extensions import db
from ..models import ProductLink, TikTokSku, Variant
from ..sync.links import actions as link_actions
from ..sync.links import listing as link_listing
from ..sync.links.actions import LinkError
from ..sync.links.listing import STATES, LinkFilters
from ..models.links import STATES as LINK_STATES
from ..sync.pushes.rules import ROUNDINGS, SCHEDULES, UNTRACKED_STOCK, SettingsError
from ..tenancy import current_tenant_id, get_or_404, scoped
from .fields import ID, Id, Money, Text
from .pagination import PageArgs, encode_cursor, page_schema
from .runs import SyncRunSchema

blp = Blueprint("api_product_links", __name__, url_prefix="/api/product-links",
                description="Links from Shopify variants to TikTok SKUs, their sync rules, and Sync now.")


class LinkSettingsSchema(ma.Schema):
    """Per-link rules; null means "use the TikTok shop's default"."""

    sync_price = ma.fields.Boolean(allow_none=True)
    sync_inventory = ma.fields.Boolean(allow_none=True)
    price_multiplier = Money(allow_none=True)
    price_offset = Money(allow_none=True)
    price_rounding = ma.fields.String(allow_none=True, metadata={"enum": list(ROUNDINGS)})
    currency_rate = Money(allow_none=True)
    location_ids = ma.fields.List(Id(strict=True), allow_none=True,
                                  metadata={"description": "Shopify location ids whose stock counts"})
    inventory_buffer = ma.fields.Integer(allow_none=True, strict=True)
    inventory_cap = ma.fields.Integer(allow_none=True, strict=True)
    schedule = ma.fields.String(allow_none=True, metadata={"enum": list(SCHEDULES)})
    untracked_stock = ma.fields.String(allow_none=True, metadata={
        "enum": list(UNTRACKED_STOCK),
        "description": "For variants Shopify sells without counting stock: a fixed quantity, or leave TikTok's"})
    untracked_quantity = ma.fields.Integer(allow_none=True, strict=True)
    min_price = Money(allow_none=True, metadata={"description": "Lower prices wait for confirmation"})
    max_price_drop = Money(allow_none=True, metadata={
        "description": "Percent below TikTok's current price a new price may be without confirmation"})


class LinkSchema(LinkSettingsSchema):
    id = ma.fields.Integer(required=True)
    variant_id = ma.fields.Integer(required=True, allow_none=True,
                                   metadata={"description": "null once the Shopify variant was deleted"})
    tiktok_sku_id = ma.fields.Integer(required=True, allow_none=True,
                                      metadata={"description": "null once the TikTok SKU was deleted"})
    shopify_integration_id = ma.fields.Integer(required=True)
    tiktok_integration_id = ma.fields.Integer(required=True)
    paused = ma.fields.Boolean(required=True)
    state = ma.fields.String(required=True, metadata={"enum": list(LINK_STATES)})
    orphaned_reason = ma.fields.String(allow_none=True)
    held_price_before = Money(allow_none=True, metadata={"description": "TikTok's price when a price was held"})
    held_price = Money(allow_none=True, metadata={"description": "The held price waiting for confirmation"})
    dirty = ma.fields.Boolean(required=True, metadata={"description": "Has Shopify changes not pushed yet"})
    last_pushed_price = Money(allow_none=True)
    last_pushed_quantity = ma.fields.Integer(allow_none=True)
    last_synced_at = ma.fields.DateTime(allow_none=True)
    last_error = ma.fields.String(allow_none=True)
    last_error_class = ma.fields.String(allow_none=True)
    created_at = ma.fields.DateTime(required=True)
    updated_at = ma.fields.DateTime(allow_none=True)


class LinkArgs(PageArgs):
    state = ma.fields.String(validate=ma.validate.OneOf(STATES))
    tiktok_integration_id = Id()
    variant_id = Id()
    search = Text(validate=ma.validate.Length(max=100),
                  metadata={"description": "Product title, Shopify SKU, barcode or TikTok seller SKU"})


class NewLinkSchema(LinkSettingsSchema):
    variant_id = Id(strict=True, required=True)
    tiktok_sku_id = Id(strict=True, required=True, metadata={"description": "ShopSync's id of the TikTok SKU"})


class LinkChangeSchema(LinkSettingsSchema):
    paused = ma.fields.Boolean()


class BatchSyncSchema(ma.Schema):
    ids = ma.fields.List(Id(strict=True), validate=ma.validate.Length(min=1, max=MAX_BATCH))
    all = ma.fields.Boolean(metadata={"description": "true: every link of every TikTok shop"})

    @ma.validates_schema
    def ids_or_all(self, data, **kwargs):
        if bool(data.get("ids")) == bool(data.get("all")):
            raise ma.ValidationError('send either "ids" (a list of link ids) or "all": true', "ids")


@blp.get("")
@blp.arguments(LinkArgs, location="query")
@blp.response(200, page_schema(LinkSchema, "LinkPageSchema"))
def list_links(args):
    filters = LinkFilters(state=args.get("state", ""), integration_id=args.get("tiktok_integration_id"),
                          variant_id=args.get("variant_id"), q=(args.get("search") or "").strip())
    rows, next_before = link_listing.page(current_tenant_id(), filters, args.get("cursor"), args["limit"])
    by_id = {link.id: link for link in db.session.execute(
        scoped(ProductLink).where(ProductLink.id.in_([row.id for row in rows]))).scalars()}
    return {"items": [by_id[row.id] for row in rows if row.id in by_id],
            "next_cursor": encode_cursor(next_before) if next_before else None}


@blp.post("")
@blp.arguments(NewLinkSchema)
@blp.response(201, LinkSchema)
def create_link(body):
    """Link a Shopify variant to a TikTok SKU; the first push follows at once."""
    variant_id, sku_id = body.pop("variant_id"), body.pop("tiktok_sku_id")
    missing = {name: "is not in your catalog" for name, model, key in
               (("variant_id", Variant, variant_id), ("tiktok_sku_id", TikTokSku, sku_id))
               if db.session.execute(scoped(model).where(model.id == key)).scalar_one_or_none() is None}
    if missing:
        _invalid(missing)
    try:
        [link_id] = link_actions.create_links(current_tenant_id(), [(variant_id, sku_id)], body)
    except SettingsError as error:
        _invalid(error.errors)
    except LinkError as error:
        message = str(error)
        abort(409, message[:1].upper() + message[1:] + ".")
    return get_or_404(ProductLink, link_id)


@blp.get(f"/<{ID}:link_id>")
@blp.response(200, LinkSchema)
def get_link(link_id: int):
    return get_or_404(ProductLink, link_id)


@blp.patch(f"/<{ID}:link_id>")
@blp.arguments(LinkChangeSchema)
@blp.response(200, LinkSchema)
def change_link(body, link_id: int):
    """Change rules (null resets one to the shop's default) or pause and resume."""
    link = get_or_404(ProductLink, link_id)
    paused = body.pop("paused", None)
    if body:
        try:
            link_actions.change_settings(link.tenant_id, [link.id], body)
        except SettingsError as error:
            db.session.rollback()
            _invalid(error.errors)
    if paused is not None and paused != link.paused:
        (link_actions.pause if paused else link_actions.resume)(link.tenant_id, [link.id])
    db.session.refresh(link)
    return link


@blp.delete(f"/<{ID}:link_id>")
@blp.response(204)
def delete_link(link_id: int):
    """Unlink: TikTok keeps its last values and the logs keep their history."""
    if not link_actions.unlink(current_tenant_id(), [link_id]):
        abort(404)


@blp.post(f"/<{ID}:link_id>/sync")
@blp.response(202, SyncRunSchema)
def sync_link(link_id: int):
    """Push this link now; follow the returned run for the outcome."""
    link = get_or_404(ProductLink, link_id)
    return link_actions.sync_now(link.tenant_id, [link.id], "manual")


@blp.post("/sync")
@blp.arguments(BatchSyncSchema)
@blp.response(202, SyncRunSchema)
def sync_links(body):
    """Push many links now: the given ids (others' ids are ignored) or all of them."""
    tenant_id = current_tenant_id()
    ids = body.get("ids") or link_listing.matching_ids(tenant_id, LinkFilters(), MAX_BATCH)
    run = link_actions.sync_now(tenant_id, ids, "batch")
    if run is None:
        abort(404, "None of these links exist.")
    return run


def _invalid(errors: dict[str, str]):
    """422 naming each field that is wrong, in the same body as argument validation errors."""
    detailed_abort(422, messages=errors)
