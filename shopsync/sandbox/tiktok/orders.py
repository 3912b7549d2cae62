"""TikTok orders as the sandbox keeps them, and their JSON exactly as the Order API answers (notes A3).

One line item is one unit: three units of a SKU are three line items with the same sku_id. Times are
unix seconds and ids are strings. Money is a decimal string in the shop's currency.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal

CENT = Decimal("0.01")
# The webhook spells CANCELLED as CANCEL and never reports PARTIALLY_SHIPPING (notes B2).
WEBHOOK_STATUS = {"CANCELLED": "CANCEL"}
SHIPPED = ("AWAITING_COLLECTION", "IN_TRANSIT", "DELIVERED", "COMPLETED")
SHIPPABLE = ("AWAITING_SHIPMENT", "PARTIALLY_SHIPPING")
CANCELLABLE = ("UNPAID", "ON_HOLD", "AWAITING_SHIPMENT")
# After AWAITING_COLLECTION the carrier and TikTok move the order on.
NEXT_AFTER_SHIPPING = {"AWAITING_COLLECTION": "IN_TRANSIT", "IN_TRANSIT": "DELIVERED", "DELIVERED": "COMPLETED"}
DAY = 86_400


def amount(value: Decimal) -> str:
    return str(value.quantize(CENT))


@dataclass(frozen=True)
class DeliveryOption:
    id: str
    name: str
    fulfilled_by_tiktok: bool = False
    providers: tuple[tuple[str, str], ...] = ()  # (id, name) of the carriers a seller may ship with

    def as_json(self) -> dict:
        return {"id": self.id, "name": self.name, "type": "STANDARD",
                "description": "Fulfilled by TikTok" if self.fulfilled_by_tiktok else "Shipped by the seller",
                "dimension_limit": {"max_height": 100, "max_length": 100, "max_width": 100, "unit": "CM"},
                "weight_limit": {"max_weight": 30000, "min_weight": 1, "unit": "GRAM"}}


@dataclass
class Buyer:
    user_id: str
    first_name: str
    last_name: str
    phone: str
    address_line1: str
    address_line2: str
    city: str
    state: str
    state_code: str
    postal_code: str
    country: str
    region_code: str


@dataclass
class LineItem:
    id: str
    sku_id: str
    product_id: str
    seller_sku: str
    product_name: str
    sku_name: str
    original_price: Decimal
    seller_discount: Decimal
    platform_discount: Decimal
    tax_rate: Decimal
    package_id: str | None = None
    cancelled_by: str | None = None  # BUYER | SELLER | SYSTEM
    cancel_reason: str | None = None
    returned: bool = False

    @property
    def sale_price(self) -> Decimal:
        return self.original_price - self.seller_discount - self.platform_discount

    @property
    def tax(self) -> Decimal:
        return (self.sale_price * self.tax_rate).quantize(CENT)


@dataclass
class Package:
    id: str
    order_id: str
    line_item_ids: list[str]
    tracking_number: str
    shipping_provider_id: str
    shipping_provider_name: str
    create_time: int
    update_time: int
    status: str = "PROCESSING"  # TO_FULFILL | PROCESSING | FULFILLING | COMPLETED | CANCELLED


@dataclass
class Order:
    id: str
    shop_id: str
    currency: str
    region: str
    buyer: Buyer
    warehouse_id: str
    delivery_option: DeliveryOption
    line_items: list[LineItem]
    create_time: int
    shipping_fee: Decimal
    status: str = "UNPAID"
    update_time: int = 0
    is_on_hold_order: bool = False
    pay_at: float | None = None  # when an UNPAID order gets paid
    paid_time: int | None = None
    hold_until: float | None = None  # when ON_HOLD ends
    rts_time: int | None = None
    collection_time: int | None = None
    delivery_time: int | None = None
    cancel_time: int | None = None
    cancellation_initiator: str | None = None
    cancel_request: str | None = None  # id of the buyer's pending cancellation request
    request_cancel_time: int | None = None
    cancel_reason: str | None = None
    packages: list[Package] = field(default_factory=list)
    external_orders: dict[str, dict] = field(default_factory=dict)  # platform -> external_order
    fbt_ship_at: float | None = None  # when TikTok ships a Fulfilled-by-TikTok order

    @property
    def fulfilled_by_tiktok(self) -> bool:
        return self.delivery_option.fulfilled_by_tiktok

    def line(self, line_item_id: str) -> LineItem | None:
        return next((item for item in self.line_items if item.id == line_item_id), None)

    def live_lines(self) -> list[LineItem]:
        return [item for item in self.line_items if item.cancelled_by is None]

    def unshipped_lines(self) -> list[LineItem]:
        return [item for item in self.live_lines() if item.package_id is None]


def order_json(order: Order) -> dict:
    data = {
        "id": order.id,
        "status": order.status,
        "create_time": order.create_time,
        "update_time": order.update_time,
        "fulfillment_type": "FULFILLMENT_BY_TIKTOK" if order.fulfilled_by_tiktok else "FULFILLMENT_BY_SELLER",
        "shipping_type": "TIKTOK" if order.fulfilled_by_tiktok else "SELLER",
        "delivery_option_id": order.delivery_option.id,
        "delivery_option_name": order.delivery_option.name,
        "delivery_type": "HOME_DELIVERY",
        "warehouse_id": order.warehouse_id,
        "is_on_hold_order": order.is_on_hold_order,
        "is_buyer_request_cancel": order.cancel_request is not None,
        "buyer_email": f"{order.buyer.user_id[-6:]}@chat.seller.tiktok.com",
        "user_id": order.buyer.user_id,
        "buyer_message": "",
        "seller_note": "",
        "order_type": "NORMAL",
        "is_sample_order": False,
        "is_replacement_order": False,
        "is_exchange_order": False,
        "is_cod": False,
        "has_updated_recipient_address": False,
        "split_or_combine_tag": "SPLIT" if len(order.packages) > 1 else "",
        "payment": payment_json(order),
        "recipient_address": address_json(order),
        "packages": [{"id": package.id} for package in order.packages],
        "line_items": [line_item_json(order, item) for item in order.line_items],
    }
    if order.paid_time is not None:
        data.update(paid_time=order.paid_time, rts_sla_time=order.paid_time + 3 * DAY,
                    tts_sla_time=order.paid_time + 5 * DAY, shipping_due_time=order.paid_time + 3 * DAY,
                    collection_due_time=order.paid_time + 5 * DAY, delivery_due_time=order.paid_time + 12 * DAY,
                    delivery_sla_time=order.paid_time + 12 * DAY)
    if order.status in ("UNPAID", "ON_HOLD"):
        data["cancel_order_sla_time"] = order.create_time + 3600
    for name in ("rts_time", "collection_time", "delivery_time", "cancel_time", "request_cancel_time"):
        if getattr(order, name) is not None:
            data[name] = getattr(order, name)
    if order.cancellation_initiator:
        data.update(cancellation_initiator=order.cancellation_initiator, cancel_reason=order.cancel_reason or "")
    if order.packages:
        latest = order.packages[-1]
        data.update(tracking_number=latest.tracking_number, shipping_provider_id=latest.shipping_provider_id,
                    shipping_provider=latest.shipping_provider_name)
    return data


def line_item_json(order: Order, item: LineItem) -> dict:
    data = {
        "id": item.id, "sku_id": item.sku_id, "product_id": item.product_id, "seller_sku": item.seller_sku,
        "product_name": item.product_name, "sku_name": item.sku_name, "sku_image": "",
        "original_price": amount(item.original_price), "sale_price": amount(item.sale_price),
        "seller_discount": amount(item.seller_discount), "platform_discount": amount(item.platform_discount),
        "currency": order.currency, "display_status": line_status(order, item), "is_gift": False,
        "is_dangerous_good": False,
    }
    if item.tax_rate:
        data["item_tax"] = [{"tax_type": "SALES_TAX", "tax_amount": amount(item.tax), "tax_rate": str(item.tax_rate)}]
    package = next((p for p in order.packages if p.id == item.package_id), None)
    if package is not None:
        data.update(package_id=package.id, package_status=package.status, tracking_number=package.tracking_number,
                    shipping_provider_id=package.shipping_provider_id,
                    shipping_provider_name=package.shipping_provider_name, rts_time=package.create_time)
    if item.cancelled_by:
        data.update(cancel_user=item.cancelled_by, cancel_reason=item.cancel_reason or "")
    return data


def line_status(order: Order, item: LineItem) -> str:
    if item.cancelled_by:
        return "CANCELLED"
    if order.status in ("ON_HOLD", "PARTIALLY_SHIPPING"):
        return "AWAITING_COLLECTION" if item.package_id else "AWAITING_SHIPMENT"
    return order.status


def payment_json(order: Order) -> dict:
    lines = order.live_lines() or order.line_items
    original = sum((item.original_price for item in lines), Decimal(0))
    seller = sum((item.seller_discount for item in lines), Decimal(0))
    platform = sum((item.platform_discount for item in lines), Decimal(0))
    sub_total = original - seller - platform
    product_tax = sum((item.tax for item in lines), Decimal(0))
    shipping = order.shipping_fee
    zero = amount(Decimal(0))
    return {
        "currency": order.currency,
        "original_total_product_price": amount(original), "seller_discount": amount(seller),
        "platform_discount": amount(platform), "sub_total": amount(sub_total),
        "original_shipping_fee": amount(shipping), "shipping_fee_seller_discount": zero,
        "shipping_fee_platform_discount": zero, "shipping_fee_cofunded_discount": zero,
        "shipping_fee": amount(shipping), "tax": amount(product_tax), "product_tax": amount(product_tax),
        "shipping_fee_tax": zero, "retail_delivery_fee": zero, "handling_fee": zero,
        "item_insurance_fee": zero, "shipping_insurance_fee": zero,
        "total_amount": amount(sub_total + shipping + product_tax),
    }


def address_json(order: Order) -> dict:
    """The buyer's address; hidden until TikTok lets the seller ship, masked once cancelled or for FBT."""
    buyer = order.buyer
    district = [{"address_level": "L0", "address_level_name": "Country", "address_name": buyer.country,
                 "iso_code": buyer.region_code},
                {"address_level": "L1", "address_level_name": "State", "address_name": buyer.state,
                 "iso_code": f"{buyer.region_code}-{buyer.state_code}"}]
    if order.status in ("UNPAID", "ON_HOLD"):
        return {"region_code": buyer.region_code, "name": "", "first_name": "", "last_name": "",
                "phone_number": "", "postal_code": "", "address_line1": "", "address_line2": "",
                "address_line3": "", "address_line4": "", "address_detail": "", "full_address": "",
                "district_info": district}
    district.append({"address_level": "L3", "address_level_name": "City", "address_name": buyer.city,
                     "iso_code": ""})
    masked = order.status == "CANCELLED" or order.fulfilled_by_tiktok
    first, last = buyer.first_name, buyer.last_name
    line1, line2, postal, phone = buyer.address_line1, buyer.address_line2, buyer.postal_code, buyer.phone
    if masked:
        first, last = first[0] + "***", last[0] + "***"
        line1, line2, postal = "******", "", postal[:3] + "**"
        phone = phone[:8] + "***" + phone[-4:]
    return {
        "name": f"{first} {last}", "first_name": first, "last_name": last, "phone_number": phone,
        "region_code": buyer.region_code, "postal_code": postal,
        "post_town": buyer.city if buyer.region_code == "GB" else "",
        "address_line1": line1, "address_line2": line2, "address_line3": "", "address_line4": "",
        "address_detail": line2, "full_address": ", ".join(p for p in (line1, line2, buyer.city, buyer.state,
                                                                       postal, buyer.country) if p),
        "district_info": district, "delivery_preferences": {"drop_off_location": "Front Door"},
    }


def package_json(order: Order, package: Package) -> dict:
    """GET /fulfillment/202309/packages/{id} (the fields ShopSync can use)."""
    skus: dict[str, dict] = {}
    for line_item_id in package.line_item_ids:
        item = order.line(line_item_id)
        entry = skus.setdefault(item.sku_id, {"id": item.sku_id, "name": item.sku_name, "image_url": "",
                                              "quantity": 0})
        entry["quantity"] += 1
    return {
        "package_id": package.id, "package_status": package.status, "order_line_item_ids": package.line_item_ids,
        "orders": [{"id": order.id, "skus": list(skus.values())}],
        "tracking_number": package.tracking_number, "shipping_provider_id": package.shipping_provider_id,
        "shipping_provider_name": package.shipping_provider_name, "shipping_type": "SELLER",
        "delivery_option_id": order.delivery_option.id, "delivery_option_name": order.delivery_option.name,
        "handover_method": "DROP_OFF", "split_and_combine_tag": "SPLIT" if len(order.packages) > 1 else "DEFAULT",
        "warehouse_id": order.warehouse_id, "create_time": package.create_time, "update_time": package.update_time,
        "recipient_address": address_json(order),
    }
