"""One stored event → the counter increments it contributes (pure; see analytics.keys)."""

from __future__ import annotations

from collections import Counter
from typing import Any

from chalicelib.analytics import keys as k
from chalicelib.store.records import StatDelta

_DAY = 86_400


def deltas_for(event: dict[str, Any]) -> list[StatDelta]:
    """Counter increments for one event (a plain dict of the events table's attributes).

    Raises ``KeyError`` / ``ValueError`` / ``TypeError`` for an event that lacks its bot
    or time: such a record can never be counted (the stream handler parks it).
    """
    bot_id = int(event["bot_key"])
    ts = float(event["ts"])
    chat_id = event.get("chat_id")
    metrics = _metrics(event)
    hour, day = k.hour_label(ts), k.day_label(ts)
    hourly_expiry = int(ts) + k.HOURLY_TTL_DAYS * _DAY
    daily_expiry = int(ts) + k.DAILY_TTL_DAYS * _DAY
    scopes = [k.bot_scope(bot_id)]
    if chat_id is not None:
        scopes.append(k.group_scope(bot_id, int(chat_id)))
    deltas: list[StatDelta] = []
    for scope in scopes:
        for metric, amount in metrics.items():
            deltas.append(StatDelta(scope, f"h#{hour}#{metric}", amount, hourly_expiry))
            deltas.append(StatDelta(scope, f"d#{day}#{metric}", amount, daily_expiry))
        deltas.append(StatDelta(scope, f"d#{day}#hod:{hour[-2:]}", 1, daily_expiry))
    if chat_id is not None:
        deltas.append(StatDelta(scopes[0], f"g#{day}#{int(chat_id)}", 1, daily_expiry))
    return deltas


def _metrics(event: dict[str, Any]) -> dict[str, float]:
    type_ = str(event.get("type") or "unknown")
    metrics: Counter[str] = Counter({"n": 1, f"ev:{k.metric_name(type_)}": 1})
    outcome = k.VERIFICATION_OUTCOMES.get(type_)
    if outcome:
        metrics[f"vf:{outcome}"] += 1
    if type_ == "error":
        metrics["err"] += 1
    latency = event.get("latency_ms")
    if latency is not None:
        metrics[k.latency_metric(float(latency))] += 1
    cache_hit = event.get("cache_hit")
    if cache_hit is not None:
        metrics["cache:hit" if cache_hit else "cache:miss"] += 1
    for method in event.get("telegram_calls") or []:
        metrics[f"tg:{k.metric_name(str(method))}"] += 1
    detail = event.get("detail")
    errors = detail.get("telegram_errors") if isinstance(detail, dict) else None
    for method in errors if isinstance(errors, list) else []:
        metrics[f"tg_err:{k.metric_name(str(method))}"] += 1
    return {name: float(count) for name, count in metrics.items()}
