"""Which TikTok shipping provider a Shopify carrier name means, per TikTok shop.

Shopify's carrier names are free text set by whoever fulfils (the merchant, a 3PL app),
so names are compared normalised (case, spaces and punctuation dropped). A merchant maps
them once per shop; names that match a TikTok provider's name are mapped without asking.
"""
from __future__ import annotations

import re

from sqlalchemy import select

from ...extensions import db
from ...models import CarrierMapping, Integration
from ...platforms.tiktok.fulfillment import ShippingProvider


def normalise(name: str | None) -> str:
    return re.sub(r"[^a-z0-9]", "", (name or "").lower())


def mapped_provider(integration: Integration, carrier: str | None) -> CarrierMapping | None:
    key = normalise(carrier)
    if not key:
        return None
    return db.session.execute(select(CarrierMapping).where(
        CarrierMapping.tenant_id == integration.tenant_id, CarrierMapping.tiktok_integration_id == integration.id,
        CarrierMapping.shopify_carrier == key)).scalar_one_or_none()


def matching_provider(carrier: str | None, providers: list[ShippingProvider]) -> ShippingProvider | None:
    """The provider whose name is the carrier's, normalised; None when none or several match."""
    key = normalise(carrier)
    found = [provider for provider in providers if key and normalise(provider.name) == key]
    return found[0] if len(found) == 1 else None


def save_mapping(integration: Integration, carrier: str, provider: ShippingProvider) -> CarrierMapping:
    mapping = mapped_provider(integration, carrier)
    if mapping is None:
        mapping = CarrierMapping(tenant_id=integration.tenant_id, tiktok_integration_id=integration.id,
                                 shopify_carrier=normalise(carrier))
        db.session.add(mapping)
    mapping.tiktok_provider_id = provider.id
    mapping.tiktok_provider_name = provider.name[:255]
    return mapping
