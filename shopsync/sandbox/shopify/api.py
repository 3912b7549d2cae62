"""One Admin GraphQL request: token, faults, validation, cost and bucket, execution."""
from __future__ import annotations

import time
from typing import Any

from graphql import OperationDefinitionNode, OperationType, execute
from graphql.execution.values import get_variable_values

from .cost import MAX_COST, CostWalker, max_cost_error
from .graph import Context
from .root import full_root
from .sandbox import ShopifySandbox
from .schema import admin_schema, checked_document, shopify_error
from .scopes import allowed_scopes

INVALID_TOKEN = {"errors": "[API] Invalid API key or access token (unrecognized login or wrong password)"}
THROTTLED_DOCS = "https://shopify.dev/api/usage/limits#rate-limits"


def _type_of(value: Any, info, abstract_type) -> str | None:
    return getattr(value, "typename", None) or (value.get("__typename") if isinstance(value, dict) else None)


def _throttled(requested: int, bucket_status: dict) -> dict:
    return {
        "errors": [{"message": "Throttled",
                    "extensions": {"code": "THROTTLED", "documentation": THROTTLED_DOCS}}],
        "extensions": {"cost": {"requestedQueryCost": requested, "actualQueryCost": None,
                                "throttleStatus": bucket_status}},
    }


def handle(sandbox: ShopifySandbox, domain: str, version: str, token: str | None, payload: Any,
           base_url: str) -> tuple[int, Any, dict]:
    """Returns (status, JSON body, extra headers)."""
    started = time.time()
    log = {"shop": domain, "api_version": version, "operation": None, "requested_cost": None,
           "actual_cost": None, "throttled": False, "status": 200, "fault": None}

    def done(status: int, body: Any, headers: dict | None = None):
        log.update(status=status, duration=time.time() - started)
        sandbox.record_request(**log)
        return status, body, headers or {}

    with sandbox.lock:
        sandbox.base_url = base_url
        access = sandbox.authenticate(domain, token)
        faults = sandbox.faults.draw(domain) if access else []
    struck = _strike(faults, log)
    if struck:
        return done(*struck)
    if access is None:
        return done(401, INVALID_TOKEN)

    if not isinstance(payload, dict) or not isinstance(payload.get("query"), str):
        return done(400, {"errors": {"query": "Required parameter missing or invalid"}})
    document, errors = checked_document(payload["query"])
    if errors:
        return done(200, {"errors": [shopify_error(e) for e in errors]})
    operations = [d for d in document.definitions if isinstance(d, OperationDefinitionNode)]
    name = payload.get("operationName")
    operation = next((o for o in operations if name is None or (o.name and o.name.value == name)), None)
    if operation is None or (name is None and len(operations) > 1):
        return done(200, {"errors": [{"message": "An operation name is required" if operation else
                                      f'No operation named "{name}"', "extensions": {"code": "OPERATION_NOT_FOUND"}}]})
    log["operation"] = operation.operation.value
    schema = admin_schema()
    raw_variables = payload.get("variables") or {}
    variables = get_variable_values(schema, operation.variable_definitions or (), raw_variables)
    if isinstance(variables, list):
        return done(200, {"errors": [shopify_error(e) for e in variables]})
    fragments = {d.name.value: d for d in document.definitions if hasattr(d, "type_condition")
                 and not isinstance(d, OperationDefinitionNode)}
    walker = CostWalker(schema, fragments, variables)
    requested = walker.operation(operation)
    log["requested_cost"] = requested
    if walker.errors:
        return done(200, {"errors": [shopify_error(e) for e in walker.errors]})
    if requested > MAX_COST:
        return done(200, {"errors": [max_cost_error(requested)]})

    fields = frozenset(f.name.value for f in operation.selection_set.selections if hasattr(f, "name"))
    with sandbox.lock:
        targeted = sandbox.faults.draw(domain, fields)
    struck = _strike(targeted, log)
    if struck:
        return done(*struck)
    faults += targeted
    with sandbox.lock:
        shop = sandbox.shop(domain)
        if fault_throttle := any(f.kind == "throttle" for f in faults):
            log["fault"] = "throttle"
        if fault_throttle or not shop.bucket.reserve(requested):
            log["throttled"] = True
            return done(200, _throttled(requested, shop.bucket.status()))
        ctx = Context(shop, sandbox, base_url, version, allowed_scopes(access.scope))
        result = execute(schema, document, root_value=full_root(ctx), variable_values=raw_variables,
                         operation_name=name, type_resolver=_type_of)
        if operation.operation == OperationType.MUTATION:
            actual = requested
        else:
            actual = CostWalker(schema, fragments, variables).operation(operation, data=result.data or {})
        shop.bucket.refund(requested - actual)
        status = shop.bucket.status()
    log["actual_cost"] = actual
    body: dict = {}
    if result.errors:
        body["errors"] = [shopify_error(e) for e in result.errors]
    body["data"] = result.data
    body["extensions"] = {"cost": {"requestedQueryCost": requested, "actualQueryCost": actual,
                                   "throttleStatus": status}}
    with sandbox.lock:
        late = sandbox.faults.draw(domain, fields, after=True)
    return done(*(_strike(late, log) or (200, body)))


def _strike(faults: list, log: dict) -> tuple[int, Any, dict] | None:
    """Sleep for slow faults, then the answer of the first fault that replaces one (None: answer normally)."""
    for fault in faults:
        if fault.kind == "slow":
            time.sleep(fault.seconds)
            log["fault"] = "slow"
    for fault in faults:
        if fault.kind == "unauthorized":
            log["fault"] = "unauthorized"
            return 401, INVALID_TOKEN, {}
        if fault.kind == "http":
            log["fault"] = f"http {fault.status}" + (" after running" if fault.after else "")
            headers = {"Retry-After": str(fault.retry_after if fault.retry_after is not None else 2)} \
                if fault.status == 429 else {}
            message = "Exceeded 2 calls per second for api client. Reduce request rates to resume uninterrupted " \
                      "service." if fault.status == 429 else "Internal error. Looks like something went wrong on " \
                                                             "our end."
            return fault.status, {"errors": message}, headers
    return None
