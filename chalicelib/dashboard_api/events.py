"""The events explorer and audit log over one or several bots, and CSV export.

Events are stored per bot. A page across several bots is a merge: each bot is asked for
the events after a boundary (the sort key of the last event already shown), the answers
are merged by sort key, and the page ends at the ``limit``-th. The cursor is that one sort
key, so it names no bot and cannot widen the operator's scope.
"""

from __future__ import annotations

import csv
import dataclasses
import io
import json
import re
from collections.abc import Iterator
from dataclasses import dataclass

from chalicelib.dashboard_api.audit import ADMIN_EVENT_TYPES
from chalicelib.dashboard_api.pagination import decode_cursor, encode_cursor
from chalicelib.dashboard_api.schemas import EventOut, EventPageOut, EventsQuery, ExportQuery
from chalicelib.dashboard_api.scope import Scope
from chalicelib.errors import InvalidInput
from chalicelib.store.ports import EventStore
from chalicelib.store.records import EventQuery, EventRecord

_SORT_KEY = re.compile(r"^(\d{13})#[0-9a-f]{13,40}$")
_TYPE = re.compile(r"^[a-z_]{1,40}$")
MAX_TYPES = 20
CSV_COLUMNS = (
    "ts",
    "event_id",
    "bot_id",
    "chat_id",
    "user_id",
    "actor_id",
    "type",
    "reason",
    "channels",
    "latency_ms",
    "cache_hit",
    "telegram_calls",
    "detail",
)


def event_out(event: EventRecord) -> EventOut:
    """The API view of an event (no owner id or TTL)."""
    return EventOut(
        event_id=event.event_id,
        bot_id=event.bot_id,
        type=event.type,
        ts=event.ts,
        chat_id=event.chat_id,
        user_id=event.user_id,
        actor_id=event.actor_id,
        reason=event.reason,
        channels=event.channels,
        latency_ms=event.latency_ms,
        cache_hit=event.cache_hit,
        telegram_calls=event.telegram_calls,
        detail=event.detail,
    )


@dataclass(frozen=True)
class CsvExport:
    """A CSV file of up to ``pages`` pages, and where the next file starts (None: done)."""

    body: str
    rows: int
    next_cursor: str | None


class EventBrowser:
    """Pages of events of the operator's bots.

    Args:
        events: the event store.
    """

    def __init__(self, events: EventStore) -> None:
        self._events = events

    def page(self, scope: Scope, query: EventsQuery, *, audit: bool = False) -> EventPageOut:
        """One page of events matching ``query`` (admin actions only when ``audit``)."""
        events, cursor = self._page(scope, query, audit=audit)
        return EventPageOut(items=[event_out(e) for e in events], next_cursor=cursor)

    def export(self, scope: Scope, query: ExportQuery, *, audit: bool = False) -> CsvExport:
        """Up to ``query.pages`` pages as one CSV file (formula-looking text neutralised)."""
        out = io.StringIO()
        writer = csv.writer(out, lineterminator="\r\n")
        writer.writerow(CSV_COLUMNS)
        rows = 0
        cursor = query.cursor
        for _ in range(query.pages):
            events, cursor = self._page(
                scope, query.model_copy(update={"cursor": cursor}), audit=audit
            )
            for event in events:
                writer.writerow(list(_csv_row(event)))
                rows += 1
            if cursor is None:
                break
        return CsvExport(body=out.getvalue(), rows=rows, next_cursor=cursor)

    def _page(
        self, scope: Scope, query: EventsQuery, *, audit: bool
    ) -> tuple[list[EventRecord], str | None]:
        if query.chat_id is not None and query.bot_id is None:
            raise InvalidInput("chat_id: give bot_id too", field="chat_id")
        types = _types(query.type, audit=audit)
        bot_ids = scope.bot_ids(query.bot_id)
        newest = query.order == "newest"
        boundary = _boundary(query.cursor)
        since, until = query.since, query.until
        if boundary is not None:
            # Millisecond of the boundary, inclusive: ties are removed by sort key below.
            ms = int(boundary[:13])
            if newest:
                until = min(until, (ms + 0.5) / 1000) if until is not None else (ms + 0.5) / 1000
            else:
                since = max(since, ms / 1000) if since is not None else ms / 1000
        merged: list[EventRecord] = []
        more = False
        for bot_id in bot_ids:
            base = EventQuery(
                bot_id=bot_id,
                chat_id=query.chat_id,
                user_id=query.user_id,
                types=types,
                since=since,
                until=until,
                newest_first=newest,
                limit=query.limit + 1,
            )
            found, bot_more = self._after(base, boundary, newest=newest, want=query.limit + 1)
            merged.extend(found)
            more = more or bot_more
        merged.sort(key=lambda e: e.sort_key, reverse=newest)
        page = merged[: query.limit]
        more = more or len(merged) > query.limit
        cursor = encode_cursor(page[-1].sort_key) if more and page else None
        return page, cursor

    def _after(
        self, base: EventQuery, boundary: str | None, *, newest: bool, want: int
    ) -> tuple[list[EventRecord], bool]:
        """Up to ``want`` events of one bot strictly past ``boundary``, and whether more exist."""
        found: list[EventRecord] = []
        cursor: str | None = None
        while True:
            page = self._events.query(dataclasses.replace(base, cursor=cursor))
            for event in page.items:
                if boundary is None or (
                    event.sort_key < boundary if newest else event.sort_key > boundary
                ):
                    found.append(event)
            if len(found) >= want or page.cursor is None:
                return found[:want], len(found) >= want and page.cursor is not None
            cursor = page.cursor


def _boundary(cursor: str | None) -> str | None:
    if not cursor:
        return None
    value = decode_cursor(cursor)
    if not _SORT_KEY.match(value):
        raise InvalidInput("cursor is not valid", field="cursor")
    return value


def _types(raw: str | None, *, audit: bool) -> tuple[str, ...]:
    types = tuple(t.strip() for t in (raw or "").split(",") if t.strip())
    if len(types) > MAX_TYPES or not all(_TYPE.match(t) for t in types):
        raise InvalidInput("type: comma-separated event types (a-z and _)", field="type")
    if not audit:
        return types
    if not types:
        return ADMIN_EVENT_TYPES
    outside = [t for t in types if t not in ADMIN_EVENT_TYPES]
    if outside:
        raise InvalidInput(f"type: {outside[0]} is not an admin action", field="type")
    return types


def _csv_row(event: EventRecord) -> Iterator[str]:
    values: dict[str, object] = {
        "ts": f"{event.ts:.3f}",
        "event_id": event.event_id,
        "bot_id": event.bot_id,
        "chat_id": event.chat_id,
        "user_id": event.user_id,
        "actor_id": event.actor_id,
        "type": event.type,
        "reason": event.reason,
        "channels": " ".join(str(c) for c in event.channels),
        "latency_ms": event.latency_ms,
        "cache_hit": event.cache_hit,
        "telegram_calls": " ".join(event.telegram_calls),
        "detail": json.dumps(event.detail, ensure_ascii=False, sort_keys=True)
        if event.detail
        else "",
    }
    for column in CSV_COLUMNS:
        value = values[column]
        if value is None:
            yield ""
        elif isinstance(value, str) and value[:1] in ("=", "+", "-", "@", "\t", "\r"):
            # A spreadsheet would run it as a formula (titles and reasons are user text).
            yield "'" + value
        else:
            yield str(value)
