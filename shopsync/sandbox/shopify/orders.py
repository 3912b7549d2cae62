"""Orders as a simulated shop keeps them: lines, fulfilment orders and their holds, fulfilments, refunds.

Stock claimed by an order is remembered per line and location (`claims`), so a cancellation or a
refund with restock gives back exactly what was taken, no more.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal


@dataclass
class Money:
    amount: Decimal
    currency: str
    presentment_amount: Decimal | None = None
    presentment_currency: str | None = None


@dataclass
class TaxLine:
    title: str
    rate: Decimal
    price: Money | None
    channel_liable: bool = False


@dataclass
class OrderLine:
    id: int
    variant_id: int | None
    product_id: int | None
    inventory_item_id: int | None
    sku: str | None
    title: str
    variant_title: str | None
    vendor: str | None
    quantity: int
    price: Money
    requires_shipping: bool
    taxable: bool
    tax_lines: list[TaxLine] = field(default_factory=list)
    properties: list[dict] = field(default_factory=list)
    refunded: int = 0  # units refunded (any restock type)
    removed: int = 0  # units taken off the order before they shipped (cancel restock)

    @property
    def current_quantity(self) -> int:
        return self.quantity - self.removed


@dataclass
class Hold:
    id: int
    reason: str
    reason_notes: str | None
    handle: str
    external_id: str | None


@dataclass
class FulfillmentOrderLine:
    id: int
    line: OrderLine
    total: int
    remaining: int


@dataclass
class FulfillmentOrder:
    id: int
    order_id: int
    location_id: int
    lines: list[FulfillmentOrderLine]
    created_at: datetime
    updated_at: datetime
    status: str = "OPEN"  # OPEN | IN_PROGRESS | ON_HOLD | CLOSED | CANCELLED
    holds: list[Hold] = field(default_factory=list)

    def settle(self, moment: datetime) -> None:
        """Status from holds and what is left to fulfil (not for CANCELLED ones)."""
        if self.status == "CANCELLED":
            return
        left = sum(line.remaining for line in self.lines)
        shipped = any(line.remaining < line.total for line in self.lines)
        if self.holds:
            self.status = "ON_HOLD"
        elif left == 0:
            self.status = "CLOSED"
        else:
            self.status = "IN_PROGRESS" if shipped else "OPEN"
        self.updated_at = moment


@dataclass
class Fulfillment:
    id: int
    order_id: int
    location_id: int
    number: int  # n-th fulfilment of the order: its name is #1001.n
    lines: list[tuple[OrderLine, int]]
    fulfillment_order_ids: list[int]
    tracking_company: str | None
    tracking_numbers: list[str]
    tracking_urls: list[str]
    created_at: datetime
    updated_at: datetime
    status: str = "SUCCESS"
    shipment_status: str | None = None
    claimed: dict[tuple[int, int], int] = field(default_factory=dict)  # (line, location) -> claimed units shipped


@dataclass
class RefundLine:
    line: OrderLine
    quantity: int
    restock_type: str  # RETURN | CANCEL | NO_RESTOCK
    location_id: int | None
    restocked: bool


@dataclass
class Transaction:
    id: int
    kind: str  # SALE | CAPTURE | AUTHORIZATION | REFUND | VOID
    status: str
    gateway: str
    amount: Money
    processed_at: datetime
    parent_id: int | None = None
    test: bool = False


@dataclass
class Refund:
    id: int
    order_id: int
    note: str | None
    lines: list[RefundLine]
    transactions: list[Transaction]
    created_at: datetime


@dataclass
class Order:
    id: int
    number: int
    name: str
    created_at: datetime
    processed_at: datetime
    updated_at: datetime
    currency: str
    presentment_currency: str
    lines: list[OrderLine]
    source_name: str | None = None
    source_identifier: str | None = None
    source_url: str | None = None
    tags: list[str] = field(default_factory=list)
    note: str | None = None
    custom_attributes: list[dict] = field(default_factory=list)
    metafields: list[dict] = field(default_factory=list)
    email: str | None = None
    phone: str | None = None
    shipping_address: dict | None = None
    billing_address: dict | None = None
    shipping_lines: list[dict] = field(default_factory=list)  # {title, code, source, price: Money, tax_lines}
    tax_lines: list[TaxLine] = field(default_factory=list)
    taxes_included: bool = False
    financial_status: str = "PAID"
    transactions: list[Transaction] = field(default_factory=list)
    fulfillment_orders: list[FulfillmentOrder] = field(default_factory=list)
    fulfillments: list[Fulfillment] = field(default_factory=list)
    refunds: list[Refund] = field(default_factory=list)
    claims: dict[tuple[int, int], int] = field(default_factory=dict)  # (line id, location id) -> units taken
    cancelled_at: datetime | None = None
    cancel_reason: str | None = None
    test: bool = False
    receipt_sent: bool = False

    def line(self, line_id: int) -> OrderLine | None:
        return next((line for line in self.lines if line.id == line_id), None)

    def fulfilled_quantity(self, line: OrderLine) -> int:
        return sum(quantity for f in self.fulfillments if f.status == "SUCCESS" for held, quantity in f.lines
                   if held.id == line.id)

    def unfulfilled_quantity(self, line: OrderLine) -> int:
        return sum(fo_line.remaining for fo in self.fulfillment_orders if fo.status != "CANCELLED"
                   for fo_line in fo.lines if fo_line.line.id == line.id)

    @property
    def display_fulfillment_status(self) -> str:
        if self.lines and all(line.current_quantity == 0 for line in self.lines):
            return "RESTOCKED"
        fulfilled = sum(self.fulfilled_quantity(line) for line in self.lines)
        outstanding = sum(self.unfulfilled_quantity(line) for line in self.lines)
        if fulfilled:
            return "PARTIALLY_FULFILLED" if outstanding else "FULFILLED"
        waiting = [fo for fo in self.fulfillment_orders if fo.status not in ("CANCELLED", "CLOSED")]
        if waiting and all(fo.status == "ON_HOLD" for fo in waiting):
            return "ON_HOLD"
        return "UNFULFILLED"
