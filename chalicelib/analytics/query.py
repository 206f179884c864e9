"""Analytics for the operator API, read from the aggregates only (never raw events).

A series costs one range Query per bot (hourly or daily prefix) plus, for the bot
scope, one Query of the per-day group index (``g#``); see ``chalicelib.analytics.keys``.
"""

from __future__ import annotations

import time
from collections import defaultdict
from collections.abc import Callable
from typing import Any

from chalicelib.analytics import keys as k
from chalicelib.errors import InvalidInput
from chalicelib.store.ports import StatStore

HOUR, DAY = 3600, 86_400
#: period → (granularity prefix, number of buckets, seconds per bucket)
PERIODS: dict[str, tuple[str, int, int]] = {
    "24h": ("h", 24, HOUR),
    "7d": ("h", 7 * 24, HOUR),
    "30d": ("d", 30, DAY),
    "90d": ("d", 90, DAY),
}
TOP_GROUPS = 10
MAX_BOTS = 100


class Analytics:
    """Series and today's numbers over the stats store.

    Args:
        stats: the aggregates.
        clock: injectable time.
    """

    def __init__(self, stats: StatStore, *, clock: Callable[[], float] = time.time) -> None:
        self._stats = stats
        self._clock = clock

    def series(self, *, bot_ids: list[int], chat_id: int | None, period: str) -> dict[str, Any]:
        """Charts of ``period`` (24h/7d hourly, 30d/90d daily) for some bots or one group.

        Returns ``buckets`` (ISO labels, oldest first), ``verifications`` {outcome: counts},
        ``hourly_activity`` (24 values, events per UTC hour of day), ``latency``
        {"p50", "p95": per bucket (ms or None), "histogram": {label: count}},
        ``cache_hit_rate`` (per bucket, None without lookups), ``telegram_calls``
        {method: count}, ``telegram_errors`` {method: count} and ``top_groups``
        [{bot_id, chat_id, count}] (most events first).
        """
        if period not in PERIODS:
            raise InvalidInput("period must be one of 24h, 7d, 30d, 90d", field="period")
        if len(bot_ids) > MAX_BOTS:
            raise InvalidInput(f"at most {MAX_BOTS} bots at once", field="bot_ids")
        prefix, count, step = PERIODS[period]
        labels = self._labels(prefix, count, step)
        index = {label: i for i, label in enumerate(labels)}
        per_bucket: dict[str, list[float]] = defaultdict(lambda: [0.0] * count)
        totals: dict[str, float] = defaultdict(float)
        groups: dict[tuple[int, int], float] = defaultdict(float)
        for bot_id in bot_ids:
            scope = k.group_scope(bot_id, chat_id) if chat_id is not None else k.bot_scope(bot_id)
            counters = self._stats.range(scope, f"{prefix}#{labels[0]}", f"{prefix}#{labels[-1]}~")
            events = 0.0
            for bucket, value in counters.items():
                _, label, metric = bucket.split("#", 2)
                if label not in index:
                    continue
                per_bucket[metric][index[label]] += value
                totals[metric] += value
                if metric == "n":
                    events += value
                    if prefix == "h":
                        totals[f"hod:{label[-2:]}"] += value
            if chat_id is None:
                for key, value in self._groups(bot_id, labels).items():
                    groups[key] += value
            else:
                groups[(bot_id, chat_id)] += events
        return {
            "period": period,
            "buckets": labels,
            "verifications": {o: _ints(per_bucket[f"vf:{o}"]) for o in k.OUTCOMES},
            "hourly_activity": [int(totals[f"hod:{h:02d}"]) for h in range(24)],
            "latency": self._latency(per_bucket, totals, count),
            "cache_hit_rate": [
                _rate(hit, hit + miss)
                for hit, miss in zip(per_bucket["cache:hit"], per_bucket["cache:miss"], strict=True)
            ],
            "telegram_calls": _named(totals, "tg:"),
            "telegram_errors": _named(totals, "tg_err:"),
            "top_groups": [
                {"bot_id": b, "chat_id": c, "count": int(n)}
                for (b, c), n in sorted(groups.items(), key=lambda kv: (-kv[1], kv[0]))[:TOP_GROUPS]
                if n > 0
            ],
        }

    def today(self, *, bot_ids: list[int]) -> dict[str, Any]:
        """Verifications so far today (UTC) and the share that passed (None when none)."""
        day = k.day_label(self._clock())
        outcomes: dict[str, float] = defaultdict(float)
        for bot_id in bot_ids[:MAX_BOTS]:
            counters = self._stats.range(k.bot_scope(bot_id), f"d#{day}#vf:", f"d#{day}#vf;")
            for bucket, value in counters.items():
                outcomes[bucket.rsplit(":", 1)[1]] += value
        total = sum(outcomes.values())
        return {
            "verifications_today": int(total),
            "pass_rate": _rate(outcomes.get("passed", 0.0), total),
            "outcomes": {o: int(outcomes.get(o, 0.0)) for o in k.OUTCOMES},
        }

    def _labels(self, prefix: str, count: int, step: int) -> list[str]:
        now = self._clock()
        label = k.hour_label if prefix == "h" else k.day_label
        return [label(now - (count - 1 - i) * step) for i in range(count)]

    def _groups(self, bot_id: int, labels: list[str]) -> dict[tuple[int, int], float]:
        # The group index is daily: an hourly period reads the days it touches.
        first, last = labels[0][:10], labels[-1][:10]
        found: dict[tuple[int, int], float] = defaultdict(float)
        for bucket, value in self._stats.range(
            k.bot_scope(bot_id), f"g#{first}", f"g#{last}~"
        ).items():
            found[(bot_id, int(bucket.rsplit("#", 1)[1]))] += value
        return found

    @staticmethod
    def _latency(
        per_bucket: dict[str, list[float]], totals: dict[str, float], count: int
    ) -> dict[str, Any]:
        bounds = k.latency_bounds()
        p50: list[float | None] = []
        p95: list[float | None] = []
        for i in range(count):
            histogram = [(lo, hi, per_bucket[m][i]) for m, lo, hi in bounds if m in per_bucket]
            p50.append(percentile(histogram, 0.50))
            p95.append(percentile(histogram, 0.95))
        return {
            "p50": p50,
            "p95": p95,
            "histogram": {k.latency_label(m): int(totals[m]) for m, _, _ in bounds},
        }


def percentile(histogram: list[tuple[float, float, float]], q: float) -> float | None:
    """The ``q`` quantile of a histogram of (lower, upper, count), interpolated in its
    bucket (the open last bucket answers its lower bound); None when empty."""
    total = sum(c for _, _, c in histogram)
    if total <= 0:
        return None
    target = q * total
    seen = 0.0
    for lower, upper, c in histogram:
        if c and seen + c >= target:
            return round(lower + (upper - lower) * (target - seen) / c, 1)
        seen += c
    return histogram[-1][1]


def _ints(values: list[float]) -> list[int]:
    return [int(v) for v in values]


def _rate(part: float, whole: float) -> float | None:
    return round(part / whole, 4) if whole else None


def _named(totals: dict[str, float], prefix: str) -> dict[str, int]:
    return {m[len(prefix) :]: int(v) for m, v in sorted(totals.items()) if m.startswith(prefix)}
