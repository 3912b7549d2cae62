"""TikTok Shop orders: search by time window, detail by id, and the external order reference written back.

Shapes from tiktok-orders-listings.md §A: ids are strings, money decimal strings,
times unix seconds, and each line item is one unit (three of a SKU are three line
items with the same sku_id). Unknown statuses and fields are kept as they come.
"""
from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation

from shopsync.platforms.tiktok.client import TikTokClient

SEARCH_PATH = "/order/202309/orders/search"
DETAIL_PATH = "/order/202309/orders"
EXTERNAL_ORDERS_PATH = "/order/202406/orders/external_orders"
SEARCH_PAGE_SIZE = 50
DETAIL_BATCH = 50  # Get Order Detail takes at most 50 ids
EXTERNAL_BATCH = 100  # external order references per call

UNPAID = "UNPAID"
ON_HOLD = "ON_HOLD"
AWAITING_SHIPMENT = "AWAITING_SHIPMENT"
CANCELLED = "CANCELLED"
# The order webhook spells it CANCEL; the API CANCELLED.
_STATUS_ALIASES = {"CANCEL": CANCELLED}
LINE_CANCELLED = "CANCELLED"


def normalise_status(status: str | None) -> str:
    status = (status or "").strip().upper()
    return _STATUS_ALIASES.get(status, status)


def _money(value) -> Decimal:
    try:
        return Decimal(str(value)) if value not in (None, "") else Decimal("0")
    except InvalidOperation:
        return Decimal("0")


def _int(value) -> int | None:
    try:
        return int(value) if value not in (None, "") else None
    except (TypeError, ValueError):
        return None


@dataclass(frozen=True)
class LineItem:
    id: str
    sku_id: str
    seller_sku: str
    product_name: str
    sku_name: str
    original_price: Decimal
    sale_price: Decimal
    seller_discount: Decimal
    platform_discount: Decimal
    currency: str
    display_status: str
    tax: Decimal = Decimal("0")
    is_gift: bool = False

    @property
    def is_cancelled(self) -> bool:
        return self.display_status == LINE_CANCELLED


@dataclass(frozen=True)
class Address:
    name: str = ""
    first_name: str = ""
    last_name: str = ""
    phone: str = ""
    region_code: str = ""
    postal_code: str = ""
    lines: tuple[str, ...] = ()
    state: str = ""
    state_code: str = ""
    city: str = ""


@dataclass(frozen=True)
class Payment:
    currency: str = ""
    sub_total: Decimal = Decimal("0")
    shipping_fee: Decimal = Decimal("0")
    tax: Decimal = Decimal("0")
    total_amount: Decimal = Decimal("0")
    seller_discount: Decimal = Decimal("0")
    platform_discount: Decimal = Decimal("0")
    original_total_product_price: Decimal = Decimal("0")


@dataclass(frozen=True)
class TikTokOrder:
    id: str
    status: str
    update_time: int
    create_time: int | None = None
    paid_time: int | None = None
    is_on_hold_order: bool = False
    fulfillment_type: str = ""
    shipping_type: str = ""
    warehouse_id: str | None = None
    delivery_option_id: str | None = None
    delivery_option_name: str = ""
    payment: Payment = field(default_factory=Payment)
    address: Address = field(default_factory=Address)
    line_items: tuple[LineItem, ...] = ()

    @property
    def is_paid(self) -> bool:
        return self.status not in (UNPAID, "")

    @property
    def is_cancelled(self) -> bool:
        return self.status == CANCELLED


def parse_order(data: dict) -> TikTokOrder:
    payment = data.get("payment") or {}
    return TikTokOrder(
        id=str(data["id"]),
        status=normalise_status(data.get("status")),
        update_time=_int(data.get("update_time")) or 0,
        create_time=_int(data.get("create_time")),
        paid_time=_int(data.get("paid_time")),
        is_on_hold_order=bool(data.get("is_on_hold_order")),
        fulfillment_type=str(data.get("fulfillment_type") or ""),
        shipping_type=str(data.get("shipping_type") or ""),
        warehouse_id=str(data["warehouse_id"]) if data.get("warehouse_id") else None,
        delivery_option_id=str(data["delivery_option_id"]) if data.get("delivery_option_id") else None,
        delivery_option_name=str(data.get("delivery_option_name") or ""),
        payment=Payment(currency=str(payment.get("currency") or ""),
                        sub_total=_money(payment.get("sub_total")),
                        shipping_fee=_money(payment.get("shipping_fee")),
                        tax=_money(payment.get("tax")),
                        total_amount=_money(payment.get("total_amount")),
                        seller_discount=_money(payment.get("seller_discount")),
                        platform_discount=_money(payment.get("platform_discount")),
                        original_total_product_price=_money(payment.get("original_total_product_price"))),
        address=_address(data.get("recipient_address") or {}),
        line_items=tuple(_line_item(item, payment) for item in data.get("line_items") or ()),
    )


