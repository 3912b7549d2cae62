"""Hostile input the other suites leave out: CSRF on every form route, every redirect parameter, malformed
and oversize bodies (API, webhook endpoint, CSV uploads), formula cells in CSV exports, another tenant's ids
in request bodies, guessing API keys and OAuth answers, and no token or secret anywhere after a whole
journey (database dump, logs, pages, API answers).

Covered elsewhere and not repeated here: the OpenAPI property run (integration/test_api_schemathesis.py),
webhook HMAC tampering/missing/rotation, oversize and duplicate deliveries (integration/test_shopify_webhooks.py),
OAuth callback tampering, wrong state, replayed codes and `next` on login (integration/test_shopify_install.py),
tenant isolation (integration/test_tenant_isolation.py), sign-in rate limits (integration/test_web_basics.py).
"""
from __future__ import annotations

import base64
import csv
import io
import json
import logging
import re
import subprocess
import uuid
from urllib.parse import urljoin, urlsplit

import pytest
from sqlalchemy import func, select

from shopsync.extensions import db
from shopsync.models import ProductLink, Variant, WebhookEvent
from shopsync.sync.links import csv_io as link_csv
from tests.conftest import TEST_DATABASE_URL
from tests.support.api import bearer, create_api_key, seed_catalog
from tests.support.factories import make_world, sandbox  # noqa: F401 - fixture
from tests.support.hostile import JSON_TOKENS, VALUES, hostile, raw_json, routes  # noqa: F401 - fixture
from tests.support.journeys import install_shop
from tests.support.scenario import linked_store

NOT_FORMS = ("/webhooks/", "/api/")  # signed by Shopify / bearer or CSRF-header API, tested on their own
EVIL = ["https://evil.example/x", "//evil.example/x", "/\\evil.example", "\\\\evil.example", "https:evil.example",
        "javascript:alert(1)", "/%2F%2Fevil.example", " //evil.example", "/\t/evil.example"]


def _form_posts(app) -> list[str]:
    paths = []
    for rule in app.url_map.iter_rules():
        if "POST" in rule.methods and not rule.rule.startswith(NOT_FORMS):
            paths.append(re.sub(r"<[^>]+>", "1", rule.rule))
    return sorted(paths)


def _csrf(client) -> str:
    return client.get("/").get_data(as_text=True).split('name="csrf_token" value="')[1].split('"')[0]


def test_every_form_route_refuses_a_post_without_a_valid_csrf_token(app, client, shop_domain):
    install_shop(client, shop_domain)
    good = _csrf(client)
    paths = _form_posts(app)
    assert "/logout" in paths and "/settings" in paths and len(paths) >= 15
    for path in paths:
        for form in ({}, {"csrf_token": "wrong"}, {"csrf_token": good[:-2] + "xx"}):
            answer = client.post(path, data=form)
            assert answer.status_code == 400, f"POST {path} with {form or 'no token'}: {answer.status_code}"
    # A session's token from one user is no good for another's session.
    other = app.test_client()
    install_shop(other, f"other-{uuid.uuid4().hex[:10]}.myshopify.com")
    assert other.post("/settings", data={"csrf_token": good}).status_code == 400
    print(f"\n{len(paths)} form routes refused without a valid CSRF token")


def test_no_redirect_parameter_leaves_the_site(app, client, shop_domain):
    """`next` is the only redirect parameter (login form, install start); the batch form's Referer too."""
    install_shop(client, shop_domain)
    token = _csrf(client)
    for evil in EVIL:
        for answer in (client.get("/auth/shopify", query_string={"shop": shop_domain, "next": evil}),
                       client.post("/login", data={"shop": shop_domain, "next": evil, "csrf_token": token})):
            assert answer.status_code == 302
            assert not [target for target in _redirect_targets(client, answer) if _leaves_site(target)], evil
        answer = client.post("/product-links/batch", data={"csrf_token": token, "action": "pause"},
                             headers={"Referer": evil})
        assert answer.status_code == 302 and not _leaves_site(answer.headers["Location"]), evil


