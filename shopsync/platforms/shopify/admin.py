"""Shopify Admin GraphQL client: cost-aware throttling, retries, error classes.

One client per shop and token. Before each request it reserves the request's
estimated cost from the shop's bucket mirror (throttle.py), then sends; every
answer re-syncs the mirror. Failures map onto the engine's error classes:
THROTTLED/429/5xx/timeouts are retried here and end as TransientError; 401/403
and ACCESS_DENIED are AuthError (refresh the token or re-authorize); everything
else, including mutation userErrors, is PermanentError.
"""
from __future__ import annotations

import time
from collections.abc import Iterator, Sequence

import requests

from shopsync.platforms.http import (
    DEFAULT_TIMEOUT,
    AuthError,
    PermanentError,
    TransientError,
    backoff_delay,
    new_session,
    reading_answer,
)
from shopsync.platforms.shopify.cost import QueryCostMemo
from shopsync.platforms.shopify.throttle import CostBucket, InMemoryCostBucket, ThrottleStatus

_shared_costs = QueryCostMemo()

_RETRYABLE_CODES = {"INTERNAL_SERVER_ERROR", "SERVICE_UNAVAILABLE"}
ACCESS_DENIED = "ACCESS_DENIED"  # the token's grant lacks a scope the query needs
_AUTH_CODES = {ACCESS_DENIED, "UNAUTHORIZED", "FORBIDDEN"}


class ShopifyUserErrors(PermanentError):
    """A mutation answered with userErrors; `user_errors` holds them as sent."""

    def __init__(self, message: str, user_errors: list[dict], **kwargs):
        super().__init__(message, **kwargs)
        self.user_errors = user_errors


class _Retry(Exception):
    def __init__(self, error: TransientError, delay: float | None):
        super().__init__(error.message)
        self.error = error
        self.delay = delay


def _retry_after(response: requests.Response) -> float | None:
    value = response.headers.get("Retry-After")
    try:
        return max(0.0, float(value)) if value else None
    except ValueError:
        return None


def _user_errors(data: dict) -> list[dict]:
    return [error for root in data.values() if isinstance(root, dict)
            for error in root.get("userErrors") or ()]


def _page_of(data: dict, keys: list[str]) -> tuple[dict | None, list, dict]:
    """The connection at `keys`, its nodes and its pageInfo. GraphQL answers every field asked for, so a
    missing one is a malformed answer (read as "no more items" it would make an import remove them all);
    a null on the way is real: the parent is gone."""
    connection = data
    for key in keys:
        connection = connection[key]
        if connection is None:
            return None, [], {}
    nodes = connection["nodes"] if "nodes" in connection else [edge["node"] for edge in connection["edges"]]
    if not isinstance(nodes, list):
        raise TypeError("nodes is not a list")
    return connection, nodes, connection["pageInfo"]


