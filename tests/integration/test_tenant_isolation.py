"""A second tenant probing every route with the first tenant's ids gets 404 and changes nothing."""
from __future__ import annotations

import re
import uuid
from decimal import Decimal

import pytest
from sqlalchemy import select

from shopsync.extensions import db
from shopsync.models import (ApiKey, CarrierMapping, CategoryTemplate, Integration, Listing, Order, OrderEvent,
                             OrderLine, Product, ProductLink, Shipment, SyncLog, SyncRun, Tenant, TikTokProduct,
                             TikTokSku, User, Variant, utcnow)
from tests.support.journeys import install_shop
from tests.support.tenant_routes import LIST_PAGES, NOT_TENANT_DATA, TENANT_ROUTES

PLACEHOLDER = re.compile(r"\{(\w+)\}")


def _victim(app) -> tuple[dict[str, int], str]:
    """Tenant A with one of every kind of object; returns their ids and a marker in their names."""
    marker = f"victim-{uuid.uuid4().hex[:10]}"
    with app.app_context():
        tenant = Tenant(name=marker, shop_domain=f"{marker}.myshopify.com", alert_email="a@example.com")
        db.session.add(tenant)
        db.session.flush()
        shopify = Integration(tenant_id=tenant.id, platform="shopify", external_id=tenant.shop_domain, name=marker)
        tiktok = Integration(tenant_id=tenant.id, platform="tiktok", external_id=marker, name=marker,
                             currency="USD")
        db.session.add_all([shopify, tiktok])
        db.session.flush()
        product = Product(tenant_id=tenant.id, integration_id=shopify.id, shopify_id=1, title=marker,
                          status="ACTIVE")
        db.session.add(product)
        db.session.flush()
        variant = Variant(tenant_id=tenant.id, integration_id=shopify.id, product_id=product.id, shopify_id=2,
                          title=marker, sku=marker, price=Decimal("10.00"), inventory_item_id=3)
        tt_product = TikTokProduct(tenant_id=tenant.id, integration_id=tiktok.id, tiktok_id=marker, title=marker)
        db.session.add_all([variant, tt_product])
        db.session.flush()
        sku = TikTokSku(tenant_id=tenant.id, integration_id=tiktok.id, product_id=tt_product.id, tiktok_id=marker,
                        seller_sku=marker, price=Decimal("10.00"), currency="USD", inventory={})
        db.session.add(sku)
        db.session.flush()
        link = ProductLink(tenant_id=tenant.id, variant_id=variant.id, tiktok_sku_id=sku.id,
                           shopify_integration_id=shopify.id, tiktok_integration_id=tiktok.id)
        run = SyncRun(tenant_id=tenant.id, kind="push", trigger="manual", status="failed", message=marker)
        db.session.add_all([link, run])
        db.session.flush()
        log = SyncLog(tenant_id=tenant.id, run_id=run.id, link_id=link.id, field="price", result="error",
                      error_message=marker)
        person = User(tenant_id=tenant.id, shopify_user_id=uuid.uuid4().int % 10**12, first_name=marker,
                      shopify_integration_id=shopify.id, removed_at=utcnow())
        db.session.add(person)
        db.session.flush()
        key = ApiKey(tenant_id=tenant.id, name=marker, prefix="ss_x", key_hash=uuid.uuid4().hex,
                     created_by_id=person.id)
        template = CategoryTemplate(tenant_id=tenant.id, tiktok_integration_id=tiktok.id, name=marker,
                                    match_field="any", match_value="", attribute_rules=[], package={})
        listing = Listing(tenant_id=tenant.id, product_id=product.id, tiktok_integration_id=tiktok.id, state="failed",
                          category_path=marker, chosen_attributes={}, problems=[], advice=[], audit_reasons=[])
        order = Order(tenant_id=tenant.id, tiktok_integration_id=tiktok.id, shopify_integration_id=shopify.id,
                      tiktok_order_id=marker, tiktok_status="AWAITING_SHIPMENT", state="failed", problem=marker,
                      lines=[OrderLine(tenant_id=tenant.id, tiktok_sku_id=marker, title=marker, quantity=1,
                                       link_id=link.id, tiktok_line_item_ids=[marker], cancelled_line_item_ids=[])])
        mapping = CarrierMapping(tenant_id=tenant.id, tiktok_integration_id=tiktok.id, shopify_carrier=marker,
                                 tiktok_provider_id="1", tiktok_provider_name=marker)
        db.session.add_all([log, key, template, listing, order, mapping])
        db.session.flush()
        db.session.add_all([OrderEvent(tenant_id=tenant.id, order_id=order.id, kind="received", message=marker),
                            Shipment(tenant_id=tenant.id, order_id=order.id, shopify_fulfillment_id=9,
                                     carrier=marker, tracking_number="1Z999", state="attention", problem=marker)])
        db.session.commit()
        ids = {"tenant": tenant.id, "integration": shopify.id, "tiktok_integration": tiktok.id,
               "product": product.id, "variant": variant.id, "link": link.id, "run": run.id, "log": log.id,
               "api_key": key.id, "tiktok_sku": sku.id, "user": person.id, "listing": listing.id,
               "template": template.id, "order": order.id, "carrier_mapping": mapping.id}
    return ids, marker


