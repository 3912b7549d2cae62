"""Shopify's outgoing webhooks: REST-shaped payloads and the signed headers they travel with."""
from __future__ import annotations

import base64
import hashlib
import hmac
from typing import Callable

from shopsync.sandbox.outbox import Delivery

from .store import Product, Shop, Variant, gid, iso, money


_RESOURCES = ("fulfillment_orders", "fulfillment_events", "inventory_levels", "inventory_items", "bulk_operations",
              "order_transactions", "draft_orders", "app_subscriptions", "app_purchases_one_time")


def topic_name(enum_value: str) -> str:
    """PRODUCTS_UPDATE -> products/update, INVENTORY_LEVELS_UPDATE -> inventory_levels/update,
    ORDERS_PARTIALLY_FULFILLED -> orders/partially_fulfilled."""
    lowered = enum_value.lower()
    resource = next((r for r in _RESOURCES if lowered.startswith(r + "_")), lowered.partition("_")[0])
    return f"{resource}/{lowered[len(resource) + 1:]}"


def sign(secret: str, body: bytes) -> str:
    return base64.b64encode(hmac.new(secret.encode(), body, hashlib.sha256).digest()).decode()


def _variant_payload(product: Product, variant: Variant) -> dict:
    return {
        "id": variant.id,
        "admin_graphql_api_id": gid("ProductVariant", variant.id),
        "product_id": product.id,
        "title": variant.title,
        "sku": variant.sku,
        "barcode": variant.barcode,
        "price": money(variant.price),
        "compare_at_price": money(variant.compare_at_price),
        "position": variant.position,
        "inventory_item_id": variant.inventory_item_id,
        "inventory_quantity": variant.inventory_quantity,
        "inventory_policy": variant.inventory_policy.lower(),
        "option1": variant.title,
        "option2": None,
        "option3": None,
        "created_at": iso(product.created_at),
        "updated_at": iso(variant.updated_at),
    }


def product_payload(product: Product, image_url: Callable[[int], str]) -> dict:
    images = [
        {"id": image_id, "admin_graphql_api_id": gid("ProductImage", image_id), "product_id": product.id,
         "position": position, "src": image_url(image_id), "width": 800, "height": 800,
         "alt": f"{product.title} image {position}", "variant_ids": []}
        for position, image_id in enumerate(product.image_ids, 1)
    ]
    return {
        "id": product.id,
        "admin_graphql_api_id": gid("Product", product.id),
        "title": product.title,
        "handle": product.handle,
        "body_html": product.description_html or f"<p>{product.title}</p>",
        "vendor": product.vendor,
        "product_type": product.product_type,
        "status": product.status.lower(),
        "tags": ", ".join(product.tags),
        "created_at": iso(product.created_at),
        "updated_at": iso(product.updated_at),
        "published_at": iso(product.created_at) if product.status == "ACTIVE" else None,
        "variants": [_variant_payload(product, v) for v in product.variants],
        "options": [{"name": "Option", "position": 1, "product_id": product.id,
                     "values": [v.title for v in product.variants]}],
        "images": images,
        "image": images[0] if images else None,
    }


def inventory_level_payload(variant: Variant, location_id: int) -> dict:
    return {
        "inventory_item_id": variant.inventory_item_id,
        "location_id": location_id,
        "available": variant.levels.get(location_id) if variant.tracked else None,
        "updated_at": iso(variant.updated_at),
        "admin_graphql_api_id":
            f"gid://shopify/InventoryLevel/{location_id}?inventory_item_id={variant.inventory_item_id}",
    }


def inventory_item_payload(variant: Variant) -> dict:
    return {"id": variant.inventory_item_id, "sku": variant.sku, "tracked": variant.tracked,
            "requires_shipping": True, "cost": None, "country_code_of_origin": None,
            "created_at": iso(variant.updated_at), "updated_at": iso(variant.updated_at),
            "admin_graphql_api_id": f"gid://shopify/InventoryItem/{variant.inventory_item_id}"}


def shop_payload(shop: Shop) -> dict:
    return {"id": shop.id, "name": shop.name, "email": f"owner@{shop.domain}", "domain": shop.domain,
            "myshopify_domain": shop.domain, "currency": shop.currency_code, "plan_name": "basic"}


def shopify_headers(secret: str, api_version: str) -> Callable[[Delivery], dict]:
    def headers(delivery: Delivery) -> dict:
        return {
            "Content-Type": "application/json",
            "User-Agent": "Shopify-Captain-Hook",
            "X-Shopify-Topic": delivery.topic,
            "X-Shopify-Hmac-Sha256": sign(secret, delivery.body),
            "X-Shopify-Shop-Domain": delivery.shop,
            "X-Shopify-API-Version": api_version,
            "X-Shopify-Webhook-Id": delivery.webhook_id,
            "X-Shopify-Event-Id": delivery.event_id,
            "X-Shopify-Triggered-At": delivery.triggered_at,
        }
    return headers