def _redirect_targets(client, answer) -> list[str]:
    """Where the browser is sent: the Location, unless it is the Shopify grant page, and the `next` the
    OAuth flow carries to send it on to after login."""
    targets = [] if "/admin/oauth/authorize" in answer.headers["Location"] else [answer.headers["Location"]]
    with client.session_transaction() as session:
        for value in session.values():
            if isinstance(value, dict) and value.get("next"):
                targets.append(value["next"])
    return targets


def _leaves_site(target: str) -> bool:
    """Whether a browser on the app would leave it following `target` (browsers read \\ as /)."""
    resolved = urlsplit(urljoin("http://127.0.0.1/", target.strip().replace("\\", "/")))
    return resolved.scheme not in ("http", "https") or resolved.netloc != "127.0.0.1"


@pytest.mark.parametrize("body, content_type", [
    (b"{not json", "application/json"),
    (b"[1, 2, 3]", "application/json"),
    (b'{"variant_id": "x", "tiktok_sku_id": null}', "application/json"),
    (b"variant_id=1", "application/x-www-form-urlencoded"),
    (b"\xff\xfe\x00garbage", "application/json"),
])
def test_api_refuses_malformed_bodies_with_a_clear_4xx_and_writes_nothing(app, client, shop_domain, body,
                                                                          content_type):
    tenant = install_shop(client, shop_domain)
    key = create_api_key(app, tenant)
    api = app.test_client()
    answer = api.post("/api/product-links", data=body, headers={**bearer(key), "Content-Type": content_type})
    assert 400 <= answer.status_code < 500 and answer.status_code != 404
    assert answer.is_json and answer.get_json()["error"]["message"]
    with app.app_context():
        assert db.session.execute(select(func.count()).select_from(ProductLink).where(
            ProductLink.tenant_id == tenant)).scalar() == 0


def test_api_refuses_an_oversize_body(app, client, shop_domain):
    tenant = install_shop(client, shop_domain)
    key = create_api_key(app, tenant)
    huge = b'{"variant_id": 1, "tiktok_sku_id": 1, "x": "' + b"a" * (20 * 1024 * 1024) + b'"}'
    answer = app.test_client().post("/api/product-links", data=huge,
                                    headers={**bearer(key), "Content-Type": "application/json"})
    assert answer.status_code == 413


def test_webhook_endpoint_refuses_unsigned_garbage_and_writes_nothing(app, client, shop_domain):
    for body in (b"{not json", b"\x00" * 100, b""):
        answer = client.post("/webhooks/shopify", data=body, headers={
            "X-Shopify-Topic": "products/update", "X-Shopify-Shop-Domain": shop_domain,
            "X-Shopify-Event-Id": str(uuid.uuid4()), "X-Shopify-Hmac-Sha256": "AAAA"})
        assert answer.status_code == 401
    with app.app_context():
        assert db.session.execute(select(func.count()).select_from(WebhookEvent).where(
            WebhookEvent.shop == shop_domain)).scalar() == 0


