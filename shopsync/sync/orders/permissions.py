"""The Shopify permissions orders need, and whether a store has granted them.

A store installed before orders existed keeps syncing its catalog on its old grant;
its TikTok orders wait (their units held) until the merchant approves these, from the
banner that links to reauthorize_path.
"""
from __future__ import annotations

from ...models import Integration
from ...platforms.shopify.oauth import missing_scopes

# Create, cancel and refund orders; hold and release their fulfilment; hear of fulfilments.
ORDER_SCOPES = ("write_orders", "write_merchant_managed_fulfillment_orders", "read_fulfillments")
APPROVE_PATH = "/orders/permissions"


def missing_order_scopes(store: Integration) -> set[str]:
    return missing_scopes(store.scopes or "", ORDER_SCOPES)


def needs_approval_text(missing: set[str]) -> str:
    return ("ShopSync needs your approval to create TikTok orders in Shopify (" + ", ".join(sorted(missing)) +
            "). The order's units stay held until then.")
