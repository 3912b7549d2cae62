"""Shopify webhook deliveries: HMAC check on the raw body, topics, payload parsing.

Payloads are REST-shaped (snake_case, numeric ids, prices as strings); parsing
turns them into the same catalog rows the importer gets from GraphQL.
"""
from __future__ import annotations

import base64
import hashlib
import hmac
import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime

from shopsync.platforms.shopify.catalog import (
    ImageRow,
    InventoryLevelRow,
    ProductRow,
    VariantRow,
    parse_datetime,
    parse_gid,
    parse_money,
    policy_name,
)

# GraphQL WebhookSubscriptionTopic -> the X-Shopify-Topic value deliveries carry.
WEBHOOK_TOPICS = {
    "PRODUCTS_CREATE": "products/create",
    "PRODUCTS_UPDATE": "products/update",
    "PRODUCTS_DELETE": "products/delete",
    "INVENTORY_LEVELS_UPDATE": "inventory_levels/update",
    # Product payloads no longer say whether a variant's stock is tracked; its inventory item's do.
    "INVENTORY_ITEMS_UPDATE": "inventory_items/update",
    "APP_UNINSTALLED": "app/uninstalled",
    "BULK_OPERATIONS_FINISH": "bulk_operations/finish",
}
# Subscribed once the store granted the order permissions (fulfilments need read_fulfillments).
ORDER_WEBHOOK_TOPICS = {
    "FULFILLMENTS_CREATE": "fulfillments/create",
    "FULFILLMENTS_UPDATE": "fulfillments/update",
}


def verify_webhook_hmac(raw_body: bytes, header_value: str | None, secret: str) -> bool:
    """X-Shopify-Hmac-Sha256 is base64 HMAC-SHA256 of the exact body bytes."""
    if not header_value or not secret:
        return False
    digest = hmac.new(secret.encode(), raw_body, hashlib.sha256).digest()
    return hmac.compare_digest(base64.b64encode(digest), header_value.encode())


def verify_webhook_hmac_any(raw_body: bytes, header_value: str | None,
                            secrets: Iterable[str]) -> bool:
    """For the hour after a secret rotation, when either secret may sign."""
    return any(verify_webhook_hmac(raw_body, header_value, s) for s in secrets if s)


@dataclass(frozen=True)
class WebhookDelivery:
    topic: str
    shop_domain: str
    api_version: str | None
    webhook_id: str | None  # this delivery; same across its retries
    event_id: str | None  # the event; same across duplicate deliveries
    triggered_at: datetime | None

    @classmethod
    def from_headers(cls, headers: Mapping[str, str]) -> "WebhookDelivery":
        """Needs a case-insensitive mapping such as Flask's request.headers."""
        triggered = headers.get("X-Shopify-Triggered-At")
        return cls(topic=headers.get("X-Shopify-Topic", ""),
                   shop_domain=headers.get("X-Shopify-Shop-Domain", ""),
                   api_version=headers.get("X-Shopify-API-Version"),
                   webhook_id=headers.get("X-Shopify-Webhook-Id"),
                   event_id=headers.get("X-Shopify-Event-Id"),
                   triggered_at=parse_datetime(triggered) if triggered else None)


@dataclass(frozen=True)
class ProductPayload:
    product: ProductRow
    variants: list[VariantRow]
    images: list[ImageRow]


@dataclass(frozen=True)
class ProductDeleted:
    product_id: int


@dataclass(frozen=True)
class BulkOperationFinished:
    bulk_operation_id: str  # GID, as bulk.wait_for_bulk and node(id:) take it
    status: str  # completed | failed | canceled
    error_code: str | None
    type: str
    completed_at: datetime | None


@dataclass(frozen=True)
class AppUninstalled:
    shop_id: int
    myshopify_domain: str | None