@pytest.mark.slow
def test_no_token_or_secret_anywhere_after_a_whole_journey(app, app_context, client, shopify_sandbox,
                                                           tiktok_sandbox, shop_domain, caplog):
    caplog.set_level(logging.DEBUG)
    store = linked_store(client, app, shopify_sandbox, tiktok_sandbox, shop_domain, variants=10)
    api_key = create_api_key(app, store.tenant_id)
    shopify_sandbox.set_price(store.shop, store.links[0].variant_id, "77.00")
    assert shopify_sandbox.wait_for_webhooks(15)
    tiktok_sandbox.set_fault("token_expired", count=1)  # a refresh happens: fresh tokens must not leak either
    from tests.support.shopify_import import run_jobs
    run_jobs(app, "shopsync.jobs.webhooks.process_webhooks")
    from shopsync.sync.pushes import flush
    flush.flush_dirty(store.tiktok_integration_id, "webhook", lambda: None)

    secrets = {app.config["SHOPIFY_API_SECRET"], app.config["TIKTOK_APP_SECRET"], app.config["SECRET_KEY"],
               *app.config["TOKEN_ENCRYPTION_KEYS"], api_key}
    with shopify_sandbox.lock:
        secrets |= {token for token, record in shopify_sandbox._tokens.items() if record.shop == store.shop}
        secrets |= {token for token, record in shopify_sandbox._refresh_tokens.items() if record.shop == store.shop}
    with tiktok_sandbox.lock:
        secrets |= set(tiktok_sandbox.access_tokens) | set(tiktok_sandbox.refresh_tokens)
    secrets = {s for s in secrets if s and len(s) >= 12}
    assert len(secrets) >= 8

    dump = subprocess.run(["pg_dump", "--data-only", TEST_DATABASE_URL], capture_output=True, timeout=300)
    assert dump.returncode == 0, dump.stderr
    assert store.shop.encode() in dump.stdout
    # The sandbox's own access log stands for TikTok's and Shopify's servers (TikTok's token API takes the app
    # secret in its query string); ShopSync's logs are everything else.
    platform = re.compile(r'"(GET|POST) /(tiktok/(auth|api|open)|shopify)/')
    logged = [record.getMessage() for record in caplog.records]
    places = {"database dump": dump.stdout.decode("utf-8", "replace"),
              "logs": "\n".join(message for message in logged if not platform.search(message))}
    for path in ("/", "/integrations", "/product-links", f"/product-links/{store.links[0].link_id}", "/sync-logs",
                 "/settings", "/products", "/no-such-page"):
        places[path] = client.get(path).get_data(as_text=True)
    api = app.test_client()
    for path in ("/api/integrations", "/api/products", "/api/product-links", "/api/sync-logs", "/api/openapi.json",
                 "/api/no-such-endpoint"):
        places[path] = api.get(path, headers=bearer(api_key)).get_data(as_text=True)
    leaks = [(where, secret[:6] + "…") for where, text in places.items() for secret in secrets if secret in text]
    assert not leaks


def test_another_tenants_ids_in_request_bodies_change_nothing(app, client, shop_domain):
    """The isolation test probes ids in URLs; these are the routes that take ids in the body or form."""
    from tests.integration.test_tenant_isolation import _snapshot, _victim

    ids, marker = _victim(app)
    before = _snapshot(app, ids["tenant"])
    tenant = install_shop(client, shop_domain)
    token = _csrf(client)
    api, key = app.test_client(), create_api_key(app, tenant)
    answers = {
        "POST /api/product-links": api.post("/api/product-links", headers=bearer(key), json={
            "variant_id": ids["variant"], "tiktok_sku_id": ids["tiktok_sku"]}),
        "POST /api/product-links/sync": api.post("/api/product-links/sync", headers=bearer(key),
                                                  json={"ids": [ids["link"]]}),
        "POST /product-links/new": client.post("/product-links/new", data={
            "csrf_token": token, "variant_id": ids["variant"], "tiktok_sku_id": ids["tiktok_sku"]}),
        "POST /product-links/auto/preview": client.post("/product-links/auto/preview", data={
            "csrf_token": token, "integration": ids["tiktok_integration"], "by": "sku"}),
    }
    for action in ("pause", "resume", "unlink", "sync"):
        answers[f"POST /product-links/batch {action}"] = client.post("/product-links/batch", data={
            "csrf_token": token, "action": action, "link_ids": [ids["link"]]})
    for name, answer in answers.items():
        assert answer.status_code < 500, name
        assert marker not in answer.get_data(as_text=True), name
    assert _snapshot(app, ids["tenant"]) == before
    print(f"\n{len(answers)} body-id probes, 0 leaks")


