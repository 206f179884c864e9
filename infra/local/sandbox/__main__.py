"""Run the sandbox: `python -m infra.local.sandbox --host 127.0.0.1 --port 8081`."""

from __future__ import annotations

import argparse
import signal
import threading
from types import FrameType

from infra.local.sandbox.sandbox import Sandbox
from infra.local.sandbox.server import SandboxServer


def _parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description="Telegram Bot API sandbox")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8081)
    parser.add_argument(
        "--retry-delays",
        default="1,2,4,8,16,32",
        help="seconds between webhook retries, comma-separated (attempts = count + 1)",
    )
    parser.add_argument(
        "--bot",
        action="append",
        default=[],
        metavar="USERNAME[=TOKEN]",
        help="create a bot at start (repeatable); prints its token",
    )
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> None:
    args = _parse_args(argv)
    delays = tuple(float(d) for d in args.retry_delays.split(",") if d.strip())
    sandbox = Sandbox(retry_delays=delays)
    for spec in args.bot:
        username, _, token = spec.partition("=")
        bot = sandbox.create_bot(username, username, token=token or None)
        print(f"bot @{username} id={bot['id']} token={bot['token']}", flush=True)
    server = SandboxServer(sandbox, host=args.host, port=args.port)
    stop = threading.Event()

    def _on_signal(signum: int, frame: FrameType | None) -> None:
        stop.set()

    signal.signal(signal.SIGINT, _on_signal)
    signal.signal(signal.SIGTERM, _on_signal)
    server.start()
    print(f"Telegram sandbox listening on {server.url}", flush=True)
    stop.wait()
    server.stop()
    print("Telegram sandbox stopped", flush=True)


if __name__ == "__main__":
    main()
