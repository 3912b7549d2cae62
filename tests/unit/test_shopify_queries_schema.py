"""Every GraphQL document ShopSync sends must be valid in Shopify's published Admin schemas.

Checked against both the 2025-01 introspection and the unstable SDL, so a field that
exists in only one of them cannot slip in. New str constants in queries.py are picked
up automatically, and so are those of orders.py (TikTok orders into Shopify).
"""
from __future__ import annotations

import gzip
import json
from pathlib import Path

import pytest
from graphql import GraphQLSchema, build_client_schema, build_schema, extend_schema, parse, validate

from shopsync.platforms.shopify import orders, queries

ROOT = Path(__file__).resolve().parents[2]
SCHEMA_DIRS = [ROOT.parent / "shared" / "platforms" / "shopify-admin-schema",
               ROOT / "tests" / "data", ROOT / "shopsync" / "sandbox" / "shopify" / "data"]
JSON_NAME = "admin_schema_2025-01.json"
SDL_NAME = "admin_schema_unstable_2025-10-09.graphql"


def _read(name: str) -> str:
    for folder in SCHEMA_DIRS:
        if (folder / name).exists():
            return (folder / name).read_text(encoding="utf-8")
        if (folder / f"{name}.gz").exists():
            return gzip.decompress((folder / f"{name}.gz").read_bytes()).decode("utf-8")
    pytest.fail(f"{name} not found in {SCHEMA_DIRS}")


# Shopify's schemas break graphql-core's newer rule that an implementation field may
# only be deprecated if the interface field is; that says nothing about documents,
# so the schemas are taken as valid.
# @idempotent(key:) arrived in 2026-01, after both published schemas: added as Shopify documents it.
IDEMPOTENT = "directive @idempotent(key: String!) on FIELD"


@pytest.fixture(scope="session")
def admin_schemas() -> dict[str, GraphQLSchema]:
    return {
        "2025-01": extend_schema(build_client_schema(json.loads(_read(JSON_NAME))["data"], assume_valid=True),
                                 parse(IDEMPOTENT), assume_valid=True),
        "unstable": build_schema(_read(SDL_NAME) + "\n" + IDEMPOTENT, assume_valid=True),
    }


DOCUMENTS = {name: value for module in (queries, orders) for name, value in vars(module).items()
             if name.isupper() and not name.startswith("_") and isinstance(value, str)}


def test_every_document_constant_is_collected():
    assert {"PRODUCTS_PAGE", "PRODUCT_BY_ID", "BULK_PRODUCTS", "BULK_INVENTORY_LEVELS",
            "WEBHOOK_SUBSCRIPTION_CREATE", "BULK_OPERATION_STATUS", "ORDER_CREATE", "FIND_ORDER_BY_SOURCE",
            "ORDER_CANCEL", "REFUND_CREATE", "FULFILLMENT_ORDER_HOLD"} <= set(DOCUMENTS)


# Documents using fields added after 2025-01 (see queries.py): checked against the newer schema only.
NEWER_THAN_2025_01 = {"WEBHOOK_SUBSCRIPTION_CREATE", "WEBHOOK_SUBSCRIPTIONS", "ORDER_CANCEL"}
CASES = [(name, version) for name in sorted(DOCUMENTS) for version in ("2025-01", "unstable")
         if not (version == "2025-01" and name in NEWER_THAN_2025_01)]


@pytest.mark.parametrize(("name", "version"), CASES)
def test_document_is_valid(admin_schemas, name, version):
    errors = validate(admin_schemas[version], parse(DOCUMENTS[name]))
    assert not errors, [e.message for e in errors]


def test_schema_rejects_an_unknown_field(admin_schemas):
    document = parse("{ products(first: 1) { nodes { id notAField } } }")
    for schema in admin_schemas.values():
        assert validate(schema, document)


@pytest.mark.parametrize("name", ["BULK_PRODUCTS", "BULK_INVENTORY_LEVELS"])
def test_bulk_documents_follow_bulk_rules(name):
    """At most 5 connections, nested at most 2 deep, no page arguments."""
    document = parse(DOCUMENTS[name])
    connections = []

    def walk(selection_set, depth):
        for field in selection_set.selections:
            assert not any(a.name.value in ("first", "last", "after") for a in
                           getattr(field, "arguments", None) or ())
            inner = field.selection_set
            if inner is None:
                continue
            is_connection = any(getattr(f, "name", None) and f.name.value == "edges"
                                for f in inner.selections)
            if is_connection:
                connections.append(depth + 1)
            walk(inner, depth + (1 if is_connection else 0))

    walk(document.definitions[0].selection_set, 0)
    assert 1 <= len(connections) <= 5
    assert max(connections) <= 2
