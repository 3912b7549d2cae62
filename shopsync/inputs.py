"""Numbers, ids, cursors and text from requests: the one way every page, form, API field and CSV cell reads them.

Only what the database can hold, and what Python reads the way the merchant meant, gets
through: ASCII digits (str.isdigit() also accepts "²", which int() refuses), ids within
BIGINT, decimals in plain notation without NaN or Infinity (Decimal("1e-999999") is a
valid number that no column holds and every sum drags along), and text without NUL
(PostgreSQL refuses it). Anything else raises InvalidInput, which pages answer with
their form error or a 400 page and the API with its usual error body.
"""
from __future__ import annotations

import base64
import binascii
import json
import re
from decimal import Decimal

MAX_ID = 2**63 - 1  # BIGINT
MAX_INT = 2**31 - 1  # INTEGER columns (counts, quantities, minutes)

_WHOLE = re.compile(r"\+?([0-9]{1,19})")
_DECIMAL = re.compile(r"[+-]?([0-9]*)(?:\.([0-9]*))?")


class InvalidInput(ValueError):
    """A value from a request that cannot be used; the message says what is expected."""


def whole_number(raw: object, *, low: int = 0, high: int = MAX_INT, what: str = "a whole number") -> int:
    """A whole number in [low, high] from a string of ASCII digits (or an int, not a bool)."""
    if isinstance(raw, int) and not isinstance(raw, bool):
        value = raw
    else:
        match = _WHOLE.fullmatch(raw.strip()) if isinstance(raw, str) else None
        if match is None:
            raise InvalidInput(f"must be {what}, not {str(raw).strip()[:40]!r}")
        value = int(match.group(1))
    if not low <= value <= high:
        raise InvalidInput(f"must be {what} from {low:,} to {high:,}")
    return value


def row_id(raw: object) -> int:
    """The id of a row: 1 to BIGINT's largest."""
    try:
        return whole_number(raw, low=1, high=MAX_ID)
    except InvalidInput:
        raise InvalidInput("must be an id (a whole number from 1)") from None


def optional_row_id(raw: object) -> int | None:
    """An id, or None when the value is missing or empty (no filter)."""
    return None if raw is None or raw == "" else row_id(raw)


def row_ids(values) -> list[int]:
    """Ids from a repeated form field, each checked; empty strings are skipped."""
    return [row_id(value) for value in values if value != ""]


def decimal_number(raw: object, *, places: int = 4, digits: int = 10) -> Decimal:
    """A decimal in plain notation ("19.99", "-0.5"): at most `digits` before the point and `places` after.

    Exponents, NaN, Infinity, underscores and non-ASCII digits are refused, so a value never
    needs more precision than the columns (NUMERIC(14, 4)) and the price arithmetic hold.
    """
    if isinstance(raw, bool) or not isinstance(raw, (str, int, float, Decimal)):
        raise InvalidInput("must be a number such as 1.25")
    text = (raw if isinstance(raw, str) else str(raw)).strip()
    match = _DECIMAL.fullmatch(text)
    if match is None or not (match.group(1) or match.group(2)):
        raise InvalidInput(f"must be a number, not {text[:40]!r}")
    whole, fraction = match.group(1).lstrip("0"), (match.group(2) or "").rstrip("0")
    if len(whole) > digits:
        raise InvalidInput(f"must have at most {digits} digits before the decimal point")
    if len(fraction) > places:
        raise InvalidInput(f"must have at most {places} decimal places")
    return Decimal(text)


def clean_text(raw: object, *, max_length: int | None = None) -> str:
    """Text a column can store: no NUL (PostgreSQL refuses it), at most `max_length` characters."""
    if not isinstance(raw, str):
        raise InvalidInput("must be text")
    if "\x00" in raw:
        raise InvalidInput("must not contain NUL characters")
    if max_length is not None and len(raw) > max_length:
        raise InvalidInput(f"must be at most {max_length:,} characters")
    return raw


def named(name: str, parse, raw, **kwargs):
    """parse(raw, **kwargs), naming the field in the message of any InvalidInput."""
    try:
        return parse(raw, **kwargs)
    except InvalidInput as error:
        raise InvalidInput(f"{name} {error}") from None


def has_nul(values) -> bool:
    """Whether any of these strings holds a NUL character."""
    return any("\x00" in value for value in values if isinstance(value, str))


# ---- opaque cursors -------------------------------------------------------------------------------------
def encode_cursor(position: list) -> str:
    """A position in a list as an opaque token (base64 of compact JSON)."""
    return base64.urlsafe_b64encode(json.dumps(position, separators=(",", ":")).encode()).decode().rstrip("=")


def decode_cursor(token: str, shape: tuple[type, ...]) -> list:
    """A cursor made by encode_cursor, checked against its shape: str items hold no NUL, int items are ids.

    JSON's NaN, Infinity and numbers like 1e400 are refused before they become floats.
    """
    if not isinstance(token, str) or len(token) > 2048:
        raise InvalidInput("is not a cursor from this list")
    try:
        raw = base64.urlsafe_b64decode(token + "=" * (-len(token) % 4))
        position = json.loads(raw.decode("utf-8"), parse_constant=_refuse, parse_float=_refuse)
    except (binascii.Error, UnicodeError, ValueError, RecursionError):
        raise InvalidInput("is not a cursor from this list") from None
    if not isinstance(position, list) or len(position) != len(shape):
        raise InvalidInput("is not a cursor from this list")
    for value, kind in zip(position, shape):
        if kind is int:
            if isinstance(value, bool) or not isinstance(value, int) or not 1 <= value <= MAX_ID:
                raise InvalidInput("is not a cursor from this list")
        elif not isinstance(value, str) or "\x00" in value:
            raise InvalidInput("is not a cursor from this list")
    return position


def _refuse(text: str):
    raise ValueError(f"not a cursor number: {text[:20]}")
