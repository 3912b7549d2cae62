"""Settings page: alert email and digest interval with validation, API keys created (shown once), listed, revoked."""
from __future__ import annotations

import hashlib
import re

import pytest
from sqlalchemy import select

from shopsync.extensions import db
from shopsync.models import ApiKey, Tenant
from tests.support.api import bearer
from tests.support.journeys import install_shop


@pytest.fixture
def tenant(client, shop_domain):
    return install_shop(client, shop_domain)


def _csrf(client) -> str:
    page = client.get("/settings").get_data(as_text=True)
    return page.split('name="csrf_token" value="')[1].split('"')[0]


def _shown_key(page: str) -> str | None:
    match = re.search(r'value="(ss_[^"]+)"', page)
    return match.group(1) if match else None


def test_page_is_in_the_navigation(client, tenant):
    page = client.get("/settings")
    assert page.status_code == 200
    assert 'href="/settings"' in client.get("/").get_data(as_text=True)


def test_alert_settings_are_validated_and_saved(app, client, tenant):
    token = _csrf(client)
    refused = client.post("/settings", data={"csrf_token": token, "alert_email": "not an email",
                                             "digest_minutes": "2"})
    assert refused.status_code == 422
    text = refused.get_data(as_text=True)
    assert "Enter an email address" in text and "from 5 to 10080" in text
    assert 'value="not an email"' in text  # what was typed comes back
    saved = client.post("/settings", data={"csrf_token": token, "alert_email": "ops@example.com",
                                           "digest_minutes": "30"})
    assert saved.status_code == 302
    with app.app_context():
        row = db.session.get(Tenant, tenant)
        assert (row.alert_email, row.digest_minutes) == ("ops@example.com", 30)
    cleared = client.post("/settings", data={"csrf_token": token, "alert_email": "", "digest_minutes": "60"})
    assert cleared.status_code == 302
    with app.app_context():
        assert db.session.get(Tenant, tenant).alert_email is None


def test_forms_need_the_csrf_token(client, tenant):
    assert client.post("/settings", data={"alert_email": "", "digest_minutes": "60"}).status_code == 400
    assert client.post("/settings/api-keys", data={"name": "x"}).status_code == 400


def test_key_is_shown_once_stored_hashed_and_works(app, client, tenant):
    created = client.post("/settings/api-keys", data={"csrf_token": _csrf(client), "name": "Stock script"})
    assert created.status_code == 303 and created.headers["Location"].startswith("/settings")  # Post/Redirect/Get
    assert "ss_" not in str(created.headers)  # the key is in neither the URL nor the session cookie
    shown = client.get("/settings")
    assert shown.headers["Cache-Control"] == "no-store"
    key = _shown_key(shown.get_data(as_text=True))
    assert key and 'data-copy="new-key-value"' in shown.get_data(as_text=True)
    with app.app_context():
        row = db.session.execute(select(ApiKey).where(ApiKey.tenant_id == tenant)).scalar_one()
        assert row.key_hash == hashlib.sha256(key.encode()).hexdigest() and row.name == "Stock script"
    later = client.get("/settings").get_data(as_text=True)
    assert key not in later and _shown_key(later) is None
    assert "Stock script" in later and row.prefix in later and "Never" in later

    assert app.test_client().get("/api/integrations", headers=bearer(key)).status_code == 200
    assert "Never" not in client.get("/settings").get_data(as_text=True)  # last used is shown


def test_key_name_is_required(client, tenant):
    answer = client.post("/settings/api-keys", data={"csrf_token": _csrf(client), "name": "  "})
    assert answer.status_code == 422
    assert "Give the key a name" in answer.get_data(as_text=True)


def test_revoke_after_confirmation(app, client, tenant):
    page = client.post("/settings/api-keys", data={"csrf_token": _csrf(client), "name": "Old tool"},
                       follow_redirects=True)
    key = _shown_key(page.get_data(as_text=True))
    text = client.get("/settings").get_data(as_text=True)
    assert "Yes, revoke Old tool" in text  # the button sits behind a confirmation
    with app.app_context():
        key_id = db.session.execute(select(ApiKey.id).where(ApiKey.tenant_id == tenant)).scalar_one()
    answer = client.post(f"/settings/api-keys/{key_id}/revoke", data={"csrf_token": _csrf(client)},
                         follow_redirects=True)
    assert "Revoked API key Old tool" in answer.get_data(as_text=True)
    assert "revoked" in client.get("/settings").get_data(as_text=True)
    assert app.test_client().get("/api/integrations", headers=bearer(key)).status_code == 401
