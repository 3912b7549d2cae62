"""TikTok Shop catalog reads and the two writes ShopSync makes: stock and price per product."""
from __future__ import annotations

import itertools
import time
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Iterable, Iterator, Mapping

from shopsync.platforms.http import PermanentError, PlatformError, reading_answer
from shopsync.platforms.tiktok.client import TikTokClient, TikTokResponse
from shopsync.platforms.tiktok.errors import error_for

SEARCH_PATH = "/product/202502/products/search"
MAX_PAGE_SIZE = 100
RESULT_WINDOW = 10_000  # one search pages no further than this many results
RESULT_WINDOW_EXCEEDED = 12052180
# Currencies TikTok prices without minor units; every other shop currency takes two decimals.
_WHOLE_UNIT_CURRENCIES = frozenset({"IDR", "JPY", "KRW", "VND"})


@dataclass(frozen=True)
class Shop:
    id: str
    name: str
    region: str
    cipher: str = field(repr=False)
    code: str
    seller_type: str


def is_seller_warehouse(type_: str | None, sub_type: str | None, enabled: bool) -> bool:
    """An enabled sales warehouse the seller ships from: the only kind ShopSync writes stock to.

    Warehouses TikTok fulfils from itself (FBT) are not the seller's to write (12052144); they are
    told apart by their sub_type, and a warehouse missing from the shop's list is never written either.
    """
    return enabled and type_ in (None, "SALES_WAREHOUSE") and "FBT" not in (sub_type or "").upper()


@dataclass(frozen=True)
class Warehouse:
    id: str
    name: str
    type: str
    effect_status: str
    is_default: bool
    sub_type: str = ""

    @property
    def takes_stock(self) -> bool:
        return is_seller_warehouse(self.type, self.sub_type, self.effect_status == "ENABLED")


@dataclass(frozen=True)
class Sku:
    id: str
    seller_sku: str
    price: Decimal | None
    currency: str
    inventory: dict[str, int]  # warehouse id -> quantity
    barcode: str | None = None  # identifier_code (GTIN, EAN, UPC, ISBN) when TikTok sends it


@dataclass(frozen=True)
class Product:
    id: str
    title: str
    status: str
    update_time: int | None
    skus: list[Sku]


@dataclass(frozen=True)
class SkuInventory:
    sku_id: str
    quantities: Mapping[str, int]  # every warehouse of the SKU -> absolute quantity


@dataclass(frozen=True)
class SkuPrice:
    sku_id: str
    amount: Decimal
    currency: str


@dataclass(frozen=True)
class UpdateResult:
    product_id: str
    request_id: str | None
    errors: dict[str, PlatformError]  # sku id -> why TikTok refused that SKU
    sku_ids: tuple[str, ...]

    @property
    def updated(self) -> tuple[str, ...]:
        return tuple(sku_id for sku_id in self.sku_ids if sku_id not in self.errors)


def authorized_shops(client: TikTokClient) -> list[Shop]:
    shops = client.get("/authorization/202309/shops").data.get("shops") or []
    with reading_answer("TikTok Shop"):
        return [Shop(id=_text(s["id"]), name=_text(s.get("name", "")), region=_text(s.get("region", "")),
                     cipher=_text(s["cipher"]), code=_text(s.get("code", "")),
                     seller_type=_text(s.get("seller_type", ""))) for s in shops]


def warehouses(client: TikTokClient) -> list[Warehouse]:
    found = client.get("/logistics/202309/warehouses").data.get("warehouses") or []
    with reading_answer("TikTok Shop"):
        return [Warehouse(id=_text(w["id"]), name=_text(w.get("name", "")), type=_text(w.get("type", "")),
                          effect_status=_text(w.get("effect_status", "")), is_default=bool(w.get("is_default")),
                          sub_type=_text(w.get("sub_type") or ""))
                for w in found]


def _text(value) -> str:
    """An id or name as TikTok sends it (string or number); anything else is a malformed answer."""
    if isinstance(value, bool) or not isinstance(value, (str, int)):
        raise TypeError("expected a string")
    return str(value)


def iter_products(client: TikTokClient, page_size: int = MAX_PAGE_SIZE,
                  update_time_ge: int | None = None) -> Iterator[Product]:
    """Every product of the shop (updated at or after `update_time_ge`), one page in memory at a time.

    TikTok pages no further than RESULT_WINDOW results into one search, so a bigger
    shop is read in update-time windows: a window holding too many products is cut
    in two until each half fits, then read to its end. Windows are read oldest first
    and the newest stays open-ended, so a product updated during the walk moves into
    a window not read yet rather than being missed.
    """
    windows = [(update_time_ge, None)]  # inclusive [ge, le] unix seconds, None = unbounded
    while windows:
        ge, le = windows.pop()
        pages = _search_pages(client, page_size, ge, le)
        first = next(pages)
        with reading_answer("TikTok Shop"):
            total = int(first.get("total_count") or 0)
        if total > RESULT_WINDOW:
            pages.close()
            earlier, later = _halves(ge, le, int(time.time()))
            windows += [later, earlier]
            continue
        for data in itertools.chain([first], pages):
            for raw in data.get("products") or []:
                yield _product(raw)


