"""TikTokSandbox: everything the simulated TikTok Shop knows, in memory, behind one lock."""
from __future__ import annotations

import itertools
import secrets
import threading
import time
from dataclasses import dataclass, field
from typing import Any, Callable, Mapping

from limits import RateLimitItemPerSecond
from limits.storage import MemoryStorage
from limits.strategies import MovingWindowRateLimiter

from shopsync.sandbox.tiktok import buying
from shopsync.sandbox.tiktok.catalog import (IdSequence, Product, Seller, Shop, Sku, Warehouse, add_generated_products,
                                             demo_seller)
from shopsync.sandbox.tiktok.events import Events
from shopsync.sandbox.tiktok.faults import Faults
from shopsync.sandbox.tiktok.listing_desk import ListingDesk
from shopsync.sandbox.tiktok.orders import Order

DAY = 86_400
DEFAULTS = {
    "tiktok_app_key": "sandbox-tiktok-key",
    "tiktok_app_secret": "sandbox-tiktok-secret",
    "tiktok_service_id": "7000000000000000001",
    "tiktok_redirect_uri": "http://127.0.0.1:5000/tiktok/callback",
    "tiktok_access_token_lifetime": 7 * DAY,
    "tiktok_refresh_token_lifetime": 365 * DAY,
    "tiktok_auth_code_lifetime": 300,
    "tiktok_qps": 50,  # per API and shop
    "tiktok_timeout_fault_seconds": 3.0,
    "tiktok_fault_seed": 0,
    "tiktok_scopes": ["seller.authorization.info", "seller.product.basic", "seller.product.write",
                      "seller.logistics", "seller.order.info", "seller.fulfillment.basic",
                      "seller.return_refund.basic", "seller.webhook"],
    # Orders: TikTok's one-hour ON_HOLD and its webhook retries (2 min, 30 min, 3 h, 12 h) are kept in
    # shape but shortened to seconds, so a demo or a test sees them happen.
    "tiktok_payment_seconds": 0.0,
    "tiktok_on_hold_seconds": 15.0,
    "tiktok_fbt_ship_seconds": 5.0,
    "tiktok_webhook_retry_delays": (2.0, 30.0, 180.0, 720.0),
}


@dataclass
class Grant:
    """Who a code or token speaks for, and until when."""
    open_id: str
    expires_at: float


@dataclass
class Call:
    method: str
    path: str
    shop_id: str | None
    query: dict
    body: Any
    timestamp: float
    code: int | None = None
    http_status: int | None = None
    pairs: list = field(default_factory=list)  # the query as sent, repeated keys included (what is signed)
    full_path: str = ""  # the whole path the client reached (with the sandbox's mount prefix)
    raw_body: bytes = field(default=b"", repr=False)  # for multipart uploads; not kept once judged
    content_type: str = ""

    def as_json(self) -> dict:
        return {"method": self.method, "path": self.path, "shop_id": self.shop_id, "query": self.query,
                "body": self.body, "timestamp": self.timestamp, "code": self.code,
                "http_status": self.http_status}


