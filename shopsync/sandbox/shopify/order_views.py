"""Admin API object types over a shop's orders: Order, LineItem, FulfillmentOrder, Fulfillment, Refund, Job."""
from __future__ import annotations

from decimal import Decimal
from typing import Any

from .graph import Context, LocationView, VariantView, connection
from .orders import Fulfillment, FulfillmentOrder, FulfillmentOrderLine, Order, OrderLine, Refund, Transaction
from .store import gid, iso

COUNTRIES = {"US": "United States", "GB": "United Kingdom", "CA": "Canada", "AU": "Australia", "DE": "Germany",
             "FR": "France", "IE": "Ireland", "ES": "Spain", "IT": "Italy"}
APP_ID = 1_000_001  # the one app the sandbox knows: ShopSync


def amount(value: Decimal) -> str:
    return f"{value:.2f}"


def bag(value: Decimal, order: Order) -> dict:
    return {"shopMoney": {"amount": amount(value), "currencyCode": order.currency},
            "presentmentMoney": {"amount": amount(value), "currencyCode": order.presentment_currency}}


def mailing_address(address: dict | None, owner_id: int) -> dict | None:
    if not address:
        return None
    code = address.get("countryCode")
    first, last = address.get("firstName"), address.get("lastName")
    lines = [address.get("address1"), address.get("address2"),
             " ".join(p for p in (address.get("city"), address.get("provinceCode"), address.get("zip")) if p),
             COUNTRIES.get(code, code)]
    return {"id": f"gid://shopify/MailingAddress/{owner_id}?model_name=Address", "address1": address.get("address1"),
            "address2": address.get("address2"), "city": address.get("city"), "company": address.get("company"),
            "countryCodeV2": code, "countryCode": code, "country": COUNTRIES.get(code, code), "firstName": first,
            "lastName": last, "name": " ".join(p for p in (first, last) if p) or None, "phone": address.get("phone"),
            "province": address.get("provinceCode"), "provinceCode": address.get("provinceCode"),
            "zip": address.get("zip"), "coordinatesValidated": False, "latitude": None, "longitude": None,
            "formatted": [line for line in lines if line], "formattedArea": None, "timeZone": None}


def tax_line_json(tax, order: Order) -> dict:
    price = tax.price.amount if tax.price else Decimal(0)
    return {"title": tax.title, "rate": float(tax.rate), "ratePercentage": float(tax.rate * 100),
            "priceSet": bag(price, order), "channelLiable": tax.channel_liable, "source": None}


def totals(order: Order) -> dict[str, Decimal]:
    subtotal = sum((line.price.amount * line.current_quantity for line in order.lines), Decimal(0))
    shipping = sum((s["price"].amount for s in order.shipping_lines), Decimal(0))
    taxes = [t for line in order.lines for t in line.tax_lines] + list(order.tax_lines) + \
        [t for s in order.shipping_lines for t in s["tax_lines"]]
    tax = sum((t.price.amount for t in taxes if t.price), Decimal(0))
    refunded = sum((t.amount.amount for r in order.refunds for t in r.transactions if t.kind == "REFUND"),
                   Decimal(0))
    received = sum((t.amount.amount for t in order.transactions if t.kind in ("SALE", "CAPTURE")
                    and t.status == "SUCCESS"), Decimal(0))
    total = subtotal + shipping + (Decimal(0) if order.taxes_included else tax)
    return {"subtotal": subtotal, "shipping": shipping, "tax": tax, "total": total, "refunded": refunded,
            "received": received}


