"""TikTok's rules and attributes for a category, cached per shop and category with a fingerprint of what
TikTok makes mandatory. TikTok changes its tree and mandatory attributes every few months: a refresh that
finds a different fingerprint (or a category gone) flags every listing of that category for attention.
"""
from __future__ import annotations

import hashlib
import json
from dataclasses import asdict, dataclass
from datetime import timedelta

from sqlalchemy import select, update

from ...extensions import db
from ...models import CategoryFacts, Integration, Listing, utcnow
from ...platforms.http import PermanentError
from ...platforms.tiktok import listings as tiktok
from ...platforms.tiktok.client import TikTokClient
from ..connections.tiktok_access import call_with_refresh

FRESH_FOR = timedelta(hours=6)  # TikTok advises against long caching of categories
GONE = frozenset({12052025, 12052024})


@dataclass(frozen=True)
class Facts:
    category_id: str
    rules: tiktok.CategoryRules
    attributes: tuple[tiktok.AttributeSpec, ...]
    fingerprint: str

    def required_names(self) -> set[str]:
        return {a.name for a in self.attributes if a.required and not a.is_sales}


def facts_for(integration: Integration, category_id: str, *, refresh: bool = False) -> Facts:
    """The category's facts, from the cache while fresh. Raises PermanentError when TikTok has no such leaf."""
    row = db.session.execute(select(CategoryFacts).where(
        CategoryFacts.tiktok_integration_id == integration.id, CategoryFacts.category_id == category_id,
    )).scalar_one_or_none()
    if row is not None and not refresh and row.fetched_at > utcnow() - FRESH_FOR:
        return _from_row(row)
    rules, attributes = call_with_refresh(integration, lambda client: _fetch(client, category_id))
    facts = Facts(category_id, rules, tuple(attributes), _fingerprint(rules, attributes))
    if row is None:
        row = CategoryFacts(tenant_id=integration.tenant_id, tiktok_integration_id=integration.id,
                            category_id=category_id)
        db.session.add(row)
    elif row.fingerprint != facts.fingerprint:
        flag_category(integration, category_id, _changes(_from_row(row), facts))
    row.fingerprint, row.fetched_at = facts.fingerprint, utcnow()
    row.rules, row.attributes = asdict(rules), [a.as_json() for a in attributes]
    db.session.flush()
    return facts


def recheck_categories(integration: Integration) -> dict[str, str]:
    """Refresh every category the shop's listings use; returns {category id: what changed} for changed ones."""
    used = db.session.execute(select(Listing.category_id).where(
        Listing.tiktok_integration_id == integration.id, Listing.category_id.is_not(None)).distinct()).scalars()
    changed = {}
    for category_id in sorted(used):
        before = db.session.execute(select(CategoryFacts.fingerprint).where(
            CategoryFacts.tiktok_integration_id == integration.id,
            CategoryFacts.category_id == category_id)).scalar_one_or_none()
        try:
            after = facts_for(integration, category_id, refresh=True).fingerprint
        except PermanentError as error:
            if error.code not in GONE:
                raise
            changed[category_id] = "TikTok no longer has this category: choose another."
            flag_category(integration, category_id, changed[category_id])
            continue
        if before is not None and before != after:
            changed[category_id] = "TikTok changed the category's mandatory attributes."
    db.session.commit()
    return changed


def flag_category(integration: Integration, category_id: str, why: str) -> int:
    """Say on each listing of the category what changed; listings not yet live are checked again on publish."""
    return db.session.execute(update(Listing).where(
        Listing.tiktok_integration_id == integration.id, Listing.category_id == category_id,
    ).values(attention=why[:2000], checked_at=None), execution_options={"synchronize_session": False}).rowcount


def _fetch(client: TikTokClient, category_id: str):
    return tiktok.category_rules(client, category_id), tiktok.category_attributes(client, category_id)


def _changes(before: Facts, after: Facts) -> str:
    added = sorted(after.required_names() - before.required_names())
    if added:
        return f"TikTok now requires {', '.join(added)} in this category: check the listing again."
    return "TikTok changed this category's rules: check the listing again."


def _fingerprint(rules: tiktok.CategoryRules, attributes: list[tiktok.AttributeSpec]) -> str:
    mandatory = sorted((a.id, a.required, sorted(a.required_when), a.customizable) for a in attributes)
    text = json.dumps([asdict(rules), mandatory], sort_keys=True, default=list)
    return hashlib.sha256(text.encode()).hexdigest()


def _from_row(row: CategoryFacts) -> Facts:
    rules = dict(row.rules)
    rules["required_certifications"] = tuple(rules.get("required_certifications") or ())
    return Facts(row.category_id, tiktok.CategoryRules(**rules),
                 tuple(tiktok.AttributeSpec.from_json(a) for a in row.attributes), row.fingerprint)
