"""Rows for sync-engine tests, built straight in the database: a tenant with both integrations,
a Shopify catalog, TikTok listings that also exist in the TikTok sandbox, and links.

Each call makes its own tenant and its own sandbox listings, so tests never share state.
"""
from __future__ import annotations

import itertools
import uuid
from dataclasses import dataclass, field
from datetime import datetime, timezone
from decimal import Decimal

import pytest

from shopsync.extensions import db
from shopsync.models import (Integration, InventoryLevel, Location, Product, ProductLink, Tenant, TikTokProduct,
                             TikTokSku, TikTokWarehouse, Variant)
from shopsync.security.credentials import store_tokens

_numbers = itertools.count(int(uuid.uuid4().int % 10**9) * 1000)
LOCATION_IDS = (71001, 71002)


def _next() -> int:
    return next(_numbers)


@dataclass
class World:
    tenant_id: int
    shopify_id: int
    tiktok_id: int
    sandbox_shop_id: str
    warehouse_ids: list[str]
    tiktok_product_id: str = ""
    sku_ids: list[str] = field(default_factory=list)  # TikTok ids, in order
    sku_rows: list[int] = field(default_factory=list)
    variant_ids: list[int] = field(default_factory=list)
    link_ids: list[int] = field(default_factory=list)
    inventory_item_ids: list[int] = field(default_factory=list)


def make_world(tiktok_sandbox, *, skus: int = 1, price: str = "10.00", stock: dict[int, int] | None = None,
               link: bool = True, shop_index: int = 0, defaults: dict | None = None, **link_settings) -> World:
    """A tenant whose Shopify product has `skus` variants listed as one TikTok product with `skus` SKUs.

    `stock` is available per Shopify location for each variant (default: 3 and 4).
    The TikTok listing is created in the sandbox, so pushes really land there.
    """
    stock = {LOCATION_IDS[0]: 3, LOCATION_IDS[1]: 4} if stock is None else stock
    shop = tiktok_sandbox.shops[shop_index]
    domain = f"sync-{uuid.uuid4().hex[:12]}.myshopify.com"
    tenant = Tenant(name=domain, shop_domain=domain, alert_email=f"owner@{domain}")
    db.session.add(tenant)
    db.session.flush()
    shopify = Integration(tenant_id=tenant.id, platform="shopify", external_id=domain, name=domain)
    tiktok = Integration(tenant_id=tenant.id, platform="tiktok", external_id=f"{shop.id}-{uuid.uuid4().hex[:8]}",
                         name=shop.name, region=shop.region, currency=shop.currency, shop_cipher=shop.cipher,
                         defaults=defaults or {})
    tokens = tiktok_sandbox.issue_tokens(tiktok_sandbox.seller.open_id)
    store_tokens(tiktok, access=tokens["access_token"],
                 access_expires_at=datetime.fromtimestamp(tokens["access_token_expire_in"], timezone.utc),
                 refresh=tokens["refresh_token"],
                 refresh_expires_at=datetime.fromtimestamp(tokens["refresh_token_expire_in"], timezone.utc))
    db.session.add_all([shopify, tiktok])
    db.session.flush()
    for location_id in LOCATION_IDS:
        db.session.add(Location(tenant_id=tenant.id, integration_id=shopify.id, shopify_id=location_id,
                                name=f"Location {location_id}", is_active=True))
    for warehouse in shop.warehouses:
        db.session.add(TikTokWarehouse(tenant_id=tenant.id, integration_id=tiktok.id, tiktok_id=warehouse.id,
                                       name=warehouse.name, type=warehouse.type, is_default=warehouse.is_default,
                                       enabled=warehouse.effect_status == "ENABLED"))
    world = World(tenant.id, shopify.id, tiktok.id, shop.id, list(shop.sales_warehouse_ids))
    add_listing(world, tiktok_sandbox, skus=skus, price=price, stock=stock, link=link, **link_settings)
    db.session.commit()
    return world


def add_listing(world: World, tiktok_sandbox, *, skus: int, price: str, stock: dict[int, int], link: bool = True,
                **link_settings) -> list[int]:
    """One more Shopify product and TikTok product with `skus` variants/SKUs; returns the new link ids."""
    with tiktok_sandbox.lock:
        shop = tiktok_sandbox.shop(world.sandbox_shop_id)
        before = set(shop.products)
        tiktok_sandbox.generate_catalog(shop.id, skus, skus_per_product=skus, seed=_next() % 100_000)
        remote = next(shop.products[pid] for pid in shop.products if pid not in before)
        remote_skus = list(remote.skus)
        for remote_sku in remote_skus:  # listed from this Shopify product, at its price
            remote_sku.price = Decimal(price)
    product = Product(tenant_id=world.tenant_id, integration_id=world.shopify_id, shopify_id=_next(),
                      title=remote.title, status="ACTIVE")
    tiktok_product = TikTokProduct(tenant_id=world.tenant_id, integration_id=world.tiktok_id, tiktok_id=remote.id,
                                   title=remote.title, status="ACTIVATE")
    db.session.add_all([product, tiktok_product])
    db.session.flush()
    new_links = []
    world.tiktok_product_id = world.tiktok_product_id or remote.id
    for position, remote_sku in enumerate(remote_skus, start=1):
        item_id = _next()
        variant = Variant(tenant_id=world.tenant_id, integration_id=world.shopify_id, product_id=product.id,
                          shopify_id=_next(), title=f"Option {position}", sku=remote_sku.seller_sku,
                          price=Decimal(price), inventory_item_id=item_id, position=position,
                          inventory_quantity=sum(stock.values()))
        sku = TikTokSku(tenant_id=world.tenant_id, integration_id=world.tiktok_id, product_id=tiktok_product.id,
                        tiktok_id=remote_sku.id, seller_sku=remote_sku.seller_sku, price=remote_sku.price,
                        currency=tiktok_sandbox.shop(world.sandbox_shop_id).currency,
                        inventory=dict(remote_sku.inventory))
        db.session.add_all([variant, sku])
        db.session.flush()
        for location_id, available in stock.items():
            db.session.add(InventoryLevel(tenant_id=world.tenant_id, integration_id=world.shopify_id,
                                          inventory_item_id=item_id, location_id=location_id, available=available))
        world.variant_ids.append(variant.id)
        world.sku_ids.append(remote_sku.id)
        world.sku_rows.append(sku.id)
        world.inventory_item_ids.append(item_id)
        if link:
            row = ProductLink(tenant_id=world.tenant_id, variant_id=variant.id, tiktok_sku_id=sku.id,
                              shopify_integration_id=world.shopify_id, tiktok_integration_id=world.tiktok_id,
                              **link_settings)
            db.session.add(row)
            db.session.flush()
            world.link_ids.append(row.id)
            new_links.append(row.id)
    db.session.commit()
    return new_links


def set_stock(world: World, index: int, location_id: int, available: int) -> None:
    """Change one variant's Shopify stock in the database (as an import or webhook would)."""
    db.session.query(InventoryLevel).filter_by(
        integration_id=world.shopify_id, inventory_item_id=world.inventory_item_ids[index],
        location_id=location_id).update({"available": available})


def set_price(world: World, index: int, price: str) -> None:
    db.session.query(Variant).filter_by(id=world.variant_ids[index]).update({"price": Decimal(price)})


@pytest.fixture
def sandbox(app_context, tiktok_sandbox):
    """The TikTok sandbox with no faults left over, inside an app context."""
    tiktok_sandbox.clear_faults()
    yield tiktok_sandbox
    tiktok_sandbox.clear_faults()


def no_lock() -> None:
    """keep_alive for pushes run in-process without the shop lock."""
