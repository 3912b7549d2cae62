"""What TikTok should show for a link: its effective settings, the desired price and the desired stock.

Pure functions: no database, no Flask. Effective settings are the link's own
values over the TikTok integration's defaults over the built-in defaults.
"""
from __future__ import annotations

from dataclasses import dataclass, fields, replace
from datetime import timedelta
from decimal import ROUND_CEILING, ROUND_DOWN, ROUND_HALF_UP, Decimal
from typing import Any, Mapping

from ...inputs import InvalidInput, decimal_number, row_id, whole_number

ROUNDINGS = {
    "none": "drop digits the currency has no room for",
    "cents": "round to the nearest cent",
    "99": "round up to a price ending in .99",
    "95": "round up to a price ending in .95",
    "whole": "round to the nearest whole amount",
}
SCHEDULES = {"off": None, "hourly": timedelta(hours=1), "6h": timedelta(hours=6), "daily": timedelta(days=1)}
# TikTok prices these currencies without minor units (same list as platforms/tiktok/products.py).
WHOLE_UNIT_CURRENCIES = frozenset({"IDR", "JPY", "KRW", "VND"})
MAX_MULTIPLIER = Decimal(100)
MAX_RATE = Decimal(1_000_000)  # far above any real exchange rate, and within the stored column's range
MAX_QUANTITY = 999_999  # TikTok refuses larger stock values


class SettingsError(ValueError):
    """Settings input that cannot be used; `errors` maps each field to what is wrong with it."""

    def __init__(self, errors: Mapping[str, str]):
        self.errors = dict(errors)
        super().__init__("; ".join(f"{name}: {message}" for name, message in self.errors.items()))


@dataclass(frozen=True)
class LinkSettings:
    sync_price: bool = True
    sync_inventory: bool = True
    price_multiplier: Decimal = Decimal(1)
    price_offset: Decimal = Decimal(0)
    price_rounding: str = "cents"
    currency_rate: Decimal = Decimal(1)  # Shopify currency -> TikTok shop currency
    location_ids: tuple[int, ...] | None = None  # Shopify location ids; None = every active location
    inventory_buffer: int = 0
    inventory_cap: int | None = None
    schedule: str = "6h"

    @classmethod
    def effective(cls, link: Any, defaults: Mapping[str, Any] | None = None) -> "LinkSettings":
        """The link's non-null fields over the integration's `defaults` JSON over the built-in defaults."""
        values = {name: value for name, value in clean_settings(defaults or {}).items() if value is not None}
        return replace(cls(), **values).with_link(link)

    def with_link(self, link: Any) -> "LinkSettings":
        """These settings with the link's own non-null values on top."""
        values = {}
        for name in SETTING_NAMES:
            value = getattr(link, name, None)
            if value is not None:
                values[name] = _as_setting(name, value)
        return replace(self, **values) if values else self

    @property
    def schedule_interval(self) -> timedelta | None:
        return SCHEDULES[self.schedule]


SETTING_NAMES = tuple(f.name for f in fields(LinkSettings))


def _as_setting(name: str, value: Any) -> Any:
    if name == "location_ids":
        return tuple(int(v) for v in value)
    if name in ("price_multiplier", "price_offset", "currency_rate"):
        return Decimal(str(value))
    return value


# ---- validation --------------------------------------------------------------------------------------
def clean_settings(data: Mapping[str, Any], *, partial: bool = True) -> dict[str, Any]:
    """Validate settings input (form fields, CSV cells, JSON) into column values.

    Empty values become None ("use the default"). Unknown names are refused so a
    typo never silently does nothing. Raises SettingsError listing every problem.
    """
    errors: dict[str, str] = {}
    cleaned: dict[str, Any] = {}
    for name, raw in data.items():
        if name not in SETTING_NAMES:
            errors[name] = "is not a link setting"
            continue
        if raw is None or (isinstance(raw, str) and raw.strip() == ""):
            cleaned[name] = None
            continue
        try:
            cleaned[name] = _PARSERS[name](raw)
        except ValueError as exc:
            errors[name] = str(exc)
    if not partial:
        for name in SETTING_NAMES:
            cleaned.setdefault(name, None)
    if errors:
        raise SettingsError(errors)
    return cleaned


def _bool(raw: Any) -> bool:
    if isinstance(raw, bool):
        return raw
    text = str(raw).strip().lower()
    if text in {"1", "true", "yes", "on", "y"}:
        return True
    if text in {"0", "false", "no", "off", "n"}:
        return False
    raise ValueError(f"must be yes or no, not {str(raw)[:40]!r}")


