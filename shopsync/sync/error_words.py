"""TikTok Shop and Shopify errors in the merchant's words, with one next step each.

Stored errors read like "TikTok Shop error 12052901: product status ..." (platforms/tiktok/errors.py) or
carry a Shopify code such as THROTTLED or ACCESS_DENIED; the raw text stays available as a details line.
Codes from platforms/tiktok.md §4 and Shopify's Admin API error codes.
"""
from __future__ import annotations

import re
from dataclasses import dataclass


@dataclass(frozen=True)
class Explained:
    words: str  # what happened, for the merchant
    next_step: str  # one thing to do about it
    code: str | None  # the platform's code, for the details line and support
    raw: str  # the message as the platform gave it


_PRODUCT_GONE = ("This product no longer exists on TikTok.",
                 "Unlink it, or link the SKU that replaced it.")
_PRICE_LOCKED = ("TikTok has this price locked by a promotion.",
                 "End or edit the promotion on TikTok, then press Sync now.")

TIKTOK = {
    "12052901": ("TikTok doesn't allow changes to this product right now (it is under review, frozen or deleted).",
                 "Check the product in TikTok Seller Center; ShopSync pushes again when it changes."),
    "12019150": _PRODUCT_GONE, "12052032": _PRODUCT_GONE, "12052260": _PRODUCT_GONE,
    "12052557": ("This SKU is no longer part of its TikTok product.",
                 "Import the TikTok catalog again, then link the SKU anew."),
    "12052048": ("This product belongs to another TikTok shop.", "Link a SKU of the right shop."),
    "12052034": ("This product belongs to another TikTok shop.", "Link a SKU of the right shop."),
    "12052084": ("The price is in a currency this TikTok shop doesn't sell in.",
                 "Set the currency rate for this shop or link."),
    "12019045": _PRICE_LOCKED, "12052038": _PRICE_LOCKED,
    "12052393": ("A TikTok promotion keeps stock from going below its current level.",
                 "End the promotion on TikTok or wait until it is over."),
    "12052921": ("This product shares its stock with other products on TikTok, so it can't be set alone.",
                 "Change the stock on TikTok's shared inventory instead."),
    "12052055": ("TikTok refused the stock number as out of range.", "Lower the cap in this link's settings."),
    "12019024": ("TikTok refused the stock number.", "Check the stock rules in this link's settings."),
    "12052012": ("TikTok refused the price format.", "Check the price rules in this link's settings."),
    "12052570": ("TikTok refused the price as too high or too low.", "Check the price rules of this link."),
    "12019113": ("TikTok doesn't allow edits to products in this status.",
                 "Activate the product in TikTok Seller Center."),
    "12052096": ("This SKU has no warehouse on TikTok.", "Add a warehouse to the product in TikTok Seller Center."),
    "12052700": ("Your TikTok seller account is inactive.", "Contact TikTok Shop seller support."),
    "36009002": ("TikTok asked ShopSync to slow down.", "Nothing to do: ShopSync retries by itself."),
    "36009003": ("TikTok had an internal error.", "Nothing to do: ShopSync retries by itself."),
    "36009007": ("TikTok timed out.", "Nothing to do: ShopSync retries by itself."),
    "105002": ("TikTok's access for ShopSync expired.", "Reconnect the TikTok shop on Integrations."),
    "36004001": ("TikTok's access for ShopSync expired.", "Reconnect the TikTok shop on Integrations."),
    "105005": ("TikTok's access doesn't cover this change.", "Reconnect the TikTok shop and approve every permission."),
}

SHOPIFY = {
    "THROTTLED": ("Shopify asked ShopSync to slow down.", "Nothing to do: ShopSync retries by itself."),
    "ACCESS_DENIED": ("Shopify doesn't let ShopSync read this.", "Reconnect the Shopify store to approve access."),
    "INTERNAL_SERVER_ERROR": ("Shopify had an internal error.", "Nothing to do: ShopSync retries by itself."),
}

_TIKTOK_CODE = re.compile(r"TikTok Shop error (\d+)")
_SHOPIFY_CODE = re.compile(r"\b(" + "|".join(SHOPIFY) + r")\b")


def explain(message: str | None, error_class: str | None = None) -> Explained | None:
    """The merchant's version of a stored error, or None when there is no error."""
    if not message:
        return None
    tiktok = _TIKTOK_CODE.search(message)
    if tiktok and tiktok.group(1) in TIKTOK:
        return Explained(*TIKTOK[tiktok.group(1)], code=tiktok.group(1), raw=message)
    shopify = _SHOPIFY_CODE.search(message)
    if shopify:
        return Explained(*SHOPIFY[shopify.group(1)], code=shopify.group(1), raw=message)
    code = tiktok.group(1) if tiktok else None
    if error_class == "transient":
        return Explained("The platform did not answer in time.", "Nothing to do: ShopSync retries by itself.",
                         code, message)
    if error_class == "auth":
        return Explained("The shop no longer accepts ShopSync's access.", "Reconnect it on Integrations.",
                         code, message)
    text = _TIKTOK_CODE.sub("", message).lstrip(": ").strip() or message
    return Explained(text[:1].upper() + text[1:], "Fix it, then press Sync now.", code, message)
