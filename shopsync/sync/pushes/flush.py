"""The push paths over one TikTok shop, each run while holding that shop's push lock (see jobs/pushes.py).

- flush: what webhooks marked dirty, looping until nothing new arrived during the push;
- due: links whose schedule says it is time (and any dirty link a flush missed);
- selected links: "Sync now" and batch runs, counted in their sync run.
"""
from __future__ import annotations

from collections.abc import Callable
from sqlalchemy import and_, or_, select, update
from sqlalchemy.orm import aliased

from ...extensions import db
from ...models import Integration, ProductLink, SyncRun, utcnow
from ...models.integration import ACTIVE
from .planner import build_plan, plan_dirty, plan_links, pushable
from .pusher import PushOutcome, push_plan
from .reconcile import read_from_tiktok
from .rules import SCHEDULES, LinkSettings
from ..runs import count_run, finish_run, start_run

MAX_FLUSH_ROUNDS = 20
KeepAlive = Callable[[], None]


def flush_dirty(tiktok_integration_id: int, trigger: str, keep_alive: KeepAlive) -> PushOutcome:
    """Push dirty links until none are left; stops early when a retry or reconnection is needed."""
    total = PushOutcome()
    integration = db.session.get(Integration, tiktok_integration_id)
    if integration is None:
        return total
    tenant_id = integration.tenant_id
    for _ in range(MAX_FLUSH_ROUNDS):
        plan = plan_dirty(tiktok_integration_id)
        if not plan.link_ids:
            break
        run_id = None
        if not plan.is_empty:
            run_id = start_run(tenant_id, "push", trigger, integration_id=tiktok_integration_id,
                               total=len(plan.link_ids))
        outcome = push_plan(plan, trigger=trigger, run_id=run_id, keep_alive=keep_alive)
        _merge(total, outcome)
        if run_id is not None:
            finish_run(run_id)
        if outcome.retry_later or outcome.reauth_integrations:
            break
    db.session.commit()
    return total


def has_dirty_links(tiktok_integration_id: int) -> bool:
    """Whether a flush of this shop would find work (plan_dirty's links, without planning them)."""
    tiktok, shopify = aliased(Integration), aliased(Integration)
    return db.session.execute(
        select(ProductLink.id)
        .join(tiktok, tiktok.id == ProductLink.tiktok_integration_id)
        .join(shopify, shopify.id == ProductLink.shopify_integration_id)
        .where(*pushable(ProductLink.tiktok_integration_id == tiktok_integration_id, ProductLink.dirty.is_(True)),
               tiktok.status == ACTIVE, shopify.status == ACTIVE)
        .limit(1)).first() is not None


def push_due(tiktok_integration_id: int, keep_alive: KeepAlive, now=None) -> PushOutcome:
    """Scheduled sync of one shop: push what differs from the last push, then set each link's next time."""
    now = now or utcnow()
    integration = db.session.get(Integration, tiktok_integration_id)
    if integration is None:
        return PushOutcome()
    default_schedule = LinkSettings.effective(None, integration.defaults).schedule
    due = _due_condition(default_schedule, now)
    plan = build_plan(pushable(ProductLink.tiktok_integration_id == tiktok_integration_id,
                               or_(due, ProductLink.dirty.is_(True))))
    run_id = None
    if not plan.is_empty:
        run_id = start_run(integration.tenant_id, "push", "schedule", integration_id=tiktok_integration_id,
                           total=len(plan.link_ids))
    outcome = push_plan(plan, trigger="schedule", run_id=run_id, keep_alive=keep_alive)
    if run_id is not None:
        finish_run(run_id)
    _schedule_next(tiktok_integration_id, default_schedule, now)
    db.session.commit()
    return outcome


def push_selected(run_id: int, tenant_id: int, tiktok_integration_id: int, link_ids: list[int],
                  keep_alive: KeepAlive) -> PushOutcome:
    """Sync now: read these links' values from TikTok, then push whatever differs from them or from the
    last push, so a change made on TikTok directly is corrected too."""
    ids = db.session.execute(select(ProductLink.id).where(
        ProductLink.tenant_id == tenant_id, ProductLink.tiktok_integration_id == tiktok_integration_id,
        ProductLink.id.in_(link_ids))).scalars().all()
    read_from_tiktok(tiktok_integration_id, ids, keep_alive)
    plan = plan_links(tenant_id, ids, reference="either")
    outcome = push_plan(plan, trigger=_run_trigger(run_id), run_id=run_id, keep_alive=keep_alive)
    count_run(run_id, done=len(plan.unchanged))
    db.session.commit()
    return outcome


def _run_trigger(run_id: int) -> str:
    return db.session.get(SyncRun, run_id).trigger


def due_integrations(now=None) -> list[int]:
    """Active TikTok shops with a link due by its schedule or left dirty."""
    now = now or utcnow()
    found = []
    integrations = db.session.execute(select(Integration).where(
        Integration.platform == "tiktok", Integration.status == "active")).scalars().all()
    for integration in integrations:
        default_schedule = LinkSettings.effective(None, integration.defaults).schedule
        hit = db.session.execute(select(ProductLink.id).where(
            ProductLink.tiktok_integration_id == integration.id, ProductLink.paused.is_(False),
            or_(_due_condition(default_schedule, now), ProductLink.dirty.is_(True))).limit(1)).first()
        if hit:
            found.append(integration.id)
    return found


def _due_condition(default_schedule: str, now):
    on = [name for name, interval in SCHEDULES.items() if interval is not None]
    scheduled = ProductLink.schedule.in_(on)
    if SCHEDULES[default_schedule] is not None:
        scheduled = or_(scheduled, ProductLink.schedule.is_(None))
    return and_(scheduled, or_(ProductLink.next_sync_at.is_(None), ProductLink.next_sync_at <= now))


def _schedule_next(tiktok_integration_id: int, default_schedule: str, now) -> None:
    """Links that were due get their next time; set-based, so 20,000 links are one statement per schedule."""
    due = _due_condition(default_schedule, now)
    for name, interval in SCHEDULES.items():
        if interval is None:
            continue
        which = ProductLink.schedule == name
        if name == default_schedule:
            which = or_(which, ProductLink.schedule.is_(None))
        db.session.execute(update(ProductLink).where(
            ProductLink.tiktok_integration_id == tiktok_integration_id, ProductLink.paused.is_(False), due, which)
            .values(next_sync_at=now + interval), execution_options={"synchronize_session": False})


def _merge(total: PushOutcome, outcome: PushOutcome) -> None:
    total.pushed += outcome.pushed
    total.failed += outcome.failed
    total.calls += outcome.calls
    total.transient.extend(outcome.transient)
    total.reauth_integrations |= outcome.reauth_integrations
