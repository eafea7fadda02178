"""Local servers for the benchmarks, built on the test suite's own (tests/support/).

* ``HttpsFakeOpenAI``: tests/support/fake_openai.py's OpenAI-compatible server behind TLS,
  with a certificate from a throwaway ``trustme`` CA. The TLS handshake runs in the
  per-connection thread, so handshakes do not queue behind the accept loop.
* ``CountingModelsDevServer``: tests/support/models_dev_server.py's models.dev that also
  counts the bytes it reads and writes and records the status of each answer.
"""

from __future__ import annotations

import contextlib
import socket
import ssl
import sys
import threading
from http.server import ThreadingHTTPServer
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tests"))

from support import fake_openai  # noqa: E402
from support.models_dev_server import ModelsDevServer  # noqa: E402

# ── HTTPS OpenAI-compatible server ─────────────────────────────────────────────


class TlsCertificates:
    """A trustme CA and a server certificate for 127.0.0.1 / localhost, the CA written to ``ca_file``."""

    def __init__(self, folder: Path) -> None:
        import trustme  # the `bench` extra

        self.ca = trustme.CA()
        self.server_cert = self.ca.issue_cert("127.0.0.1", "localhost")
        self.ca_file = folder / "bench-ca.pem"
        self.ca.cert_pem.write_to_path(str(self.ca_file))

    def server_context(self) -> ssl.SSLContext:
        context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        self.server_cert.configure_cert(context)
        return context


class _TlsServer(ThreadingHTTPServer):
    daemon_threads = True
    block_on_close = False
    ssl_context: ssl.SSLContext
    on_connection: Any = None

    def finish_request(self, request: Any, client_address: Any) -> None:
        if self.on_connection is not None:
            self.on_connection()
        # Runs in the connection's own thread (ThreadingMixIn): handshake there. Wrapping
        # takes the file descriptor over from `request`, so the TLS socket is closed here.
        # TCP_NODELAY as real HTTPS front ends set it: without it, the handler's separate
        # header and body writes meet the client's delayed ACK (a 40 ms stall per reply).
        request.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        tls = self.ssl_context.wrap_socket(request, server_side=True)
        try:
            super().finish_request(tls, client_address)
        finally:
            with contextlib.suppress(OSError):
                tls.shutdown(socket.SHUT_RDWR)
            tls.close()

    def handle_error(self, request: Any, client_address: Any) -> None:
        if not isinstance(sys.exc_info()[1], (ConnectionError, ssl.SSLError, TimeoutError)):
            super().handle_error(request, client_address)


class HttpsFakeOpenAI(fake_openai.FakeOpenAI):
    """FakeOpenAI over HTTPS (HTTP/1.1 keep-alive, as the plain one)."""

    def __init__(self, context: ssl.SSLContext, **options: Any) -> None:
        super().__init__(**options)
        self._ssl_context = context
        self.accepted = 0

    def start(self) -> HttpsFakeOpenAI:
        handler = type("FakeOpenAIHandler", (fake_openai._Handler,), {"fake": self})
        assert handler.protocol_version == "HTTP/1.1", "keep-alive is needed for connection reuse to show"
        server = _TlsServer(("127.0.0.1", 0), handler)
        server.ssl_context = self._ssl_context
        server.on_connection = self._count_connection
        self._server = server
        self._thread = threading.Thread(target=server.serve_forever, name="https-fake-openai", daemon=True)
        self._thread.start()
        return self

    @property
    def url(self) -> str:
        return f"https://127.0.0.1:{self.port}/v1"

    def _count_connection(self) -> None:
        with self._lock:
            self.accepted += 1

    def clear(self) -> None:
        """Forget the recorded requests and the connection count."""
        super().clear()
        with self._lock:
            self.accepted = 0

    def connections(self) -> int:
        """TCP connections accepted since the last ``clear()``."""
        with self._lock:
            return self.accepted


# ── models.dev with byte counts ────────────────────────────────────────────────


class _CountingReader:
    def __init__(self, raw: Any, owner: CountingModelsDevServer) -> None:
        self._raw, self._owner = raw, owner

    def readline(self, *args: Any) -> bytes:
        data = self._raw.readline(*args)
        self._owner._count("in", len(data))
        return data

    def read(self, *args: Any) -> bytes:
        data = self._raw.read(*args)
        self._owner._count("in", len(data))
        return data

    def __getattr__(self, name: str) -> Any:
        return getattr(self._raw, name)


class _CountingWriter:
    def __init__(self, raw: Any, owner: CountingModelsDevServer) -> None:
        self._raw, self._owner = raw, owner

    def write(self, data: bytes) -> Any:
        self._owner._count("out", len(data))
        return self._raw.write(data)

    def __getattr__(self, name: str) -> Any:
        return getattr(self._raw, name)


class CountingModelsDevServer(ModelsDevServer):
    """ModelsDevServer that also counts bytes (``bytes_in`` / ``bytes_out``) and answer ``statuses``."""

    def __init__(self, catalogue: Path | bytes) -> None:
        super().__init__(catalogue)
        self.bytes_in = 0
        self.bytes_out = 0
        self.statuses: list[int] = []

    def _count(self, direction: str, size: int) -> None:
        with self._lock:
            setattr(self, f"bytes_{direction}", getattr(self, f"bytes_{direction}") + size)

    def snapshot(self) -> dict[str, Any]:
        """Counters so far; subtract two snapshots to get one run's traffic."""
        with self._lock:
            requests = list(self.requests)
            statuses = list(self.statuses)
            bytes_in, bytes_out = self.bytes_in, self.bytes_out
        conditional = sum(1 for r in requests if {"if-none-match", "if-modified-since"} & set(r["headers"]))
        return {
            "requests": len(requests),
            "conditional": conditional,
            "not_modified": statuses.count(304),
            "bytes_in": bytes_in,
            "bytes_out": bytes_out,
        }

    def __enter__(self) -> CountingModelsDevServer:
        super().__enter__()
        owner = self
        base = self._httpd.RequestHandlerClass  # nobody knows the port yet, so no request is in flight

        class CountingHandler(base):  # type: ignore[misc, valid-type]
            def setup(self) -> None:
                super().setup()
                self.rfile = _CountingReader(self.rfile, owner)
                self.wfile = _CountingWriter(self.wfile, owner)

            def send_response(self, code: int, message: str | None = None) -> None:
                with owner._lock:
                    owner.statuses.append(code)
                super().send_response(code, message)

        self._httpd.RequestHandlerClass = CountingHandler
        return self
