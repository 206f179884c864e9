"""Lambda-shaped DynamoDB stream records of events, for the stream handler's tests."""

from __future__ import annotations

import itertools
import json
from typing import Any

from boto3.dynamodb.types import TypeSerializer

_serializer = TypeSerializer()
_sequence = itertools.count(100_000_000_000_000_000_000)
STREAM_ARN = (
    "arn:aws:dynamodb:us-east-1:123456789012:table/test-events/stream/2026-01-01T00:00:00.000"
)


def event_item(
    event_id: str, *, bot_id: int = 42, owner_id: int | None = 7, **extra: Any
) -> dict[str, Any]:
    """A stored event's attributes as the events table holds them."""
    item: dict[str, Any] = {
        "bot_key": str(bot_id),
        "sk": f"1764450000000#{event_id}",
        "event_id": event_id,
        "type": "join_verified",
        "ts": 1_764_450_000,  # 2025-11-29T21:00:00Z
        "owner_id": owner_id,
        "chat_id": -1001,
        "user_id": 5,
        "reason": "chat_member",
        "channels": [],
        "latency_ms": 120,
        "cache_hit": False,
        "telegram_calls": ["getChatMember", "getChatMember"],
        "detail": json.dumps({}),
    }
    item.update(extra)
    return {k: v for k, v in item.items() if v is not None}


def insert(item: dict[str, Any]) -> dict[str, Any]:
    """The INSERT record of ``item``."""
    from decimal import Decimal

    image = {
        k: _serializer.serialize(Decimal(str(v)) if isinstance(v, float) else v)
        for k, v in item.items()
    }
    return {
        "eventID": f"id{next(_sequence)}",
        "eventName": "INSERT",
        "eventVersion": "1.1",
        "eventSource": "aws:dynamodb",
        "awsRegion": "us-east-1",
        "dynamodb": {
            "Keys": {k: image[k] for k in ("bot_key", "sk") if k in image},
            "NewImage": image,
            "SequenceNumber": str(next(_sequence)),
            "SizeBytes": 100,
            "StreamViewType": "NEW_IMAGE",
        },
        "eventSourceARN": STREAM_ARN,
    }


def batch(*records: dict[str, Any]) -> dict[str, Any]:
    """A Lambda stream event."""
    return {"Records": list(records)}


def failed_ids(response: dict[str, Any]) -> list[str]:
    """Sequence numbers reported as failed."""
    return [f["itemIdentifier"] for f in response["batchItemFailures"]]


def sequence(record: dict[str, Any]) -> str:
    """A record's sequence number."""
    return str(record["dynamodb"]["SequenceNumber"])
