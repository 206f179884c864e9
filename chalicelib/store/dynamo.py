"""DynamoDB implementations of the store ports, over the bound PynamoDB models.

This is the store boundary: PynamoDB errors become domain errors here and nowhere else.
"""

from __future__ import annotations

import base64
import binascii
import dataclasses
import zlib
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from datetime import UTC, datetime
from typing import Any

from pynamodb.exceptions import PynamoDBException, TransactWriteError
from pynamodb.expressions.condition import Condition
from pynamodb.expressions.update import Action
from pynamodb.models import Model
from pynamodb.transactions import TransactWrite

from chalicelib.errors import Conflict, InvalidInput, NotFound, StoreUnavailable
from chalicelib.store import models as m
from chalicelib.store.records import (
    AuthRecord,
    BotRecord,
    ChannelRef,
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
    group_key,
    user_key,
)
from chalicelib.store.schema import Tables

_CONFLICT_CODES = {"ConditionalCheckFailedException", "TransactionConflictException"}
JOB_SHARDS = 4
# TransactWriteItems takes at most 100 items; one of them is the marker.
TRANSACTION_DELTAS = 99


@contextmanager
def _translated(what: str) -> Iterator[None]:
    """Turn PynamoDB failures into domain errors (a retry may fix anything but a conflict)."""
    try:
        yield
    except PynamoDBException as exc:
        if exc.cause_response_code in _CONFLICT_CODES:
            raise Conflict(f"{what}: changed concurrently or already exists") from exc
        raise StoreUnavailable(f"{what}: DynamoDB failed ({exc.cause_response_code})") from exc


def _fields(record_cls: type[Any], item: Model, **overrides: Any) -> dict[str, Any]:
    values = {}
    for f in dataclasses.fields(record_cls):
        if f.name in overrides:
            values[f.name] = overrides[f.name]
        else:
            values[f.name] = getattr(item, f.name)
    return values


def _attrs(record: Any, *, skip: tuple[str, ...] = ()) -> dict[str, Any]:
    values = {
        f.name: getattr(record, f.name) for f in dataclasses.fields(record) if f.name not in skip
    }
    if values.get("version", 0) is None:
        del values["version"]  # a new item: PynamoDB's VersionAttribute starts it
    if isinstance(values.get("expires_at"), int | float):
        values["expires_at"] = _epoch(values["expires_at"])
    return values


def _ints(values: Any) -> list[int]:
    return [int(v) for v in values or []]


def _epoch(seconds: float) -> datetime:
    """TTLAttribute takes aware datetimes; records carry epoch seconds."""
    return datetime.fromtimestamp(int(seconds), tz=UTC)


def _encode_cursor(value: str) -> str:
    return base64.urlsafe_b64encode(value.encode()).decode().rstrip("=")


def _decode_cursor(cursor: str) -> str:
    try:
        return base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)).decode()
    except (binascii.Error, UnicodeDecodeError, ValueError):
        raise InvalidInput("cursor is not valid") from None


class DynamoBotStore:
    """Bots in DynamoDB."""

    def __init__(self, tables: Tables) -> None:
        self._model = tables.bots

    def _record(self, item: m.BotModel) -> BotRecord:
        return BotRecord(**_fields(BotRecord, item))

    def create(self, bot: BotRecord) -> BotRecord:
        item = self._model(**_attrs(bot, skip=("version",)))
        with _translated(f"create bot {bot.bot_id}"):
            item.save(condition=self._model.bot_id.does_not_exist())
        return self._record(item)

    def get(self, bot_id: int) -> BotRecord:
        with _translated(f"get bot {bot_id}"):
            try:
                return self._record(self._model.get(bot_id))
            except self._model.DoesNotExist:
                raise NotFound(f"bot {bot_id} not found") from None

    def save(self, bot: BotRecord) -> BotRecord:
        item = self._model(**_attrs(bot))
        with _translated(f"save bot {bot.bot_id}"):
            item.save()
        return self._record(item)

    def list_by_owner(self, owner_id: int) -> list[BotRecord]:
        with _translated("list bots"):
            return [self._record(i) for i in self._model.by_owner.query(owner_id)]

    def list_all(self) -> list[BotRecord]:
        with _translated("scan bots"):
            return sorted((self._record(i) for i in self._model.scan()), key=lambda b: b.bot_id)


