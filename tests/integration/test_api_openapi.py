"""The OpenAPI document: valid OpenAPI 3, generated from the code, covering every API route."""
from __future__ import annotations

import re

from openapi_spec_validator import validate


def test_document_is_valid_openapi_3(app):
    spec = app.test_client().get("/api/openapi.json").get_json()
    validate(spec)
    assert spec["openapi"].startswith("3.")
    assert spec["components"]["securitySchemes"]["apiKey"] == {"type": "http", "scheme": "bearer"}
    assert spec["security"] == [{"apiKey": []}]


def test_every_api_route_is_documented_with_the_error_body(app):
    spec = app.test_client().get("/api/openapi.json").get_json()
    documented = {(path, method.upper()) for path, item in spec["paths"].items() for method in item
                  if method != "parameters"}
    routes = {(re.sub(r"<(?:[^:<>]+:)?([^<>]+)>", r"{\1}", rule.rule), method)
              for rule in app.url_map.iter_rules() if rule.rule.startswith("/api/") and rule.endpoint.startswith("api_")
              for method in rule.methods - {"HEAD", "OPTIONS"}}
    assert routes == documented
    error = spec["components"]["schemas"]["Error"]
    assert error["required"] == ["error"]
    detail = spec["components"]["schemas"]["ErrorDetail"]
    assert set(detail["properties"]) == {"status", "title", "message", "fields"}
    for item in spec["paths"].values():
        for method, operation in item.items():
            if method != "parameters":
                assert operation["responses"]["default"] == {"$ref": "#/components/responses/DEFAULT_ERROR"}
