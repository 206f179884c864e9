"""Registering bots: token → getMe → encrypted record → webhook with a fresh secret."""

from __future__ import annotations

import re
import time
from collections.abc import Callable
from typing import Any, Protocol

from chalicelib.crypto import Keyring, new_secret
from chalicelib.errors import InvalidInput, NotFound
from chalicelib.store.ports import BotStore
from chalicelib.store.records import BotRecord
from chalicelib.telegram.errors import TelegramNotFound

#: Every update kind the product acts on (chat_member must be asked for explicitly).
ALLOWED_UPDATES = [
    "message",
    "edited_message",
    "callback_query",
    "chat_member",
    "my_chat_member",
    "chat_join_request",
]
_TOKEN = re.compile(r"^\d{3,20}:[A-Za-z0-9_-]{30,64}$")


class Api(Protocol):
    """The Bot API calls registration makes."""

    def call(self, method: str, **params: Any) -> Any:
        """Call a Bot API method."""
        ...


class BotRegistry:
    """Adds, re-points and removes bots.

    Args:
        bots: the bot store.
        keyring: encrypts tokens and webhook secrets at rest.
        api_for_token: builds a Bot API client for a plain token.
        webhook_url: the webhook URL for a bot id (``Settings.webhook_url``), or None when
            the deployment has no public URL (the polling bridge feeds updates instead).
    """

    def __init__(
        self,
        bots: BotStore,
        keyring: Keyring,
        api_for_token: Callable[[str], Api],
        webhook_url: Callable[[int], str | None],
        *,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self._bots = bots
        self._keyring = keyring
        self._api_for_token = api_for_token
        self._webhook_url = webhook_url
        self._clock = clock

    def register(self, token: str, owner_id: int) -> BotRecord:
        """Validate ``token`` with Telegram, store it encrypted, point the webhook at us."""
        token = token.strip()
        if not _TOKEN.match(token):
            raise InvalidInput(
                "that does not look like a bot token (digits:letters)", field="token"
            )
        api = self._api_for_token(token)
        try:
            me = api.call("getMe")
        except TelegramNotFound:
            raise InvalidInput("Telegram rejected this token", field="token") from None
        if not isinstance(me, dict) or not me.get("is_bot"):
            raise InvalidInput("this token does not belong to a bot", field="token")
        now = self._clock()
        secret = new_secret()
        record = BotRecord(
            bot_id=int(me["id"]),
            owner_id=owner_id,
            username=str(me.get("username") or ""),
            first_name=str(me.get("first_name") or ""),
            token_ciphertext=self._keyring.encrypt(token),
            webhook_secret_ciphertext=self._keyring.encrypt(secret),
            created_at=now,
            updated_at=now,
        )
        try:
            existing = self._bots.get(record.bot_id)
        except NotFound:
            existing = None
        if existing is not None and existing.status != "removed":
            raise InvalidInput("this bot is registered already", field="token")
        if existing is not None:
            record.version = existing.version
            record.created_at = existing.created_at
            saved = self._bots.save(record)
        else:
            saved = self._bots.create(record)
        self.point_webhook(saved, api=api)
        return saved

    def point_webhook(self, bot: BotRecord, *, api: Api | None = None) -> bool:
        """(Re)point the bot's webhook at us; False when there is no public URL."""
        url = self._webhook_url(bot.bot_id)
        if not url:
            return False
        api = api or self._api_for_token(self._keyring.decrypt(bot.token_ciphertext))
        api.call(
            "setWebhook",
            url=url,
            secret_token=self._keyring.decrypt(bot.webhook_secret_ciphertext),
            allowed_updates=ALLOWED_UPDATES,
            max_connections=40,
        )
        return True