class DynamoGroupStore:
    """Protected groups in DynamoDB."""

    def __init__(self, tables: Tables) -> None:
        self._model = tables.groups

    def _record(self, item: m.GroupModel) -> GroupRecord:
        channels = [ChannelRef.from_dict(c) for c in (item.required_channels or [])]
        return GroupRecord(**_fields(GroupRecord, item, required_channels=channels))

    def find(self, bot_id: int, chat_id: int) -> GroupRecord | None:
        with _translated(f"get group {chat_id}"):
            try:
                return self._record(self._model.get(bot_id, chat_id))
            except self._model.DoesNotExist:
                return None

    def get(self, bot_id: int, chat_id: int) -> GroupRecord:
        group = self.find(bot_id, chat_id)
        if group is None:
            raise NotFound(f"group {chat_id} is not protected by bot {bot_id}")
        return group

    def save(self, group: GroupRecord) -> GroupRecord:
        attrs = _attrs(group)
        attrs["required_channels"] = [c.to_dict() for c in group.required_channels]
        item = self._model(**attrs)
        with _translated(f"save group {group.chat_id}"):
            item.save()
        return self._record(item)

    def delete(self, bot_id: int, chat_id: int) -> None:
        with _translated(f"delete group {chat_id}"):
            self._model(bot_id, chat_id).delete(add_version_condition=False)

    def list_by_bot(self, bot_id: int) -> list[GroupRecord]:
        with _translated("list groups"):
            return [self._record(i) for i in self._model.query(bot_id)]


class DynamoLinkStore:
    """Channel-group links in DynamoDB."""

    def __init__(self, tables: Tables) -> None:
        self._model = tables.links

    def set_links(self, bot_id: int, group_id: int, channel_ids: list[int]) -> None:
        wanted = set(channel_ids)
        current = set(self.channels_for_group(bot_id, group_id))
        with _translated(f"link group {group_id}"):
            for channel_id in wanted - current:
                self._model(
                    channel_key=user_key(bot_id, channel_id),
                    group_id=group_id,
                    group_key=group_key(bot_id, group_id),
                    channel_id=channel_id,
                ).save()
            for channel_id in current - wanted:
                self._model(user_key(bot_id, channel_id), group_id).delete()

    def groups_for_channel(self, bot_id: int, channel_id: int) -> list[int]:
        with _translated("query links"):
            return [int(i.group_id) for i in self._model.query(user_key(bot_id, channel_id))]

    def channels_for_group(self, bot_id: int, group_id: int) -> list[int]:
        with _translated("query links"):
            return [
                int(i.channel_id) for i in self._model.by_group.query(group_key(bot_id, group_id))
            ]


