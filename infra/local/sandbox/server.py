"""`SandboxServer`: the Bot API (`/bot<token>/<method>`) and control API over stdlib HTTP."""

from __future__ import annotations

import json
import re
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qsl, urlsplit

from infra.local.sandbox import control
from infra.local.sandbox.sandbox import Sandbox

_BOT_PATH = re.compile(r"^/bot(?P<token>[^/]+)/(?P<method>[A-Za-z]+)$")
_CONTROL_PATH = re.compile(r"^/_sandbox/(?P<action>[a-z_]+)$")


class _HttpServer(ThreadingHTTPServer):
    daemon_threads = True

    def __init__(self, address: tuple[str, int], sandbox: Sandbox) -> None:
        super().__init__(address, _Handler)
        self.sandbox = sandbox


class _Handler(BaseHTTPRequestHandler):
    # Headers and body go out in separate writes: without this, Nagle + delayed ACK
    # add ~40 ms to every request.
    disable_nagle_algorithm = True

    server: _HttpServer
    protocol_version = "HTTP/1.1"

    def do_GET(self) -> None:
        self._handle("GET")

    def do_POST(self) -> None:
        self._handle("POST")

    def log_message(self, format: str, *args: Any) -> None:
        """Silent: request lines would carry bot tokens."""

    def _handle(self, verb: str) -> None:
        url = urlsplit(self.path)
        query = dict(parse_qsl(url.query))
        raw = self.rfile.read(int(self.headers.get("Content-Length") or 0))
        sandbox = self.server.sandbox
        if match := _BOT_PATH.match(url.path):
            params: dict[str, Any] = dict(query)
            body = self._parse_body(raw)
            if isinstance(body, dict):
                params.update(body)
            status, payload = sandbox.api_call(match["token"], match["method"], params)
        elif match := _CONTROL_PATH.match(url.path):
            try:
                body = json.loads(raw) if raw else {}
            except ValueError:
                body = None
            status, payload = control.handle(sandbox, verb, match["action"], query, body)
        elif url.path == "/healthz":
            status, payload = 200, {"ok": True}
        else:
            status, payload = 404, {"ok": False, "error_code": 404, "description": "Not Found"}
        self._reply(status, payload)

    def _parse_body(self, raw: bytes) -> Any:
        if not raw:
            return {}
        content_type = (self.headers.get("Content-Type") or "").split(";")[0].strip().lower()
        text = raw.decode("utf-8", errors="replace")
        if content_type == "application/x-www-form-urlencoded":
            return dict(parse_qsl(text, keep_blank_values=True))
        try:
            return json.loads(text)
        except ValueError:
            return dict(parse_qsl(text, keep_blank_values=True))

    def _reply(self, status: int, payload: dict[str, Any]) -> None:
        data = json.dumps(payload).encode()
        try:
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)
        except (BrokenPipeError, ConnectionResetError):
            pass  # the client gave up (e.g. an injected timeout): nothing to tell it


class SandboxServer:
    """Serves a `Sandbox` over HTTP from a background thread."""

    def __init__(self, sandbox: Sandbox, host: str = "127.0.0.1", port: int = 0) -> None:
        self.sandbox = sandbox
        self._httpd = _HttpServer((host, port), sandbox)
        self._thread: threading.Thread | None = None

    @property
    def url(self) -> str:
        host, port = self._httpd.server_address[:2]
        return f"http://{host!s}:{port}"

    def start(self) -> None:
        self._thread = threading.Thread(
            target=self._httpd.serve_forever, args=(0.05,), name="sandbox-http", daemon=True
        )
        self._thread.start()

    def stop(self, *, close_sandbox: bool = True) -> None:
        """Stop serving, join the server thread and (by default) the webhook workers."""
        if close_sandbox:
            self.sandbox.close()  # first: releases long polls still holding handler threads
        self._httpd.shutdown()
        self._httpd.server_close()
        if self._thread is not None:
            self._thread.join()
            self._thread = None
