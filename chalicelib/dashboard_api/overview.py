"""Overview numbers, analytics series and uptime reports of one operator's bots.

Analytics and uptime come from their own packages (``chalicelib.analytics``,
``chalicelib.uptime``); this module only scopes the question and shapes the answer.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any, Protocol

from chalicelib.dashboard_api.schemas import AnalyticsOut, AnalyticsQuery, OverviewOut, UptimeOut
from chalicelib.dashboard_api.scope import Scope
from chalicelib.errors import InvalidInput, NezukoError
from chalicelib.observability import logger
from chalicelib.store.bundle import Stores
from chalicelib.store.ports import HeartbeatStore


class Analytics(Protocol):
    """``chalicelib.analytics.query.Analytics``."""

    def series(self, *, bot_ids: list[int], chat_id: int | None, period: str) -> dict[str, Any]:
        """Aggregated series of ``period`` for the bots (one group with ``chat_id``)."""
        ...

    def today(self, *, bot_ids: list[int]) -> dict[str, Any]:
        """``verifications_today`` and ``pass_rate`` of the bots."""
        ...


class UptimeReport(Protocol):
    """``chalicelib.uptime.report.uptime_report``."""

    def __call__(self, heartbeats: HeartbeatStore, bot_id: int, *, now: float) -> dict[str, Any]:
        """Uptime windows and incidents of one bot."""
        ...


class Overview:
    """Numbers for the overview page, analytics and uptime, scoped to the operator.

    Args:
        stores: every store.
        analytics: builds the analytics reader (called on first use).
        uptime_report: the uptime report function.
        clock: epoch seconds.
    """

    def __init__(
        self,
        stores: Stores,
        analytics: Callable[[], Analytics],
        uptime_report: UptimeReport,
        *,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self._stores = stores
        self._analytics = analytics
        self._uptime_report = uptime_report
        self._clock = clock

    def overview(self, scope: Scope) -> OverviewOut:
        """Protected groups, channels, muted members, today's verifications, uptime."""
        bots = scope.bots(include_removed=False)
        groups = [g for b in bots for g in self._stores.groups.list_by_bot(b.bot_id) if g.enabled]
        channels = {(g.bot_id, c.chat_id) for g in groups for c in g.required_channels}
        muted = sum(
            len(self._stores.members.list_for_group(g.bot_id, g.chat_id, muted_only=True))
            for g in groups
        )
        bot_ids = [b.bot_id for b in bots]
        today: dict[str, Any] = {}
        uptimes: list[float] = []
        if bot_ids:
            today = self._analytics().today(bot_ids=bot_ids)
            for bot in bots:
                percent = _percent(self._report(bot.bot_id).get("windows", {}).get("24h"))
                if percent is not None:
                    uptimes.append(percent)
        return OverviewOut(
            protected_groups=len(groups),
            channels=len(channels),
            verifications_today=today.get("verifications_today"),
            pass_rate=today.get("pass_rate"),
            muted_now=muted,
            uptime_percent=round(sum(uptimes) / len(uptimes), 3) if uptimes else None,
        )

    def analytics(self, scope: Scope, query: AnalyticsQuery) -> AnalyticsOut:
        """Series for 24h/7d/30d/90d over the operator's bots, one bot, or one group."""
        if query.chat_id is not None:
            if query.bot_id is None:
                raise InvalidInput("chat_id: give bot_id too", field="chat_id")
            scope.group(query.bot_id, query.chat_id)
        bot_ids = scope.bot_ids(query.bot_id)
        series = self._analytics().series(
            bot_ids=bot_ids, chat_id=query.chat_id, period=query.period
        )
        return AnalyticsOut.model_validate({**series, "period": query.period})

    def uptime(self, scope: Scope, bot_id: int) -> UptimeOut:
        """Uptime windows (24h, 7d, 30d) and incidents of one bot."""
        bot = scope.bot(bot_id)
        return UptimeOut.model_validate({**self._report(bot.bot_id), "bot_id": bot.bot_id})

    def _report(self, bot_id: int) -> dict[str, Any]:
        try:
            return dict(self._uptime_report(self._stores.heartbeats, bot_id, now=self._clock()))
        except NezukoError as exc:
            logger.warning(
                "uptime report failed", extra={"bot_id": bot_id, "error": type(exc).__name__}
            )
            return {"windows": {}, "incidents": []}


def _percent(window: Any) -> float | None:
    """A window is either a percentage or ``{"percent": ...}``."""
    if isinstance(window, dict):
        window = window.get("percent")
    if isinstance(window, int | float) and not isinstance(window, bool):
        return float(window)
    return None
