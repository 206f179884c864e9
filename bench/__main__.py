"""``python -m bench``: every benchmark in one invocation; JSON to bench/results/latest.json.

Options: ``--quick`` (small samples, ~1 min), ``--only warm,cold,throughput,raid,fanout``,
``--samples N`` (per update kind), ``--raid-joins N``, ``--cold-runs N``.
"""

from __future__ import annotations

import argparse
import json
import logging
import platform
import sys
import time
import warnings
from pathlib import Path
from typing import Any

from bench.output import CountingStream
from bench.stack import ROOT

RESULTS = Path(__file__).with_name("results")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench", description=__doc__)
    parser.add_argument("--quick", action="store_true")
    parser.add_argument("--only", default="warm,cold,throughput,raid,fanout")
    parser.add_argument("--samples", type=int, default=None)
    parser.add_argument("--raid-joins", type=int, default=None)
    parser.add_argument("--cold-runs", type=int, default=None)
    parser.add_argument("--out", type=Path, default=RESULTS / "latest.json")
    args = parser.parse_args(argv)
    only = set(args.only.split(","))
    samples = args.samples or (12 if args.quick else 40)
    raid_joins = args.raid_joins or (200 if args.quick else 1000)
    cold_runs = args.cold_runs or (2 if args.quick else 5)

    warnings.filterwarnings("ignore", message="Couldn't determine the remaining time left")
    logging.getLogger().setLevel(logging.WARNING)
    out = sys.stdout
    counter = CountingStream()
    sys.stdout = counter  # the app logs JSON to stdout: count it, keep it out of the table

    from bench import coldstart, cost, fanout, raid, throughput, warm
    from bench.stack import backend

    result: dict[str, Any] = {
        "started": time.strftime("%Y-%m-%dT%H:%M:%S%z"),
        "machine": {
            "python": platform.python_version(),
            "cpus": _cpus(),
            "system": platform.platform(),
        },
        "settings": {"samples": samples, "raid_joins": raid_joins, "cold_runs": cold_runs},
    }
    began = time.monotonic()
    try:
        result["sandbox"] = warm.sandbox_round_trip()
        with backend() as b:
            if "warm" in only:
                _say(out, "warm webhook handling per kind ...")
                result["warm"] = warm.run(b, samples=samples, log_counter=counter)
            if "cold" in only:
                _say(out, "cold starts ...")
                result["cold_start"] = coldstart.run(b, runs=cold_runs)
            if "throughput" in only:
                _say(out, "throughput and live latency ...")
                result["throughput"] = throughput.run(b, per_run=120 if args.quick else 240)
            if "raid" in only:
                _say(out, f"raid of {raid_joins} joins ...")
                result["raid"] = raid.run(b, joins=raid_joins, seconds=10.0 * raid_joins / 1000)
            if "fanout" in only:
                _say(out, "live fan-out to N websocket clients ...")
                result["fanout"] = fanout.run(
                    b, sizes=(1, 100, 300) if args.quick else (1, 100, 1000)
                )
        if "warm" in result:
            result["cost"] = cost.estimate(
                result["warm"], result.get("cold_start"), ROOT / ".chalice" / "config.json"
            )
    finally:
        sys.stdout = out
    result["elapsed_s"] = round(time.monotonic() - began, 1)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(result, indent=2, sort_keys=True) + "\n")
    print(table(result), file=out)
    print(f"\nwrote {args.out} in {result['elapsed_s']} s", file=out)
    return 0


def _cpus() -> int:
    import os

    return len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count() or 0


def _say(out: Any, text: str) -> None:
    print(text, file=out, flush=True)


