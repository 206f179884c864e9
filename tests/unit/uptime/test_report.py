"""Uptime windows and incidents from heartbeat history (injected clock)."""

from __future__ import annotations

from chalicelib.store.memory import MemoryHeartbeatStore
from chalicelib.store.records import HeartbeatRecord
from chalicelib.uptime.report import uptime_report

T0 = 1_764_000_000 - 1_764_000_000 % 60  # a whole minute


def _beats(
    store: MemoryHeartbeatStore,
    start: int,
    minutes: int,
    *,
    healthy: bool = True,
    reasons: list[str] | None = None,
) -> None:
    for i in range(minutes):
        store.put(HeartbeatRecord(1, start + i * 60, healthy, 0, {"reasons": reasons or []}))


def test_all_healthy_minutes_since_monitoring_began_are_100_percent() -> None:
    store = MemoryHeartbeatStore()
    _beats(store, T0, 120)
    report = uptime_report(store, 1, now=T0 + 120 * 60 + 30)
    assert report["windows"]["24h"] == {
        "percent": 100.0,
        "up_minutes": 120,
        "monitored_minutes": 120,
    }
    assert report["windows"]["30d"]["monitored_minutes"] == 120
    assert report["incidents"] == []


def test_gaps_and_unhealthy_minutes_count_as_down_and_become_incidents() -> None:
    # Given 60 up, 10 missing (scheduler gap), 60 up, 5 unhealthy, 65 up
    store = MemoryHeartbeatStore()
    _beats(store, T0, 60)
    _beats(store, T0 + 70 * 60, 60)
    _beats(store, T0 + 130 * 60, 5, healthy=False, reasons=["webhook_url_mismatch"])
    _beats(store, T0 + 135 * 60, 65)
    # When
    report = uptime_report(store, 1, now=T0 + 200 * 60)
    # Then
    assert report["windows"]["24h"]["up_minutes"] == 185
    assert report["windows"]["24h"]["monitored_minutes"] == 200
    assert report["windows"]["24h"]["percent"] == 92.5
    assert report["incidents"] == [
        {
            "start": T0 + 130 * 60,
            "end": T0 + 135 * 60,
            "minutes": 5,
            "reason": "webhook_url_mismatch",
            "ongoing": False,
        },
        {
            "start": T0 + 60 * 60,
            "end": T0 + 70 * 60,
            "minutes": 10,
            "reason": "no_heartbeat",
            "ongoing": False,
        },
    ]


def test_an_outage_that_is_still_going_on_is_an_ongoing_incident() -> None:
    store = MemoryHeartbeatStore()
    _beats(store, T0, 10)
    report = uptime_report(store, 1, now=T0 + 15 * 60 + 59)
    assert report["incidents"] == [
        {"start": T0 + 600, "end": None, "minutes": 5, "reason": "no_heartbeat", "ongoing": True}
    ]


def test_windows_only_cover_their_own_span() -> None:
    # Given two days healthy, then the last 60 minutes down
    store = MemoryHeartbeatStore()
    _beats(store, T0, 2 * 1440 - 60)
    _beats(store, T0 + (2 * 1440 - 60) * 60, 60, healthy=False)
    report = uptime_report(store, 1, now=T0 + 2 * 1440 * 60)
    assert report["windows"]["24h"]["percent"] == round(100 * 1380 / 1440, 3)
    assert report["windows"]["7d"]["monitored_minutes"] == 2 * 1440
    assert report["windows"]["7d"]["percent"] == round(100 * 2820 / 2880, 3)


def test_the_current_minute_is_not_counted_until_it_is_over() -> None:
    store = MemoryHeartbeatStore()
    _beats(store, T0, 3)
    assert uptime_report(store, 1, now=T0 + 3 * 60 + 1)["windows"]["24h"]["percent"] == 100.0


def test_no_heartbeats_means_nothing_monitored() -> None:
    report = uptime_report(MemoryHeartbeatStore(), 1, now=T0)
    assert report["windows"]["24h"]["percent"] is None and report["incidents"] == []
