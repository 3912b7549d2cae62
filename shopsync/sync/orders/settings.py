"""A TikTok shop's order settings (integrations.order_settings), with safe defaults for what is unset.

Pure: no database. Stored values are cleaned on the way in (`clean_order_settings`),
so what is stored is always usable; unknown keys are dropped.
"""
from __future__ import annotations

from dataclasses import asdict, dataclass, replace
from typing import Any, Mapping

from ...inputs import InvalidInput, row_id
from ..pushes.rules import SettingsError

AT_ONCE = "at_once"
AFTER_HOLD = "after_hold"
CREATE_MODES = {
    AT_ONCE: "Create the Shopify order at once, its fulfilment on hold while TikTok holds the order",
    AFTER_HOLD: "Wait until TikTok's hold ends, then create the Shopify order",
}
RESTOCK = "restock"
NO_RESTOCK = "no_restock"
RETURN_POLICIES = {
    NO_RESTOCK: "Record the refund; restock returned units by hand after checking them",
    RESTOCK: "Restock returned units as soon as TikTok completes the return",
}
MAX_TAG = 40


@dataclass(frozen=True)
class OrderSettings:
    import_orders: bool = True
    create_mode: str = AT_ONCE
    # Where FBT orders are recorded as fulfilled from; None = the store's first active location.
    location_id: int | None = None
    tag: str = "TikTok Shop"
    return_policy: str = NO_RESTOCK

    @classmethod
    def of(cls, stored: Mapping[str, Any] | None) -> "OrderSettings":
        return replace(cls(), **clean_order_settings(stored or {}, strict=False))

    def as_dict(self) -> dict:
        return asdict(self)


def clean_order_settings(values: Mapping[str, Any], strict: bool = True) -> dict:
    """Known keys with usable values; with strict, SettingsError names each bad one instead of dropping it."""
    clean, errors = {}, {}
    if "import_orders" in values:
        clean["import_orders"] = _bool(values["import_orders"])
    if "create_mode" in values:
        if values["create_mode"] in CREATE_MODES:
            clean["create_mode"] = values["create_mode"]
        else:
            errors["create_mode"] = "choose one of " + ", ".join(CREATE_MODES)
    if "location_id" in values:
        location = values["location_id"]
        if location in (None, ""):
            clean["location_id"] = None
        else:
            try:
                clean["location_id"] = row_id(location)
            except InvalidInput:
                errors["location_id"] = "must be a Shopify location of this store"
    if "tag" in values:
        tag = str(values["tag"] or "").strip()
        if len(tag) <= MAX_TAG and "," not in tag and "\x00" not in tag:
            clean["tag"] = tag
        else:
            errors["tag"] = f"one tag of at most {MAX_TAG} characters, without commas"
    if "return_policy" in values:
        if values["return_policy"] in RETURN_POLICIES:
            clean["return_policy"] = values["return_policy"]
        else:
            errors["return_policy"] = "choose one of " + ", ".join(RETURN_POLICIES)
    if errors and strict:
        raise SettingsError(errors)
    return clean


def _bool(value: Any) -> bool:
    if isinstance(value, bool):
        return value
    return str(value).strip().lower() in {"1", "true", "yes", "on"}
