"""Health check, security headers, CSRF, rate limits on sign-in, friendly errors."""
import uuid

from shopsync import create_app


def _app(**overrides):
    config = {"TESTING": True, "SANDBOX_MOUNT": False, "RATELIMIT_KEY_PREFIX": uuid.uuid4().hex}
    config.update(overrides)
    return create_app(config)


def test_healthz_checks_database_and_redis(app, client):
    answer = client.get("/healthz")
    assert answer.status_code == 200
    assert answer.get_json() == {"status": "ok", "checks": {"database": "ok", "redis": "ok"}}


def test_healthz_reports_redis_down(test_env):
    app = _app(REDIS_URL="redis://127.0.0.1:1/0")
    answer = app.test_client().get("/healthz")
    assert answer.status_code == 503
    assert answer.get_json()["checks"] == {"database": "ok", "redis": "unavailable"}


def test_security_headers_and_cookie_flags(client):
    answer = client.get("/login")
    headers = answer.headers
    assert "default-src 'self'" in headers["Content-Security-Policy"]
    assert "frame-ancestors 'none'" in headers["Content-Security-Policy"]
    assert headers["X-Content-Type-Options"] == "nosniff"
    assert headers["X-Frame-Options"] == "DENY"
    assert headers["Referrer-Policy"] == "same-origin"
    client.post("/login", data={"shop": "demo-store"})  # sets the session cookie (CSRF token)
    cookie = client.get_cookie("session")
    assert cookie is not None and cookie.http_only and cookie.same_site == "Lax"


def test_https_public_url_makes_cookies_secure(test_env):
    app = _app(PUBLIC_URL="https://sync.example.com", SESSION_COOKIE_SECURE=True)
    assert app.config["SESSION_COOKIE_SECURE"] is True
    assert "Strict-Transport-Security" in app.test_client().get("/login").headers


def test_forms_without_csrf_are_refused(client):
    answer = client.post("/login", data={"shop": "demo-store"})
    assert answer.status_code == 400
    assert "form expired" in answer.get_data(as_text=True)


def test_sign_in_endpoints_are_rate_limited(test_env):
    app = _app(RATELIMIT_AUTH="3 per minute")
    client = app.test_client()
    codes = [client.get("/auth/shopify?shop=evil.com").status_code for _ in range(5)]
    assert codes[:3] == [400, 400, 400]
    assert codes[3:] == [429, 429]


def test_friendly_error_pages(client):
    page = client.get("/no-such-page")
    assert page.status_code == 404
    assert "Not found" in page.get_data(as_text=True) and "<html" in page.get_data(as_text=True)
    api = client.get("/api/no-such-endpoint")
    assert api.status_code == 404
    assert api.get_json()["error"]["status"] == 404


def test_pages_need_login(client):
    answer = client.get("/")
    assert answer.status_code == 302 and "/login" in answer.headers["Location"]
