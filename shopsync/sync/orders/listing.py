"""The Orders page's and API's queries: filters, pages, counts, and what an order holds.

Every query takes the tenant explicitly; blueprints pass current_tenant_id().
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

from flask import current_app
from sqlalchemy import Select, func, or_, select
from sqlalchemy.orm import selectinload

from ...extensions import db
from ...inputs import clean_text, named, optional_row_id
from ...models import Integration, Order, utcnow
from ...models import orders as states

PAGE_SIZE = 50
# The merchant's words for where an order is; each maps to the states (and problems) it covers.
VIEWS = {
    "attention": "Needs attention",
    "held": "Waiting for Shopify",
    "created": "In Shopify",
    "cancelled": "Cancelled",
    "skipped": "Not imported",
}
STATE_LABELS = {
    states.AWAITING_PAYMENT: "Awaiting payment", states.SKIPPED: "Not imported (no linked item)",
    states.WAITING_HOLD: "Waiting for TikTok's hold to end", states.PENDING: "Creating in Shopify",
    states.CREATING: "Creating in Shopify", states.CREATED: "In Shopify", states.FAILED: "Shopify refused it",
    states.CANCELLED: "Cancelled",
}


@dataclass(frozen=True)
class OrderFilters:
    view: str = ""
    shop_id: int | None = None
    search: str = ""

    @classmethod
    def from_args(cls, args) -> "OrderFilters":
        view = args.get("view", "")
        return cls(view=view if view in VIEWS else "", shop_id=named("shop", optional_row_id, args.get("shop")),
                   search=named("q", clean_text, args.get("q", ""), max_length=100).strip())

    def as_args(self) -> dict:
        return {key: value for key, value in (("view", self.view), ("shop", self.shop_id), ("q", self.search))
                if value}


def conditions(tenant_id: int, filters: OrderFilters) -> list:
    where = [Order.tenant_id == tenant_id]
    if filters.view == "attention":
        where.append(or_(Order.problem.is_not(None), Order.state == states.FAILED))
    elif filters.view == "held":
        where.append(Order.state.in_(states.HOLDING_STATES) & Order.released_at.is_(None))
    elif filters.view == "created":
        where.append(Order.state == states.CREATED)
    elif filters.view == "cancelled":
        where.append(Order.state == states.CANCELLED)
    elif filters.view == "skipped":
        where.append(Order.state.in_((states.SKIPPED, states.AWAITING_PAYMENT)))
    if filters.shop_id:
        where.append(Order.tiktok_integration_id == filters.shop_id)
    if filters.search:
        needle = filters.search.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
        where.append(or_(Order.tiktok_order_id.like(f"%{needle}%", escape="\\"),
                         Order.shopify_order_name.like(f"%{needle}%", escape="\\")))
    return where


def orders_query(tenant_id: int, filters: OrderFilters) -> Select:
    return select(Order).where(*conditions(tenant_id, filters))


def page(tenant_id: int, filters: OrderFilters, before_id: int | None) -> tuple[list[Order], int | None]:
    query = orders_query(tenant_id, filters)
    if before_id:
        query = query.where(Order.id < before_id)
    rows = db.session.execute(query.order_by(Order.id.desc()).limit(PAGE_SIZE + 1)).scalars().all()
    more = len(rows) > PAGE_SIZE
    return rows[:PAGE_SIZE], rows[PAGE_SIZE - 1].id if more else None


def some(tenant_id: int, order_ids: list[int]) -> list[Order]:
    """These orders (the rows a page shows), those of this tenant."""
    if not order_ids:
        return []
    return db.session.execute(select(Order).options(selectinload(Order.lines)).where(
        Order.tenant_id == tenant_id, Order.id.in_(order_ids)).order_by(Order.id.desc())).scalars().all()


def newer(tenant_id: int, order_id: int) -> list[Order]:
    """Orders received after this one, newest first (at most a page): what the newest page has not shown yet."""
    return db.session.execute(select(Order).options(selectinload(Order.lines)).where(
        Order.tenant_id == tenant_id, Order.id > order_id).order_by(Order.id.desc()).limit(PAGE_SIZE)).scalars().all()


def counts(tenant_id: int) -> dict[str, int]:
    """The dashboard's numbers: today's orders, orders holding units, orders needing attention."""
    since = utcnow() - timedelta(days=1)
    base = select(func.count(Order.id)).where(Order.tenant_id == tenant_id)
    return {
        "today": db.session.execute(base.where(Order.created_at >= since)).scalar_one(),
        "held": db.session.execute(base.where(*conditions(tenant_id, OrderFilters(view="held"))[1:])).scalar_one(),
        "attention": db.session.execute(base.where(*conditions(tenant_id, OrderFilters(view="attention"))[1:])
                                        ).scalar_one(),
    }


def shops(tenant_id: int) -> list[Integration]:
    return db.session.execute(select(Integration).where(
        Integration.tenant_id == tenant_id, Integration.platform == "tiktok").order_by(Integration.id)).scalars().all()


def shopify_admin_url(order: Order) -> str | None:
    """Where the merchant sees the order in their Shopify admin."""
    if order.shopify_order_id is None or order.shopify_integration_id is None:
        return None
    store = db.session.get(Integration, order.shopify_integration_id)
    if store is None:
        return None
    config = current_app.config
    if config["SANDBOX_ENABLED"]:  # the sandbox store's own admin page lists its orders
        return f"{config['SANDBOX_URL']}/shopify/_control/shops/{store.external_id}/admin"
    return f"https://{store.external_id}/admin/orders/{order.shopify_order_id}"
