"""Bots of one operator: list, add, inspect (webhook health), pause, resume, rotate, remove."""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

from chalicelib.bots import ALLOWED_UPDATES, Api, BotRegistry
from chalicelib.crypto import Keyring, new_secret
from chalicelib.dashboard_api.audit import Recorder
from chalicelib.dashboard_api.pagination import paginate
from chalicelib.dashboard_api.schemas import (
    BotDetailOut,
    BotListOut,
    BotListQuery,
    BotOut,
    WebhookHealth,
)
from chalicelib.dashboard_api.scope import Scope
from chalicelib.errors import InvalidInput, NezukoError
from chalicelib.observability import logger
from chalicelib.store.bundle import Stores
from chalicelib.store.records import BotRecord
from chalicelib.telegram.errors import TelegramNotFound


def bot_out(bot: BotRecord) -> BotOut:
    """The public view of a bot (never a token or secret)."""
    return BotOut(
        bot_id=bot.bot_id,
        username=bot.username,
        first_name=bot.first_name,
        status=bot.status,
        created_at=bot.created_at,
        updated_at=bot.updated_at,
    )


class BotAdmin:
    """Bot management, scoped to the operator.

    Args:
        stores: every store.
        registry: registers tokens and points webhooks.
        keyring: encrypts rotated webhook secrets.
        api_for: a Bot API client for a stored bot.
        webhook_url: where a bot's webhook should point (None without a public URL).
        recorder: writes audit events.
        clock: epoch seconds.
    """

    def __init__(
        self,
        stores: Stores,
        registry: BotRegistry,
        keyring: Keyring,
        api_for: Callable[[BotRecord], Api],
        webhook_url: Callable[[int], str | None],
        recorder: Recorder,
        *,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self._stores = stores
        self._registry = registry
        self._keyring = keyring
        self._api_for = api_for
        self._webhook_url = webhook_url
        self._recorder = recorder
        self._clock = clock

    def list(self, scope: Scope, query: BotListQuery) -> BotListOut:
        """The operator's bots, paged by id."""
        bots = scope.bots(include_removed=query.include_removed)
        page, cursor = paginate(bots, lambda b: (b.bot_id,), limit=query.limit, cursor=query.cursor)
        return BotListOut(items=[bot_out(b) for b in page], next_cursor=cursor)

    def add(self, scope: Scope, token: str, *, via: str = "dashboard") -> BotOut:
        """Register a bot by token for the operator (getMe → encrypt → setWebhook)."""
        bot = self._registry.register(token, scope.operator_id)
        self._audit(scope, bot, "bot_added", via=via, detail={"username": bot.username})
        return bot_out(bot)

    def get(self, scope: Scope, bot_id: int) -> BotDetailOut:
        """One bot with its webhook health as Telegram reports it."""
        bot = scope.bot(bot_id)
        groups = len(self._stores.groups.list_by_bot(bot.bot_id))
        return BotDetailOut(**bot_out(bot).model_dump(), webhook=self._health(bot), groups=groups)

    def set_paused(
        self, scope: Scope, bot_id: int, *, paused: bool, via: str = "dashboard"
    ) -> BotOut:
        """Pause (updates are acknowledged and ignored) or resume a bot."""
        bot = scope.bot(bot_id)
        if bot.status == "removed":
            raise InvalidInput("this bot was removed; add it again with its token")
        wanted = "paused" if paused else "active"
        if bot.status != wanted:
            bot.status = wanted
            bot.updated_at = self._clock()
            bot = self._stores.bots.save(bot)
            self._audit(scope, bot, "bot_paused" if paused else "bot_resumed", via=via)
        return bot_out(bot)

    def rotate_secret(self, scope: Scope, bot_id: int, *, via: str = "dashboard") -> BotOut:
        """A fresh webhook secret: Telegram is told first, then the record is saved."""
        bot = scope.bot(bot_id)
        if bot.status == "removed":
            raise InvalidInput("this bot was removed; add it again with its token")
        if not self._webhook_url(bot.bot_id):
            raise InvalidInput("this deployment has no public URL (NEZUKO_PUBLIC_URL) to point at")
        previous = bot.webhook_secret_ciphertext
        bot.webhook_secret_ciphertext = self._keyring.encrypt(new_secret())
        bot.updated_at = self._clock()
        self._registry.point_webhook(bot)
        try:
            bot = self._stores.bots.save(bot)
        except NezukoError:
            # Put Telegram back on the secret we still have stored, then report the failure.
            bot.webhook_secret_ciphertext = previous
            self._registry.point_webhook(bot)
            raise
        self._audit(scope, bot, "webhook_secret_rotated", via=via)
        return bot_out(bot)

    def remove(self, scope: Scope, bot_id: int, *, via: str = "dashboard") -> BotOut:
        """Stop the webhook and mark the bot removed; its groups and events are kept."""
        bot = scope.bot(bot_id)
        if bot.status == "removed":
            return bot_out(bot)
        try:
            # Pending updates stay with Telegram: a re-added bot picks them up.
            self._api_for(bot).call("deleteWebhook")
        except TelegramNotFound:
            logger.info("token already revoked at removal", extra={"bot_id": bot.bot_id})
        bot.status = "removed"
        bot.updated_at = self._clock()
        bot = self._stores.bots.save(bot)
        self._audit(scope, bot, "bot_deregistered", via=via)
        return bot_out(bot)

    def _health(self, bot: BotRecord) -> WebhookHealth:
        if bot.status == "removed":
            return WebhookHealth(reachable=False, error="bot removed")
        try:
            info = self._api_for(bot).call("getWebhookInfo")
        except NezukoError as exc:
            return WebhookHealth(reachable=False, error=type(exc).__name__)
        info = info if isinstance(info, dict) else {}
        expected = self._webhook_url(bot.bot_id)
        allowed: list[Any] = info.get("allowed_updates") or []
        missing = [u for u in ALLOWED_UPDATES if u not in allowed]
        return WebhookHealth(
            reachable=True,
            url_matches=(info.get("url") == expected) if expected else None,
            allowed_updates_complete=not missing,
            missing_updates=missing,
            pending_update_count=info.get("pending_update_count"),
            last_error_date=info.get("last_error_date"),
            last_error_message=info.get("last_error_message"),
        )

    def _audit(
        self,
        scope: Scope,
        bot: BotRecord,
        type_: str,
        *,
        via: str,
        detail: dict[str, Any] | None = None,
    ) -> None:
        self._recorder.record(
            None,
            type_,
            bot_id=bot.bot_id,
            owner_id=bot.owner_id,
            actor_id=scope.operator_id,
            reason=via,
            detail=detail,
        )
