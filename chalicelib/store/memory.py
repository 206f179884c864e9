"""In-memory implementations of the store ports, for unit tests and fakes.

They pass the same contract tests as the DynamoDB stores: copies in and out (no shared
mutable state with callers), versions checked the same way, same errors.
"""

from __future__ import annotations

import base64
import copy
import threading
from collections.abc import Callable, Sequence
from typing import Any, TypeVar

from chalicelib.errors import Conflict, InvalidInput, NotFound
from chalicelib.store.records import (
    AuthRecord,
    BotRecord,
    ConnectionRecord,
    EventQuery,
    EventRecord,
    GroupRecord,
    HeartbeatRecord,
    JobRecord,
    MemberRecord,
    Page,
    ParkedRecord,
    StatDelta,
)

T = TypeVar("T")
K = TypeVar("K")


class _Versioned:
    """Shared optimistic-locking logic (mirrors PynamoDB's VersionAttribute)."""

    def __init__(self) -> None:
        self._lock = threading.Lock()

    def _versioned_save(self, items: dict[Any, Any], key: Any, record: T, what: str) -> T:
        with self._lock:
            current = items.get(key)
            expected = getattr(record, "version", None)
            if current is None and expected is not None:
                raise Conflict(f"{what}: changed concurrently or already exists")
            if current is not None and current.version != expected:
                raise Conflict(f"{what}: changed concurrently or already exists")
            stored = copy.deepcopy(record)
            stored.version = (expected or 0) + 1  # type: ignore[attr-defined]
            items[key] = stored
            return copy.deepcopy(stored)


class MemoryBotStore(_Versioned):
    """Bots in memory."""

    def __init__(self) -> None:
        super().__init__()
        self._items: dict[int, BotRecord] = {}

    def create(self, bot: BotRecord) -> BotRecord:
        with self._lock:
            if bot.bot_id in self._items:
                raise Conflict(f"create bot {bot.bot_id}: changed concurrently or already exists")
            stored = copy.deepcopy(bot)
            stored.version = 1
            self._items[bot.bot_id] = stored
            return copy.deepcopy(stored)

    def get(self, bot_id: int) -> BotRecord:
        with self._lock:
            if bot_id not in self._items:
                raise NotFound(f"bot {bot_id} not found")
            return copy.deepcopy(self._items[bot_id])

    def save(self, bot: BotRecord) -> BotRecord:
        return self._versioned_save(self._items, bot.bot_id, bot, f"save bot {bot.bot_id}")

    def list_by_owner(self, owner_id: int) -> list[BotRecord]:
        return [b for b in self.list_all() if b.owner_id == owner_id]

    def list_all(self) -> list[BotRecord]:
        with self._lock:
            return [copy.deepcopy(self._items[k]) for k in sorted(self._items)]


class MemoryGroupStore(_Versioned):
    """Protected groups in memory."""

    def __init__(self) -> None:
        super().__init__()
        self._items: dict[tuple[int, int], GroupRecord] = {}

    def find(self, bot_id: int, chat_id: int) -> GroupRecord | None:
        with self._lock:
            item = self._items.get((bot_id, chat_id))
            return copy.deepcopy(item) if item else None

    def get(self, bot_id: int, chat_id: int) -> GroupRecord:
        group = self.find(bot_id, chat_id)
        if group is None:
            raise NotFound(f"group {chat_id} is not protected by bot {bot_id}")
        return group

    def save(self, group: GroupRecord) -> GroupRecord:
        key = (group.bot_id, group.chat_id)
        return self._versioned_save(self._items, key, group, f"save group {group.chat_id}")

    def delete(self, bot_id: int, chat_id: int) -> None:
        with self._lock:
            self._items.pop((bot_id, chat_id), None)

    def list_by_bot(self, bot_id: int) -> list[GroupRecord]:
        with self._lock:
            return [copy.deepcopy(v) for k, v in sorted(self._items.items()) if k[0] == bot_id]


