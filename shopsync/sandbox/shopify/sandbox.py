"""ShopifySandbox: every simulated shop, token, fault and webhook in one object behind one lock."""
from __future__ import annotations

import hashlib
import hmac
import os
import secrets
import tempfile
import threading
import time
import zlib
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from graphql import GraphQLError

from shopsync.sandbox.demo_catalog import demo_products, generated_products
from shopsync.sandbox.outbox import Outbox

from .bulk import BulkQueryError, Exporter, Plan
from .faults import Fault, FaultPlan
from .graph import Context, Root
from .store import (
    BulkOperation,
    LeakyBucket,
    Product,
    Shop,
    StaffUser,
    Variant,
    demo_locations,
    gid,
    iso,
    now,
    product_from_demo,
)
from .webhooks import (inventory_item_payload, inventory_level_payload, product_payload, shop_payload, shopify_headers,
                       topic_name)

DEFAULTS = {
    "shopify_api_key": "sandbox-shopify-key",
    "shopify_api_secret": "sandbox-shopify-secret",
    "shopify_redirect_uris": [],
    "shopify_bucket_size": 2000,
    "shopify_restore_rate": 100,
    "shopify_webhook_api_version": "2026-10",
    "shopify_code_ttl": 60,
    "shopify_token_ttl": 3600,
    "shopify_online_token_ttl": 86400,
    "shopify_refresh_token_ttl": 90 * 86400,
    "shopify_seed": 1,
    "shopify_public_url": "http://127.0.0.1:5000/sandbox/shopify",
    "shopify_compliance_uri": None,
    "shopify_stock_bumps_product": True,
    "shopify_webhook_retry_delays": (0.05, 0.1, 0.2, 0.4, 0.8, 1.0, 1.0, 1.0),
    "shopify_demo_catalog": True,
    # Orders. A development (or trial) store may create 5 orders a minute; "paid" has no such limit.
    "shopify_plan": "paid",
    "shopify_order_index_lag": 0.0,  # seconds before a new order shows in orders(query:)
    "shopify_cancel_job_seconds": 0.3,  # orderCancel is a job: it completes this long after the call
    "shopify_require_idempotency": True,  # refundCreate without @idempotent is refused (Shopify, from 2026-04)
}
BULK_CONCURRENCY = 5
# Above every id the demo catalog and the shared counter hand out, below 2**53 for 90,000 shops.
SHOP_ID_STRIDE = 100_000_000_000
UNSET: Any = object()


class OAuthError(Exception):
    """Rejected token request; carries Shopify's status and error body."""

    def __init__(self, status: int, error: str, description: str):
        super().__init__(description)
        self.status, self.error, self.description = status, error, description

    def body(self) -> dict:
        return {"error": self.error, "error_description": self.description}


@dataclass(repr=False)
class AccessToken:
    shop: str
    scope: str
    kind: str  # offline | expiring | online
    expires_at: float | None
    user: StaffUser | None = None


@dataclass(repr=False)
class RefreshToken:
    shop: str
    scope: str
    expires_at: float
    replaces: str | None = None  # the previous refresh token, valid until this one is first used


_PRODUCT_DETAILS = frozenset({"description_html", "tags", "option_names", "metafields", "collections"})


