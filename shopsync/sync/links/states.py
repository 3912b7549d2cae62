"""A link's state as the merchant reads it: one honest label and one plain next step.

listing.shown_state decides which state a link is in; this module says it in words, adding for links being
retried how many times they failed and when the next try is.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import func, select

from ...extensions import db
from ...models import SyncLog
from ..amounts import amount_text
from ..error_words import Explained, explain
from .listing import LinkRow

# Where the next step is taken: the template turns these into links.
FIX_INTEGRATIONS = "integrations"
FIX_SHOP_DEFAULTS = "shop_defaults"
FIX_LINK = "link"

FILTER_LABELS = {
    "ok": "In sync", "pending": "Pending", "retrying": "Retrying", "error": "Failing", "held": "Price held",
    "disconnected": "Not syncing", "paused": "Paused", "needs_confirmation": "Needs confirmation",
    "orphaned": "Orphaned",
}
# Shown even when no link is in them; the others appear once a link is.
ALWAYS_COUNTED = ("ok", "pending", "error", "paused")


@dataclass(frozen=True)
class Shown:
    key: str  # badge colour and filter value
    label: str
    next_step: str | None = None
    fix: str | None = None
    explained: Explained | None = None


@dataclass(frozen=True)
class Retry:
    failures: int
    next_try: datetime | None


def present(row: LinkRow, retry: Retry | None = None) -> Shown:
    shown = row.shown
    if shown == "paused":
        return Shown("paused", "Paused", "Resume the link to sync it again.", FIX_LINK)
    if shown == "disconnected":
        return Shown("disconnected", "Not syncing — TikTok shop disconnected",
                     "Reconnect the shop on Integrations; changes made meanwhile are sent then.", FIX_INTEGRATIONS)
    if shown == "held":
        return Shown("held", "Price held — set a currency rate",
                     f"Shopify sells in {row.shopify_currency or '?'} and {row.tiktok_shop} in "
                     f"{row.tiktok_currency or '?'}: set the rate in the shop's defaults or this link's settings.",
                     FIX_SHOP_DEFAULTS)
    explained = explain(row.last_error, row.last_error_class)
    if shown == "retrying":
        failures = retry.failures if retry else 1
        when = f", next try {retry.next_try.strftime('%H:%M')}" if retry and retry.next_try else ""
        return Shown("retrying", f"Retrying ({failures} failure{'s' if failures != 1 else ''}{when})",
                     explained.next_step if explained else "Nothing to do: ShopSync retries by itself.",
                     None, explained)
    if shown == "error":
        return Shown("error", "Failing", explained.next_step if explained else "Open the link to see why.",
                     FIX_LINK, explained)
    if shown == "pending":
        return Shown("pending", "Pending", "The first push is on its way to TikTok.")
    if shown == "needs_confirmation":
        change = (f"Price {amount_text(row.held_price_before, row.tiktok_currency)} → "
                  f"{amount_text(row.held_price, row.tiktok_currency)} waits for you"
                  if row.held_price is not None else "A price change waits for you")
        return Shown("needs_confirmation", "Needs confirmation",
                     f"{change}: it is outside the guard rails, confirm it on the link page.", FIX_LINK, explained)
    if shown == "orphaned":
        reason = f"{row.orphaned_reason}. " if row.orphaned_reason else "One side of this link no longer exists. "
        return Shown("orphaned", "Orphaned", reason + "Relink it to what replaced it, or remove the link.",
                     FIX_LINK, explained)
    if shown == "ok" and row.dirty:
        return Shown("pending", "Sending a change", "A change is on its way to TikTok.")
    if shown == "ok":
        return Shown("ok", "In sync")
    return Shown(shown, FILTER_LABELS.get(shown, shown.replace("_", " ").capitalize()), None, FIX_LINK, explained)


def failures_since_success(link_ids: list[int]) -> dict[int, int]:
    """Failed operations of each link since its last successful one."""
    if not link_ids:
        return {}
    last_ok = (select(SyncLog.link_id, func.max(SyncLog.id).label("ok_id"))
               .where(SyncLog.link_id.in_(link_ids), SyncLog.result == "ok").group_by(SyncLog.link_id).subquery())
    rows = db.session.execute(
        select(SyncLog.link_id, func.count()).outerjoin(last_ok, last_ok.c.link_id == SyncLog.link_id)
        .where(SyncLog.link_id.in_(link_ids), SyncLog.result == "error",
               SyncLog.id > func.coalesce(last_ok.c.ok_id, 0))
        .group_by(SyncLog.link_id)).all()
    return dict(rows)


def present_all(rows: list[LinkRow], next_tries: dict[int, datetime | None]) -> dict[int, Shown]:
    """Each row's shown state; `next_tries` maps a TikTok integration id to its next push attempt."""
    failures = failures_since_success([row.id for row in rows if row.shown == "retrying"])
    return {row.id: present(row, Retry(max(failures.get(row.id, 0), 1), next_tries.get(row.tiktok_integration_id))
                            if row.shown == "retrying" else None) for row in rows}
