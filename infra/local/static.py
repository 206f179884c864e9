"""Serve the built dashboard directory plus a generated ``config.json`` on one port.

Paths are resolved inside the root (no traversal, no symlinks out of it, no directory
listings); ``/`` and unknown extension-less paths serve ``index.html`` so client-side routes
survive a reload. ``config.json`` is served from the dict given, never from disk, with
``Cache-Control: no-store``.
"""

from __future__ import annotations

import json
import mimetypes
import threading
from http.server import BaseHTTPRequestHandler
from pathlib import Path
from typing import Any
from urllib.parse import unquote, urlsplit

from infra.local.ports import free_port, require_free_port
from infra.local.rest import QuietHTTPServer, serve_in_background, shut_down

_EXTRA_TYPES = {
    ".js": "text/javascript",
    ".mjs": "text/javascript",
    ".css": "text/css",
    ".json": "application/json",
    ".svg": "image/svg+xml",
    ".wasm": "application/wasm",
    ".map": "application/json",
    ".woff2": "font/woff2",
    ".ico": "image/x-icon",
}


def content_type(path: Path) -> str:
    """The Content-Type for ``path`` (text types get ``charset=utf-8``)."""
    guessed = _EXTRA_TYPES.get(path.suffix.lower()) or mimetypes.guess_type(path.name)[0]
    kind = guessed or "application/octet-stream"
    if kind.startswith("text/") or kind in ("application/json", "image/svg+xml"):
        return f"{kind}; charset=utf-8"
    return kind


def resolve_inside(root: Path, url_path: str) -> Path | None:
    """The file ``url_path`` names under ``root``, or ``None`` if it is missing or outside."""
    relative = unquote(urlsplit(url_path).path).lstrip("/")
    if "\x00" in relative:
        return None
    candidate = (root / relative).resolve()
    if candidate != root and root not in candidate.parents:
        return None
    return candidate if candidate.is_file() else None


class StaticServer:
    """Serves ``root`` and ``/config.json`` from a daemon thread."""

    def __init__(
        self,
        root: Path,
        config: dict[str, Any],
        *,
        host: str = "127.0.0.1",
        port: int | None = None,
        spa_fallback: bool = True,
    ) -> None:
        self.root = root.resolve()
        self.config = config
        self.host = host
        self.port = port if port is not None else free_port(host)
        self.spa_fallback = spa_fallback
        self._server: QuietHTTPServer | None = None
        self._thread: threading.Thread | None = None

    @property
    def url(self) -> str:
        """Base URL, e.g. ``http://127.0.0.1:5173``."""
        return f"http://{self.host}:{self.port}"

    def start(self) -> StaticServer:
        """Bind and serve in a daemon thread."""
        if self._server is not None:
            return self
        require_free_port(self.port, self.host)
        owner = self

        class Handler(_StaticHandler):
            server_owner = owner

        self._server = QuietHTTPServer((self.host, self.port), Handler)
        self._thread = serve_in_background(self._server, "static-server")
        return self

    def stop(self) -> None:
        """Stop serving and close the socket."""
        server, self._server = self._server, None
        shut_down(server, self._thread)

    def lookup(self, url_path: str) -> tuple[int, str, bytes, dict[str, str]]:
        """Status, content type, body and extra headers for a GET of ``url_path``."""
        path = urlsplit(url_path).path
        if path == "/config.json":
            body = json.dumps(self.config).encode()
            return 200, "application/json; charset=utf-8", body, {"Cache-Control": "no-store"}
        target = resolve_inside(self.root, "/index.html" if path.endswith("/") else path)
        if target is None and self.spa_fallback and "." not in path.rsplit("/", 1)[-1]:
            target = resolve_inside(self.root, "/index.html")
        if target is None:
            return 404, "text/plain; charset=utf-8", b"Not Found\n", {}
        cache = "no-cache" if target.name == "index.html" else "public, max-age=60"
        return 200, content_type(target), target.read_bytes(), {"Cache-Control": cache}


class _StaticHandler(BaseHTTPRequestHandler):
    server_owner: StaticServer
    protocol_version = "HTTP/1.1"

    def do_GET(self) -> None:
        self._respond(send_body=True)

    def do_HEAD(self) -> None:
        self._respond(send_body=False)

    def _respond(self, *, send_body: bool) -> None:
        status, kind, body, headers = self.server_owner.lookup(self.path)
        self.send_response(status)
        self.send_header("Content-Type", kind)
        self.send_header("Content-Length", str(len(body)))
        self.send_header("X-Content-Type-Options", "nosniff")
        for name, value in headers.items():
            self.send_header(name, value)
        self.end_headers()
        if send_body:
            self.wfile.write(body)

    def log_message(self, format: str, *args: Any) -> None:
        pass
