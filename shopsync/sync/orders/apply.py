"""Applying what TikTok says about one order, as its shop's owner: record it, then bring Shopify in line.

Whatever brought the order here (a webhook, the poll, an import, a retry), the steps are
the same and safe to repeat: TikTok's current detail is read under the owner lock, the
order is recorded, and then, in order: cancel (and restock) what TikTok cancelled; create
the Shopify order once; hold or release its fulfilment as TikTok holds or releases the
order; refund and restock units TikTok cancelled; store Shopify's stock after the order
and stop holding its units; write the Shopify order id back to TikTok. A transient
failure raises (the caller's job is retried); a refusal is recorded on the order with a
next step, and alerts the merchant when the order cannot be created.
"""
from __future__ import annotations

from contextlib import contextmanager, nullcontext

from sqlalchemy import select


from ...extensions import db
from ...models import Integration, Order
from ...models import orders as states
from ...models.integration import ACTIVE
from ...notify import alerts
from ...platforms.http import PermanentError, PlatformError, TransientError
from ...platforms.shopify.admin import ShopifyUserErrors
from ...platforms.tiktok.orders import ON_HOLD, TikTokOrder, get_orders
from ...platforms.tiktok.returns import returns_of_order
from ..connections.shopify_access import shopify_admin
from ..connections.tiktok_access import call_with_refresh
from ..ownership import shop_owner
from ..pushes.dirty import mark_links_dirty
from .create import AttemptInDoubt, adopt, find_existing, in_doubt, release_units, settle_or_create
from .follow import cancel_shopify_order, place_hold, record_return, refund_cancelled_lines, release_hold
from .permissions import missing_order_scopes, needs_approval_text
from .record import log_event, record_order, set_state
from .references import request_references
from .settings import AFTER_HOLD, OrderSettings
from .tracking import retry_shipments


ORDER_FAILED = "order_failed"


def apply_order(integration: Integration, tiktok_order_id: str, known: TikTokOrder | None = None, *,
                owner=None, look_up: bool = True, releases: list | None = None) -> tuple[str, set[int]]:
    """Bring one order up to date; returns (outcome, TikTok shops to flush).

    `known`: a detail already read (without one, TikTok is asked unless `look_up` is False); `owner`: the
    shop's owner when the caller already is; `releases`: where to put (order, store) pairs whose units the
    caller releases together (create.release_units), instead of releasing each here.
    """
    settings = OrderSettings.of(integration.order_settings)
    if not settings.import_orders:
        return "orders_off", set()
    if integration.status != ACTIVE:
        return "shop_not_connected", set()
    with (nullcontext(owner) if owner is not None else shop_owner(integration.id)) as owner, _kept_after_commit():
        if owner is None:
            raise TransientError(f"TikTok shop {integration.id} is busy; trying again shortly")
        owner.check()
        tiktok = known or (_detail(integration, tiktok_order_id) if look_up else None)
        if tiktok is None:
            return "not_found", set()
        order, changed = record_order(integration, tiktok)
        # Its units held (or no longer) change what TikTok should show: a flush planned before the order was
        # recorded may have given them back.
        flush = _links_of(order) if changed else set()
        flush |= _follow(integration, order, tiktok, settings, owner, releases)  # commits what was recorded
    return order.state, flush


@contextmanager
def _kept_after_commit():
    """The shop's owner is the only writer of its orders, so what this job committed is what the database
    holds: rows stay loaded across its commits instead of being read again after each."""
    session = db.session()
    before = session.expire_on_commit
    session.expire_on_commit = False
    try:
        yield
    finally:
        session.expire_on_commit = before


def is_settled(order: Order) -> bool:
    """Nothing left to do until TikTok changes the order again."""
    if order.state in (states.SKIPPED, states.AWAITING_PAYMENT, states.WAITING_HOLD):
        return True
    if order.state == states.CANCELLED:
        return order.shopify_order_id is None or order.shopify_cancelled_at is not None
    return (order.state == states.CREATED and order.released_at is not None and order.problem is None
            and order.fulfilment_held == (order.tiktok_status == ON_HOLD and not order.is_fulfilled_by_tiktok))