class ShopifySandbox:
    def __init__(self, settings: dict | None = None):
        self.settings = {**DEFAULTS, **(settings or {})}
        self.lock = threading.RLock()
        self.shops: dict[str, Shop] = {}
        self.faults = FaultPlan(self.settings["shopify_seed"])
        self.requests: list[dict] = []
        self.base_url = self.settings["shopify_public_url"].rstrip("/")
        self.outbox = Outbox(shopify_headers(self.settings["shopify_api_secret"],
                                             self.settings["shopify_webhook_api_version"]),
                             retry_delays=tuple(self.settings["shopify_webhook_retry_delays"]),
                             seed=self.settings["shopify_seed"], name="shopify-sandbox-webhooks")
        self.bulk_dir = tempfile.mkdtemp(prefix="shopify-sandbox-bulk-")
        self.url_key = secrets.token_bytes(32)
        self._codes: dict[str, dict] = {}
        self._tokens: dict[str, AccessToken] = {}
        self._refresh_tokens: dict[str, RefreshToken] = {}
        self._offline: dict[tuple[str, str], str] = {}
        self._next_id = 1000
        self._shops_made = 0
        self.image_files: dict[int, bytes] = {}  # images given as files; the others are drawn on request
        self._cancelled: set[int] = set()
        self.jobs: dict[int, bool] = {}  # orderCancel jobs: id -> done
        self._short_exports: dict[str, int] = {}  # shop -> products its bulk exports leave out

    def __repr__(self) -> str:
        return f"<ShopifySandbox shops={len(self.shops)}>"

    # -- shops and catalog --------------------------------------------------------------------
    def ensure_shop(self, domain: str) -> Shop:
        with self.lock:
            shop = self.shops.get(domain)
            if shop is None:
                # Shopify's ids are global: each shop's demo rows get a range of their own (the first
                # shop keeps the demo catalog's ids; ids made later come from one shared counter).
                id_offset = self._shops_made * SHOP_ID_STRIDE
                self._shops_made += 1
                shop = Shop(domain=domain, id=zlib.crc32(domain.encode()) + 60_000_000_000,
                            name=domain.split(".")[0].replace("-", " ").title(),
                            bucket=LeakyBucket(self.settings["shopify_bucket_size"],
                                               self.settings["shopify_restore_rate"]),
                            locations=demo_locations(id_offset), id_offset=id_offset,
                            plan=self.settings["shopify_plan"])
                if self.settings["shopify_demo_catalog"]:
                    for index, demo in enumerate(demo_products()):
                        shop.add_product(product_from_demo(demo, index, id_offset))
                self.shops[domain] = shop
            shop.installed = True
            return shop

    def shop(self, domain: str) -> Shop:
        with self.lock:
            return self.shops[domain]

    def load_generated_catalog(self, domain: str, variant_count: int, *, replace: bool = True,
                               variants_per_product: int = 5) -> int:
        """Swap in a synthetic catalog of `variant_count` variants (no webhooks: it is test setup)."""
        with self.lock:
            shop = self.ensure_shop(domain)
            if replace:
                shop.clear_catalog()
            for index, demo in enumerate(generated_products(variant_count,
                                                            variants_per_product=variants_per_product)):
                shop.add_product(product_from_demo(demo, index, shop.id_offset))
            return sum(len(p.variants) for p in shop.products.values())

    def set_price(self, domain: str, variant_id: int, price: Decimal | str,
                  compare_at_price: Decimal | str | None = UNSET) -> Variant:
        with self.lock:
            product, variant = self._variant(domain, variant_id)
            variant.price = Decimal(str(price))
            if compare_at_price is not UNSET:
                variant.compare_at_price = None if compare_at_price is None else Decimal(str(compare_at_price))
            variant.updated_at = product.updated_at = now()
            self.fire(domain, "PRODUCTS_UPDATE", product_payload(product, self._image_url))
            return variant

    def set_inventory_behaviour(self, domain: str, variant_id: int, *, tracked: bool | None = None,
                                policy: str | None = None) -> Variant:
        """Whether Shopify tracks the variant's stock, and whether it sells on when out (DENY | CONTINUE).

        Like Shopify, a change fires products/update (the payload carries the policy); tracking is a
        property of the inventory item, which product payloads no longer carry: inventory_items/update does.
        """
        if policy is not None and policy.upper() not in ("DENY", "CONTINUE"):
            raise ValueError("policy must be DENY or CONTINUE")
        with self.lock:
            product, variant = self._variant(domain, variant_id)
            if tracked is not None:
                variant.tracked = bool(tracked)
            if policy is not None:
                variant.inventory_policy = policy.upper()
            variant.updated_at = product.updated_at = now()
            self.fire(domain, "PRODUCTS_UPDATE", product_payload(product, self._image_url))
            if tracked is not None:
                self.fire(domain, "INVENTORY_ITEMS_UPDATE", inventory_item_payload(variant))
            return variant

    def set_stock(self, domain: str, location_id: int, available: int, *, variant_id: int | None = None,
                  inventory_item_id: int | None = None) -> Variant:
        with self.lock:
            shop = self.shop(domain)
            found = shop.variant(variant_id) if variant_id is not None else \
                shop.variant_by_inventory_item(inventory_item_id)
            if found is None:
                raise KeyError("no such variant or inventory item")
            if location_id not in shop.locations:
                raise KeyError(f"no location {location_id}")
            product, variant = found
            variant.levels[location_id] = int(available)
            self.stock_changed(domain, product, variant, location_id)
            return variant

    def move_stock(self, domain: str, inventory_item_id: int, location_id: int, *, available: int = 0,
                   committed: int = 0) -> None:
        """What an order does to a level: units between available and committed, or in or out of the shop."""
        product, variant = self.shop(domain).variant_by_inventory_item(inventory_item_id)
        variant.levels[location_id] = variant.levels.get(location_id, 0) + available
        variant.committed[location_id] = variant.committed.get(location_id, 0) + committed
        if available:
            self.stock_changed(domain, product, variant, location_id)

    def stock_changed(self, domain: str, product: Product, variant: Variant, location_id: int) -> None:
        variant.updated_at = now()
        self.fire(domain, "INVENTORY_LEVELS_UPDATE", inventory_level_payload(variant, location_id))
        if self.settings["shopify_stock_bumps_product"]:
            product.updated_at = variant.updated_at
            self.fire(domain, "PRODUCTS_UPDATE", product_payload(product, self._image_url))

    def create_product(self, domain: str, title: str, variants: list[dict], *, status: str = "ACTIVE",
                       vendor: str = "ShopSync Demo", product_type: str = "Demo", image_count: int = 1,
                       images: list[bytes] | None = None, **details) -> Product:
        """variants: dicts with title, sku, price, optional barcode, compare_at_price, levels {location: qty},
        options [values], weight (value, unit). `images` are the image files' bytes (else generated ones);
        details: description_html, tags, option_names, metafields {"namespace.key": value}, collections."""
        with self.lock:
            shop = self.shop(domain)
            product_id = self._new_id(8_900_000_000)
            stamp = now()
            image_ids = [self._new_id(36_900_000_000) for _ in range(len(images) if images else image_count)]
            for image_id, content in zip(image_ids, images or ()):
                self.image_files[image_id] = content
            product = Product(
                id=product_id, title=title, handle=title.lower().replace(" ", "-"), status=status.upper(),
                vendor=vendor, product_type=product_type, image_ids=image_ids, variants=[],
                created_at=stamp, updated_at=stamp,
                **{name: value for name, value in details.items() if name in _PRODUCT_DETAILS})
            for position, spec in enumerate(variants, 1):
                product.variants.append(Variant(
                    id=self._new_id(45_900_000_000), product_id=product_id, title=spec.get("title", "Default Title"),
                    sku=spec.get("sku", ""), barcode=spec.get("barcode"), price=Decimal(str(spec.get("price", "0"))),
                    compare_at_price=(Decimal(str(spec["compare_at_price"]))
                                      if spec.get("compare_at_price") is not None else None),
                    position=position, inventory_item_id=self._new_id(47_900_000_000),
                    levels={int(k): int(v) for k, v in (spec.get("levels") or {}).items()}
                    or {location_id: 0 for location_id in shop.locations},
                    updated_at=stamp, options=list(spec.get("options") or [spec.get("title", "Default Title")]),
                    weight=(Decimal(str(spec["weight"][0])), spec["weight"][1]) if spec.get("weight") else None))
            shop.add_product(product)
            self.fire(domain, "PRODUCTS_CREATE", product_payload(product, self._image_url))
            return product

    def update_product(self, domain: str, product_id: int, *, title: str | None = None,
                       status: str | None = None) -> Product:
        with self.lock:
            product = self.shop(domain).products[product_id]
            if title is not None:
                product.title = title
            if status is not None:
                product.status = status.upper()
            product.updated_at = now()
            self.fire(domain, "PRODUCTS_UPDATE", product_payload(product, self._image_url))
            return product

    def delete_product(self, domain: str, product_id: int) -> None:
        with self.lock:
            if self.shop(domain).remove_product(product_id) is None:
                raise KeyError(f"no product {product_id}")
            self.fire(domain, "PRODUCTS_DELETE", {"id": product_id})

    def set_bucket(self, domain: str, *, maximum_available: float | None = None, restore_rate: float | None = None,
                   currently_available: float | None = None) -> dict:
        with self.lock:
            bucket = self.ensure_shop(domain).bucket
            if maximum_available is not None:
                bucket.maximum_available = float(maximum_available)
            if restore_rate is not None:
                bucket.restore_rate = float(restore_rate)
            if currently_available is not None:
                bucket.drain(to=currently_available)
            return bucket.status()

    def set_staff_user(self, domain: str, **fields) -> StaffUser:
        with self.lock:
            shop = self.ensure_shop(domain)
            shop.staff_user = StaffUser(**{**self._default_user(domain).__dict__, **fields})
            return shop.staff_user

    def _default_user(self, domain: str) -> StaffUser:
        return StaffUser(id=zlib.crc32(b"owner:" + domain.encode()) + 100_000_000, first_name="Sandy",
                         last_name="Owner", email=f"owner@{domain}")

    def _variant(self, domain: str, variant_id: int) -> tuple[Product, Variant]:
        found = self.shop(domain).variant(int(variant_id))
        if found is None:
            raise KeyError(f"no variant {variant_id}")
        return found

    def _new_id(self, base: int) -> int:
        self._next_id += 1
        return base + self._next_id

    def _image_url(self, image_id: int) -> str:
        return f"{self.base_url}/_images/{image_id}.png"

    # -- faults and request log ------------------------------------------------------------------
    def add_fault(self, kind: str, **options) -> Fault:
        with self.lock:
            return self.faults.add(Fault(kind, **options))

    def clear_faults(self) -> None:
        with self.lock:
            self.faults.clear()

    def request_log(self, domain: str | None = None) -> list[dict]:
        with self.lock:
            return [dict(entry) for entry in self.requests if domain in (None, entry["shop"])]

    def throttled_requests(self, domain: str | None = None) -> list[dict]:
        return [entry for entry in self.request_log(domain) if entry["throttled"]]

    def clear_request_log(self) -> None:
        with self.lock:
            self.requests.clear()

    def record_request(self, **entry) -> None:
        with self.lock:
            self.requests.append({"at": time.time(), **entry})

    # -- webhooks --------------------------------------------------------------------------------
    def fire(self, domain: str, topic_enum: str, payload: dict) -> None:
        shop = self.shops.get(domain)
        if shop is None:
            return
        uris = [s.uri for s in shop.subscriptions.values() if s.topic == topic_enum]
        self.outbox.publish(domain, topic_name(topic_enum), payload, uris)

    def set_webhook_delivery(self, *, copies: int | None = None, shuffle: bool | None = None,
                             delay: float | None = None, paused: bool | None = None, drop: int | None = None) -> dict:
        return dict(self.outbox.set_controls(copies=copies, shuffle=shuffle, delay=delay, paused=paused,
                                             drop=drop).__dict__)

    def release_webhooks(self) -> None:
        self.outbox.release()

    def wait_for_webhooks(self, timeout: float = 10.0) -> bool:
        """True once every queued delivery (retries included) has been attempted to completion."""
        return self.outbox.wait_until_drained(timeout)

    def webhook_attempts(self, domain: str | None = None) -> list[dict]:
        return self.outbox.attempts_for(domain)

    def uninstall(self, domain: str) -> None:
        """The merchant removes the app: tokens die at once, then app/uninstalled is sent."""
        with self.lock:
            shop = self.shop(domain)
            shop.installed = False
            for token in [t for t, record in self._tokens.items() if record.shop == domain]:
                del self._tokens[token]
            for token in [t for t, record in self._refresh_tokens.items() if record.shop == domain]:
                del self._refresh_tokens[token]
            self._offline = {k: v for k, v in self._offline.items() if k[0] != domain}
            self.fire(domain, "APP_UNINSTALLED", shop_payload(shop))

    def send_compliance(self, domain: str, topic: str, uri: str | None = None, payload: dict | None = None) -> None:
        """customers/data_request, customers/redact or shop/redact to the app's configured compliance uri."""
        uri = uri or self.settings["shopify_compliance_uri"]
        if not uri:
            raise ValueError("no compliance uri: pass one or set shopify_compliance_uri")
        with self.lock:
            shop = self.ensure_shop(domain)
            body = {"shop_id": shop.id, "shop_domain": domain}
            if topic == "customers/data_request":
                body.update(orders_requested=[], customer={"id": 1, "email": "c@example.com", "phone": None},
                            data_request={"id": 1})
            elif topic == "customers/redact":
                body.update(customer={"id": 1, "email": "c@example.com", "phone": None}, orders_to_redact=[])
            elif topic != "shop/redact":
                raise ValueError(f"unknown compliance topic {topic!r}")
            self.outbox.publish(domain, topic, payload or body, [uri])

    # -- OAuth ----------------------------------------------------------------------------------
    def issue_code(self, domain: str, scope: str, per_user: bool, user: StaffUser | None) -> str:
        code = secrets.token_hex(16)
        with self.lock:
            self.ensure_shop(domain)
            self._codes[code] = {"shop": domain, "scope": scope, "per_user": per_user, "user": user,
                                 "expires": time.time() + self.settings["shopify_code_ttl"]}
        return code

    def _check_client(self, client_id: str, client_secret: str) -> None:
        ok_id = hmac.compare_digest(str(client_id or "").encode(), self.settings["shopify_api_key"].encode())
        ok_secret = hmac.compare_digest(str(client_secret or "").encode(),
                                        self.settings["shopify_api_secret"].encode())
        if not (ok_id and ok_secret):
            raise OAuthError(400, "invalid_client", "Client credentials are invalid")

    def exchange_code(self, domain: str, client_id: str, client_secret: str, code: str, expiring: bool) -> dict:
        self._check_client(client_id, client_secret)
        with self.lock:
            grant = self._codes.pop(code or "", None)
            if grant is None or grant["shop"] != domain or grant["expires"] < time.time():
                raise OAuthError(400, "invalid_request", "The authorization code was not found or was already used")
            if grant["per_user"]:
                return self._online_token(domain, grant["scope"], grant["user"])
            if expiring:
                return self._expiring_token(domain, grant["scope"])
            key = (domain, grant["scope"])
            token = self._offline.get(key)
            if token is None or token not in self._tokens:
                token = "shpat_" + secrets.token_hex(16)
                self._tokens[token] = AccessToken(domain, grant["scope"], "offline", None)
                self._offline[key] = token
            return {"access_token": token, "scope": grant["scope"]}

    def refresh(self, domain: str, client_id: str, client_secret: str, refresh_token: str) -> dict:
        self._check_client(client_id, client_secret)
        with self.lock:
            record = self._refresh_tokens.get(refresh_token or "")
            if record is None or record.shop != domain or record.expires_at < time.time():
                raise OAuthError(400, "invalid_grant", "The refresh token is invalid or has expired")
            if record.replaces:
                self._refresh_tokens.pop(record.replaces, None)
                record.replaces = None
            answer = self._expiring_token(domain, record.scope, replaces=refresh_token)
            return answer

    def migrate_to_expiring(self, domain: str, client_id: str, client_secret: str, subject_token: str) -> dict:
        self._check_client(client_id, client_secret)
        with self.lock:
            record = self._tokens.get(subject_token or "")
            if record is None or record.shop != domain or record.kind != "offline":
                raise OAuthError(400, "invalid_subject_token", "The subject token is invalid")
            del self._tokens[subject_token]
            self._offline = {k: v for k, v in self._offline.items() if v != subject_token}
            return self._expiring_token(domain, record.scope)

    def _expiring_token(self, domain: str, scope: str, replaces: str | None = None) -> dict:
        token, refresh_token = "shpat_" + secrets.token_hex(16), "shprt_" + secrets.token_hex(16)
        ttl, refresh_ttl = self.settings["shopify_token_ttl"], self.settings["shopify_refresh_token_ttl"]
        self._tokens[token] = AccessToken(domain, scope, "expiring", time.time() + ttl)
        self._refresh_tokens[refresh_token] = RefreshToken(domain, scope, time.time() + refresh_ttl, replaces)
        return {"access_token": token, "scope": scope, "expires_in": ttl, "refresh_token": refresh_token,
                "refresh_token_expires_in": refresh_ttl}

    def _online_token(self, domain: str, scope: str, user: StaffUser) -> dict:
        token = "shpua_" + secrets.token_hex(16)
        ttl = self.settings["shopify_online_token_ttl"]
        self._tokens[token] = AccessToken(domain, scope, "online", time.time() + ttl, user)
        return {"access_token": token, "scope": scope, "expires_in": ttl, "associated_user_scope": scope,
                "associated_user": dict(user.__dict__)}

    def authenticate(self, domain: str, token: str | None) -> AccessToken | None:
        with self.lock:
            record = self._tokens.get(token or "")
            if record is None:
                return None
            if record.shop != domain or (record.expires_at is not None and record.expires_at < time.time()):
                return None
            shop = self.shops.get(domain)
            return record if shop is not None and shop.installed else None

    def expire_tokens(self, domain: str, *, refresh_tokens: bool = False) -> int:
        """Make every expiring/online access token of the shop expired (and refresh tokens too if asked)."""
        with self.lock:
            past = time.time() - 1
            hit = 0
            for record in self._tokens.values():
                if record.shop == domain and record.expires_at is not None:
                    record.expires_at, hit = past, hit + 1
            if refresh_tokens:
                for record in self._refresh_tokens.values():
                    if record.shop == domain:
                        record.expires_at = past
            return hit

    def revoke_tokens(self, domain: str) -> None:
        """Like a rotated client secret: every token of the shop stops working."""
        with self.lock:
            for token in [t for t, record in self._tokens.items() if record.shop == domain]:
                del self._tokens[token]

    def narrow_grant(self, domain: str, scope: str) -> None:
        """The shop's tokens (and those their refresh tokens give) carry only `scope` from now on: as when
        an app update asks for a scope the merchant has not approved yet."""
        with self.lock:
            for record in [*self._tokens.values(), *self._refresh_tokens.values()]:
                if record.shop == domain:
                    record.scope = scope

    # -- bulk operations ------------------------------------------------------------------------
    def start_bulk_query(self, ctx: Context, query: str) -> tuple[BulkOperation | None, list[dict]]:
        try:
            plan = Plan(query)
        except BulkQueryError as error:
            return None, [{"field": ["query"], "message": error.message, "code": error.code}]
        shop = ctx.shop
        running = [op for op in shop.bulk_operations.values() if op.status in ("CREATED", "RUNNING", "CANCELING")]
        if len(running) >= BULK_CONCURRENCY:
            return None, [{"field": None, "code": "OPERATION_IN_PROGRESS",
                           "message": "A bulk query operation for this app and shop is already in progress: "
                                      + gid("BulkOperation", running[0].id)}]
        operation = BulkOperation(id=self._new_id(5_000_000_000), query=query)
        shop.bulk_operations[operation.id] = operation
        threading.Thread(target=self._run_bulk, args=(ctx, operation, plan), daemon=True,
                         name=f"shopify-sandbox-bulk-{operation.id}").start()
        return operation, []

    def cancel_bulk(self, shop: Shop, operation_id: int) -> BulkOperation | None:
        operation = shop.bulk_operations.get(operation_id)
        if operation is not None and operation.status in ("CREATED", "RUNNING"):
            operation.status = "CANCELING"
            self._cancelled.add(operation_id)
        return operation

    def _run_bulk(self, ctx: Context, operation: BulkOperation, plan: Plan) -> None:
        with self.lock:
            operation.status = "RUNNING"
            snapshot = Shop(domain=ctx.shop.domain, id=ctx.shop.id, name=ctx.shop.name, bucket=ctx.shop.bucket,
                            currency_code=ctx.shop.currency_code, locations=dict(ctx.shop.locations),
                            subscriptions=dict(ctx.shop.subscriptions))
            left_out = self._short_exports.get(ctx.shop.domain, 0)
            for product in list(ctx.shop.products.values())[left_out:]:
                snapshot.add_product(product)
        name = f"bulk-{operation.id}-{secrets.token_hex(8)}.jsonl"
        path = os.path.join(self.bulk_dir, name)
        exporter = None
        try:
            with open(path, "w", encoding="utf-8", buffering=1 << 20) as out:
                exporter = Exporter(plan, out, cancelled=lambda: operation.id in self._cancelled)
                exporter.run(Root(Context(snapshot, self, ctx.base_url, ctx.api_version, ctx.scopes)))
            failure = None
        except GraphQLError as error:  # a field the token's scopes do not reach
            failure = (error.extensions or {}).get("code") or "INTERNAL_SERVER_ERROR"
        except Exception:  # noqa: BLE001 - any other failure becomes FAILED, like Shopify's INTERNAL_SERVER_ERROR
            failure = "INTERNAL_SERVER_ERROR"
        with self.lock:
            operation.object_count = exporter.object_count if exporter else 0
            operation.root_object_count = exporter.root_object_count if exporter else 0
            operation.file_size = os.path.getsize(path) if os.path.exists(path) else None
            operation.path = path
            url = self.signed_file_url(ctx.base_url, name) if operation.object_count else None
            operation.completed_at = now()
            if operation.id in self._cancelled:
                operation.status = "CANCELED"
                operation.partial_data_url = url
            elif failure:
                operation.status, operation.error_code, operation.partial_data_url = "FAILED", failure, url
            else:
                operation.status, operation.url = "COMPLETED", url
            self.fire(ctx.shop.domain, "BULK_OPERATIONS_FINISH", {
                "admin_graphql_api_id": gid("BulkOperation", operation.id),
                "completed_at": iso(operation.completed_at), "created_at": iso(operation.created_at),
                "error_code": operation.error_code.lower() if operation.error_code else None,
                "status": operation.status.lower(), "type": "query",
            })

    def shorten_exports(self, domain: str, products_left_out: int) -> None:
        """Make this shop's bulk exports leave out their first products (0: complete again): an export that
        completes yet is incomplete, which an importer must not take for deletions."""
        with self.lock:
            self._short_exports[domain] = max(0, int(products_left_out))

    def signed_file_url(self, base_url: str, name: str) -> str:
        expires = int(time.time()) + 7 * 86400
        signature = self.file_signature(name, expires)
        return (f"{base_url}/_bulk/{name}?X-Goog-Algorithm=GOOG4-HMAC-SHA256&X-Goog-Expires=604800"
                f"&Expires={expires}&X-Goog-Signature={signature}")

    def file_signature(self, name: str, expires: int) -> str:
        return hmac.new(self.url_key, f"{name}\n{expires}".encode(), hashlib.sha256).hexdigest()

    def bulk_file(self, name: str, expires: str, signature: str) -> str | None:
        """Path of a result file if the URL's signature is good and not expired."""
        if not expires.isdigit() or int(expires) < time.time():
            return None
        if not hmac.compare_digest(self.file_signature(name, int(expires)), signature or ""):
            return None
        path = os.path.join(self.bulk_dir, os.path.basename(name))
        return path if os.path.exists(path) else None
