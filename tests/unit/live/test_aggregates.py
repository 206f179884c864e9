"""What one event adds to the aggregates."""

from __future__ import annotations

import pytest

from chalicelib.analytics.keys import latency_metric
from chalicelib.live.aggregates import deltas_for


def test_an_event_counts_in_bot_and_group_scopes_hourly_and_daily() -> None:
    event = {
        "bot_key": "42",
        "ts": 1_764_450_000,
        "type": "join_muted",
        "chat_id": -100,
        "latency_ms": 260.0,
        "cache_hit": False,
        "telegram_calls": ["getChatMember", "getChatMember"],
    }
    deltas = {(d.scope, d.bucket): d.amount for d in deltas_for(event)}
    assert deltas[("bot#42", "h#2025-11-29T21#n")] == 1
    assert deltas[("group#42:-100", "d#2025-11-29#vf:muted")] == 1
    assert deltas[("bot#42", "h#2025-11-29T21#lat:00300")] == 1
    assert deltas[("group#42:-100", "h#2025-11-29T21#tg:getChatMember")] == 2
    assert deltas[("bot#42", "d#2025-11-29#cache:miss")] == 1
    assert deltas[("bot#42", "d#2025-11-29#hod:21")] == 1
    assert deltas[("bot#42", "g#2025-11-29#-100")] == 1
    assert ("group#42:-100", "g#2025-11-29#-100") not in deltas


def test_hourly_counters_expire_before_daily_ones() -> None:
    deltas = deltas_for({"bot_key": "1", "ts": 1_000_000, "type": "x"})
    hourly = {d.expires_at for d in deltas if d.bucket.startswith("h#")}
    daily = {d.expires_at for d in deltas if d.bucket.startswith("d#")}
    assert hourly == {1_000_000 + 10 * 86400} and daily == {1_000_000 + 100 * 86400}


def test_names_from_events_cannot_break_the_key_layout() -> None:
    deltas = deltas_for({"bot_key": "1", "ts": 0, "type": "a#b c", "telegram_calls": ["x#y"]})
    assert {d.bucket for d in deltas} >= {"h#1970-01-01T00#ev:a_b_c", "h#1970-01-01T00#tg:x_y"}


@pytest.mark.parametrize("event", [{"ts": 1}, {"bot_key": "1"}, {"bot_key": "x", "ts": 1}])
def test_an_event_without_bot_or_time_cannot_be_counted(event: dict[str, object]) -> None:
    with pytest.raises((KeyError, ValueError)):
        deltas_for(event)


@pytest.mark.parametrize(
    ("ms", "metric"), [(0, "lat:00025"), (25, "lat:00025"), (25.1, "lat:00050"), (99999, "lat:inf")]
)
def test_latency_falls_in_its_bucket(ms: float, metric: str) -> None:
    assert latency_metric(ms) == metric
