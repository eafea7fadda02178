"""A real HTTP server that plays models.dev: serves a catalogue at ``/api.json`` on 127.0.0.1.

    with ModelsDevServer(Path("tests/fixtures/models-dev.json")) as server:
        server.url            # http://127.0.0.1:<port>/api.json
        server.request_count  # GET requests seen so far (redirect hops included)
        server.fail_with(500) # then: every request answers HTTP 500

It answers conditional requests (ETag / Last-Modified) with 304 and redirects
``/moved.json`` to ``/api.json``. It can be switched to misbehave: a status code, a delay
before answering, a malformed or truncated body, a body dripped out slowly, a body without
Content-Length, an endless redirect loop, or no server at all (refused connections).
``reset_faults()`` makes it behave again (except after ``refuse_connections()``).
"""

from __future__ import annotations

import hashlib
import json
import socket
import sys
import threading
import time
from collections.abc import Callable
from email.utils import formatdate, parsedate_to_datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

FIXTURE = Path(__file__).resolve().parents[1] / "fixtures" / "models-dev.json"
CATALOGUE_PATH = "/api.json"
MOVED_PATH = "/moved.json"  # answers 301 to CATALOGUE_PATH


def fixture_catalogue(change: Callable[[dict], object]) -> bytes:
    """The project's fixture catalogue after ``change(catalogue)``, as bytes to serve."""
    catalogue = json.loads(FIXTURE.read_text(encoding="utf-8"))
    change(catalogue)
    return json.dumps(catalogue).encode()


class ModelsDevServer:
    def __init__(self, catalogue: Path | bytes) -> None:
        """Serve ``catalogue`` (a file or the bytes themselves); start it with ``with``."""
        self._lock = threading.Lock()
        self.requests: list[dict[str, Any]] = []
        self.set_catalogue(catalogue)
        self.reset_faults()
        self._httpd: ThreadingHTTPServer | None = None
        self._thread: threading.Thread | None = None
        self._stopped = False

    # ── Content ────────────────────────────────────────────────────────────

    def set_catalogue(self, catalogue: Path | bytes) -> None:
        """Serve new content, with a new ETag and Last-Modified."""
        body = catalogue.read_bytes() if isinstance(catalogue, Path) else bytes(catalogue)
        with self._lock:
            self.body = body
            self.etag = '"' + hashlib.sha256(body).hexdigest()[:16] + '"'
            self.last_modified = formatdate(time.time(), usegmt=True)

    # ── Faults ─────────────────────────────────────────────────────────────

    def reset_faults(self) -> None:
        self.status = 200
        self.delay = 0.0
        self.malformed = False
        self.truncated = False
        self.drip_pause = 0.0
        self.redirect_loop = False
        self.send_validators = True
        self.no_length = False

    def fail_with(self, status: int) -> None:
        self.status = status

    def delay_by(self, seconds: float) -> None:
        """Wait ``seconds`` before sending anything."""
        self.delay = seconds

    def serve_malformed(self) -> None:
        """Answer 200 with a body that is not JSON."""
        self.malformed = True

    def serve_truncated(self) -> None:
        """Announce the full Content-Length, send half the body, close the connection."""
        self.truncated = True

    def drip(self, pause: float) -> None:
        """Send the headers at once, then the body in 10 pieces with ``pause`` seconds between."""
        self.drip_pause = pause

    def loop_redirects(self) -> None:
        """Answer every request with a redirect to another URL on this server, forever."""
        self.redirect_loop = True

    def hide_length(self) -> None:
        """Send the body without Content-Length, ending it by closing the connection."""
        self.no_length = True

    def refuse_connections(self) -> None:
        """Stop listening: from now on a request meets a refused connection (``__exit__`` still works)."""
        if self._httpd is not None and not self._stopped:
            self._stopped = True
            self._httpd.shutdown()
            self._httpd.server_close()

    # ── Introspection ──────────────────────────────────────────────────────

    @property
    def request_count(self) -> int:
        with self._lock:
            return len(self.requests)

    @property
    def conditional_requests(self) -> list[dict[str, Any]]:
        with self._lock:
            return [r for r in self.requests if "if-none-match" in r["headers"] or "if-modified-since" in r["headers"]]

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}{CATALOGUE_PATH}"

    @property
    def port(self) -> int:
        if self._httpd is None:
            raise RuntimeError("the server is not running: use it as a context manager")
        return self._httpd.server_address[1]

    # ── Lifecycle ──────────────────────────────────────────────────────────

    def __enter__(self) -> ModelsDevServer:
        self._httpd = _QuietServer(("127.0.0.1", 0), _handler_for(self))
        self._thread = threading.Thread(
            target=self._httpd.serve_forever, kwargs={"poll_interval": 0.05}, name="models-dev-server", daemon=True
        )
        self._thread.start()
        return self

    def __exit__(self, *exc_info: object) -> None:
        assert self._httpd is not None and self._thread is not None
        if not self._stopped:
            self._httpd.shutdown()
            self._httpd.server_close()
        self._thread.join(timeout=5)

    def _record(self, handler: BaseHTTPRequestHandler) -> None:
        with self._lock:
            self.requests.append(
                {"path": handler.path, "headers": {key.lower(): value for key, value in handler.headers.items()}}
            )

    def _not_modified(self, headers: dict[str, str]) -> bool:
        if "if-none-match" in headers:
            return self.etag in [tag.strip() for tag in headers["if-none-match"].split(",")]
        if "if-modified-since" in headers:
            try:
                return parsedate_to_datetime(headers["if-modified-since"]) >= parsedate_to_datetime(self.last_modified)
            except (TypeError, ValueError):
                return False
        return False


