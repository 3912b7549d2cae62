"""A ready tenant built through the real flows: installed, TikTok connected, both catalogs imported, auto-linked.

    store = linked_store(client, app, shopify_sandbox, tiktok_sandbox, shop_domain, variants=60)

Both sandboxes get the same generated catalog (five variants per product, every
SKU unique and present on both sides), so auto-linking by SKU links every
variant. Every link is pushed once before the builder returns, so TikTok starts
in step with Shopify and the TikTok sandbox's call log is empty.

The TikTok shop has two sales warehouses. With `warehouses` the merchant confirms its mapping first:
"default" (the default warehouse gets the links' locations, the other 0) or "split" (each warehouse
one Shopify location). `untracked_every` makes every n-th variant one Shopify sells without counting
stock (untracked, or tracked and "continue selling", alternately).
"""
from __future__ import annotations

from dataclasses import dataclass, field, replace

from sqlalchemy import select

from shopsync.extensions import db
from shopsync.models import Integration, Product, ProductLink, TikTokProduct, TikTokSku, Variant
from shopsync.sandbox.demo_catalog import LOCATIONS
from shopsync.sync.pushes import flush
from shopsync.sync.pushes.rules import WarehouseFeed
from shopsync.sync.pushes.shop_defaults import change_defaults
from shopsync.sync.pushes.warehouse_mapping import CHOSEN, LINKS, NONE, confirm_mapping, mapping_of
from shopsync.sync.catalog import tiktok_import as tiktok_importer
from shopsync.sync.pushes.dirty import mark_links_dirty
from shopsync.sync.links.auto import apply_auto_link, preview_auto_link
from tests.support.journeys import connect_tiktok
from tests.support.shopify_import import install_store

VARIANTS_PER_PRODUCT = 5
CATALOG_SEED = 11  # both sandboxes generate the same catalog from this seed


@dataclass(frozen=True)
class LinkedSku:
    link_id: int
    variant_id: int  # Shopify's id
    inventory_item_id: int
    shopify_product_id: int
    sku_id: str  # TikTok's id
    tiktok_product_id: str


@dataclass
class LinkedStore:
    shop: str
    tenant_id: int
    shopify_integration_id: int
    tiktok_integration_id: int
    tiktok_shop_id: str
    warehouse_id: str  # the TikTok shop's default warehouse
    stock_location: int  # the Shopify location whose stock changes move; the other stays as imported
    links: list[LinkedSku] = field(default_factory=list)
    # Set when the warehouse mapping is confirmed: each seller warehouse and the locations feeding it.
    feeds: list[WarehouseFeed] = field(default_factory=list)
    sells_freely: set[int] = field(default_factory=set)  # Shopify ids of untracked / continue-selling variants

    @property
    def link_ids(self) -> list[int]:
        return [link.link_id for link in self.links]


