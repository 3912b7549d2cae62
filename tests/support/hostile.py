"""Hostile input families and every route and API operation to send them to, for the hostile-input suites.

The families are what an outside review found answered 500 (review finding 8): Unicode digits that
str.isdigit() accepts and int() may not, ids above BIGINT, Infinity / NaN / 1e400 inside cursors,
Decimal exponent abuse, NUL (PostgreSQL refuses it), plus text and JSON shapes no form or API field
expects. Routes come from the app's url_map and operations from its OpenAPI document, so a route
added later is covered without touching the tests.
"""
from __future__ import annotations

import base64
import json
import logging
import re
import uuid
from dataclasses import dataclass, field
from urllib.parse import quote

import pytest


def cursor(raw: str) -> str:
    return base64.urlsafe_b64encode(raw.encode()).decode().rstrip("=")


UNICODE_DIGITS = ["²", "١٢٣", "𝟙", "½"]
BIG_NUMBERS = ["99999999999999999999", str(2**64 + 1), "-1", "0", "9" * 400]
SPECIAL_NUMBERS = ["Infinity", "NaN", "1e400", "1e-999999", "1_000", " 7 ", "+5", "1.5"]
CURSORS = [cursor('["a", Infinity]'), cursor('["a", 1e400]'), cursor('["a", NaN]'),
           cursor('["a", 99999999999999999999]'), cursor('["a\\u0000", 1]'), cursor("[" * 3000), cursor("²"), cursor("99999999999999999999"), "not base64!"]
TEXT = ["a\x00b", "\r\nSet-Cookie: stolen=1", "'; DROP TABLE product_links; --", "x" * 5000, "\u202eevil😀", ""]
FAMILIES: dict[str, list[str]] = {"unicode digits": UNICODE_DIGITS, "big numbers": BIG_NUMBERS,
                                  "special numbers": SPECIAL_NUMBERS, "cursors": CURSORS, "text": TEXT}
VALUES = [value for values in FAMILIES.values() for value in values]
# In JSON bodies, as raw tokens: numbers no column holds, constants Python's json accepts, wrong shapes.
JSON_TOKENS = ["1e400", "NaN", "-Infinity", "1e-999999", str(10**30), str(-(2**63) - 1), "1.5", "true", "null",
               "{}", '"\\u0000"', "[" * 5000 + "]" * 5000, "[10000000000000000000000000000000]"]

# Every name a page or form reads (query strings and form fields), hostile values go into all of them.
QUERY_NAMES = ["before", "after", "q", "state", "integration", "variant", "link", "product", "run", "result",
               "trigger", "period", "q_variant", "q_sku", "view", "status", "shop", "next", "code", "hmac", "error",
               "host", "timestamp"]
FORM_NAMES = ["action", "link_ids", "all_matching", "filter_state", "filter_integration", "filter_q",
              "filter_variant", "sync_price", "sync_inventory", "price_multiplier", "price_offset", "price_rounding",
              "currency_rate", "location_ids", "inventory_buffer", "inventory_cap", "schedule", "digest_minutes",
              "alert_email", "name", "variant_id", "tiktok_sku_id", "q_variant", "q_sku", "integration", "by", "token",
              "pair", "shown", "shop", "next", "link", "product", "run", "result", "trigger", "period"]
SKIPPED_ENDPOINTS = {"static", "auth.logout"}  # files; logging out would end the session the run needs


@dataclass
class Route:
    """One method of one URL rule, with what goes into its path, query and body."""

    method: str
    rule: str
    endpoint: str
    arguments: list[str]
    api: bool
    query_names: list[str] = field(default_factory=list)
    body_names: list[str] = field(default_factory=list)

    def path(self, values: dict[str, str]) -> str:
        """The rule with each <argument> replaced by its value, URL-quoted."""
        return re.sub(r"<(?:[^:>]+:)?([^>]+)>", lambda match: quote(str(values[match.group(1)]), safe=""),
                      self.rule)


