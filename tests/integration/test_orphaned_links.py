"""Links are never lost silently: a deleted variant, product or SKU orphans its links (issue #14, item 7)."""
from __future__ import annotations

from decimal import Decimal

import pytest
from sqlalchemy import select

from shopsync.extensions import db
from shopsync.models import Alert, Integration, ProductLink, TikTokProduct, TikTokSku, Variant
from shopsync.platforms.http import PlatformError
from shopsync.sync.catalog.shopify_import import FULL, create_import_run, run_import
from shopsync.sync.catalog.tiktok_import import import_catalog
from shopsync.sync.links import actions
from tests.support.factories import make_world, sandbox  # noqa: F401
from tests.support.journeys import connect_tiktok, install_shop
from tests.support.shopify_import import install_store


def _link_to(store: Integration, variant_shopify_id: int, **settings) -> int:
    """A TikTok shop with one SKU linked to one of the store's variants."""
    tiktok = Integration(tenant_id=store.tenant_id, platform="tiktok", external_id="tt-" + store.external_id,
                         name="TikTok shop", status="disconnected")
    db.session.add(tiktok)
    db.session.flush()
    product = TikTokProduct(tenant_id=store.tenant_id, integration_id=tiktok.id, tiktok_id="p1", title="Tee")
    db.session.add(product)
    db.session.flush()
    sku = TikTokSku(tenant_id=store.tenant_id, integration_id=tiktok.id, product_id=product.id, tiktok_id="s1",
                    seller_sku="TEE-1")
    db.session.add(sku)
    db.session.flush()
    variant_id = db.session.execute(select(Variant.id).where(Variant.integration_id == store.id,
                                                             Variant.shopify_id == variant_shopify_id)).scalar_one()
    link = ProductLink(tenant_id=store.tenant_id, variant_id=variant_id, tiktok_sku_id=sku.id, state="ok", dirty=False,
                       shopify_integration_id=store.id, tiktok_integration_id=tiktok.id, **settings)
    db.session.add(link)
    db.session.commit()
    return link.id


def _import(integration):
    run = create_import_run(integration, "manual")
    try:
        run_import(run, FULL)
    except PlatformError:
        pass
    db.session.refresh(run)
    return run


@pytest.mark.usefixtures("app_context")
def test_a_short_export_removes_nothing_and_a_complete_one_orphans_the_link(client, app, shopify_sandbox,
                                                                           shop_domain):
    store = install_store(client, app, shop_domain)
    victim = next(iter(shopify_sandbox.shop(shop_domain).products.values()))
    link_id = _link_to(store, victim.variants[0].id, price_multiplier=Decimal("1.5"))
    shopify_sandbox.set_webhook_delivery(paused=True)  # only the import may notice
    try:
        shopify_sandbox.delete_product(shop_domain, victim.id)
        shopify_sandbox.shorten_exports(shop_domain, 3)  # the export completes, but without 3 products
        run = _import(store)
        assert run.status == "succeeded" and "nothing was removed" in run.message
        db.session.expire_all()
        link = db.session.get(ProductLink, link_id)
        assert link.state == "ok" and link.variant_id is not None  # nothing swept on a short export

        shopify_sandbox.shorten_exports(shop_domain, 0)
        run = _import(store)
        assert run.status == "succeeded" and "removed 1 deleted products" in run.message
    finally:
        shopify_sandbox.shorten_exports(shop_domain, 0)
        shopify_sandbox.release_webhooks()
    db.session.expire_all()
    link = db.session.get(ProductLink, link_id)
    assert link.state == "orphaned" and link.variant_id is None
    assert "is no longer in Shopify's catalog" in link.orphaned_reason
    assert link.price_multiplier == Decimal("1.5")  # its rules are kept for a relink
    assert db.session.execute(select(Alert.kind).where(Alert.tenant_id == store.tenant_id)).scalars().all() == [
        "link_orphaned"]


