"""The webhook edge: authenticate, parse, deduplicate, route, answer.

Status codes: 403 for an unknown bot or a wrong/missing secret (the same answer, nothing
touched); 400 for a body that is not a JSON update or is over 1 MB; 200 for anything we
handled or deliberately ignore; 503 only when a retry could succeed (DynamoDB or
Telegram transient failures), which makes Telegram redeliver.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import httpx
from telegram import Update

from chalicelib.crypto import Keyring, same_secret
from chalicelib.enforcement.context import TtlCache, UpdateContext
from chalicelib.enforcement.router import UpdateRouter
from chalicelib.errors import Conflict, NezukoError, NotFound, TransientError
from chalicelib.observability import logger, metrics
from chalicelib.store.ports import BotStore
from chalicelib.store.records import BotRecord
from chalicelib.telegram.client import BotApi
from chalicelib.telegram.once import RunOnce

MAX_BODY = 1024 * 1024
SECRET_HEADER = "x-telegram-bot-api-secret-token"  # noqa: S105 - a header name
REQUEST_BUDGET = 20.0  # seconds we may spend waiting out Telegram's 429s in one request


@dataclass
class HttpResult:
    """What the route returns."""

    status: int
    body: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class _BotKeys:
    bot: BotRecord
    token: str
    secret: str


class WebhookHandler:
    """Handles ``POST /telegram/{bot_id}``."""

    def __init__(
        self,
        bots: BotStore,
        keyring: Keyring,
        router: UpdateRouter,
        once: RunOnce,
        *,
        http: httpx.Client,
        api_url: str,
        bots_cache: TtlCache[int, _BotKeys] | None = None,
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        self._bots = bots
        self._keyring = keyring
        self._router = router
        self._once = once
        self._http = http
        self._api_url = api_url
        self._cache: TtlCache[int, _BotKeys] = bots_cache or TtlCache(60.0)
        self._clock = clock
        self._sleep = sleep

    def handle(
        self,
        bot_id: str,
        headers: dict[str, str],
        body: bytes | None,
        *,
        lambda_context: Any = None,
    ) -> HttpResult:
        """Authenticate and process one delivery."""
        try:
            keys = self._keys(bot_id)
        except TransientError as exc:
            logger.warning("bot lookup failed", extra={"error": type(exc).__name__})
            return HttpResult(503, {"error": "temporarily unavailable, retry"})
        presented = {k.lower(): v for k, v in headers.items()}.get(SECRET_HEADER)
        if keys is None or not same_secret(presented, keys.secret):
            metrics.add_metric(name="WebhookRejected", unit="Count", value=1)
            return HttpResult(403, {"error": "forbidden"})
        if body is None or len(body) > MAX_BODY:
            return HttpResult(400, {"error": "body missing or larger than 1 MB"})
        try:
            data = json.loads(body)
        except (json.JSONDecodeError, UnicodeDecodeError):
            return HttpResult(400, {"error": "body is not JSON"})
        update_id = data.get("update_id") if isinstance(data, dict) else None
        if not isinstance(update_id, int) or isinstance(update_id, bool):
            return HttpResult(400, {"error": "body is not a Telegram update"})
        if keys.bot.status != "active":
            return HttpResult(200, {"ok": True, "outcome": f"ignored:bot_{keys.bot.status}"})
        logger.append_keys(bot_id=keys.bot.bot_id, update_id=update_id)
        update = _parse(data)
        if update is None:
            return HttpResult(200, {"ok": True, "outcome": "ignored:unparseable"})
        _append_correlation(update)
        fast = self._router.without_effects(keys.bot, update)
        if fast is not None:
            # Nothing to do (a verified member's message, cached here): a redelivery would
            # do nothing either, so no run-once record is needed - most updates, 2 writes each.
            metrics.add_metric(name="FastPath", unit="Count", value=1)
            return HttpResult(200, {"ok": True, "outcome": fast, "calls": 0})
        try:
            result = self._once.run(
                f"{keys.bot.bot_id}:{update_id}",
                lambda: self._process(keys, update),
                lambda_context,
            )
        except TransientError as exc:
            metrics.add_metric(name="WebhookRetryable", unit="Count", value=1)
            logger.warning("retryable failure", extra={"error": type(exc).__name__})
            return HttpResult(503, {"error": "temporarily unavailable, retry"})
        return HttpResult(200, {"ok": True, **result})

    def _keys(self, raw_bot_id: str) -> _BotKeys | None:
        if not raw_bot_id.isdigit() or len(raw_bot_id) > 20:
            return None
        bot_id = int(raw_bot_id)
        cached = self._cache.get(bot_id)
        if cached is not None:
            return cached
        try:
            bot = self._bots.get(bot_id)
        except NotFound:
            return None
        if bot.status == "removed":
            return None
        keys = _BotKeys(
            bot=bot,
            token=self._keyring.decrypt(bot.token_ciphertext),
            secret=self._keyring.decrypt(bot.webhook_secret_ciphertext),
        )
        return self._cache.put(bot_id, keys)

    def forget(self, bot_id: int) -> None:
        """Drop a cached bot after it changed (secret rotated, paused, removed)."""
        self._cache.forget(bot_id)

    def api_for(self, keys: _BotKeys) -> BotApi:
        """A per-request client for one bot."""
        return BotApi(
            keys.token,
            http=self._http,
            base_url=self._api_url,
            deadline=self._clock() + REQUEST_BUDGET,
            sleep=self._sleep,
            clock=self._clock,
        )

    def _process(self, keys: _BotKeys, update: Update) -> dict[str, Any]:
        ctx = UpdateContext(bot=keys.bot, api=self.api_for(keys), update_id=update.update_id)
        try:
            outcome = self._router.route(ctx, update)
        except TransientError:
            raise
        except Conflict as exc:
            # Another delivery changed this member's ledger while we acted (our notice, if
            # any, was taken back): let Telegram redeliver; the retry sees the new state.
            raise TransientError("concurrent update of the same member") from exc
        except NezukoError as exc:
            # Retrying will not help (bad request, forbidden): record and acknowledge.
            logger.warning("update failed", extra={"error": type(exc).__name__, "detail": str(exc)})
            metrics.add_metric(name="UpdateErrors", unit="Count", value=1)
            outcome = f"failed:{type(exc).__name__}"
        except Exception:
            # A bug: a retry would fail the same way and hold up this chat's updates.
            logger.exception("update crashed")
            metrics.add_metric(name="UpdateCrashes", unit="Count", value=1)
            outcome = "failed:crash"
        metrics.add_metric(name="TelegramCalls", unit="Count", value=len(ctx.api.calls))
        return {"outcome": outcome, "calls": len(ctx.api.calls)}


def _parse(data: dict[str, Any]) -> Update | None:
    """python-telegram-bot's Update, or None for a shape it cannot read (ignored: a retry
    would not read it either)."""
    try:
        return Update.de_json(data, None)
    except Exception as exc:
        logger.info("unparseable update ignored", extra={"error": type(exc).__name__})
        return None


def _append_correlation(update: Update) -> None:
    chat = update.effective_chat
    user = update.effective_user
    logger.append_keys(
        chat_id=chat.id if chat else None,
        user_id=user.id if user else None,
    )
