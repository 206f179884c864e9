"""Cost per 1M updates on AWS from the measured figures, next to an always-on VPS deployment.

Every price and assumption comes from ``bench/pricing.json``; the per-update work (handler time,
capacity units, Telegram calls, log bytes, events) comes from the warm run.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

PRICING = Path(__file__).with_name("pricing.json")
EMF_BYTES = 202  # one EMF metrics line per invocation (measured by the cold-start child)


def lambda_memory_gb(config_path: Path) -> float:
    """The webhook function's memory from .chalice/config.json (``lambda_functions``)."""
    config = json.loads(config_path.read_text())
    mb = (
        config.get("lambda_functions", {})
        .get("api_handler", {})
        .get("lambda_memory_size", config.get("lambda_memory_size", 128))
    )
    return float(mb) / 1024


def estimate(
    warm: dict[str, Any], cold: dict[str, Any] | None, config_path: Path
) -> dict[str, Any]:
    p = json.loads(PRICING.read_text())
    aws, vps, a = p["aws"], p["vps"], p["assumptions"]
    gb = lambda_memory_gb(config_path)
    emf = (cold or {}).get("pyc", {}).get("log_bytes_warm_request", EMF_BYTES)
    init_s = (cold or {}).get("pyc", {}).get("import_plus_first_s", 0.0)
    per_kind: dict[str, dict[str, float]] = {}
    for kind, share in a["update_mix"].items():
        w = warm.get(kind)
        if w is None:
            continue
        billed_ms = w["p50_ms"] + w["telegram_calls_median"] * a["telegram_round_trip_ms"]
        events = 1.0 if w["events_wcu_median"] else 0.0
        log_bytes = w["log_bytes_median"] + emf
        per_kind[kind] = {
            "share": share,
            "billed_ms": round(billed_ms, 1),
            "rru": w["rcu_mean"],
            "wru": w["wcu_mean"],
            "events": events,
            "log_bytes": log_bytes,
        }
    total_share = sum(k["share"] for k in per_kind.values()) or 1.0

    def mix(field: str) -> float:
        return sum(k[field] * k["share"] for k in per_kind.values()) / total_share

    n = 1_000_000
    ms, rru, wru, events, logs = (
        mix(f) for f in ("billed_ms", "rru", "wru", "events", "log_bytes")
    )
    cold_ms = a["cold_start_share"] * init_s * 1000 if aws.get("lambda_init_billed") else 0.0
    lambda_compute = n * (ms + cold_ms) / 1000 * gb * aws["lambda_gb_second_x86"]
    lambda_requests = aws["lambda_request_per_million"]
    api = aws["api_gateway_rest_per_million"]
    ddb = (
        rru * aws["dynamodb_on_demand_read_request_units_per_million"]
        + wru * aws["dynamodb_on_demand_write_request_units_per_million"]
    )
    # Events: the stream handler (batched) and one websocket message per open dashboard.
    batches = n * events / a["stream_batch_size_effective"]
    stream = batches * (
        aws["lambda_request_per_million"] / 1e6
        + a["stream_handler_ms_per_batch"]
        / 1000
        * a["stream_memory_mb"]
        / 1024
        * aws["lambda_gb_second_x86"]
    )
    # Aggregates: one transaction per event (marker + counters), ~4 items x 2 WRU.
    stream += n * events * 8 * aws["dynamodb_on_demand_write_request_units_per_million"] / 1e6
    ws_messages = (
        n
        * events
        * a["dashboard_open_connections"]
        * aws["api_gateway_websocket_messages_per_million"]
        / 1e6
    )
    logs_gb = n * logs / 1e9
    cw = logs_gb * (
        aws["cloudwatch_logs_ingestion_per_gb"]
        + aws["cloudwatch_logs_storage_per_gb_month"] * a["log_retention_months"]
    )
    per_million = {
        "lambda_compute": lambda_compute,
        "lambda_requests": lambda_requests,
        "api_gateway_rest": api,
        "dynamodb": ddb,
        "stream_and_aggregates": stream,
        "websocket_messages": ws_messages,
        "cloudwatch_logs": cw,
    }
    variable = sum(per_million.values())
    ws_minutes_month = a["dashboard_open_connections"] * a["dashboard_hours_per_day"] * 60 * 30
    fixed_month = (
        ws_minutes_month * aws["api_gateway_websocket_connection_minutes_per_million"] / 1e6
    )
    vps_month = sum(v for k, v in vps.items() if not k.startswith("_"))
    volumes = {
        str(v): {
            "aws_month": round(variable * v / n + fixed_month, 2),
            "vps_month": round(vps_month, 2),
        }
        for v in a["monthly_volumes"]
    }
    return {
        "pricing_date": p["date"],
        "region": p["region"],
        "lambda_memory_gb": gb,
        "mix_per_update": {
            "billed_ms": round(ms, 1),
            "rru": round(rru, 3),
            "wru": round(wru, 3),
            "events": round(events, 3),
            "log_bytes": round(logs),
        },
        "per_kind": per_kind,
        "aws_per_million_updates": {k: round(v, 3) for k, v in per_million.items()},
        "aws_per_million_total": round(variable, 2),
        "aws_fixed_month_websocket_minutes": round(fixed_month, 4),
        "vps_per_month": vps_month,
        "break_even_updates_per_month": round(vps_month / variable * n) if variable else None,
        "monthly": volumes,
    }
