"""Run a Chalice app's ``@app.schedule`` handlers on their rate or cron expression.

Expressions follow EventBridge: ``rate(N minute|minutes|hour|hours|day|days)`` and
``cron(minutes hours day-of-month month day-of-week year)`` with ``*``, ``?``, lists, ranges,
steps and month/day names (day-of-week 1-7 is SUN-SAT, as in AWS). The ``L``, ``W`` and ``#``
cron forms are not supported locally: such a handler is logged and never run.

Time is virtual: ``speedup=60`` makes a ``rate(1 minute)`` handler fire every real second (cron
too follows the sped-up clock). A rate handler first fires one period after ``start()``; runs
that were missed (a long pause) are coalesced into one. Each handler runs in its own thread,
one run at a time: a tick that finds it still running skips it. A failing handler is logged.
"""

from __future__ import annotations

import logging
import re
import threading
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from chalice.app import Chalice

from infra.local.lambda_runtime import (
    DEFAULT_ACCOUNT,
    DEFAULT_REGION,
    FakeLambdaContext,
    schedule_sources,
)

logger = logging.getLogger(__name__)

Clock = Callable[[], datetime]

_RATE = re.compile(r"^rate\(\s*(\d+)\s+(minute|minutes|hour|hours|day|days)\s*\)$")
_CRON = re.compile(r"^cron\((.*)\)$")
_UNIT_SECONDS = {"minute": 60, "hour": 3600, "day": 86400}
_MONTHS = {
    name: i
    for i, name in enumerate(
        ["JAN", "FEB", "MAR", "APR", "MAY", "JUN", "JUL", "AUG", "SEP", "OCT", "NOV", "DEC"], 1
    )
}
_DAYS = {name: i for i, name in enumerate(["SUN", "MON", "TUE", "WED", "THU", "FRI", "SAT"], 1)}


def utc_now() -> datetime:
    """The default clock."""
    return datetime.now(UTC)


class Schedule:
    """When a handler fires next."""

    def next_after(self, moment: datetime) -> datetime:
        """The first firing time strictly after ``moment``."""
        raise NotImplementedError


@dataclass(frozen=True)
class RateSchedule(Schedule):
    """``rate(N unit)``: every ``period`` from an anchor (the scheduler's start)."""

    period: timedelta

    def next_after(self, moment: datetime) -> datetime:
        return moment + self.period


@dataclass(frozen=True)
class CronSchedule(Schedule):
    """``cron(...)`` as EventBridge reads it, minus ``L``/``W``/``#``."""

    minutes: frozenset[int]
    hours: frozenset[int]
    days_of_month: frozenset[int]
    months: frozenset[int]
    days_of_week: frozenset[int]  # 1 = Sunday
    years: frozenset[int]

    def next_after(self, moment: datetime) -> datetime:
        start = moment.replace(second=0, microsecond=0) + timedelta(minutes=1)
        day = start.replace(hour=0, minute=0)
        for _ in range(366 * 5):
            if self._day_matches(day):
                for hour in sorted(self.hours):
                    for minute in sorted(self.minutes):
                        candidate = day.replace(hour=hour, minute=minute)
                        if candidate >= start:
                            return candidate
            day += timedelta(days=1)
        raise ValueError("cron expression never fires in the next five years")

    def _day_matches(self, day: datetime) -> bool:
        aws_weekday = (day.isoweekday() % 7) + 1  # Monday=1..Sunday=7 -> Sunday=1..Saturday=7
        return (
            day.year in self.years
            and day.month in self.months
            and day.day in self.days_of_month
            and aws_weekday in self.days_of_week
        )


def parse_schedule(expression: str) -> Schedule:
    """Parse ``rate(...)`` or ``cron(...)``; raise ``ValueError`` for what is not supported."""
    text = expression.strip()
    rate = _RATE.match(text)
    if rate is not None:
        value, unit = int(rate.group(1)), rate.group(2).rstrip("s")
        if value <= 0:
            raise ValueError(f"rate must be positive: {expression}")
        return RateSchedule(timedelta(seconds=value * _UNIT_SECONDS[unit]))
    cron = _CRON.match(text)
    if cron is None:
        raise ValueError(f"not a rate() or cron() expression: {expression}")
    fields = cron.group(1).split()
    if len(fields) != 6:
        raise ValueError(f"cron needs 6 fields (min hour dom month dow year): {expression}")
    minutes, hours, dom, month, dow, year = fields
    return CronSchedule(
        minutes=_field(minutes, 0, 59),
        hours=_field(hours, 0, 23),
        days_of_month=_field(dom, 1, 31),
        months=_field(month, 1, 12, _MONTHS),
        days_of_week=_field(dow, 1, 7, _DAYS),
        years=_field(year, 1970, 2199),
    )