class TikTokSandbox:
    def __init__(self, settings: Mapping[str, Any] | None = None, clock: Callable[[], float] = time.time):
        self.settings = {**DEFAULTS, **{k: v for k, v in (settings or {}).items() if v is not None}}
        self.clock = clock
        self.lock = threading.RLock()
        self.events = Events(self.settings["tiktok_app_key"], self.settings["tiktok_app_secret"],
                             tuple(self.settings["tiktok_webhook_retry_delays"]),
                             seed=int(self.settings["tiktok_fault_seed"]))
        self._wake = threading.Event()
        self._clockwork: threading.Thread | None = None
        self.reset()

    # ---- state -------------------------------------------------------------------------------------
    def reset(self) -> None:
        with self.lock:
            self._product_ids = IdSequence(1_729_000_000_000_000_001)
            self._sku_ids = IdSequence(1_731_000_000_000_000_001)
            self.seller: Seller = demo_seller(self._product_ids, self._sku_ids)
            self.codes: dict[str, Grant] = {}
            self.access_tokens: dict[str, Grant] = {}
            self.refresh_tokens: dict[str, Grant] = {}
            self.faults = Faults(int(self.settings["tiktok_fault_seed"]))
            self.recorded: list[Call] = []
            self._request_numbers = itertools.count(1)
            self._throttle = MovingWindowRateLimiter(MemoryStorage())
            self._qps = RateLimitItemPerSecond(int(self.settings["tiktok_qps"]), 1)
            self.book = buying.OrderBook()
            self.events.reset()
            if getattr(self, "listing_desk", None):
                self.listing_desk.cancel_timers()
            self.listing_desk = ListingDesk(self.settings, self.clock)

    @property
    def shops(self) -> list[Shop]:
        return self.seller.shops

    def shop(self, shop_id: str) -> Shop:
        return next(s for s in self.shops if s.id == shop_id)

    def shop_by_cipher(self, cipher: str) -> Shop | None:
        return next((s for s in self.shops if s.cipher == cipher), None)

    def find_product(self, product_id: str) -> tuple[Shop, Product]:
        for shop in self.shops:
            if product_id in shop.products:
                return shop, shop.products[product_id]
        raise KeyError(product_id)

    def find_sku(self, sku_id: str) -> tuple[Shop, Product, Sku]:
        for shop in self.shops:
            for product in shop.products.values():
                for sku in product.skus:
                    if sku.id == sku_id:
                        return shop, product, sku
        raise KeyError(sku_id)

    def sku_state(self, sku_id: str) -> dict:
        """What TikTok would show for this SKU now: price, currency and stock per warehouse."""
        with self.lock:
            shop, product, sku = self.find_sku(sku_id)
            return {"sku_id": sku.id, "seller_sku": sku.seller_sku, "product_id": product.id, "shop_id": shop.id,
                    "price": str(sku.price), "currency": shop.currency, "inventory": dict(sku.inventory)}

    def generate_catalog(self, shop_id: str, sku_count: int, skus_per_product: int = 5, seed: int = 11) -> int:
        with self.lock:
            return add_generated_products(self.shop(shop_id), self._product_ids, self._sku_ids, sku_count,
                                          seed=seed, skus_per_product=skus_per_product)

    def set_sku_inventory(self, sku_id: str, quantities: Mapping[str, int]) -> dict:
        """Change a SKU's stock as the seller would in TikTok's own Seller Center; returns the SKU's state."""
        with self.lock:
            shop, product, sku = self.find_sku(sku_id)
            unknown = set(quantities) - {w.id for w in shop.warehouses}
            if unknown:
                raise KeyError(f"not a warehouse of shop {shop.id}: {sorted(unknown)}")
            sku.inventory.update({str(w): int(q) for w, q in quantities.items()})
            product.update_time = int(self.clock())
        return self.sku_state(sku_id)

    def add_platform_warehouse(self, shop_id: str, stock: Mapping[str, int] | None = None) -> str:
        """Give a shop a warehouse TikTok fulfils from itself (FBT), holding `stock` (sku id -> units); returns its id."""
        with self.lock:
            shop = self.shop(shop_id)
            warehouse = Warehouse(f"79{shop.id[-6:]}{len(shop.warehouses):011d}", f"{shop.name} FBT warehouse",
                                  "SALES_WAREHOUSE", False, shop.region, platform=True)
            shop.warehouses.append(warehouse)
            for sku_id, quantity in (stock or {}).items():
                self.find_sku(sku_id)[2].inventory[warehouse.id] = int(quantity)
            return warehouse.id

    def set_under_review(self, product_id: str, under_review: bool = True) -> None:
        with self.lock:
            self.find_product(product_id)[1].under_review = under_review

    # ---- orders ------------------------------------------------------------------------------------
    def order(self, order_id: str) -> Order:
        with self.lock:
            order = self.book.orders.get(str(order_id))
            if order is None:
                raise KeyError(f"no order {order_id}")
            return order

    def sell(self, seller_sku: str, quantity: int = 1, **options) -> Order:
        """A buyer's order (see buying.sell); raises buying.OrderError when TikTok would refuse it."""
        with self.lock:
            return buying.sell(self, seller_sku, quantity, **options)

    def run_due(self) -> float | None:
        with self.lock:
            return buying.run_due(self)

    def wake_clockwork(self) -> None:
        """Timed steps (payment, end of hold, TikTok shipping its own orders) run on one background thread."""
        if self._clockwork is None or not self._clockwork.is_alive():
            self._clockwork = threading.Thread(target=self._tick, name="tiktok-sandbox-clockwork", daemon=True)
            self._clockwork.start()
        self._wake.set()

    def _tick(self) -> None:
        while True:
            following = self.run_due()
            self._wake.wait(0.5 if following is None else min(max(following, 0.01), 0.5))
            self._wake.clear()

    # ---- faults and records -----------------------------------------------------------------------
    def set_fault(self, kind: str, count: int = 0, probability: float = 0.0, seed: int | None = None,
                  path: str = "", after: bool = False) -> None:
        with self.lock:
            self.faults.set(kind, count=count, probability=probability, seed=seed, path=path, after=after)

    def clear_faults(self) -> None:
        with self.lock:
            self.faults.clear()

    def calls(self, path: str | None = None, method: str | None = None) -> list[Call]:
        with self.lock:
            return [c for c in self.recorded
                    if (path is None or c.path == path) and (method is None or c.method == method.upper())]

    def clear_calls(self) -> None:
        with self.lock:
            self.recorded.clear()

    def record(self, call: Call) -> None:
        with self.lock:
            self.recorded.append(call)

    def next_request_id(self) -> str:
        stamp = time.strftime("%Y%m%d%H%M%S", time.gmtime(self.clock()))
        return f"{stamp}{next(self._request_numbers):012X}"

    def over_rate(self, key: str) -> bool:
        return not self._throttle.hit(self._qps, key)

    # ---- authorization ----------------------------------------------------------------------------
    def issue_code(self) -> str:
        """What the seller's Approve click produces: a short-lived single-use auth code."""
        with self.lock:
            code = "TTP_" + secrets.token_urlsafe(18)
            expires = self.clock() + float(self.settings["tiktok_auth_code_lifetime"])
            self.codes[code] = Grant(self.seller.open_id, expires)
            return code

    def redeem_code(self, code: str) -> Grant | None:
        with self.lock:
            grant = self.codes.pop(code, None)
            return grant if grant and grant.expires_at > self.clock() else None

    def redeem_refresh_token(self, token: str) -> Grant | None:
        """The grant behind a refresh token, which is used up (tokens rotate), or None when unusable."""
        with self.lock:
            grant = self.refresh_tokens.get(token)
            if grant is None or grant.expires_at <= self.clock():
                return None
            del self.refresh_tokens[token]
            return grant

    def issue_tokens(self, open_id: str) -> dict:
        """Token `data` as TikTok answers it: expiries are absolute unix timestamps."""
        with self.lock:
            now = self.clock()
            access, refresh = "ROW_" + secrets.token_urlsafe(24), "ROW_" + secrets.token_urlsafe(24)
            access_expiry = int(now + float(self.settings["tiktok_access_token_lifetime"]))
            refresh_expiry = int(now + float(self.settings["tiktok_refresh_token_lifetime"]))
            self.access_tokens[access] = Grant(open_id, access_expiry)
            self.refresh_tokens[refresh] = Grant(open_id, refresh_expiry)
            return {"access_token": access, "access_token_expire_in": access_expiry, "refresh_token": refresh,
                    "refresh_token_expire_in": refresh_expiry, "open_id": open_id,
                    "seller_name": self.seller.name, "seller_base_region": self.seller.region, "user_type": 0,
                    "granted_scopes": list(self.settings["tiktok_scopes"])}

    def expire_tokens(self, access_token: str | None = None) -> int:
        """Make one access token (or all) expired now; returns how many."""
        with self.lock:
            targets = [access_token] if access_token else list(self.access_tokens)
            expired = 0
            for token in targets:
                if token in self.access_tokens:
                    self.access_tokens[token].expires_at = self.clock() - 1
                    expired += 1
            return expired
