"""orderCreate's input (OrderCreateOrderInput, notes A.2) turned into an order, or Shopify's userErrors."""
from __future__ import annotations

from datetime import datetime, timezone
from decimal import Decimal, InvalidOperation

from .graph import Context
from .order_book import next_number, route
from .order_views import resolve_namespace
from .orders import Money, Order, OrderLine, TaxLine, Transaction
from .store import now, parse_gid


class Invalid(Exception):
    def __init__(self, field: list[str], message: str, code: str = "INVALID"):
        super().__init__(message)
        self.error = {"field": field, "message": message, "code": code}


def _money(bag: dict | None, field: list[str], currency: str, presentment: str | None) -> Money | None:
    if bag is None:
        return None
    shop_money = bag.get("shopMoney") or {}
    try:
        value = Decimal(str(shop_money.get("amount")))
    except InvalidOperation:
        raise Invalid(field + ["shopMoney", "amount"], "Amount is not a valid decimal") from None
    if not value.is_finite():
        raise Invalid(field + ["shopMoney", "amount"], "Amount is not a valid decimal")
    if shop_money.get("currencyCode") != currency:
        raise Invalid(field + ["shopMoney", "currencyCode"], f"Currency must be {currency}, the order's currency")
    money = Money(value, currency)
    if bag.get("presentmentMoney"):
        if not presentment:
            raise Invalid(["order", "presentmentCurrency"],
                          "Presentment currency must be set when presentment money is given")
        money.presentment_amount = Decimal(str(bag["presentmentMoney"]["amount"]))
        money.presentment_currency = bag["presentmentMoney"]["currencyCode"]
    return money


def _taxes(entries: list | None, field: list[str], currency: str, presentment: str | None) -> list[TaxLine]:
    taxes = []
    for n, entry in enumerate(entries or []):
        try:
            rate = Decimal(str(entry["rate"]))
        except (InvalidOperation, KeyError):
            raise Invalid(field + [str(n), "rate"], "Tax line rate is missing or invalid",
                          "TAX_LINE_RATE_MISSING") from None
        taxes.append(TaxLine(entry["title"], rate, _money(entry.get("priceSet"), field + [str(n), "priceSet"],
                                                          currency, presentment),
                             bool(entry.get("channelLiable"))))
    return taxes


def _moment(value: str | None, field: list[str]) -> datetime | None:
    if value is None:
        return None
    try:
        moment = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        raise Invalid(field, "Date is invalid", "PROCESSED_AT_INVALID") from None
    return moment if moment.tzinfo else moment.replace(tzinfo=timezone.utc)


def build_order(ctx: Context, spec: dict, behaviour: str) -> tuple[Order, dict[int, int]]:
    """The order to create and each line's location; raises Invalid."""
    shop, sandbox = ctx.shop, ctx.sandbox
    currency = spec.get("currency") or shop.currency_code
    presentment = spec.get("presentmentCurrency")
    if spec.get("customerId") and spec.get("customer"):
        raise Invalid(["order", "customer"], "customer and customerId cannot both be given",
                      "REDUNDANT_CUSTOMER_FIELDS")
    processed_at = _moment(spec.get("processedAt"), ["order", "processedAt"]) or now()
    if processed_at > now():
        raise Invalid(["order", "processedAt"], "Processed at cannot be in the future", "PROCESSED_AT_INVALID")
    entries = spec.get("lineItems") or []
    if not entries:
        raise Invalid(["order", "lineItems"], "Line items must have at least one line item")
    order_taxes = _taxes(spec.get("taxLines"), ["order", "taxLines"], currency, presentment)
    lines, locations = [], {}
    for n, entry in enumerate(entries):
        field = ["order", "lineItems", str(n)]
        line, location_id = _line(ctx, entry, field, currency, presentment, behaviour)
        if line.tax_lines and order_taxes:
            raise Invalid(["order", "taxLines"], "Tax lines can be given on the order or on its line items, not both")
        lines.append(line)
        locations[line.id] = location_id
    shipping = []
    for n, entry in enumerate(spec.get("shippingLines") or []):
        field = ["order", "shippingLines", str(n)]
        price = _money(entry["priceSet"], field + ["priceSet"], currency, presentment)
        if price.amount < 0:
            raise Invalid(field + ["priceSet"], "Shipping line price cannot be negative")
        shipping.append({"title": entry["title"], "code": entry.get("code"), "source": entry.get("source"),
                         "price": price, "tax_lines": _taxes(entry.get("taxLines"), field + ["taxLines"], currency,
                                                             presentment)})
    transactions = []
    for n, entry in enumerate(spec.get("transactions") or []):
        field = ["order", "transactions", str(n)]
        transactions.append(Transaction(
            id=sandbox._new_id(8_800_000_000), kind=entry.get("kind") or "SALE",
            status=entry.get("status") or "SUCCESS", gateway=entry.get("gateway") or "manual",
            amount=_money(entry["amountSet"], field + ["amountSet"], currency, presentment),
            processed_at=_moment(entry.get("processedAt"), field + ["processedAt"]) or processed_at,
            test=bool(entry.get("test"))))
    metafields = _metafields(shop, spec.get("metafields") or [], sandbox)
    number = next_number(shop)
    order = Order(
        id=sandbox._new_id(5_550_000_000_000), number=number, name=spec.get("name") or f"#{number}",
        created_at=now(), processed_at=processed_at, updated_at=now(), currency=currency,
        presentment_currency=presentment or currency, lines=lines, source_name=spec.get("sourceName"),
        source_identifier=spec.get("sourceIdentifier"), source_url=spec.get("sourceUrl"),
        tags=sorted({t.strip() for t in spec.get("tags") or [] if t.strip()}, key=str.lower), note=spec.get("note"),
        custom_attributes=[{"key": a["key"], "value": a["value"]} for a in spec.get("customAttributes") or []],
        metafields=metafields, email=spec.get("email"), phone=spec.get("phone"),
        shipping_address=spec.get("shippingAddress"), billing_address=spec.get("billingAddress"),
        shipping_lines=shipping, tax_lines=order_taxes, taxes_included=bool(spec.get("taxesIncluded")),
        transactions=transactions, test=bool(spec.get("test")))
    order.financial_status = spec.get("financialStatus") or _derived_status(transactions)
    return order, locations