def _detail(integration: Integration, tiktok_order_id: str) -> TikTokOrder | None:
    found = call_with_refresh(integration, lambda client: get_orders(client, [tiktok_order_id]))
    return next((order for order in found if order.id == str(tiktok_order_id)), None)


def _links_of(order: Order) -> set[int]:
    """Its lines' links, marked dirty: the units they hold (or stopped holding) change what TikTok should show."""
    return mark_links_dirty(order.tenant_id, [line.link_id for line in order.lines if line.link_id])


def _follow(integration: Integration, order: Order, tiktok: TikTokOrder, settings: OrderSettings, owner,
            releases: list | None = None) -> set[int]:
    if tiktok.is_cancelled:
        return _cancelled(order, owner)
    if order.state == states.CANCELLED:
        return set()
    if not tiktok.is_paid:
        set_state(order, states.AWAITING_PAYMENT)
        db.session.commit()
        return set()
    if order.shopify_order_id is None:
        store = _ready_store(order, tiktok, settings)
        if store is None:
            db.session.commit()
            return set()
        failed_before = order.attempts > 0 and order.state in (states.FAILED, states.CREATING)
        try:
            settle_or_create(order, tiktok, shopify_admin(store), settings, owner)
        except TransientError:
            raise
        except PlatformError as error:
            db.session.rollback()
            _failed(order, error)
            return set()
        if failed_before:
            alerts.report_recovery(order.tenant_id, ORDER_FAILED, _subject(order), f"TikTok order "
                                   f"{order.tiktok_order_id} is now in Shopify as {order.shopify_order_name}.")
    if order.state != states.CREATED or order.shopify_cancelled_at is not None:
        return set()
    return _keep_in_line(integration, order, tiktok, owner, releases)


def _ready_store(order: Order, tiktok: TikTokOrder, settings: OrderSettings) -> Integration | None:
    """The Shopify store to create the order in, or None (with the reason on the order) when not now."""
    linked = [line for line in order.lines if line.link_id and line.live_quantity > 0]
    if not linked:
        set_state(order, states.SKIPPED, "None of its items is linked to a Shopify variant.")
        order.problem = "None of this order's items is linked to a Shopify variant, so it was not created in Shopify."
        order.next_step = "Link its TikTok SKUs to Shopify variants on the Links page, then press Retry."
        return None
    if settings.create_mode == AFTER_HOLD and tiktok.status == ON_HOLD:
        set_state(order, states.WAITING_HOLD, "This shop creates orders once TikTok's hold ends.")
        order.problem = order.next_step = None
        return None
    store = db.session.get(Integration, linked[0].shopify_integration_id)
    if order.state not in (states.CREATING, states.FAILED):
        set_state(order, states.PENDING)
    order.shopify_integration_id = store.id if store else None
    if store is None or store.status != ACTIVE:
        order.problem = "The Shopify store of its linked items is not connected."
        order.next_step = "Reconnect the Shopify store; the order is created then (its units stay held until then)."
        return None
    missing = missing_order_scopes(store)
    if missing:
        order.problem = needs_approval_text(missing)
        order.next_step = "Approve ShopSync's order permissions from the banner at the top of the page."
        return None
    return store


def _failed(order: Order, error: PlatformError) -> None:
    reasons = [e.get("message", "") for e in error.user_errors] if isinstance(error, ShopifyUserErrors) else []
    order.problem = "Shopify refused the order: " + ("; ".join(r for r in reasons if r) or error.message)
    order.next_step = ("Fix what Shopify names (often a deleted variant or a location without the item), "
                       "then press Retry. The order's units stay held on TikTok until it is in Shopify.")
    set_state(order, states.FAILED, order.problem)
    log_event(order, "create_failed", None, None, order.problem, error.request_id)
    db.session.commit()
    alerts.report_failure(order.tenant_id, ORDER_FAILED, _subject(order),
                          f"TikTok order {order.tiktok_order_id} could not be created in Shopify",
                          {"order": order.tiktok_order_id, "reason": order.problem}, f"/orders/{order.id}")