class AdminClient:
    def __init__(self, base_url: str, access_token: str, api_version: str,
                 session: requests.Session | None = None, bucket: CostBucket | None = None,
                 timeout=DEFAULT_TIMEOUT, max_attempts: int = 5, max_throttle_waits: int = 20,
                 costs: QueryCostMemo | None = None, sleep=time.sleep):
        self.endpoint = f"{base_url}/admin/api/{api_version}/graphql.json"
        self._token = access_token
        self._session = session or new_session()
        self._bucket = bucket or InMemoryCostBucket()
        self._timeout = timeout
        self._max_attempts = max_attempts
        self._max_throttle_waits = max_throttle_waits
        self._costs = costs or _shared_costs
        self._sleep = sleep

    def __repr__(self) -> str:
        return f"<AdminClient {self.endpoint}>"

    def execute(self, query: str, variables: dict | None = None, *, attempts: int | None = None) -> dict:
        """Run one document; returns `data`. Raises PlatformError subclasses.

        `attempts=1` for a mutation that must not be sent twice (orderCreate): a timeout or 5xx,
        whose effect is unknown, is raised instead of retried; throttling, which ran nothing, is waited out.
        """
        max_attempts = attempts or self._max_attempts
        failures = throttles = 0
        while True:
            cost = self._costs.estimate(query, variables)
            self._wait_for_room(cost)
            try:
                return self._send(query, variables, cost)
            except _Retry as retry:
                if retry.error.code == "THROTTLED":
                    throttles += 1
                    exhausted = throttles >= self._max_throttle_waits
                else:
                    failures += 1
                    exhausted = failures >= max_attempts
                if exhausted:
                    raise retry.error from None
                delay = retry.delay if retry.delay is not None else backoff_delay(failures - 1)
                if delay > 0:
                    self._sleep(delay)

    def paginate(self, query: str, variables: dict | None = None,
                 path: str | Sequence[str] = ()) -> Iterator[dict]:
        """Nodes of the connection at `path` (e.g. "products"), page by page via $after."""
        keys = path.split(".") if isinstance(path, str) else list(path)
        variables = dict(variables or {})
        while True:
            data = self.execute(query, variables)
            with reading_answer("Shopify Admin API"):
                connection, nodes, page = _page_of(data, keys)
            if connection is None:  # a parent that is gone now (a product deleted meanwhile)
                return
            yield from nodes
            if not page["hasNextPage"]:
                return
            variables["after"] = page["endCursor"]

    def _wait_for_room(self, cost: float) -> None:
        while (wait := self._bucket.reserve(cost)) > 0:
            self._sleep(wait)

    def _send(self, query: str, variables: dict | None, reserved: float) -> dict:
        try:
            response = self._session.post(
                self.endpoint, json={"query": query, "variables": variables or {}},
                headers={"X-Shopify-Access-Token": self._token, "Accept": "application/json"},
                timeout=self._timeout)
        except (requests.Timeout, requests.ConnectionError) as exc:
            raise _Retry(TransientError(f"Shopify Admin API unreachable: {type(exc).__name__}",
                                        code=type(exc).__name__), None) from None
        request_id = response.headers.get("X-Request-Id")
        status = response.status_code
        if status in (401, 403):
            raise AuthError(f"Shopify refused the access token (HTTP {status})",
                            code=status, request_id=request_id)
        if status == 429 or status >= 500:
            delay = _retry_after(response) if status == 429 else None
            raise _Retry(TransientError(f"Shopify Admin API HTTP {status}", code=status,
                                        request_id=request_id, retry_after=delay), delay)
        if status != 200:
            raise PermanentError(f"Shopify Admin API HTTP {status}", code=status,
                                 request_id=request_id)
        try:
            body = response.json()
        except (ValueError, RecursionError):
            body = None
        if not isinstance(body, dict):
            raise _Retry(TransientError("Shopify Admin API answered without JSON",
                                        code=status, request_id=request_id), None)
        with reading_answer("Shopify Admin API"):
            return self._read_body(body, query, variables, reserved, request_id)

    def _read_body(self, body: dict, query: str, variables: dict | None,
                   reserved: float, request_id: str | None) -> dict:
        cost = (body.get("extensions") or {}).get("cost") or {}
        status = ThrottleStatus.from_cost(cost)
        requested = cost.get("requestedQueryCost")
        if requested is not None:
            self._costs.remember(query, variables, requested)
        if status is not None:
            actual = cost.get("actualQueryCost")  # null when nothing ran (throttled)
            self._bucket.observe(status, refund=reserved - (actual or 0))

        errors = body.get("errors") or []
        codes = {(e.get("extensions") or {}).get("code") for e in errors if isinstance(e, dict)}
        message = "; ".join(str(e.get("message", ""))[:200] for e in errors[:3]
                            if isinstance(e, dict)) or "Shopify Admin API error"
        if "THROTTLED" in codes:
            # The mirror now holds Shopify's numbers and the memo the requested
            # cost, so reserving again waits (requested - available) / restoreRate.
            delay = 0.0 if status is not None else None
            raise _Retry(TransientError(message, code="THROTTLED", request_id=request_id), delay)
        if codes & _AUTH_CODES:
            raise AuthError(message, code=next(iter(codes & _AUTH_CODES)), request_id=request_id)
        if codes & _RETRYABLE_CODES:
            raise _Retry(TransientError(message, code=next(iter(codes & _RETRYABLE_CODES)),
                                        request_id=request_id), None)
        if errors:
            code = next((c for c in codes if c), None)
            raise PermanentError(message, code=code, request_id=request_id)

        data = body.get("data")
        if not isinstance(data, dict):  # an answer without errors always has data
            raise TypeError("data is not an object")
        user_errors = _user_errors(data)
        if user_errors:
            text = "; ".join(str(e.get("message", ""))[:200] for e in user_errors[:3])
            raise ShopifyUserErrors(text, user_errors,
                                    code=user_errors[0].get("code"), request_id=request_id)
        return data