class OrderView:
    typename = "Order"

    def __init__(self, ctx: Context, order: Order):
        self._ctx, self._o = ctx, order
        self.id = gid("Order", order.id)
        self.legacyResourceId = str(order.id)
        self.name, self.number = order.name, order.number
        self.createdAt, self.updatedAt = iso(order.created_at), iso(order.updated_at)
        self.processedAt = iso(order.processed_at)
        self.cancelledAt = iso(order.cancelled_at) if order.cancelled_at else None
        self.cancelReason = order.cancel_reason
        self.closed, self.closedAt, self.confirmed, self.edited = False, None, True, False
        self.test = order.test
        self.currencyCode, self.presentmentCurrencyCode = order.currency, order.presentment_currency
        self.sourceName, self.sourceIdentifier = order.source_name, order.source_identifier
        self.tags, self.note, self.email, self.phone = list(order.tags), order.note, order.email, order.phone
        self.customAttributes = [{"key": a["key"], "value": a["value"]} for a in order.custom_attributes]
        self.taxesIncluded = order.taxes_included
        self.displayFinancialStatus = order.financial_status
        self.displayFulfillmentStatus = order.display_fulfillment_status
        self.requiresShipping = any(line.requires_shipping for line in order.lines)
        self.fulfillable = order.cancelled_at is None and any(order.unfulfilled_quantity(line) for line in order.lines)
        self.unpaid = order.financial_status in ("PENDING", "AUTHORIZED")
        self.fullyPaid = order.financial_status in ("PAID", "PARTIALLY_REFUNDED", "REFUNDED")
        self.canMarkAsPaid, self.merchantEditable, self.restockable = False, order.cancelled_at is None, True
        self.refundable = order.cancelled_at is None
        self.paymentGatewayNames = sorted({t.gateway for t in order.transactions if t.gateway})
        self.shippingAddress = mailing_address(order.shipping_address, order.id)
        self.billingAddress = mailing_address(order.billing_address, order.id + 1)
        self.displayAddress = self.shippingAddress or self.billingAddress
        self.subtotalLineItemsQuantity = sum(line.quantity for line in order.lines)
        self.currentSubtotalLineItemsQuantity = sum(line.current_quantity for line in order.lines)
        self.taxLines = [tax_line_json(t, order) for t in order.tax_lines]
        self.app = {"id": gid("App", APP_ID), "name": "ShopSync", "icon": None, "uninstalled": False}
        sums = totals(order)
        for name, key in (("subtotalPriceSet", "subtotal"), ("currentSubtotalPriceSet", "subtotal"),
                          ("totalShippingPriceSet", "shipping"), ("currentShippingPriceSet", "shipping"),
                          ("totalTaxSet", "tax"), ("currentTotalTaxSet", "tax"), ("totalPriceSet", "total"),
                          ("currentTotalPriceSet", "total"), ("originalTotalPriceSet", "total"),
                          ("totalRefundedSet", "refunded"), ("totalReceivedSet", "received")):
            setattr(self, name, bag(sums[key], order))
        self.totalDiscountsSet = self.currentTotalDiscountsSet = bag(Decimal(0), order)
        self.netPaymentSet = bag(sums["received"] - sums["refunded"], order)
        self.totalOutstandingSet = bag(max(Decimal(0), sums["total"] - sums["received"]), order)

    def statusPageUrl(self, info=None, **_args) -> str:
        return f"https://{self._ctx.shop.domain}/{self._o.id}/orders/status"

    def lineItems(self, info=None, all_items=False, **args) -> dict:
        return connection(self._o.lines, args, key=lambda line: line.id, ident=lambda line: line.id,
                          wrap=lambda line: LineItemView(self._ctx, self._o, line), all_items=all_items)

    @property
    def shippingLine(self):
        lines = self._shipping()
        return lines[0] if lines else None

    def shippingLines(self, info=None, all_items=False, **args) -> dict:
        return connection(self._shipping(), args, key=lambda s: s["id"], ident=lambda s: s["id"], wrap=lambda s: s,
                          all_items=all_items)

    def _shipping(self) -> list[dict]:
        order = self._o
        return [{"id": gid("ShippingLine", order.id * 10 + n), "title": s["title"], "code": s.get("code"),
                 "source": s.get("source"), "custom": True, "isRemoved": False, "carrierIdentifier": None,
                 "originalPriceSet": bag(s["price"].amount, order), "discountedPriceSet": bag(s["price"].amount, order),
                 "currentDiscountedPriceSet": bag(s["price"].amount, order),
                 "taxLines": [tax_line_json(t, order) for t in s["tax_lines"]], "discountAllocations": []}
                for n, s in enumerate(order.shipping_lines, 1)]

    def fulfillmentOrders(self, info=None, all_items=False, **args) -> dict:
        self._ctx.require("FulfillmentOrder", "fulfillmentOrders")
        return connection(self._o.fulfillment_orders, args, key=lambda fo: fo.id, ident=lambda fo: fo.id,
                          wrap=lambda fo: FulfillmentOrderView(self._ctx, self._o, fo), all_items=all_items)

    def fulfillments(self, info=None, first=None, **_args) -> list:
        chosen = self._o.fulfillments[:first] if first is not None else self._o.fulfillments
        return [FulfillmentView(self._ctx, self._o, f) for f in chosen]

    @property
    def fulfillmentsCount(self) -> dict:
        return {"count": len(self._o.fulfillments), "precision": "EXACT"}

    def refunds(self, info=None, first=None, **_args) -> list:
        chosen = self._o.refunds[:first] if first is not None else self._o.refunds
        return [RefundView(self._ctx, self._o, r) for r in chosen]

    def transactions(self, info=None, first=None, **_args) -> list:
        chosen = self._o.transactions[:first] if first is not None else self._o.transactions
        return [TransactionView(self._o, t) for t in chosen]

    def metafield(self, info=None, key=None, namespace=None) -> dict | None:
        wanted = resolve_namespace(namespace)
        return next((metafield_json(self._o, m) for m in self._o.metafields
                     if m["key"] == key and m["namespace"] == wanted), None)

    def metafields(self, info=None, all_items=False, namespace=None, keys=None, **args) -> dict:
        wanted = resolve_namespace(namespace) if namespace else None
        items = [m for m in self._o.metafields if (wanted is None or m["namespace"] == wanted)
                 and (not keys or f"{m['namespace']}.{m['key']}" in keys)]
        return connection(items, args, key=lambda m: m["id"], ident=lambda m: m["id"],
                          wrap=lambda m: metafield_json(self._o, m), all_items=all_items)


