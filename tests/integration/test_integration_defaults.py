"""A TikTok shop's default link settings: the page, validation, saving, and the push that follows."""
from __future__ import annotations

import re
from decimal import Decimal

import pytest
from rq.job import Job
from sqlalchemy import select

from shopsync.extensions import db
from shopsync.jobs.pushes import flush_job_id
from shopsync.models import Integration, ProductLink, Tenant
from shopsync.sync.pushes.rules import LinkSettings
from tests.support.api import seed_catalog
from tests.support.journeys import install_shop


@pytest.fixture
def merchant(client, shop_domain, app):
    tenant_id = install_shop(client, shop_domain)
    return client, seed_catalog(app, tenant_id, products=2, variants=2)


def _csrf(client) -> str:
    page = client.get("/integrations").get_data(as_text=True)
    return re.search(r'name="csrf_token" value="([^"]+)"', page).group(1)


def _shop_and_links(app, tiktok_id: int) -> tuple[Integration, list[ProductLink]]:
    with app.app_context():
        shop = db.session.get(Integration, tiktok_id)
        links = db.session.execute(select(ProductLink).where(ProductLink.tiktok_integration_id == tiktok_id)
                                   .order_by(ProductLink.id)).scalars().all()
        db.session.expunge_all()
        return shop, links


def test_page_is_reached_from_integrations_and_shows_the_built_in_defaults(merchant):
    client, seeded = merchant
    listing = client.get("/integrations").get_data(as_text=True)
    assert f'href="/integrations/{seeded["tiktok"]}/defaults"' in listing

    page = client.get(f"/integrations/{seeded['tiktok']}/defaults")
    html = page.get_data(as_text=True)
    assert page.status_code == 200
    assert f"Defaults for TikTok {seeded['marker']}" in html and "Save defaults" in html
    assert "Built-in default (yes)" in html and "Built-in default (6h)" in html
    assert re.search(r'id="defaults-price_multiplier"[^>]*placeholder="1"', html)
    assert re.search(r'id="defaults-inventory_cap"[^>]*placeholder="no cap"', html)


def test_other_tenants_and_shopify_integrations_are_404(app, merchant):
    client, seeded = merchant
    with app.app_context():
        other = Tenant(name="other", shop_domain=f"other-{seeded['marker']}.myshopify.com")
        db.session.add(other)
        db.session.flush()
        theirs = Integration(tenant_id=other.id, platform="tiktok", external_id=f"other-{seeded['marker']}",
                             name="theirs", defaults={})
        db.session.add(theirs)
        db.session.commit()
        theirs_id = theirs.id
    token = _csrf(client)
    for integration_id in (theirs_id, seeded["shopify"]):
        assert client.get(f"/integrations/{integration_id}/defaults").status_code == 404
        posted = client.post(f"/integrations/{integration_id}/defaults",
                             data={"csrf_token": token, "price_multiplier": "2"})
        assert posted.status_code == 404
    shop, _ = _shop_and_links(app, theirs_id)
    assert shop.defaults == {}


def test_invalid_input_comes_back_with_field_errors_and_saves_nothing(app, merchant):
    client, seeded = merchant
    refused = client.post(f"/integrations/{seeded['tiktok']}/defaults", data={
        "csrf_token": _csrf(client), "price_multiplier": "-2", "inventory_buffer": "lots", "price_offset": "1.25"})
    html = refused.get_data(as_text=True)
    assert refused.status_code == 422
    assert "Nothing was saved: fix the fields marked below." in html
    assert re.search(r'id="defaults-price_multiplier-error"[^>]*>must be more than 0', html)
    assert re.search(r'id="defaults-inventory_buffer-error"[^>]*>must be a whole number of units', html)
    assert re.search(r'id="defaults-price_offset"[^>]*value="1.25"', html)
    shop, links = _shop_and_links(app, seeded["tiktok"])
    assert shop.defaults == {}
    assert not any(link.dirty for link in links)


def test_saved_defaults_reach_inheriting_links_and_request_one_flush(app, merchant):
    client, seeded = merchant
    own, inheriting = seeded["links"][:2]
    with app.app_context():
        db.session.get(ProductLink, own).price_multiplier = Decimal("3")
        db.session.commit()

    saved = client.post(f"/integrations/{seeded['tiktok']}/defaults", follow_redirects=True, data={
        "csrf_token": _csrf(client), "price_multiplier": "2", "price_rounding": "99", "sync_inventory": "no",
        "inventory_cap": "", "schedule": "daily"})
    html = saved.get_data(as_text=True)
    assert saved.status_code == 200 and "saved; links that use them are pushed with the new rules" in html
    assert re.search(r'id="defaults-price_multiplier"[^>]*value="2"', html)

    shop, links = _shop_and_links(app, seeded["tiktok"])
    assert shop.defaults == {"price_multiplier": "2", "price_rounding": "99", "sync_inventory": False,
                             "schedule": "daily"}
    assert all(link.dirty and link.change_seq >= 1 for link in links)
    by_id = {link.id: LinkSettings.effective(link, shop.defaults) for link in links}
    assert by_id[own].price_multiplier == Decimal("3") and by_id[own].price_rounding == "99"
    assert by_id[inheriting].price_multiplier == Decimal("2") and not by_id[inheriting].sync_inventory
    assert by_id[inheriting].schedule == "daily" and by_id[inheriting].inventory_cap is None

    flush = Job.fetch(flush_job_id(seeded["tiktok"]), connection=app.extensions["shopsync.redis"])
    assert flush.args == (seeded["tiktok"], "manual")
    flush.delete()


def test_missing_csrf_token_is_refused(app, merchant):
    client, seeded = merchant
    refused = client.post(f"/integrations/{seeded['tiktok']}/defaults", data={"price_multiplier": "2"})
    assert refused.status_code == 400
    shop, _ = _shop_and_links(app, seeded["tiktok"])
    assert shop.defaults == {}