def table(r: dict[str, Any]) -> str:
    """The short human summary (also pasted into docs/benchmarks.md)."""
    lines: list[str] = []
    if "warm" in r:
        lines += [
            "| update kind | n | p50 ms | p95 ms | p99 ms | RCU | WCU (idem/events) "
            "| DDB reads/writes | Telegram calls |",
            "|---|---|---|---|---|---|---|---|---|",
        ]
        for kind, w in r["warm"].items():
            lines.append(
                f"| {kind} | {w['n']} | {w['p50_ms']} | {w['p95_ms']} | {w['p99_ms']} "
                f"| {w['rcu_median']:g} | {w['wcu_median']:g} ({w['idempotency_wcu_median']:g}/"
                f"{w['events_wcu_median']:g}) "
                f"| {w['ddb_reads_median']:g}/{w['ddb_writes_median']:g} "
                f"| {w['telegram_calls_median']:g} (max {w['telegram_calls_max']}) |"
            )
        c = r["warm"].get("message_cached_member")
        if c:
            lines.append(
                f"\nclaim 'cached verified member: 0 Telegram calls, <= 1 DynamoDB read': measured "
                f"max {c['telegram_calls_max']} Telegram calls, max {c['ddb_reads_max']} reads "
                f"(and {c['ddb_writes_median']:g} writes = the idempotency record)"
            )
    if "cold_start" in r:
        cs = r["cold_start"]
        lines += [
            "",
            "| cold start (median) | import s | first request s | import+first s | 2nd request s |",
            "|---|---|---|---|---|",
        ]
        for mode in ("no_pyc", "pyc"):
            m = cs[mode]
            lines.append(
                f"| {mode} | {m['import_s']} | {m['first_request_s']} "
                f"| {m['import_plus_first_s']} | {m['second_request_s']} |"
            )
        lines.append(
            f"ratio no_pyc/pyc (import+first): {cs['ratio_import_plus_first_no_pyc_over_pyc']}; "
            "packaged import only (docs/deploy.md): 0.73 s / 0.24 s"
        )
    if "throughput" in r:
        t = r["throughput"]
        lines += [
            "",
            "| webhook via app.py + RestServer | updates/s | p50 ms | p95 ms |",
            "|---|---|---|---|",
        ]
        for name, v in t["webhook"].items():
            lines.append(f"| {name} | {v['updates_per_s']} | {v['p50_ms']} | {v['p95_ms']} |")
        lv = t["live"]
        lines.append(
            f"live: event put -> websocket p50 {lv['event_to_websocket_p50_ms']} ms, "
            f"p95 {lv['event_to_websocket_p95_ms']} ms (n={lv['n']})"
        )
    if "raid" in r:
        rd = r["raid"]
        lines += [
            "",
            f"raid: {rd['joins']} joins injected in {rd['injected_in_s']} s, all handled after "
            f"{rd['all_handled_after_s']} s ({rd['updates_handled']} updates, "
            f"{rd['updates_per_s']}/s); "
            f"not muted {rd['joiners_not_muted']}, muted twice {rd['joiners_muted_twice']}, "
            f"join_muted events {rd['join_muted_events']} "
            f"(dupes {rd['joiners_with_duplicate_events']}); "
            f"notices {rd['notices_sent']} (max {rd['notices_max_in_any_60s']} in any 60 s, limit "
            f"{rd['notice_limit_per_minute']}); 429s {rd['429_seen']}/{rd['429_injected']} seen, "
            f"{rd['429_not_honoured']} not honoured; "
            f"deliveries given up {rd['deliveries_given_up']}",
        ]
    if "fanout" in r:
        lines += ["", _fanout_table(r["fanout"])]
    if "cost" in r:
        co = r["cost"]
        lines += [
            "",
            f"cost per 1M updates (AWS {co['region']}, prices of {co['pricing_date']}, "
            "inputs not quotes):",
        ]
        for k, v in co["aws_per_million_updates"].items():
            lines.append(f"  {k:24s} ${v:.3f}")
        lines.append(f"  {'total':24s} ${co['aws_per_million_total']:.2f}")
        for vol, m in co["monthly"].items():
            lines.append(
                f"  {int(vol):>11,} updates/month: AWS ${m['aws_month']:.2f} "
                f"vs VPS+Postgres+Redis ${m['vps_month']:.2f}"
            )
        lines.append(f"  break-even ~{co['break_even_updates_per_month']:,} updates/month")
    return "\n".join(lines)


def _fanout_table(f: dict[str, Any]) -> str:
    lines = [
        f"live fan-out ({f['events_per_phase']} events per phase, pump poll "
        f"{f['pump_poll_interval_ms']} ms):",
        "| clients (opened/asked) | first p50 ms | first p95 ms | last p50 ms | last p95 ms "
        "| burst events/s | burst deliveries/s | lost |",
        "|---|---|---|---|---|---|---|---|",
    ]
    for v in f["by_clients"].values():
        p, bu = v.get("paced", {}), v.get("burst", {})
        lines.append(
            f"| {v['opened']}/{v['clients_asked']} | {p.get('first_p50_ms')} "
            f"| {p.get('first_p95_ms')} | {p.get('last_p50_ms')} | {p.get('last_p95_ms')} "
            f"| {bu.get('events_per_s')} | {bu.get('deliveries_per_s')} "
            f"| {v.get('lost_total')} |"
        )
    return "\n".join(lines)


if __name__ == "__main__":
    raise SystemExit(main())