def _decimal(raw: Any) -> Decimal:
    return decimal_number(raw if isinstance(raw, (str, int, Decimal)) else str(raw))


def _multiplier(raw: Any) -> Decimal:
    value = _decimal(raw)
    if not Decimal(0) < value <= MAX_MULTIPLIER:
        raise ValueError(f"must be more than 0 and at most {MAX_MULTIPLIER}")
    return value


def _offset(raw: Any) -> Decimal:
    value = _decimal(raw)
    if abs(value) >= Decimal(1_000_000):
        raise ValueError("must be less than 1,000,000 either way")
    return value


def _rate(raw: Any) -> Decimal:
    value = _decimal(raw)
    if value <= 0:
        raise ValueError("must be more than 0")
    if value >= MAX_RATE:
        raise ValueError(f"must be less than {MAX_RATE:,}")
    return value


def _count(raw: Any, label: str) -> int:
    return whole_number(raw, high=MAX_QUANTITY, what=f"a whole number of {label}")


def _rounding(raw: Any) -> str:
    text = str(raw).strip().lower().lstrip(".")
    if text not in ROUNDINGS:
        raise ValueError("must be one of " + ", ".join(ROUNDINGS))
    return text


def _schedule(raw: Any) -> str:
    text = str(raw).strip().lower()
    if text not in SCHEDULES:
        raise ValueError("must be one of " + ", ".join(SCHEDULES))
    return text


def _locations(raw: Any) -> list[int]:
    items = raw.replace(";", ",").split(",") if isinstance(raw, str) else list(raw)
    ids = []
    for item in items:
        text = item.strip() if isinstance(item, str) else item
        if text == "":
            continue
        try:
            ids.append(row_id(text))
        except InvalidInput:
            raise ValueError(f"must be Shopify location ids separated by commas, not {str(text)[:40]!r}") from None
    if not ids:
        raise ValueError("must name at least one location (leave empty for every active location)")
    return sorted(set(ids))


_PARSERS = {
    "sync_price": _bool,
    "sync_inventory": _bool,
    "price_multiplier": _multiplier,
    "price_offset": _offset,
    "price_rounding": _rounding,
    "currency_rate": _rate,
    "location_ids": _locations,
    "inventory_buffer": lambda raw: _count(raw, "units"),
    "inventory_cap": lambda raw: _count(raw, "units"),
    "schedule": _schedule,
}


# ---- desired state -----------------------------------------------------------------------------------
def currency_unit(currency: str | None) -> Decimal:
    return Decimal(1) if (currency or "").upper() in WHOLE_UNIT_CURRENCIES else Decimal("0.01")


def desired_price(price: Decimal, settings: LinkSettings, currency: str | None) -> Decimal:
    """Shopify price -> TikTok price: price x multiplier x rate + offset, then the rounding rule.

    The result always fits the currency's decimals and is never below its smallest amount.
    In currencies without minor units the .99/.95 endings round up to a whole amount.
    """
    unit = currency_unit(currency)
    raw = Decimal(price) * settings.price_multiplier * settings.currency_rate + settings.price_offset
    rounding = settings.price_rounding
    smallest = unit
    if rounding == "none":
        amount = raw.quantize(unit, rounding=ROUND_DOWN)
    elif rounding == "whole":
        amount = raw.quantize(Decimal(1), rounding=ROUND_HALF_UP)
        smallest = Decimal(1)
    elif rounding in ("99", "95") and unit < 1:
        ending = Decimal("0." + rounding)
        cents = raw.quantize(unit, rounding=ROUND_HALF_UP)
        amount = (cents - ending).quantize(Decimal(1), rounding=ROUND_CEILING) + ending
        smallest = ending
    elif rounding in ("99", "95"):
        amount = raw.quantize(unit, rounding=ROUND_CEILING)
    else:
        amount = raw.quantize(unit, rounding=ROUND_HALF_UP)
    return max(amount, smallest).quantize(unit)


def desired_quantity(levels_by_location: Mapping[int, int], settings: LinkSettings) -> int:
    """Stock for TikTok: the sum over the chosen locations, less the buffer, within [0, cap].

    `levels_by_location` holds the available stock at each active Shopify location;
    a chosen location without a level counts as 0. Negative (oversold) levels count
    as they are, so overselling at one location is never hidden by another.
    """
    if settings.location_ids is None:
        total = sum(levels_by_location.values())
    else:
        total = sum(levels_by_location.get(location, 0) for location in settings.location_ids)
    quantity = max(total - settings.inventory_buffer, 0)
    if settings.inventory_cap is not None:
        quantity = min(quantity, settings.inventory_cap)
    return min(quantity, MAX_QUANTITY)
