"""Shopify variants as TikTok SKUs: options become sales attributes, with price, stock, SKU and barcode;
the product's package weight and dimensions come from Shopify or the template's defaults.

TikTok takes at most 100 SKUs and 3 sales attributes per product. A bigger Shopify product is
refused with the reason (ShopSync does not split products).
"""
from __future__ import annotations

from dataclasses import dataclass
from decimal import ROUND_UP, Decimal
from typing import Mapping

from .problems import PACKAGE, VARIANTS, Problem
from .source import SourceProduct

MAX_SKUS = 100
MAX_SALES_ATTRIBUTES = 3
MAX_NAME, MAX_VALUE, MAX_SELLER_SKU = 20, 50, 50
_GRAMS_PER = {"GRAMS": Decimal(1), "KILOGRAMS": Decimal(1000), "OUNCES": Decimal("28.349523125"),
              "POUNDS": Decimal("453.59237")}
_IDENTIFIER_BY_LENGTH = {8: "EAN", 12: "UPC", 13: "EAN", 14: "GTIN"}


@dataclass(frozen=True)
class Stocked:
    price: Decimal  # in the TikTok shop's currency, after the shop's price rule
    quantity: int


def build_skus(source: SourceProduct, stock: Mapping[int, Stocked], currency: str, warehouse_ids: list[str],
               seller_sku_required: bool) -> tuple[list[dict], list[Problem]]:
    """TikTok's `skus` for the product (stock on the first warehouse, 0 on the others), and what stops them."""
    problems = _limits(source)
    if problems:
        return [], problems
    skus, seen_codes = [], set()
    for variant in source.variants:
        sku: dict = {"external_sku_id": f"gid://shopify/ProductVariant/{variant.shopify_id}"}
        label = variant.title if source.has_options else "The product"
        if variant.sku:
            if len(variant.sku) > MAX_SELLER_SKU or " " in variant.sku:
                problems.append(Problem(VARIANTS, f"{label}: SKU “{variant.sku[:60]}” has spaces or is over 50 "
                                                  "characters.", "Change the SKU in Shopify."))
            sku["seller_sku"] = variant.sku
        elif seller_sku_required:
            problems.append(Problem(VARIANTS, f"{label}: TikTok requires a SKU in this category.",
                                    "Give the variant a SKU in Shopify."))
        if source.has_options:
            sku["sales_attributes"] = [{"name": name, "value_name": value} for name, value in variant.options]
        identifier = identifier_code(variant.barcode)
        if identifier and identifier["code"] not in seen_codes:
            seen_codes.add(identifier["code"])
            sku["identifier_code"] = identifier
        stocked = stock.get(variant.shopify_id)
        if stocked is None:
            problems.append(Problem(VARIANTS, f"{label} is not imported into ShopSync yet.",
                                    "Import the Shopify catalog again, then publish."))
            continue
        sku["price"] = {"amount": str(stocked.price), "currency": currency}
        sku["inventory"] = [{"warehouse_id": warehouse_id, "quantity": stocked.quantity if n == 0 else 0}
                            for n, warehouse_id in enumerate(warehouse_ids)]
        if variant.compare_at_price and variant.compare_at_price > variant.price:
            sku["external_list_prices"] = [{"source": "SHOPIFY_COMPARE_AT_PRICE",
                                            "amount": str(variant.compare_at_price), "currency": currency}]
        skus.append(sku)
    return skus, problems


def _limits(source: SourceProduct) -> list[Problem]:
    count = len(source.variants)
    if source.more_variants or count > MAX_SKUS:
        shown = f"more than {count}" if source.more_variants else str(count)
        return [Problem(VARIANTS, f"The product has {shown} variants; TikTok takes at most {MAX_SKUS} per product.",
                        "Remove variants in Shopify, or list the product as separate Shopify products of up to "
                        f"{MAX_SKUS} variants each.")]
    if not count:
        return [Problem(VARIANTS, "The product has no variants.", "Add a variant in Shopify.")]
    problems = []
    if len(source.option_names) > MAX_SALES_ATTRIBUTES:
        problems.append(Problem(VARIANTS, f"The product has {len(source.option_names)} options; TikTok takes 3.",
                                "Combine options in Shopify so there are at most 3."))
    for name in source.option_names:
        if len(name) > MAX_NAME:
            problems.append(Problem(VARIANTS, f"Option “{name}” is over {MAX_NAME} characters.",
                                    "Shorten the option's name in Shopify."))
    for variant in source.variants:
        long = [value for _, value in variant.options if len(value) > MAX_VALUE]
        if long:
            problems.append(Problem(VARIANTS, f"Option value “{long[0][:60]}…” is over {MAX_VALUE} characters.",
                                    "Shorten the value in Shopify."))
            break
    return problems


def identifier_code(barcode: str) -> dict | None:
    """A barcode TikTok takes (GTIN-14, EAN-8/13, UPC-12 with a valid check digit), else None."""
    code = (barcode or "").strip()
    if not code.isdigit() or len(code) not in _IDENTIFIER_BY_LENGTH:
        return None
    digits = [int(c) for c in code]
    total = sum(d * (3 if i % 2 else 1) for i, d in enumerate(reversed(digits[:-1]), 1))
    if (10 - total % 10) % 10 != digits[-1]:
        return None
    return {"type": _IDENTIFIER_BY_LENGTH[len(code)], "code": code}


def package(source: SourceProduct, defaults: Mapping, region: str,
            dimensions_required: bool) -> tuple[dict, list[Problem]]:
    """`package_weight` and `package_dimensions` for the product, from Shopify's heaviest variant or defaults."""
    fields, problems = {}, []
    imperial = region.upper() == "US" and defaults.get("dimension_unit") == "INCH"
    grams = max((w[0] * _GRAMS_PER.get(w[1], Decimal(1)) for v in source.variants if (w := v.weight) and w[0] > 0),
                default=None)
    if grams is None and defaults.get("weight_value"):
        grams = Decimal(str(defaults["weight_value"])) * _GRAMS_PER.get(defaults.get("weight_unit") or "KILOGRAMS",
                                                                        Decimal(1000))
    if grams is None:
        problems.append(Problem(PACKAGE, "The product has no weight, and TikTok needs the package weight.",
                                "Set the weight in Shopify (Shipping), or a default package weight for the shop or "
                                "the template."))
    elif imperial:
        pounds = (grams / _GRAMS_PER["POUNDS"]).quantize(Decimal("0.01"), rounding=ROUND_UP)
        fields["package_weight"] = {"value": str(pounds), "unit": "POUND"}
    else:
        kilograms = (grams / 1000).quantize(Decimal("0.001"), rounding=ROUND_UP)
        fields["package_weight"] = {"value": str(kilograms), "unit": "KILOGRAM"}
    sides = [str(defaults.get(side) or "").strip() for side in ("length", "width", "height")]
    if all(side.isdigit() and int(side) > 0 for side in sides):
        fields["package_dimensions"] = {"length": sides[0], "width": sides[1], "height": sides[2],
                                        "unit": "INCH" if imperial else "CENTIMETER"}
    elif dimensions_required:
        problems.append(Problem(PACKAGE, "TikTok needs package dimensions in this category.",
                                "Set default package dimensions (whole numbers) for the shop or the template."))
    return fields, problems
