"""Events → the owning operator's open websockets, in parallel with a bound.

Each event becomes one compact, versioned LiveEvent message for every connection of the
bot's owner that subscribes to it. Sends run on a bounded thread pool in per-connection
*lanes*: one lane sends its connection's messages in order, lanes run side by side, so a
slow or dead client only ever delays itself. A connection that is gone (410) is deleted
(that connection, never the sender of anything); other failures are counted.
"""

from __future__ import annotations

import json
import threading
from collections import deque
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import Any

from boto3.dynamodb.types import TypeDeserializer

from chalicelib.live.connections import wants
from chalicelib.observability import logger, metrics
from chalicelib.store.ports import ConnectionStore
from chalicelib.store.records import ConnectionRecord

LIVE_EVENT_VERSION = 1
MAX_WORKERS = 16
_deserializer = TypeDeserializer()


class ConnectionGone(Exception):
    """The websocket connection no longer exists (API Gateway answered 410)."""


Send = Callable[[str, str], None]


def event_from_image(image: dict[str, Any]) -> dict[str, Any]:
    """A stream NewImage (DynamoDB JSON) as a plain event dict (``detail`` parsed)."""
    item = {k: _deserializer.deserialize(v) for k, v in image.items()}
    event: dict[str, Any] = {
        k: (float(v) if hasattr(v, "as_tuple") else v) for k, v in item.items()
    }
    for key in ("channels", "telegram_calls"):
        if isinstance(event.get(key), list):
            event[key] = [float(v) if hasattr(v, "as_tuple") else v for v in event[key]]
    if isinstance(event.get("detail"), str):
        try:
            event["detail"] = json.loads(event["detail"])
        except json.JSONDecodeError:
            event["detail"] = {}
    return event


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
            "detail": detail if isinstance(detail, dict) else {},
        },
    }


def _int(value: Any) -> int | None:
    return int(value) if value is not None else None


class Fanout:
    """Sends events to their owner's connections; ``submit`` queues, ``drain`` waits.

    Args:
        connections: the connection store (listed once per owner per drain).
        send: sends one text message to one connection; raises ``ConnectionGone`` on 410.
        max_workers: the bound on parallel sends (threads, kept across invocations).
    """

    def __init__(
        self, connections: ConnectionStore, send: Send, *, max_workers: int = MAX_WORKERS
    ) -> None:
        self._connections = connections
        self._send = send
        self._pool = ThreadPoolExecutor(max_workers=max_workers, thread_name_prefix="fanout")
        self._cond = threading.Condition()
        self._lanes: dict[str, deque[str]] = {}
        self._running: set[str] = set()
        self._gone: set[str] = set()
        self._by_owner: dict[int, list[ConnectionRecord]] = {}
        self._counts = {"sent": 0, "gone": 0, "failed": 0}

    def submit(self, item: dict[str, Any], owner_id: int | None = None) -> int:
        """Queue one stored event for its owner's subscribed connections; returns how many."""
        owner = owner_id if owner_id is not None else item.get("owner_id")
        if owner is None:
            return 0
        owner = int(owner)
        if owner not in self._by_owner:
            self._by_owner[owner] = self._connections.list_by_operator(owner)
        message = json.dumps(live_event(item), separators=(",", ":"), default=str)
        bot_id, chat_id = int(item["bot_key"]), _int(item.get("chat_id"))
        queued = 0
        for connection in self._by_owner[owner]:
            if wants(connection.subscriptions, bot_id, chat_id):
                queued += self._enqueue(connection.connection_id, message)
        return queued

    def drain(self, timeout: float) -> dict[str, int]:
        """Wait (up to ``timeout`` s) for every queued send; returns and resets the counts.

        Sends still running after ``timeout`` are reported as ``pending`` and finish in the
        background; nothing else waits for them.
        """
        with self._cond:
            self._cond.wait_for(lambda: not self._running, timeout=timeout)
            counts = dict(self._counts)
            counts["pending"] = sum(len(self._lanes.get(c, ())) + 1 for c in self._running)
            self._counts = {"sent": 0, "gone": 0, "failed": 0}
            self._by_owner.clear()
            self._gone.clear()
        if counts["failed"]:
            metrics.add_metric(name="FanoutFailures", unit="Count", value=counts["failed"])
        if counts["gone"]:
            metrics.add_metric(name="FanoutGone", unit="Count", value=counts["gone"])
        return counts

    def publish(self, item: dict[str, Any], *, timeout: float = 10.0) -> dict[str, int]:
        """Send one event and wait for it (``submit`` + ``drain``)."""
        self.submit(item)
        return self.drain(timeout)

    def _enqueue(self, connection_id: str, message: str) -> int:
        with self._cond:
            if connection_id in self._gone:
                return 0
            self._lanes.setdefault(connection_id, deque()).append(message)
            if connection_id in self._running:
                return 1
            self._running.add(connection_id)
        self._pool.submit(self._run_lane, connection_id)
        return 1

    def _run_lane(self, connection_id: str) -> None:
        while True:
            with self._cond:
                lane = self._lanes.get(connection_id)
                if not lane:
                    self._lanes.pop(connection_id, None)
                    self._running.discard(connection_id)
                    self._cond.notify_all()
                    return
                message = lane.popleft()
            outcome = self._send_one(connection_id, message)
            with self._cond:
                self._counts[outcome] += 1
                if outcome == "gone":
                    self._gone.add(connection_id)
                    self._lanes.pop(connection_id, None)

    def _send_one(self, connection_id: str, message: str) -> str:
        try:
            self._send(connection_id, message)
            return "sent"
        except ConnectionGone:
            try:
                self._connections.delete(connection_id)
            except Exception:  # the TTL removes it anyway
                logger.warning("could not delete a gone connection")
            return "gone"
        except Exception as exc:  # one bad client never stops the others
            logger.warning("fan-out send failed", extra={"error": type(exc).__name__})
            return "failed"