def routes(app, openapi: dict) -> list[Route]:
    """Every route of the app and every operation of its OpenAPI document, with their parameter names."""
    found = []
    for rule in app.url_map.iter_rules():
        if rule.endpoint in SKIPPED_ENDPOINTS:
            continue
        api = rule.rule.startswith("/api/")
        for method in sorted(rule.methods - {"HEAD", "OPTIONS"}):
            route = Route(method, rule.rule, rule.endpoint, sorted(rule.arguments), api)
            if api:
                operation = _operation(openapi, rule.rule, method)
                route.query_names = [p["name"] for p in operation.get("parameters", []) if p["in"] == "query"]
                route.body_names = _body_names(openapi, operation)
            else:
                route.query_names = QUERY_NAMES
                route.body_names = FORM_NAMES if method != "GET" else []
            found.append(route)
    return sorted(found, key=lambda route: (route.rule, route.method))


def _operation(openapi: dict, rule: str, method: str) -> dict:
    path = re.sub(r"<(?:[^:>]+:)?([^>]+)>", r"{\1}", rule)
    return (openapi["paths"].get(path) or {}).get(method.lower(), {})


def _body_names(openapi: dict, operation: dict) -> list[str]:
    schema = ((operation.get("requestBody") or {}).get("content", {}).get("application/json") or {}).get("schema")
    if not schema:
        return []
    while "$ref" in schema:
        schema = openapi["components"]["schemas"][schema["$ref"].rsplit("/", 1)[1]]
    names = set(schema.get("properties", {}))
    for part in schema.get("allOf", []):
        names |= set(_body_names(openapi, {"requestBody": {"content": {"application/json": {"schema": part}}}}))
    return sorted(names)


def raw_json(names: list[str], token: str) -> bytes:
    """A JSON object with every name set to one raw token (so NaN and 1e400 arrive as the bytes they are)."""
    return ("{" + ",".join(f"{json.dumps(name)}: {token}" for name in names) + "}").encode()


class Caller:
    """A merchant logged in to the app (browser session with its CSRF token, and an API key) whose catalog has
    links, runs and a TikTok shop, sending one hostile request at a time."""

    def __init__(self, app, client, tenant_id: int, ids: dict):
        from tests.support.api import bearer, create_api_key

        self.app, self.client, self.tenant_id = app, client, tenant_id
        self.api_headers = bearer(create_api_key(app, tenant_id, "hostile input"))
        page = client.get("/settings").get_data(as_text=True)
        self.csrf = page.split('name="csrf_token" value="')[1].split('"')[0]
        # Real ids for the path arguments a request does not make hostile (no API key id: revoking ours would
        # end the run's API access).
        self.real = {"link_id": ids["links"][0], "run_id": ids["run"], "integration_id": ids["tiktok"],
                     "key_id": 2**62}

    def send(self, route: Route, *, path: dict | None = None, query: dict | None = None, form: dict | None = None,
             body: bytes | None = None):
        target = route.path({name: (path or {}).get(name, self.real.get(name, 1)) for name in route.arguments})
        if route.api:
            return self.client.open(target, method=route.method, query_string=query, data=body,
                                    headers={**self.api_headers, "Content-Type": "application/json"})
        if route.method == "GET":
            return self.client.get(target, query_string=query)
        return self.client.open(target, method=route.method, query_string=query,
                                data={**(form or {}), "csrf_token": self.csrf})

    def status(self, route: Route, **request) -> int:
        """The status of one request; an exception escaping the view (TESTING propagates them) counts as the
        500 it would be in production."""
        try:
            return self.send(route, **request).status_code
        except Exception as error:  # noqa: BLE001 - what the suites look for
            logging.getLogger(__name__).warning("%s %s: %r", route.method, route.rule, error)
            return 500

    def still_logged_in(self) -> bool:
        return self.client.get("/settings").status_code == 200


@pytest.fixture(scope="module")
def hostile(app, sandbox_app) -> Caller:
    """A logged-in merchant with a catalog, links and runs, free of the API rate limit for the module."""
    from tests.support.api import seed_catalog
    from tests.support.journeys import install_shop

    saved = app.config["RATELIMIT_API"]
    app.config["RATELIMIT_API"] = "1000000 per minute"  # thousands of calls from one key, on purpose
    try:
        client = app.test_client()
        tenant_id = install_shop(client, f"hostile-{uuid.uuid4().hex[:10]}.myshopify.com")
        yield Caller(app, client, tenant_id, seed_catalog(app, tenant_id, products=3, variants=2))
    finally:
        app.config["RATELIMIT_API"] = saved
