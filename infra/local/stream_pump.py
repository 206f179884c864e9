"""Feed DynamoDB Local stream records to an ``on_dynamodb_record`` handler, as Lambda would.

Lambda's event source mapping, reduced to what the app can observe:

* records arrive as ``{"Records": [...]}`` in Lambda's shape (DynamoDB JSON images,
  ``ApproximateCreationDateTime`` in epoch seconds, ``eventSourceARN`` = the stream ARN), in
  order per shard, parents before children, at most ``batch_size`` per invocation;
* partial batch failures (``{"batchItemFailures": [{"itemIdentifier": seq}]}``) acknowledge the
  records before the first failed one and redeliver from it; a raised exception redelivers the
  whole batch;
* after ``max_attempts`` failures with the same first record, that record is logged at ERROR and
  skipped. In AWS the mapping is configured by infra (bisect on error, retry limit, on-failure
  destination) and the app parks poison records itself; locally we only avoid a stuck shard.

Positions are checkpointed per shard (last acknowledged sequence number) in a JSON file, so a
restart resumes without loss or replay. With no checkpoint, ``LATEST`` skips what the stream
already holds (by reading it once, so a concrete position can be saved) and ``TRIM_HORIZON``
delivers it; a checkpoint for another stream ARN (the table was recreated) is discarded and
the new stream is read from its start.
"""

from __future__ import annotations

import base64
import json
import logging
import os
import threading
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

import botocore.config
import botocore.session

from infra.local.lambda_runtime import FakeLambdaContext

logger = logging.getLogger(__name__)

StreamHandler = Callable[[dict[str, Any], Any], Any]
StartingPosition = Literal["LATEST", "TRIM_HORIZON"]


@dataclass
class _Shard:
    shard_id: str
    parent_id: str | None
    checkpoint: str | None = None  # last acknowledged sequence number
    finished: bool = False
    iterator: str | None = None
    failing_sequence: str | None = None
    attempts: int = 0


