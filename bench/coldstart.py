"""Cold start: fresh interpreters, with and without bytecode (median of N each)."""

from __future__ import annotations

import itertools
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from bench.stack import ROOT, Backend, harness

_update_ids = itertools.count(7_000_000)


def _message(chat_id: int, user_id: int) -> str:
    return json.dumps(
        {
            "update_id": next(_update_ids),
            "message": {
                "message_id": 1,
                "date": int(time.time()),
                "chat": {"id": chat_id, "type": "supergroup", "title": "Fans"},
                "from": {"id": user_id, "is_bot": False, "first_name": "Cold"},
                "text": "hello",
            },
        }
    )


def _child(env: dict[str, str], flags: list[str]) -> dict[str, Any]:
    started = time.perf_counter()
    proc = subprocess.run(  # noqa: S603 - our own interpreter and module
        [sys.executable, *flags, "-m", "bench.coldstart_child"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    wall = time.perf_counter() - started
    line = next((x for x in proc.stderr.splitlines() if x.startswith("BENCH-RESULT ")), None)
    if line is None:
        raise RuntimeError(f"cold-start child failed: {proc.stderr[-2000:]}")
    result: dict[str, Any] = json.loads(line.removeprefix("BENCH-RESULT "))
    result["process_wall_s"] = wall
    return result


def run(b: Backend, *, runs: int = 5) -> dict[str, Any]:
    with harness(b) as h:
        h.protect()
        member = h.user("Cold", in_group=True)
        h.subscribe(member)
        h.say(member, "verify me once")
        base = {
            **{k: v for k, v in os.environ.items() if not k.startswith(("NEZUKO_", "PYTHON"))},
            **b.env(h.server.url),
            "BENCH_BOT_ID": str(h.bot_id),
            "BENCH_SECRET": h.keyring.decrypt(h.bot_record.webhook_secret_ciphertext),
            "PYTHONPATH": str(ROOT),
        }
        out: dict[str, Any] = {}
        with tempfile.TemporaryDirectory() as warm, tempfile.TemporaryDirectory() as empty:
            modes = {
                # -B and an empty pycache prefix: nothing is read or written (a chalice package).
                "no_pyc": ({"PYTHONPYCACHEPREFIX": empty}, ["-B"]),
                # a prefix filled by a first run: every module has bytecode (a precompiled zip).
                "pyc": ({"PYTHONPYCACHEPREFIX": warm}, []),
            }
            env_pyc, _ = modes["pyc"]
            _child({**base, **env_pyc, "BENCH_UPDATES": _bodies(h, member)}, [])
            raw: dict[str, list[dict[str, Any]]] = {m: [] for m in modes}
            for _ in range(runs):  # interleaved: the machine's noise hits both alike
                for mode, (extra, flags) in modes.items():
                    env = {**base, **extra, "BENCH_UPDATES": _bodies(h, member)}
                    raw[mode].append(_child(env, flags))
            assert not any(Path(empty).iterdir()), "no-pyc runs wrote bytecode"
        for mode, results in raw.items():
            out[mode] = {
                key: round(statistics.median(r[key] for r in results), 3)
                for key in ("import_s", "first_request_s", "second_request_s", "process_wall_s")
            }
            out[mode]["import_plus_first_s"] = round(
                statistics.median(r["import_s"] + r["first_request_s"] for r in results), 3
            )
            out[mode]["statuses"] = sorted({s for r in results for s in r["statuses"]})
            out[mode]["log_bytes_warm_request"] = statistics.median(
                r["log_bytes"][1] for r in results
            )
            out[mode]["runs"] = len(results)
        out["ratio_import_plus_first_no_pyc_over_pyc"] = round(
            out["no_pyc"]["import_plus_first_s"] / out["pyc"]["import_plus_first_s"], 2
        )
        out["packaged_reference_import_s"] = {"no_pyc": 0.73, "pyc": 0.24, "from": "docs/deploy.md"}
        return out


def _bodies(h: Any, member: int) -> str:
    return json.dumps([_message(h.group, member), _message(h.group, member)])
