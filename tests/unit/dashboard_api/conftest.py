"""The operator API's services over memory stores and a small fake Bot API."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import pytest

from chalicelib.analytics.query import Analytics
from chalicelib.bots import BotRegistry
from chalicelib.crypto import Keyring
from chalicelib.dashboard_api.bots import BotAdmin
from chalicelib.dashboard_api.events import EventBrowser
from chalicelib.dashboard_api.groups import GroupAdmin
from chalicelib.dashboard_api.overview import Overview
from chalicelib.dashboard_api.services import OperatorApi
from chalicelib.enforcement.context import EventRecorder
from chalicelib.store.bundle import Stores, memory_stores
from chalicelib.store.records import BotRecord, GroupRecord
from chalicelib.telegram.errors import TelegramBadRequest, TelegramNotFound
from chalicelib.uptime.report import uptime_report

OPERATOR_A = 1001
OPERATOR_B = 2002
NOW = 1_760_000_000.0


class Clock:
    def __init__(self, now: float = NOW) -> None:
        self.now = now

    def __call__(self) -> float:
        return self.now


@dataclass
class FakeTelegram:
    """Bot API answers by token: known bots, chats, and who administers them."""

    bots: dict[str, dict[str, Any]] = field(default_factory=dict)
    chats: dict[int, dict[str, Any]] = field(default_factory=dict)
    admins: set[tuple[int, int]] = field(default_factory=set)  # (chat, user)
    webhooks: dict[int, dict[str, Any]] = field(default_factory=dict)
    calls: list[tuple[str, str]] = field(default_factory=list)

    def api(self, token: str) -> FakeApi:
        return FakeApi(self, token)


@dataclass
class FakeApi:
    telegram: FakeTelegram
    token: str

    def call(self, method: str, **params: Any) -> Any:
        t = self.telegram
        t.calls.append((self.token.split(":")[0], method))
        me = t.bots.get(self.token)
        if me is None:
            raise TelegramNotFound(method, 401, "Unauthorized")
        if method == "getMe":
            return me
        if method == "setWebhook":
            t.webhooks[me["id"]] = dict(params)
            return True
        if method == "deleteWebhook":
            assert "drop_pending_updates" not in params
            t.webhooks.pop(me["id"], None)
            return True
        if method == "getWebhookInfo":
            hook = t.webhooks.get(me["id"], {})
            return {
                "url": hook.get("url", ""),
                "pending_update_count": 3,
                "allowed_updates": hook.get("allowed_updates"),
                "last_error_date": 1_759_999_000,
                "last_error_message": "Connection refused",
            }
        if method == "getChat":
            key = params["chat_id"]
            chat = next(
                (c for c in t.chats.values() if key in (c["id"], "@" + str(c.get("username")))),
                None,
            )
            if chat is None:
                raise TelegramBadRequest(method, 400, "Bad Request: chat not found")
            return chat
        if method == "getChatMember":
            admin = (params["chat_id"], params["user_id"]) in t.admins
            return {"status": "administrator" if admin else "left"}
        if method == "createChatInviteLink":
            return {"invite_link": "https://t.me/+abc"}
        raise AssertionError(f"unexpected call {method}")


@dataclass
class ApiWorld:
    api: OperatorApi
    stores: Stores
    telegram: FakeTelegram
    keyring: Keyring
    clock: Clock
    changed_groups: list[tuple[int, int]]

    def bot(self, bot_id: int, owner: int = OPERATOR_A, username: str = "") -> BotRecord:
        token = f"{bot_id}:" + "T" * 35
        self.telegram.bots[token] = {
            "id": bot_id,
            "is_bot": True,
            "username": username or f"bot{bot_id}",
            "first_name": "Bot",
        }
        return self.stores.bots.create(
            BotRecord(
                bot_id=bot_id,
                owner_id=owner,
                username=username or f"bot{bot_id}",
                token_ciphertext=self.keyring.encrypt(token),
                webhook_secret_ciphertext=self.keyring.encrypt("old-secret"),
            )
        )

    def group(self, bot_id: int, chat_id: int, title: str = "Readers", **kw: Any) -> GroupRecord:
        return self.stores.groups.save(
            GroupRecord(bot_id=bot_id, chat_id=chat_id, title=title, **kw)
        )


@pytest.fixture
def world() -> ApiWorld:
    stores = memory_stores()
    keyring = Keyring.from_spec(Keyring.new_key_spec("k1"))
    telegram = FakeTelegram()
    clock = Clock()

    def api_for(bot: BotRecord) -> FakeApi:
        return telegram.api(keyring.decrypt(bot.token_ciphertext))

    def webhook_url(bot_id: int) -> str:
        return f"https://api.example.com/telegram/{bot_id}"

    recorder = EventRecorder(stores.events, retention_days=90, clock=clock)
    changed: list[tuple[int, int]] = []
    registry = BotRegistry(stores.bots, keyring, telegram.api, webhook_url, clock=clock)
    api = OperatorApi(
        stores=stores,
        bots=BotAdmin(stores, registry, keyring, api_for, webhook_url, recorder, clock=clock),
        groups=GroupAdmin(
            stores, api_for, recorder, clock=clock, on_change=lambda b, c: changed.append((b, c))
        ),
        events=EventBrowser(stores.events),
        overview=Overview(
            stores, lambda: Analytics(stores.stats, clock=clock), uptime_report, clock=clock
        ),
    )
    return ApiWorld(api, stores, telegram, keyring, clock, changed)
