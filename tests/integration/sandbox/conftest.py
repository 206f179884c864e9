"""Fixtures: a fake clock, a served sandbox, a real HTTP webhook receiver, a tiny Bot API client."""

from __future__ import annotations

import json
import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import httpx
import pytest

from infra.local.sandbox import Sandbox, SandboxServer

START = 1_760_000_000.0


class FakeClock:
    def __init__(self, now: float = START) -> None:
        self.now = now

    def __call__(self) -> float:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += seconds


@dataclass
class Received:
    body: dict[str, Any]
    headers: dict[str, str]


@dataclass
class WebhookReceiver:
    """A real HTTP endpoint; answers with `statuses` in turn (then 200), records every POST."""

    url: str = ""
    received: list[Received] = field(default_factory=list)
    statuses: list[int] = field(default_factory=list)
    reply: Callable[[dict[str, Any]], dict[str, Any] | None] = lambda update: None
    lock: threading.Lock = field(default_factory=threading.Lock)

    def updates(self, kind: str | None = None) -> list[dict[str, Any]]:
        with self.lock:
            bodies = [r.body for r in self.received]
        return [b for b in bodies if kind is None or kind in b]

    def kinds(self) -> list[str]:
        return [next(k for k in u if k != "update_id") for u in self.updates()]


def _receiver_handler(receiver: WebhookReceiver) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            raw = self.rfile.read(int(self.headers.get("Content-Length") or 0))
            body = json.loads(raw)
            with receiver.lock:
                receiver.received.append(Received(body, dict(self.headers)))
                status = receiver.statuses.pop(0) if receiver.statuses else 200
            reply = receiver.reply(body) if status == 200 else None
            data = json.dumps(reply).encode() if reply else b""
            self.send_response(status)
            self.send_header("Content-Length", str(len(data)))
            if data:
                self.send_header("Content-Type", "application/json")
            self.end_headers()
            self.wfile.write(data)

        def log_message(self, format: str, *args: Any) -> None:
            pass

    return Handler


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


@pytest.fixture
def sandbox(clock: FakeClock) -> Iterator[Sandbox]:
    sb = Sandbox(clock=clock, retry_delays=(0.02, 0.02), timeout_fault_delay=0.3, seed=7)
    yield sb
    sb.close()


@pytest.fixture
def server(sandbox: Sandbox) -> Iterator[SandboxServer]:
    srv = SandboxServer(sandbox, host="127.0.0.1", port=0)
    srv.start()
    yield srv
    srv.stop()


@pytest.fixture
def receiver() -> Iterator[WebhookReceiver]:
    rec = WebhookReceiver()
    httpd = ThreadingHTTPServer(("127.0.0.1", 0), _receiver_handler(rec))
    httpd.daemon_threads = True
    rec.url = f"http://127.0.0.1:{httpd.server_address[1]}/telegram"
    thread = threading.Thread(target=httpd.serve_forever, args=(0.05,), daemon=True)
    thread.start()
    yield rec
    httpd.shutdown()
    httpd.server_close()
    thread.join()


class BotClient:
    """What our product does: POST JSON (or a form) to {base}/bot<token>/<method>."""

    def __init__(self, base_url: str, token: str) -> None:
        self.base_url, self.token = base_url, token
        self.http = httpx.Client(timeout=5.0)

    def call(self, method: str, *, form: bool = False, **params: Any) -> httpx.Response:
        url = f"{self.base_url}/bot{self.token}/{method}"
        if form:
            data = {k: v if isinstance(v, str) else json.dumps(v) for k, v in params.items()}
            return self.http.post(url, data=data)
        return self.http.post(url, json=params)

    def ok(self, method: str, **params: Any) -> Any:
        response = self.call(method, **params)
        body = response.json()
        assert body["ok"], body
        return body["result"]

    def error(self, method: str, **params: Any) -> tuple[int, dict[str, Any]]:
        response = self.call(method, **params)
        body = response.json()
        assert not body["ok"], body
        return response.status_code, body


@dataclass
class World:
    """A typical scene: our bot (admin with restrict rights) in a supergroup and a channel."""

    sb: Sandbox
    api: BotClient
    bot: dict[str, Any]
    owner: dict[str, Any]
    ann: dict[str, Any]
    group: dict[str, Any]
    channel: dict[str, Any]


@pytest.fixture
def world(sandbox: Sandbox, server: SandboxServer) -> Iterator[World]:
    bot = sandbox.create_bot(username="nezuko_test_bot", first_name="Nezuko")
    owner = sandbox.create_user("Olga", username="olga")
    ann = sandbox.create_user("Ann", username="ann", language_code="en")
    group = sandbox.create_chat("supergroup", "Group", creator_id=owner["id"])
    channel = sandbox.create_chat("channel", "News", username="news", creator_id=owner["id"])
    sandbox.add_member(
        group["id"],
        bot["id"],
        "administrator",
        rights={
            "can_restrict_members": True,
            "can_delete_messages": True,
            "can_invite_users": True,
        },
    )
    sandbox.add_member(channel["id"], bot["id"], "administrator", rights={})
    sandbox.add_member(group["id"], ann["id"])
    api = BotClient(server.url, bot["token"])
    yield World(sandbox, api, bot, owner, ann, group, channel)
    api.http.close()
