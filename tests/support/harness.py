"""A real Nezuko webhook (DynamoDB Local + the Telegram sandbox) for scenario tests.

Telegram updates travel the real path: the sandbox delivers them over HTTP with the secret
header to a webhook server that calls ``WebhookHandler.handle``; our Bot API calls go over HTTP
to the sandbox. Only the clock is ours to move.
"""

from __future__ import annotations

import json
import secrets
import threading
import time
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from chalicelib.bots import BotRegistry
from chalicelib.config import Settings
from chalicelib.crypto import Keyring
from chalicelib.enforcement.actions import MemberActions
from chalicelib.enforcement.button import JoinedButton
from chalicelib.enforcement.commands import Commands
from chalicelib.enforcement.context import EventRecorder, TtlCache
from chalicelib.enforcement.gate import Gate
from chalicelib.enforcement.lifecycle import Lifecycle
from chalicelib.enforcement.membership import MembershipChecker, VerdictCache
from chalicelib.enforcement.router import UpdateRouter
from chalicelib.enforcement.timeouts import Timeouts
from chalicelib.janitor import Janitor
from chalicelib.store.bundle import Stores
from chalicelib.store.records import EventQuery, EventRecord
from chalicelib.telegram.client import BotApi, new_http_client
from chalicelib.telegram.once import RunOnce
from chalicelib.telegram.webhook import HttpResult, WebhookHandler
from infra.local.sandbox import Sandbox, SandboxServer

GROUP_RIGHTS = {
    "can_restrict_members": True,
    "can_delete_messages": True,
    "can_invite_users": True,
    "can_manage_chat": True,
}


@dataclass
class Clock:
    """Wall-clock time that a test can move forward."""

    offset: float = 0.0

    def __call__(self) -> float:
        return time.time() + self.offset

    def advance(self, seconds: float) -> None:
        self.offset += seconds


class _WebhookServer:
    """HTTP front of a ``WebhookHandler`` (what API Gateway + Chalice are on AWS)."""

    def __init__(self, handler: WebhookHandler) -> None:
        self.results: list[HttpResult] = []
        outer = self

        class Handler(BaseHTTPRequestHandler):
            # Headers and body go out in separate writes: without this, Nagle + delayed ACK
            # add ~40 ms to every request.
            disable_nagle_algorithm = True

            def do_POST(self) -> None:
                bot_id = self.path.rstrip("/").rsplit("/", 1)[-1]
                length = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(length) if length else None
                result = handler.handle(bot_id, dict(self.headers.items()), body)
                outer.results.append(result)
                payload = json.dumps(result.body).encode()
                self.send_response(result.status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(payload)))
                self.end_headers()
                self.wfile.write(payload)

            def log_message(self, *args: Any) -> None:
                return

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()


