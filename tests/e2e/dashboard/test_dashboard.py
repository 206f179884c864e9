"""The dashboard in a real browser: Debian's Chromium driven by playwright-core (no browser
download) against the whole local stack with the Telegram sandbox.

The scenarios live in ``run.mjs`` (sign in by magic link, protect a group and watch it live,
join → mute in the feed, add a bot, an HTML-looking chat title shown as text, a setting that
takes effect, analytics, channels, events + CSV export, audit, remove with confirmation,
theme, phone width and keyboard, sign-out, no CSP violation). Screenshots of every page land
in ``tests/e2e/dashboard/artifacts/``.
"""

from __future__ import annotations

import json
import os
import random
import shutil
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

pytestmark = pytest.mark.e2e

ROOT = Path(__file__).resolve().parents[3]
HERE = Path(__file__).resolve().parent
CHROMIUM = Path(os.environ.get("CHROMIUM_PATH", "/usr/bin/chromium"))
BUILD_HINT = "run `npm --prefix dashboard ci && npm --prefix dashboard run build` (make setup does)"
READY_TIMEOUT = 120  # the first run on a machine fetches DynamoDB Local (57 MB)
RUN_TIMEOUT = 420


def _ports_free(base: int, count: int = 5) -> bool:
    for port in range(base, base + count):
        with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
            try:
                probe.bind(("127.0.0.1", port))
            except OSError:
                return False
    return True


def _port_base() -> int:
    for _ in range(50):
        base = random.randrange(20000, 40000, 10)
        if _ports_free(base):
            return base
    raise RuntimeError("no five consecutive free ports found")


@pytest.fixture
def stack(tmp_path: Path) -> Iterator[dict[str, object]]:
    """A fresh local stack on free ports; yields its ready.json."""
    data_dir = tmp_path / "stack"
    process = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "infra.local",
            "--fresh",
            "--quiet",
            "--port-base",
            str(_port_base()),
            "--data-dir",
            str(data_dir),
        ],
        cwd=ROOT,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    ready_path = data_dir / "run" / "ready.json"
    try:
        deadline = time.monotonic() + READY_TIMEOUT
        while not ready_path.exists():
            if process.poll() is not None:
                output = process.stdout.read() if process.stdout else ""
                pytest.fail(f"the local stack exited ({process.returncode}): {output[-2000:]}")
            if time.monotonic() > deadline:
                pytest.fail(f"the local stack was not ready in {READY_TIMEOUT}s")
            time.sleep(0.2)
        ready = json.loads(ready_path.read_text())
        ready["_path"] = str(ready_path)
        yield ready
    finally:
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout=10)
        log = data_dir / "logs" / "stack.log"
        artifacts = HERE / "artifacts"
        if log.exists() and artifacts.is_dir():
            shutil.copy(log, artifacts / "stack.log")


def test_operator_uses_every_page_of_the_dashboard_in_chromium(stack: dict[str, object]) -> None:
    # Given the built dashboard served by a fresh local stack, and Debian's Chromium
    if not CHROMIUM.exists():
        pytest.skip(f"{CHROMIUM} is missing: apt-get install -y chromium (CI's .ci/run does)")
    node = shutil.which("node")
    if node is None:
        pytest.skip("node is missing: apt-get install -y nodejs npm")
    if not (ROOT / "dashboard" / "dist" / "index.html").is_file():
        pytest.fail(f"dashboard/dist is missing: {BUILD_HINT}")
    if not (ROOT / "dashboard" / "node_modules" / "playwright-core").is_dir():
        pytest.fail(f"dashboard/node_modules is missing: {BUILD_HINT}")

    # When the scenarios run in the browser
    result = subprocess.run(
        [
            node,
            str(HERE / "run.mjs"),
            "--ready",
            str(stack["_path"]),
            "--artifacts",
            str(HERE / "artifacts"),
        ],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=RUN_TIMEOUT,
        env={**os.environ, "CHROMIUM_PATH": str(CHROMIUM)},
    )

    # Then every scenario passed
    report = result.stdout + result.stderr
    assert result.returncode == 0, report
    assert "FAIL" not in report, report
