"""What the domain needs from storage. DynamoDB and in-memory implementations both pass
the same contract tests (``tests/contract``)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Protocol

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


class BotStore(Protocol):
    """Registered bots."""

    def create(self, bot: BotRecord) -> BotRecord:
        """Store a new bot; ``Conflict`` if the id is taken."""
        ...

    def get(self, bot_id: int) -> BotRecord:
        """The bot, or ``NotFound``."""
        ...

    def save(self, bot: BotRecord) -> BotRecord:
        """Write back a bot read earlier; ``Conflict`` if it changed meanwhile."""
        ...

    def list_by_owner(self, owner_id: int) -> list[BotRecord]:
        """Every bot of one operator, by id."""
        ...

    def list_all(self) -> list[BotRecord]:
        """Every bot (the scheduler's heartbeat walks these)."""
        ...


class GroupStore(Protocol):
    """Protected groups."""

    def find(self, bot_id: int, chat_id: int) -> GroupRecord | None:
        """The group, or None when the bot does not protect it."""
        ...

    def get(self, bot_id: int, chat_id: int) -> GroupRecord:
        """The group, or ``NotFound``."""
        ...

    def save(self, group: GroupRecord) -> GroupRecord:
        """Create (version None) or update (same version as read); ``Conflict`` otherwise."""
        ...

    def delete(self, bot_id: int, chat_id: int) -> None:
        """Forget the group (no error when absent)."""
        ...

    def list_by_bot(self, bot_id: int) -> list[GroupRecord]:
        """Every group of one bot, by chat id."""
        ...


class LinkStore(Protocol):
    """Which groups require which channels, queryable both ways."""

    def set_links(self, bot_id: int, group_id: int, channel_ids: list[int]) -> None:
        """Make ``channel_ids`` exactly the channels linked to the group."""
        ...

    def groups_for_channel(self, bot_id: int, channel_id: int) -> list[int]:
        """Groups that require the channel."""
        ...

    def channels_for_group(self, bot_id: int, group_id: int) -> list[int]:
        """Channels the group requires."""
        ...


class MemberStore(Protocol):
    """The member ledger."""

    def find(self, bot_id: int, chat_id: int, user_id: int) -> MemberRecord | None:
        """The entry, or None for a user we never dealt with."""
        ...

    def save(self, member: MemberRecord) -> MemberRecord:
        """Create (version None) or update (same version as read); ``Conflict`` otherwise."""
        ...

    def delete(self, bot_id: int, chat_id: int, user_id: int) -> None:
        """Forget the entry (no error when absent)."""
        ...

    def list_for_user(self, bot_id: int, user_id: int) -> list[MemberRecord]:
        """The user's entries in every group of the bot."""
        ...

    def list_for_group(
        self, bot_id: int, chat_id: int, *, muted_only: bool = False
    ) -> list[MemberRecord]:
        """Entries of one group (only those we muted when ``muted_only``)."""
        ...


class EventStore(Protocol):
    """The append-only event log."""

    def put(self, event: EventRecord) -> None:
        """Append an event (its id makes it unique)."""
        ...

    def query(self, query: EventQuery) -> Page[EventRecord]:
        """One page of events matching ``query``; ``InvalidInput`` for a bad cursor."""
        ...


class JobStore(Protocol):
    """Due work for the scheduler."""

    def put(self, job: JobRecord) -> None:
        """Schedule a job."""
        ...

    def due(self, now: float, limit: int) -> list[JobRecord]:
        """Up to ``limit`` jobs due at ``now``, oldest first."""
        ...

    def claim(self, job: JobRecord) -> bool:
        """Take the job (delete it); False when another worker took it first."""
        ...


class ConnectionStore(Protocol):
    """Open websocket connections."""

    def put(self, connection: ConnectionRecord) -> None:
        """Store or replace a connection."""
        ...

    def find(self, connection_id: str) -> ConnectionRecord | None:
        """The connection, or None."""
        ...

    def delete(self, connection_id: str) -> None:
        """Forget a connection (no error when absent)."""
        ...

    def list_by_operator(self, operator_id: int) -> list[ConnectionRecord]:
        """Connections of one operator."""
        ...


class HeartbeatStore(Protocol):
    """Per-minute bot health samples."""

    def put(self, heartbeat: HeartbeatRecord) -> None:
        """Store (or overwrite) one minute's sample."""
        ...

    def list(self, bot_id: int, since: int, until: int) -> list[HeartbeatRecord]:
        """Samples with ``since <= minute < until``, oldest first."""
        ...


class AuthStore(Protocol):
    """Tickets, sessions and counters, all expiring."""

    def put(self, record: AuthRecord) -> None:
        """Store a record; ``Conflict`` if that kind and id exist already."""
        ...

    def find(self, kind: str, token_id: str, *, now: float) -> AuthRecord | None:
        """The record if it exists and has not expired at ``now``."""
        ...

    def consume(self, kind: str, token_id: str, *, now: float) -> AuthRecord | None:
        """Delete and return the record, once: a second call (or an expired one) gets None."""
        ...

    def delete(self, kind: str, token_id: str) -> None:
        """Forget a record (no error when absent)."""
        ...

    def hit(self, kind: str, key: str, *, now: float, window: int) -> int:
        """Count one attempt in the current ``window``-second bucket; returns the count."""
        ...


class StatStore(Protocol):
    """Counters per scope and time bucket."""

    def add(self, scope: str, bucket: str, amount: float, *, expires_at: int | None) -> None:
        """Add ``amount`` to one counter without reading it."""
        ...

    def range(self, scope: str, start: str, end: str) -> dict[str, float]:
        """Counters of ``scope`` with ``start <= bucket < end``."""
        ...

    def apply_once(
        self, marker: str, deltas: Sequence[StatDelta], *, marker_expires_at: int
    ) -> bool:
        """Apply every delta at most once per ``marker`` (e.g. ``agg#{event_id}``).

        Atomic with the marker: a redelivered call changes nothing and returns False.
        """
        ...


class ParkedStore(Protocol):
    """Stream records parked after they failed too often (a dead-letter table)."""

    def count_failure(self, source: str, key: str, *, expires_at: int) -> int:
        """Count one failed attempt at record ``key``; returns the attempts so far."""
        ...

    def park(self, record: ParkedRecord) -> None:
        """Keep a record for operators (idempotent per source, key and time)."""
        ...

    def list(self, source: str, *, limit: int, cursor: str | None = None) -> Page[ParkedRecord]:
        """Parked records of ``source``, newest first; ``InvalidInput`` for a bad cursor."""
        ...

    def delete(self, source: str, parked_id: str) -> None:
        """Forget a parked record (no error when absent)."""
        ...
