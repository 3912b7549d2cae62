"""One listing's request to TikTok, built from the Shopify product, its template and TikTok's category facts,
with every problem ShopSync can see before asking TikTok's listing check."""
from __future__ import annotations

from dataclasses import dataclass, field

from sqlalchemy import select

from ...extensions import db
from ...models import CategoryTemplate, Integration, InventoryLevel, Listing, ListingShop, Location, TikTokWarehouse
from ...models import Variant
from ...platforms.http import PermanentError
from ...platforms.tiktok import listings as tiktok
from ...platforms.tiktok import products as tiktok_products
from ..connections.tiktok_access import call_with_refresh
from ..pushes.rules import LinkSettings, desired_price, desired_quantity
from . import attributes, description, images, variants
from .facts import GONE, Facts, facts_for
from .problems import CATEGORY, DESCRIPTION, TITLE, Problem
from .source import SourceProduct
from .templates import template_for

MAX_TITLE = 255
CATEGORY_VERSION = tiktok.CATEGORY_VERSION


@dataclass
class Built:
    body: dict | None  # None when a problem stops the listing before TikTok's check
    problems: list[Problem] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    template: CategoryTemplate | None = None
    category_id: str | None = None
    category_path: str | None = None
    brand_id: str | None = None


def build(integration: Integration, shop: ListingShop, listing: Listing, source: SourceProduct,
          templates: list[CategoryTemplate], host: images.ImageHost, warehouse_ids: list[str]) -> Built:
    built = Built(body=None, template=template_for(templates, source))
    template = built.template
    title = " ".join(source.title.split())
    if not title:
        built.problems.append(Problem(TITLE, "The product has no title.", "Give the product a title in Shopify."))
    elif len(title) > MAX_TITLE:
        built.problems.append(Problem(TITLE, f"The title has {len(title)} characters; TikTok takes {MAX_TITLE}.",
                                      "Shorten the title in Shopify."))
    main, problems = images.host_main_images(host, [(i.position, i.url) for i in source.images])
    built.problems += problems
    _choose_category(integration, listing, source, template, main, built)
    facts = _facts(integration, built)
    text, problems = _description(source, host)
    built.problems += problems
    if facts is None:
        return built
    values, problems = attributes.fill(facts.attributes, source, template.attribute_rules if template else [],
                                       listing.chosen_attributes or {}, (built.category_path or "").rsplit(" > ")[-1])
    built.problems += problems
    skus, problems = variants.build_skus(source, _stock(integration, source), integration.currency or "USD",
                                         warehouse_ids, facts.rules.seller_sku_required)
    built.problems += problems
    defaults = {**(shop.package_defaults or {}), **(template.package if template else {})}
    package, problems = variants.package(source, defaults, integration.region or "",
                                         facts.rules.package_dimensions_required)
    built.problems += problems
    built.brand_id = listing.brand_id or (template.brand_id if template else None)
    body = {"title": title, "description": text, "category_id": built.category_id,
            "category_version": CATEGORY_VERSION, "main_images": [{"uri": image.uri} for image in main],
            "product_attributes": values, "skus": skus, "external_product_id": source.gid, **package}
    if built.brand_id:
        body["brand_id"] = built.brand_id
    built.body = body
    return built


def _choose_category(integration: Integration, listing: Listing, source: SourceProduct,
                     template: CategoryTemplate | None, main: list[images.Hosted], built: Built) -> None:
    if listing.category_id:
        built.category_id, built.category_path = listing.category_id, listing.category_path
        return
    if template is not None and template.category_id:
        built.category_id, built.category_path = template.category_id, template.category_path
        return
    text = description.sanitize(source.description_html)
    recommended = call_with_refresh(integration, lambda client: tiktok.recommend_category(
        client, title=source.title, description=text[:5000], image_uris=[i.uri for i in main[:1]],
        product_type=source.product_type, vendor=source.vendor, tags=source.tags))
    if recommended is None:
        built.problems.append(Problem(CATEGORY, "TikTok couldn't suggest a category for this product.",
                                      "Choose a category on the listing's page, or make a category template."))
        return
    built.category_id, built.category_path = recommended.leaf_id, " > ".join(recommended.path)
    built.notes.append(f"Category suggested by TikTok: {built.category_path}")


def _facts(integration: Integration, built: Built) -> Facts | None:
    if not built.category_id:
        return None
    try:
        return facts_for(integration, built.category_id)
    except PermanentError as error:
        if error.code not in GONE:
            raise
        built.problems.append(Problem(CATEGORY, f"TikTok has no leaf category {built.category_id} any more.",
                                      "Choose another category on the listing's page or in its template."))
        return None


def _description(source: SourceProduct, host: images.ImageHost) -> tuple[str, list[Problem]]:
    clean = description.sanitize(source.description_html)
    if not description.image_sources(clean) and not clean.strip():
        return "", [Problem(DESCRIPTION, "The product has no description; TikTok requires one.",
                            "Write a description in Shopify.")]
    hosted, problems = images.host_description_images(host, description.image_sources(clean)[
        :description.MAX_IMAGES])
    text, _cut = description.fit(description.with_hosted_images(clean, hosted))
    return text, problems


def _stock(integration: Integration, source: SourceProduct) -> dict[int, variants.Stocked]:
    """Price and stock per Shopify variant id, by the shop's default link rules (what sync will keep)."""
    settings = LinkSettings.effective(None, integration.defaults)
    rows = db.session.execute(select(Variant.shopify_id, Variant.inventory_item_id, Variant.integration_id,
                                     Variant.inventory_quantity).where(
        Variant.tenant_id == integration.tenant_id,
        Variant.shopify_id.in_([v.shopify_id for v in source.variants]))).all()
    items = {row.inventory_item_id for row in rows if row.inventory_item_id}
    levels: dict[int, dict[int, int]] = {}
    if items:
        for item_id, location_id, available, active in db.session.execute(
                select(InventoryLevel.inventory_item_id, InventoryLevel.location_id, InventoryLevel.available,
                       Location.is_active)
                .outerjoin(Location, (Location.integration_id == InventoryLevel.integration_id)
                           & (Location.shopify_id == InventoryLevel.location_id))
                .where(InventoryLevel.tenant_id == integration.tenant_id,
                       InventoryLevel.inventory_item_id.in_(items))):
            if active is not False or settings.location_ids is not None:
                levels.setdefault(item_id, {})[location_id] = available
    prices = {v.shopify_id: v.price for v in source.variants}
    currency = integration.currency or "USD"
    return {row.shopify_id: variants.Stocked(
        price=desired_price(prices[row.shopify_id], settings, currency),
        quantity=desired_quantity(levels.get(row.inventory_item_id, {0: row.inventory_quantity or 0}), settings))
        for row in rows}


def sales_warehouse_ids(integration: Integration) -> list[str]:
    """The shop's enabled sales warehouses, the default first (read from TikTok if not imported yet)."""
    rows = db.session.execute(select(TikTokWarehouse).where(
        TikTokWarehouse.integration_id == integration.id, TikTokWarehouse.type == "SALES_WAREHOUSE",
        TikTokWarehouse.enabled.is_(True))).scalars().all()
    if rows:
        return [w.tiktok_id for w in sorted(rows, key=lambda w: not w.is_default)]
    found = call_with_refresh(integration, tiktok_products.warehouses)
    return [w.id for w in sorted((w for w in found if w.takes_stock), key=lambda w: not w.is_default)]
