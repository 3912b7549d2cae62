"""The pages of issue #14: a TikTok shop's warehouse mapping, and a link's warehouses, held price, orphaned
state and dry run of unsaved settings, in the merchant's browser session (CSRF, tenant-scoped, HTMX)."""
from __future__ import annotations

import re
from decimal import Decimal

import pytest
from sqlalchemy import select

from shopsync.extensions import db
from shopsync.models import (Integration, Location, ProductLink, TikTokSku, TikTokWarehouse, Variant,
                             WarehouseMapping)
from shopsync.sync.links.orphans import orphan_variant_links
from tests.support.api import seed_catalog
from tests.support.journeys import install_shop

HX = {"HX-Request": "true"}


@pytest.fixture
def merchant(client, shop_domain, app):
    tenant_id = install_shop(client, shop_domain)
    seeded = seed_catalog(app, tenant_id, products=2, variants=2)
    with app.app_context():
        link = db.session.get(ProductLink, seeded["links"][0])
        tiktok = db.session.get(Integration, link.tiktok_integration_id)
        tiktok.status = "active"  # plans need an active shop; nothing here runs the queued pushes
        shopify_id = link.shopify_integration_id
        db.session.add_all([
            TikTokWarehouse(tenant_id=tenant_id, integration_id=tiktok.id, tiktok_id="w-main", name="Main warehouse",
                            type="SALES_WAREHOUSE", sub_type="DOMESTIC_WAREHOUSE", is_default=True, enabled=True),
            TikTokWarehouse(tenant_id=tenant_id, integration_id=tiktok.id, tiktok_id="w-east", name="East warehouse",
                            type="SALES_WAREHOUSE", sub_type="DOMESTIC_WAREHOUSE", is_default=False, enabled=True),
            TikTokWarehouse(tenant_id=tenant_id, integration_id=tiktok.id, tiktok_id="w-fbt", name="TikTok FBT",
                            type="SALES_WAREHOUSE", sub_type="FBT_WAREHOUSE", is_default=False, enabled=True),
            Location(tenant_id=tenant_id, integration_id=shopify_id, shopify_id=501, name="Brooklyn shop"),
            Location(tenant_id=tenant_id, integration_id=shopify_id, shopify_id=502, name="Queens depot")])
        db.session.get(TikTokSku, link.tiktok_sku_id).inventory = {"w-main": 3, "w-east": 4, "w-fbt": 5}
        db.session.commit()
        tiktok_id = tiktok.id
    return client, tenant_id, seeded, tiktok_id


def _csrf(client, path="/product-links") -> str:
    return re.search(r'name="csrf_token" value="([^"]+)"', client.get(path).get_data(as_text=True)).group(1)


def test_the_warehouse_page_says_what_each_warehouse_gets_and_confirming_applies_it(app, merchant):
    client, _, _, tiktok_id = merchant
    assert "has more than one warehouse" in client.get("/product-links").get_data(as_text=True)  # the banner
    page = client.get(f"/integrations/{tiktok_id}/warehouses").get_data(as_text=True)
    assert "Main warehouse" in page and "East warehouse" in page and "TikTok FBT</legend>" not in page
    assert 'type="checkbox" name="locations-w-east"' in page and "multiple" not in page
    assert "0: ShopSync sets its stock to 0" in page  # the default mapping, said before it takes effect

    token = _csrf(client, f"/integrations/{tiktok_id}/warehouses")
    form = {"csrf_token": token, "source-w-main": "links", "source-w-east": "locations", "locations-w-east": "502"}
    preview = client.post(f"/integrations/{tiktok_id}/warehouses", headers=HX, data={**form, "action": "preview"})
    assert "the stock at Queens depot" in preview.get_data(as_text=True)
    with app.app_context():
        assert db.session.get(Integration, tiktok_id).warehouses_confirmed_at is None  # a preview changes nothing

    refused = client.post(f"/integrations/{tiktok_id}/warehouses", data={**form, "locations-w-east": "999"})
    assert refused.status_code == 422 and "not in your Shopify store" in refused.get_data(as_text=True)
    no_token = {k: v for k, v in form.items() if k != "csrf_token"}
    assert client.post(f"/integrations/{tiktok_id}/warehouses", data=no_token).status_code == 400
    assert client.post(f"/integrations/{tiktok_id}/warehouses", data={**form, "action": "confirm"}).status_code == 302
    with app.app_context():
        assert db.session.get(Integration, tiktok_id).warehouses_confirmed_at is not None
        mapping = dict(db.session.execute(select(WarehouseMapping.warehouse_id, WarehouseMapping.location_ids).where(
            WarehouseMapping.integration_id == tiktok_id)).all())
    assert mapping == {"w-main": None, "w-east": [502]}
    assert "has more than one warehouse" not in client.get("/product-links").get_data(as_text=True)


