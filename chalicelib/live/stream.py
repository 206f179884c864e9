"""The events-table stream handler: aggregates (exactly once) and live fan-out.

Per INSERT record, in stream order:

1. the event's counter increments are applied with ``StatStore.apply_once`` keyed on the
   event id (``agg#{event_id}``): the marker's conditional put and the ADDs commit in one
   DynamoDB transaction, so a redelivered record (Lambda redelivers everything from the
   first failed record on) is never counted twice, and a crash can never leave a marker
   without its counts or counts without a marker;
2. the event is queued for fan-out (sent in parallel while the next records are counted;
   the batch waits for the sends before it returns). Fan-out is at least once: the
   LiveEvent carries the event id for clients to drop repeats.

A record that fails is reported through powertools' ``BatchProcessor`` (partial batch
response); the records after it in the batch are deferred untouched, so the stream order
holds. Each failure of a record is counted; at ``max_attempts`` (or at once, for a record
that cannot even be read) it is parked in the parked table and acknowledged, so one poison
record never blocks its shard.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from aws_lambda_powertools.utilities.batch import (
    BatchProcessor,
    EventType,
    process_partial_response,
)

from chalicelib.analytics.keys import MARKER_TTL_DAYS
from chalicelib.live.aggregates import deltas_for
from chalicelib.live.fanout import Fanout, event_from_image
from chalicelib.observability import logger, metrics
from chalicelib.store.ports import ParkedStore, StatStore
from chalicelib.store.records import ParkedRecord

EVENTS_SOURCE = "events"
MAX_ATTEMPTS = 5
PARKED_TTL_DAYS = 14
DRAIN_TIMEOUT = 10.0
_DAY = 86_400


class _Deferred(Exception):
    """A record after a failed one: left for the redelivery, in order."""


@dataclass
class _Batch:
    failed: bool = False


class EventStreamHandler:
    """Handles batches of the events table's stream.

    Args:
        stats: where aggregates go.
        parked: the dead-letter store.
        fanout: live fan-out.
        owner_of: the owner of a bot, for events written without ``owner_id``.
        max_attempts: failures of one record before it is parked.
        clock: injectable time.
        drain_timeout: the most a batch waits for its sends.
    """

    def __init__(
        self,
        stats: StatStore,
        parked: ParkedStore,
        fanout: Fanout,
        *,
        owner_of: Callable[[int], int | None] = lambda _bot_id: None,
        max_attempts: int = MAX_ATTEMPTS,
        clock: Callable[[], float] = time.time,
        drain_timeout: float = DRAIN_TIMEOUT,
    ) -> None:
        self._stats = stats
        self._parked = parked
        self._fanout = fanout
        self._owner_of = owner_of
        self._max_attempts = max_attempts
        self._clock = clock
        self._drain_timeout = drain_timeout

    def handle(self, event: dict[str, Any], context: Any = None) -> dict[str, Any]:
        """One Lambda batch → ``{"batchItemFailures": [...]}``."""
        batch = _Batch()
        processor = BatchProcessor(
            event_type=EventType.DynamoDBStreams, raise_on_entire_batch_failure=False
        )
        try:
            response: dict[str, Any] = dict(
                process_partial_response(
                    event=event,
                    record_handler=lambda record: self._record(record.raw_event, batch),
                    processor=processor,
                    context=context,
                )
            )
        finally:
            counts = self._fanout.drain(self._drain_timeout)
        logger.debug("stream batch", extra={"fanout": counts})
        return response

    def _record(self, raw: dict[str, Any], batch: _Batch) -> None:
        if batch.failed:
            raise _Deferred("a record before this one failed")
        if raw.get("eventName") != "INSERT":
            return
        key = str(raw["dynamodb"]["SequenceNumber"])
        try:
            item = event_from_image(raw["dynamodb"]["NewImage"])
            deltas = deltas_for(item)
            event_id = str(item["event_id"])
        except (KeyError, ValueError, TypeError) as exc:
            self._park(raw, key, "unreadable", exc, attempts=1)
            return
        try:
            now = self._clock()
            self._stats.apply_once(
                f"agg#{event_id}", deltas, marker_expires_at=int(now) + MARKER_TTL_DAYS * _DAY
            )
        except Exception as exc:
            attempts = self._count_failure(key)
            if attempts >= self._max_attempts:
                self._park(raw, key, "failed", exc, attempts=attempts)
                return
            batch.failed = True
            logger.warning(
                "stream record failed",
                extra={"event_id": event_id, "attempts": attempts, "error": type(exc).__name__},
            )
            raise
        self._publish(item)

    def _publish(self, item: dict[str, Any]) -> None:
        # Fan-out never fails the record: counts land in drain(), a gone client is removed.
        try:
            owner = item.get("owner_id")
            if owner is None:
                owner = self._owner_of(int(item["bot_key"]))
            self._fanout.submit(item, None if owner is None else int(owner))
        except Exception as exc:
            logger.warning("fan-out skipped", extra={"error": type(exc).__name__})

    def _count_failure(self, key: str) -> int:
        try:
            return self._parked.count_failure(
                EVENTS_SOURCE, key, expires_at=int(self._clock()) + PARKED_TTL_DAYS * _DAY
            )
        except Exception:
            return 0  # the store is down too: retry, and count next time

    def _park(
        self, raw: dict[str, Any], key: str, reason: str, exc: Exception, *, attempts: int
    ) -> None:
        now = self._clock()
        self._parked.park(
            ParkedRecord(
                source=EVENTS_SOURCE,
                key=key,
                reason=reason,
                error=f"{type(exc).__name__}: {exc}"[:500],
                attempts=attempts,
                parked_at=now,
                expires_at=int(now) + PARKED_TTL_DAYS * _DAY,
                payload=raw,
            )
        )
        metrics.add_metric(name="StreamRecordsParked", unit="Count", value=1)
        logger.error("stream record parked", extra={"key": key, "reason": reason})
