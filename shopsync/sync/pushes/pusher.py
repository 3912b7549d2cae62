"""Carrying out a plan: one stock call and one price call per TikTok product, every outcome logged.

Per link and field: success stores what TikTok now has; a permanent refusal marks
the link failed and tells the merchant (and a later success tells them it works
again); transient and auth failures leave the link dirty so a retry pushes it.
A planned problem (a field that cannot be pushed as things are) fails the link the
same way, and a stock push of that link does not hide it; once a plan finds the
problem gone, the link recovers. A link's dirty mark is cleared only if no change
arrived since it was planned.
"""
from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from sqlalchemy import insert, update

from ...extensions import db
from ...models import Integration, ProductLink, SyncLog, TikTokSku, utcnow
from ...models.integration import ACTIVE
from ...models.links import ERROR, NEEDS_CONFIRMATION, OK, PENDING
from ...notify import alerts
from ...platforms.http import AuthError, PermanentError, PlatformError, TransientError
from ...platforms.tiktok.products import (SkuInventory, SkuPrice, UpdateResult, format_amount, update_inventory,
                                         update_prices)
from .planner import INVENTORY, PRICE, PROBLEM, Hold, Plan, Problem, ProductPlan, SkuChange
from ..runs import count_run
from ..connections.tiktok_access import call_with_refresh

LINK_PATH = "/product-links/{link_id}"  # the link page, where the merchant fixes it
FIELD_LABELS = {PRICE: "Price", INVENTORY: "Stock"}


@dataclass
class PushOutcome:
    pushed: int = 0  # fields TikTok accepted
    failed: int = 0  # fields that failed, for whatever reason
    transient: list[PlatformError] = field(default_factory=list)
    reauth_integrations: set[int] = field(default_factory=set)
    calls: int = 0

    @property
    def retry_later(self) -> bool:
        return bool(self.transient)


@dataclass
class _FieldResult:
    change: SkuChange
    field: str
    error: PlatformError | None = None
    request_id: str | None = None


def push_plan(plan: Plan, *, trigger: str, run_id: int | None = None,
              keep_alive: Callable[[], None] = lambda: None) -> PushOutcome:
    """Push every product of the plan; commits after each product so progress survives a crash.

    `keep_alive` runs before each TikTok call (the flush extends its shop lock there).
    """
    outcome = PushOutcome()
    recovered, released = _settle_unchanged(plan)
    newly_failing = _record_problems(plan, trigger, run_id)
    newly_held = _record_holds(plan, trigger, run_id)
    db.session.commit()
    _report_problems(newly_failing, recovered)
    _report_holds(newly_held, released)
    with_problems = plan.links_with_problems | plan.links_with_holds
    integrations: dict[int, Integration] = {}
    for product in plan.products:
        integration = integrations.get(product.tiktok_integration_id)
        if integration is None:
            integration = integrations[product.tiktok_integration_id] = db.session.get(
                Integration, product.tiktok_integration_id)
        if integration.status != ACTIVE or integration.id in outcome.reauth_integrations:
            continue  # left dirty: pushed once the shop is reconnected
        results = _push_product(integration, product, keep_alive, outcome)
        _record(product, results, trigger, run_id, outcome, with_problems)
    return outcome


def _push_product(integration: Integration, product: ProductPlan, keep_alive, outcome: PushOutcome
                  ) -> list[_FieldResult]:
    results: list[_FieldResult] = []
    calls = (
        (INVENTORY, product.inventory_changes, lambda client, changes: update_inventory(
            client, product.tiktok_product_id, [SkuInventory(c.sku_id, c.inventory) for c in changes])),
        (PRICE, product.price_changes, lambda client, changes: update_prices(
            client, product.tiktok_product_id, [SkuPrice(c.sku_id, c.price_after, c.currency) for c in changes])),
    )
    for name, changes, send in calls:
        if not changes:
            continue
        if integration.id in outcome.reauth_integrations:
            results.extend(_FieldResult(c, name, AuthError("TikTok Shop needs to be reconnected")) for c in changes)
            continue
        keep_alive()
        outcome.calls += 1
        try:
            answer: UpdateResult = call_with_refresh(integration, lambda client: send(client, changes))
        except AuthError as error:
            outcome.reauth_integrations.add(integration.id)
            results.extend(_FieldResult(c, name, error, error.request_id) for c in changes)
            continue
        except PlatformError as error:
            results.extend(_FieldResult(c, name, error, error.request_id) for c in changes)
            continue
        results.extend(_FieldResult(c, name, answer.errors.get(c.sku_id), answer.request_id) for c in changes)
    return results


