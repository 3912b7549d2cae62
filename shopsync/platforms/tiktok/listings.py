"""TikTok Shop listing creation calls: readiness, categories, rules, attributes, brands, image upload,
listing check, create and edits, and reading a product's audit (tiktok-orders-listings.md §E)."""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Iterable

from shopsync.platforms.http import PermanentError
from shopsync.platforms.tiktok.client import TikTokClient

CATEGORY_VERSION = "v2"  # mandatory for US and SEA, and UK/EU since October 2025
NO_CATEGORY_MATCH = frozenset({12019064, 12052912})
DUPLICATE_EXTERNAL_ID = 12052996
LISTING_LIMIT = 12052093
SEARCH_SKUS_AT_ONCE = 10
PRODUCT_SEARCH = "/product/202502/products/search"


@dataclass(frozen=True)
class PrerequisiteCheck:
    item: str  # upper-cased: TikTok spells one of them BANk_ACCOUNT
    failed: bool
    reasons: tuple[str, ...]


@dataclass(frozen=True)
class CategoryNode:
    id: str
    parent_id: str
    name: str
    is_leaf: bool
    permissions: tuple[str, ...]


@dataclass(frozen=True)
class Recommendation:
    leaf_id: str
    path: tuple[str, ...]  # names, root first


@dataclass(frozen=True)
class AttributeValue:
    id: str
    name: str


@dataclass(frozen=True)
class AttributeSpec:
    id: str
    name: str
    is_sales: bool
    required: bool
    multiple: bool
    customizable: bool
    values: tuple[AttributeValue, ...]
    required_when: tuple[tuple[str, str], ...] = ()  # (attribute id, value id) that make it required

    def as_json(self) -> dict:
        return {"id": self.id, "name": self.name, "is_sales": self.is_sales, "required": self.required,
                "multiple": self.multiple, "customizable": self.customizable,
                "values": [[v.id, v.name] for v in self.values], "required_when": [list(c) for c in self.required_when]}

    @classmethod
    def from_json(cls, raw: dict) -> "AttributeSpec":
        return cls(id=raw["id"], name=raw["name"], is_sales=raw["is_sales"], required=raw["required"],
                   multiple=raw["multiple"], customizable=raw["customizable"],
                   values=tuple(AttributeValue(*v) for v in raw["values"]),
                   required_when=tuple(tuple(c) for c in raw.get("required_when") or ()))


@dataclass(frozen=True)
class CategoryRules:
    package_dimensions_required: bool
    seller_sku_required: bool
    size_chart_required: bool
    cod_supported: bool
    required_certifications: tuple[str, ...]


@dataclass(frozen=True)
class Brand:
    id: str
    name: str
    authorized: bool
    is_t1: bool

    @property
    def selectable(self) -> bool:
        """TikTok lets a seller pick an authorized brand, or an unauthorized one that is not a top-tier brand."""
        return self.authorized or not self.is_t1


@dataclass(frozen=True)
class UploadedImage:
    uri: str
    url: str
    width: int
    height: int


@dataclass(frozen=True)
class CheckResult:
    passed: bool
    fail_reasons: tuple[tuple[int, str], ...]
    diagnoses: tuple[dict, ...]


@dataclass(frozen=True)
class CreatedSku:
    id: str
    seller_sku: str
    external_sku_id: str


@dataclass(frozen=True)
class CreatedProduct:
    product_id: str
    skus: tuple[CreatedSku, ...]
    warnings: tuple[str, ...] = ()


@dataclass(frozen=True)
class ProductState:
    product_id: str
    status: str  # DRAFT | PENDING | FAILED | ACTIVATE | ...
    audit_status: str | None
    failed_reasons: tuple[dict, ...]
    external_product_id: str
    skus: tuple[CreatedSku, ...] = field(default=())


def prerequisites(client: TikTokClient) -> list[PrerequisiteCheck]:
    results = client.get("/product/202312/prerequisites").data.get("check_results") or []
    return [PrerequisiteCheck(item=str(r.get("check_item") or "").upper(), failed=bool(r.get("is_failed")),
                              reasons=tuple(str(x) for x in r.get("fail_reasons") or ())) for r in results]


def categories(client: TikTokClient, keyword: str | None = None) -> list[CategoryNode]:
    found = client.get("/product/202309/categories", {"category_version": CATEGORY_VERSION,
                                                        "keyword": keyword}).data.get("categories") or []
    return [CategoryNode(id=str(c["id"]), parent_id=str(c.get("parent_id") or "0"), name=c.get("local_name", ""),
                         is_leaf=bool(c.get("is_leaf")), permissions=tuple(c.get("permission_statuses") or ()))
            for c in found]


def recommend_category(client: TikTokClient, *, title: str, description: str = "", image_uris: Iterable[str] = (),
                       product_type: str = "", vendor: str = "", tags: Iterable[str] = ()) -> Recommendation | None:
    """TikTok's pick of a leaf category for this product, or None when it finds none."""
    body: dict[str, Any] = {"product_title": title, "category_version": CATEGORY_VERSION}
    optional = {"description": description, "images": [{"uri": u} for u in image_uris],
                "origin_platform_product_type": product_type, "origin_platform_vendor": vendor,
                "origin_platform_tags": list(tags)}
    body.update({k: v for k, v in optional.items() if v})
    try:
        data = client.post("/product/202309/categories/recommend", body).data
    except PermanentError as error:
        if error.code in NO_CATEGORY_MATCH:
            return None
        raise
    return Recommendation(leaf_id=str(data["leaf_category_id"]),
                          path=tuple(c.get("name", "") for c in data.get("categories") or ()))


