"""What the simulated TikTok Shop keeps about listing creation: uploads, created listings and their audit,
idempotency keys, the daily quota, prerequisites, and the levers a test or the control page pulls."""
from __future__ import annotations

import threading
from dataclasses import dataclass, field
from typing import Any, Callable

from shopsync.sandbox.tiktok.categories import CategoryTree, category_tree
from shopsync.sandbox.tiktok.uploads import Uploaded

DAY = 86_400
DEFAULT_DAILY_LIMIT = 100  # a new shop on probation
DEFAULT_AUDIT_SECONDS = 2.0
PREREQUISITES = ("SHOP_STATUS", "SHOP_TAX", "PICKUP_WAREHOUSE", "RETURN_WAREHOUSE", "DELIVERY_OPTION",
                 "SHIPPING_TEMPLATE", "PRODUCT_QUANTITY_LIMIT", "EXTENDED_PRODUCER_RESPONSIBILITY", "BANk_ACCOUNT",
                 "CONTACT_INFO")
# These don't stop a create; the product just isn't sent to audit.
NOT_BLOCKING = frozenset({"SHOP_TAX", "BANK_ACCOUNT"})


@dataclass
class AuditScript:
    """How the audit ends for products matching a key (external product id, title, or "*")."""
    outcome: str  # approve | reject
    reasons: list[str] = field(default_factory=list)
    seconds: float | None = None


@dataclass
class Listing:
    product_id: str
    shop_id: str
    body: dict
    audit_due: float | None  # None: not sent to audit (draft, or shop tasks pending)
    not_submitted_reasons: list[str] = field(default_factory=list)


class ListingDesk:
    def __init__(self, settings: dict, clock: Callable[[], float]):
        self.clock = clock
        self.tree_revision = 0
        self.uploads: dict[str, Uploaded] = {}
        self.idempotent: dict[tuple[str, str], dict] = {}
        self.external_ids: dict[tuple[str, str], str] = {}
        self.listings: dict[str, Listing] = {}
        self.daily_limit: dict[str, int] = {}
        self.default_daily_limit = int(settings.get("tiktok_daily_listing_limit") or DEFAULT_DAILY_LIMIT)
        self.created: dict[tuple[str, int], int] = {}
        self.failing_prerequisites: dict[str, dict[str, list[str]]] = {}
        self.scripts: dict[str, AuditScript] = {}
        self.audit_seconds = float(settings.get("tiktok_audit_seconds") or DEFAULT_AUDIT_SECONDS)
        self.lost_answers = 0  # creates carried out, then answered with a gateway timeout
        self.slow_answer_seconds = 0.0  # creates carried out, then answered this much later
        self.events: list[dict] = []  # product status events, as sent (or not) to subscribers
        self.timers: list[threading.Timer] = []

    @property
    def tree(self) -> CategoryTree:
        return category_tree(self.tree_revision)

    # ---- quota ----------------------------------------------------------------------------------
    def today(self) -> int:
        return int(self.clock() // DAY)

    def limit_of(self, shop_id: str) -> int:
        return self.daily_limit.get(shop_id, self.default_daily_limit)

    def used_today(self, shop_id: str) -> int:
        return self.created.get((shop_id, self.today()), 0)

    def count_creation(self, shop_id: str) -> None:
        key = (shop_id, self.today())
        self.created[key] = self.created.get(key, 0) + 1

    # ---- prerequisites --------------------------------------------------------------------------
    def check_results(self, shop_id: str) -> list[dict]:
        failing = self.failing_prerequisites.get(shop_id, {})
        results = []
        for item in PREREQUISITES:
            reasons = failing.get(item.upper())
            results.append({"check_item": item, "is_failed": reasons is not None, "fail_reasons": reasons or []})
        return results

    def blocking_prerequisite(self, shop_id: str) -> str | None:
        return next((item for item in self.failing_prerequisites.get(shop_id, {}) if item not in NOT_BLOCKING), None)

    def unsent_reasons(self, shop_id: str) -> list[str]:
        failing = self.failing_prerequisites.get(shop_id, {})
        return [{"SHOP_TAX": "W8_NOT_CONFIGURED", "BANK_ACCOUNT": "PAYMENT_ACCOUNT_NOT_LINKED"}[item]
                for item in failing if item in NOT_BLOCKING]

    # ---- audit ----------------------------------------------------------------------------------
    def script_for(self, body: dict) -> AuditScript | None:
        for key in (str(body.get("external_product_id") or ""), str(body.get("title") or ""), "*"):
            if key and key in self.scripts:
                return self.scripts[key]
        return None

    def audit_delay(self, body: dict) -> float:
        script = self.script_for(body)
        return script.seconds if script and script.seconds is not None else self.audit_seconds

    def as_json(self) -> dict[str, Any]:
        return {"tree_revision": self.tree_revision, "audit_seconds": self.audit_seconds,
                "default_daily_limit": self.default_daily_limit, "daily_limits": dict(self.daily_limit),
                "failing_prerequisites": self.failing_prerequisites, "lost_answers": self.lost_answers,
                "slow_answer_seconds": self.slow_answer_seconds,
                "scripts": {k: vars(v) for k, v in self.scripts.items()}, "uploads": len(self.uploads),
                "listings": len(self.listings)}

    def cancel_timers(self) -> None:
        for timer in self.timers:
            timer.cancel()
        self.timers.clear()
