"""QueryRoot fields over orders: orders(query:), order, orderByIdentifier, fulfillmentOrder, fulfillment, job."""
from __future__ import annotations

import time

from .graph import Context, connection
from .order_book import find
from .order_views import FulfillmentOrderView, FulfillmentView, JobView, OrderView, resolve_namespace
from .search import matcher
from .store import parse_gid

ORDER_SEARCH = {
    "source_identifier": lambda o: o.source_identifier,
    "source_name": lambda o: o.source_name,
    "tag": lambda o: o.tags,
    "name": lambda o: [o.name, o.name.lstrip("#")],
    "id": lambda o: o.id,
    "created_at": lambda o: o.created_at,
    "updated_at": lambda o: o.updated_at,
    "processed_at": lambda o: o.processed_at,
    "financial_status": lambda o: o.financial_status,
    "fulfillment_status": lambda o: o.display_fulfillment_status,
    "status": lambda o: "cancelled" if o.cancelled_at else "open",
}
ORDER_SORT = {
    "ID": lambda o: o.id, "CREATED_AT": lambda o: o.created_at, "UPDATED_AT": lambda o: o.updated_at,
    "PROCESSED_AT": lambda o: o.processed_at, "ORDER_NUMBER": lambda o: o.number, "RELEVANCE": lambda o: o.id,
}


class OrderQueries:
    def __init__(self, ctx: Context, root_for_jobs):
        self._ctx = ctx
        self._root_for_jobs = root_for_jobs

    def orders(self, info=None, all_items=False, **args) -> dict:
        ctx = self._ctx
        ctx.require("Order", "orders")
        # Shopify's search index trails writes: a new order is not found by orders(query:) at once.
        indexed_before = time.time() - float(ctx.sandbox.settings["shopify_order_index_lag"])
        matches = matcher(args.get("query"), ORDER_SEARCH)
        items = [o for o in ctx.shop.orders.values() if o.created_at.timestamp() <= indexed_before and matches(o)]
        return connection(items, args, key=ORDER_SORT.get(args.get("sortKey") or "ID", ORDER_SORT["ID"]),
                          ident=lambda o: o.id, wrap=lambda o: OrderView(ctx, o), all_items=all_items)

    def ordersCount(self, info=None, query=None, **_args) -> dict:
        self._ctx.require("Order", "ordersCount")
        matches = matcher(query, ORDER_SEARCH)
        return {"count": sum(1 for o in self._ctx.shop.orders.values() if matches(o)), "precision": "EXACT"}

    def order(self, info=None, id=None):
        self._ctx.require("Order", "order")
        found = find(self._ctx.shop, id, "Order")
        return OrderView(self._ctx, found[0]) if found else None

    def orderByIdentifier(self, info=None, identifier=None):
        self._ctx.require("Order", "orderByIdentifier")
        identifier = identifier or {}
        if identifier.get("id"):
            return self.order(id=identifier["id"])
        custom = identifier.get("customId") or {}
        namespace = resolve_namespace(custom.get("namespace"))
        found = next((o for o in self._ctx.shop.orders.values() for m in o.metafields
                      if m["namespace"] == namespace and m["key"] == custom.get("key")
                      and m["value"] == custom.get("value")), None)
        return OrderView(self._ctx, found) if found else None

    def fulfillmentOrder(self, info=None, id=None):
        self._ctx.require("FulfillmentOrder", "fulfillmentOrder")
        found = find(self._ctx.shop, id, "FulfillmentOrder")
        return FulfillmentOrderView(self._ctx, *found) if found else None

    def fulfillment(self, info=None, id=None):
        self._ctx.require("Fulfillment", "fulfillment")
        found = find(self._ctx.shop, id, "Fulfillment")
        return FulfillmentView(self._ctx, *found) if found else None

    def job(self, info=None, id=None):
        parsed = parse_gid(id or "")
        jobs = self._ctx.sandbox.jobs
        if not parsed or parsed[0] != "Job" or parsed[1] not in jobs:
            return None
        return JobView(self._ctx, parsed[1], jobs[parsed[1]], self._root_for_jobs(self._ctx))
