"""Reading the link settings form (partials/link_settings_fields.html), shared by a link's page, the batch
bar and a TikTok shop's defaults page."""
from __future__ import annotations

from flask import request

from ..inputs import InvalidInput, row_id
from ..sync.pushes.rules import SETTING_NAMES


def settings_input() -> dict:
    """The form's fields as rules.clean_settings takes them; the chosen locations joined by commas."""
    data = {name: request.form.get(name, "") for name in SETTING_NAMES if name != "location_ids"}
    data["location_ids"] = ",".join(request.form.getlist("location_ids"))
    return data


def typed_values(data: dict) -> dict:
    """Form input as typed, so a refused form comes back with what the merchant entered."""
    shown = {**data, "location_ids": [location for location in map(_shown_id, request.form.getlist("location_ids"))
                                      if location is not None]}
    for name in ("sync_price", "sync_inventory"):
        shown[name] = {"yes": True, "no": False}.get(data.get(name, ""))
    return {name: (value if value != "" else None) for name, value in shown.items()}


def _shown_id(value: str) -> int | None:
    try:
        return row_id(value)
    except InvalidInput:
        return None
