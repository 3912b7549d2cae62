"""Field types the API schemas share: ids in range, text the database can store, money as strings."""
from __future__ import annotations

from datetime import timezone

import marshmallow as ma

MAX_ID = 2**63 - 1  # BIGINT: larger ids are refused as input instead of failing in the database
ID = f"int(min=1, max={MAX_ID})"  # URL converter for ids in paths


class Id(ma.fields.Integer):
    """An id of a row; JSON bodies pass strict=True so 1.5 or "1" is refused."""

    def __init__(self, **kwargs):
        kwargs.setdefault("validate", ma.validate.Range(min=1, max=MAX_ID))
        super().__init__(**kwargs)


class Text(ma.fields.String):
    """A string without NUL characters (PostgreSQL cannot store them)."""

    def _deserialize(self, value, attr, data, **kwargs):
        text = super()._deserialize(value, attr, data, **kwargs)
        if "\x00" in text:
            raise ma.ValidationError("must not contain NUL characters")
        return text


class Money(ma.fields.Decimal):
    """Amounts as decimal strings ("19.99"): exact, unlike JSON numbers."""

    def __init__(self, **kwargs):
        super().__init__(as_string=True, **kwargs)


class Moment(ma.fields.AwareDateTime):
    """An ISO 8601 date-time; without an offset it means UTC."""

    def __init__(self, **kwargs):
        super().__init__(default_timezone=timezone.utc, **kwargs)

    def _deserialize(self, value, attr, data, **kwargs):
        moment = super()._deserialize(value, attr, data, **kwargs)
        if not 1970 <= moment.year <= 9000:
            raise ma.ValidationError("must be between the years 1970 and 9000")
        return moment.astimezone(timezone.utc)


FIELD_TYPES = [(Money, "string", "decimal")]  # registered with the OpenAPI generator