@pytest.mark.parametrize("start", ["=", "+", "-", "@", "\t", "\r"])
def test_csv_export_neutralises_every_formula_start(sandbox, start):
    world = make_world(sandbox, skus=1)
    db.session.get(Variant, world.variant_ids[0]).sku = f"{start}cmd|' /C calc'!A0"
    db.session.commit()
    rows = list(csv.reader(io.StringIO(link_csv.export_csv(world.tenant_id))))
    header = rows[0]
    cell = rows[1][header.index("shopify_sku")]
    assert cell == f"'{start}cmd|' /C calc'!A0"
    assert link_csv.preview(world.tenant_id, link_csv.export_csv(world.tenant_id)).ok  # and it reads back


@pytest.mark.parametrize("payload, status, message", [
    (b"\xff\xfe\x00\x01" * 1000, 422, "UTF-8"),
    (b'shopify_variant_id,tiktok_sku_id\n"unterminated,1\n' + b"x" * 10, 200, "1 rows with errors"),
    (b"no,header,we,know\n1,2,3,4\n", 422, ""),
    (b"shopify_sku,seller_sku\n" + b"a,b\n" * (5 * 1024 * 1024 // 4 + 1), 422, "larger than 5 MB"),
    (b"x" * (7 * 1024 * 1024), 413, "Too large"),
])
def test_hostile_csv_uploads_are_refused_clearly_and_save_nothing(app, client, shop_domain, payload, status, message):
    tenant = install_shop(client, shop_domain)
    answer = client.post("/product-links/import", data={"csrf_token": _csrf(client),
                                                         "file": (io.BytesIO(payload), "links.csv")},
                         content_type="multipart/form-data")
    assert answer.status_code == status
    assert message in answer.get_data(as_text=True)
    with app.app_context():
        assert db.session.execute(select(func.count()).select_from(ProductLink).where(
            ProductLink.tenant_id == tenant)).scalar() == 0


def test_guessing_api_keys_and_oauth_answers_is_rate_limited(app):
    """The sign-in start is covered in test_web_basics; here the API key check and the OAuth callback."""
    from shopsync import create_app

    limited = create_app({"TESTING": True, "SANDBOX_MOUNT": False, "RATELIMIT_KEY_PREFIX": uuid.uuid4().hex,
                          "RATELIMIT_API": "3 per minute", "RATELIMIT_AUTH_CALLBACK": "3 per minute"})
    guesser = limited.test_client()
    keys = [guesser.get("/api/products", headers=bearer(f"ss_{uuid.uuid4().hex}")).status_code for _ in range(5)]
    callbacks = [guesser.get("/auth/shopify/callback", query_string={
        "shop": "a.myshopify.com", "code": uuid.uuid4().hex, "state": "s", "hmac": "h"}).status_code
        for _ in range(5)]
    assert keys == [401] * 3 + [429] * 2
    assert callbacks == [400] * 3 + [429] * 2


# ---- numbers, ids, cursors and text no column can hold (review finding 8) ---------------------------------
def _cursor(raw: str) -> str:
    return base64.urlsafe_b64encode(raw.encode()).decode().rstrip("=")


BIG = "99999999999999999999"  # above BIGINT
PAGE_PROBES = [  # (method, path with {link} {run} placeholders, form) -> the page's error answer
    ("GET", "/product-links?before=²", None, 400),
    ("GET", f"/product-links?before={BIG}", None, 400),
    ("GET", "/product-links?integration=²", None, 400),
    ("GET", f"/product-links?variant={BIG}", None, 400),
    ("GET", "/product-links?q=%00", None, 400),
    ("GET", "/sync-logs?before=²", None, 400),
    ("GET", f"/sync-logs?link={BIG}", None, 400),
    ("GET", "/sync-logs?run=¹", None, 400),
    ("GET", "/products?q=%00", None, 400),
    ("GET", "/products?after=" + _cursor('["a", Infinity]'), None, 400),
    ("GET", "/products?after=" + _cursor('["a", 1e400]'), None, 400),
    ("GET", "/products?after=" + _cursor('["a", NaN]'), None, 400),
    ("GET", "/products?after=" + _cursor(f'["a", {BIG}]'), None, 400),
    ("GET", "/products?after=" + _cursor('["a\\u0000", 1]'), None, 400),
    ("GET", "/product-links/pick/skus?integration=²", None, 400),
    ("GET", "/product-links/pick/variants?q_variant=%00", None, 400),
    ("GET", f"/product-links/{BIG}", None, 404),
    ("GET", f"/product-links/{BIG}/state", None, 404),
    ("GET", f"/sync-runs/{BIG}/progress", None, 404),
    ("POST", "/product-links/batch", {"action": "pause", "link_ids": "²"}, 400),
    ("POST", "/product-links/batch", {"action": "pause", "link_ids": BIG}, 400),
    ("POST", "/product-links/batch", {"action": "settings", "link_ids": "{link}", "price_multiplier": "1e-999999"},
     302),
    ("POST", "/settings", {"digest_minutes": "²", "alert_email": ""}, 422),
    ("POST", "/settings", {"digest_minutes": BIG, "alert_email": ""}, 422),
    ("POST", "/settings/api-keys", {"name": "a\x00b"}, 400),
    ("POST", "/product-links/new", {"variant_id": "²", "tiktok_sku_id": BIG}, 422),
    ("POST", "/product-links/auto/preview", {"integration": "²", "by": "sku"}, 422),
    ("POST", "/product-links/{link}/settings", {"price_multiplier": "1e-999999"}, 422),
    ("POST", "/product-links/{link}/settings", {"price_offset": "Infinity"}, 422),
    ("POST", "/product-links/{link}/settings", {"inventory_buffer": "²"}, 422),
    ("POST", "/product-links/{link}/settings", {"location_ids": "²"}, 422),
    ("POST", "/product-links/{link}/settings", {"location_ids": BIG}, 422),
    ("POST", "/product-links/{link}/settings", {"currency_rate": "1_000"}, 422),
    ("POST", "/sync-logs/retry", {"link": BIG}, 400),
]


@pytest.mark.parametrize("method, path, form, status", PAGE_PROBES)
def test_pages_refuse_numbers_and_text_no_column_can_hold(app, client, shop_domain, method, path, form, status):
    tenant = install_shop(client, shop_domain)
    seeded = seed_catalog(app, tenant, products=1, variants=2)
    path = path.format(link=seeded["links"][0], run=seeded["run"])
    if form is None:
        answer = client.get(path)
    else:
        form = {key: value.format(link=seeded["links"][0]) for key, value in form.items()}
        answer = client.post(path, data={**form, "csrf_token": _csrf(client)})
    assert answer.status_code == status, (path, answer.status_code, answer.get_data(as_text=True)[:300])
    assert answer.headers["Cache-Control"] == "no-store"
    if status == 400:
        assert "That request was not valid" in answer.get_data(as_text=True)
    with app.app_context():
        link = db.session.get(ProductLink, seeded["links"][0])
        assert link.price_multiplier is None and link.price_offset is None and not link.paused


API_PROBES = [  # (method, path, JSON body) -> 4xx with the API's error body
    ("GET", "/api/product-links?cursor=" + _cursor("²"), None, 422),
    ("GET", "/api/product-links?cursor=" + _cursor(BIG), None, 422),
    ("GET", f"/api/product-links?tiktok_integration_id={BIG}", None, 422),
    ("GET", "/api/product-links?search=%00", None, 400),
    ("GET", "/api/products?cursor=" + _cursor('["a", Infinity]'), None, 422),
    ("GET", "/api/products?cursor=" + _cursor('["a", 1e400]'), None, 422),
    ("GET", "/api/products?cursor=" + _cursor('["a", -1]'), None, 422),
    ("GET", "/api/sync-logs?link_id=²", None, 422),
    ("GET", "/api/sync-logs?link_id=١", None, 422),  # int() reads it as 1: refused like on every page
    ("GET", "/api/product-links?limit=١٠", None, 422),
    ("GET", f"/api/product-links/{BIG}", None, 404),
    ("GET", f"/api/sync-runs/{BIG}", None, 404),
    ("PATCH", "/api/product-links/{link}", {"price_multiplier": "1e-999999"}, 422),
    ("PATCH", "/api/product-links/{link}", {"price_multiplier": "NaN"}, 422),
    ("PATCH", "/api/product-links/{link}", {"price_offset": "-Infinity"}, 422),
    ("PATCH", "/api/product-links/{link}", {"currency_rate": 1e-7}, 422),
    ("PATCH", "/api/product-links/{link}", {"location_ids": [10**20]}, 422),
    ("POST", "/api/product-links/sync", {"ids": [10**20]}, 422),
    ("POST", "/api/product-links", {"variant_id": 10**30, "tiktok_sku_id": 1}, 422),
]


@pytest.mark.parametrize("method, path, body, status", API_PROBES)
def test_api_refuses_numbers_and_text_no_column_can_hold(app, client, shop_domain, method, path, body, status):
    tenant = install_shop(client, shop_domain)
    seeded = seed_catalog(app, tenant, products=1, variants=2)
    answer = app.test_client().open(path.format(link=seeded["links"][0]), method=method, json=body,
                                    headers=bearer(create_api_key(app, tenant)))
    assert answer.status_code == status, (path, answer.status_code, answer.get_data(as_text=True)[:300])
    error = answer.get_json()["error"]
    assert error["status"] == status and error["message"]
    assert answer.headers["Cache-Control"] == "no-store"
    with app.app_context():
        assert db.session.get(ProductLink, seeded["links"][0]).price_multiplier is None


def test_authenticated_answers_are_never_stored_by_a_cache_but_static_files_are(app, client, shop_domain):
    """Review finding 11: a shared proxy or the browser's back button after logout showed merchant data."""
    tenant = install_shop(client, shop_domain)
    seeded = seed_catalog(app, tenant, products=1, variants=2)
    api = app.test_client()
    answers = {path: client.get(path) for path in (
        "/", "/products", "/product-links", f"/product-links/{seeded['links'][0]}", "/sync-logs", "/settings",
        f"/product-links/{seeded['links'][0]}/state", f"/sync-runs/{seeded['run']}/progress",
        "/product-links/export.csv", "/no-such-page")}
    answers["HTMX fragment"] = client.get("/product-links/pick/variants?q_variant=a", headers={"HX-Request": "true"})
    answers["API list"] = api.get("/api/product-links", headers=bearer(create_api_key(app, tenant)))
    answers["API error"] = api.get("/api/product-links/1", headers=bearer("ss_wrong"))
    for name, answer in answers.items():
        assert answer.headers.get("Cache-Control") == "no-store", (name, answer.status_code)
    assert answers["/product-links/export.csv"].mimetype == "text/csv"
    static = client.get("/static/app.css")
    assert static.status_code == 200 and "no-store" not in static.headers.get("Cache-Control", "")


def test_a_csv_cell_over_the_csv_modules_limit_is_a_clear_file_error(app, client, shop_domain):
    tenant = install_shop(client, shop_domain)
    payload = b"shopify_sku,seller_sku\nA-1,B-1\n" + b'"' + b"x" * 131_073 + b'",B-2\n'
    answer = client.post("/product-links/import", data={"csrf_token": _csrf(client),
                                                         "file": (io.BytesIO(payload), "links.csv")},
                         content_type="multipart/form-data")
    assert answer.status_code == 422
    assert "a cell is longer than 131,072 characters" in answer.get_data(as_text=True)
    with app.app_context():
        assert db.session.execute(select(func.count()).select_from(ProductLink).where(
            ProductLink.tenant_id == tenant)).scalar() == 0


def test_the_same_csv_import_confirmed_five_times_at_once_applies_once(app, client, shop_domain, servers):
    import importlib.metadata
    import threading

    import requests

    from shopsync.models import TikTokSku

    tenant = install_shop(client, shop_domain)
    seeded = seed_catalog(app, tenant, products=2, variants=2)
    with app.app_context():
        pairs = [(db.session.get(Variant, variant).shopify_id, db.session.get(TikTokSku, sku).tiktok_id)
                 for variant, sku in seeded["unlinked"]]
    text = "shopify_variant_id,tiktok_sku_id\n" + "".join(f"{v},{s}\n" for v, s in pairs)
    preview = client.post("/product-links/import", data={"csrf_token": _csrf(client),
                                                          "file": (io.BytesIO(text.encode()), "links.csv")},
                          content_type="multipart/form-data").get_data(as_text=True)
    token = re.search(r'name="token" value="([^"]+)"', preview).group(1)
    cookie = {"session": client.get_cookie("session").value}
    # The same browser, five tabs: login's session protection ties the session to its user agent.
    browser = {"User-Agent": "Werkzeug/" + importlib.metadata.version("werkzeug")}
    form = {"csrf_token": _csrf(client), "token": token}
    answers: list = []
    start = threading.Barrier(5)

    def confirm():
        start.wait()
        answers.append(requests.post(servers["app"].url + "/product-links/import/confirm", data=form,
                                     cookies=cookie, headers=browser, allow_redirects=False, timeout=60))

    threads = [threading.Thread(target=confirm) for _ in range(5)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(90)
    assert sorted(answer.status_code for answer in answers) == [302] * 5
    messages = [requests.get(servers["app"].url + answer.headers["Location"], cookies=answer.cookies,
                             headers=browser, timeout=30).text for answer in answers]
    assert sum(f"Created {len(pairs)} links" in page for page in messages) == 1
    assert sum("already saved" in page for page in messages) == 4
    with app.app_context():
        assert db.session.execute(select(func.count()).select_from(ProductLink).where(
            ProductLink.tenant_id == tenant)).scalar() == len(seeded["links"]) + len(pairs)


# ---- every route and API operation, every hostile value (review finding 8's bar) ---------------------------
def test_every_route_and_api_operation_answers_every_hostile_value_without_a_5xx(app, hostile):
    every = routes(app, app.test_client().get("/api/openapi.json").get_json())
    endpoints = {route.endpoint for route in every}
    assert len(every) >= 50 and {"links.bulk", "settings.save_alerts", "api_product_links.change_link",
                                 "api_products.list_catalog", "shopify_webhooks.receive"} <= endpoints
    failures, sent = [], 0
    for route in every:
        for value in VALUES:
            requests = []
            if route.arguments:
                requests.append({"path": {name: value for name in route.arguments}})
            if route.query_names:
                requests.append({"query": {name: value for name in route.query_names}})
            if route.body_names and route.api:
                requests.append({"body": raw_json(route.body_names, json.dumps(value))})
            elif route.body_names:
                requests.append({"form": {name: value for name in route.body_names}})
            for request in requests:
                status = hostile.status(route, **request)
                sent += 1
                if status >= 500:
                    failures.append((route.method, route.rule, repr(value)[:40], list(request), status))
        for token in JSON_TOKENS if route.api and route.body_names else ():
            sent += 1
            if hostile.status(route, body=raw_json(route.body_names, token)) >= 500:
                failures.append((route.method, route.rule, token[:40], ["body"], 500))
    assert failures == []
    assert hostile.still_logged_in()  # every request above was a logged-in merchant's
    print(f"\n{sent} hostile requests to {len(every)} routes and API operations: 0 answers >= 500")
