"""The loopback server every vendor API here is built on: routing, scripted failures, a request log."""

from __future__ import annotations

import json
import socket
import threading
import time
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, unquote, urlsplit


@dataclass
class Request:
    """One request as the server saw it (headers as sent, the body as bytes)."""

    method: str
    path: str  # percent-decoded once, as a web framework routes it
    raw_path: str  # as sent, still encoded (Zoom's double-encoded UUIDs are checked on this)
    query: dict[str, list[str]]
    headers: dict[str, str]
    body: bytes

    def arg(self, name: str, default: str | None = None) -> str | None:
        values = self.query.get(name)
        return values[0] if values else default

    def header(self, name: str) -> str:
        """A header's value whatever its case ("" when absent)."""
        return next((value for key, value in self.headers.items() if key.lower() == name.lower()), "")

    def json(self):
        return json.loads(self.body or b"null")

    def form(self) -> dict[str, str]:
        return {k: v[0] for k, v in parse_qs(self.body.decode()).items()}


@dataclass
class Response:
    status: int = 200
    body: bytes | dict | list | str = b""
    headers: dict[str, str] = field(default_factory=dict)
    delay: float = 0.0  # seconds before answering (a slow server; a client timeout)

    def encoded(self) -> tuple[bytes, str]:
        if isinstance(self.body, dict | list):
            return json.dumps(self.body).encode(), "application/json; charset=utf-8"
        if isinstance(self.body, str):
            return self.body.encode(), "text/plain; charset=utf-8"
        return self.body, self.headers.get("Content-Type", "application/octet-stream")


@dataclass
class Failure:
    """A scripted answer for the next ``times`` requests whose path starts with ``path_prefix``."""

    path_prefix: str
    response: Response
    times: int = 1
    method: str | None = None


class LoopbackApi:
    """An HTTP server on 127.0.0.1 (a free port) answering through ``handle(request)``.

    Subclasses implement ``handle``. ``fail(...)`` scripts failures, checked before ``handle``;
    ``requests`` logs every request in order. Use as a context manager, or ``start()``/``stop()``.
    """

    def __init__(self):
        self.requests: list[Request] = []
        self.failures: list[Failure] = []
        self.lock = threading.RLock()
        self.server: ThreadingHTTPServer | None = None
        self.thread: threading.Thread | None = None

    # --- life cycle ---
    def start(self) -> LoopbackApi:
        api = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, format, *args):  # quiet: the request log is api.requests
                pass

            def setup(self):
                super().setup()
                # Headers and body go out as two writes: without this, Nagle's algorithm and the
                # client's delayed ACK hold each response about 40 ms.
                self.connection.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)

            def _serve(self):
                length = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(length) if length else b""
                parts = urlsplit(self.path)
                request = Request(self.command, unquote(parts.path), parts.path,
                                  parse_qs(parts.query, keep_blank_values=True),
                                  dict(self.headers.items()), body)
                response = api.respond(request)
                if response.delay:
                    time.sleep(response.delay)
                payload, content_type = response.encoded()
                try:
                    self.send_response(response.status)
                    headers = {"Content-Type": content_type, **response.headers}
                    for name, value in headers.items():
                        self.send_header(name, value)
                    self.send_header("Content-Length", str(len(payload)))
                    self.end_headers()
                    self.wfile.write(payload)
                except (BrokenPipeError, ConnectionResetError):  # the client gave up (a timeout)
                    pass

            do_GET = do_POST = do_PUT = do_DELETE = _serve

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.thread = threading.Thread(target=self.server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
        self.thread.start()
        return self

    def stop(self) -> None:
        if self.server is not None:
            self.server.shutdown()
            self.server.server_close()
            self.server = None

    def __enter__(self):
        return self.start()

    def __exit__(self, *exc):
        self.stop()

    @property
    def url(self) -> str:
        assert self.server is not None, "start() the server first"
        host, port = self.server.server_address[:2]
        return f"http://{host}:{port}"

    # --- behaviour ---
    def fail(self, path_prefix: str, status: int, body=b"", headers: dict | None = None, *,
             times: int = 1, delay: float = 0.0, method: str | None = None) -> None:
        """Answer the next ``times`` matching requests with this response instead of the API's."""
        with self.lock:
            self.failures.append(Failure(path_prefix, Response(status, body, headers or {}, delay), times, method))

    def respond(self, request: Request) -> Response:
        with self.lock:
            self.requests.append(request)
            for failure in self.failures:
                if failure.times > 0 and request.path.startswith(failure.path_prefix) and (
                        failure.method is None or failure.method == request.method):
                    failure.times -= 1
                    return failure.response
            try:
                return self.handle(request)
            except Exception as exc:  # a bug in the test server: say so loudly, as a 599
                return Response(599, {"test_server_error": repr(exc)})

    def handle(self, request: Request) -> Response:
        raise NotImplementedError

    def calls(self, path_prefix: str = "", method: str | None = None) -> list[Request]:
        """The requests so far whose path starts with ``path_prefix``."""
        with self.lock:
            return [r for r in self.requests if r.path.startswith(path_prefix)
                    and (method is None or r.method == method)]
