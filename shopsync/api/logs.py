"""Sync logs: one row per price or stock update pushed (or not) to TikTok."""
from __future__ import annotations

import marshmallow as ma
from flask_smorest import Blueprint
from sqlalchemy import select

from ..models import SyncLog
from ..models.sync import TRIGGERS
from ..sync.log_listing import RESULTS, LogFilters, conditions
from ..tenancy import current_tenant_id
from .fields import Id, Moment
from .pagination import PageArgs, page, page_schema

blp = Blueprint("api_sync_logs", __name__, url_prefix="/api/sync-logs",
                description="Every update ShopSync pushed or tried to push, newest first.")


class SyncLogSchema(ma.Schema):
    id = ma.fields.Integer(required=True)
    run_id = ma.fields.Integer(allow_none=True)
    link_id = ma.fields.Integer(allow_none=True)
    product_id = ma.fields.Integer(allow_none=True)
    field = ma.fields.String(required=True, metadata={"enum": ["price", "inventory"]})
    before = ma.fields.String(allow_none=True)
    after = ma.fields.String(allow_none=True)
    result = ma.fields.String(required=True, metadata={"enum": list(RESULTS)})
    trigger = ma.fields.String(allow_none=True)
    request_id = ma.fields.String(allow_none=True)
    error_class = ma.fields.String(allow_none=True)
    error_message = ma.fields.String(allow_none=True)
    created_at = ma.fields.DateTime(required=True)


class SyncLogArgs(PageArgs):
    link_id = Id()
    product_id = Id()
    result = ma.fields.String(validate=ma.validate.OneOf(RESULTS))
    trigger = ma.fields.String(validate=ma.validate.OneOf(TRIGGERS))
    since = Moment(metadata={"description": "Only logs at or after this time"})
    until = Moment(metadata={"description": "Only logs before this time"})

    @ma.validates_schema
    def since_before_until(self, data, **kwargs):
        if data.get("since") and data.get("until") and data["since"] > data["until"]:
            raise ma.ValidationError("must not be after until", "since")


@blp.get("")
@blp.arguments(SyncLogArgs, location="query")
@blp.response(200, page_schema(SyncLogSchema, "SyncLogPageSchema"))
def list_logs(args):
    filters = LogFilters(link_id=args.get("link_id"), product_id=args.get("product_id"),
                         result=args.get("result", ""), trigger=args.get("trigger", ""))
    where = conditions(current_tenant_id(), filters)
    if args.get("since"):
        where.append(SyncLog.created_at >= args["since"])
    if args.get("until"):
        where.append(SyncLog.created_at < args["until"])
    return page(select(SyncLog).where(*where), SyncLog.id, args)