def resolve_namespace(namespace: str | None) -> str:
    """`$app:x` (and no namespace at all) name the app's own reserved namespace."""
    if not namespace:
        return f"app--{APP_ID}"
    return f"app--{APP_ID}--{namespace[5:]}" if namespace.startswith("$app:") else namespace


def metafield_json(order: Order, metafield: dict) -> dict:
    return {"id": gid("Metafield", metafield["id"]), "namespace": metafield["namespace"], "key": metafield["key"],
            "value": metafield["value"], "type": metafield["type"], "ownerType": "ORDER",
            "createdAt": iso(order.created_at), "updatedAt": iso(order.updated_at)}


class LineItemView:
    typename = "LineItem"

    def __init__(self, ctx: Context, order: Order, line: OrderLine):
        self._ctx, self._o, self._l = ctx, order, line
        self.id = gid("LineItem", line.id)
        self.title, self.sku, self.vendor = line.title, line.sku, line.vendor
        self.variantTitle = line.variant_title
        self.name = f"{line.title} - {line.variant_title}" if line.variant_title else line.title
        self.quantity, self.currentQuantity = line.quantity, line.current_quantity
        self.unfulfilledQuantity = order.unfulfilled_quantity(line)
        self.refundableQuantity = max(0, line.current_quantity - line.refunded)
        self.nonFulfillableQuantity = line.quantity - line.current_quantity
        self.requiresShipping, self.taxable = line.requires_shipping, line.taxable
        self.isGiftCard, self.restockable, self.canRestock, self.merchantEditable = False, True, True, True
        price = line.price.amount
        self.originalUnitPriceSet = self.discountedUnitPriceSet = bag(price, order)
        self.discountedUnitPriceAfterAllDiscountsSet = bag(price, order)
        self.originalTotalSet = self.discountedTotalSet = bag(price * line.quantity, order)
        self.unfulfilledOriginalTotalSet = self.unfulfilledDiscountedTotalSet = bag(
            price * self.unfulfilledQuantity, order)
        self.totalDiscountSet = bag(Decimal(0), order)
        self.customAttributes = [{"key": p["name"], "value": p["value"]} for p in line.properties]
        self.discountAllocations, self.duties = [], []

    def taxLines(self, info=None, first=None, **_args) -> list:
        return [tax_line_json(t, self._o) for t in self._l.tax_lines[:first]]

    @property
    def variant(self):
        found = self._ctx.shop.variant(self._l.variant_id) if self._l.variant_id else None
        return VariantView(self._ctx, *found) if found else None

    @property
    def product(self):
        found = self._ctx.shop.variant(self._l.variant_id) if self._l.variant_id else None
        return self.variant.product if found else None