class MemoryLinkStore:
    """Channel-group links in memory."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._links: set[tuple[int, int, int]] = set()  # (bot, channel, group)

    def set_links(self, bot_id: int, group_id: int, channel_ids: list[int]) -> None:
        with self._lock:
            self._links = {link for link in self._links if link[0::2] != (bot_id, group_id)}
            self._links.update((bot_id, c, group_id) for c in channel_ids)

    def groups_for_channel(self, bot_id: int, channel_id: int) -> list[int]:
        with self._lock:
            return sorted(g for b, c, g in self._links if (b, c) == (bot_id, channel_id))

    def channels_for_group(self, bot_id: int, group_id: int) -> list[int]:
        with self._lock:
            return sorted(c for b, c, g in self._links if (b, g) == (bot_id, group_id))


class MemoryMemberStore(_Versioned):
    """The member ledger in memory."""

    def __init__(self) -> None:
        super().__init__()
        self._items: dict[tuple[int, int, int], MemberRecord] = {}

    def find(self, bot_id: int, chat_id: int, user_id: int) -> MemberRecord | None:
        with self._lock:
            item = self._items.get((bot_id, chat_id, user_id))
            return copy.deepcopy(item) if item else None

    def save(self, member: MemberRecord) -> MemberRecord:
        key = (member.bot_id, member.chat_id, member.user_id)
        return self._versioned_save(self._items, key, member, f"save member {member.user_id}")

    def delete(self, bot_id: int, chat_id: int, user_id: int) -> None:
        with self._lock:
            self._items.pop((bot_id, chat_id, user_id), None)

    def _select(self, keep: Callable[[tuple[int, int, int], MemberRecord], bool]) -> list[Any]:
        with self._lock:
            return [copy.deepcopy(v) for k, v in sorted(self._items.items()) if keep(k, v)]

    def list_for_user(self, bot_id: int, user_id: int) -> list[MemberRecord]:
        found = self._select(lambda k, _: k[0] == bot_id and k[2] == user_id)
        return sorted(found, key=lambda r: f"{r.bot_id}:{r.chat_id}")

    def list_for_group(
        self, bot_id: int, chat_id: int, *, muted_only: bool = False
    ) -> list[MemberRecord]:
        return self._select(lambda k, v: k[:2] == (bot_id, chat_id) and (v.muted or not muted_only))


class MemoryEventStore:
    """The event log in memory."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._items: dict[str, EventRecord] = {}

    def put(self, event: EventRecord) -> None:
        with self._lock:
            key = f"{event.bot_id}/{event.sort_key}"
            if key in self._items:
                raise Conflict(
                    f"put event {event.event_id}: changed concurrently or already exists"
                )
            self._items[key] = copy.deepcopy(event)

    def all(self) -> list[EventRecord]:
        """Every event, oldest first (test helper)."""
        with self._lock:
            return [copy.deepcopy(self._items[k]) for k in sorted(self._items)]

    def query(self, query: EventQuery) -> Page[EventRecord]:
        low = f"{int((query.since or 0) * 1000):013d}"
        high = f"{int((query.until or 9_999_999_999) * 1000):013d}~"
        start = None
        if query.cursor:
            try:
                start = base64.urlsafe_b64decode(query.cursor + "=" * (-len(query.cursor) % 4))
                start_sk = start.decode()
            except (ValueError, UnicodeDecodeError):
                raise InvalidInput("cursor is not valid") from None
            if not (low <= start_sk <= high) or "#" not in start_sk:
                raise InvalidInput("cursor is not valid for these filters")
        with self._lock:
            events = [
                e
                for e in self._items.values()
                if e.bot_id == query.bot_id
                and low <= e.sort_key <= high
                and (query.chat_id is None or e.chat_id == query.chat_id)
                and (query.user_id is None or e.user_id == query.user_id)
                and (not query.types or e.type in query.types)
            ]
        events.sort(key=lambda e: e.sort_key, reverse=query.newest_first)
        if start is not None:
            if query.newest_first:
                events = [e for e in events if e.sort_key < start_sk]
            else:
                events = [e for e in events if e.sort_key > start_sk]
        page = [copy.deepcopy(e) for e in events[: query.limit]]
        cursor = None
        if len(page) == query.limit:
            cursor = base64.urlsafe_b64encode(page[-1].sort_key.encode()).decode().rstrip("=")
        return Page(items=page, cursor=cursor)


class MemoryJobStore:
    """Due jobs in memory."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._items: dict[str, JobRecord] = {}

    def put(self, job: JobRecord) -> None:
        with self._lock:
            self._items[job.job_id] = copy.deepcopy(job)

    def due(self, now: float, limit: int) -> list[JobRecord]:
        with self._lock:
            due = [copy.deepcopy(j) for j in self._items.values() if j.due_at <= now]
        due.sort(key=lambda j: (j.due_at, j.job_id))
        return due[:limit]

    def claim(self, job: JobRecord) -> bool:
        with self._lock:
            return self._items.pop(job.job_id, None) is not None


class MemoryConnectionStore:
    """Websocket connections in memory."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._items: dict[str, ConnectionRecord] = {}

    def put(self, connection: ConnectionRecord) -> None:
        with self._lock:
            self._items[connection.connection_id] = copy.deepcopy(connection)

    def find(self, connection_id: str) -> ConnectionRecord | None:
        with self._lock:
            item = self._items.get(connection_id)
            return copy.deepcopy(item) if item else None

    def delete(self, connection_id: str) -> None:
        with self._lock:
            self._items.pop(connection_id, None)

    def list_by_operator(self, operator_id: int) -> list[ConnectionRecord]:
        with self._lock:
            return [
                copy.deepcopy(v)
                for k, v in sorted(self._items.items())
                if v.operator_id == operator_id
            ]


