"""What TikTok should show for a link: its effective settings, the desired price and the desired stock.

Pure functions: no database, no Flask. Effective settings are the link's own
values over the TikTok integration's defaults over the built-in defaults.
"""
from __future__ import annotations

from dataclasses import dataclass, fields, replace
from datetime import timedelta
from decimal import ROUND_CEILING, ROUND_DOWN, ROUND_HALF_UP, Decimal
from typing import Any, Iterable, Mapping, Sequence

from ...inputs import InvalidInput, decimal_number, row_id, whole_number
from ..amounts import amount_text

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
UNTRACKED_STOCK = {
    "fixed": "send a fixed quantity",
    "leave": "leave TikTok's stock as it is",
}


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
    # Variants Shopify sells whatever their stock (not tracked, or "continue selling when out of stock").
    untracked_stock: str = "fixed"
    untracked_quantity: int = 100
    # Price guard rails: a price below min_price, or more than max_price_drop percent below TikTok's
    # current price, waits for the merchant's confirmation instead of being pushed.
    min_price: Decimal | None = None
    max_price_drop: Decimal = Decimal(50)

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
    if name in ("price_multiplier", "price_offset", "currency_rate", "min_price", "max_price_drop"):
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


def _untracked_stock(raw: Any) -> str:
    text = str(raw).strip().lower()
    if text not in UNTRACKED_STOCK:
        raise ValueError("must be one of " + ", ".join(UNTRACKED_STOCK))
    return text


def _min_price(raw: Any) -> Decimal:
    value = _decimal(raw)
    if not Decimal(0) <= value < Decimal(1_000_000):
        raise ValueError("must be at least 0 and less than 1,000,000")
    return value


def _percent(raw: Any) -> Decimal:
    value = _decimal(str(raw).strip().rstrip("%"))
    if not Decimal(0) <= value <= Decimal(100):
        raise ValueError("must be a percentage from 0 to 100")
    return value


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
    "untracked_stock": _untracked_stock,
    "untracked_quantity": lambda raw: _count(raw, "units"),
    "min_price": _min_price,
    "max_price_drop": _percent,
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


_LINK_LOCATIONS: Any = object()  # "the locations the link chooses"


def desired_quantity(levels_by_location: Mapping[int, int], settings: LinkSettings, *,
                     location_ids: Iterable[int] | None = _LINK_LOCATIONS, held: int = 0) -> int:
    """Stock for TikTok: the sum over the locations, less the buffer and held units, within [0, cap].

    The locations are the link's chosen ones unless `location_ids` names others (None: every
    location in `levels_by_location`, which then holds the active ones). A location without a
    level counts as 0. Negative (oversold) levels count as they are, so overselling at one
    location is never hidden by another.
    """
    chosen = settings.location_ids if location_ids is _LINK_LOCATIONS else location_ids
    if chosen is None:
        total = sum(levels_by_location.values())
    else:
        total = sum(levels_by_location.get(location, 0) for location in chosen)
    quantity = max(total - settings.inventory_buffer - held, 0)
    if settings.inventory_cap is not None:
        quantity = min(quantity, settings.inventory_cap)
    return min(quantity, MAX_QUANTITY)


@dataclass(frozen=True)
class WarehouseFeed:
    """A seller warehouse of a TikTok shop and the Shopify locations feeding it (None: the link's choice)."""

    warehouse_id: str
    location_ids: tuple[int, ...] | None = None


def desired_inventory(active_levels: Mapping[int, int], every_level: Mapping[int, int], settings: LinkSettings,
                      feeds: Sequence[WarehouseFeed], *, sells_without_stock: bool = False,
                      held: Mapping[str, int] | None = None) -> dict[str, int] | None:
    """What each seller warehouse should hold, the first feed being the shop's default warehouse.

    The one place a link's stock for TikTok is computed (planner, dry run and reconcile all come
    here): mapped Shopify stock less the buffer and the units held per warehouse, within [0, cap].
    A variant Shopify sells whatever its stock gets the fixed quantity in the default warehouse
    (0 elsewhere), or None when the rules say to leave TikTok's stock alone.
    """
    if sells_without_stock:
        if settings.untracked_stock == "leave":
            return None
        return {feed.warehouse_id: (min(settings.untracked_quantity, MAX_QUANTITY) if n == 0 else 0)
                for n, feed in enumerate(feeds)}
    held = held or {}
    quantities = {}
    for feed in feeds:
        if feed.location_ids is not None:
            quantities[feed.warehouse_id] = desired_quantity(every_level, settings, location_ids=feed.location_ids,
                                                             held=held.get(feed.warehouse_id, 0))
        else:
            levels = active_levels if settings.location_ids is None else every_level
            quantities[feed.warehouse_id] = desired_quantity(levels, settings, held=held.get(feed.warehouse_id, 0))
    return quantities


def price_outside_guard_rails(wanted: Decimal, on_tiktok: Decimal | None, settings: LinkSettings,
                              currency: str | None) -> str | None:
    """Why `wanted` (in `currency`, like every amount the reason names) must be confirmed before it goes to
    TikTok, or None when it is within the guard rails."""
    if settings.min_price is not None and wanted < settings.min_price:
        return (f"{amount_text(wanted, currency)} is below the minimum price of "
                f"{amount_text(settings.min_price, currency)}")
    if on_tiktok is not None and on_tiktok > 0 and settings.max_price_drop < 100:
        floor = Decimal(on_tiktok) * (Decimal(100) - settings.max_price_drop) / Decimal(100)
        if wanted < floor:
            drop = ((Decimal(on_tiktok) - wanted) * 100 / Decimal(on_tiktok)).quantize(Decimal(1))
            return (f"{amount_text(wanted, currency)} is {drop}% below the price on TikTok now "
                    f"({amount_text(on_tiktok, currency)}); the most a price may drop "
                    f"without confirmation is {settings.max_price_drop.normalize():f}%")
    return None