def _line_item(item: dict, payment: dict) -> LineItem:
    return LineItem(
        id=str(item["id"]), sku_id=str(item.get("sku_id") or ""), seller_sku=str(item.get("seller_sku") or ""),
        product_name=str(item.get("product_name") or ""), sku_name=str(item.get("sku_name") or ""),
        original_price=_money(item.get("original_price")), sale_price=_money(item.get("sale_price")),
        seller_discount=_money(item.get("seller_discount")), platform_discount=_money(item.get("platform_discount")),
        currency=str(item.get("currency") or payment.get("currency") or ""),
        display_status=normalise_status(item.get("display_status")),
        tax=sum((_money(tax.get("tax_amount")) for tax in item.get("item_tax") or ()), Decimal("0")),
        is_gift=bool(item.get("is_gift")),
    )


def _address(data: dict) -> Address:
    """TikTok has no state or city fields: they come from district_info by level (L1 state, L2/L3 city)."""
    levels = {str(d.get("address_level") or ""): d for d in data.get("district_info") or () if isinstance(d, dict)}
    state = levels.get("L1") or {}
    city = levels.get("L3") or levels.get("L2") or {}
    lines = tuple(str(data.get(f"address_line{n}") or "") for n in range(1, 5))
    return Address(
        name=str(data.get("name") or ""), first_name=str(data.get("first_name") or ""),
        last_name=str(data.get("last_name") or ""), phone=str(data.get("phone_number") or ""),
        region_code=str(data.get("region_code") or ""), postal_code=str(data.get("postal_code") or ""),
        lines=tuple(line for line in lines if line), state=str(state.get("address_name") or ""),
        state_code=str(state.get("iso_code") or ""), city=str(city.get("address_name") or data.get("post_town") or ""),
    )


def search_orders(client: TikTokClient, *, update_time_ge: int | None = None, update_time_lt: int | None = None,
                  create_time_ge: int | None = None) -> Iterator[TikTokOrder]:
    """Every order changed (or created) in the window, oldest change first, page by page."""
    body = {key: value for key, value in (("update_time_ge", update_time_ge), ("update_time_lt", update_time_lt),
                                           ("create_time_ge", create_time_ge)) if value is not None}
    page_token = None
    while True:
        answer = client.post(SEARCH_PATH, body, query={
            "page_size": SEARCH_PAGE_SIZE, "page_token": page_token,
            "sort_field": "create_time" if create_time_ge is not None else "update_time", "sort_order": "ASC"})
        for row in answer.data.get("orders") or ():
            yield parse_order(row)
        page_token = answer.data.get("next_page_token")
        if not page_token:
            return


def get_orders(client: TikTokClient, order_ids: Iterable[str]) -> list[TikTokOrder]:
    """The current detail of these orders (those TikTok knows), DETAIL_BATCH ids per call."""
    ids = list(dict.fromkeys(str(order_id) for order_id in order_ids))
    found = []
    for start in range(0, len(ids), DETAIL_BATCH):
        answer = client.get(DETAIL_PATH, {"ids": ",".join(ids[start:start + DETAIL_BATCH])})
        found += [parse_order(row) for row in answer.data.get("orders") or ()]
    return found


def save_external_orders(client: TikTokClient,
                         references: Iterable[tuple[str, int, Iterable[tuple[str, str]]]]) -> dict[str, str]:
    """Write Shopify order ids onto TikTok orders, up to EXTERNAL_BATCH per call: (TikTok order id, Shopify order
    id, pairs of (Shopify line id, TikTok line item id)). Returns TikTok's reason per order it refused (it
    answers code 0 with per-order errors)."""
    orders = []
    for order_id, shopify_order_id, line_items in references:
        external = {"id": str(shopify_order_id), "platform": "SHOPIFY"}
        lines = [{"id": str(shopify_line), "origin_id": str(tiktok_line)} for shopify_line, tiktok_line in line_items]
        if lines:
            external["line_items"] = lines[:100]
        orders.append({"id": str(order_id), "external_order": external})
    refused: dict[str, str] = {}
    for start in range(0, len(orders), EXTERNAL_BATCH):
        answer = client.post(EXTERNAL_ORDERS_PATH, {"orders": orders[start:start + EXTERNAL_BATCH]})
        for error in answer.data.get("errors") or ():
            order_id = str(((error.get("detail") or {}).get("order_id")) or "")
            refused[order_id] = f"{error.get('code')}: {error.get('message')}"
    return refused
