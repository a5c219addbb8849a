"""A JSON-over-HTTP server on 127.0.0.1 in a background thread, for the scripted test servers.

The scripted OpenAI server (``support.scripted_server``) and the long-context one
(``tests/longctx/longctx_server.py``) differ only in what they answer; the handler basics and the
server's life (a free port, a thread, shutdown) live here.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any


class JsonHandler(BaseHTTPRequestHandler):
    """A request handler that reads and sends JSON bodies and logs nothing."""

    def log_message(self, *args: Any) -> None:
        """Keep test output clean."""

    def read_json(self) -> Any:
        """The request's JSON body."""
        return json.loads(self.rfile.read(int(self.headers["Content-Length"])))

    def send_json(self, status: int, payload: Any) -> None:
        """Answer ``status`` with ``payload`` as a JSON body."""
        data = json.dumps(payload).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)


class _Server(ThreadingHTTPServer):
    # Read by listen() at bind time: many concurrent clients (a bench at --concurrency 32) would
    # otherwise overflow the default backlog of 5 and wait for SYN retries.
    request_queue_size = 128


@contextmanager
def serve_threaded(handler: type[BaseHTTPRequestHandler]) -> Iterator[str]:
    """Serve ``handler`` on a free port of 127.0.0.1 until the block ends; yield the ``/v1`` URL."""
    server = _Server(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}/v1"
    finally:
        server.shutdown()
        server.server_close()