@dataclass
class Harness:
    """One bot protecting one supergroup that requires one channel, on real parts."""

    sandbox: Sandbox
    stores: Stores
    settings: Settings
    keyring: Keyring
    once: RunOnce
    clock: Clock = field(default_factory=Clock)

    def __post_init__(self) -> None:
        self.server = SandboxServer(self.sandbox)
        self.server.start()
        self.http = new_http_client()
        sb = self.sandbox
        # A random bot id keeps tests apart in the shared DynamoDB tables.
        bot_id = secrets.randbelow(10**9) + 10**9
        self.bot = sb.create_bot(
            username="nezuko_test_bot",
            first_name="Nezuko",
            token=f"{bot_id}:{secrets.token_urlsafe(30)[:35]}",
        )
        self.bot_id = int(self.bot["id"])
        self.owner_id = 4242
        self.admin = sb.create_user("Ada", username="ada_admin", language_code="en")["id"]
        self.group = sb.create_chat("supergroup", "Fans <&> Friends", creator_id=self.admin)["id"]
        self.channel = sb.create_chat("channel", "News", username="news_channel")["id"]
        sb.add_member(self.group, self.bot_id, "administrator", rights=GROUP_RIGHTS)
        sb.add_member(self.channel, self.bot_id, "administrator", rights={"can_invite_users": True})
        self.recorder = EventRecorder(self.stores.events, retention_days=7, clock=self.clock)
        self.actions = MemberActions(self.stores, clock=self.clock)
        self.checker = MembershipChecker(VerdictCache(), clock=self.clock)
        self.gate = Gate(
            self.stores,
            self.checker,
            self.actions,
            self.recorder,
            groups_cache=TtlCache(30.0),
            admins_cache=TtlCache(300.0),
            clock=self.clock,
        )
        commands = Commands(self.stores, self.gate, self.actions, self.recorder, clock=self.clock)
        self.lifecycle = Lifecycle(
            self.stores, self.gate, self.checker, self.recorder, clock=self.clock
        )
        self.handler = WebhookHandler(
            self.stores.bots,
            self.keyring,
            UpdateRouter(
                self.gate,
                commands,
                self.recorder,
                self.lifecycle,
                JoinedButton(self.stores, self.gate, self.checker, self.actions, clock=self.clock),
            ),
            self.once,
            http=self.http,
            api_url=self.server.url,
        )
        self.webhook = _WebhookServer(self.handler)
        registry = BotRegistry(
            self.stores.bots,
            self.keyring,
            self.api_for_token,
            lambda bot_id: f"{self.webhook.url}/telegram/{bot_id}",
            clock=self.clock,
        )
        self.bot_record = registry.register(self.bot["token"], owner_id=self.owner_id)

    def api_for_token(self, token: str) -> BotApi:
        return BotApi(token, http=self.http, base_url=self.server.url)

    def close(self) -> None:
        self.webhook.stop()
        self.server.stop()
        self.http.close()

    # ----- scripting -------------------------------------------------------------------

    def user(self, name: str, *, language: str = "en", in_group: bool = False) -> int:
        user_id = int(self.sandbox.create_user(name, language_code=language)["id"])
        if in_group:
            self.sandbox.add_member(self.group, user_id)
        return user_id

    def subscribe(self, user_id: int, channel: int | None = None) -> None:
        """Silently make ``user_id`` a channel member (no update)."""
        self.sandbox.add_member(channel or self.channel, user_id)

    def say(self, user_id: int, text: str, **kwargs: Any) -> dict[str, Any]:
        message: dict[str, Any] = self.sandbox.send_message_as(self.group, user_id, text, **kwargs)
        return message

    def protect(self, *channels: str) -> str:
        self.say(self.admin, "/protect " + " ".join(channels or ("@news_channel",)))
        return self.last_bot_text()

    def bot_messages(self, chat_id: int | None = None) -> list[dict[str, Any]]:
        return [
            m
            for m in self.sandbox.messages(chat_id or self.group)
            if (m.get("from") or {}).get("id") == self.bot_id
        ]

    def last_bot_text(self) -> str:
        messages = self.bot_messages()
        return str(messages[-1].get("text", "")) if messages else ""

    def notices_for(self, user_id: int) -> list[dict[str, Any]]:
        return [
            m
            for m in self.bot_messages()
            if any(
                b.get("callback_data") == f"nz:v:{user_id}"
                for row in (m.get("reply_markup") or {}).get("inline_keyboard", [])
                for b in row
            )
        ]

    def status(self, user_id: int, chat_id: int | None = None) -> dict[str, Any]:
        member: dict[str, Any] = self.sandbox.member(chat_id or self.group, user_id)
        return member

    def can_write(self, user_id: int) -> bool:
        member = self.status(user_id)
        if member["status"] == "restricted":
            return bool(member.get("can_send_messages"))
        return member["status"] in ("member", "administrator", "creator")

    def events(self, *types: str, user_id: int | None = None) -> list[EventRecord]:
        page = self.stores.events.query(
            EventQuery(bot_id=self.bot_id, types=types, user_id=user_id, limit=500)
        )
        return list(reversed(page.items))

    def janitor(self) -> dict[str, int]:
        timeouts = Timeouts(self.stores, self.gate, self.lifecycle, self.recorder, self.actions)
        return Janitor(
            self.stores,
            lambda bot_id: self.api_for_token(self.bot["token"]),
            clock=self.clock,
            handlers=timeouts.handlers(),
        ).run()

    def calls(self, method: str | None = None) -> list[dict[str, Any]]:
        calls: list[dict[str, Any]] = self.sandbox.calls(method)
        return calls
