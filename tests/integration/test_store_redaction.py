"""Uninstall and shop/redact act on one store of an account, never on the account's other stores
(review finding 1), and webhooks whose body names a shop act only on that shop (finding 3)."""
from __future__ import annotations

import json

import pytest
from sqlalchemy import func, select

from shopsync.extensions import db
from shopsync.models import ApiKey, Integration, Product, Tenant, User, Variant, WebhookEvent
from shopsync.models.integration import ACTIVE, DISCONNECTED
from shopsync.security import api_keys
from shopsync.sync.connections.webhook_subscriptions import webhook_address
from tests.support.shopify_import import deliver_webhooks, install_store, post_webhook, shopify_integration

pytestmark = pytest.mark.usefixtures("app_context")


def _count(model, *where) -> int:
    db.session.expire_all()
    return db.session.execute(select(func.count()).select_from(model).where(*where)).scalar()


@pytest.fixture
def two_stores(client, app, shop_domain):
    """Store F installed, then store F2 connected to the same account by F's logged-in owner."""
    first = install_store(client, app, shop_domain)
    second = install_store(client, app, "second-" + shop_domain)
    assert second.tenant_id == first.tenant_id
    return first, second


def test_shop_redact_of_one_store_erases_that_store_only(client, app, shopify_sandbox, two_stores):
    first, second = two_stores
    tenant_id, second_id, second_shop = first.tenant_id, second.id, second.external_id
    owner = db.session.execute(select(User).where(User.shopify_integration_id == first.id)).scalar_one()
    key_id = api_keys.create_key(tenant_id, "reporting", created_by_id=owner.id)[0].id
    second_owner = db.session.execute(select(User).where(User.shopify_integration_id == second_id)).scalar_one()
    second_key_id = api_keys.create_key(tenant_id, "second store's tool", created_by_id=second_owner.id)[0].id
    first_products = _count(Product, Product.integration_id == first.id)
    assert first_products and _count(Product, Product.integration_id == second_id)

    shopify_sandbox.uninstall(second_shop)
    deliver_webhooks(app, shopify_sandbox)
    db.session.expire_all()
    assert shopify_integration(second_shop).status == DISCONNECTED
    assert db.session.get(Integration, first.id).status == ACTIVE
    assert db.session.get(Tenant, tenant_id).uninstalled_at is None  # F is still installed

    shopify_sandbox.send_compliance(second_shop, "shop/redact", webhook_address())
    deliver_webhooks(app, shopify_sandbox)
    db.session.expire_all()
    assert db.session.get(Tenant, tenant_id) is not None
    assert db.session.get(Integration, second_id) is None
    assert _count(Variant, Variant.integration_id == second_id) == 0
    assert _count(User, User.shopify_integration_id == second_id) == 0
    assert _count(Product, Product.integration_id == first.id) == first_products
    assert db.session.get(Integration, first.id).status == ACTIVE
    assert db.session.get(ApiKey, key_id) is not None
    assert db.session.get(ApiKey, second_key_id) is None
    [redact] = db.session.execute(select(WebhookEvent).where(WebhookEvent.shop == second_shop,
                                                             WebhookEvent.topic == "shop/redact")).scalars()
    assert (redact.outcome, redact.tenant_id) == ("store_erased", tenant_id)

    # The last store uninstalled and redacted: now the account goes, with everything it owns.
    shopify_sandbox.uninstall(first.external_id)
    deliver_webhooks(app, shopify_sandbox)
    db.session.expire_all()
    assert db.session.get(Tenant, tenant_id).uninstalled_at is not None
    shopify_sandbox.send_compliance(first.external_id, "shop/redact", webhook_address())
    deliver_webhooks(app, shopify_sandbox)
    db.session.expire_all()
    assert db.session.get(Tenant, tenant_id) is None
    assert _count(ApiKey, ApiKey.tenant_id == tenant_id) == 0


def test_redacting_the_store_an_account_is_named_after_frees_its_address(client, app, shopify_sandbox,
                                                                         two_stores):
    first, second = two_stores
    shopify_sandbox.uninstall(first.external_id)
    shopify_sandbox.send_compliance(first.external_id, "shop/redact", webhook_address())
    deliver_webhooks(app, shopify_sandbox)
    db.session.expire_all()
    tenant = db.session.get(Tenant, second.tenant_id)
    assert tenant.shop_domain == second.external_id


def test_shop_redact_for_a_store_installed_again_keeps_it(client, app, shopify_sandbox, two_stores):
    first, second = two_stores
    shopify_sandbox.send_compliance(second.external_id, "shop/redact", webhook_address())
    deliver_webhooks(app, shopify_sandbox)
    db.session.expire_all()
    assert db.session.get(Integration, second.id).status == ACTIVE
    assert db.session.execute(select(WebhookEvent.outcome).where(
        WebhookEvent.shop == second.external_id, WebhookEvent.topic == "shop/redact")).scalar_one() == "installed_again"


@pytest.mark.parametrize("topic,field", [("shop/redact", "shop_domain"), ("customers/redact", "shop_domain"),
                                         ("customers/data_request", "shop_domain"),
                                         ("app/uninstalled", "myshopify_domain")])
def test_a_signed_body_of_another_shop_is_refused_and_recorded(client, app, two_stores, topic, field):
    victim, other = two_stores
    answer = post_webhook(client, app, victim.external_id, topic, {field: other.external_id, "shop_id": 1})
    assert answer.status_code == 400
    db.session.expire_all()
    assert db.session.get(Integration, victim.id).status == ACTIVE
    [event] = db.session.execute(select(WebhookEvent).where(WebhookEvent.shop == victim.external_id,
                                                            WebhookEvent.topic == topic)).scalars()
    assert event.outcome == "refused: body names another shop" and event.processed_at is not None
    assert event.payload is None


def test_a_body_naming_no_shop_is_refused(client, app, two_stores):
    victim, _ = two_stores
    body = json.dumps({"shop_id": 1}).encode()
    answer = post_webhook(client, app, victim.external_id, "shop/redact", {}, body=body)
    assert answer.status_code == 400
    assert db.session.get(Integration, victim.id).status == ACTIVE
