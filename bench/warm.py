"""Warm webhook handling per update kind, with its DynamoDB capacity and Telegram calls."""

from __future__ import annotations

import statistics
import time
from typing import Any

from bench.probe import Probe, Sample
from bench.stack import Backend, harness, percentile

KINDS = (
    "message_cached_member",
    "message_non_member",
    "join",
    "join_service_message",
    "button",
    "channel_join",
)


def sandbox_round_trip() -> dict[str, float]:
    """One Bot API call to the sandbox, median ms: the floor under every Telegram call the
    warm figures include (the servers disable Nagle themselves; with it on this was ~44 ms)."""
    import httpx

    from infra.local.sandbox import Sandbox, SandboxServer

    def round_trip() -> float:
        with Sandbox() as sb, httpx.Client() as client:
            server = SandboxServer(sb)
            server.start()
            token = sb.create_bot("rt_bot")["token"]
            times = []
            for _ in range(25):
                started = time.perf_counter()
                client.post(f"{server.url}/bot{token}/getMe", json={})
                times.append((time.perf_counter() - started) * 1000)
            server.stop()
            return round(statistics.median(times), 2)

    return {"sandbox_call_ms": round_trip()}


PER_WINDOW = 15  # notices per group and minute stay under the product's 20 (no coalescing)


def new_group(h: Any, title: str) -> int:
    """Another protected supergroup of the harness's bot, requiring its channel."""
    from tests.support.harness import GROUP_RIGHTS

    sb = h.sandbox
    group = int(sb.create_chat("supergroup", title, creator_id=h.admin)["id"])
    sb.add_member(group, h.bot_id, "administrator", rights=GROUP_RIGHTS)
    sb.send_message_as(group, h.admin, "/protect @news_channel")
    return group


def run(b: Backend, *, samples: int = 40, log_counter: Any = None) -> dict[str, Any]:
    with harness(b) as h:
        probe = Probe(b.meter, log_counter=log_counter)
        probe.install(h.handler)
        sb = h.sandbox
        h.protect()
        # Messages from verified members: the first verifies (and is excluded), the rest hit
        # the container's caches.
        members = [h.user(f"M{i}", in_group=True) for i in range(4)]
        probe.label = "message_first_of_member"
        for user in members:
            h.subscribe(user)
            h.say(user, "hello")
        probe.label = "message_cached_member"
        for i in range(samples + 5):
            h.say(members[i % len(members)], f"msg {i}")
        # Messages from non-members (each one mutes its sender, so a new sender each time).
        probe.label = "message_non_member"
        done = 0
        while done < samples:
            h.clock.advance(61)  # a fresh notice window per batch: no coalescing in the figures
            group = new_group(h, f"NM{done}")
            for _ in range(min(PER_WINDOW, samples - done)):
                user = int(sb.create_user(f"N{done}")["id"])
                sb.add_member(group, user)
                sb.send_message_as(group, user, "let me in")
                done += 1
        # Joins of non-members, then half press the button after subscribing and half join
        # the channel (which lifts the mute with no button).
        probe.label = None
        done = 0
        while done < samples:
            h.clock.advance(61)
            group = new_group(h, f"J{done}")
            batch = []
            for _ in range(min(PER_WINDOW, samples - done)):
                user = int(sb.create_user(f"J{done}")["id"])
                sb.join(group, user)
                batch.append(user)
                done += 1
            h.clock.advance(4)  # past the button's cooldown
            for i, user in enumerate(batch):
                if i % 2 == 0:
                    notice = _notice(h, group, user)
                    h.subscribe(user)
                    if notice is not None:
                        sb.press_button(group, notice["message_id"], user, f"nz:v:{user}")
                else:
                    sb.join(h.channel, user)
        sb.wait_idle(30)
        return summarise(probe.samples)


def _notice(h: Any, group: int, user: int) -> dict[str, Any] | None:
    for m in h.sandbox.messages(group):
        for row in (m.get("reply_markup") or {}).get("inline_keyboard", []):
            if any(b.get("callback_data") == f"nz:v:{user}" for b in row):
                return m
    return None


def summarise(samples: list[Sample], *, skip_first: int = 3) -> dict[str, Any]:
    """Per kind: latency percentiles (first few dropped as warm-up) and median costs."""
    out: dict[str, Any] = {}
    by_kind: dict[str, list[Sample]] = {}
    for s in samples:
        by_kind.setdefault(s.kind, []).append(s)
    for kind, items in sorted(by_kind.items()):
        kept = items[skip_first:] if len(items) > skip_first * 3 else items
        ms = [s.ms for s in kept]
        outcomes: dict[str, int] = {}
        for s in kept:
            outcomes[s.outcome] = outcomes.get(s.outcome, 0) + 1
        out[kind] = {
            "n": len(kept),
            "p50_ms": round(percentile(ms, 50), 2),
            "p95_ms": round(percentile(ms, 95), 2),
            "p99_ms": round(percentile(ms, 99), 2),
            "rcu_median": statistics.median(s.usage.rcu for s in kept),
            "wcu_median": statistics.median(s.usage.wcu for s in kept),
            "rcu_mean": round(statistics.fmean(s.usage.rcu for s in kept), 3),
            "wcu_mean": round(statistics.fmean(s.usage.wcu for s in kept), 3),
            "ddb_reads_median": statistics.median(s.usage.read_calls for s in kept),
            "ddb_writes_median": statistics.median(s.usage.write_calls for s in kept),
            "ddb_reads_max": max(s.usage.read_calls for s in kept),
            "ddb_ops_example": kept[-1].usage.by_op,
            "events_wcu_median": statistics.median(
                s.usage.wcu_by_table.get("events", 0.0) for s in kept
            ),
            "idempotency_wcu_median": statistics.median(
                s.usage.wcu_by_table.get("idempotency", 0.0) for s in kept
            ),
            "log_bytes_median": statistics.median(s.log_bytes for s in kept),
            "telegram_calls_median": statistics.median(s.telegram_calls for s in kept),
            "telegram_calls_max": max(s.telegram_calls for s in kept),
            "statuses": sorted({s.status for s in kept}),
            "outcomes": outcomes,
        }
    return out
