"""A TikTok shop's readiness to list products: TikTok's listing prerequisites, read and explained.

Publishing waits while an item that blocks listing fails; each failing item says what to do in
Seller Center. SHOP_TAX (US) and BANK_ACCOUNT don't block creating, but TikTok won't send the
product to audit until they are done, so they are shown too.
"""
from __future__ import annotations

from sqlalchemy import select

from ...extensions import db
from ...models import Integration, ListingShop, utcnow
from ...platforms.tiktok import listings as tiktok
from ..connections.tiktok_access import call_with_refresh

NOT_BLOCKING = frozenset({"SHOP_TAX", "BANK_ACCOUNT"})
WHAT_TO_DO = {
    "SHOP_STATUS": ("Shop status", "Your shop isn't active yet: finish onboarding in Seller Center (Account → "
                                   "Shop status)."),
    "SHOP_TAX": ("Tax information", "Add your tax information in Seller Center (Finance → Tax). Until then TikTok "
                                    "keeps new products out of review."),
    "PICKUP_WAREHOUSE": ("Pickup warehouse", "Add a pickup (shipping) warehouse address in Seller Center (Shipping → "
                                             "Warehouse)."),
    "RETURN_WAREHOUSE": ("Return warehouse", "Add a return warehouse address in Seller Center (Shipping → "
                                             "Warehouse)."),
    "DELIVERY_OPTION": ("Delivery options", "Turn on at least one delivery option in Seller Center (Shipping → "
                                            "Delivery options)."),
    "SHIPPING_TEMPLATE": ("Shipping template", "Create a shipping template in Seller Center (Shipping → Shipping "
                                               "templates)."),
    "PRODUCT_QUANTITY_LIMIT": ("Product limit", "Your shop has reached TikTok's limit of products; remove "
                                                "products or wait for your shop's tier to rise."),
    "EXTENDED_PRODUCER_RESPONSIBILITY": ("EPR registration", "Add your EPR registration numbers in Seller Center "
                                                             "(Account → Compliance)."),
    "BANK_ACCOUNT": ("Bank account", "Link a bank account in Seller Center (Finance → Bank account). Until then "
                                     "TikTok keeps new products out of review."),
    "CONTACT_INFO": ("Contact information", "Add the shop's contact email and phone in Seller Center (Account)."),
}


def listing_shop(integration: Integration) -> ListingShop:
    """The shop's publishing row, created on first use (flushed, not committed)."""
    row = db.session.execute(select(ListingShop).where(
        ListingShop.tiktok_integration_id == integration.id)).scalar_one_or_none()
    if row is None:
        row = ListingShop(tenant_id=integration.tenant_id, tiktok_integration_id=integration.id, checks=[],
                          package_defaults={})
        db.session.add(row)
        db.session.flush()
    return row


def refresh_readiness(integration: Integration) -> ListingShop:
    """Read TikTok's prerequisites now and store them. Commits."""
    checks = call_with_refresh(integration, tiktok.prerequisites)
    row = listing_shop(integration)
    row.checks = [{"item": c.item, "failed": c.failed, "reasons": list(c.reasons)} for c in checks]
    row.checked_at = utcnow()
    db.session.commit()
    return row


def blocking_items(row: ListingShop) -> list[dict]:
    return [c for c in row.failed_checks if c["item"] not in NOT_BLOCKING]


def is_ready(row: ListingShop) -> bool:
    return row.checked_at is not None and not blocking_items(row)


def explained(row: ListingShop) -> list[dict]:
    """Every failing item with its name and what to do, blocking ones first."""
    items = []
    for check in sorted(row.failed_checks, key=lambda c: c["item"] in NOT_BLOCKING):
        label, fix = WHAT_TO_DO.get(check["item"], (check["item"].replace("_", " ").title(),
                                                    "Complete this item in Seller Center."))
        items.append({"item": check["item"], "label": label, "fix": fix, "reasons": check.get("reasons") or [],
                      "blocks_publishing": check["item"] not in NOT_BLOCKING})
    return items
