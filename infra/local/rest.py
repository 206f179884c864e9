"""Serve a Chalice app's REST routes over HTTP, plus other handlers mounted on the same port.

Routes go through chalice's own ``LocalGateway`` (the engine behind ``chalice local``), so
routing, path parameters, CORS preflight, authorizers and binary bodies behave as they do there.
Other handlers (the websocket gateway's ``@connections`` API) are mounted by path prefix and
take precedence over the app's routes.
"""

from __future__ import annotations

import logging
import sys
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from http.server import ThreadingHTTPServer
from typing import Any

from chalice.app import Chalice
from chalice.config import Config
from chalice.local import ChaliceRequestHandler, LocalChalice

from infra.local.ports import free_port, require_free_port

logger = logging.getLogger(__name__)

MAX_BODY_BYTES = 10 * 1024 * 1024


@dataclass(frozen=True)
class HttpRequest:
    """A request as a mounted handler sees it; ``path`` is raw (still percent-encoded)."""

    method: str
    path: str
    headers: dict[str, str]
    body: bytes


@dataclass(frozen=True)
class HttpResponse:
    """What a mounted handler returns."""

    status: int
    headers: dict[str, str] = field(default_factory=dict)
    body: bytes = b""


MountHandler = Callable[[HttpRequest], HttpResponse]


class QuietHTTPServer(ThreadingHTTPServer):
    """A threading HTTP server that logs errors instead of printing them to stderr.

    A client that drops a keep-alive connection (ConnectionResetError) is routine, not an error.
    """

    daemon_threads = True

    def handle_error(self, request: Any, client_address: Any) -> None:
        error = sys.exc_info()[1]
        if isinstance(error, ConnectionError):
            return
        logger.exception("error while serving %s", client_address)


def serve_in_background(server: QuietHTTPServer, name: str) -> threading.Thread:
    """Serve ``server`` on a daemon thread (a short poll interval keeps shutdown quick)."""
    thread = threading.Thread(target=server.serve_forever, args=(0.05,), name=name, daemon=True)
    thread.start()
    return thread


def shut_down(server: QuietHTTPServer | None, thread: threading.Thread | None) -> None:
    """Stop serving, close the socket and wait for the thread (no error when not started)."""
    if server is None:
        return
    server.shutdown()
    server.server_close()
    if thread is not None:
        thread.join(timeout=5)


def make_thread_safe(app: Chalice) -> None:
    """Give ``app`` a thread-local ``current_request``, as ``chalice local`` does.

    A threaded server runs requests concurrently; Chalice keeps ``current_request`` on the app
    instance, so without this two requests would see each other's request. Like chalice's
    ``create_local_server`` this swaps the instance's class for a subclass; unlike it, it does
    not mutate a shared class, so several apps can be served in one process.
    """
    if isinstance(app, LocalChalice):
        return
    local_class = type(f"Local{type(app).__name__}", (LocalChalice, type(app)), {})
    app.__class__ = local_class


class RestServer:
    """A ``ThreadingHTTPServer`` serving ``app``'s routes and mounted handlers on one port."""

    def __init__(
        self,
        app: Chalice,
        *,
        host: str = "127.0.0.1",
        port: int | None = None,
        config: Config | None = None,
        max_body_bytes: int = MAX_BODY_BYTES,
    ) -> None:
        self.app = app
        self.host = host
        self.port = port if port is not None else free_port(host)
        self.config = (
            config
            if config is not None
            else Config.create(lambda_timeout=30, lambda_memory_size=512)
        )
        self.max_body_bytes = max_body_bytes
        self._mounts: list[tuple[str, MountHandler]] = []
        self._server: QuietHTTPServer | None = None
        self._thread: threading.Thread | None = None

    @property
    def url(self) -> str:
        """Base URL, e.g. ``http://127.0.0.1:8001``; routes are at the root, as in chalice local."""
        return f"http://{self.host}:{self.port}"

    def mount(self, prefix: str, handler: MountHandler) -> None:
        """Route every request whose raw path starts with ``prefix`` to ``handler``."""
        self._mounts.append((prefix, handler))
        self._mounts.sort(key=lambda mount: len(mount[0]), reverse=True)

    def start(self) -> RestServer:
        """Bind and serve in a daemon thread."""
        if self._server is not None:
            return self
        require_free_port(self.port, self.host)
        make_thread_safe(self.app)
        handler_class = _handler_class(self)
        self._server = QuietHTTPServer((self.host, self.port), handler_class)
        self._thread = serve_in_background(self._server, "rest-server")
        return self

    def stop(self) -> None:
        """Stop serving and close the socket."""
        server, self._server = self._server, None
        shut_down(server, self._thread)

    def find_mount(self, path: str) -> MountHandler | None:
        """The mounted handler for ``path``, if any."""
        for prefix, handler in self._mounts:
            if path.startswith(prefix):
                return handler
        return None


def _handler_class(server: RestServer) -> type[ChaliceRequestHandler]:
    """A request-handler class bound to ``server`` (http.server instantiates it per connection)."""

    class Handler(_RequestHandler):
        rest_server = server

        def __init__(self, request: Any, client_address: Any, http_server: Any) -> None:
            super().__init__(
                request, client_address, http_server, app_object=server.app, config=server.config
            )

    return Handler


class _RequestHandler(ChaliceRequestHandler):
    # Headers and body go out in separate writes: without this, Nagle + delayed ACK
    # add ~40 ms to every request.
    disable_nagle_algorithm = True

    rest_server: RestServer

    def _generic_handle(self) -> None:
        if "chunked" in self.headers.get("transfer-encoding", "").lower():
            self._reply(
                HttpResponse(
                    411, {"Content-Type": "application/json"}, b'{"message": "Length Required"}'
                )
            )
            return
        try:
            length = int(self.headers.get("content-length", "0"))
        except ValueError:
            length = -1
        if length < 0 or length > self.rest_server.max_body_bytes:
            self.close_connection = True  # the body stays unread: this socket is done
            self._reply(
                HttpResponse(
                    413,
                    {"Content-Type": "application/json"},
                    b'{"message": "Request Entity Too Large"}',
                )
            )
            return
        mounted = self.rest_server.find_mount(self.path)
        if mounted is None:
            super()._generic_handle()
            return
        body = self.rfile.read(length) if length else b""
        request = HttpRequest(self.command, self.path, dict(self.headers.items()), body)
        try:
            response = mounted(request)
        except Exception:
            logger.exception("mounted handler failed for %s %s", self.command, self.path)
            response = HttpResponse(
                500, {"Content-Type": "application/json"}, b'{"message": "Internal server error"}'
            )
        self._reply(response)

    def _reply(self, response: HttpResponse) -> None:
        self.send_response(response.status)
        headers = {"Content-Length": str(len(response.body)), **response.headers}
        for name, value in headers.items():
            self.send_header(name, value)
        self.end_headers()
        if self.command != "HEAD" and response.body:
            self.wfile.write(response.body)

    def log_message(self, format: str, *args: Any) -> None:
        logger.debug("%s - %s", self.address_string(), format % args)

    do_GET = do_PUT = do_POST = do_HEAD = do_DELETE = do_PATCH = do_OPTIONS = _generic_handle
