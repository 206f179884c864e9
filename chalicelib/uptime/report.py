"""Uptime from heartbeat history: windows of 24 h / 7 d / 30 d and incidents.

A minute is *up* when its heartbeat exists and is healthy; a missing heartbeat is *down*
(the scheduler or the bot did not answer). Minutes before the first heartbeat in the
30-day history are *not monitored* (the bot was not registered yet) and are left out of
every window. The current, unfinished minute is never counted.
"""

from __future__ import annotations

from collections import Counter
from typing import Any

from chalicelib.store.ports import HeartbeatStore
from chalicelib.store.records import HeartbeatRecord

MINUTE = 60
WINDOWS: dict[str, int] = {"24h": 1440, "7d": 7 * 1440, "30d": 30 * 1440}
MAX_INCIDENTS = 50


def uptime_report(heartbeats: HeartbeatStore, bot_id: int, *, now: float) -> dict[str, Any]:
    """Uptime of one bot at ``now``.

    Returns:
        ``{"bot_id", "as_of", "windows": {"24h"|"7d"|"30d": {"percent", "up_minutes",
        "monitored_minutes"}}, "incidents": [{"start", "end", "minutes", "reason",
        "ongoing"}]}`` — percent is None when nothing was monitored; incidents newest
        first, ``end`` exclusive (epoch seconds), at most ``MAX_INCIDENTS``.
    """
    until = int(now // MINUTE) * MINUTE  # the current minute is not over yet
    since = until - max(WINDOWS.values()) * MINUTE
    samples = {h.minute: h for h in heartbeats.list(bot_id, since, until)}
    first = min(samples) if samples else until
    windows = {}
    for name, minutes in WINDOWS.items():
        start = max(until - minutes * MINUTE, first)
        monitored = max(0, (until - start) // MINUTE)
        up = sum(1 for m, h in samples.items() if m >= start and h.healthy)
        windows[name] = {
            "percent": round(100.0 * up / monitored, 3) if monitored else None,
            "up_minutes": up,
            "monitored_minutes": monitored,
        }
    return {
        "bot_id": bot_id,
        "as_of": until,
        "windows": windows,
        "incidents": _incidents(samples, first, until),
    }


def _incidents(samples: dict[int, HeartbeatRecord], first: int, until: int) -> list[dict[str, Any]]:
    incidents: list[dict[str, Any]] = []
    start: int | None = None
    reasons: Counter[str] = Counter()
    for minute in range(first, until, MINUTE):
        beat = samples.get(minute)
        down = beat is None or not beat.healthy
        if down:
            if start is None:
                start, reasons = minute, Counter()
            reasons.update(_reasons(beat))
        elif start is not None:
            incidents.append(_incident(start, minute, reasons, ongoing=False))
            start = None
    if start is not None:
        incidents.append(_incident(start, until, reasons, ongoing=True))
    return list(reversed(incidents))[:MAX_INCIDENTS]


def _reasons(beat: HeartbeatRecord | None) -> list[str]:
    if beat is None:
        return ["no_heartbeat"]
    found = beat.detail.get("reasons") if isinstance(beat.detail, dict) else None
    return [str(r) for r in found] if isinstance(found, list) and found else ["unhealthy"]


def _incident(start: int, end: int, reasons: Counter[str], *, ongoing: bool) -> dict[str, Any]:
    return {
        "start": start,
        "end": None if ongoing else end,
        "minutes": (end - start) // MINUTE,
        "reason": reasons.most_common(1)[0][0] if reasons else "unhealthy",
        "ongoing": ongoing,
    }
