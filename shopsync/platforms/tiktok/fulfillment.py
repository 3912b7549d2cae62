"""Shipping a TikTok order the seller ships themselves: mark its units shipped with a tracking number,
and the shipping providers TikTok accepts for the order's delivery option (tiktok-orders-listings.md §C)."""
from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass

from shopsync.platforms.tiktok.client import TikTokClient

# TikTok's tracking number rule (stated for the update call; the ship call is assumed to share it).
TRACKING_NUMBER = re.compile(r"^[A-Za-z0-9\-_./]{4,50}$")


@dataclass(frozen=True)
class ShippedPackage:
    package_id: str | None
    line_item_ids: tuple[str, ...]
    warning: str | None  # TikTok accepted the number but doubts it matches the carrier


@dataclass(frozen=True)
class ShippingProvider:
    id: str
    name: str


def mark_package_shipped(client: TikTokClient, order_id: str, tracking_number: str, provider_id: str,
                         line_item_ids: Iterable[str]) -> ShippedPackage:
    """Mark these units (TikTok line item ids) of the order shipped; a subset splits them into a package."""
    body = {"tracking_number": tracking_number, "shipping_provider_id": str(provider_id),
            "order_line_item_ids": [str(line_id) for line_id in line_item_ids]}
    answer = client.post(f"/fulfillment/202309/orders/{order_id}/packages", body)
    warning = (answer.data.get("warning") or {}).get("message") or None
    return ShippedPackage(package_id=str(answer.data["package_id"]) if answer.data.get("package_id") else None,
                          line_item_ids=tuple(str(i) for i in answer.data.get("order_line_item_ids") or ()),
                          warning=warning)


def shipping_providers(client: TikTokClient, delivery_option_id: str) -> list[ShippingProvider]:
    answer = client.get(f"/logistics/202309/delivery_options/{delivery_option_id}/shipping_providers")
    return [ShippingProvider(id=str(p["id"]), name=str(p.get("name") or p["id"]))
            for p in answer.data.get("shipping_providers") or () if p.get("id")]