class StreamPump:
    """Polls one table's stream and invokes ``handler(event, context)`` with Lambda-shaped batches.

    Args:
        dynamodb_endpoint: DynamoDB Local URL (also serves the streams API).
        table_name: table whose ``LatestStreamArn`` is read.
        handler: e.g. ``lambda_runtime.handler_for(app, name)``.
        batch_size: records per invocation at most.
        poll_interval: seconds between polls in the background thread.
        max_attempts: deliveries of the same first record before it is skipped.
        starting_position: where to start when there is no checkpoint (see module docstring).
        checkpoint_path: JSON file for per-shard positions; ``None`` keeps them in memory.
        region: reported as ``awsRegion`` (DynamoDB Local says ``ddblocal``).
        function_name: the context's ``function_name``.
    """

    def __init__(
        self,
        dynamodb_endpoint: str,
        table_name: str,
        handler: StreamHandler,
        *,
        batch_size: int = 100,
        poll_interval: float = 0.2,
        max_attempts: int = 3,
        starting_position: StartingPosition = "LATEST",
        checkpoint_path: Path | None = None,
        region: str = "us-east-1",
        function_name: str = "stream-handler",
    ) -> None:
        self.table_name = table_name
        self.handler = handler
        self.batch_size = batch_size
        self.poll_interval = poll_interval
        self.max_attempts = max_attempts
        self.starting_position = starting_position
        self.checkpoint_path = checkpoint_path
        self.region = region
        self.function_name = function_name
        self.stream_arn: str | None = None
        session = botocore.session.get_session()
        client_args: dict[str, Any] = {
            "endpoint_url": dynamodb_endpoint,
            "region_name": region,
            "aws_access_key_id": "local",
            "aws_secret_access_key": "local",
            "config": botocore.config.Config(retries={"max_attempts": 2}),
        }
        self._dynamodb = session.create_client("dynamodb", **client_args)
        self._streams = session.create_client("dynamodbstreams", **client_args)
        self._shards: dict[str, _Shard] = {}
        self._lock = threading.Lock()
        self._stopping = threading.Event()
        self._thread: threading.Thread | None = None

    # -- lifecycle ------------------------------------------------------------------------

    def start(self) -> StreamPump:
        """Initialise positions now (so nothing written after this is skipped), then poll."""
        if self._thread is not None:
            return self
        with self._lock:
            self._initialise()
        self._stopping.clear()
        self._thread = threading.Thread(
            target=self._run, name=f"stream-pump-{self.table_name}", daemon=True
        )
        self._thread.start()
        return self

    def stop(self) -> None:
        """Stop polling after the current batch."""
        thread, self._thread = self._thread, None
        if thread is None:
            return
        self._stopping.set()
        thread.join(timeout=30)

    def _run(self) -> None:
        while not self._stopping.is_set():
            try:
                delivered = self.pump_once()
            except Exception:
                logger.exception("stream pump for %s failed to poll", self.table_name)
                delivered = 0
            if delivered == 0:
                self._stopping.wait(self.poll_interval)

    # -- polling --------------------------------------------------------------------------

    def pump_once(self) -> int:
        """Fetch at most one batch per shard and deliver it; return records acknowledged."""
        with self._lock:
            self._initialise()
            self._discover_shards()
            acknowledged = 0
            for shard in self._ready_shards():
                acknowledged += self._pump_shard(shard)
            return acknowledged

    def _initialise(self) -> None:
        if self.stream_arn is not None:
            return
        table = self._dynamodb.describe_table(TableName=self.table_name)["Table"]
        stream_arn = table.get("LatestStreamArn")
        if stream_arn is None:
            raise ValueError(f"table {self.table_name} has no stream: enable StreamSpecification")
        self.stream_arn = stream_arn
        saved = self._load_checkpoint()
        if saved is not None and saved.get("stream_arn") == stream_arn:
            for shard_id, state in saved.get("shards", {}).items():
                self._shards[shard_id] = _Shard(
                    shard_id,
                    state.get("parent_id"),
                    checkpoint=state.get("checkpoint"),
                    finished=bool(state.get("finished")),
                )
            self._discover_shards()
            return
        self._discover_shards()
        if saved is None and self.starting_position == "LATEST":
            for shard in self._shards.values():
                self._fast_forward(shard)
        self._save_checkpoint()

    def _discover_shards(self) -> None:
        assert self.stream_arn is not None
        kwargs: dict[str, Any] = {"StreamArn": self.stream_arn}
        while True:
            description = self._streams.describe_stream(**kwargs)["StreamDescription"]
            for shard in description.get("Shards", []):
                shard_id = shard["ShardId"]
                if shard_id not in self._shards:
                    self._shards[shard_id] = _Shard(shard_id, shard.get("ParentShardId"))
            last = description.get("LastEvaluatedShardId")
            if not last:
                return
            kwargs["ExclusiveStartShardId"] = last

    def _ready_shards(self) -> list[_Shard]:
        ready = []
        for shard in self._shards.values():
            parent = self._shards.get(shard.parent_id) if shard.parent_id else None
            if not shard.finished and (parent is None or parent.finished):
                ready.append(shard)
        return ready

    def _fast_forward(self, shard: _Shard) -> None:
        """Acknowledge everything the shard holds now without delivering it (``LATEST``)."""
        while not shard.finished:
            records = self._fetch(shard, limit=1000)
            if not records:
                return
            shard.checkpoint = records[-1]["dynamodb"]["SequenceNumber"]

    def _fetch(self, shard: _Shard, *, limit: int) -> list[dict[str, Any]]:
        if shard.iterator is None:
            shard.iterator = self._iterator_for(shard)
        try:
            response = self._streams.get_records(ShardIterator=shard.iterator, Limit=limit)
        except (
            self._streams.exceptions.ExpiredIteratorException,
            # With -sharedDb, DynamoDB Local shares sequence numbers across tables: an iterator
            # taken while this shard was empty turns "trimmed" once another table's stream has
            # records. A fresh iterator from the checkpoint reads on.
            self._streams.exceptions.TrimmedDataAccessException,
        ):
            shard.iterator = self._iterator_for(shard)
            response = self._streams.get_records(ShardIterator=shard.iterator, Limit=limit)
        shard.iterator = response.get("NextShardIterator")
        records: list[dict[str, Any]] = response.get("Records", [])
        if shard.iterator is None and not records:
            shard.finished = True
            self._save_checkpoint()
        return records

    def _iterator_for(self, shard: _Shard) -> str:
        kwargs: dict[str, Any] = {"StreamArn": self.stream_arn, "ShardId": shard.shard_id}
        if shard.checkpoint is not None:
            kwargs.update(
                ShardIteratorType="AFTER_SEQUENCE_NUMBER", SequenceNumber=shard.checkpoint
            )
        else:
            kwargs["ShardIteratorType"] = "TRIM_HORIZON"
        iterator: str = self._streams.get_shard_iterator(**kwargs)["ShardIterator"]
        return iterator

    def _pump_shard(self, shard: _Shard) -> int:
        records = self._fetch(shard, limit=self.batch_size)
        if not records:
            return 0
        event = {"Records": [self.to_lambda_record(record) for record in records]}
        sequences = [record["dynamodb"]["SequenceNumber"] for record in records]
        context = FakeLambdaContext(self.function_name, region=self.region)
        try:
            result = self.handler(event, context)
            failed_at = _first_failure(result, sequences)
        except Exception:
            logger.exception(
                "stream handler raised for %d records of shard %s", len(records), shard.shard_id
            )
            failed_at = 0
        if failed_at is None:
            self._acknowledge(shard, sequences[-1])
            return len(records)
        return self._handle_failure(shard, sequences, failed_at)

    def _handle_failure(self, shard: _Shard, sequences: list[str], failed_at: int) -> int:
        failed_sequence = sequences[failed_at]
        if shard.failing_sequence == failed_sequence:
            shard.attempts += 1
        else:
            shard.failing_sequence, shard.attempts = failed_sequence, 1
        acknowledged = failed_at
        if shard.attempts >= self.max_attempts:
            logger.error(
                "SKIPPING stream record %s of %s after %d failed attempts: the app should park "
                "poison records itself (in AWS: bisect, retries and an on-failure destination)",
                failed_sequence,
                self.table_name,
                shard.attempts,
            )
            acknowledged += 1
        if acknowledged:
            self._acknowledge(shard, sequences[acknowledged - 1])
        shard.iterator = None  # re-read from the checkpoint on the next poll
        return acknowledged

    def _acknowledge(self, shard: _Shard, sequence: str) -> None:
        shard.checkpoint = sequence
        if shard.failing_sequence is not None and int(shard.failing_sequence) <= int(sequence):
            shard.failing_sequence, shard.attempts = None, 0
        self._save_checkpoint()

    # -- record shape ---------------------------------------------------------------------

    def to_lambda_record(self, record: dict[str, Any]) -> dict[str, Any]:
        """Convert a ``dynamodbstreams.get_records`` record to Lambda's event record."""
        stream = dict(record["dynamodb"])
        created = stream.get("ApproximateCreationDateTime")
        if created is not None and hasattr(created, "timestamp"):
            seconds = created.timestamp()
            stream["ApproximateCreationDateTime"] = (
                int(seconds) if seconds.is_integer() else seconds
            )
        for image in ("Keys", "NewImage", "OldImage"):
            if image in stream:
                stream[image] = {
                    name: _encode_binary(value) for name, value in stream[image].items()
                }
        region = record.get("awsRegion")
        return {
            "eventID": record["eventID"],
            "eventName": record["eventName"],
            "eventVersion": record.get("eventVersion", "1.1"),
            "eventSource": "aws:dynamodb",
            "awsRegion": self.region if region in (None, "ddblocal") else region,
            "dynamodb": stream,
            "eventSourceARN": self.stream_arn,
        }

    # -- checkpoint file ------------------------------------------------------------------

    def _load_checkpoint(self) -> dict[str, Any] | None:
        if self.checkpoint_path is None or not self.checkpoint_path.is_file():
            return None
        try:
            data: dict[str, Any] = json.loads(self.checkpoint_path.read_text())
        except (OSError, ValueError):
            logger.warning("ignoring unreadable stream checkpoint %s", self.checkpoint_path)
            return None
        return data

    def _save_checkpoint(self) -> None:
        if self.checkpoint_path is None:
            return
        data = {
            "stream_arn": self.stream_arn,
            "shards": {
                shard.shard_id: {
                    "parent_id": shard.parent_id,
                    "checkpoint": shard.checkpoint,
                    "finished": shard.finished,
                }
                for shard in self._shards.values()
            },
        }
        self.checkpoint_path.parent.mkdir(parents=True, exist_ok=True)
        temporary = self.checkpoint_path.with_suffix(".tmp")
        temporary.write_text(json.dumps(data, indent=1))
        os.replace(temporary, self.checkpoint_path)


def _first_failure(result: Any, sequences: list[str]) -> int | None:
    """Index of the first record the handler reported as failed, or ``None``.

    Like Lambda, an identifier that is not in the batch (or a malformed response) fails the
    whole batch.
    """
    if not isinstance(result, dict) or not result.get("batchItemFailures"):
        return None
    indexes = []
    for failure in result["batchItemFailures"]:
        identifier = failure.get("itemIdentifier") if isinstance(failure, dict) else None
        if identifier not in sequences:
            return 0
        indexes.append(sequences.index(identifier))
    return min(indexes)


def _encode_binary(value: dict[str, Any]) -> dict[str, Any]:
    """Re-encode bytes (botocore decodes ``B``/``BS``) as base64 strings, as Lambda's JSON has."""
    ((kind, inner),) = value.items()
    if kind == "B":
        return {"B": base64.b64encode(inner).decode("ascii")}
    if kind == "BS":
        return {"BS": [base64.b64encode(item).decode("ascii") for item in inner]}
    if kind == "M":
        return {"M": {name: _encode_binary(item) for name, item in inner.items()}}
    if kind == "L":
        return {"L": [_encode_binary(item) for item in inner]}
    return value
