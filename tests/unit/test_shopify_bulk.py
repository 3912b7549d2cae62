from __future__ import annotations

import json
import multiprocessing
import tracemalloc
from concurrent.futures import ProcessPoolExecutor

import pytest
import requests
from werkzeug.serving import make_server
from werkzeug.wrappers import Response

from shopsync.platforms.http import PermanentError, TransientError
from shopsync.platforms.shopify import bulk, queries
from shopsync.platforms.shopify.admin import AdminClient
from shopsync.platforms.shopify.catalog import rows_from_bulk_lines
from shopsync.platforms.shopify.cost import QueryCostMemo
from tests.support.shopify_fake_http import scripted_server, server  # noqa: F401 (fixtures)

OP = "gid://shopify/BulkOperation/720918"


@pytest.fixture
def client(server):
    return AdminClient(server.url, "t", "2026-10", costs=QueryCostMemo(), sleep=lambda s: None)


def status(state, url=None):
    return {"data": {"node": {"id": OP, "status": state, "errorCode": None, "objectCount": "3",
                              "rootObjectCount": "1", "fileSize": None, "url": url,
                              "partialDataUrl": None, "completedAt": None}}}


def test_start_bulk_query_sends_the_inner_document(server, client):
    server.answer(200, {"data": {"bulkOperationRunQuery": {
        "bulkOperation": {"id": OP, "status": "CREATED"}, "userErrors": []}}})
    assert bulk.start_bulk_query(client, queries.BULK_PRODUCTS) == OP
    sent = server.requests[0]["json"]
    assert sent["query"] == queries.BULK_OPERATION_RUN_QUERY
    assert sent["variables"] == {"query": queries.BULK_PRODUCTS}


def test_start_refused_surfaces_user_errors(server, client):
    server.answer(200, {"data": {"bulkOperationRunQuery": {"bulkOperation": None, "userErrors": [
        {"field": None, "message": "A bulk query operation for this app and shop is already in progress",
         "code": "OPERATION_IN_PROGRESS"}]}}})
    with pytest.raises(PermanentError) as caught:
        bulk.start_bulk_query(client, queries.BULK_PRODUCTS)
    assert caught.value.code == "OPERATION_IN_PROGRESS"


def test_wait_polls_until_finished(server, client):
    server.answer(200, status("CREATED")).answer(200, status("RUNNING"))
    server.answer(200, status("COMPLETED", "https://storage.example/result.jsonl"))
    naps = []
    result = bulk.wait_for_bulk(client, OP, poll_interval=0.5, sleep=naps.append)
    assert result.completed and result.url == "https://storage.example/result.jsonl"
    assert result.object_count == 3 and naps == [0.5, 0.5]
    assert server.requests[0]["json"]["variables"] == {"id": OP}


def test_wait_gives_up_after_timeout(server, client):
    now = [0.0]
    for _ in range(5):
        server.answer(200, status("RUNNING"))
    with pytest.raises(TransientError):
        bulk.wait_for_bulk(client, OP, poll_interval=1.0, timeout=2.5,
                           sleep=lambda s: now.__setitem__(0, now[0] + s), clock=lambda: now[0])


def test_failed_and_missing_operations(server, client):
    server.answer(200, status("FAILED"))
    assert bulk.wait_for_bulk(client, OP).status == "FAILED"
    server.answer(200, {"data": {"node": None}})
    with pytest.raises(PermanentError):
        bulk.wait_for_bulk(client, OP)


LINES = 50_000


def _jsonl_app(environ, start_response):
    if environ["PATH_INFO"] == "/expired":
        return Response("AccessDenied", status=403)(environ, start_response)

    def body():
        for n in range(LINES):
            if n % 5 == 0:
                yield json.dumps({"id": f"gid://shopify/Product/{n}", "title": "T" * 40,
                                  "status": "ACTIVE", "updatedAt": "2026-11-25T10:00:00Z"}).encode() + b"\n"
            else:
                yield json.dumps({"id": f"gid://shopify/ProductVariant/{n}", "sku": f"SKU-{n}",
                                  "price": "19.99", "inventoryItem": {"id": f"gid://shopify/InventoryItem/{n}"},
                                  "__parentId": f"gid://shopify/Product/{n - n % 5}"}).encode() + b"\n"
    return Response(body(), mimetype="application/jsonl")(environ, start_response)


@pytest.fixture(scope="module")
def jsonl_url():
    """Served from a forked process: tracemalloc counts every thread of this one, so a server thread
    producing the file here would be measured as if the client held it."""
    httpd = make_server("127.0.0.1", 0, _jsonl_app, threaded=True)
    process = multiprocessing.get_context("fork").Process(target=httpd.serve_forever, daemon=True)
    process.start()
    yield f"http://127.0.0.1:{httpd.server_port}"
    process.terminate()
    process.join(10)
    httpd.server_close()


def _rows_and_peak_memory(url: str) -> tuple[dict, int]:
    tracemalloc.start()
    try:
        counts = {"ProductRow": 0, "VariantRow": 0}
        for row in rows_from_bulk_lines(bulk.iter_jsonl(requests.Session(), url)):
            counts[type(row).__name__] += 1
        return counts, tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()


def test_large_result_streams_in_bounded_memory(jsonl_url):
    # Measured in a fresh process: tracemalloc counts every thread, and threads other tests leave
    # running in this one (servers, workers) would be measured as if the reader held their memory.
    with ProcessPoolExecutor(1, mp_context=multiprocessing.get_context("spawn")) as child:
        counts, peak = child.submit(_rows_and_peak_memory, jsonl_url + "/result").result(timeout=120)
    assert counts == {"ProductRow": LINES // 5, "VariantRow": LINES - LINES // 5}
    # The file is ~7 MB; reading it must not hold more than a few chunks at once.
    assert peak < 2 * 1024 * 1024, peak


def test_download_errors(jsonl_url):
    with pytest.raises(PermanentError):
        list(bulk.iter_jsonl(requests.Session(), jsonl_url + "/expired"))
    with pytest.raises(TransientError):
        list(bulk.iter_jsonl(requests.Session(), "http://127.0.0.1:9/x"))
    assert list(bulk.iter_jsonl(requests.Session(), None)) == []