class DynamoMemberStore:
    """The member ledger in DynamoDB."""

    def __init__(self, tables: Tables) -> None:
        self._model = tables.members

    def _record(self, item: m.MemberModel) -> MemberRecord:
        bot_id, chat_id = (int(p) for p in item.group_key.split(":"))
        return MemberRecord(
            **_fields(
                MemberRecord,
                item,
                bot_id=bot_id,
                chat_id=chat_id,
                missing_channels=_ints(item.missing_channels),
            )
        )

    def find(self, bot_id: int, chat_id: int, user_id: int) -> MemberRecord | None:
        with _translated("get member"):
            try:
                return self._record(self._model.get(group_key(bot_id, chat_id), user_id))
            except self._model.DoesNotExist:
                return None

    def save(self, member: MemberRecord) -> MemberRecord:
        attrs = _attrs(member, skip=("bot_id", "chat_id"))
        item = self._model(
            group_key=group_key(member.bot_id, member.chat_id),
            user_key=user_key(member.bot_id, member.user_id),
            **attrs,
        )
        with _translated(f"save member {member.user_id}"):
            item.save()
        return self._record(item)

    def delete(self, bot_id: int, chat_id: int, user_id: int) -> None:
        with _translated("delete member"):
            self._model(group_key(bot_id, chat_id), user_id).delete(add_version_condition=False)

    def list_for_user(self, bot_id: int, user_id: int) -> list[MemberRecord]:
        with _translated("query member by user"):
            return [self._record(i) for i in self._model.by_user.query(user_key(bot_id, user_id))]

    def list_for_group(
        self, bot_id: int, chat_id: int, *, muted_only: bool = False
    ) -> list[MemberRecord]:
        condition = (self._model.muted == True) if muted_only else None  # noqa: E712
        with _translated("query members"):
            return [
                self._record(i)
                for i in self._model.query(group_key(bot_id, chat_id), filter_condition=condition)
            ]


class DynamoEventStore:
    """The event log in DynamoDB."""

    def __init__(self, tables: Tables) -> None:
        self._model = tables.events

    def put(self, event: EventRecord) -> None:
        item = self._model(
            bot_key=str(event.bot_id),
            sk=event.sort_key,
            group_key=group_key(event.bot_id, event.chat_id) if event.chat_id else None,
            user_key=user_key(event.bot_id, event.user_id) if event.user_id else None,
            **_attrs(event, skip=("bot_id",)),
        )
        with _translated(f"put event {event.event_id}"):
            item.save(condition=self._model.sk.does_not_exist())

    def _record(self, item: m.EventModel) -> EventRecord:
        return EventRecord(
            **_fields(
                EventRecord,
                item,
                bot_id=int(item.bot_key),
                channels=_ints(item.channels),
                telegram_calls=list(item.telegram_calls or []),
                expires_at=int(item.expires_at.timestamp()) if item.expires_at else None,
            )
        )

    def query(self, query: EventQuery) -> Page[EventRecord]:
        model = self._model
        start_sk = _decode_cursor(query.cursor) if query.cursor else None
        low = f"{int((query.since or 0) * 1000):013d}"
        high = f"{int((query.until or 9_999_999_999) * 1000):013d}~"
        key_condition = model.sk.between(low, high)
        bot_key = str(query.bot_id)
        run: Callable[..., Any]
        if query.chat_id is not None:
            hash_value = group_key(query.bot_id, query.chat_id)
            run = model.by_group.query
            start_key = {"group_key": {"S": hash_value}}
        elif query.user_id is not None:
            hash_value = user_key(query.bot_id, query.user_id)
            run = model.by_user.query
            start_key = {"user_key": {"S": hash_value}}
        else:
            hash_value = bot_key
            run = model.query
            start_key = {}
        filter_condition: Condition | None = None
        if query.chat_id is not None and query.user_id is not None:
            filter_condition = model.user_id == query.user_id
        if query.types:
            type_condition = model.type.is_in(*query.types)
            filter_condition = (
                type_condition if filter_condition is None else filter_condition & type_condition
            )
        last_key = None
        if start_sk is not None:
            if not (low <= start_sk <= high) or "#" not in start_sk:
                raise InvalidInput("cursor is not valid for these filters")
            last_key = {**start_key, "bot_key": {"S": bot_key}, "sk": {"S": start_sk}}
        items: list[EventRecord] = []
        with _translated("query events"):
            results = run(
                hash_value,
                range_key_condition=key_condition,
                filter_condition=filter_condition,
                scan_index_forward=not query.newest_first,
                last_evaluated_key=last_key,
                page_size=max(query.limit, 25),
            )
            for item in results:
                items.append(self._record(item))
                if len(items) == query.limit:
                    break
        cursor = None
        if len(items) == query.limit:
            cursor = _encode_cursor(items[-1].sort_key)
        return Page(items=items, cursor=cursor)


