"""The scheduler runs the app's schedule handlers on their rate, as EventBridge would."""

import threading
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from chalice import Chalice

from infra.local.scheduler import Scheduler, parse_schedule

from .demo_app import build_app

START = datetime(2024, 3, 1, 12, 0, tzinfo=UTC)


def test_rate_handlers_fire_once_per_period_with_a_scheduled_event() -> None:
    app, seen = build_app()
    scheduler = Scheduler(app, clock=lambda: START)
    scheduler.reset(START)

    for minute in range(0, 61):
        scheduler.tick(START + timedelta(minutes=minute))
        scheduler.join()

    names = [name for name, _ in seen.scheduled]
    assert names.count("every_five_minutes") == 12
    assert names.count("hourly") == 1
    first_name, first_event = seen.scheduled[0]
    assert first_name == "every_five_minutes"
    assert first_event["detail-type"] == "Scheduled Event"
    assert first_event["source"] == "aws.events"
    assert first_event["time"] == "2024-03-01T12:05:00Z"
    assert first_event["resources"] == [
        "arn:aws:events:us-east-1:123456789012:rule/demo-local-every_five_minutes"
    ]
    assert first_event["detail"] == {}


def test_missed_runs_are_coalesced_into_one() -> None:
    app, seen = build_app()
    scheduler = Scheduler(app)
    scheduler.reset(START)

    started = scheduler.tick(START + timedelta(minutes=30))
    scheduler.join()

    assert started == ["every_five_minutes"]
    assert [name for name, _ in seen.scheduled] == ["every_five_minutes"]
    assert scheduler.tick(START + timedelta(minutes=34)) == []


def test_a_handler_still_running_is_skipped_and_a_failing_one_is_not_fatal() -> None:
    app = Chalice(app_name="slow")
    release = threading.Event()
    runs: list[str] = []

    @app.schedule("rate(1 minute)")
    def slow(event: Any) -> None:
        runs.append("slow")
        release.wait(5)

    @app.schedule("rate(1 minute)")
    def broken(event: Any) -> None:
        runs.append("broken")
        raise RuntimeError("boom")

    scheduler = Scheduler(app)
    scheduler.reset(START)
    first = scheduler.tick(START + timedelta(minutes=1))
    scheduler.join(timeout=0.2)
    second = scheduler.tick(START + timedelta(minutes=2))
    release.set()
    scheduler.join()

    assert first == ["slow", "broken"]
    assert second == ["broken"]
    assert sorted(runs) == ["broken", "broken", "slow"]


def test_speedup_makes_the_background_thread_fire_a_minute_rate_within_a_second() -> None:
    app, seen = build_app()
    scheduler = Scheduler(app, speedup=600.0, poll_interval=0.02)

    scheduler.start()
    try:
        deadline = datetime.now(UTC) + timedelta(seconds=3)
        while not seen.scheduled and datetime.now(UTC) < deadline:
            threading.Event().wait(0.02)
    finally:
        scheduler.stop()

    assert seen.scheduled[0][0] == "every_five_minutes"


@pytest.mark.parametrize(
    ("expression", "after", "expected"),
    [
        ("cron(0 10 * * ? *)", START, datetime(2024, 3, 2, 10, 0, tzinfo=UTC)),
        ("cron(15/20 * * * ? *)", START, datetime(2024, 3, 1, 12, 15, tzinfo=UTC)),
        ("cron(0 9 ? * MON-FRI *)", START, datetime(2024, 3, 4, 9, 0, tzinfo=UTC)),
        ("cron(0 0 1 JAN ? 2025)", START, datetime(2025, 1, 1, 0, 0, tzinfo=UTC)),
        ("cron(0 12 ? * 1 *)", START, datetime(2024, 3, 3, 12, 0, tzinfo=UTC)),
        ("rate(2 hours)", START, START + timedelta(hours=2)),
    ],
)
def test_schedule_expressions_fire_when_eventbridge_would(
    expression: str, after: datetime, expected: datetime
) -> None:
    assert parse_schedule(expression).next_after(after) == expected


@pytest.mark.parametrize("expression", ["cron(0 0 L * ? *)", "cron(0 0 ? * 6#3 *)", "every day"])
def test_unsupported_expressions_are_rejected(expression: str) -> None:
    with pytest.raises(ValueError):
        parse_schedule(expression)
