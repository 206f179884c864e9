"""Analytics read back exactly what the stream handler aggregated."""

from __future__ import annotations

import pytest

from chalicelib.analytics.query import Analytics, percentile
from chalicelib.errors import InvalidInput
from chalicelib.live.aggregates import deltas_for
from chalicelib.store.memory import MemoryStatStore

NOW = 1_764_450_000.0 + 1800  # 2025-11-29T21:30Z


def _count(stats: MemoryStatStore, event_id: str, **event: object) -> None:
    item = {"bot_key": "42", "ts": NOW, "event_id": event_id, "type": "join_verified", **event}
    stats.apply_once(f"agg#{event_id}", deltas_for(item), marker_expires_at=0)


@pytest.fixture
def stats() -> MemoryStatStore:
    stats = MemoryStatStore()
    _count(stats, "1", chat_id=-1, latency_ms=40, cache_hit=False, telegram_calls=["getChatMember"])
    _count(stats, "2", chat_id=-1, latency_ms=90, cache_hit=False, telegram_calls=["getChatMember"])
    _count(
        stats,
        "3",
        chat_id=-2,
        type="join_muted",
        cache_hit=True,
        telegram_calls=["restrictChatMember"],
    )
    _count(
        stats,
        "4",
        chat_id=-2,
        type="error",
        ts=NOW - 3 * 3600,
        detail={"telegram_errors": ["sendMessage"]},
    )
    _count(stats, "5", chat_id=-2, type="verify_failed", ts=NOW - 2 * 86400)
    return stats


def test_hourly_series_of_a_day(stats: MemoryStatStore) -> None:
    result = Analytics(stats, clock=lambda: NOW).series(bot_ids=[42], chat_id=None, period="24h")
    assert len(result["buckets"]) == 24
    assert result["buckets"][-1] == "2025-11-29T21"
    assert result["verifications"]["passed"][-1] == 2
    assert result["verifications"]["muted"][-1] == 1
    assert sum(result["verifications"]["failed"]) == 0  # two days ago
    assert result["hourly_activity"][21] == 3 and result["hourly_activity"][18] == 1
    assert result["cache_hit_rate"][-1] == pytest.approx(1 / 3, abs=1e-4)
    assert result["cache_hit_rate"][0] is None
    assert result["telegram_calls"] == {"getChatMember": 2, "restrictChatMember": 1}
    assert result["telegram_errors"] == {"sendMessage": 1}
    assert result["latency"]["histogram"]["<=50ms"] == 1
    assert result["latency"]["histogram"]["<=100ms"] == 1
    assert 25 < result["latency"]["p50"][-1] <= 50
    assert 50 < result["latency"]["p95"][-1] <= 100
    assert result["top_groups"] == [  # the event two days ago is outside the window
        {"bot_id": 42, "chat_id": -2, "count": 2},
        {"bot_id": 42, "chat_id": -1, "count": 2},
    ]


def test_daily_series_and_one_group(stats: MemoryStatStore) -> None:
    result = Analytics(stats, clock=lambda: NOW).series(bot_ids=[42], chat_id=-2, period="30d")
    assert len(result["buckets"]) == 30 and result["buckets"][-1] == "2025-11-29"
    assert result["verifications"]["failed"][-3] == 1
    assert result["verifications"]["muted"][-1] == 1
    assert result["hourly_activity"][21] == 2 and result["hourly_activity"][18] == 1
    assert result["top_groups"] == [{"bot_id": 42, "chat_id": -2, "count": 3}]


def test_today_counts_verifications_and_pass_rate(stats: MemoryStatStore) -> None:
    today = Analytics(stats, clock=lambda: NOW).today(bot_ids=[42, 43])
    assert today["verifications_today"] == 3
    assert today["pass_rate"] == pytest.approx(2 / 3, abs=1e-4)


def test_nothing_counted_gives_empty_series_and_no_rate() -> None:
    analytics = Analytics(MemoryStatStore(), clock=lambda: NOW)
    assert analytics.today(bot_ids=[1])["pass_rate"] is None
    series = analytics.series(bot_ids=[1], chat_id=None, period="90d")
    assert len(series["buckets"]) == 90 and series["top_groups"] == []
    assert series["latency"]["p50"] == [None] * 90


def test_unknown_period_is_invalid_input() -> None:
    with pytest.raises(InvalidInput):
        Analytics(MemoryStatStore()).series(bot_ids=[1], chat_id=None, period="1y")


def test_percentile_interpolates_inside_its_bucket() -> None:
    assert percentile([(0, 100, 10), (100, 200, 10)], 0.5) == 100
    assert percentile([(0, 100, 10), (100, 200, 10)], 0.75) == 150
    assert percentile([], 0.5) is None