class DynamoJobStore:
    """Due jobs in DynamoDB, spread over a few partitions."""

    def __init__(self, tables: Tables) -> None:
        self._model = tables.jobs

    @staticmethod
    def _shard(job_id: str) -> str:
        return f"due#{zlib.crc32(job_id.encode()) % JOB_SHARDS}"

    @staticmethod
    def _due_key(job: JobRecord) -> str:
        return f"{int(job.due_at * 1000):013d}#{job.kind}#{job.job_id}"

    def put(self, job: JobRecord) -> None:
        with _translated(f"put job {job.kind}"):
            self._model(
                shard=self._shard(job.job_id),
                due_key=self._due_key(job),
                kind=job.kind,
                payload=job.payload,
                attempts=job.attempts,
            ).save()

    def due(self, now: float, limit: int) -> list[JobRecord]:
        upper = f"{int(now * 1000):013d}~"
        found: list[JobRecord] = []
        with _translated("query jobs"):
            for shard in range(JOB_SHARDS):
                for item in self._model.query(
                    f"due#{shard}", self._model.due_key <= upper, limit=limit
                ):
                    due_ms, _, rest = item.due_key.partition("#")
                    job_id = rest.rsplit("#", 1)[-1]
                    found.append(
                        JobRecord(
                            kind=item.kind,
                            due_at=int(due_ms) / 1000,
                            payload=dict(item.payload or {}),
                            job_id=job_id,
                            attempts=int(item.attempts or 0),
                        )
                    )
        found.sort(key=lambda j: (j.due_at, j.job_id))
        return found[:limit]

    def claim(self, job: JobRecord) -> bool:
        item = self._model(self._shard(job.job_id), self._due_key(job))
        try:
            with _translated("claim job"):
                item.delete(condition=self._model.due_key.exists())
        except Conflict:
            return False
        return True


class DynamoConnectionStore:
    """Websocket connections in DynamoDB."""

    def __init__(self, tables: Tables) -> None:
        self._model = tables.connections

    def _record(self, item: m.ConnectionModel) -> ConnectionRecord:
        return ConnectionRecord(
            **_fields(
                ConnectionRecord,
                item,
                expires_at=int(item.expires_at.timestamp()),
                subscriptions=list(item.subscriptions or []),
            )
        )

    def put(self, connection: ConnectionRecord) -> None:
        with _translated("put connection"):
            self._model(**_attrs(connection)).save()

    def find(self, connection_id: str) -> ConnectionRecord | None:
        with _translated("get connection"):
            try:
                return self._record(self._model.get(connection_id))
            except self._model.DoesNotExist:
                return None

    def delete(self, connection_id: str) -> None:
        with _translated("delete connection"):
            self._model(connection_id).delete()

    def list_by_operator(self, operator_id: int) -> list[ConnectionRecord]:
        with _translated("query connections"):
            return [self._record(i) for i in self._model.by_operator.query(operator_id)]


class DynamoHeartbeatStore:
    """Heartbeats in DynamoDB."""

    def __init__(self, tables: Tables) -> None:
        self._model = tables.heartbeats

    def put(self, heartbeat: HeartbeatRecord) -> None:
        with _translated("put heartbeat"):
            self._model(**_attrs(heartbeat)).save()

    def list(self, bot_id: int, since: int, until: int) -> list[HeartbeatRecord]:
        with _translated("query heartbeats"):
            return [
                HeartbeatRecord(
                    **_fields(
                        HeartbeatRecord,
                        item,
                        minute=int(item.minute),
                        expires_at=int(item.expires_at.timestamp()),
                    )
                )
                for item in self._model.query(bot_id, self._model.minute.between(since, until - 1))
            ]


