"""The JSON API under /api: per-tenant API keys or the logged-in session, OpenAPI 3 at /api/openapi.json.

Resources live one per module; this module wires them into the app: the OpenAPI
generator (flask-smorest), authentication, CSRF for session callers, the rate
limit per key and one error body for every failure.
"""
from __future__ import annotations

from flask import Flask, current_app
from flask_smorest import Api
from werkzeug.exceptions import default_exceptions

from ..extensions import csrf, limiter
from . import integrations, links, listings, logs, orders, products, runs
from .auth import require_caller, rate_limit_key
from .errors import ErrorSchema, handle_http_exception
from .fields import FIELD_TYPES

BLUEPRINTS = (integrations.blp, products.blp, links.blp, runs.blp, logs.blp, listings.blp, orders.blp)
API_VERSION = "1.0"
DESCRIPTION = (
    "ShopSync's JSON API. Authenticate with an API key from Settings: `Authorization: Bearer <key>`. "
    "Requests from a logged-in browser session work too; those that change data must send the "
    "`X-CSRFToken` header. Lists come in pages (products by title, everything else newest first): "
    "pass `next_cursor` as `cursor` for the next page. Each API key has its own rate limit. "
    "Every error has the body `{\"error\": {\"status\", \"title\", \"message\", \"fields\"?}}`."
)


class ShopSyncApi(Api):
    ERROR_SCHEMA = ErrorSchema

    def _register_error_handlers(self):
        """Errors are answered per API blueprint, so the merchant's pages keep their HTML error pages."""


def _api_limit() -> str:
    return current_app.config["RATELIMIT_API"]


# One budget per API key (or per logged-in user) across every API endpoint.
_rate_limit = limiter.shared_limit(_api_limit, scope="api", key_func=rate_limit_key)
for _blueprint in BLUEPRINTS:
    _blueprint.before_request(require_caller)
    # Per status code: Flask prefers the app's handler for a code over a blueprint's for all HTTPExceptions.
    for _code in default_exceptions:
        _blueprint.register_error_handler(_code, handle_http_exception)
    _rate_limit(_blueprint)


def init_api(app: Flask) -> Api:
    app.config.setdefault("OPENAPI_URL_PREFIX", "/api")
    app.config.setdefault("OPENAPI_JSON_PATH", "openapi.json")
    api = ShopSyncApi(spec_kwargs={
        "title": "ShopSync API", "version": API_VERSION, "openapi_version": "3.0.3",
        "info": {"description": DESCRIPTION},
        "servers": [{"url": app.config["PUBLIC_URL"]}],
        "components": {"securitySchemes": {"apiKey": {"type": "http", "scheme": "bearer"}}},
        "security": [{"apiKey": []}],
    })
    for field, *openapi_type in FIELD_TYPES:
        api.register_field(field, *openapi_type)
    api.init_app(app)
    for blueprint in BLUEPRINTS:
        csrf.exempt(blueprint)  # bearer calls need none; require_caller checks session calls itself
        api.register_blueprint(blueprint)
    return api
