"""The per-minute heartbeat: real health of every active bot, one sample per minute.

For each active bot: ``getMe`` (the token still works) and ``getWebhookInfo`` (URL is
ours, every update kind we need is allowed, no backlog, no recent delivery error). The
sample is written as that minute's ``HeartbeatRecord`` (an idempotent put: two runs in
the same minute write the same item), a drifted webhook is re-pointed, the bot item's
``health`` is refreshed for the dashboard, and an EMF ``BotHealthy`` metric (dimension
``bot_id``) feeds the alarms. Bots are checked in parallel with a bound, and a run stops
starting new checks when its time budget is spent.
"""

from __future__ import annotations

import contextlib
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import Any, Protocol

from aws_lambda_powertools.metrics import MetricUnit, single_metric

from chalicelib.bots import ALLOWED_UPDATES
from chalicelib.errors import Conflict, NezukoError, TransientError
from chalicelib.observability import logger
from chalicelib.store.bundle import Stores
from chalicelib.store.records import BotRecord, HeartbeatRecord
from chalicelib.telegram.errors import TelegramNotFound

PENDING_LIMIT = 100  # updates Telegram holds for us before we call it a backlog
RECENT_ERROR = 300  # seconds a webhook delivery error keeps the bot unhealthy
HEALTH_REFRESH = 300  # seconds between bot-item writes when nothing changed
MAX_WORKERS = 8
BUDGET = 40.0  # seconds per run (the schedule fires every 60)
#: What Telegram delivers when a webhook names no allowed_updates (no chat_member).
TELEGRAM_DEFAULT_UPDATES = frozenset(ALLOWED_UPDATES) - {"chat_member"}


class Api(Protocol):
    """The Bot API calls the heartbeat makes."""

    def call(self, method: str, **params: Any) -> Any:
        """Call a Bot API method."""
        ...


def emit_bot_healthy(bot_id: int, healthy: bool) -> None:
    """One EMF datapoint ``Nezuko/BotHealthy{bot_id}`` (1 or 0) for the alarms."""
    with single_metric(
        name="BotHealthy", unit=MetricUnit.Count, value=1 if healthy else 0, namespace="Nezuko"
    ) as metric:
        metric.add_dimension(name="bot_id", value=str(bot_id))