def _field(text: str, low: int, high: int, names: dict[str, int] | None = None) -> frozenset[int]:
    values: set[int] = set()
    for part in text.split(","):
        step = 1
        if "/" in part:
            part, step_text = part.split("/", 1)
            step = int(step_text)
        if part in ("*", "?"):
            first, last = low, high
        elif "-" in part:
            first_text, last_text = part.split("-", 1)
            first, last = _value(first_text, names), _value(last_text, names)
        else:
            first = _value(part, names)
            last = high if step != 1 else first
        if not low <= first <= last <= high:
            raise ValueError(f"cron field {text!r} out of range {low}-{high}")
        values.update(range(first, last + 1, step))
    return frozenset(values)


def _value(text: str, names: dict[str, int] | None) -> int:
    if names is not None and text.upper() in names:
        return names[text.upper()]
    if not text.isdigit():
        raise ValueError(f"cron value {text!r} not supported locally (L, W and # are not)")
    return int(text)


@dataclass
class _Job:
    name: str
    expression: str
    schedule: Schedule
    next_run: datetime | None = None
    running: threading.Thread | None = None


class Scheduler:
    """Fires the app's schedule handlers; ``tick(now)`` drives it deterministically in tests."""

    def __init__(
        self,
        app: Chalice,
        *,
        clock: Clock = utc_now,
        speedup: float = 1.0,
        stage: str = "local",
        region: str = DEFAULT_REGION,
        account: str = DEFAULT_ACCOUNT,
        poll_interval: float = 0.25,
    ) -> None:
        self.app = app
        self.clock = clock
        self.speedup = speedup
        self.stage = stage
        self.region = region
        self.account = account
        self.poll_interval = poll_interval
        self.jobs: list[_Job] = []
        for source in schedule_sources(app):
            try:
                self.jobs.append(
                    _Job(source.name, source.expression, parse_schedule(source.expression))
                )
            except ValueError as exc:
                logger.error("schedule handler %s will not run locally: %s", source.name, exc)
        self._origin: tuple[datetime, datetime] | None = None
        self._stopping = threading.Event()
        self._thread: threading.Thread | None = None

    def start(self) -> Scheduler:
        """Anchor schedules at the current time and tick in a background thread."""
        if self._thread is not None:
            return self
        now = self.clock()
        self._origin = (now, now)
        self.reset(now)
        self._stopping.clear()
        self._thread = threading.Thread(target=self._run, name="scheduler", daemon=True)
        self._thread.start()
        return self

    def stop(self, timeout: float = 10.0) -> None:
        """Stop ticking and wait for running handlers (up to ``timeout``)."""
        thread, self._thread = self._thread, None
        if thread is not None:
            self._stopping.set()
            thread.join(timeout=timeout)
        self.join(timeout)

    def reset(self, now: datetime) -> None:
        """Compute every handler's next run from ``now`` (done by ``start()``)."""
        for job in self.jobs:
            job.next_run = job.schedule.next_after(now)

    def virtual_now(self) -> datetime:
        """The scheduler's (possibly sped-up) notion of now."""
        real = self.clock()
        if self._origin is None:
            return real
        real_start, virtual_start = self._origin
        return virtual_start + (real - real_start) * self.speedup

    def tick(self, now: datetime) -> list[str]:
        """Start every handler due at ``now``; return the names started."""
        started = []
        for job in self.jobs:
            if job.next_run is None:
                job.next_run = job.schedule.next_after(now)
                continue
            if job.next_run > now:
                continue
            scheduled_for = job.next_run
            following = job.schedule.next_after(scheduled_for)
            # Missed runs (a pause longer than the period) are coalesced into this one.
            job.next_run = following if following > now else job.schedule.next_after(now)
            if job.running is not None and job.running.is_alive():
                logger.warning("schedule handler %s still running: skipping this run", job.name)
                continue
            job.running = threading.Thread(
                target=self._run_job,
                args=(job, scheduled_for),
                name=f"schedule-{job.name}",
                daemon=True,
            )
            job.running.start()
            started.append(job.name)
        return started

    def join(self, timeout: float = 10.0) -> None:
        """Wait for the handler runs started so far."""
        for job in self.jobs:
            if job.running is not None:
                job.running.join(timeout)

    def event_for(self, job_name: str, moment: datetime) -> dict[str, Any]:
        """The EventBridge scheduled event for ``job_name`` at ``moment``."""
        rule = f"{self.app.app_name}-{self.stage}-{job_name}"
        return {
            "version": "0",
            "id": str(uuid.uuid4()),
            "detail-type": "Scheduled Event",
            "source": "aws.events",
            "account": self.account,
            "time": moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
            "region": self.region,
            "resources": [f"arn:aws:events:{self.region}:{self.account}:rule/{rule}"],
            "detail": {},
        }

    def _run(self) -> None:
        while not self._stopping.wait(self.poll_interval):
            try:
                self.tick(self.virtual_now())
            except Exception:
                logger.exception("scheduler tick failed")

    def _run_job(self, job: _Job, moment: datetime) -> None:
        context = FakeLambdaContext(
            f"{self.app.app_name}-{self.stage}-{job.name}", region=self.region, account=self.account
        )
        try:
            self.app.handler_map[job.name](self.event_for(job.name, moment), context)
        except Exception:
            logger.exception("schedule handler %s failed", job.name)