def _search_pages(client: TikTokClient, page_size: int, ge: int | None, le: int | None) -> Iterator[dict]:
    body = {key: int(bound) for key, bound in (("update_time_ge", ge), ("update_time_le", le)) if bound is not None}
    page_token = None
    while True:
        query = {"page_size": min(page_size, MAX_PAGE_SIZE), "page_token": page_token}
        data = client.post(SEARCH_PATH, body, query=query).data
        yield data
        page_token = data.get("next_page_token")
        if not page_token:
            return


def _halves(ge: int | None, le: int | None, now: int) -> tuple[tuple[int, int], tuple[int, int | None]]:
    """Two windows that together cover [ge, le] exactly, without overlap."""
    start = ge or 0
    if le is None:  # cut the open window at half the way to now; the later part stays open
        middle = (start + max(start, now)) // 2
    elif start >= le:
        raise PermanentError(
            f"TikTok Shop lists more than {RESULT_WINDOW} products updated in the same second ({le}) and pages no "
            "further than that, so this shop's catalog cannot be read completely.", code=RESULT_WINDOW_EXCEEDED)
    else:
        middle = (start + le) // 2
    return (start, middle), (middle + 1, le)


def get_product(client: TikTokClient, product_id: str) -> Product:
    return _product(client.get(f"/product/202309/products/{product_id}").data)


def update_inventory(client: TikTokClient, product_id: str, skus: Iterable[SkuInventory]) -> UpdateResult:
    """Set absolute quantities for these SKUs of one product in one call."""
    skus = list(skus)
    body = {"skus": [{"id": sku.sku_id, "inventory": [
        {"warehouse_id": warehouse_id, "quantity": int(quantity)}
        for warehouse_id, quantity in sku.quantities.items()]} for sku in skus]}
    response = client.post(f"/product/202309/products/{product_id}/inventory/update", body)
    return _result(product_id, [sku.sku_id for sku in skus], response)


def update_prices(client: TikTokClient, product_id: str, skus: Iterable[SkuPrice]) -> UpdateResult:
    """Set prices for these SKUs of one product in one call."""
    skus = list(skus)
    body = {"skus": [{"id": sku.sku_id, "price": {"amount": format_amount(sku.amount, sku.currency),
                                                   "currency": sku.currency}} for sku in skus]}
    response = client.post(f"/product/202309/products/{product_id}/prices/update", body)
    return _result(product_id, [sku.sku_id for sku in skus], response)


def format_amount(amount: Decimal, currency: str) -> str:
    places = Decimal(1) if currency.upper() in _WHOLE_UNIT_CURRENCIES else Decimal("0.01")
    return str(Decimal(amount).quantize(places))


def _result(product_id: str, sku_ids: list[str], response: TikTokResponse) -> UpdateResult:
    with reading_answer("TikTok Shop"):
        return _read_result(product_id, sku_ids, response)


def _read_result(product_id: str, sku_ids: list[str], response: TikTokResponse) -> UpdateResult:
    # A call can succeed (code 0) while refusing some SKUs: those are listed in data.errors.
    errors: dict[str, PlatformError] = {}
    for item in response.data.get("errors") or []:
        detail = item.get("detail") or {}
        code = item.get("code")
        message = item.get("message") or ""
        warehouse_errors = detail.get("extra_errors") or []
        if warehouse_errors and not code:
            code, message = warehouse_errors[0].get("code"), warehouse_errors[0].get("message") or ""
        error = error_for(code, message, request_id=response.request_id)
        targets = [str(detail["sku_id"])] if detail.get("sku_id") else sku_ids
        for sku_id in targets:
            errors.setdefault(sku_id, error)
    return UpdateResult(product_id=product_id, request_id=response.request_id, errors=errors,
                        sku_ids=tuple(sku_ids))


def _product(raw: dict) -> Product:
    with reading_answer("TikTok Shop"):
        return _read_product(raw)


def _read_product(raw: dict) -> Product:
    return Product(id=str(raw["id"]), title=raw.get("title", ""), status=raw.get("status", ""),
                   update_time=raw.get("update_time"), skus=[_sku(s) for s in raw.get("skus") or []])


def _sku(raw: dict) -> Sku:
    price = raw.get("price") or {}
    amount = price.get("sale_price") or price.get("tax_exclusive_price")
    return Sku(id=str(raw["id"]), seller_sku=raw.get("seller_sku") or "",
               price=Decimal(amount) if amount else None, currency=price.get("currency", ""),
               inventory={str(i["warehouse_id"]): int(i.get("quantity", 0)) for i in raw.get("inventory") or []},
               barcode=(raw.get("identifier_code") or {}).get("code") or None)