class HoldView:
    typename = "FulfillmentHold"

    def __init__(self, hold):
        self.id = gid("FulfillmentHold", hold.id)
        self.reason, self.reasonNotes, self.handle = hold.reason, hold.reason_notes, hold.handle
        self.displayReason = hold.reason.replace("_", " ").capitalize()
        self.heldByRequestingApp, self.releaseWarning = True, None
        self.heldByApp = {"id": gid("App", APP_ID), "name": "ShopSync"}


class FulfillmentOrderView:
    typename = "FulfillmentOrder"

    def __init__(self, ctx: Context, order: Order, fo: FulfillmentOrder):
        self._ctx, self._o, self._fo = ctx, order, fo
        self.id = gid("FulfillmentOrder", fo.id)
        self.status, self.requestStatus = fo.status, "UNSUBMITTED"
        self.createdAt, self.updatedAt = iso(fo.created_at), iso(fo.updated_at)
        self.orderId, self.orderName, self.orderProcessedAt = gid("Order", order.id), order.name, iso(
            order.processed_at)
        self.fulfillAt = self.fulfillBy = self.channelId = None
        self.fulfillmentHolds = [HoldView(hold) for hold in fo.holds]
        location = ctx.shop.locations.get(fo.location_id)
        self.assignedLocation = {"name": location.name if location else "Deleted location",
                                 "location": LocationView(location) if location else None, "countryCode": "US",
                                 "address1": None, "address2": None, "city": "Springfield", "province": None,
                                 "zip": None, "phone": None}
        actions = {"OPEN": ["CREATE_FULFILLMENT", "HOLD", "MOVE"], "IN_PROGRESS": ["CREATE_FULFILLMENT", "HOLD"],
                   "ON_HOLD": ["RELEASE_HOLD"]}.get(fo.status, [])
        self.supportedActions = [{"action": action, "externalUrl": None} for action in actions]

    @property
    def order(self) -> OrderView:
        return OrderView(self._ctx, self._o)

    def lineItems(self, info=None, all_items=False, **args) -> dict:
        return connection(self._fo.lines, args, key=lambda line: line.id, ident=lambda line: line.id,
                          wrap=lambda line: FulfillmentOrderLineView(self._ctx, self._o, line), all_items=all_items)

    def fulfillments(self, info=None, all_items=False, **args) -> dict:
        mine = [f for f in self._o.fulfillments if self._fo.id in f.fulfillment_order_ids]
        return connection(mine, args, key=lambda f: f.id, ident=lambda f: f.id,
                          wrap=lambda f: FulfillmentView(self._ctx, self._o, f), all_items=all_items)


class FulfillmentOrderLineView:
    typename = "FulfillmentOrderLineItem"

    def __init__(self, ctx: Context, order: Order, line: FulfillmentOrderLine):
        self.id = gid("FulfillmentOrderLineItem", line.id)
        self.totalQuantity, self.remainingQuantity = line.total, line.remaining
        self.lineItem = LineItemView(ctx, order, line.line)
        self.sku, self.productTitle, self.variantTitle = line.line.sku, line.line.title, line.line.variant_title
        self.vendor, self.requiresShipping, self.warnings = line.line.vendor, line.line.requires_shipping, []
        self.inventoryItemId = gid("InventoryItem", line.line.inventory_item_id) if line.line.inventory_item_id \
            else None
        self.variant = self.lineItem.variant


