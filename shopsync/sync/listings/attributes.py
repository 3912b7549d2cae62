"""A category's product attributes filled from Shopify: picked by hand, mapped by the template, or found by name.

Values are matched to TikTok's value list by name; a value TikTok doesn't list is sent as a custom
value only where the attribute allows one, otherwise the merchant is told which values fit.
"""
from __future__ import annotations

from typing import Iterable, Mapping

from ...platforms.tiktok.listings import AttributeSpec
from .problems import ATTRIBUTES, Problem
from .source import SourceProduct

SOURCES = ("value", "option", "metafield", "field")
MAX_CUSTOM = 500


def fill(specs: Iterable[AttributeSpec], source: SourceProduct, rules: Iterable[Mapping],
         chosen: Mapping[str, list], category_name: str) -> tuple[list[dict], list[Problem]]:
    """(product_attributes for TikTok, problems). `rules` are the template's, `chosen` the merchant's picks."""
    product_specs = [s for s in specs if not s.is_sales]
    by_rule = {str(r.get("attribute_id")): r for r in rules}
    filled: dict[str, list[dict]] = {}
    problems: list[Problem] = []
    for spec in product_specs:
        texts = _texts(spec, source, by_rule.get(spec.id), chosen.get(spec.id))
        values, problem = _resolve(spec, texts)
        if problem:
            problems.append(problem)
        if values:
            filled[spec.id] = values
    for spec in product_specs:
        if spec.id in filled:
            continue
        required_now = spec.required or any(
            any(v.get("id") == value_id for v in filled.get(attribute_id, [])) for attribute_id, value_id
            in spec.required_when)
        if required_now and not any(p.message.startswith(f"{spec.name}:") for p in problems):
            problems.append(Problem(ATTRIBUTES, f"{spec.name}: TikTok requires it for {category_name}.",
                                    _fix(spec)))
    return [{"id": spec_id, "values": values} for spec_id, values in filled.items()], problems


def _texts(spec: AttributeSpec, source: SourceProduct, rule: Mapping | None, chosen: list | None) -> list[str]:
    if chosen:
        return [str(v) for v in chosen]
    if rule:
        kind, value = rule.get("source"), str(rule.get("value") or "")
        if kind == "value":
            return [v.strip() for v in value.split(",") if v.strip()]
        if kind == "option":
            return _option_values(source, value)
        if kind == "metafield":
            return _split(source.metafields.get(value, ""))
        if kind == "field":
            return _split(source.field_value(value))
    return _found_by_name(spec.name, source)


def _found_by_name(name: str, source: SourceProduct) -> list[str]:
    """An attribute named like a Shopify option, a metafield key, or a "Name: value" tag."""
    wanted = _key(name)
    for option in source.option_names:
        if _key(option) == wanted:
            return _option_values(source, option)
    for full_key, value in source.metafields.items():
        if _key(full_key.rsplit(".", 1)[-1]) == wanted:
            return _split(value)
    for tag in source.tags:
        label, _, value = tag.partition(":")
        if value and _key(label) == wanted:
            return _split(value)
    return []


def _option_values(source: SourceProduct, option: str) -> list[str]:
    return list(dict.fromkeys(value for v in source.variants for name, value in v.options if name == option))


def _resolve(spec: AttributeSpec, texts: list[str]) -> tuple[list[dict], Problem | None]:
    if not texts:
        return [], None
    listed = {v.name.casefold(): v for v in spec.values}
    values, unknown = [], []
    for text in texts if spec.multiple else texts[:1]:
        found = listed.get(text.casefold())
        if found is not None:
            values.append({"id": found.id})
        elif spec.customizable and len(text) <= MAX_CUSTOM:
            values.append({"name": text})
        else:
            unknown.append(text)
    if unknown:
        return values, Problem(ATTRIBUTES, f"{spec.name}: TikTok doesn't accept “{unknown[0]}”; it takes one of its "
                                           f"own values.", _fix(spec))
    return values, None


def _fix(spec: AttributeSpec) -> str:
    if spec.values:
        sample = ", ".join(v.name for v in spec.values[:8]) + (", …" if len(spec.values) > 8 else "")
        choice = f"one of {sample}" + (" (or your own value)" if spec.customizable else "")
    else:
        choice = "a value"
    return f"Pick {choice} for {spec.name} on the listing's page, or map it from Shopify in the category template."


def _split(value: str) -> list[str]:
    return [part.strip() for part in (value or "").split(",") if part.strip()]


def _key(text: str) -> str:
    return "".join(ch for ch in text.casefold() if ch.isalnum())
