"""Shopify's published Admin GraphQL schema, built once per process, and cached document checks.

The unstable SDL of 2025-10 is the closest published schema to the 2026-10 version ShopSync
pins (it has `WebhookSubscriptionInput.uri` and `groupObjects`). `bulkOperation(id:)` and the
`@idempotent(key:)` directive (refundCreate and the inventory mutations) arrived in 2026-01, after that
snapshot, so they are added here the same way Shopify documents them.
"""
from __future__ import annotations

import gzip
import re
import threading
from functools import lru_cache
from pathlib import Path

from graphql import (
    DocumentNode,
    GraphQLError,
    GraphQLSchema,
    build_schema,
    extend_schema,
    parse,
    validate,
)

_SDL = Path(__file__).with_name("data") / "admin_schema_unstable_2025-10-09.graphql.gz"
_ADDED_IN_2026_01 = """
extend type QueryRoot {
  bulkOperation(id: ID!): BulkOperation
}
directive @idempotent(key: String!) on FIELD
"""
_UNDEFINED_FIELD = re.compile(r"Cannot query field '(\w+)' on type '(\w+)'")
_lock = threading.Lock()
_schema: GraphQLSchema | None = None


def admin_schema() -> GraphQLSchema:
    global _schema
    if _schema is None:
        with _lock:
            if _schema is None:
                # Shopify's own SDL breaks graphql-core's deprecation-consistency rule (an interface
                # field not deprecated where an implementation is), so skip schema self-validation.
                sdl = gzip.decompress(_SDL.read_bytes()).decode("utf-8")
                base = build_schema(sdl, assume_valid=True, assume_valid_sdl=True)
                _schema = extend_schema(base, parse(_ADDED_IN_2026_01), assume_valid=True, assume_valid_sdl=True)
    return _schema


@lru_cache(maxsize=512)
def checked_document(text: str) -> tuple[DocumentNode | None, tuple[GraphQLError, ...]]:
    """Parse and validate once per distinct document text."""
    try:
        document = parse(text)
    except GraphQLError as error:
        return None, (error,)
    return document, tuple(validate(admin_schema(), document))


def shopify_error(error: GraphQLError) -> dict:
    """One entry of Shopify's top-level `errors` list."""
    entry: dict = {"message": error.message}
    if error.locations:
        entry["locations"] = [{"line": loc.line, "column": loc.column} for loc in error.locations]
    if error.path:
        entry["path"] = list(error.path)
    code = (error.extensions or {}).get("code")
    if code is None:
        code = "PARSE_ERROR" if error.message.startswith("Syntax Error") else "GRAPHQL_VALIDATION_FAILED"
        undefined = _UNDEFINED_FIELD.match(error.message)
        if undefined:
            # graphql-ruby's wording, which is what Shopify answers with
            entry["message"] = f"Field '{undefined[1]}' doesn't exist on type '{undefined[2]}'"
            code = "undefinedField"
            entry["extensions"] = {"code": code, "typeName": undefined[2], "fieldName": undefined[1]}
            return entry
    entry["extensions"] = {**(error.extensions or {}), "code": code}
    return entry