def _snapshot(app, tenant_id: int) -> list:
    """Every row of the victim, as plain values: any change by the attacker shows up here."""
    rows = []
    with app.app_context():
        for model in (Tenant, Integration, Product, Variant, TikTokProduct, TikTokSku, ProductLink, SyncRun,
                      SyncLog, ApiKey, User, Listing, CategoryTemplate, Order, OrderLine, OrderEvent, Shipment,
                      CarrierMapping):
            column = model.id if model is Tenant else model.tenant_id
            for row in db.session.execute(select(model).where(column == tenant_id)).scalars():
                rows.append(tuple(sorted((k, repr(v)) for k, v in vars(row).items() if not k.startswith("_"))))
    return sorted(rows)


@pytest.fixture
def attacker(client, shop_domain):
    install_shop(client, shop_domain)
    return client


def _csrf(client) -> str:
    page = client.get("/").get_data(as_text=True)
    return page.split('name="csrf_token" value="')[1].split('"')[0]


def test_every_route_with_an_id_is_listed(app):
    listed = {PLACEHOLDER.sub("x", path) for _, path in TENANT_ROUTES}
    missing = []
    for rule in app.url_map.iter_rules():
        if not rule.arguments or rule.endpoint in NOT_TENANT_DATA:
            continue
        shape = re.sub(r"<[^>]+>", "x", rule.rule)
        if shape not in listed:
            missing.append(rule.rule)
    assert not missing, f"add these routes to tests/support/tenant_routes.py: {missing}"


def test_other_tenants_ids_are_404_and_change_nothing(app, attacker):
    ids, _ = _victim(app)
    before = _snapshot(app, ids["tenant"])
    token = _csrf(attacker)
    probes = 0
    for method, template in TENANT_ROUTES:
        path = PLACEHOLDER.sub(lambda m: str(ids[m.group(1)]), template)
        kwargs = {"data": {"csrf_token": token}} if method != "GET" else {}
        if path.startswith("/api/"):
            kwargs = {"json": {}, "headers": {"X-CSRFToken": token}} if method != "GET" else {}
        answer = attacker.open(path, method=method, **kwargs)
        assert answer.status_code == 404, f"{method} {path} answered {answer.status_code}"
        probes += 1
    assert probes == len(TENANT_ROUTES)
    assert _snapshot(app, ids["tenant"]) == before
    print(f"\n{probes} probes with another tenant's ids: every one 404, 0 leaks, nothing changed")


def test_list_pages_never_show_another_tenants_data(app, attacker):
    _, marker = _victim(app)
    for path in LIST_PAGES:
        answer = attacker.get(path)
        assert answer.status_code == 200, path
        assert marker not in answer.get_data(as_text=True), path
    print(f"\n{len(LIST_PAGES)} list pages read by another tenant: 0 leaks")


def test_the_live_poll_never_sends_another_tenants_rows(app, attacker):
    ids, marker = _victim(app)
    watched = [f"orders:{ids['order']}", "new_orders:0", f"listings:{ids['listing']}", f"links:{ids['link']}",
               f"runs:{ids['run']}", f"listing_counts:{ids['tiktok_integration']}"]
    answer = attacker.get("/live", query_string=[("w", value) for value in watched])
    assert answer.status_code == 200 and marker not in answer.get_data(as_text=True)
    assert f'id="order-{ids["order"]}"' not in answer.get_data(as_text=True)