class FulfillmentView:
    typename = "Fulfillment"

    def __init__(self, ctx: Context, order: Order, fulfillment: Fulfillment):
        self._ctx, self._o, self._f = ctx, order, fulfillment
        self.id = gid("Fulfillment", fulfillment.id)
        self.legacyResourceId = str(fulfillment.id)
        self.name = f"{order.name}.{fulfillment.number}"
        self.status = fulfillment.status
        self.displayStatus = "CANCELED" if fulfillment.status == "CANCELLED" else "FULFILLED"
        self.createdAt, self.updatedAt = iso(fulfillment.created_at), iso(fulfillment.updated_at)
        self.inTransitAt = self.deliveredAt = self.estimatedDeliveryAt = None
        self.totalQuantity = sum(quantity for _, quantity in fulfillment.lines)
        self.requiresShipping = True
        location = ctx.shop.locations.get(fulfillment.location_id)
        self.location = LocationView(location) if location else None

    @property
    def order(self) -> OrderView:
        return OrderView(self._ctx, self._o)

    def trackingInfo(self, info=None, first=None, **_args) -> list:
        f = self._f
        urls = f.tracking_urls + [None] * (len(f.tracking_numbers) - len(f.tracking_urls))
        return [{"company": f.tracking_company, "number": number, "url": url}
                for number, url in zip(f.tracking_numbers, urls)][:first]

    def fulfillmentLineItems(self, info=None, all_items=False, **args) -> dict:
        items = [(n, line, quantity) for n, (line, quantity) in enumerate(self._f.lines, 1)]
        return connection(items, args, key=lambda item: item[0], ident=lambda item: item[0],
                          wrap=lambda item: {"id": gid("FulfillmentLineItem", self._f.id * 100 + item[0]),
                                             "quantity": item[2],
                                             "lineItem": LineItemView(self._ctx, self._o, item[1]),
                                             "originalTotalSet": bag(item[1].price.amount * item[2], self._o),
                                             "discountedTotalSet": bag(item[1].price.amount * item[2], self._o)},
                          all_items=all_items)

    def fulfillmentOrders(self, info=None, all_items=False, **args) -> dict:
        mine = [fo for fo in self._o.fulfillment_orders if fo.id in self._f.fulfillment_order_ids]
        return connection(mine, args, key=lambda fo: fo.id, ident=lambda fo: fo.id,
                          wrap=lambda fo: FulfillmentOrderView(self._ctx, self._o, fo), all_items=all_items)


class TransactionView:
    typename = "OrderTransaction"

    def __init__(self, order: Order, transaction: Transaction):
        self.id = gid("OrderTransaction", transaction.id)
        self.kind, self.status, self.test = transaction.kind, transaction.status, transaction.test
        self.gateway = self.formattedGateway = transaction.gateway
        self.amountSet = bag(transaction.amount.amount, order)
        self.processedAt = self.createdAt = iso(transaction.processed_at)
        self.manualPaymentGateway, self.manuallyCapturable, self.multiCapturable = True, False, False
        self.fees, self.errorCode, self.authorizationCode = [], None, None
        parent = next((t for t in order.transactions if t.id == transaction.parent_id), None)
        self.parentTransaction = TransactionView(order, parent) if parent else None


class RefundView:
    typename = "Refund"

    def __init__(self, ctx: Context, order: Order, refund: Refund):
        self._ctx, self._o, self._r = ctx, order, refund
        self.id = gid("Refund", refund.id)
        self.legacyResourceId = str(refund.id)
        self.note = refund.note
        self.createdAt = self.updatedAt = iso(refund.created_at)
        self.additionalFees, self.duties = [], []
        self.totalRefundedSet = bag(sum((t.amount.amount for t in refund.transactions), Decimal(0)), order)

    @property
    def order(self) -> OrderView:
        return OrderView(self._ctx, self._o)

    def refundLineItems(self, info=None, all_items=False, **args) -> dict:
        items = list(enumerate(self._r.lines, 1))
        return connection(items, args, key=lambda item: item[0], ident=lambda item: item[0],
                          wrap=lambda item: self._line(*item), all_items=all_items)

    def _line(self, number: int, refund_line) -> dict:
        location = self._ctx.shop.locations.get(refund_line.location_id) if refund_line.location_id else None
        price = refund_line.line.price.amount
        return {"id": gid("RefundLineItem", self._r.id * 100 + number), "quantity": refund_line.quantity,
                "lineItem": LineItemView(self._ctx, self._o, refund_line.line), "restockType": refund_line.restock_type,
                "restocked": refund_line.restocked, "location": LocationView(location) if location else None,
                "priceSet": bag(price, self._o), "subtotalSet": bag(price * refund_line.quantity, self._o),
                "totalTaxSet": bag(Decimal(0), self._o)}

    def transactions(self, info=None, all_items=False, **args) -> dict:
        return connection(self._r.transactions, args, key=lambda t: t.id, ident=lambda t: t.id,
                          wrap=lambda t: TransactionView(self._o, t), all_items=all_items)


class JobView:
    typename = "Job"

    def __init__(self, ctx: Context, job_id: int, done: bool, root: Any):
        self.id = gid("Job", job_id)
        self.done = done
        self.query = root
