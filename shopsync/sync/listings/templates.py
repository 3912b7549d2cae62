"""Category templates: rules on product type, vendor, tag or collection that choose a product's TikTok
category, brand, attribute values and package defaults, so a catalog needs a handful of decisions.

The first template (lowest position) whose rule matches wins; a template without a category leaves
the choice to TikTok's recommendation but still gives its brand, attributes and package defaults.
"""
from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from sqlalchemy import select

from ...extensions import db
from ...models import CategoryTemplate
from .attributes import SOURCES
from .source import SourceProduct

MATCH_FIELDS = ("product_type", "vendor", "tag", "collection", "any")
PACKAGE_FIELDS = ("weight_value", "weight_unit", "length", "width", "height", "dimension_unit")
WEIGHT_UNITS = ("KILOGRAMS", "GRAMS", "POUNDS", "OUNCES")
DIMENSION_UNITS = ("CENTIMETER", "INCH")


class TemplateError(ValueError):
    def __init__(self, errors: Mapping[str, str]):
        super().__init__("; ".join(f"{k}: {v}" for k, v in errors.items()))
        self.errors = dict(errors)


def matches(template: CategoryTemplate, source: SourceProduct) -> bool:
    wanted = (template.match_value or "").strip().casefold()
    field = template.match_field
    if field == "any":
        return True
    if field == "product_type":
        return source.product_type.casefold() == wanted
    if field == "vendor":
        return source.vendor.casefold() == wanted
    if field == "tag":
        return wanted in {t.casefold() for t in source.tags}
    return wanted in {c.casefold() for c in source.collections}


def templates_of(tenant_id: int, tiktok_integration_id: int) -> list[CategoryTemplate]:
    return list(db.session.execute(select(CategoryTemplate).where(
        CategoryTemplate.tenant_id == tenant_id, CategoryTemplate.tiktok_integration_id == tiktok_integration_id,
    ).order_by(CategoryTemplate.position, CategoryTemplate.id)).scalars())


def template_for(templates: Iterable[CategoryTemplate], source: SourceProduct) -> CategoryTemplate | None:
    return next((t for t in templates if matches(t, source)), None)


def clean_template(data: Mapping[str, Any]) -> dict:
    """Validated template fields (raises TemplateError naming each bad field)."""
    errors, cleaned = {}, {}
    name = str(data.get("name") or "").strip()
    if not name or len(name) > 120:
        errors["name"] = "Give the template a name of up to 120 characters."
    cleaned["name"] = name
    match_field = str(data.get("match_field") or "")
    if match_field not in MATCH_FIELDS:
        errors["match_field"] = f"Match on one of: {', '.join(MATCH_FIELDS)}."
    cleaned["match_field"] = match_field
    match_value = str(data.get("match_value") or "").strip()
    if match_field != "any" and not match_value:
        errors["match_value"] = "Say which product type, vendor, tag or collection the template is for."
    cleaned["match_value"] = match_value[:255]
    category_id = str(data.get("category_id") or "").strip()
    if category_id and not category_id.isdigit():
        errors["category_id"] = "A TikTok category id is a number."
    cleaned["category_id"] = category_id or None
    cleaned["category_path"] = str(data.get("category_path") or "").strip()[:500] or None
    brand_id = str(data.get("brand_id") or "").strip()
    if brand_id and not brand_id.isdigit():
        errors["brand_id"] = "A TikTok brand id is a number."
    cleaned["brand_id"] = brand_id or None
    try:
        cleaned["position"] = int(data.get("position") or 0)
    except (TypeError, ValueError):
        errors["position"] = "The position is a whole number."
    cleaned["attribute_rules"], rule_errors = _rules(data.get("attribute_rules") or [])
    errors.update(rule_errors)
    cleaned["package"], package_errors = clean_package(data.get("package") or {})
    errors.update(package_errors)
    if errors:
        raise TemplateError(errors)
    return cleaned


def _rules(raw: Any) -> tuple[list[dict], dict]:
    if not isinstance(raw, list):
        return [], {"attribute_rules": "Attribute rules are a list."}
    rules, errors = [], {}
    for number, rule in enumerate(raw, 1):
        if not isinstance(rule, Mapping):
            errors[f"attribute_rules[{number}]"] = "Each rule names an attribute, a source and a value."
            continue
        attribute_id, source, value = (str(rule.get(k) or "").strip() for k in ("attribute_id", "source", "value"))
        if not attribute_id.isdigit() or source not in SOURCES or not value or len(value) > 500:
            errors[f"attribute_rules[{number}]"] = (f"Give an attribute id, a source ({', '.join(SOURCES)}) "
                                                    "and a value of up to 500 characters.")
            continue
        rules.append({"attribute_id": attribute_id, "source": source, "value": value})
    return rules, errors


def clean_package(raw: Mapping[str, Any]) -> tuple[dict, dict]:
    """Package defaults: weight (value and unit) and whole-number dimensions with their unit."""
    if not isinstance(raw, Mapping):
        return {}, {"package": "Package defaults are a set of fields."}
    package, errors = {}, {}
    weight = str(raw.get("weight_value") or "").strip()
    if weight:
        try:
            if float(weight) <= 0:
                raise ValueError
            package["weight_value"] = weight
        except ValueError:
            errors["weight_value"] = "The default weight is a number above 0."
        unit = str(raw.get("weight_unit") or "KILOGRAMS")
        if unit not in WEIGHT_UNITS:
            errors["weight_unit"] = f"Weight unit is one of {', '.join(WEIGHT_UNITS)}."
        package["weight_unit"] = unit
    sides = {side: str(raw.get(side) or "").strip() for side in ("length", "width", "height")}
    if any(sides.values()):
        if not all(v.isdigit() and 0 < int(v) < 10_000 for v in sides.values()):
            errors["dimensions"] = "Length, width and height are whole numbers above 0."
        package.update(sides)
        unit = str(raw.get("dimension_unit") or "CENTIMETER")
        if unit not in DIMENSION_UNITS:
            errors["dimension_unit"] = "Dimensions are in CENTIMETER or INCH."
        package["dimension_unit"] = unit
    return package, errors