class _QuietServer(ThreadingHTTPServer):
    daemon_threads = True
    block_on_close = False
    request_queue_size = 64  # many clients at once (concurrency tests): none waits for a SYN retry

    def handle_error(self, request: Any, client_address: Any) -> None:
        # A client that hangs up early (a timeout, a size limit) is what some tests want;
        # a traceback on stderr would land in the output those tests inspect.
        if not isinstance(sys.exc_info()[1], ConnectionError):
            super().handle_error(request, client_address)


def _handler_for(server: ModelsDevServer) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def do_GET(self) -> None:  # noqa: N802 (the http.server API)
            server._record(self)
            if server.delay:
                time.sleep(server.delay)
            if server.redirect_loop:
                return self._answer(302, b"", {"Location": f"{CATALOGUE_PATH}?hop={server.request_count}"})
            if self.path.startswith(MOVED_PATH):
                return self._answer(301, b"", {"Location": CATALOGUE_PATH})
            if not self.path.startswith(CATALOGUE_PATH):
                return self._answer(404, b"not found")
            # Faults come first: a misbehaving server misbehaves for conditional requests too.
            if server.status != 200:
                return self._answer(server.status, b"models.dev is having a bad day")
            if server.malformed:
                return self._answer(200, b'{"acme-ai": {"models": ', self._validators())
            if server.truncated:
                return self._send_truncated()
            if server.drip_pause:
                return self._send_dripping()
            if server.no_length:
                return self._send_without_length()
            if server._not_modified(self._request_headers()):
                return self._answer(304, b"", self._validators())
            return self._answer(200, server.body, self._validators())

        def _request_headers(self) -> dict[str, str]:
            return {key.lower(): value for key, value in self.headers.items()}

        def _validators(self) -> dict[str, str]:
            if not server.send_validators:
                return {}
            return {"ETag": server.etag, "Last-Modified": server.last_modified}

        def _answer(self, status: int, body: bytes, headers: dict[str, str] | None = None) -> None:
            self.send_response(status)
            for key, value in {"Content-Type": "application/json", **(headers or {})}.items():
                self.send_header(key, value)
            if status != 304:
                self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            if status != 304:
                self.wfile.write(body)

        def _send_truncated(self) -> None:
            self.send_response(200)
            self.send_header("Content-Length", str(len(server.body)))
            self.end_headers()
            self.wfile.write(server.body[: len(server.body) // 2])
            self.wfile.flush()
            self.close_connection = True

        def _send_dripping(self) -> None:
            body = server.body  # one version throughout, even if set_catalogue() runs meanwhile
            self.send_response(200)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            size = -(-len(body) // 10)
            for start in range(0, len(body), size):
                self.wfile.write(body[start : start + size])
                self.wfile.flush()
                time.sleep(server.drip_pause)

        def _send_without_length(self) -> None:
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.send_header("Connection", "close")
            self.end_headers()
            body = server.body
            for start in range(0, len(body), 1 << 20):
                self.wfile.write(body[start : start + (1 << 20)])
            self.close_connection = True

        def log_message(self, format: str, *args: Any) -> None:  # noqa: A002 (the http.server API)
            pass

    return Handler


def refused_url() -> str:
    """A models.dev URL on a local port nothing listens on (connections are refused)."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    return f"http://127.0.0.1:{port}{CATALOGUE_PATH}"