def category_rules(client: TikTokClient, category_id: str) -> CategoryRules:
    data = client.get(f"/product/202309/categories/{category_id}/rules",
                      {"category_version": CATEGORY_VERSION}).data
    return CategoryRules(
        package_dimensions_required=bool((data.get("package_dimension") or {}).get("is_required")),
        seller_sku_required=bool((data.get("seller_sku") or {}).get("is_required")),
        size_chart_required=bool((data.get("size_chart") or {}).get("is_required")),
        cod_supported=bool((data.get("cod") or {}).get("is_supported")),
        required_certifications=tuple(c.get("name", "") for c in data.get("product_certifications") or ()
                                      if c.get("is_required")))


def category_attributes(client: TikTokClient, category_id: str) -> list[AttributeSpec]:
    found = client.get(f"/product/202309/categories/{category_id}/attributes",
                       {"category_version": CATEGORY_VERSION}).data.get("attributes") or []
    return [AttributeSpec(
        id=str(a["id"]), name=a.get("name", ""), is_sales=a.get("type") == "SALES_PROPERTY",
        # TikTok's wire name is misspelled; read the right spelling too in case it is fixed.
        required=bool(a.get("is_requried", a.get("is_required"))), multiple=bool(a.get("is_multiple_selection")),
        customizable=bool(a.get("is_customizable")),
        values=tuple(AttributeValue(str(v["id"]), v.get("name", "")) for v in a.get("values") or ()),
        required_when=tuple((str(c.get("attribute_id")), str(c.get("attribute_value_id")))
                            for c in a.get("requirement_conditions") or ()))
        for a in found]


def brands(client: TikTokClient, category_id: str, name: str | None = None) -> list[Brand]:
    found, token = [], None
    while True:
        data = client.get("/product/202309/brands", {"page_size": 100, "page_token": token, "category_id": category_id,
                                                      "brand_name": name, "category_version": CATEGORY_VERSION}).data
        found += [Brand(id=str(b["id"]), name=b.get("name", ""),
                        authorized=b.get("authorized_status") == "AUTHORIZED", is_t1=bool(b.get("is_t1_brand")))
                  for b in data.get("brands") or ()]
        token = data.get("next_page_token")
        if not token:
            return found


def upload_image(client: TikTokClient, content: bytes, use_case: str = "MAIN_IMAGE",
                 filename: str = "image") -> UploadedImage:
    data = client.upload("/product/202309/images/upload", content, {"use_case": use_case}, filename).data
    return UploadedImage(uri=data["uri"], url=data.get("url", ""), width=int(data.get("width") or 0),
                         height=int(data.get("height") or 0))


def listing_check(client: TikTokClient, body: dict) -> CheckResult:
    data = client.post("/product/202309/products/listing_check", body, {"is_diagnosis_required": True}).data
    reasons = tuple((int(r.get("code") or 0), str(r.get("message") or "")) for r in data.get("fail_reasons") or ())
    return CheckResult(passed=data.get("check_result") == "PASS" and not reasons, fail_reasons=reasons,
                       diagnoses=tuple(data.get("diagnoses") or ()))


def create_product(client: TikTokClient, body: dict) -> CreatedProduct:
    data = client.post("/product/202309/products", body).data
    return CreatedProduct(product_id=str(data["product_id"]), skus=_skus(data.get("skus")),
                          warnings=tuple(str(w.get("message", "")) for w in data.get("warnings") or ()))


def edit_product(client: TikTokClient, product_id: str, body: dict) -> None:
    """Full replace: what is left out is cleared, SKUs left out are deleted. Goes back to audit."""
    client.request("PUT", f"/product/202309/products/{product_id}", body=body)


def partial_edit(client: TikTokClient, product_id: str, body: dict) -> None:
    """Replace only the top-level fields sent; content changes go back to audit."""
    client.post(f"/product/202309/products/{product_id}/partial_edit", body)


def product_state(client: TikTokClient, product_id: str) -> ProductState:
    data = client.get(f"/product/202309/products/{product_id}").data
    return ProductState(product_id=str(data.get("id") or product_id), status=str(data.get("status") or ""),
                        audit_status=(data.get("audit") or {}).get("status"),
                        failed_reasons=tuple(data.get("audit_failed_reasons") or ()),
                        external_product_id=str(data.get("external_product_id") or ""), skus=_skus(data.get("skus")))


def find_by_external_id(client: TikTokClient, external_product_id: str, seller_skus: Iterable[str]) -> str | None:
    """The product created earlier for this external id, found through its seller SKUs; None if there is none."""
    wanted = [s for s in dict.fromkeys(seller_skus) if s][:SEARCH_SKUS_AT_ONCE]
    if not wanted:
        return None
    products = client.post(PRODUCT_SEARCH, {"seller_skus": wanted}, {"page_size": 100}).data.get("products") or []
    for found in products:
        if product_state(client, str(found["id"])).external_product_id == external_product_id:
            return str(found["id"])
    return None


def _skus(raw: Any) -> tuple[CreatedSku, ...]:
    return tuple(CreatedSku(id=str(s["id"]), seller_sku=str(s.get("seller_sku") or ""),
                            external_sku_id=str(s.get("external_sku_id") or "")) for s in raw or ())