def _record(product: ProductPlan, results: list[_FieldResult], trigger: str, run_id: int | None,
            outcome: PushOutcome, with_problems: set[int]) -> None:
    """Logs, last pushed values, link states and dirty marks for one product, in one commit.

    Links in `with_problems` keep the failed state their problem gave them, whatever was pushed.
    """
    now = utcnow()
    by_link: dict[int, list[_FieldResult]] = {}
    for result in results:
        by_link.setdefault(result.change.link_id, []).append(result)
    db.session.execute(insert(SyncLog), [_log_row(r, trigger, run_id, now) for r in results])
    failed_links, recovered, newly_failed, released = 0, [], [], []
    for link_id, link_results in by_link.items():
        change = link_results[0].change
        values: dict = {"updated_at": now}
        sku_values: dict = {}
        for result in link_results:
            if result.error is None:
                outcome.pushed += 1
                if result.field == PRICE:
                    values["last_pushed_price"] = sku_values["price"] = change.price_after
                    values.update(held_price=None, held_price_before=None, confirmed_price=None)
                else:
                    values["last_pushed_quantity"] = change.quantity_after
                    sku_values["inventory"] = change.stored_inventory or change.inventory
            else:
                outcome.failed += 1
                if isinstance(result.error, TransientError):
                    outcome.transient.append(result.error)
        errors = [r.error for r in link_results if r.error is not None]
        permanent = [e for e in errors if isinstance(e, PermanentError)]
        if permanent:
            values.update(state=ERROR, last_error=permanent[0].message[:2000], last_error_class="permanent")
            if change.state != ERROR:
                newly_failed.append((change, permanent[0]))
        elif link_id in with_problems:
            pass  # the problem's failed state (or the held price's) and message stand
        elif not errors:
            values.update(state=OK, last_synced_at=now, last_error=None, last_error_class=None)
            if change.state == ERROR:
                recovered.append(change)
            elif change.state == NEEDS_CONFIRMATION:
                released.append((change.tenant_id, link_id))
        else:
            values.update(last_error=errors[0].message[:2000], last_error_class=errors[0].error_class)
        if errors:
            failed_links += 1
        db.session.execute(update(ProductLink).where(ProductLink.id == link_id).values(**values),
                           execution_options={"synchronize_session": False})
        if sku_values:
            db.session.execute(update(TikTokSku).where(TikTokSku.id == change.sku_row_id).values(**sku_values),
                               execution_options={"synchronize_session": False})
        # Transient and auth failures stay dirty so the retry pushes them; permanent ones wait for a change.
        if not errors or permanent and len(permanent) == len(errors):
            _clear_dirty({link_id: change.change_seq})
    if run_id is not None:
        count_run(run_id, done=len(by_link) - failed_links, failed=failed_links)
    db.session.commit()
    for change, error in newly_failed:
        alerts.report_failure(change.tenant_id, alerts.LINK_FAILED, link_subject(change.link_id),
                              f"TikTok refused an update for SKU {change.seller_sku or change.sku_id}",
                              {"link_id": change.link_id, "sku_id": change.sku_id, "error": error.message,
                               "request_id": error.request_id}, LINK_PATH.format(link_id=change.link_id))
    for change in recovered:
        alerts.report_recovery(change.tenant_id, alerts.LINK_FAILED, link_subject(change.link_id),
                               f"SKU {change.seller_sku or change.sku_id} syncs to TikTok again")
    _report_holds([], released)


