"""Order mutations: orderCreate, orderCancel, refundCreate, fulfilment holds, fulfilments, tracking.

Each refuses without its access scope (top-level ACCESS_DENIED, as for reads) and answers bad input with
the payload's userErrors, as Shopify does.
"""
from __future__ import annotations

import json
import threading
import time
from decimal import Decimal, InvalidOperation

from graphql import GraphQLError

from . import order_book
from .graph import Context
from .order_input import Invalid, build_order
from .order_views import FulfillmentOrderView, FulfillmentView, HoldView, JobView, OrderView, RefundView
from .orders import FulfillmentOrder, Money, Order, Transaction
from .store import gid, parse_gid

WRITE_ORDERS = "write_orders"
WRITE_FULFILLMENT_ORDERS = "write_merchant_managed_fulfillment_orders"
DEV_STORE_ORDERS_PER_MINUTE = 5
DEV_STORE_LIMIT = ("Exceeded order API rate limit, please try again in a minute. Upgrade to a paid account to "
                   "remove this limit.")
HOLD_LIMIT = 10
FULFILLABLE = ("OPEN", "IN_PROGRESS")


def _idempotency_key(info) -> str | None:
    for directive in info.field_nodes[0].directives or ():
        if directive.name.value == "idempotent":
            for argument in directive.arguments:
                if argument.name.value == "key":
                    value = argument.value
                    if hasattr(value, "value"):
                        return value.value
                    return info.variable_values.get(value.name.value)
    return None


