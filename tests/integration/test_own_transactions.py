"""Token refreshes, needs-reauth marks and alerts are written in their own transactions: a caller in the
middle of its work keeps its half-done changes uncommitted (to commit or roll back itself)."""
from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select

from shopsync.extensions import db
from shopsync.models import Alert, Integration, ProductLink, Tenant, utcnow
from shopsync.notify import alerts
from shopsync.platforms.http import AuthError
from shopsync.platforms.tiktok import products
from shopsync.security.credentials import access_token
from shopsync.sync.connections.shopify_access import shopify_admin
from shopsync.sync.connections.tiktok_access import call_with_refresh
from tests.support.factories import make_world, sandbox  # noqa: F401 - fixture
from tests.support.journeys import install_shop


def _half_done_change(world) -> None:
    """Work a caller has under way: a change flushed to the database, not committed."""
    db.session.get(ProductLink, world.link_ids[0]).paused = True
    db.session.flush()


def _committed_paused(app, world) -> bool:
    with app.app_context():
        return db.session.get(ProductLink, world.link_ids[0]).paused


def test_reporting_a_failure_and_a_recovery_commits_nothing_of_the_caller(sandbox, app):
    world = make_world(sandbox)
    _half_done_change(world)
    alert = alerts.report_failure(world.tenant_id, alerts.LINK_FAILED, "link:own", "It failed", {"why": "x"}, "/")
    assert alert is not None
    assert not _committed_paused(app, world)
    assert db.session.get(ProductLink, world.link_ids[0]).paused  # still the caller's, uncommitted
    assert alerts.report_recovery(world.tenant_id, alerts.LINK_FAILED, "link:own", "It works")
    db.session.rollback()
    assert not db.session.get(ProductLink, world.link_ids[0]).paused
    assert db.session.execute(select(Alert.state).where(
        Alert.tenant_id == world.tenant_id, Alert.subject_key == "link:own")).scalar_one() == "recovered"


def test_a_token_refresh_during_a_call_commits_only_the_tokens(sandbox, app):
    world = make_world(sandbox)
    integration = db.session.get(Integration, world.tiktok_id)
    old = access_token(integration)
    sandbox.expire_tokens(old)
    _half_done_change(world)
    call_with_refresh(integration, products.warehouses)
    assert not _committed_paused(app, world)
    db.session.rollback()
    with app.app_context():
        assert access_token(db.session.get(Integration, world.tiktok_id)) not in (None, old)  # stored for good


def test_marking_a_shop_needs_reauth_commits_only_that(sandbox, app):
    world = make_world(sandbox)
    integration = db.session.get(Integration, world.tiktok_id)
    sandbox.expire_tokens(access_token(integration))
    with sandbox.lock:
        sandbox.refresh_tokens.clear()  # the seller revoked ShopSync
    _half_done_change(world)
    with pytest.raises(AuthError):
        call_with_refresh(integration, products.warehouses)
    assert integration.status == "needs_reauth"
    assert not _committed_paused(app, world)
    db.session.rollback()
    with app.app_context():
        assert db.session.get(Integration, world.tiktok_id).status == "needs_reauth"
        assert db.session.execute(select(Alert.kind).where(Alert.tenant_id == world.tenant_id)).scalars().all() == [
            "needs_reauth"]


def test_a_shopify_token_refresh_commits_only_the_tokens(client, app, shopify_sandbox, shop_domain):
    tenant_id = install_shop(client, shop_domain)
    with app.app_context():
        store = db.session.execute(select(Integration).where(Integration.tenant_id == tenant_id)).scalar_one()
        store.credential.access_token_expires_at = utcnow() + timedelta(minutes=1)
        db.session.commit()
        old = access_token(store)
        db.session.get(Tenant, tenant_id).name = "half-done"
        db.session.flush()
        shopify_admin(store)  # refreshes first: the token is about to expire
        with app.app_context():
            assert db.session.get(Tenant, tenant_id).name != "half-done"
            assert access_token(db.session.get(Integration, store.id)) not in (None, old)
        db.session.rollback()
