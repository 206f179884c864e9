"""Is a user in every channel a group requires? Answers member, not_member or unknown.

Statuses follow Telegram: creator, administrator and member count; restricted counts when
``is_member`` is true; left and kicked do not. Any failure to ask (error, timeout,
PARTICIPANT_ID_INVALID, bot not admin) makes that channel *unknown*, never "not a member".
"""

from __future__ import annotations

import random
import threading
import time
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, Protocol

from chalicelib.errors import NezukoError
from chalicelib.store.records import ChannelRef, MemberRecord

MEMBER = "member"
NOT_MEMBER = "not_member"
UNKNOWN = "unknown"

POSITIVE_TTL = 600.0
NEGATIVE_TTL = 60.0


class Api(Protocol):
    """The part of the Bot API client this module needs."""

    def call(self, method: str, **params: Any) -> Any:
        """Call a Bot API method."""
        ...


def counts_as_member(member: dict[str, Any]) -> bool:
    """Telegram's ChatMember → does this user belong to the chat?"""
    status = member.get("status")
    if status in ("creator", "administrator", "member"):
        return True
    return status == "restricted" and bool(member.get("is_member"))


@dataclass
class Verdict:
    """The answer for one user and one group's channels."""

    status: str
    missing: list[ChannelRef] = field(default_factory=list)
    unknown: list[ChannelRef] = field(default_factory=list)
    cache_hit: bool = False
    latency_ms: float = 0.0
    errors: list[str] = field(default_factory=list)
    expires_at: float = 0.0


class VerdictCache:
    """A small per-container LRU of verdicts, keyed by (bot, group, user)."""

    def __init__(self, capacity: int = 4096) -> None:
        self._items: OrderedDict[tuple[int, int, int], tuple[str, list[int], float]] = OrderedDict()
        self._capacity = capacity
        self._lock = threading.Lock()

    def get(self, key: tuple[int, int, int], now: float) -> tuple[str, list[int]] | None:
        """A live cached verdict, or None."""
        with self._lock:
            item = self._items.get(key)
            if item is None or item[2] <= now:
                return None
            self._items.move_to_end(key)
            return item[0], item[1]

    def put(self, key: tuple[int, int, int], status: str, missing: list[int], until: float) -> None:
        """Remember a verdict until ``until``."""
        with self._lock:
            self._items[key] = (status, list(missing), until)
            self._items.move_to_end(key)
            while len(self._items) > self._capacity:
                self._items.popitem(last=False)

    def forget(self, key: tuple[int, int, int]) -> None:
        """Drop a verdict (a channel join/leave or a button press invalidates it)."""
        with self._lock:
            self._items.pop(key, None)


class MembershipChecker:
    """Checks channel membership with two cache layers: this container and the ledger."""

    def __init__(
        self,
        cache: VerdictCache,
        *,
        clock: Callable[[], float] = time.time,
        rng: random.Random | None = None,
    ) -> None:
        self._cache = cache
        self._clock = clock
        self._rng = rng or random.Random()  # noqa: S311 - jitter, not security

    def cached(
        self, bot_id: int, chat_id: int, user_id: int, ledger: MemberRecord | None
    ) -> tuple[str, list[int]] | None:
        """A cached verdict from memory, then from the ledger; None when none is live."""
        now = self._clock()
        key = (bot_id, chat_id, user_id)
        hit = self._cache.get(key, now)
        if hit is not None:
            return hit
        if ledger is not None and ledger.verdict and ledger.verdict_expires_at > now:
            self._cache.put(key, ledger.verdict, ledger.missing_channels, ledger.verdict_expires_at)
            return ledger.verdict, list(ledger.missing_channels)
        return None

    def check(
        self,
        api: Api,
        bot_id: int,
        chat_id: int,
        user_id: int,
        channels: list[ChannelRef],
        *,
        ledger: MemberRecord | None = None,
        fresh: bool = False,
    ) -> Verdict:
        """The verdict over all ``channels`` (AND); from cache unless ``fresh``."""
        started = time.perf_counter()
        if not fresh:
            hit = self.cached(bot_id, chat_id, user_id, ledger)
            if hit is not None:
                status, missing_ids = hit
                missing = [c for c in channels if c.chat_id in set(missing_ids)]
                # A negative verdict about channels the group no longer requires is stale.
                if status == MEMBER or missing:
                    return Verdict(status=status, missing=missing, cache_hit=True)
        missing, unknown, errors = [], [], []
        for channel in channels:
            try:
                answer = api.call("getChatMember", chat_id=channel.chat_id, user_id=user_id)
            except NezukoError as exc:
                unknown.append(channel)
                errors.append(type(exc).__name__)
                continue
            if not isinstance(answer, dict):
                unknown.append(channel)
                continue
            if not counts_as_member(answer):
                missing.append(channel)
        status = NOT_MEMBER if missing else (UNKNOWN if unknown else MEMBER)
        verdict = Verdict(
            status=status,
            missing=missing,
            unknown=unknown,
            latency_ms=round((time.perf_counter() - started) * 1000, 2),
            errors=errors,
        )
        verdict.expires_at = self.remember(bot_id, chat_id, user_id, verdict)
        return verdict

    def expiry_for(self, status: str) -> float:
        """When a fresh verdict of ``status`` stops being trusted (0 = never cached)."""
        now = self._clock()
        if status == MEMBER:
            return now + POSITIVE_TTL * self._rng.uniform(0.9, 1.1)
        if status == NOT_MEMBER:
            return now + NEGATIVE_TTL
        return 0.0

    def remember(self, bot_id: int, chat_id: int, user_id: int, verdict: Verdict) -> float:
        """Cache ``verdict`` in this container; returns its expiry for the ledger."""
        until = self.expiry_for(verdict.status)
        key = (bot_id, chat_id, user_id)
        if until:
            self._cache.put(key, verdict.status, [c.chat_id for c in verdict.missing], until)
        else:
            self._cache.forget(key)
        return until

    def forget(self, bot_id: int, chat_id: int, user_id: int) -> None:
        """Invalidate this container's cached verdict."""
        self._cache.forget((bot_id, chat_id, user_id))