def test_the_link_page_shows_stock_per_warehouse_and_the_untracked_rule(app, merchant):
    client, _, seeded, _ = merchant
    link_id = seeded["links"][0]
    with app.app_context():
        link = db.session.get(ProductLink, link_id)
        db.session.get(Variant, link.variant_id).inventory_tracked = False
        db.session.commit()
    page = client.get(f"/product-links/{link_id}").get_data(as_text=True)
    rows = re.findall(r'<tr data-warehouse="([^"]+)"><td>([^<]+)', page)
    assert [(w, name.strip()) for w, name in rows] == [
        ("w-east", "East warehouse"), ("w-fbt", "TikTok FBT"), ("w-main", "Main warehouse")]
    assert "run by TikTok: never written" in page
    assert "TikTok gets a fixed 100 in the default warehouse" in page


def test_the_dry_run_uses_the_forms_unsaved_values(app, merchant):
    client, _, seeded, _ = merchant
    link_id = seeded["links"][0]
    token = _csrf(client, f"/product-links/{link_id}")
    answer = client.post(f"/product-links/{link_id}/dry-run", headers=HX, data={
        "csrf_token": token, "price_offset": "-100", "price_rounding": "99", "sync_price": "", "schedule": ""})
    text = answer.get_data(as_text=True)
    assert "not saved yet" in text and "would wait for your confirmation" in text and "→ 0.99 USD" in text
    with app.app_context():
        assert db.session.get(ProductLink, link_id).price_offset is None  # nothing saved
    bad = client.post(f"/product-links/{link_id}/dry-run", headers=HX, data={"csrf_token": token,
                                                                              "price_offset": "lots"})
    assert "cannot be used" in bad.get_data(as_text=True)


def test_a_held_price_is_shown_with_before_and_after_and_confirmed_from_the_page(app, merchant):
    client, _, seeded, _ = merchant
    link_id = seeded["links"][0]
    with app.app_context():
        db.session.get(ProductLink, link_id).state = "needs_confirmation"
        link = db.session.get(ProductLink, link_id)
        link.held_price_before, link.held_price = Decimal("14.00"), Decimal("0.99")
        db.session.commit()
    listing = client.get("/product-links?state=needs_confirmation").get_data(as_text=True)
    assert f"/product-links/{link_id}" in listing and "14.00 USD → 0.99 USD" in listing  # codes beside prices
    page = client.get(f"/product-links/{link_id}").get_data(as_text=True)
    assert "14.00 USD → <strong>0.99 USD</strong>" in page and "Confirm and push 0.99 USD" in page
    token = _csrf(client, f"/product-links/{link_id}")
    assert client.post(f"/product-links/{link_id}/confirm-price", data={"csrf_token": token}).status_code == 302
    with app.app_context():
        link = db.session.get(ProductLink, link_id)
        assert link.confirmed_price == Decimal("0.99") and link.dirty


def test_an_orphaned_link_shows_why_and_is_relinked_from_its_page(app, merchant):
    client, tenant_id, seeded, _ = merchant
    link_id = seeded["links"][0]
    with app.app_context():
        link = db.session.get(ProductLink, link_id)
        orphan_variant_links(db.session.connection(), [link.variant_id], "was deleted in Shopify")
        db.session.execute(db.delete(Variant).where(Variant.id == link.variant_id))
        db.session.commit()
        spare = db.session.execute(select(Variant.id).where(Variant.tenant_id == tenant_id).outerjoin(
            ProductLink, ProductLink.variant_id == Variant.id).where(ProductLink.id.is_(None)).limit(1)).scalar()
    listing = client.get("/product-links?state=orphaned").get_data(as_text=True)
    assert "Shopify variant deleted" in listing and "Orphaned" in listing
    page = client.get(f"/product-links/{link_id}").get_data(as_text=True)
    assert "was deleted in Shopify" in page and "Relink" in page and "Remove this link" in page
    token = _csrf(client, f"/product-links/{link_id}")
    assert client.post(f"/product-links/{link_id}/relink", data={"csrf_token": token,
                                                                 "variant_id": str(spare)}).status_code == 302
    with app.app_context():
        link = db.session.get(ProductLink, link_id)
        assert (link.state, link.variant_id, link.orphaned_reason) == ("pending", spare, None)
