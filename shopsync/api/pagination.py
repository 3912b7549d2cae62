"""Cursor pagination: newest first, the cursor is the (opaque, base64) id of the last item seen."""
from __future__ import annotations

import base64

import marshmallow as ma
from sqlalchemy import Select

from ..extensions import db
from ..inputs import row_id
from .fields import Whole

DEFAULT_LIMIT = 50
MAX_LIMIT = 200


def encode_cursor(last_id: int) -> str:
    return base64.urlsafe_b64encode(str(last_id).encode()).decode().rstrip("=")


def decode_cursor(cursor: str) -> int:
    try:
        text = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)).decode("ascii")
        return row_id(text)
    except ValueError:  # not base64, not ASCII, or InvalidInput
        raise ma.ValidationError("is not a cursor from this API: pass next_cursor from the previous page") from None


class Cursor(ma.fields.String):
    def _deserialize(self, value, attr, data, **kwargs):
        return decode_cursor(super()._deserialize(value, attr, data, **kwargs))


class PageArgs(ma.Schema):
    cursor = Cursor(metadata={"description": "next_cursor of the previous page"})
    limit = Whole(load_default=DEFAULT_LIMIT, validate=ma.validate.Range(min=1, max=MAX_LIMIT))


def page_schema(item_schema: type[ma.Schema], name: str) -> type[ma.Schema]:
    """The list envelope {"items": [...], "next_cursor": "..." | null} for one kind of item."""
    return type(name, (ma.Schema,), {
        "items": ma.fields.List(ma.fields.Nested(item_schema), required=True),
        "next_cursor": ma.fields.String(required=True, allow_none=True,
                                        metadata={"description": "Pass as cursor for the next page; null on the last"}),
    })


def page(query: Select, id_column, args: dict) -> dict:
    """One page of `query` rows by `id_column` descending, after args["cursor"]."""
    if args.get("cursor"):
        query = query.where(id_column < args["cursor"])
    limit = args["limit"]
    rows = db.session.execute(query.order_by(id_column.desc()).limit(limit + 1)).scalars().all()
    return envelope(rows[:limit], more=len(rows) > limit)


def envelope(items: list, more: bool) -> dict:
    return {"items": items, "next_cursor": encode_cursor(items[-1].id) if more and items else None}