# Topics whose body names the shop it is about, and the field that names it.
SHOP_NAMED_IN_BODY = {
    "app/uninstalled": "myshopify_domain",
    "customers/data_request": "shop_domain",
    "customers/redact": "shop_domain",
    "shop/redact": "shop_domain",
}


def body_names_its_shop(topic: str, raw_body: bytes, shop_domain: str) -> bool:
    """For topics whose body names a shop: does it name the shop of X-Shopify-Shop-Domain?

    The signature proves Shopify sent the body, not that the header beside it belongs to it;
    a body of one shop sent with another shop's header must not act on the other shop.
    True for every other topic.
    """
    field = SHOP_NAMED_IN_BODY.get(topic)
    if field is None:
        return True
    try:
        named = json.loads(raw_body).get(field)
    except (ValueError, AttributeError, RecursionError):
        return False
    return isinstance(named, str) and named.lower() == shop_domain.lower()


def _tags(value) -> tuple[str, ...]:
    if isinstance(value, list):
        return tuple(value)
    return tuple(t.strip() for t in (value or "").split(",") if t.strip())


def parse_product_payload(payload: dict) -> ProductPayload:
    """products/create and products/update bodies."""
    product_id = int(payload["id"])
    product = ProductRow(
        id=product_id,
        title=payload["title"],
        handle=payload.get("handle"),
        status=(payload.get("status") or "active").lower(),
        vendor=payload.get("vendor"),
        product_type=payload.get("product_type"),
        description_html=payload.get("body_html"),
        tags=_tags(payload.get("tags")),
        updated_at=parse_datetime(payload.get("updated_at")),
    )
    variants = [VariantRow(
        id=int(v["id"]),
        product_id=product_id,
        title=v.get("title"),
        sku=v.get("sku") or None,
        barcode=v.get("barcode") or None,
        price=parse_money(v.get("price")),
        compare_at_price=parse_money(v.get("compare_at_price")),
        inventory_item_id=v.get("inventory_item_id"),
        inventory_quantity=v.get("inventory_quantity"),
        position=v.get("position"),
        updated_at=parse_datetime(v.get("updated_at")),
        # Product payloads carry the policy; whether Shopify tracks the stock is on the inventory item only.
        inventory_policy=policy_name(v.get("inventory_policy")),
    ) for v in payload.get("variants") or ()]
    images = [ImageRow(id=int(i["id"]), product_id=product_id, url=i["src"], alt=i.get("alt"),
                       width=i.get("width"), height=i.get("height"),
                       position=i.get("position") or n)
              for n, i in enumerate(payload.get("images") or (), start=1)]
    return ProductPayload(product=product, variants=variants, images=images)


def parse_product_deleted(payload: dict) -> ProductDeleted:
    return ProductDeleted(product_id=int(payload["id"]))


def parse_inventory_level(payload: dict) -> InventoryLevelRow:
    """inventory_levels/update (and connect/disconnect) bodies."""
    return InventoryLevelRow(inventory_item_id=int(payload["inventory_item_id"]),
                             location_id=int(payload["location_id"]),
                             available=payload.get("available"),
                             updated_at=parse_datetime(payload.get("updated_at")))


def parse_inventory_item_id(payload: dict) -> int:
    """inventory_items/update bodies: `{id, sku, tracked, updated_at, ...}`; the id is what is read back."""
    return int(payload["id"])


def parse_bulk_operation_finished(payload: dict) -> BulkOperationFinished:
    gid = payload["admin_graphql_api_id"]
    parse_gid(gid)
    return BulkOperationFinished(bulk_operation_id=gid, status=payload["status"].lower(),
                                 error_code=payload.get("error_code"),
                                 type=payload.get("type", "query"),
                                 completed_at=parse_datetime(payload.get("completed_at")))


def parse_app_uninstalled(payload: dict) -> AppUninstalled:
    return AppUninstalled(shop_id=int(payload["id"]),
                          myshopify_domain=payload.get("myshopify_domain"))