class MemoryHeartbeatStore:
    """Heartbeats in memory."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._items: dict[tuple[int, int], HeartbeatRecord] = {}

    def put(self, heartbeat: HeartbeatRecord) -> None:
        with self._lock:
            self._items[(heartbeat.bot_id, heartbeat.minute)] = copy.deepcopy(heartbeat)

    def list(self, bot_id: int, since: int, until: int) -> list[HeartbeatRecord]:
        with self._lock:
            return [
                copy.deepcopy(v)
                for (b, minute), v in sorted(self._items.items())
                if b == bot_id and since <= minute < until
            ]


class MemoryAuthStore:
    """Tickets, sessions and counters in memory."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._items: dict[str, AuthRecord] = {}
        self._counts: dict[str, int] = {}

    def put(self, record: AuthRecord) -> None:
        key = f"{record.kind}#{record.token_id}"
        with self._lock:
            if key in self._items:
                raise Conflict(f"put {record.kind}: changed concurrently or already exists")
            self._items[key] = copy.deepcopy(record)

    def find(self, kind: str, token_id: str, *, now: float) -> AuthRecord | None:
        with self._lock:
            item = self._items.get(f"{kind}#{token_id}")
            return copy.deepcopy(item) if item and item.expires_at > now else None

    def consume(self, kind: str, token_id: str, *, now: float) -> AuthRecord | None:
        with self._lock:
            item = self._items.pop(f"{kind}#{token_id}", None)
        return item if item and item.expires_at > now else None

    def delete(self, kind: str, token_id: str) -> None:
        with self._lock:
            self._items.pop(f"{kind}#{token_id}", None)

    def hit(self, kind: str, key: str, *, now: float, window: int) -> int:
        bucket = f"{kind}#{key}#{int(now // window)}"
        with self._lock:
            self._counts[bucket] = self._counts.get(bucket, 0) + 1
            return self._counts[bucket]


class MemoryStatStore:
    """Aggregated counters in memory."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._items: dict[tuple[str, str], float] = {}
        self._markers: set[str] = set()

    def add(self, scope: str, bucket: str, amount: float, *, expires_at: int | None) -> None:
        with self._lock:
            self._items[(scope, bucket)] = self._items.get((scope, bucket), 0) + amount

    def range(self, scope: str, start: str, end: str) -> dict[str, float]:
        with self._lock:
            return {
                b: v for (s, b), v in sorted(self._items.items()) if s == scope and start <= b < end
            }

    def apply_once(
        self, marker: str, deltas: Sequence[StatDelta], *, marker_expires_at: int
    ) -> bool:
        with self._lock:
            if marker in self._markers:
                return False
            self._markers.add(marker)
            for d in deltas:
                key = (d.scope, d.bucket)
                self._items[key] = self._items.get(key, 0) + d.amount
            return True


class MemoryParkedStore:
    """Parked stream records in memory."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._tries: dict[tuple[str, str], int] = {}
        self._items: dict[tuple[str, str], ParkedRecord] = {}

    def count_failure(self, source: str, key: str, *, expires_at: int) -> int:
        with self._lock:
            self._tries[(source, key)] = self._tries.get((source, key), 0) + 1
            return self._tries[(source, key)]

    def park(self, record: ParkedRecord) -> None:
        with self._lock:
            self._items[(record.source, record.parked_id)] = copy.deepcopy(record)

    def list(self, source: str, *, limit: int, cursor: str | None = None) -> Page[ParkedRecord]:
        start = None
        if cursor:
            try:
                start = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)).decode()
            except (ValueError, UnicodeDecodeError):
                raise InvalidInput("cursor is not valid") from None
            if "#" not in start:
                raise InvalidInput("cursor is not valid")
        with self._lock:
            ids = sorted((i for s, i in self._items if s == source), reverse=True)
            if start is not None:
                ids = [i for i in ids if i < start]
            page = [copy.deepcopy(self._items[(source, i)]) for i in ids[:limit]]
        next_cursor = None
        if len(page) == limit:
            next_cursor = base64.urlsafe_b64encode(page[-1].parked_id.encode()).decode().rstrip("=")
        return Page(items=page, cursor=next_cursor)

    def delete(self, source: str, parked_id: str) -> None:
        with self._lock:
            self._items.pop((source, parked_id), None)
