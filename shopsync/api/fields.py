"""Field types the API schemas share: ids in range, text the database can store, money as strings."""
from __future__ import annotations

from datetime import timezone

import marshmallow as ma

from ..inputs import MAX_ID, InvalidInput, clean_text, decimal_number, whole_number

ID = f"int(min=1, max={MAX_ID})"  # URL converter for ids in paths


class Whole(ma.fields.Integer):
    """A whole number from 0; in a query string ASCII digits only (int() also reads "١٢"), as on every page.
    JSON bodies pass strict=True so 1.5 or "1" is refused."""

    def _deserialize(self, value, attr, data, **kwargs):
        if isinstance(value, str) and not self.strict:
            try:
                value = whole_number(value, high=MAX_ID)
            except InvalidInput as error:
                raise ma.ValidationError(str(error)) from None
        return super()._deserialize(value, attr, data, **kwargs)


class Id(Whole):
    """An id of a row."""

    def __init__(self, **kwargs):
        kwargs.setdefault("validate", ma.validate.Range(min=1, max=MAX_ID))
        super().__init__(**kwargs)


class Text(ma.fields.String):
    """A string without NUL characters (PostgreSQL cannot store them)."""

    def _deserialize(self, value, attr, data, **kwargs):
        try:
            return clean_text(super()._deserialize(value, attr, data, **kwargs))
        except InvalidInput as error:
            raise ma.ValidationError(str(error)) from None


class Money(ma.fields.Decimal):
    """Amounts as decimal strings ("19.99"): exact, unlike JSON numbers."""

    def __init__(self, **kwargs):
        super().__init__(as_string=True, **kwargs)

    def _deserialize(self, value, attr, data, **kwargs):
        """Plain notation with at most 4 decimals, as stored: no exponents ("1e-999999"), NaN or Infinity."""
        try:
            return decimal_number(value)
        except InvalidInput as error:
            raise ma.ValidationError(str(error)) from None


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