def link_subject(link_id: int) -> str:
    return f"link:{link_id}"


def _log_row(result: _FieldResult, trigger: str, run_id: int | None, now) -> dict:
    change, error = result.change, result.error
    if result.field == PRICE:
        before, after = (None if value is None else format_amount(value, change.currency)
                         for value in (change.price_before, change.price_after))
    else:
        before, after = change.quantity_before, change.quantity_after
    return {"tenant_id": change.tenant_id, "run_id": run_id,
            "link_id": change.link_id, "product_id": change.shopify_product_id, "field": result.field,
            "before": None if before is None else str(before), "after": str(after),
            "result": "ok" if error is None else "error", "trigger": trigger,
            "request_id": result.request_id, "error_class": error.error_class if error else None,
            "error_message": error.message[:2000] if error else None, "created_at": now}


def _settle_unchanged(plan: Plan) -> tuple[list[tuple[int, int]], list[tuple[int, int]]]:
    """Links planned with nothing to push are in step: clear their marks, a first sync makes them ok,
    links failed by a problem that is now gone recover, and a held price no longer needed is dropped;
    returns those recovered and those released, as (tenant id, link id)."""
    if not plan.unsettled:
        return [], []
    _clear_dirty(plan.unsettled)
    ids = list(plan.unsettled)
    now = utcnow()
    recovered, released = [], []
    for start in range(0, len(ids), 5000):
        chunk = ProductLink.id.in_(ids[start:start + 5000])
        db.session.execute(update(ProductLink).where(chunk, ProductLink.state == PENDING).values(state=OK),
                           execution_options={"synchronize_session": False})
        recovered += db.session.execute(
            update(ProductLink).where(chunk, ProductLink.state == ERROR, ProductLink.last_error_class == PROBLEM)
            .values(state=OK, last_error=None, last_error_class=None, last_synced_at=now, updated_at=now)
            .returning(ProductLink.tenant_id, ProductLink.id), execution_options={"synchronize_session": False}).all()
        released += db.session.execute(
            update(ProductLink).where(chunk, ProductLink.state == NEEDS_CONFIRMATION)
            .values(state=OK, held_price=None, held_price_before=None, confirmed_price=None, updated_at=now)
            .returning(ProductLink.tenant_id, ProductLink.id), execution_options={"synchronize_session": False}).all()
    return ([(tenant_id, link_id) for tenant_id, link_id in recovered],
            [(tenant_id, link_id) for tenant_id, link_id in released])


def _record_holds(plan: Plan, trigger: str, run_id: int | None) -> list[Hold]:
    """Log each held price and put its link in needs_confirmation; returns the links newly held."""
    if not plan.holds:
        return []
    now = utcnow()
    db.session.execute(insert(SyncLog), [
        {"tenant_id": h.tenant_id, "run_id": run_id, "link_id": h.link_id, "field": PRICE,
         "before": None if h.before is None else format_amount(h.before, h.currency),
         "after": format_amount(h.after, h.currency), "result": "skipped", "trigger": trigger,
         "error_class": "held", "error_message": f"Waiting for confirmation: {h.reason}", "created_at": now}
        for h in plan.holds])
    newly_held = []
    for hold in plan.holds:
        held = db.session.execute(
            update(ProductLink).where(ProductLink.id == hold.link_id, ProductLink.state != ERROR).values(
                state=NEEDS_CONFIRMATION, held_price_before=hold.before, held_price=hold.after, confirmed_price=None,
                updated_at=now).returning(ProductLink.held_price),
            execution_options={"synchronize_session": False}).first()
        if held is not None and hold.state != NEEDS_CONFIRMATION:
            newly_held.append(hold)
    # A held link with stock to push keeps its mark until that push settles it (a failed one is retried).
    pushing = {c.link_id for c in plan.changes}
    _clear_dirty({h.link_id: h.change_seq for h in plan.holds if h.link_id not in pushing})
    if run_id is not None:
        count_run(run_id, skipped=len({h.link_id for h in plan.holds} - pushing))
    return newly_held


