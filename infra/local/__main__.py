"""``python -m infra.local``: the whole system on one machine, offline, on embedded defaults.

    python -m infra.local [--fresh] [--port-base N] [--no-sandbox] [--quiet] [--data-dir DIR]

The console gets a short summary (steps with timings, URLs, next steps); everything else — our
servers, the app's JSON logs, DynamoDB Local's JVM output — goes to ``.local/logs/stack.log``.
Once ready, ``.local/run/ready.json`` describes the running stack (tests wait for it). Ctrl-C or
SIGTERM stops everything in reverse order and exits 0. A start-up problem prints one line naming
the fix and exits 2, after stopping whatever had started.
"""

from __future__ import annotations

import argparse
import logging
import os
import signal
import sys
import threading
from pathlib import Path
from types import FrameType
from typing import TYPE_CHECKING, TextIO

from infra.local.errors import LocalStackError

if TYPE_CHECKING:
    from collections.abc import Callable

    from infra.local.stack import LocalStack

EXIT_OK = 0
EXIT_UNEXPECTED = 1
EXIT_SETUP = 2


class _Stop(BaseException):  # like KeyboardInterrupt: no "except Exception" swallows it
    """Raised in the main thread by SIGINT/SIGTERM."""


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    """The command line (see the module docstring)."""
    parser = argparse.ArgumentParser(
        prog="python -m infra.local",
        description="Run Nezuko locally: DynamoDB Local, the app, the dashboard and a Telegram "
        "sandbox, offline, with no AWS or Telegram account.",
    )
    parser.add_argument(
        "--fresh", action="store_true", help="in-memory database: start empty, keep nothing"
    )
    parser.add_argument(
        "--port-base",
        type=int,
        metavar="N",
        help="use ports N (REST), N+1 (websocket), N+2 (DynamoDB), N+3 (dashboard), "
        "N+4 (sandbox) instead of 8000/8001/8002/8080/8081",
    )
    parser.add_argument(
        "--no-sandbox",
        action="store_true",
        help="talk to the real Telegram (https://api.telegram.org) instead of the sandbox; "
        "no demo world",
    )
    parser.add_argument("--quiet", action="store_true", help="print only the ready line and errors")
    parser.add_argument(
        "--data-dir", type=Path, help="data directory (default .local/, or NEZUKO_LOCAL_DIR)"
    )
    return parser.parse_args(argv)


def _redirect_output(log_path: Path) -> tuple[TextIO, TextIO]:
    """Send fds 1 and 2 (and so every library's prints) to the log; return console streams."""
    sys.stdout.flush()
    sys.stderr.flush()
    console_out = os.fdopen(os.dup(1), "w", buffering=1)
    console_err = os.fdopen(os.dup(2), "w", buffering=1)
    fd = os.open(log_path, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o644)
    os.dup2(fd, 1)
    os.dup2(fd, 2)
    os.close(fd)
    sys.stdout.reconfigure(line_buffering=True)  # type: ignore[union-attr]
    sys.stderr.reconfigure(line_buffering=True)  # type: ignore[union-attr]
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(logging.INFO)
    for noisy in ("botocore", "boto3", "urllib3", "httpx", "httpcore", "websockets", "pynamodb"):
        logging.getLogger(noisy).setLevel(logging.WARNING)
    return console_out, console_err


def main(argv: list[str] | None = None) -> int:
    """Run the stack until SIGINT/SIGTERM; returns the process exit code."""
    args = parse_args(argv)
    from infra.local.settings import LocalSettings

    err: TextIO = sys.stderr
    try:
        settings = LocalSettings.build(
            fresh=args.fresh,
            port_base=args.port_base,
            sandbox=not args.no_sandbox,
            quiet=args.quiet,
            data_dir=args.data_dir,
        )
        settings.prepare_dirs()
    except LocalStackError as exc:
        print(f"error: {exc}", file=err)
        return EXIT_SETUP
    out, err = _redirect_output(settings.log_path)
    logging.getLogger(__name__).info("---- python -m infra.local %s", " ".join(sys.argv[1:]))

    def say(line: str = "") -> None:
        if not settings.quiet:
            print(line, file=out)

    stopping = threading.Event()

    def on_signal(signum: int, frame: FrameType | None) -> None:
        if stopping.is_set():
            return  # already shutting down: a second Ctrl-C must not abandon the JVM
        stopping.set()
        raise _Stop

    signal.signal(signal.SIGINT, on_signal)
    signal.signal(signal.SIGTERM, on_signal)

    from infra.local.stack import LocalStack

    say(f"Starting Nezuko locally (data: {settings.data_dir}, log: {settings.log_path})")
    stack = LocalStack(settings, progress=say)
    try:
        try:
            state = stack.start()
        except LocalStackError as exc:
            logging.getLogger(__name__).error("start-up failed: %s", exc)
            print(f"error: {exc}", file=err)
            return EXIT_SETUP
        except _Stop:
            say("interrupted during start-up: stopped")
            return EXIT_OK
        except Exception as exc:
            logging.getLogger(__name__).exception("start-up failed")
            print(
                f"error: start-up failed ({type(exc).__name__}: {exc}); "
                f"details in {settings.log_path}",
                file=err,
            )
            return EXIT_UNEXPECTED
        _print_banner(say, stack)
        print(f"READY in {state.total_seconds:.2f}s: {state.urls.get('rest')}", file=out)
        try:
            while not stopping.wait(3600):
                pass
        except _Stop:
            pass
        say("stopping…")
        return EXIT_OK
    finally:
        stopping.set()
        stack.stop()
        logging.getLogger(__name__).info("---- stopped")
        if stack.state.urls:
            say("stopped")


def _print_banner(say: Callable[[str], None], stack: LocalStack) -> None:
    from infra.local.demo import scenario

    s, state = stack.settings, stack.state
    say(f"Nezuko is running (stage local, total {state.total_seconds:.2f}s to ready)")
    labels = {
        "rest": "REST API",
        "health": "health",
        "websocket": "websocket",
        "ticket": "ws ticket",
        "dashboard": "dashboard",
        "sandbox": "Telegram sandbox",
        "dynamodb": "DynamoDB",
    }
    for key, label in labels.items():
        if key in state.urls:
            suffix = " (POST, local only)" if key == "ticket" else ""
            suffix = " (control API: /_sandbox/state)" if key == "sandbox" else suffix
            say(f"  {label:<17}{state.urls[key]}{suffix}")
    say(f"  {'logs':<17}{s.log_path}")
    if stack.world is not None:
        say("")
        say(
            f"Demo: bot @{stack.world.bot_username} ({stack.world.bot_id}) in "
            f"'Nezuko Demo Group' ({stack.world.group_id}), channel @nezuko_news "
            f"({stack.world.channel_id}), admin {stack.world.operator_id}, Ann "
            f"{stack.world.ann_id}  ({s.demo_path})"
        )
        say("Try the scenario from another terminal:")
        for line in scenario(stack.world, s.sandbox_url, s.rest_url):
            say(f"  {line}")
    else:
        say("")
        say("Real Telegram mode: register a bot with a real token; without a public URL the")
        say("webhook cannot reach this machine (the polling bridge is not built yet).")
    say("")
    say("Ctrl-C stops everything.")


if __name__ == "__main__":
    sys.exit(main())
