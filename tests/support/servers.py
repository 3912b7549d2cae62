"""Real HTTP servers on loopback for tests: the app and the sandbox, each on its own thread."""
from __future__ import annotations

import threading

from werkzeug.serving import make_server


class _Late:
    """A WSGI app set after the server is bound, so the app can be told its own URL."""

    def __init__(self):
        self.app = None

    def __call__(self, environ, start_response):
        return self.app(environ, start_response)


class LiveServer:
    def __init__(self):
        self._target = _Late()
        self._server = make_server("127.0.0.1", 0, self._target, threaded=True)
        self.url = f"http://127.0.0.1:{self._server.server_port}"
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)

    def start(self, wsgi_app) -> "LiveServer":
        self._target.app = wsgi_app
        self._thread.start()
        return self

    def stop(self) -> None:
        self._server.shutdown()
