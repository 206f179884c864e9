"""Events-table stream → the owning operator's open websockets.

Each INSERT of an event becomes one compact, versioned LiveEvent message sent to every
connection of the bot's owner that subscribes to it. A connection that is gone (410) is
deleted; any other send failure is counted and never stops the other connections.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

from boto3.dynamodb.types import TypeDeserializer

from chalicelib.live.connections import wants
from chalicelib.observability import logger, metrics
from chalicelib.store.ports import ConnectionStore

LIVE_EVENT_VERSION = 1
_deserializer = TypeDeserializer()


class ConnectionGone(Exception):
    """The websocket connection no longer exists (API Gateway answered 410)."""


Send = Callable[[str, str], None]


def event_from_image(image: dict[str, Any]) -> dict[str, Any]:
    """A stream NewImage (DynamoDB JSON) as a plain event dict."""
    item = {k: _deserializer.deserialize(v) for k, v in image.items()}
    return {k: (float(v) if hasattr(v, "as_tuple") else v) for k, v in item.items()}


def live_event(item: dict[str, Any]) -> dict[str, Any]:
    """The LiveEvent message (schema version 1) for one stored event."""
    detail = item.get("detail")
    if isinstance(detail, str):
        try:
            detail = json.loads(detail)
        except json.JSONDecodeError:
            detail = {}
    return {
        "v": LIVE_EVENT_VERSION,
        "kind": "event",
        "event": {
            "id": item.get("event_id"),
            "type": item.get("type"),
            "ts": item.get("ts"),
            "bot_id": int(item["bot_key"]),
            "chat_id": _int(item.get("chat_id")),
            "user_id": _int(item.get("user_id")),
            "actor_id": _int(item.get("actor_id")),
            "reason": item.get("reason", ""),
            "channels": [int(c) for c in item.get("channels") or []],
            "latency_ms": item.get("latency_ms"),
            "cache_hit": item.get("cache_hit"),
            "detail": detail or {},
        },
    }


def _int(value: Any) -> int | None:
    return int(value) if value is not None else None


class Fanout:
    """Sends each new event to its owner's connections."""

    def __init__(self, connections: ConnectionStore, send: Send) -> None:
        self._connections = connections
        self._send = send

    def publish(self, item: dict[str, Any]) -> dict[str, int]:
        """Send one stored event; returns counts (sent, gone, failed)."""
        counts = {"sent": 0, "gone": 0, "failed": 0}
        owner = item.get("owner_id")
        if owner is None:
            return counts
        message = json.dumps(live_event(item), separators=(",", ":"), default=str)
        bot_id = int(item["bot_key"])
        chat_id = _int(item.get("chat_id"))
        for connection in self._connections.list_by_operator(int(owner)):
            if not wants(connection.subscriptions, bot_id, chat_id):
                continue
            try:
                self._send(connection.connection_id, message)
                counts["sent"] += 1
            except ConnectionGone:
                self._connections.delete(connection.connection_id)
                counts["gone"] += 1
            except Exception as exc:  # one bad client never stops the others
                counts["failed"] += 1
                logger.warning("fan-out failed", extra={"error": type(exc).__name__})
        if counts["failed"]:
            metrics.add_metric(name="FanoutFailures", unit="Count", value=counts["failed"])
        return counts

    def handle_records(self, records: list[dict[str, Any]]) -> dict[str, Any]:
        """Lambda stream batch → partial-failure response (records after a failure are
        redelivered, so everything here is safe to repeat)."""
        failures: list[dict[str, str]] = []
        for record in records:
            if record.get("eventName") != "INSERT":
                continue
            try:
                image = record["dynamodb"]["NewImage"]
                self.publish(event_from_image(image))
            except Exception:
                logger.exception("stream record failed")
                failures.append({"itemIdentifier": record["dynamodb"]["SequenceNumber"]})
                break
        return {"batchItemFailures": failures}