class DynamoAuthStore:
    """Tickets, sessions and counters in DynamoDB."""

    def __init__(self, tables: Tables) -> None:
        self._model = tables.auth

    def _record(self, item: m.AuthModel) -> AuthRecord:
        kind, _, token_id = item.key.partition("#")
        return AuthRecord(
            kind=kind,
            token_id=token_id,
            created_at=float(item.created_at),
            expires_at=int(item.expires_at.timestamp()),
            operator_id=int(item.operator_id) if item.operator_id is not None else None,
            data=dict(item.data or {}),
        )

    def put(self, record: AuthRecord) -> None:
        item = self._model(
            key=f"{record.kind}#{record.token_id}",
            kind=record.kind,
            operator_id=record.operator_id,
            data=record.data,
            created_at=record.created_at,
            expires_at=_epoch(record.expires_at),
        )
        with _translated(f"put {record.kind}"):
            item.save(condition=self._model.key.does_not_exist())

    def find(self, kind: str, token_id: str, *, now: float) -> AuthRecord | None:
        with _translated(f"get {kind}"):
            try:
                record = self._record(self._model.get(f"{kind}#{token_id}"))
            except self._model.DoesNotExist:
                return None
        return record if record.expires_at > now else None

    def consume(self, kind: str, token_id: str, *, now: float) -> AuthRecord | None:
        try:
            with _translated(f"consume {kind}"):
                # One conditional delete: of two concurrent consumers only one gets the item.
                old = self._model._get_connection().delete_item(
                    f"{kind}#{token_id}",
                    condition=self._model.key.exists(),
                    return_values="ALL_OLD",
                )
        except Conflict:
            return None
        attributes = old.get("Attributes") if isinstance(old, dict) else None
        if not attributes:
            return None
        record = self._record(self._model.from_raw_data(attributes))
        return record if record.expires_at > now else None

    def delete(self, kind: str, token_id: str) -> None:
        with _translated(f"delete {kind}"):
            self._model(f"{kind}#{token_id}").delete()

    def hit(self, kind: str, key: str, *, now: float, window: int) -> int:
        bucket = int(now // window)
        item = self._model(f"{kind}#{key}#{bucket}")
        with _translated("count attempt"):
            item.update(
                actions=[
                    self._model.attempts.add(1),
                    self._model.kind.set(kind),
                    self._model.created_at.set(self._model.created_at | now),
                    self._model.expires_at.set(_epoch((bucket + 2) * window)),
                ]
            )
        return int(item.attempts)


class DynamoStatStore:
    """Aggregated counters in DynamoDB."""

    def __init__(self, tables: Tables) -> None:
        self._model = tables.stats

    def add(self, scope: str, bucket: str, amount: float, *, expires_at: int | None) -> None:
        item = self._model(scope, bucket)
        actions: list[Action] = [self._model.value.add(amount)]
        if expires_at is not None:
            actions.append(self._model.expires_at.set(_epoch(expires_at)))
        with _translated("add stat"):
            item.update(actions=actions)

    def range(self, scope: str, start: str, end: str) -> dict[str, float]:
        with _translated("query stats"):
            return {
                item.bucket: float(item.value)
                for item in self._model.query(scope, self._model.bucket.between(start, end))
                if item.bucket < end
            }

    def apply_once(
        self, marker: str, deltas: Sequence[StatDelta], *, marker_expires_at: int
    ) -> bool:
        # One transaction per chunk: a conditional put of the chunk's marker plus its ADDs.
        # Chunks are deterministic (sorted, merged), so a redelivery after a partial run
        # skips exactly the chunks that were applied and applies the rest.
        merged: dict[tuple[str, str], StatDelta] = {}
        for d in deltas:
            key = (d.scope, d.bucket)
            prior = merged.get(key)
            amount = d.amount + (prior.amount if prior else 0)
            expires = max(d.expires_at or 0, (prior.expires_at or 0) if prior else 0) or None
            merged[key] = StatDelta(d.scope, d.bucket, amount, expires)
        ordered = [merged[k] for k in sorted(merged)]
        chunks = [
            ordered[i : i + TRANSACTION_DELTAS] for i in range(0, len(ordered), TRANSACTION_DELTAS)
        ] or [[]]
        applied = False
        for index, chunk in enumerate(chunks):
            applied = (
                self._apply_chunk(f"{marker}", f"done#{index}", chunk, marker_expires_at) or applied
            )
        return applied

    def _apply_chunk(
        self, scope: str, bucket: str, chunk: list[StatDelta], marker_expires_at: int
    ) -> bool:
        model = self._model
        connection = model._get_connection().connection
        try:
            with TransactWrite(connection=connection) as transaction:
                transaction.save(
                    model(scope, bucket, value=1, expires_at=_epoch(marker_expires_at)),
                    condition=model.scope.does_not_exist(),
                )
                for d in chunk:
                    actions: list[Action] = [model.value.add(d.amount)]
                    if d.expires_at is not None:
                        actions.append(model.expires_at.set(_epoch(d.expires_at)))
                    transaction.update(model(d.scope, d.bucket), actions=actions)
        except TransactWriteError as exc:
            reasons = exc.cancellation_reasons or []
            if any(r is not None and r.code == "ConditionalCheckFailed" for r in reasons):
                return False  # this chunk was applied before: nothing to do
            raise StoreUnavailable(
                f"apply stats: DynamoDB failed ({exc.cause_response_code})"
            ) from exc
        except PynamoDBException as exc:
            raise StoreUnavailable(
                f"apply stats: DynamoDB failed ({exc.cause_response_code})"
            ) from exc
        return True


class DynamoParkedStore:
    """Parked stream records and their failure counters in DynamoDB."""

    def __init__(self, tables: Tables) -> None:
        self._model = tables.parked

    def count_failure(self, source: str, key: str, *, expires_at: int) -> int:
        item = self._model(f"tries#{source}", key)
        with _translated("count failure"):
            item.update(
                actions=[
                    self._model.attempts.add(1),
                    self._model.expires_at.set(_epoch(expires_at)),
                ]
            )
        return int(item.attempts)

    def park(self, record: ParkedRecord) -> None:
        with _translated("park record"):
            self._model(
                record.source,
                record.parked_id,
                attempts=record.attempts,
                reason=record.reason,
                error=record.error,
                parked_at=record.parked_at,
                payload=record.payload,
                expires_at=_epoch(record.expires_at),
            ).save()

    def list(self, source: str, *, limit: int, cursor: str | None = None) -> Page[ParkedRecord]:
        last_key = None
        if cursor:
            start = _decode_cursor(cursor)
            if "#" not in start:
                raise InvalidInput("cursor is not valid")
            last_key = {"source": {"S": source}, "item_id": {"S": start}}
        items: list[ParkedRecord] = []
        with _translated("list parked"):
            for item in self._model.query(
                source,
                scan_index_forward=False,
                last_evaluated_key=last_key,
                page_size=max(limit, 25),
            ):
                items.append(
                    ParkedRecord(
                        source=source,
                        key=item.item_id.partition("#")[2],
                        reason=item.reason,
                        error=item.error,
                        attempts=int(item.attempts or 0),
                        parked_at=float(item.parked_at),
                        expires_at=int(item.expires_at.timestamp()) if item.expires_at else 0,
                        payload=dict(item.payload or {}),
                    )
                )
                if len(items) == limit:
                    break
        next_cursor = _encode_cursor(items[-1].parked_id) if len(items) == limit else None
        return Page(items=items, cursor=next_cursor)

    def delete(self, source: str, parked_id: str) -> None:
        with _translated("delete parked"):
            self._model(source, parked_id).delete()