class OrderMutations:
    def __init__(self, ctx: Context, root_for_jobs):
        self._ctx = ctx
        self._root_for_jobs = root_for_jobs

    # ---- orders ------------------------------------------------------------------------------------
    def orderCreate(self, info=None, order=None, options=None) -> dict:
        ctx = self._ctx
        ctx.require_scope(WRITE_ORDERS, "orderCreate")
        shop = ctx.shop
        recent = [t for t in shop.order_creations if t > time.monotonic() - 60]
        if shop.plan == "development" and len(recent) >= DEV_STORE_ORDERS_PER_MINUTE:
            raise GraphQLError(DEV_STORE_LIMIT, extensions={"code": "THROTTLED"})
        options = options or {}
        behaviour = options.get("inventoryBehaviour") or "BYPASS"
        try:
            created, locations = build_order(ctx, order or {}, behaviour)
            fulfilled_at, tracking = self._already_fulfilled(order or {})
        except Invalid as invalid:
            return {"order": None, "userErrors": [invalid.error]}
        created.receipt_sent = bool(options.get("sendReceipt"))  # recorded, never mailed
        shop.order_creations = recent + [time.monotonic()]
        order_book.place(ctx.sandbox, shop, created, locations, claim=behaviour != "BYPASS",
                         fulfilled_at=fulfilled_at, tracking=tracking)
        return {"order": OrderView(ctx, created), "userErrors": []}

    def _already_fulfilled(self, spec: dict) -> tuple[int | None, dict | None]:
        fulfillment = spec.get("fulfillment")
        if fulfillment:
            parsed = parse_gid(fulfillment["locationId"])
            if not parsed or parsed[0] != "Location" or parsed[1] not in self._ctx.shop.locations:
                raise Invalid(["order", "fulfillment", "locationId"], "Location does not exist")
            return parsed[1], {"company": fulfillment.get("trackingCompany"),
                               "number": fulfillment.get("trackingNumber")}
        if spec.get("fulfillmentStatus") == "FULFILLED":
            return order_book.route(self._ctx.shop, None), {}
        return None, None

    def orderUpdate(self, info=None, input=None) -> dict:
        """Edit what an order's fields allow after creation: address, tags, note, attributes, email."""
        ctx = self._ctx
        ctx.require_scope(WRITE_ORDERS, "orderUpdate")
        order = self._order(input["id"])
        if order is None:
            return {"order": None, "userErrors": [{"field": ["id"], "message": "Order does not exist"}]}
        if "shippingAddress" in input:
            order.shipping_address = input["shippingAddress"]
        if "tags" in input:
            order.tags = sorted({t.strip() for t in input["tags"] or [] if t.strip()}, key=str.lower)
        if "customAttributes" in input:
            order.custom_attributes = [{"key": a["key"], "value": a.get("value")} for a in input["customAttributes"]]
        for name, attribute in (("note", "note"), ("email", "email")):
            if name in input:
                setattr(order, attribute, input[name])
        order_book.touch(ctx.sandbox, ctx.shop, order)
        return {"order": OrderView(ctx, order), "userErrors": []}

    def orderCancel(self, info=None, orderId=None, reason=None, restock=None, refund=None, refundMethod=None,
                    notifyCustomer=False, staffNote=None) -> dict:
        ctx = self._ctx
        ctx.require_scope(WRITE_ORDERS, "orderCancel")

        def refused(field, message, code):
            error = {"field": field, "message": message, "code": code}
            return {"job": None, "jobResult": None, "orderCancelUserErrors": [error],
                    "userErrors": [{"field": field, "message": message}]}

        order = self._order(orderId)
        if order is None:
            return refused(["orderId"], "Order does not exist", "NOT_FOUND")
        if order.cancelled_at is not None:
            return refused(["orderId"], "Order has already been cancelled", "INVALID")
        if any(f.status == "SUCCESS" for f in order.fulfillments):
            return refused(["orderId"], "Cannot cancel an order with fulfilled items: cancel the fulfillments first",
                           "INVALID")
        if refund is not None and refundMethod is not None:
            return refused(["refundMethod"], "Use either refund or refundMethod, not both", "INVALID")
        if staffNote is not None and len(staffNote) > 255:
            return refused(["staffNote"], "Staff note is too long (maximum is 255 characters)", "INVALID")
        refund_money = bool(refund) or bool((refundMethod or {}).get("originalPaymentMethodsRefund"))
        sandbox, shop = ctx.sandbox, ctx.shop
        job_id = sandbox._new_id(1_200_000_000)
        transaction_id = sandbox._new_id(8_800_000_000)
        sandbox.jobs[job_id] = False

        def run():
            with sandbox.lock:
                order_book.cancel(sandbox, shop, order, reason, bool(restock), refund_money, transaction_id)
                sandbox.jobs[job_id] = True

        delay = float(sandbox.settings["shopify_cancel_job_seconds"])
        if delay > 0:
            threading.Timer(delay, run).start()
        else:
            run()
        job = JobView(ctx, job_id, sandbox.jobs[job_id], self._root_for_jobs(ctx))
        return {"job": job, "jobResult": None, "orderCancelUserErrors": [], "userErrors": []}

    def refundCreate(self, info=None, input=None) -> dict:
        ctx = self._ctx
        ctx.require_scope(WRITE_ORDERS, "refundCreate")
        key = _idempotency_key(info) if info is not None else None
        if key is None and ctx.sandbox.settings["shopify_require_idempotency"]:
            raise GraphQLError("The @idempotent directive is required for this mutation.",
                               extensions={"code": "BAD_REQUEST"})
        fingerprint = json.dumps(input, sort_keys=True, default=str)
        if key is not None and ("refundCreate", key) in ctx.shop.idempotent:
            seen, answer = ctx.shop.idempotent[("refundCreate", key)]
            if seen != fingerprint:
                raise GraphQLError("The idempotency key was already used with different parameters.",
                                   extensions={"code": "IDEMPOTENCY_KEY_PARAMETER_MISMATCH"})
            return answer(ctx)
        order = self._order(input["orderId"])
        if order is None:
            return {"refund": None, "order": None, "userErrors": [{"field": ["orderId"],
                                                                   "message": "Order does not exist"}]}
        try:
            lines = self._refund_lines(order, input.get("refundLineItems") or [])
            transactions = self._refund_transactions(order, input.get("transactions") or [])
        except Invalid as invalid:
            return {"refund": None, "order": None,
                    "userErrors": [{"field": invalid.error["field"], "message": invalid.error["message"]}]}
        if not lines and not transactions and not input.get("shipping"):
            return {"refund": None, "order": None,
                    "userErrors": [{"field": ["refundLineItems"], "message": "Refund must refund something"}]}
        record = order_book.refund(ctx.sandbox, ctx.shop, order, lines, transactions, input.get("note"))

        def answer(context):
            return {"refund": RefundView(context, order, record), "order": OrderView(context, order),
                    "userErrors": []}
        if key is not None:
            ctx.shop.idempotent[("refundCreate", key)] = (fingerprint, answer)
        return answer(ctx)

    def _refund_lines(self, order: Order, entries: list[dict]) -> list:
        lines = []
        for n, entry in enumerate(entries):
            field = ["refundLineItems", str(n)]
            parsed = parse_gid(entry["lineItemId"])
            line = order.line(parsed[1]) if parsed and parsed[0] == "LineItem" else None
            if line is None:
                raise Invalid(field + ["lineItemId"], "Line item does not belong to the order")
            quantity, restock_type = entry["quantity"], entry.get("restockType") or "NO_RESTOCK"
            if restock_type == "LEGACY_RESTOCK":
                raise Invalid(field + ["restockType"], "Restock type LEGACY_RESTOCK cannot be used to create refunds")
            refundable = line.current_quantity - line.refunded
            if not 1 <= quantity <= refundable:
                raise Invalid(field + ["quantity"], f"Quantity cannot refund more items than were purchased "
                                                    f"({refundable} refundable)")
            if restock_type == "CANCEL" and quantity > order.unfulfilled_quantity(line):
                raise Invalid(field + ["restockType"], "Only unfulfilled items can be cancelled and restocked")
            if restock_type == "RETURN" and quantity > order.fulfilled_quantity(line) - line.refunded:
                raise Invalid(field + ["restockType"], "Only fulfilled items can be returned and restocked")
            location_id = None
            if entry.get("locationId"):
                where = parse_gid(entry["locationId"])
                if not where or where[0] != "Location" or where[1] not in self._ctx.shop.locations:
                    raise Invalid(field + ["locationId"], "Location does not exist")
                location_id = where[1]
            lines.append((line, quantity, restock_type, location_id))
        return lines

    def _refund_transactions(self, order: Order, entries: list[dict]) -> list[Transaction]:
        transactions = []
        for n, entry in enumerate(entries):
            field = ["transactions", str(n)]
            try:
                value = Decimal(str(entry["amount"]))
            except InvalidOperation:
                raise Invalid(field + ["amount"], "Amount is invalid") from None
            if entry["kind"] != "REFUND" or value <= 0:
                raise Invalid(field, "Refund transactions must be of kind REFUND with a positive amount")
            parent = parse_gid(entry.get("parentId") or "")
            transactions.append(Transaction(id=self._ctx.sandbox._new_id(8_800_000_000), kind="REFUND",
                                            status="SUCCESS", gateway=entry["gateway"],
                                            amount=Money(value, order.currency), processed_at=order.updated_at,
                                            parent_id=parent[1] if parent else None))
        received = sum(t.amount.amount for t in order.transactions if t.kind in ("SALE", "CAPTURE"))
        refunded = sum(t.amount.amount for t in order.transactions if t.kind == "REFUND")
        if sum(t.amount.amount for t in transactions) > received - refunded:
            raise Invalid(["transactions"], "Refund amount is more than the amount available to refund")
        return transactions

    # ---- fulfilment ------------------------------------------------------------------------------------
    def fulfillmentOrderHold(self, info=None, id=None, fulfillmentHold=None) -> dict:
        self._ctx.require_scope(WRITE_FULFILLMENT_ORDERS, "fulfillmentOrderHold")
        spec = fulfillmentHold or {}

        def refused(field, message, code):
            return {"fulfillmentHold": None, "fulfillmentOrder": None, "remainingFulfillmentOrder": None,
                    "userErrors": [{"field": field, "message": message, "code": code}]}

        found = self._fulfillment_order(id)
        if found is None:
            return refused(["id"], "Fulfillment order does not exist.", "FULFILLMENT_ORDER_NOT_FOUND")
        order, fo = found
        if fo.status not in FULFILLABLE + ("ON_HOLD",):
            return refused(["id"], f"The fulfillment order's status ({fo.status}) does not allow a hold.", None)
        handle = spec.get("handle") or ""
        if any(h.handle == handle for h in fo.holds):
            return refused(["fulfillmentHold", "handle"], "The handle is already used by another hold.",
                           "DUPLICATE_FULFILLMENT_HOLD_HANDLE")
        if len(fo.holds) >= HOLD_LIMIT:
            return refused(["id"], f"The fulfillment order has reached its limit of {HOLD_LIMIT} holds.",
                           "FULFILLMENT_ORDER_HOLD_LIMIT_REACHED")
        partial = spec.get("fulfillmentOrderLineItems") or []
        if any(item["quantity"] <= 0 for item in partial):
            return refused(["fulfillmentHold", "fulfillmentOrderLineItems"], "Quantity must be greater than 0.",
                           "GREATER_THAN_ZERO")
        if partial and sorted((parse_gid(i["id"]) or ("", 0))[1] for i in partial for _ in range(i["quantity"])) \
                != sorted(line.id for line in fo.lines for _ in range(line.remaining)):
            return refused(["fulfillmentHold", "fulfillmentOrderLineItems"],
                           "The sandbox holds whole fulfillment orders only.", "FULFILLMENT_ORDER_NOT_SPLITTABLE")
        placed = order_book.hold(self._ctx.sandbox, self._ctx.shop, order, fo, spec["reason"],
                                 spec.get("reasonNotes"), handle, spec.get("externalId"))
        return {"fulfillmentHold": HoldView(placed), "fulfillmentOrder": FulfillmentOrderView(self._ctx, order, fo),
                "remainingFulfillmentOrder": None, "userErrors": []}

    def fulfillmentOrderReleaseHold(self, info=None, id=None, holdIds=None, externalId=None) -> dict:
        self._ctx.require_scope(WRITE_FULFILLMENT_ORDERS, "fulfillmentOrderReleaseHold")
        found = self._fulfillment_order(id)
        if found is None:
            return {"fulfillmentOrder": None, "userErrors": [{"field": ["id"], "code": "FULFILLMENT_ORDER_NOT_FOUND",
                                                              "message": "Fulfillment order does not exist."}]}
        order, fo = found
        if fo.status != "ON_HOLD":
            return {"fulfillmentOrder": None, "userErrors": [{"field": ["id"], "code": None,
                                                              "message": "The fulfillment order is not on hold."}]}
        ids = None if holdIds is None else [(parse_gid(h) or ("", 0))[1] for h in holdIds]
        order_book.release(self._ctx.sandbox, self._ctx.shop, order, fo, ids)
        return {"fulfillmentOrder": FulfillmentOrderView(self._ctx, order, fo), "userErrors": []}

    def fulfillmentCreate(self, info=None, fulfillment=None, message=None) -> dict:
        self._ctx.require_scope(WRITE_FULFILLMENT_ORDERS, "fulfillmentCreate")
        try:
            order, parts = self._fulfillment_parts(fulfillment["lineItemsByFulfillmentOrder"])
        except Invalid as invalid:
            return {"fulfillment": None, "userErrors": [{"field": invalid.error["field"],
                                                         "message": invalid.error["message"]}]}
        tracking = fulfillment.get("trackingInfo") or {}
        created = order_book.fulfil(self._ctx.sandbox, self._ctx.shop, order, parts, tracking)
        return {"fulfillment": FulfillmentView(self._ctx, order, created), "userErrors": []}

    fulfillmentCreateV2 = fulfillmentCreate

    def fulfillmentTrackingInfoUpdate(self, info=None, fulfillmentId=None, trackingInfoInput=None,
                                      notifyCustomer=None) -> dict:
        self._ctx.require_scope(WRITE_FULFILLMENT_ORDERS, "fulfillmentTrackingInfoUpdate")
        found = order_book.find(self._ctx.shop, fulfillmentId, "Fulfillment")
        if found is None:
            return {"fulfillment": None, "userErrors": [{"field": ["fulfillmentId"],
                                                         "message": "Fulfillment does not exist."}]}
        order, made = found
        order_book.update_tracking(self._ctx.sandbox, self._ctx.shop, order, made, trackingInfoInput)
        return {"fulfillment": FulfillmentView(self._ctx, order, made), "userErrors": []}

    fulfillmentTrackingInfoUpdateV2 = fulfillmentTrackingInfoUpdate

    def fulfillmentCancel(self, info=None, id=None) -> dict:
        self._ctx.require_scope(WRITE_FULFILLMENT_ORDERS, "fulfillmentCancel")
        found = order_book.find(self._ctx.shop, id, "Fulfillment")
        if found is None:
            return {"fulfillment": None, "userErrors": [{"field": ["id"], "message": "Fulfillment does not exist."}]}
        order, made = found
        if made.status == "CANCELLED":
            return {"fulfillment": None, "userErrors": [{"field": ["id"],
                                                         "message": "Fulfillment is already cancelled."}]}
        order_book.cancel_fulfillment(self._ctx.sandbox, self._ctx.shop, order, made)
        return {"fulfillment": FulfillmentView(self._ctx, order, made), "userErrors": []}

    def _fulfillment_parts(self, groups: list[dict]):
        if not groups:
            raise Invalid(["fulfillment", "lineItemsByFulfillmentOrder"], "Fulfillment orders are required.")
        parts, order, location_id = [], None, None
        for n, group in enumerate(groups):
            field = ["fulfillment", "lineItemsByFulfillmentOrder", str(n)]
            found = self._fulfillment_order(group["fulfillmentOrderId"])
            if found is None:
                raise Invalid(field + ["fulfillmentOrderId"], "Fulfillment order does not exist.")
            this_order, fo = found
            if order is not None and (this_order is not order or fo.location_id != location_id):
                raise Invalid(field, "All fulfillment orders must belong to the same order and location.")
            order, location_id = this_order, fo.location_id
            if fo.status not in FULFILLABLE:
                raise Invalid(field, f"Fulfillment order {gid('FulfillmentOrder', fo.id)} has an unfulfillable "
                                     f"status= {fo.status.lower()}.")
            wanted = group.get("fulfillmentOrderLineItems")
            if not wanted:
                chosen = [(line, line.remaining) for line in fo.lines if line.remaining]
            else:
                chosen = []
                for item in wanted:
                    parsed = parse_gid(item["id"])
                    line = next((li for li in fo.lines if parsed and li.id == parsed[1]), None)
                    if line is None:
                        raise Invalid(field, f"Fulfillment order line item {item['id']} does not exist.")
                    if not 1 <= item["quantity"] <= line.remaining:
                        raise Invalid(field, f"Invalid fulfillment order line item quantity requested: "
                                             f"{item['quantity']} (remaining {line.remaining}).")
                    chosen.append((line, item["quantity"]))
            if not chosen:
                raise Invalid(field, "Nothing is left to fulfill on this fulfillment order.")
            parts.append((fo, chosen))
        return order, parts

    # ---- lookups -------------------------------------------------------------------------------------
    def _order(self, order_gid: str | None) -> Order | None:
        found = order_book.find(self._ctx.shop, order_gid, "Order")
        return found[0] if found else None

    def _fulfillment_order(self, fo_gid: str | None) -> tuple[Order, FulfillmentOrder] | None:
        return order_book.find(self._ctx.shop, fo_gid, "FulfillmentOrder")