def _subject(order: Order) -> str:
    return f"order:{order.id}"


def _keep_in_line(integration: Integration, order: Order, tiktok: TikTokOrder, owner,
                  releases: list | None = None) -> set[int]:
    store = db.session.get(Integration, order.shopify_integration_id)
    client = shopify_admin(store)
    flush: set[int] = set()
    try:
        owner.check()
        want_hold = tiktok.status == ON_HOLD and not order.is_fulfilled_by_tiktok
        if want_hold and not order.fulfilment_held:
            place_hold(order, client)
        elif not want_hold and order.fulfilment_held:
            release_hold(order, tiktok, client)
        refund_cancelled_lines(order, client)
        db.session.commit()
        if order.released_at is None and releases is not None:
            releases.append((order, store))
        elif order.released_at is None:
            flush |= release_units([order], store, client, owner)
    except PermanentError as error:  # an answer, not a database error: what was done so far is kept
        order.problem = f"Shopify refused a follow-up step: {error.message}"
        order.next_step = "Check the order in Shopify; press Retry once it is fixed."
        log_event(order, "problem", None, None, order.problem, error.request_id)
        db.session.commit()
        return flush
    if not order.external_reference_saved:
        request_references(integration.id)
    retry_shipments(integration, order, owner)
    return flush


def _cancelled(order: Order, owner) -> set[int]:
    if order.state == states.CANCELLED and (order.shopify_order_id is None or order.shopify_cancelled_at):
        return set()
    was_holding = order.holds_units
    store = db.session.get(Integration, order.shopify_integration_id) if order.shopify_integration_id else None
    if store is not None and store.status == ACTIVE and not missing_order_scopes(store):
        client = shopify_admin(store)
        owner.check()
        if order.shopify_order_id is None and order.state == states.CREATING:
            found = find_existing(client, order.tiktok_order_id)  # an attempt in doubt may have landed
            if found is not None:
                adopt(order, found, "found")
            elif in_doubt(order):
                raise AttemptInDoubt(f"order {order.tiktok_order_id}: settling an earlier attempt before cancelling")
        if order.shopify_order_id is not None and order.shopify_cancelled_at is None:
            cancel_shopify_order(order, client)
    if order.shopify_order_id is None:
        set_state(order, states.CANCELLED, "TikTok Shop cancelled the order before it reached Shopify.")
        order.problem = order.next_step = None
    elif order.shopify_cancelled_at is None:
        set_state(order, states.CANCELLED)
        order.problem = "TikTok Shop cancelled the order, but ShopSync could not cancel it in Shopify yet."
        order.next_step = "Approve ShopSync's order permissions or reconnect the store, then press Retry."
    db.session.commit()
    return _links_of(order) if was_holding or order.shopify_order_id is not None else set()


def apply_returns(integration: Integration, tiktok_order_id: str) -> str | None:
    """Record TikTok's completed returns of the order in Shopify (refunded; restocked per the shop's policy)."""
    settings = OrderSettings.of(integration.order_settings)
    with shop_owner(integration.id) as owner:
        if owner is None:
            raise TransientError(f"TikTok shop {integration.id} is busy; trying again shortly")
        order = db.session.execute(select(Order).where(
            Order.tiktok_integration_id == integration.id, Order.tiktok_order_id == str(tiktok_order_id))
        ).scalar_one_or_none()
        if order is None or order.shopify_order_id is None:
            return None
        completed = [r for r in call_with_refresh(integration, lambda client: returns_of_order(client, order.tiktok_order_id))
                     if r.is_completed_return]
        if not completed:
            return None
        client = shopify_admin(db.session.get(Integration, order.shopify_integration_id))
        recorded = 0
        for tiktok_return in completed:
            owner.check()
            recorded += record_return(order, client, tiktok_return, settings)
            db.session.commit()
        return f"returns_recorded: {recorded}"
