"""Run ``python -m infra.local`` as a subprocess and wait for it, for the e2e tests."""

from __future__ import annotations

import json
import os
import random
import signal
import subprocess
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from infra.local.ports import port_is_free

ROOT = Path(__file__).resolve().parents[2]
PORT_COUNT = 5


def free_port_base(count: int = PORT_COUNT) -> int:
    """A base port whose ``count`` consecutive ports are all free right now."""
    for _ in range(200):
        base = random.randrange(20_000, 60_000 - count)
        if all(port_is_free(base + i) for i in range(count)):
            return base
    raise RuntimeError("no free consecutive ports")


def run_stack(
    *args: str, env: dict[str, str] | None = None, timeout: float = 60.0
) -> subprocess.CompletedProcess[str]:
    """Run the stack to completion (failure modes: it must exit by itself)."""
    return subprocess.run(
        [sys.executable, "-m", "infra.local", *args],
        cwd=ROOT,
        env={**os.environ, **(env or {})},
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )


@dataclass
class StackProcess:
    """A running stack: the process and what its ``ready.json`` says."""

    process: subprocess.Popen[str]
    data_dir: Path
    ready: dict[str, Any]

    @property
    def urls(self) -> dict[str, str]:
        return dict(self.ready["urls"])

    @property
    def demo(self) -> dict[str, Any]:
        return dict(self.ready["demo"])

    @classmethod
    def start(cls, data_dir: Path, *args: str, timeout: float = 60.0) -> StackProcess:
        """Start the stack and return once ``<data_dir>/run/ready.json`` names this process."""
        process = subprocess.Popen(
            [sys.executable, "-m", "infra.local", "--data-dir", str(data_dir), *args],
            cwd=ROOT,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        ready_path = data_dir / "run" / "ready.json"
        deadline = time.monotonic() + timeout
        while True:
            if process.poll() is not None:
                out, err = process.communicate()
                raise AssertionError(f"stack exited with {process.returncode}: {out}\n{err}")
            ready = _read_json(ready_path)
            if ready is not None and ready.get("pid") == process.pid:
                return cls(process, data_dir, ready)
            if time.monotonic() > deadline:
                process.kill()
                raise AssertionError(f"stack not ready after {timeout}s")
            time.sleep(0.05)

    def interrupt(self, timeout: float = 10.0) -> tuple[int, str, str]:
        """SIGINT, then the exit code and output (raises if it does not exit in time)."""
        self.process.send_signal(signal.SIGINT)
        out, err = self.process.communicate(timeout=timeout)
        return self.process.returncode, out, err

    def kill(self) -> None:
        """Last resort for a test that failed half-way: no process may outlive the tests."""
        if self.process.poll() is None:
            self.process.kill()
            self.process.wait()
        jvm = self.ready.get("jvm_pid")
        if jvm and pid_alive(int(jvm)):
            os.killpg(int(jvm), signal.SIGKILL)


def pid_alive(pid: int) -> bool:
    """Whether ``pid`` is a live (non-zombie) process."""
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except (OSError, IndexError):
        return False
    return state != "Z"


def processes_matching(predicate: Callable[[str], bool]) -> list[int]:
    """Pids of live processes whose command line satisfies ``predicate``."""
    found = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            cmdline = (entry / "cmdline").read_bytes().replace(b"\0", b" ").decode()
        except OSError:
            continue
        if predicate(cmdline) and pid_alive(int(entry.name)):
            found.append(int(entry.name))
    return found


def eventually(condition: Callable[[], Any], timeout: float = 5.0, interval: float = 0.05) -> Any:
    """Poll ``condition`` until it returns something truthy; fail after ``timeout``."""
    deadline = time.monotonic() + timeout
    while True:
        value = condition()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError("condition not met in time")
        time.sleep(interval)


def _read_json(path: Path) -> dict[str, Any] | None:
    try:
        data: dict[str, Any] = json.loads(path.read_text())
    except (OSError, ValueError):
        return None
    return data
