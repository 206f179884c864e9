"""A raid: ~1,000 joins in ~10 s into one protected group, with injected 429s.

Checks (recorded, not asserted): every joiner ends muted, one mute and one event per joiner,
notices stay within 20 per group and minute, every 429 was waited out before the next call
of that method, and no webhook delivery was given up.
"""

from __future__ import annotations

import json
import time
from collections import Counter
from typing import Any

from bench.probe import Probe
from bench.stack import Backend, harness

NOTICE_LIMIT = 20


def all_events(h: Any, *types: str) -> list[Any]:
    """Every event of the harness's bot of ``types`` (all pages)."""
    from chalicelib.store.records import EventQuery

    items: list[Any] = []
    cursor = None
    while True:
        page = h.stores.events.query(
            EventQuery(bot_id=h.bot_id, types=types, limit=200, cursor=cursor)
        )
        items += page.items
        cursor = page.cursor
        if not cursor:
            return items


def run(b: Backend, *, joins: int = 1000, seconds: float = 10.0, faults: int = 4) -> dict[str, Any]:
    with harness(b, retry_delays=(0.5, 1, 2, 4, 8, 16, 32)) as h:
        probe = Probe(b.meter)
        probe.install(h.handler)
        sb = h.sandbox
        h.protect()
        users = [int(sb.create_user(f"Raider{i}")["id"]) for i in range(joins)]
        before = b.meter.snapshot()
        sb.fail_next("sendMessage", "429", retry_after=1, times=faults)
        started = time.monotonic()
        for i, user in enumerate(users):
            if i == joins // 2:
                sb.fail_next("restrictChatMember", "429", retry_after=1, times=faults)
            sb.join(h.group, user, wait=False)
            lag = started + (i + 1) * seconds / joins - time.monotonic()
            if lag > 0:
                time.sleep(lag)
        injected = time.monotonic() - started
        sb.wait_idle(timeout=600)
        drained = time.monotonic() - started
        usage = b.meter.snapshot().minus(before)

        not_muted = [u for u in users if h.can_write(u)]
        calls = sb.calls()
        restricts = Counter(
            c["params"].get("user_id")
            for c in calls
            if c["method"] == "restrictChatMember" and c["ok"]
        )
        notices = sorted(
            c["date"]
            for c in calls
            if c["method"] == "sendMessage"
            and c["ok"]
            and c["params"].get("chat_id") == h.group
            and "nz:v:" in json.dumps(c["params"].get("reply_markup"))
        )
        events = all_events(h, "join_muted")
        per_user_events = Counter(e.user_id for e in events)
        deliveries = sb.deliveries(h.bot_id)
        return {
            "joins": joins,
            "injected_in_s": round(injected, 2),
            "all_handled_after_s": round(drained, 2),
            "updates_handled": len(probe.samples),
            "updates_per_s": round(len(probe.samples) / drained, 1),
            "handler_p50_ms": _median([s.ms for s in probe.samples]),
            "joiners_not_muted": len(not_muted),
            "joiners_muted_twice": sum(1 for n in restricts.values() if n > 1),
            "join_muted_events": len(events),
            "joiners_with_duplicate_events": sum(1 for n in per_user_events.values() if n > 1),
            "notices_sent": len(notices),
            "notices_max_per_fixed_minute": max(
                Counter(int(t // 60) for t in notices).values(), default=0
            ),
            "notices_max_in_any_60s": _max_in_window(notices, 60.0),
            "notice_limit_per_minute": NOTICE_LIMIT,
            "429_injected": 2 * faults,
            "429_seen": sum(1 for c in calls if c.get("error_code") == 429),
            "429_not_honoured": _not_honoured(calls),
            "deliveries_failed": sum(1 for d in deliveries if d["status"] == "failed"),
            "deliveries_given_up": sum(1 for d in deliveries if d["status"] == "gave_up"),
            "non_200": sum(1 for s in probe.samples if s.status != 200),
            "crashes": sum(1 for s in probe.samples if s.outcome == "failed:crash"),
            "ddb": {
                "rcu": round(usage.rcu, 1),
                "wcu": round(usage.wcu, 1),
                "reads": usage.read_calls,
                "writes": usage.write_calls,
            },
            "telegram_calls": sum(s.telegram_calls for s in probe.samples),
        }


def _median(values: list[float]) -> float:
    import statistics

    return round(statistics.median(values), 2) if values else 0.0


def _max_in_window(times: list[float], window: float) -> int:
    best, lo = 0, 0
    for hi, t in enumerate(times):
        while times[lo] <= t - window:
            lo += 1
        best = max(best, hi - lo + 1)
    return best


def _not_honoured(calls: list[dict[str, Any]]) -> int:
    """429 answers after which the same method was called again sooner than retry_after."""
    bad = 0
    for i, c in enumerate(calls):
        if c.get("error_code") != 429:
            continue
        wait = float(c.get("retry_after") or 1)
        nxt = next((d for d in calls[i + 1 :] if d["method"] == c["method"]), None)
        if nxt is not None and nxt["date"] - c["date"] < wait - 0.05:
            bad += 1
    return bad
