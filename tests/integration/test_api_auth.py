"""API authentication: keys (only hashed, revocable, last use recorded), sessions with CSRF, rate limit per key."""
from __future__ import annotations

import hashlib
import uuid

import pytest
from sqlalchemy import select

from shopsync.extensions import db
from shopsync.models import ApiKey
from tests.support.api import bearer, create_api_key
from tests.support.journeys import install_shop


@pytest.fixture
def tenant(client, shop_domain):
    return install_shop(client, shop_domain)


def _csrf(client) -> str:
    page = client.get("/").get_data(as_text=True)
    return page.split('name="csrf_token" value="')[1].split('"')[0]


def _assert_error(answer, status: int):
    assert answer.status_code == status, answer.get_data(as_text=True)
    assert answer.mimetype == "application/json"
    error = answer.get_json()["error"]
    assert error["status"] == status and error["title"] and error["message"]
    return error


def test_without_credentials_is_401_json(app):
    anonymous = app.test_client()
    answer = anonymous.get("/api/product-links")
    error = _assert_error(answer, 401)
    assert "Bearer" in error["message"]
    assert answer.headers["WWW-Authenticate"].startswith("Bearer")
    _assert_error(anonymous.post("/api/product-links/sync", json={"all": True}), 401)


@pytest.mark.parametrize("header", ["Bearer ss_not-a-real-key", "Bearer ", "Basic dXNlcjpwYXNz", "ss_raw"])
def test_bad_key_is_401(app, header):
    answer = app.test_client().get("/api/integrations", headers={"Authorization": header})
    assert "not valid" in _assert_error(answer, 401)["message"]


def test_key_authenticates_its_tenant_and_records_last_use(app, client, tenant):
    key = create_api_key(app, tenant)
    answer = app.test_client().get("/api/integrations", headers=bearer(key))
    assert answer.status_code == 200
    [shopify] = answer.get_json()["items"]
    assert shopify["platform"] == "shopify"
    with app.app_context():
        row = db.session.execute(select(ApiKey).where(ApiKey.tenant_id == tenant)).scalar_one()
        assert row.last_used_at is not None


def test_only_the_hash_is_stored(app, tenant):
    key = create_api_key(app, tenant)
    with app.app_context():
        row = db.session.execute(select(ApiKey).where(ApiKey.tenant_id == tenant)).scalar_one()
        stored = {name: value for name, value in vars(row).items() if not name.startswith("_")}
    assert row.key_hash == hashlib.sha256(key.encode()).hexdigest()
    assert key.startswith(row.prefix) and len(row.prefix) < len(key) // 3
    assert not any(key in str(value) for value in stored.values())


def test_revoked_key_is_refused(app, client, tenant):
    key = create_api_key(app, tenant, "to revoke")
    assert app.test_client().get("/api/integrations", headers=bearer(key)).status_code == 200
    with app.app_context():
        key_id = db.session.execute(select(ApiKey.id).where(ApiKey.tenant_id == tenant)).scalar_one()
    answer = client.post(f"/settings/api-keys/{key_id}/revoke", data={"csrf_token": _csrf(client)})
    assert answer.status_code == 302
    _assert_error(app.test_client().get("/api/integrations", headers=bearer(key)), 401)


def test_bad_key_wins_over_a_session(client, tenant):
    """A request that names a key is judged by the key, never by a cookie it also carries."""
    _assert_error(client.get("/api/integrations", headers=bearer("ss_wrong")), 401)


def test_session_reads_and_writes_need_the_csrf_header(client, tenant):
    assert client.get("/api/integrations").status_code == 200
    error = _assert_error(client.post("/api/integrations", json={"platform": "tiktok"}), 403)
    assert "X-CSRFToken" in error["message"]
    answer = client.post("/api/integrations", json={"platform": "tiktok"}, headers={"X-CSRFToken": _csrf(client)})
    assert answer.status_code == 200
    assert answer.get_json()["authorize_url"].endswith("/integrations/tiktok/connect")


def test_bearer_writes_need_no_csrf(app, tenant):
    key = create_api_key(app, tenant)
    answer = app.test_client().post("/api/integrations", json={"platform": "tiktok"}, headers=bearer(key))
    assert answer.status_code == 200


def test_rate_limit_per_key(app, test_env, tenant):
    from shopsync import create_app

    limited = create_app({"TESTING": True, "RATELIMIT_API": "3 per minute",
                          "RATELIMIT_KEY_PREFIX": f"test-api-{uuid.uuid4().hex[:8]}"})
    first, second = create_api_key(app, tenant, "first"), create_api_key(app, tenant, "second")
    caller = limited.test_client()
    for _ in range(3):
        assert caller.get("/api/sync-logs", headers=bearer(first)).status_code == 200
    answer = caller.get("/api/integrations", headers=bearer(first))  # one budget across endpoints
    assert "Too many requests" in _assert_error(answer, 429)["message"]
    assert int(answer.headers["Retry-After"]) >= 1
    # Another key of the same tenant has its own budget.
    assert caller.get("/api/sync-logs", headers=bearer(second)).status_code == 200
