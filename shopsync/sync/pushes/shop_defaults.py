"""A TikTok shop's default link settings: what every link feeding it uses where it has no value of its own."""
from __future__ import annotations

from collections.abc import Mapping
from decimal import Decimal
from typing import Any

from ...extensions import db
from ...models import Integration
from .dirty import mark_shop_dirty
from .rules import clean_settings


def change_defaults(integration: Integration, data: Mapping[str, Any]) -> None:
    """Validate and store the defaults (raises rules.SettingsError, nothing saved); empty values mean the
    built-in default. The shop's links are pushed with the new rules, since those that inherit may change."""
    cleaned = clean_settings(data)
    stored = {name: str(value) if isinstance(value, Decimal) else value
              for name, value in cleaned.items() if value is not None}
    if stored == (integration.defaults or {}):
        return
    integration.defaults = stored
    shops = mark_shop_dirty(integration.tenant_id, integration.id)
    db.session.commit()
    if shops:
        from ...jobs.pushes import request_flush

        request_flush(integration.id, "manual")
