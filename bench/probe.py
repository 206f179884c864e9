"""Per-request measurement at the webhook: time, DynamoDB capacity, Telegram calls, outcome."""

from __future__ import annotations

import json
import threading
import time
from dataclasses import dataclass, field
from typing import Any

from bench.meter import CapacityMeter, Usage


@dataclass
class Sample:
    kind: str
    ms: float
    status: int
    outcome: str
    telegram_calls: int
    usage: Usage
    log_bytes: int = 0


def kind_of(body: bytes | None) -> str:
    """A label for an update body (what the bench groups figures by)."""
    try:
        update = json.loads(body or b"{}")
    except ValueError:
        return "invalid"
    if "callback_query" in update:
        return "button"
    member = update.get("chat_member")
    if member is not None:
        joined = member["old_chat_member"]["status"] in ("left", "kicked")
        if member["chat"]["type"] == "channel":
            return "channel_join" if joined else "channel_member_change"
        return "join" if joined else "member_change"
    message = update.get("message") or {}
    if "new_chat_members" in message:
        return "join_service_message"
    if str(message.get("text", "")).startswith("/"):
        return "command"
    return "message"


@dataclass
class Probe:
    """Wraps ``WebhookHandler.handle`` of one handler *instance* to observe each request.

    Deliveries of one bot are serial (Telegram and the sandbox send one at a time), so the
    meter's difference around a request is that request's capacity.
    """

    meter: CapacityMeter
    samples: list[Sample] = field(default_factory=list)
    label: str | None = None
    log_counter: Any = None  # anything with a growing ``bytes`` (bench.output.CountingStream)
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def install(self, handler: Any) -> None:
        inner = handler.handle

        def handle(bot_id: str, headers: dict[str, str], body: bytes | None, **kw: Any) -> Any:
            before = self.meter.snapshot()
            logged = self.log_counter.bytes if self.log_counter is not None else 0
            started = time.perf_counter()
            result = inner(bot_id, headers, body, **kw)
            ms = (time.perf_counter() - started) * 1000
            usage = self.meter.snapshot().minus(before)
            logged = (self.log_counter.bytes if self.log_counter is not None else 0) - logged
            kind = kind_of(body)
            if kind == "message" and self.label:
                kind = self.label
            with self._lock:
                self.samples.append(
                    Sample(
                        kind,
                        ms,
                        result.status,
                        str(result.body.get("outcome", "")),
                        int(result.body.get("calls", 0)),
                        usage,
                        logged,
                    )
                )
            return result

        handler.handle = handle
