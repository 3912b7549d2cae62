"""One error body for every API failure: {"error": {"status", "title", "message", "fields"?}}.

The shape is the one shopsync.web gives JSON callers, so a client handles a 404
from an unknown URL and a 422 from a bad field the same way.
"""
from __future__ import annotations

import time

import marshmallow as ma
from flask import jsonify
from flask_wtf.csrf import CSRFError
from werkzeug.exceptions import HTTPException

from ..extensions import limiter
from ..web import ERROR_TITLES

TITLES = {**ERROR_TITLES, 409: "Conflict", 415: "Unsupported media type", 422: "Some fields are not valid"}
CSRF_MESSAGE = "Requests that change data with a session cookie must send the X-CSRFToken header."


class ErrorDetailSchema(ma.Schema):
    status = ma.fields.Integer(required=True)
    title = ma.fields.String(required=True)
    message = ma.fields.String(required=True)
    fields = ma.fields.Dict(keys=ma.fields.String(), values=ma.fields.String(),
                            metadata={"description": "What is wrong with each field, by field name"})


class ErrorSchema(ma.Schema):
    error = ma.fields.Nested(ErrorDetailSchema, required=True)


def error_response(status: int, message: str | None = None, fields: dict[str, str] | None = None,
                   headers: dict[str, str] | None = None):
    title = TITLES.get(status, "Error")
    body = {"status": status, "title": title, "message": message or title}
    if fields:
        body["fields"] = fields
    response = jsonify(error=body)
    response.status_code = status
    response.headers.update(headers or {})
    return response


def handle_http_exception(error: HTTPException):
    """Errors raised in API views, their argument parsing (webargs) or before_request hooks."""
    if isinstance(error, CSRFError):
        return error_response(403, CSRF_MESSAGE)
    data = getattr(error, "data", None) or {}
    fields = flatten_messages(data["messages"]) if "messages" in data else None
    message = data.get("message") or (error.description if error.description != type(error).description else None)
    if fields and not data.get("message"):
        message = "Check these fields: " + ", ".join(sorted(fields)) + "."
    headers = dict(data.get("headers") or {})
    if error.code == 401:
        headers.setdefault("WWW-Authenticate", 'Bearer realm="ShopSync API"')
    if error.code == 429:
        headers.update(_retry_after())
        message = (f"Too many requests for this API key or user (limit: {error.description}). "
                   f"Retry after {headers.get('Retry-After', 'a few')} seconds.")
    return error_response(error.code or 500, message, fields, headers)


def flatten_messages(messages, prefix: str = "") -> dict[str, str]:
    """webargs/marshmallow messages ({"json": {"ids": {"0": ["Not a valid integer."]}}}) -> {"ids.0": "..."}."""
    if isinstance(messages, dict):
        flat: dict[str, str] = {}
        for key, value in messages.items():
            # The location level (json, query) says nothing a client needs: field names are unique per request.
            name = prefix if not prefix and key in ("json", "query", "path", "headers") else (
                f"{prefix}.{key}" if prefix else str(key))
            flat.update(flatten_messages(value, name))
        return flat
    if isinstance(messages, (list, tuple)):
        if all(isinstance(item, str) for item in messages):
            return {prefix or "_schema": " ".join(messages)}
        flat = {}
        for item in messages:
            flat.update(flatten_messages(item, prefix))
        return flat
    return {prefix or "_schema": str(messages)}


def _retry_after() -> dict[str, str]:
    limit = limiter.current_limit
    if limit is None:
        return {}
    return {"Retry-After": str(max(1, int(limit.reset_at - time.time())))}
