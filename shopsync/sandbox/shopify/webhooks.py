"""Outgoing webhooks: REST-shaped payloads, HMAC-signed POSTs from a background delivery thread.

Deliveries are at least once and may be duplicated, shuffled, delayed or held back on request,
because that is what ShopSync must cope with from the real Shopify.
"""
from __future__ import annotations

import base64
import hashlib
import hmac
import json
import random
import threading
import time
import uuid
from dataclasses import dataclass, field
from datetime import datetime, timezone
from typing import Callable

import requests

from .store import Product, Shop, Variant, gid, iso, money


def topic_name(enum_value: str) -> str:
    """PRODUCTS_UPDATE -> products/update, INVENTORY_LEVELS_UPDATE -> inventory_levels/update."""
    resource, _, action = enum_value.lower().rpartition("_")
    return f"{resource}/{action}"


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
        "inventory_policy": "deny",
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
        "body_html": f"<p>{product.title}</p>",
        "vendor": product.vendor,
        "product_type": product.product_type,
        "status": product.status.lower(),
        "tags": "",
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


def shop_payload(shop: Shop) -> dict:
    return {"id": shop.id, "name": shop.name, "email": f"owner@{shop.domain}", "domain": shop.domain,
            "myshopify_domain": shop.domain, "currency": shop.currency_code, "plan_name": "basic"}


@dataclass
class Delivery:
    shop: str
    topic: str
    uri: str
    body: bytes
    webhook_id: str
    event_id: str
    triggered_at: str
    attempt: int = 0
    not_before: float = 0.0


@dataclass
class DeliveryControls:
    copies: int = 1  # each delivery is sent this many times
    shuffle: bool = False
    delay: float = 0.0  # seconds before each send
    paused: bool = False


@dataclass
class Outbox:
    secret: str
    api_version: str
    retry_delays: tuple[float, ...] = (0.05, 0.1, 0.2, 0.4, 0.8, 1.0, 1.0, 1.0)  # 8 retries, as Shopify
    seed: int = 1
    controls: DeliveryControls = field(default_factory=DeliveryControls)
    attempts: list[dict] = field(default_factory=list)  # every POST made, newest last

    def __post_init__(self):
        self._queue: list[Delivery] = []
        self._in_flight = 0
        self._cond = threading.Condition()
        self._rng = random.Random(self.seed)
        self._thread: threading.Thread | None = None
        self._session = requests.Session()

    def publish(self, shop: str, topic: str, payload: dict, uris: list[str]) -> None:
        """One event to every subscribed uri; copies share the webhook and event ids (a redelivery)."""
        if not uris:
            return
        body = json.dumps(payload, separators=(",", ":"), ensure_ascii=False).encode("utf-8")
        event_id = str(uuid.uuid4())
        triggered_at = datetime.now(timezone.utc).isoformat(timespec="microseconds").replace("+00:00", "Z")
        with self._cond:
            for uri in uris:
                webhook_id = str(uuid.uuid4())
                for _ in range(max(1, self.controls.copies)):
                    self._queue.append(Delivery(shop, topic, uri, body, webhook_id, event_id, triggered_at))
            self._start()
            self._cond.notify_all()

    def set_controls(self, **changes) -> DeliveryControls:
        with self._cond:
            for name, value in changes.items():
                if value is not None:
                    setattr(self.controls, name, type(getattr(self.controls, name))(value))
            self._cond.notify_all()
            return self.controls

    def release(self) -> None:
        self.set_controls(paused=False)

    def drop(self, shop: str | None = None) -> int:
        """Forget the deliveries still queued (of one shop, or all): webhooks Shopify never got through."""
        with self._cond:
            kept = [d for d in self._queue if shop is not None and d.shop != shop]
            dropped = len(self._queue) - len(kept)
            self._queue[:] = kept
            self._cond.notify_all()
            return dropped

    def pending(self) -> int:
        with self._cond:
            return len(self._queue) + self._in_flight

    def wait_until_drained(self, timeout: float = 10.0) -> bool:
        deadline = time.monotonic() + timeout
        with self._cond:
            while self._queue or self._in_flight:
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    return False
                self._cond.wait(min(remaining, 0.05))
            return True

    def _start(self) -> None:
        if self._thread is None or not self._thread.is_alive():
            self._thread = threading.Thread(target=self._run, name="shopify-sandbox-webhooks", daemon=True)
            self._thread.start()

    def _next(self) -> Delivery:
        with self._cond:
            while True:
                moment = time.monotonic()
                ready = [d for d in self._queue if d.not_before <= moment] if not self.controls.paused else []
                if ready:
                    chosen = self._rng.choice(ready) if self.controls.shuffle else ready[0]
                    self._queue.remove(chosen)
                    self._in_flight += 1
                    return chosen
                self._cond.wait(0.05)

    def _run(self) -> None:
        while True:
            delivery = self._next()
            try:
                if self.controls.delay:
                    time.sleep(self.controls.delay)
                self._send(delivery)
            finally:
                with self._cond:
                    self._in_flight -= 1
                    self._cond.notify_all()

    def _send(self, delivery: Delivery) -> None:
        headers = {
            "Content-Type": "application/json",
            "User-Agent": "Shopify-Captain-Hook",
            "X-Shopify-Topic": delivery.topic,
            "X-Shopify-Hmac-Sha256": sign(self.secret, delivery.body),
            "X-Shopify-Shop-Domain": delivery.shop,
            "X-Shopify-API-Version": self.api_version,
            "X-Shopify-Webhook-Id": delivery.webhook_id,
            "X-Shopify-Event-Id": delivery.event_id,
            "X-Shopify-Triggered-At": delivery.triggered_at,
        }
        try:
            status = self._session.post(delivery.uri, data=delivery.body, headers=headers, timeout=5).status_code
        except requests.RequestException as error:
            status = None
            outcome = type(error).__name__
        else:
            outcome = "delivered" if 200 <= status < 300 else "failed"
        with self._cond:
            self.attempts.append({"shop": delivery.shop, "topic": delivery.topic, "uri": delivery.uri,
                                  "webhook_id": delivery.webhook_id, "event_id": delivery.event_id,
                                  "attempt": delivery.attempt + 1, "status": status, "outcome": outcome,
                                  "at": time.time()})
            if outcome != "delivered" and delivery.attempt < len(self.retry_delays):
                delivery.not_before = time.monotonic() + self.retry_delays[delivery.attempt]
                delivery.attempt += 1
                self._queue.append(delivery)
