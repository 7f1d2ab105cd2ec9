"""A real HTTP server on loopback that keeps every request it receives.

It stands where Alertmanager's webhook receiver, Grafana's annotation API or a Slack webhook
would be, so tests see exactly what went over the wire.
"""

from __future__ import annotations

import contextlib
import json
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from tools.processes import free_port


@dataclass
class Recorded:
    method: str
    path: str
    headers: dict[str, str]
    body: bytes

    def json(self) -> Any:
        return json.loads(self.body)


@dataclass
class Recorder:
    base_url: str
    requests: list[Recorded] = field(default_factory=list)
    #: What to answer: status and JSON body, by method.
    responses: dict[str, tuple[int, Any]] = field(default_factory=dict)
    #: Answers for one method and path (query string ignored); they win over `responses`.
    routes: dict[tuple[str, str], tuple[int, Any]] = field(default_factory=dict)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def wait_for(self, n: int, timeout_s: float = 30, path: str | None = None) -> list[Recorded]:
        deadline = time.monotonic() + timeout_s
        while time.monotonic() < deadline:
            with self.lock:
                got = [r for r in self.requests if path is None or r.path == path]
            if len(got) >= n:
                return got
            time.sleep(0.05)
        raise TimeoutError(f"expected {n} requests at {path or '*'}, got {len(got)}")


class QuietHandler(BaseHTTPRequestHandler):
    """A request handler that answers in one call and writes no access log to stderr."""

    def answer(self, status: int, body: bytes, content_type: str = "application/json") -> None:
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, format: str, *args: Any) -> None:
        pass


@contextlib.contextmanager
def serving(handler: type[BaseHTTPRequestHandler], port: int | None = None) -> Iterator[str]:
    """The handler served on loopback (a free port unless given) from a daemon thread; yields
    the base URL and shuts the server down after."""
    port = port or free_port()
    server = ThreadingHTTPServer(("127.0.0.1", port), handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.shutdown()
        server.server_close()


@contextlib.contextmanager
def recording_server() -> Iterator[Recorder]:
    port = free_port()
    recorder = Recorder(base_url=f"http://127.0.0.1:{port}")

    class Handler(QuietHandler):
        def _handle(self) -> None:
            length = int(self.headers.get("Content-Length") or 0)
            body = self.rfile.read(length) if length else b""
            with recorder.lock:
                recorder.requests.append(
                    Recorded(self.command, self.path, dict(self.headers.items()), body)
                )
            route = (self.command, self.path.split("?", 1)[0])
            status, payload = recorder.routes.get(
                route, recorder.responses.get(self.command, (200, {"ok": True}))
            )
            self.answer(status, json.dumps(payload).encode())

        do_POST = do_PATCH = do_PUT = do_GET = do_DELETE = _handle

    with serving(Handler, port):
        yield recorder
