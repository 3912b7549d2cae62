"""Amounts as the merchant writes them, wherever ShopSync shows one."""
from __future__ import annotations

from decimal import Decimal


def amount_text(value: Decimal | None, currency: str | None = None) -> str:
    """Two decimals, more only when a price really has them, and the currency code whenever it is known, so
    38.71 GBP never sits unlabelled beside 49.00 USD; "—" for no amount."""
    if value is None:
        return "—"
    text = f"{value:.4f}".rstrip("0")
    text = text if len(text.split(".")[1]) >= 2 else f"{value:.2f}"
    return f"{text} {currency}" if currency else text
