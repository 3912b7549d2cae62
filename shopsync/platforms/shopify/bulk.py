"""Bulk operations: the full-catalog export that does not spend bucket points.

Start a bulk query, wait for it (poll, or the bulk_operations/finish webhook
then one status read), and stream the JSONL result line by line: the file can
be gigabytes, so it is never held in memory. catalog.rows_from_bulk_lines turns
the lines into rows.
"""
from __future__ import annotations

import json
import time
from collections.abc import Iterator
from dataclasses import dataclass

import requests

from shopsync.platforms.http import DEFAULT_TIMEOUT, PermanentError, TransientError
from shopsync.platforms.shopify.admin import AdminClient
from shopsync.platforms.shopify.queries import BULK_OPERATION_RUN_QUERY, BULK_OPERATION_STATUS

FINISHED = frozenset({"COMPLETED", "FAILED", "CANCELED", "EXPIRED"})


@dataclass(frozen=True)
class BulkResult:
    id: str
    status: str
    error_code: str | None
    object_count: int | None
    url: str | None  # None when the query matched nothing
    partial_data_url: str | None

    @property
    def completed(self) -> bool:
        return self.status == "COMPLETED"


def start_bulk_query(client: AdminClient, inner_query: str) -> str:
    data = client.execute(BULK_OPERATION_RUN_QUERY, {"query": inner_query})
    operation = data["bulkOperationRunQuery"]["bulkOperation"]
    if not operation:
        raise PermanentError("Shopify did not start the bulk operation")
    return operation["id"]


def bulk_status(client: AdminClient, operation_id: str) -> BulkResult:
    node = client.execute(BULK_OPERATION_STATUS, {"id": operation_id}).get("node")
    if not node:
        raise PermanentError("bulk operation not found")
    count = node.get("objectCount")
    return BulkResult(id=node["id"], status=node["status"], error_code=node.get("errorCode"),
                      object_count=int(count) if count is not None else None,
                      url=node.get("url"), partial_data_url=node.get("partialDataUrl"))


def wait_for_bulk(client: AdminClient, operation_id: str, poll_interval: float = 2.0,
                  timeout: float = 3600.0, sleep=time.sleep, clock=time.monotonic) -> BulkResult:
    """Poll until the operation finishes; TransientError if it outlives `timeout`."""
    deadline = clock() + timeout
    while True:
        result = bulk_status(client, operation_id)
        if result.status in FINISHED:
            return result
        if clock() + poll_interval > deadline:
            raise TransientError(f"bulk operation still {result.status} after {timeout:.0f}s",
                                 code=result.status)
        sleep(poll_interval)


def iter_jsonl(session: requests.Session, url: str | None,
               timeout=DEFAULT_TIMEOUT) -> Iterator[dict]:
    """Each line of a bulk result file as a dict, read from the network as it streams.

    The URL is a pre-signed download link: no Shopify token is sent with it.
    """
    if not url:
        return
    try:
        with session.get(url, stream=True, timeout=timeout) as response:
            if response.status_code >= 500:
                raise TransientError(f"bulk result download HTTP {response.status_code}",
                                     code=response.status_code)
            if response.status_code != 200:
                # Links expire after 7 days; the export has to be run again.
                raise PermanentError(f"bulk result download HTTP {response.status_code}",
                                     code=response.status_code)
            for line in response.iter_lines(chunk_size=64 * 1024):
                if line.strip():
                    yield json.loads(line)
    except (requests.Timeout, requests.ConnectionError) as exc:
        raise TransientError(f"bulk result download interrupted: {type(exc).__name__}",
                             code=type(exc).__name__) from None