def linked_store(client, app, shopify_sandbox, tiktok_sandbox, shop: str, *, variants: int = 60,
                 warehouses: str | None = None, untracked_every: int = 0, defaults: dict | None = None
                 ) -> LinkedStore:
    """Install `shop`, connect a fresh TikTok shop, import both catalogs, auto-link by SKU and push once.

    Needs an app context. Resets the TikTok sandbox (new shop ids), so run it before starting workers.
    """
    shopify_sandbox.load_generated_catalog(shop, variants, variants_per_product=VARIANTS_PER_PRODUCT)
    shopify_products = sorted(shopify_sandbox.shop(shop).products.values(), key=lambda p: p.id)
    # The generator gives every variant of a product the same SKU; give each its own (TikTok's follow below).
    sells_freely = set()
    for number, variant in enumerate(v for product in shopify_products for v in product.variants):
        variant.sku = f"RL-{variant.id}"
        if untracked_every and number % untracked_every == untracked_every - 1:
            if len(sells_freely) % 2:
                variant.inventory_policy = "CONTINUE"
            else:
                variant.tracked = False
            sells_freely.add(variant.id)
    shopify_integration = install_store(client, app, shop)
    tiktok_ids = connect_tiktok(client, tiktok_sandbox)
    tiktok_shop = tiktok_sandbox.shops[0]
    with tiktok_sandbox.lock:
        before = set(tiktok_shop.products)
        tiktok_sandbox.generate_catalog(tiktok_shop.id, variants, skus_per_product=VARIANTS_PER_PRODUCT,
                                        seed=CATALOG_SEED)
        listings = [p for pid, p in tiktok_shop.products.items() if pid not in before]
        for product, listing in zip(shopify_products, listings, strict=True):
            for variant, sku in zip(product.variants, listing.skus, strict=True):
                sku.seller_sku = variant.sku
    tiktok_id = tiktok_ids[0]
    for integration_id in tiktok_ids:
        tiktok_importer.import_catalog(integration_id)
    feeds = _confirm_warehouses(db.session.get(Integration, tiktok_id), warehouses) if warehouses else []
    if defaults:
        change_defaults(db.session.get(Integration, tiktok_id), defaults)
    tenant_id = shopify_integration.tenant_id
    preview = preview_auto_link(tenant_id, tiktok_id, "sku")
    assert len(preview.matches) == variants, f"auto-link matched {len(preview.matches)} of {variants}"
    apply_auto_link(tenant_id, tiktok_id, "sku", preview.pairs)
    store = LinkedStore(shop=shop, tenant_id=tenant_id, shopify_integration_id=shopify_integration.id,
                        tiktok_integration_id=tiktok_id, tiktok_shop_id=tiktok_shop.id,
                        warehouse_id=tiktok_shop.sales_warehouse_ids[0],
                        stock_location=min(shopify_sandbox.shop(shop).locations), links=_linked_skus(tiktok_id),
                        feeds=feeds, sells_freely=sells_freely)
    push_everything(store)
    tiktok_sandbox.clear_calls()
    return store


def _confirm_warehouses(integration: Integration, how: str) -> list[WarehouseFeed]:
    """Confirm the shop's warehouse mapping as the merchant would on its page; returns the feeds."""
    choices = mapping_of(integration)
    assert len(choices) == 2, "the scenario's TikTok shop has two sales warehouses"
    if how == "split":  # each warehouse gets one Shopify location
        choices = [replace(choice, source=CHOSEN, location_ids=(location_id,))
                   for choice, (location_id, _) in zip(choices, LOCATIONS)]
    else:
        assert how == "default" and [c.source for c in choices] == [LINKS, NONE]
    confirm_mapping(integration, choices)
    return [WarehouseFeed(c.warehouse_id, None if c.source == LINKS else c.location_ids) for c in choices]


def push_everything(store: LinkedStore) -> None:
    """Push every link in-process (no faults expected), so TikTok holds what Shopify says."""
    mark_links_dirty(store.tenant_id, store.link_ids)
    db.session.commit()
    outcome = flush.flush_dirty(store.tiktok_integration_id, "manual", lambda: None)
    assert not outcome.failed, f"{outcome.failed} field(s) failed on the first push"


def _linked_skus(tiktok_integration_id: int) -> list[LinkedSku]:
    rows = db.session.execute(
        select(ProductLink.id, Variant.shopify_id, Variant.inventory_item_id, Product.shopify_id, TikTokSku.tiktok_id,
               TikTokProduct.tiktok_id)
        .join(Variant, Variant.id == ProductLink.variant_id)
        .join(Product, Product.id == Variant.product_id)
        .join(TikTokSku, TikTokSku.id == ProductLink.tiktok_sku_id)
        .join(TikTokProduct, TikTokProduct.id == TikTokSku.product_id)
        .where(ProductLink.tiktok_integration_id == tiktok_integration_id)
        .order_by(ProductLink.id)).all()
    return [LinkedSku(*row) for row in rows]
