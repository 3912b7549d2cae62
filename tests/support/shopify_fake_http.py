"""A scripted HTTP server on loopback for Shopify client tests.

Tests queue the answers (status, JSON body, headers) the server gives, in order,
and read back what the client sent. Nothing here knows Shopify's rules: the
sandbox is for that; this is for exact error shapes and retry behaviour.
"""
from __future__ import annotations

import json
import threading
from collections import deque

import pytest
from werkzeug.serving import make_server
from werkzeug.wrappers import Request, Response


class ScriptedServer:
    def __init__(self):
        self.answers: deque = deque()
        self.requests: list[dict] = []
        self._lock = threading.Lock()
        self._server = make_server("127.0.0.1", 0, self._app, threaded=True)
        self.url = f"http://127.0.0.1:{self._server.server_port}"
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)
        self._thread.start()

    def answer(self, status: int = 200, body=None, headers: dict | None = None,
               raw: bytes | None = None) -> "ScriptedServer":
        self.answers.append((status, body, headers or {}, raw))
        return self

    def _app(self, environ, start_response):
        request = Request(environ)
        with self._lock:
            self.requests.append({"method": request.method, "path": request.path,
                                  "headers": dict(request.headers), "form": request.form.to_dict(),
                                  "json": request.get_json(silent=True),
                                  "args": request.args.to_dict()})
            status, body, headers, raw = self.answers.popleft() if self.answers else (
                500, {"errors": "no scripted answer"}, {}, None)
        payload = raw if raw is not None else json.dumps(body).encode()
        response = Response(payload, status=status, headers=headers,
                            content_type="application/json")
        return response(environ, start_response)

    def reset(self) -> "ScriptedServer":
        with self._lock:
            self.answers.clear()
            self.requests.clear()
        return self

    def stop(self) -> None:
        self._server.shutdown()


@pytest.fixture(scope="module")
def scripted_server():
    server = ScriptedServer()
    yield server
    server.stop()


@pytest.fixture
def server(scripted_server):
    """A ScriptedServer with no answers queued and no requests recorded."""
    return scripted_server.reset()