def _report_holds(newly_held: list[Hold], released: list[tuple[int, int]]) -> None:
    """Tell the merchant about prices newly held, and close the alerts of those no longer waiting."""
    for tenant_id, link_id in released:
        alerts.report_recovery(tenant_id, alerts.PRICE_HELD, link_subject(link_id),
                               "The held price is settled: TikTok has the price the rules give")
    for hold in newly_held:
        before = "—" if hold.before is None else format_amount(hold.before, hold.currency)
        alerts.report_failure(hold.tenant_id, alerts.PRICE_HELD, link_subject(hold.link_id),
                              f"A price for SKU {hold.sku} waits for your confirmation: {before} → "
                              f"{format_amount(hold.after, hold.currency)} {hold.currency}",
                              {"link_id": hold.link_id, "before": before,
                               "after": format_amount(hold.after, hold.currency), "reason": hold.reason},
                              LINK_PATH.format(link_id=hold.link_id))


def _record_problems(plan: Plan, trigger: str, run_id: int | None) -> list[Problem]:
    """Log each problem and fail its link with what is wrong; returns one problem per newly failing link."""
    if not plan.problems:
        return []
    now = utcnow()
    db.session.execute(insert(SyncLog), [
        {"tenant_id": p.tenant_id, "run_id": run_id, "link_id": p.link_id,
         "product_id": p.shopify_product_id, "field": p.field, "result": "skipped", "trigger": trigger,
         "error_class": "permanent", "error_message": p.message, "created_at": now} for p in plan.problems])
    by_link: dict[int, list[Problem]] = {}
    for problem in plan.problems:
        by_link.setdefault(problem.link_id, []).append(problem)
    for link_id, problems in by_link.items():
        message = "; ".join(f"{FIELD_LABELS[p.field]} not synced: {p.message}" for p in problems)
        db.session.execute(update(ProductLink).where(ProductLink.id == link_id).values(
            state=ERROR, last_error=message[:2000], last_error_class=PROBLEM, updated_at=now),
            execution_options={"synchronize_session": False})
    _clear_dirty({p.link_id: p.change_seq for p in plan.problems})
    if run_id is not None:
        count_run(run_id, skipped=len(by_link))
    return [problems[0] for problems in by_link.values() if problems[0].state != ERROR]


def _report_problems(newly_failing: list[Problem], recovered: list[tuple[int, int]]) -> None:
    for problem in newly_failing:
        alerts.report_failure(problem.tenant_id, alerts.LINK_FAILED, link_subject(problem.link_id),
                              f"SKU {problem.sku} cannot sync its {FIELD_LABELS[problem.field].lower()} to TikTok",
                              {"link_id": problem.link_id, "field": problem.field, "problem": problem.message},
                              LINK_PATH.format(link_id=problem.link_id))
    for tenant_id, link_id in recovered:
        alerts.report_recovery(tenant_id, alerts.LINK_FAILED, link_subject(link_id),
                               "The link's problem is solved: it syncs to TikTok again")


def _clear_dirty(seq_by_link: dict[int, int]) -> None:
    """Clear marks only where no change arrived since planning (change_seq unchanged)."""
    by_seq: dict[int, list[int]] = {}
    for link_id, seq in seq_by_link.items():
        by_seq.setdefault(seq, []).append(link_id)
    for seq, link_ids in by_seq.items():
        for start in range(0, len(link_ids), 5000):
            db.session.execute(
                update(ProductLink).where(ProductLink.id.in_(link_ids[start:start + 5000]),
                                          ProductLink.change_seq == seq).values(dirty=False),
                execution_options={"synchronize_session": False})
