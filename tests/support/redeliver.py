"""A proxy in front of a webhook that delivers every update twice (Telegram's at-least-once,
at its worst): one after the other, or both at once. Test-only."""

from __future__ import annotations

import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import httpx


class DoublingProxy:
    """Forwards each POST twice to ``target``; answers with the better of the two statuses.

    ``concurrent=True`` sends both copies at the same moment (two threads, one barrier).
    """

    def __init__(self, target: str, *, concurrent: bool = False) -> None:
        self.target = target.rstrip("/")
        self.concurrent = concurrent
        self.statuses: list[int] = []
        self._lock = threading.Lock()
        self._client = httpx.Client(timeout=30.0)
        outer = self

        class Handler(BaseHTTPRequestHandler):
            disable_nagle_algorithm = True

            def do_POST(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(length)
                headers = {
                    k: v
                    for k, v in self.headers.items()
                    if k.lower() in ("content-type", "x-telegram-bot-api-secret-token")
                }
                status = outer._twice(self.path, headers, body)
                self.send_response(status)
                self.send_header("Content-Length", "2")
                self.end_headers()
                self.wfile.write(b"{}")

            def log_message(self, *args: Any) -> None:
                return

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def _one(self, path: str, headers: dict[str, str], body: bytes) -> int:
        status = self._client.post(self.target + path, content=body, headers=headers).status_code
        with self._lock:
            self.statuses.append(status)
        return status

    def _twice(self, path: str, headers: dict[str, str], body: bytes) -> int:
        if not self.concurrent:
            return min(self._one(path, headers, body), self._one(path, headers, body))
        barrier = threading.Barrier(2)
        results: list[int] = []

        def go() -> None:
            barrier.wait()
            results.append(self._one(path, headers, body))

        threads = [threading.Thread(target=go) for _ in range(2)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        return min(results)

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()
        self._client.close()
