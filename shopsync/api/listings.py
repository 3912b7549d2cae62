"""Listings: Shopify products published to TikTok Shop, their state in TikTok's check and audit, and publishing."""
from __future__ import annotations

import marshmallow as ma
from flask_smorest import Blueprint
from flask_smorest import abort as detailed_abort
from sqlalchemy import select

from ..extensions import db
from ..models import Integration, Listing, Product, SyncRun
from ..models.integration import ACTIVE, TIKTOK
from ..models.listings import STATES
from ..tenancy import current_tenant_id, get_or_404, scoped
from .fields import Id
from .pagination import PageArgs, page, page_schema
from .runs import SyncRunSchema

MAX_PUBLISH = 1000

blp = Blueprint("api_listings", __name__, url_prefix="/api/listings",
                description="Publish Shopify products as TikTok listings, checked by TikTok before they are submitted.")


class ProblemSchema(ma.Schema):
    field = ma.fields.String(required=True, metadata={"description": "Which part of the product"})
    message = ma.fields.String(required=True)
    fix = ma.fields.String(required=True, metadata={"description": "What to do about it"})
    code = ma.fields.Integer(allow_none=True, metadata={"description": "TikTok's error code, when TikTok found it"})


class AuditReasonSchema(ma.Schema):
    position = ma.fields.String(required=True)
    reasons = ma.fields.List(ma.fields.String(), required=True)
    suggestions = ma.fields.List(ma.fields.String(), required=True)


class ListingSchema(ma.Schema):
    id = ma.fields.Integer(required=True)
    product_id = ma.fields.Integer(required=True, metadata={"description": "ShopSync's id of the Shopify product"})
    product_title = ma.fields.String(required=True, attribute="product.title")
    tiktok_integration_id = ma.fields.Integer(required=True)
    state = ma.fields.String(required=True, metadata={"enum": list(STATES)})
    save_as_draft = ma.fields.Boolean(required=True)
    category_id = ma.fields.String(allow_none=True)
    category_path = ma.fields.String(allow_none=True)
    tiktok_product_id = ma.fields.String(allow_none=True)
    problems = ma.fields.List(ma.fields.Nested(ProblemSchema), required=True)
    audit_reasons = ma.fields.List(ma.fields.Nested(AuditReasonSchema), required=True)
    attention = ma.fields.String(allow_none=True, metadata={"description": "What TikTok changed in the category"})
    checked_at = ma.fields.DateTime(allow_none=True)
    submitted_at = ma.fields.DateTime(allow_none=True)
    decided_at = ma.fields.DateTime(allow_none=True)


class ListingArgs(PageArgs):
    state = ma.fields.String(validate=ma.validate.OneOf(STATES))
    tiktok_integration_id = Id()


class PublishSchema(ma.Schema):
    tiktok_integration_id = Id(required=True, strict=True)
    product_ids = ma.fields.List(Id(strict=True), required=True,
                                 validate=ma.validate.Length(min=1, max=MAX_PUBLISH),
                                 metadata={"description": "ShopSync's ids of Shopify products (GET /api/products)"})
    save_as_draft = ma.fields.Boolean(load_default=False, metadata={
        "description": "Save on TikTok as drafts instead of submitting them to TikTok's review"})
    check_only = ma.fields.Boolean(load_default=False, metadata={
        "description": "Only run TikTok's listing check (the preview); nothing is created"})


@blp.get("")
@blp.arguments(ListingArgs, location="query")
@blp.response(200, page_schema(ListingSchema, "ListingPageSchema"))
def list_listings(args):
    """Listings, newest first, by state and TikTok shop."""
    query = scoped(Listing)
    if args.get("state"):
        query = query.where(Listing.state == args["state"])
    if args.get("tiktok_integration_id"):
        query = query.where(Listing.tiktok_integration_id == args["tiktok_integration_id"])
    return page(query, Listing.id, args)


@blp.post("")
@blp.arguments(PublishSchema)
@blp.response(202, SyncRunSchema)
def publish(body):
    """Check and publish these products to a TikTok shop. Follow the returned sync run for progress.

    Each product is built from Shopify, checked by TikTok's listing check, and submitted only when the check
    passes, within the shop's daily listing limit (the rest wait in the queue). Products already on TikTok are
    skipped. Ids that are not yours are refused.
    """
    from ..jobs.listings import start_publish

    tenant_id = current_tenant_id()
    shop = db.session.execute(scoped(Integration).where(
        Integration.id == body["tiktok_integration_id"], Integration.platform == TIKTOK)).scalar_one_or_none()
    if shop is None or shop.status != ACTIVE:
        detailed_abort(422, messages={"tiktok_integration_id": "is not a connected TikTok shop of yours"})
    wanted = set(body["product_ids"])
    found = set(db.session.execute(select(Product.id).where(
        Product.tenant_id == tenant_id, Product.id.in_(wanted))).scalars())
    if found != wanted:
        detailed_abort(422, messages={"product_ids": f"{len(wanted - found)} are not products of yours"})
    run_id = start_publish(tenant_id, shop.id, sorted(found), save_as_draft=body["save_as_draft"],
                           check_only=body["check_only"])
    return get_or_404(SyncRun, run_id)
