"""The aggregate key design, shared by the stream writer and the analytics reader.

Scopes: ``bot#{bot_id}`` and ``group#{bot_id}:{chat_id}``. Buckets (UTC):

* ``h#{YYYY-MM-DDTHH}#{metric}``: hourly counters (kept ``HOURLY_TTL_DAYS``);
* ``d#{YYYY-MM-DD}#{metric}``: daily counters (kept ``DAILY_TTL_DAYS``), plus ``hod:{HH}``
  (events per hour of day) so a 90-day activity heatmap needs no hourly items;
* ``g#{YYYY-MM-DD}#{chat_id}``: events per group per day, in the bot scope only: the
  per-bot index of groups behind "top groups" (its own prefix, so series queries never
  read it);
* markers ``agg#{event_id}`` / ``done#{n}``: an event was counted (``MARKER_TTL_DAYS``).

Metrics: ``n`` (events), ``ev:{type}``, ``vf:{outcome}``, ``lat:{le}`` (histogram bucket
with upper bound ``le`` ms, ``lat:inf`` above the last), ``cache:hit`` / ``cache:miss``,
``tg:{method}`` (Bot API calls), ``tg_err:{method}``, ``err`` (events of type ``error``).
Every range of one scope and prefix is one Query, so a series costs one Query per bot.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime

HOURLY_TTL_DAYS = 10  # the longest hourly period is 7 days
DAILY_TTL_DAYS = 100  # the longest daily period is 90 days
MARKER_TTL_DAYS = 3  # longer than a stream keeps records (24 h)

#: Upper bounds (ms) of the latency histogram buckets; anything above goes to ``inf``.
LATENCY_BOUNDS_MS: tuple[int, ...] = (
    25,
    50,
    100,
    200,
    300,
    500,
    750,
    1000,
    1500,
    2000,
    3000,
    5000,
    10000,
)

#: Event types that are a verification decision, and the outcome each one means.
VERIFICATION_OUTCOMES: dict[str, str] = {
    "join_verified": "passed",
    "message_verified": "passed",
    "verified": "passed",
    "join_muted": "muted",
    "message_blocked": "blocked",
    "verify_failed": "failed",
    "membership_unknown": "unknown",
}
OUTCOMES: tuple[str, ...] = ("passed", "muted", "blocked", "failed", "unknown")

_UNSAFE = re.compile(r"[^A-Za-z0-9_]")


def bot_scope(bot_id: int) -> str:
    """Scope of one bot's counters."""
    return f"bot#{bot_id}"


def group_scope(bot_id: int, chat_id: int) -> str:
    """Scope of one group's counters."""
    return f"group#{bot_id}:{chat_id}"


def hour_label(ts: float) -> str:
    """``2026-11-29T21`` for a time in that UTC hour."""
    return datetime.fromtimestamp(ts, tz=UTC).strftime("%Y-%m-%dT%H")


def day_label(ts: float) -> str:
    """``2026-11-29`` for a time on that UTC day."""
    return datetime.fromtimestamp(ts, tz=UTC).strftime("%Y-%m-%d")


def metric_name(value: str) -> str:
    """A stored name made safe for a key (``#`` is the separator) and short."""
    return _UNSAFE.sub("_", value)[:64] or "_"


def latency_metric(latency_ms: float) -> str:
    """The histogram metric a latency falls in."""
    for bound in LATENCY_BOUNDS_MS:
        if latency_ms <= bound:
            return f"lat:{bound:05d}"
    return "lat:inf"


def latency_bounds() -> list[tuple[str, float, float]]:
    """(metric, lower, upper) of every histogram bucket, in order."""
    result: list[tuple[str, float, float]] = []
    lower = 0.0
    for bound in LATENCY_BOUNDS_MS:
        result.append((f"lat:{bound:05d}", lower, float(bound)))
        lower = float(bound)
    result.append(("lat:inf", lower, lower))
    return result


def latency_label(metric: str) -> str:
    """Chart label of a histogram metric: ``<=50ms`` or ``>10000ms``."""
    if metric == "lat:inf":
        return f">{LATENCY_BOUNDS_MS[-1]}ms"
    return f"<={int(metric.split(':')[1])}ms"