def _line(ctx: Context, entry: dict, field: list[str], currency: str, presentment: str | None,
          behaviour: str) -> tuple[OrderLine, int]:
    shop = ctx.shop
    if entry["quantity"] < 1:
        raise Invalid(field + ["quantity"], "Quantity must be greater than or equal to 1")
    product = variant = None
    if entry.get("variantId"):
        parsed = parse_gid(entry["variantId"])
        found = shop.variant(parsed[1]) if parsed and parsed[0] == "ProductVariant" else None
        if found is None:
            raise Invalid(field + ["variantId"], "Variant does not exist")
        product, variant = found
    elif not entry.get("title"):
        raise Invalid(field + ["title"], "Title is required for a line item without a variant")
    price = _money(entry.get("priceSet"), field + ["priceSet"], currency, presentment)
    if price is None:
        if variant is None:
            raise Invalid(field + ["priceSet"], "Price is required for a line item without a variant")
        price = Money(variant.price, currency)
    location_id = route(shop, variant)
    if behaviour == "DECREMENT_OBEYING_POLICY" and variant is not None and variant.tracked \
            and variant.inventory_policy == "DENY" and variant.levels.get(location_id, 0) < entry["quantity"]:
        raise Invalid(field, f"{variant.sku or product.title} is out of stock at the assigned location",
                      "INVENTORY_CLAIM_FAILED")
    line = OrderLine(
        id=ctx.sandbox._new_id(13_370_000_000), variant_id=variant.id if variant else None,
        product_id=product.id if product else None, inventory_item_id=variant.inventory_item_id if variant else None,
        sku=entry.get("sku") or (variant.sku if variant else None),
        title=entry.get("title") or (product.title if product else ""),
        variant_title=entry.get("variantTitle") or (variant.title if variant else None),
        vendor=entry.get("vendor") or (product.vendor if product else None), quantity=entry["quantity"],
        price=price, requires_shipping=bool(entry.get("requiresShipping")), taxable=entry.get("taxable", True),
        tax_lines=_taxes(entry.get("taxLines"), field + ["taxLines"], currency, presentment),
        properties=[{"name": p["name"], "value": p["value"]} for p in entry.get("properties") or []])
    return line, location_id


def _metafields(shop, entries: list[dict], sandbox) -> list[dict]:
    stored = []
    for n, entry in enumerate(entries):
        field = ["order", "metafields", str(n)]
        if not entry.get("key") or entry.get("value") is None or not entry.get("type"):
            raise Invalid(field, "Metafields need a key, a type and a value")
        namespace = resolve_namespace(entry.get("namespace"))
        if entry["type"] == "id" and any(m["namespace"] == namespace and m["key"] == entry["key"]
                                         and m["value"] == entry["value"]
                                         for order in shop.orders.values() for m in order.metafields):
            raise Invalid(field + ["value"], "Value must be unique: another order already has it", "INVALID")
        stored.append({"id": sandbox._new_id(2_600_000_000), "namespace": namespace, "key": entry["key"],
                       "type": entry["type"], "value": entry["value"]})
    return stored


def _derived_status(transactions: list[Transaction]) -> str:
    ok = [t for t in transactions if t.status == "SUCCESS"]
    if any(t.kind in ("SALE", "CAPTURE") for t in ok):
        return "PAID"
    if any(t.kind == "AUTHORIZATION" for t in ok):
        return "AUTHORIZED"
    return "PENDING"