def test_a_product_gone_from_tiktok_orphans_its_links(sandbox):
    world = make_world(sandbox, skus=2)
    with sandbox.lock:
        del sandbox.shop(world.sandbox_shop_id).products[world.tiktok_product_id]
    run = import_catalog(world.tiktok_id)
    assert run.status == "succeeded", run.message
    db.session.expire_all()
    links = [db.session.get(ProductLink, link_id) for link_id in world.link_ids]
    assert {(link.state, link.tiktok_sku_id) for link in links} == {("orphaned", None)}
    assert all("is no longer in TikTok Shop" in link.orphaned_reason for link in links)
    assert all(link.variant_id is not None for link in links)


def test_an_orphaned_link_is_relinked_with_its_rules_and_history(sandbox):
    world = make_world(sandbox, skus=2, price_offset=Decimal("2"))
    spare = world.variant_ids[1]
    db.session.execute(db.delete(ProductLink).where(ProductLink.id == world.link_ids[1]))
    from shopsync.sync.links.orphans import orphan_variant_links
    orphan_variant_links(db.session.connection(), [world.variant_ids[0]], "was deleted in Shopify")
    db.session.execute(db.delete(Variant).where(Variant.id == world.variant_ids[0]))
    db.session.commit()
    with pytest.raises(actions.LinkError):
        actions.relink(world.tenant_id, world.link_ids[0])  # which variant, then?
    actions.relink(world.tenant_id, world.link_ids[0], variant_id=spare)
    db.session.expire_all()
    link = db.session.get(ProductLink, world.link_ids[0])
    assert (link.state, link.variant_id, link.price_offset, link.dirty) == ("pending", spare, Decimal("2"), True)
    assert link.orphaned_reason is None


def test_a_shop_disconnected_by_one_account_can_be_connected_by_another(client, app, tiktok_sandbox, shop_domain):
    owner_tenant = install_shop(client, shop_domain)
    first, _ = connect_tiktok(client, tiktok_sandbox)
    with app.app_context():
        owner = db.session.get(Integration, first)
        shopify = db.session.execute(select(Integration).where(Integration.tenant_id == owner_tenant,
                                                               Integration.platform == "shopify")).scalar_one()
        product = TikTokProduct(tenant_id=owner_tenant, integration_id=owner.id, tiktok_id="p-owner", title="Mug")
        db.session.add(product)
        db.session.flush()
        sku = TikTokSku(tenant_id=owner_tenant, integration_id=owner.id, product_id=product.id, tiktok_id="s-owner")
        variant = db.session.execute(select(Variant).where(Variant.integration_id == shopify.id).limit(1)).scalar()
        if variant is None:  # the install's import may not have run: a variant of its own
            from shopsync.models import Product
            shop_product = Product(tenant_id=owner_tenant, integration_id=shopify.id, shopify_id=1, title="Mug",
                                   status="active")
            db.session.add(shop_product)
            db.session.flush()
            variant = Variant(tenant_id=owner_tenant, integration_id=shopify.id, product_id=shop_product.id,
                              shopify_id=2, price=Decimal("9"))
            db.session.add(variant)
        db.session.add(sku)
        db.session.flush()
        link = ProductLink(tenant_id=owner_tenant, variant_id=variant.id, tiktok_sku_id=sku.id, state="ok",
                           shopify_integration_id=shopify.id, tiktok_integration_id=owner.id)
        db.session.add(link)
        db.session.commit()
        link_id = link.id
    token = client.get("/integrations").get_data(as_text=True).split('name="csrf_token" value="')[1].split('"')[0]
    assert client.post(f"/integrations/{first}/disconnect", data={"csrf_token": token}).status_code == 302

    other = app.test_client()
    other_tenant = install_shop(other, "other-" + shop_domain)
    taken = connect_tiktok(other, tiktok_sandbox, new_shops=False)
    assert len(taken) == 1  # the shop let go; the owner's other shop, still connected, stays refused
    with app.app_context():
        moved = db.session.get(Integration, taken[0])
        assert moved.tenant_id == other_tenant and moved.id != first and moved.status == "active"
        kept = db.session.get(Integration, first)
        assert kept.tenant_id == owner_tenant and kept.is_released and kept.status == "disconnected"
        link = db.session.get(ProductLink, link_id)
        assert link.state == "orphaned" and link.tiktok_integration_id == first  # orphaned, not moved
        assert "now connected to another ShopSync account" in link.orphaned_reason
