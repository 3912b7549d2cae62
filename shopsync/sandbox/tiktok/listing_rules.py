"""The sandbox's judge of a product body: what `listing_check` reports, what create refuses, what audit rejects.

Every rule carries TikTok's error code and the field it concerns. Structural problems are refused by
create at once (`at_create`); the rest pass create and make the audit fail later, as TikTok's review
does, so only a listing check before submission stops them.
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from html.parser import HTMLParser
from typing import Any, Mapping

from shopsync.sandbox.tiktok.categories import Attribute, Category, CategoryTree
from shopsync.sandbox.tiktok.uploads import MAIN_MAX_SIDE, MAIN_MIN_SIDE, Uploaded

TIKTOK_IMAGE_HOST = "https://p16-oec-va.ibyteimg.com/"
V2_REGIONS = frozenset({"US", "GB", "UK", "ID", "MY", "PH", "SG", "TH", "VN", "DE", "FR", "ES", "IT", "IE", "JP"})
MAX_TITLE = 255
MAX_DESCRIPTION = 10_000
MAX_DESCRIPTION_IMAGES = 30
MAX_MAIN_IMAGES = 9
MAX_SKUS = 100
MAX_SALES_ATTRIBUTES = 3
MAX_PRICE = {"USD": Decimal("7600"), "GBP": Decimal("5600")}
MAX_QUANTITY = 999_999
WEIGHT_UNITS = {"US": {"KILOGRAM", "POUND"}}
IMPERIAL = frozenset({"POUND", "INCH"})
_AMOUNT = re.compile(r"^\d{1,7}(\.\d{1,2})?$")
_WHOLE = re.compile(r"^[1-9]\d{0,3}$")
_CJK = re.compile(r"[\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff]")
_EMOJI_OR_CONTROL = re.compile(r"[\U0001F000-\U0001FAFF\u2600-\u27BF\x00-\x1f\x7f]|&[a-zA-Z]+;|&#\d+;")
_REPEATED = re.compile(r"(.)\1{9,}")
_ALLOWED_TAGS_BLOCKED = frozenset({"script", "style", "iframe", "object", "embed", "form", "input", "video", "audio"})
_VOID_TAGS = frozenset({"br", "img", "hr"})
_IDENTIFIER_LENGTHS = {"GTIN": (14,), "EAN": (8, 13, 14), "UPC": (12,), "ISBN": (10, 13), "JAN": (8, 13)}


@dataclass
class Finding:
    code: int
    message: str
    field: str  # TikTok's position names: TITLE, DESCRIPTION, CATEGORY, PRODUCT_ATTRIBUTE, MAIN_IMAGE, SKU, ...
    at_create: bool = False


@dataclass
class Judgement:
    findings: list[Finding] = field(default_factory=list)
    diagnoses: list[dict] = field(default_factory=list)

    @property
    def create_refusal(self) -> Finding | None:
        return next((f for f in self.findings if f.at_create), None)

    def fail_reasons(self) -> list[dict]:
        return [{"code": f.code, "message": f.message} for f in self.findings]


@dataclass
class Context:
    tree: CategoryTree
    region: str
    currency: str
    warehouse_ids: frozenset[str]
    uploads: Mapping[str, Uploaded]


def judge(ctx: Context, body: Any) -> Judgement:
    judgement = Judgement()
    if not isinstance(body, dict):
        judgement.findings.append(Finding(36009004, "Invalid param: the body must be a JSON object", "PRODUCT", True))
        return judgement
    add = judgement.findings.append
    category = _category(ctx, body, add)
    _title(body.get("title"), add)
    _description(ctx, body.get("description"), add)
    _images(ctx, body.get("main_images"), add)
    if category is not None:
        _attributes(ctx, category, body.get("product_attributes"), add)
        _brand(ctx, category, body.get("brand_id"), add)
        _package(ctx, category, body, add)
    _skus(ctx, category, body.get("skus"), add)
    if body.get("is_cod_allowed") is True:
        add(Finding(12052222, "Cash on delivery is not supported in this category", "PRODUCT"))
    judgement.diagnoses = _diagnoses(ctx, body)
    return judgement


def _category(ctx: Context, body: dict, add) -> Category | None:
    category_id = str(body.get("category_id") or "")
    if not category_id:
        add(Finding(12052023, "category_id is required", "CATEGORY", True))
        return None
    version = body.get("category_version") or "v1"
    if version != "v2" and ctx.region.upper() in V2_REGIONS:
        add(Finding(12052217, "This market must use category_version v2", "CATEGORY", True))
        return None
    category = ctx.tree.by_id.get(category_id)
    if category is None:
        add(Finding(12052025, f"Category {category_id} does not exist", "CATEGORY", True))
        return None
    if not category.is_leaf:
        add(Finding(12052024, f"Category {category.name} is not a leaf category", "CATEGORY", True))
        return None
    if category.permission == "PROHIBITED":
        add(Finding(12052220, f"Category {category.name} is prohibited", "CATEGORY", True))
        return None
    return category


def _title(title: Any, add) -> None:
    if not isinstance(title, str) or not title.strip():
        add(Finding(12052261, "The product title is empty", "TITLE", True))
        return
    if len(title) > MAX_TITLE:
        add(Finding(12052051, f"The title has {len(title)} characters; at most {MAX_TITLE} are allowed", "TITLE",
                    True))
    if _CJK.search(title):
        add(Finding(12052262, "The title contains Chinese characters", "TITLE"))
    if _EMOJI_OR_CONTROL.search(title) or _REPEATED.search(title):
        add(Finding(12052931, "The title contains emojis, HTML entities, control characters or a character "
                              "repeated more than 9 times", "TITLE"))


class _Html(HTMLParser):
    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.open: list[str] = []
        self.problems: list[tuple[int, str]] = []
        self.images: list[dict] = []
        self.text: list[str] = []

    def handle_starttag(self, tag, attrs):
        if tag in _ALLOWED_TAGS_BLOCKED:
            self.problems.append((12052346, f"The description contains an unsupported <{tag}> tag"))
        if any(name.startswith("on") for name, _ in attrs):
            self.problems.append((12052347, f"The description's <{tag}> tag has a script attribute"))
        if tag == "img":
            self.images.append(dict(attrs))
        elif tag not in _VOID_TAGS:
            self.open.append(tag)

    def handle_startendtag(self, tag, attrs):
        if tag == "img":
            self.images.append(dict(attrs))

    def handle_endtag(self, tag):
        if tag in _VOID_TAGS:
            return
        if not self.open or self.open[-1] != tag:
            self.problems.append((12052344, f"The description's HTML is not well-formed: unexpected </{tag}>"))
            if tag in self.open:
                del self.open[len(self.open) - 1 - self.open[::-1].index(tag):]
            return
        self.open.pop()

    def handle_data(self, data):
        self.text.append(data)


def description_facts(html: str) -> _Html:
    parser = _Html()
    parser.feed(html)
    parser.close()
    if parser.open:
        parser.problems.append((12052344, f"The description's HTML is not well-formed: <{parser.open[-1]}> is "
                                          "never closed"))
    return parser


def _description(ctx: Context, description: Any, add) -> None:
    if not isinstance(description, str) or not description.strip():
        add(Finding(12052015, "The description is required", "DESCRIPTION", True))
        return
    if len(description) > MAX_DESCRIPTION:
        add(Finding(12052013, f"The description has {len(description)} characters; at most {MAX_DESCRIPTION}",
                    "DESCRIPTION", True))
    facts = description_facts(description)
    for code, message in facts.problems[:3]:
        add(Finding(code, message, "DESCRIPTION"))
    if len(facts.images) > MAX_DESCRIPTION_IMAGES:
        add(Finding(12052056, f"The description has {len(facts.images)} images; at most {MAX_DESCRIPTION_IMAGES}",
                    "DESCRIPTION"))
    for image in facts.images:
        src = image.get("src") or ""
        if not src.startswith(TIKTOK_IMAGE_HOST) or _uri_of(src) not in ctx.uploads:
            add(Finding(12052345, f"Description image {src[:80] or '(no src)'} is not hosted by TikTok: upload it "
                                  "with use_case DESCRIPTION_IMAGE", "DESCRIPTION"))
            break


def image_url(uri: str) -> str:
    return f"{TIKTOK_IMAGE_HOST}{uri}~tplv-o3syd03w52-origin-jpeg.jpeg"


def _uri_of(url: str) -> str:
    return url[len(TIKTOK_IMAGE_HOST):].split("~", 1)[0]


def _images(ctx: Context, images: Any, add) -> None:
    if not isinstance(images, list) or not images:
        add(Finding(12052028, "At least one main image is required", "MAIN_IMAGE", True))
        return
    if len(images) > MAX_MAIN_IMAGES:
        add(Finding(12052305, f"{len(images)} main images; at most {MAX_MAIN_IMAGES}", "MAIN_IMAGE", True))
    for number, image in enumerate(images, 1):
        uri = image.get("uri") if isinstance(image, dict) else None
        uploaded = ctx.uploads.get(uri or "")
        if uploaded is None:
            add(Finding(12052722, f"Main image {number}: URI {uri!r} was not uploaded to TikTok", "MAIN_IMAGE", True))
        elif not (MAIN_MIN_SIDE <= min(uploaded.width, uploaded.height)
                  and max(uploaded.width, uploaded.height) <= MAIN_MAX_SIDE):
            add(Finding(12052302, f"Main image {number} is {uploaded.width}x{uploaded.height} px; main images "
                                  f"must be {MAIN_MIN_SIDE}-{MAIN_MAX_SIDE} px", "MAIN_IMAGE"))


def _attributes(ctx: Context, category: Category, given: Any, add) -> None:
    known = {a.id: a for a in ctx.tree.attributes_of(category) if a.type == "PRODUCT_PROPERTY"}
    chosen: dict[str, list[dict]] = {}
    for item in given if isinstance(given, list) else []:
        if not isinstance(item, dict):
            continue
        attribute = known.get(str(item.get("id") or ""))
        if attribute is None:
            add(Finding(98001004, f"Invalid param: attribute {item.get('id')!r} does not belong to category "
                                  f"{category.name}", "PRODUCT_ATTRIBUTE"))
            continue
        values = [v for v in item.get("values") or [] if isinstance(v, dict)]
        chosen[attribute.id] = values
        _attribute_values(attribute, values, add)
    for attribute in known.values():
        if chosen.get(attribute.id):
            continue
        if attribute.is_required:
            add(Finding(12052104, f"Attribute '{attribute.name}' is required", "PRODUCT_ATTRIBUTE"))
        elif any(any(str(v.get("id")) == c.value_id for v in chosen.get(c.attribute_id, []))
                 for c in attribute.requirement_conditions):
            add(Finding(12052182, f"Attribute '{attribute.name}' is required by another attribute's value",
                        "PRODUCT_ATTRIBUTE"))


def _attribute_values(attribute: Attribute, values: list[dict], add) -> None:
    if len(values) > 1 and not attribute.is_multiple_selection:
        add(Finding(98001004, f"Invalid param: attribute '{attribute.name}' takes one value", "PRODUCT_ATTRIBUTE"))
    for value in values:
        if value.get("id"):
            if attribute.value(str(value["id"])) is None:
                add(Finding(98001004, f"Invalid param: value {value['id']!r} is not in the list of attribute "
                                      f"'{attribute.name}'", "PRODUCT_ATTRIBUTE"))
        elif not attribute.is_customizable:
            add(Finding(98001004, f"Invalid param: attribute '{attribute.name}' takes only values from its list",
                        "PRODUCT_ATTRIBUTE"))
        elif not str(value.get("name") or "").strip() or len(str(value["name"])) > 500:
            add(Finding(98001004, f"Invalid param: a custom value of '{attribute.name}' must be 1-500 characters",
                        "PRODUCT_ATTRIBUTE"))


def _brand(ctx: Context, category: Category, brand_id: Any, add) -> None:
    if not brand_id:
        return
    brand = ctx.tree.brand(str(brand_id))
    if brand is None:
        add(Finding(98001004, f"Invalid param: brand {brand_id!r} does not exist", "BRAND"))
    elif not brand.authorized and brand.is_t1:
        add(Finding(12052201, f"Brand {brand.name} needs an authorization for this category", "BRAND"))
    elif brand.families and category.family not in brand.families:
        add(Finding(12052208, f"Brand {brand.name} is not authorized in category {category.name}", "BRAND"))


def _package(ctx: Context, category: Category, body: dict, add) -> None:
    weight = body.get("package_weight")
    weight_unit = None
    if not isinstance(weight, dict) or not weight.get("value"):
        add(Finding(98001004, "Invalid param: package_weight is required", "PACKAGE_WEIGHT", True))
    else:
        weight_unit = weight.get("unit")
        try:
            value = Decimal(str(weight["value"]))
        except InvalidOperation:
            add(Finding(12052006, "The package weight is not a number", "PACKAGE_WEIGHT", True))
        else:
            if value <= 0:
                add(Finding(12052181, "The package weight must be more than 0", "PACKAGE_WEIGHT", True))
        if weight_unit not in WEIGHT_UNITS.get(ctx.region.upper(), {"KILOGRAM"}):
            add(Finding(12019061, f"Weight unit {weight_unit!r} is not allowed in this market", "PACKAGE_WEIGHT",
                        True))
    dimensions = body.get("package_dimensions")
    if not isinstance(dimensions, dict):
        if ctx.tree.rules_of(category).package_dimensions_required:
            add(Finding(98001004, "Invalid param: package_dimensions are required in this category",
                        "PACKAGE_DIMENSION"))
        return
    if not all(_WHOLE.match(str(dimensions.get(side) or "")) for side in ("length", "width", "height")):
        add(Finding(98001004, "Invalid param: package dimensions must be whole numbers above 0", "PACKAGE_DIMENSION"))
    unit = dimensions.get("unit")
    if unit not in ("CENTIMETER", "INCH") or (unit == "INCH" and ctx.region.upper() != "US"):
        add(Finding(98001004, f"Invalid param: dimension unit {unit!r}", "PACKAGE_DIMENSION"))
    elif weight_unit and (weight_unit in IMPERIAL) != (unit in IMPERIAL):
        add(Finding(12052915, "Weight and dimensions must both be metric or both imperial", "PACKAGE_DIMENSION"))


def _skus(ctx: Context, category: Category | None, skus: Any, add) -> None:
    if not isinstance(skus, list) or not skus or not all(isinstance(s, dict) for s in skus):
        add(Finding(98001004, "Invalid param: skus is required", "SKU", True))
        return
    if len(skus) > MAX_SKUS:
        add(Finding(12052050, f"{len(skus)} SKUs; a product can have at most {MAX_SKUS}", "SKU", True))
    shapes = [tuple(str(a.get("name") or a.get("id") or "") for a in s.get("sales_attributes") or [])
              for s in skus]
    names = {name for shape in shapes for name in shape}
    if len(names) > MAX_SALES_ATTRIBUTES:
        add(Finding(12052525, f"{len(names)} variation attributes ({', '.join(sorted(names))}); at most "
                              f"{MAX_SALES_ATTRIBUTES}", "SALES_ATTRIBUTE", True))
    elif len(set(map(frozenset, shapes))) > 1:
        add(Finding(12052550, "Every SKU must have the same variation attributes", "SALES_ATTRIBUTE", True))
    combinations = [tuple(sorted((str(a.get("name") or a.get("id")), str(a.get("value_name") or a.get("value_id")))
                                 for a in s.get("sales_attributes") or [])) for s in skus]
    if len(set(combinations)) != len(combinations):
        add(Finding(12052560, "Two SKUs have the same combination of variation values", "SALES_ATTRIBUTE", True))
    _sku_attribute_texts(skus, add)
    rules = ctx.tree.rules_of(category) if category else None
    codes: list[str] = []
    for number, sku in enumerate(skus, 1):
        _sku(ctx, number, sku, rules.seller_sku_required if rules else False, add)
        identifier = sku.get("identifier_code")
        if isinstance(identifier, dict) and identifier.get("code"):
            codes.append(str(identifier["code"]))
            _identifier(number, identifier, add)
    if len(set(codes)) != len(codes):
        add(Finding(12052592, "Two SKUs have the same identifier code", "SKU"))


def _sku_attribute_texts(skus: list[dict], add) -> None:
    with_images = {str(a.get("name")) for s in skus for a in s.get("sales_attributes") or [] if a.get("sku_img")}
    if len(with_images) > 1:
        add(Finding(12052528, "Only one variation attribute may carry images", "SALES_ATTRIBUTE"))
    for sku in skus:
        for attribute in sku.get("sales_attributes") or []:
            if len(str(attribute.get("name") or "")) > 20 or len(str(attribute.get("value_name") or "")) > 50:
                add(Finding(98001004, "Invalid param: variation names are at most 20 characters and values at most "
                                      f"50 ({attribute.get('name')}: {str(attribute.get('value_name'))[:60]})",
                            "SALES_ATTRIBUTE", True))
                return


def _sku(ctx: Context, number: int, sku: dict, seller_sku_required: bool, add) -> None:
    seller_sku = sku.get("seller_sku")
    if seller_sku:
        if len(str(seller_sku)) > 50 or " " in str(seller_sku):
            add(Finding(12052054, f"SKU {number}: seller SKU {str(seller_sku)[:60]!r} must be 1-50 characters "
                                  "without spaces", "SKU"))
    elif seller_sku_required:
        add(Finding(98001004, f"Invalid param: SKU {number} needs a seller SKU in this category", "SKU"))
    price = sku.get("price")
    if not isinstance(price, dict) or not price.get("amount"):
        add(Finding(12052571, f"SKU {number}: the price is missing", "PRICE", True))
    else:
        amount = str(price["amount"])
        if not _AMOUNT.match(amount) or Decimal(amount) <= 0:
            add(Finding(12052073, f"SKU {number}: price {amount!r} is invalid", "PRICE", True))
        elif Decimal(amount) > MAX_PRICE.get(ctx.currency, Decimal("9999999")):
            add(Finding(12052570, f"SKU {number}: price {amount} is over the limit", "PRICE", True))
        if price.get("currency") != ctx.currency:
            add(Finding(12052084, f"SKU {number}: the currency must be {ctx.currency}", "PRICE", True))
    inventory = sku.get("inventory")
    if not isinstance(inventory, list) or not inventory:
        add(Finding(12052486, f"SKU {number}: inventory is required", "INVENTORY", True))
        return
    for entry in inventory:
        if str((entry or {}).get("warehouse_id") or "") not in ctx.warehouse_ids:
            add(Finding(12052530, f"SKU {number}: warehouse {entry.get('warehouse_id')!r} is not a sales warehouse "
                                  "of this shop", "INVENTORY", True))
        quantity = (entry or {}).get("quantity")
        if isinstance(quantity, bool) or not isinstance(quantity, int) or not 0 <= quantity <= MAX_QUANTITY:
            add(Finding(12052055, f"SKU {number}: quantity must be 0-{MAX_QUANTITY}", "INVENTORY", True))


def _identifier(number: int, identifier: dict, add) -> None:
    kind, code = str(identifier.get("type") or ""), str(identifier.get("code"))
    if kind not in _IDENTIFIER_LENGTHS:
        add(Finding(12052600, f"SKU {number}: identifier type {kind!r} is missing or unknown", "SKU"))
    elif not code.isdigit() or len(code) not in _IDENTIFIER_LENGTHS[kind] or not _check_digit_ok(code):
        add(Finding(12052591, f"SKU {number}: {kind} {code!r} has the wrong digits", "SKU"))


def _check_digit_ok(code: str) -> bool:
    if len(code) == 10:  # ISBN-10 is checked by TikTok differently; its length is enough here
        return True
    digits = [int(c) for c in code]
    total = sum(d * (3 if i % 2 else 1) for i, d in enumerate(reversed(digits[:-1]), 1))
    return (10 - total % 10) % 10 == digits[-1]


def _diagnoses(ctx: Context, body: dict) -> list[dict]:
    found: dict[str, list[tuple[str, str]]] = {}

    def note(field_name: str, code: str, how: str) -> None:
        found.setdefault(field_name, []).append((code, how))

    title = body.get("title") if isinstance(body.get("title"), str) else ""
    if len(title) < 40:
        note("TITLE", "TITLE_LESS_THAN_40_CHARACTERS", "Use 40 or more characters: brand, product, key features.")
    description = body.get("description") if isinstance(body.get("description"), str) else ""
    facts = description_facts(description)
    if len("".join(facts.text).strip()) < 50:
        note("DESCRIPTION", "DESC_LESS_THAN_FIFTY_CHARS", "Describe the product in at least 50 characters.")
    if not facts.images:
        note("DESCRIPTION", "DESC_NOT_CONTAINING_IMG", "Add an image to the description.")
    images = [i for i in body.get("main_images") or [] if isinstance(i, dict)]
    if len(images) < 5:
        note("MAIN_IMAGE", "MAIN_IMG_NUMBER_LESS_THAN_FIVE", "Add at least 5 main images.")
    first = ctx.uploads.get(images[0].get("uri", "")) if images else None
    if first is not None and not first.white_background:
        note("MAIN_IMAGE", "MAIN_IMG_FIRST_IMG_NO_WHITE_BACKGROUND_PRODUCT",
             "Use a first image with a plain white background.")
    stock = sum(int(e.get("quantity") or 0) for s in body.get("skus") or [] if isinstance(s, dict)
                for e in s.get("inventory") or [] if isinstance(e, dict) and isinstance(e.get("quantity"), int))
    if stock < 5:
        note("SKU", "STOCK_LESS_THAN_FIVE", "Keep at least 5 units in stock.")
    return [{"field": name, "diagnosis_results": [{"code": code, "how_to_solve": how, "quality_tier": "GOOD"}
                                                  for code, how in results],
             "suggestions": {"seo_words": [], "smart_texts": [], "images": []}}
            for name, results in found.items()]
