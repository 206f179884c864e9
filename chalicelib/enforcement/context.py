"""Per-update context, per-container caches, and the event recorder."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, Generic, TypeVar

from chalicelib.enforcement.membership import Verdict
from chalicelib.observability import logger
from chalicelib.store.ports import EventStore
from chalicelib.store.records import BotRecord, EventRecord
from chalicelib.telegram.client import BotApi

K = TypeVar("K")
V = TypeVar("V")

# Telegram's own accounts: never checked.
TELEGRAM_SERVICE_IDS = frozenset({777000, 1087968824, 136817688})


@dataclass
class UpdateContext:
    """What one update's handling shares: the bot, its API client, and when it started."""

    bot: BotRecord
    api: BotApi
    update_id: int = 0
    started: float = field(default_factory=time.perf_counter)

    @property
    def bot_id(self) -> int:
        """The bot handling the update."""
        return self.bot.bot_id


class TtlCache(Generic[K, V]):
    """A tiny thread-safe per-container cache with a fixed lifetime per entry."""

    def __init__(self, ttl: float, *, clock: Callable[[], float] = time.monotonic) -> None:
        self._ttl = ttl
        self._clock = clock
        self._items: dict[K, tuple[float, V]] = {}
        self._lock = threading.Lock()

    def get(self, key: K) -> V | None:
        """The live value, or None."""
        with self._lock:
            item = self._items.get(key)
            if item is None or item[0] <= self._clock():
                return None
            return item[1]

    def put(self, key: K, value: V) -> V:
        """Remember ``value``; returns it."""
        with self._lock:
            if len(self._items) > 10_000:
                self._items.clear()
            self._items[key] = (self._clock() + self._ttl, value)
        return value

    def forget(self, key: K) -> None:
        """Drop ``key``."""
        with self._lock:
            self._items.pop(key, None)


class EventRecorder:
    """Writes each decision once, and logs it as one structured line."""

    def __init__(
        self,
        events: EventStore,
        *,
        retention_days: int,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self._events = events
        self._retention = retention_days * 86_400
        self._clock = clock

    def record(
        self,
        ctx: UpdateContext | None,
        type_: str,
        *,
        bot_id: int | None = None,
        owner_id: int | None = None,
        chat_id: int | None = None,
        user_id: int | None = None,
        actor_id: int | None = None,
        reason: str = "",
        channels: list[int] | None = None,
        verdict: Verdict | None = None,
        detail: dict[str, Any] | None = None,
    ) -> EventRecord:
        """Append one event; latency and Telegram calls come from ``ctx``."""
        now = self._clock()
        event = EventRecord(
            bot_id=ctx.bot_id if ctx else int(bot_id or 0),
            owner_id=ctx.bot.owner_id if ctx else owner_id,
            type=type_,
            ts=now,
            chat_id=chat_id,
            user_id=user_id,
            actor_id=actor_id,
            reason=reason,
            channels=list(channels or []),
            latency_ms=verdict.latency_ms if verdict and not verdict.cache_hit else None,
            cache_hit=verdict.cache_hit if verdict else None,
            telegram_calls=list(ctx.api.calls) if ctx else [],
            detail=_with_errors(detail, ctx),
            expires_at=int(now + self._retention),
        )
        self._events.put(event)
        logger.info(
            "decision",
            extra={
                "event_type": type_,
                "reason": reason,
                "bot_id": event.bot_id,
                "chat_id": chat_id,
                "user_id": user_id,
                "actor_id": actor_id,
                "channels": event.channels,
                "cache_hit": event.cache_hit,
                "latency_ms": event.latency_ms,
                "telegram_calls": event.telegram_calls,
                "event_id": event.event_id,
            },
        )
        return event


def _with_errors(detail: dict[str, Any] | None, ctx: UpdateContext | None) -> dict[str, Any]:
    """The event's detail, plus the Bot API methods that failed while deciding (analytics
    counts Telegram errors by method from these)."""
    merged = dict(detail or {})
    errors = list(getattr(ctx.api, "errors", []) if ctx else [])
    if errors:
        merged.setdefault("telegram_errors", errors)
    return merged