class Heartbeat:
    """Checks every active bot once per run.

    Args:
        stores: bots and heartbeats.
        api_for: a Bot API client for a bot.
        webhook_url: our webhook URL for a bot id, or None (no public URL: polling).
        repoint: re-points a bot's webhook (``BotRegistry.point_webhook``).
        retention_days: heartbeat TTL.
        clock / monotonic: injectable time.
        emit: the metric sink.
    """

    def __init__(
        self,
        stores: Stores,
        api_for: Callable[[BotRecord], Api],
        webhook_url: Callable[[int], str | None],
        repoint: Callable[[BotRecord], bool],
        *,
        retention_days: int,
        clock: Callable[[], float] = time.time,
        monotonic: Callable[[], float] = time.monotonic,
        emit: Callable[[int, bool], None] = emit_bot_healthy,
        max_workers: int = MAX_WORKERS,
        budget: float = BUDGET,
    ) -> None:
        self._stores = stores
        self._api_for = api_for
        self._webhook_url = webhook_url
        self._repoint = repoint
        self._retention = retention_days * 86_400
        self._clock = clock
        self._monotonic = monotonic
        self._emit = emit
        self._max_workers = max_workers
        self._budget = budget

    def run(self) -> dict[str, int]:
        """One pass over active bots; returns counts."""
        bots = [b for b in self._stores.bots.list_all() if b.status == "active"]
        deadline = self._monotonic() + self._budget
        counts = {"healthy": 0, "unhealthy": 0, "repointed": 0, "skipped": 0, "failed": 0}

        def check(bot: BotRecord) -> tuple[str, bool]:
            if self._monotonic() > deadline:
                return "skipped", False
            try:
                beat = self.check(bot)
            except Exception as exc:  # one bot never stops the others
                logger.warning(
                    "heartbeat failed", extra={"bot_id": bot.bot_id, "error": type(exc).__name__}
                )
                return "failed", False
            return ("healthy" if beat.healthy else "unhealthy"), bool(beat.detail.get("repointed"))

        with ThreadPoolExecutor(max_workers=self._max_workers) as pool:
            for outcome, repointed in pool.map(check, bots):
                counts[outcome] += 1
                counts["repointed"] += int(repointed)
        return counts

    def check(self, bot: BotRecord) -> HeartbeatRecord:
        """Check one bot now, store the minute's sample and the bot's health."""
        now = self._clock()
        detail = self._probe(bot, now)
        beat = HeartbeatRecord(
            bot_id=bot.bot_id,
            minute=int(now // 60) * 60,
            healthy=not detail["reasons"],
            expires_at=int(now + self._retention),
            detail=detail,
        )
        self._stores.heartbeats.put(beat)
        self._save_health(bot, beat, now)
        self._emit(bot.bot_id, beat.healthy)
        return beat

    def _probe(self, bot: BotRecord, now: float) -> dict[str, Any]:
        reasons: list[str] = []
        detail: dict[str, Any] = {"reasons": reasons}
        try:
            api = self._api_for(bot)
        except NezukoError:
            reasons.append("token_unreadable")
            return detail
        try:
            me = api.call("getMe")
            if not isinstance(me, dict) or int(me.get("id") or 0) != bot.bot_id:
                reasons.append("getme_mismatch")
        except TelegramNotFound:
            reasons.append("token_revoked")
            return detail
        except TransientError:
            reasons.append("telegram_unreachable")
            return detail
        except NezukoError:
            reasons.append("getme_failed")
        try:
            info = api.call("getWebhookInfo")
        except NezukoError:
            reasons.append("webhook_info_failed")
            return detail
        if not isinstance(info, dict):
            reasons.append("webhook_info_failed")
            return detail
        self._judge_webhook(bot, info, now, detail)
        return detail

    def _judge_webhook(
        self, bot: BotRecord, info: dict[str, Any], now: float, detail: dict[str, Any]
    ) -> None:
        reasons: list[str] = detail["reasons"]
        pending = int(info.get("pending_update_count") or 0)
        detail["pending_update_count"] = pending
        if pending > PENDING_LIMIT:
            reasons.append("backlog")
        error_date = info.get("last_error_date")
        if error_date:
            detail["last_error_date"] = int(error_date)
            detail["last_error_message"] = str(info.get("last_error_message") or "")[:200]
            if now - int(error_date) < RECENT_ERROR:
                reasons.append("webhook_error")
        expected = self._webhook_url(bot.bot_id)
        if not expected:
            return  # no public URL: the polling bridge feeds updates, no webhook to check
        drift = []
        if info.get("url") != expected:
            drift.append("webhook_url_mismatch")
        allowed = info.get("allowed_updates")
        allowed_set = set(allowed) if isinstance(allowed, list) else TELEGRAM_DEFAULT_UPDATES
        if not set(ALLOWED_UPDATES) <= allowed_set:
            drift.append("allowed_updates_incomplete")
        if not drift:
            return
        reasons.extend(drift)
        try:
            detail["repointed"] = bool(self._repoint(bot))
        except NezukoError as exc:
            detail["repointed"] = False
            reasons.append("repoint_failed")
            logger.warning(
                "webhook re-point failed",
                extra={"bot_id": bot.bot_id, "error": type(exc).__name__},
            )

    def _save_health(self, bot: BotRecord, beat: HeartbeatRecord, now: float) -> None:
        health = {
            "healthy": beat.healthy,
            "reasons": list(beat.detail["reasons"]),
            "pending_update_count": beat.detail.get("pending_update_count"),
            "last_error_date": beat.detail.get("last_error_date"),
            "last_error_message": beat.detail.get("last_error_message"),
        }
        previous = dict(bot.health or {})
        checked_at = float(previous.pop("checked_at", 0) or 0)
        previous.pop("repointed_at", None)
        if previous == health and now - checked_at < HEALTH_REFRESH:
            return  # unchanged: spare the bot item a version bump every minute
        health["checked_at"] = now
        if beat.detail.get("repointed"):
            health["repointed_at"] = now
        bot.health = health
        # An operator edit or a concurrent run may win: the next minute writes it then.
        with contextlib.suppress(Conflict):
            self._stores.bots.save(bot)
