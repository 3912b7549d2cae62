"""Link states and platform errors in the merchant's words (sync/links/states.py, sync/error_words.py)."""
from __future__ import annotations

from datetime import datetime, timezone
from decimal import Decimal

import pytest

from shopsync.sync.error_words import explain
from shopsync.sync.links.listing import LinkRow
from shopsync.sync.links.states import Retry, present


def row(shown: str, **changes) -> LinkRow:
    values = dict(id=1, state="ok", shown=shown, paused=False, dirty=False, product_title="Classic Tee",
                  variant_title="M", shopify_sku="SS-1", variant_price=Decimal("49.00"), tiktok_title="Classic Tee",
                  seller_sku="SS-1", tiktok_shop="UK Shop", last_pushed_price=None, last_pushed_quantity=None,
                  last_synced_at=None, last_error=None, last_error_class=None, tiktok_integration_id=7,
                  shopify_currency="USD", tiktok_currency="GBP")
    values.update(changes)
    return LinkRow(**values)


def test_a_product_under_review_reads_in_merchant_words_with_the_code_kept():
    said = explain("TikTok Shop error 12052901: Product status does not allow this operation", "permanent")
    assert said.words == ("TikTok doesn't allow changes to this product right now "
                          "(it is under review, frozen or deleted).")
    assert said.code == "12052901" and "12052901" in said.raw and said.next_step


@pytest.mark.parametrize("message, words", [
    ("TikTok Shop error 12019150: product not found", "This product no longer exists on TikTok."),
    ("TikTok Shop error 36009003: internal error", "TikTok had an internal error."),
    ("Shopify answered THROTTLED", "Shopify asked ShopSync to slow down."),
])
def test_known_codes(message, words):
    assert explain(message).words == words


def test_an_unknown_code_keeps_the_platforms_text_without_the_prefix():
    said = explain("TikTok Shop error 99999999: something odd", "permanent")
    assert said.words == "Something odd" and said.code == "99999999"
    assert explain(None) is None


def test_each_state_has_one_honest_label_and_a_next_step():
    assert present(row("ok")).label == "In sync"
    assert present(row("ok", dirty=True)).label == "Sending a change"
    held = present(row("held", state="error"))
    assert held.label == "Price held — set a currency rate" and "USD" in held.next_step and "GBP" in held.next_step
    assert held.key == "held" and held.fix == "shop_defaults"
    gone = present(row("disconnected"))
    assert gone.label == "Not syncing — TikTok shop disconnected" and gone.fix == "integrations"
    retrying = present(row("retrying", dirty=True, last_error="TikTok Shop error 36009003: x",
                           last_error_class="transient"),
                       Retry(3, datetime(2026, 12, 2, 14, 5, tzinfo=timezone.utc)))
    assert retrying.label == "Retrying (3 failures, next try 14:05)"
    assert present(row("retrying"), Retry(1, None)).label == "Retrying (1 failure)"
    failing = present(row("error", state="error", last_error="TikTok Shop error 12052901: x",
                          last_error_class="permanent"))
    assert failing.label == "Failing" and failing.explained.code == "12052901"
    for later in ("needs_confirmation", "orphaned"):  # states another change stores: shown when they exist
        shown = present(row(later, state=later))
        assert shown.key == later and shown.next_step
