"""The whole local stack as a user runs it: ``python -m infra.local`` in a subprocess, driven
only through public interfaces (HTTP, the websocket, the sandbox control API, signals)."""

from __future__ import annotations

import json
import socket
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from websockets.sync.client import connect

from .stack_process import (
    StackProcess,
    eventually,
    free_port_base,
    pid_alive,
    processes_matching,
    run_stack,
)

pytestmark = pytest.mark.e2e


@pytest.fixture(scope="module")
def stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[StackProcess]:
    """One stack for the module (in memory, its own ports and data directory)."""
    data_dir = tmp_path_factory.mktemp("stack")
    running = StackProcess.start(data_dir, "--fresh", "--port-base", str(free_port_base()))
    try:
        yield running
    finally:
        running.kill()


class Sandbox:
    """The sandbox control API, as the printed curl commands use it."""

    def __init__(self, url: str) -> None:
        self.http = httpx.Client(base_url=url, timeout=15)

    def post(self, action: str, **body: Any) -> Any:
        answer = self.http.post(f"/_sandbox/{action}", json=body).json()
        assert answer["ok"], answer
        return answer["result"]

    def get(self, action: str, **query: Any) -> Any:
        answer = self.http.get(f"/_sandbox/{action}", params=query).json()
        assert answer["ok"], answer
        return answer["result"]


class LiveFeed:
    """A websocket client collecting every message in a background thread."""

    def __init__(self, url: str) -> None:
        self._connection = connect(url, open_timeout=5)
        self.socket = self._connection.__enter__()
        self.messages: list[dict[str, Any]] = []
        self._thread = threading.Thread(target=self._read, daemon=True)
        self._thread.start()

    def _read(self) -> None:
        for raw in self.socket:
            self.messages.append(json.loads(raw))

    def close(self) -> None:
        self._connection.__exit__(None, None, None)
        self._thread.join(timeout=5)


def new_ticket_url(stack: StackProcess) -> str:
    answer = httpx.post(stack.urls["ticket"], timeout=10)
    assert answer.status_code == 200, answer.text
    return str(answer.json()["url"])


def test_the_health_route_answers_over_http(stack: StackProcess) -> None:
    # When a client asks the REST API for its health
    answer = httpx.get(stack.urls["health"], timeout=10)

    # Then the app's own route answers
    assert answer.status_code == 200
    assert answer.json() == {"status": "ok", "service": "nezuko"}


def test_the_dashboard_is_served_with_a_config_pointing_at_the_local_api(
    stack: StackProcess,
) -> None:
    config = httpx.get(f"{stack.urls['dashboard']}/config.json", timeout=10).json()
    index = httpx.get(stack.urls["dashboard"], timeout=10)

    assert config["apiUrl"] == stack.urls["rest"]
    assert config["websocketUrl"] == stack.urls["websocket"]
    assert config["stage"] == "local"
    assert index.status_code == 200 and "<html" in index.text.lower()


def test_a_websocket_client_with_a_ticket_connects_and_gets_a_pong(stack: StackProcess) -> None:
    # Given a ticket issued through the app's LiveConnections
    url = new_ticket_url(stack)

    # When a client connects with it and pings
    with connect(url, open_timeout=5) as socket_:
        socket_.send(json.dumps({"action": "ping"}))
        reply = json.loads(socket_.recv(timeout=5))

    # Then the app answers on the socket
    assert reply["type"] == "pong"


def test_a_websocket_client_without_a_ticket_is_refused(stack: StackProcess) -> None:
    from websockets.exceptions import InvalidStatus

    with pytest.raises(InvalidStatus):
        connect(stack.urls["websocket"], open_timeout=5)


def test_the_demo_scenario_mutes_ann_until_she_joins_the_channel(stack: StackProcess) -> None:
    demo = stack.demo
    sandbox = Sandbox(stack.urls["sandbox"])
    group, channel, ann, bot = demo["group_id"], demo["channel_id"], demo["ann_id"], demo["bot_id"]
    feed = LiveFeed(new_ticket_url(stack))
    try:
        # Given the admin protects the group with the channel
        sandbox.post(
            "send_message_as",
            chat_id=group,
            user_id=demo["operator_id"],
            text="/protect @nezuko_news",
        )
        bot_replies = [m for m in sandbox.get("messages", chat_id=group) if m["from"]["id"] == bot]
        assert bot_replies, "the bot answered /protect in the group"
        assert "nezuko_news" in bot_replies[-1]["text"].lower()

        # When Ann joins the group
        sandbox.post("join", chat_id=group, user_id=ann)

        # Then she is muted and a notice with buttons appears
        member = sandbox.get("member", chat_id=group, user_id=ann)
        assert member["status"] == "restricted"
        assert member["can_send_messages"] is False
        notices = [
            m
            for m in sandbox.get("messages", chat_id=group)
            if m["from"]["id"] == bot and m.get("reply_markup", {}).get("inline_keyboard")
        ]
        assert len(notices) == 1

        # And the live feed gets the join_muted event (stream pump → fan-out → websocket)
        def join_muted() -> list[dict[str, Any]]:
            return [
                m
                for m in feed.messages
                if m.get("kind") == "event" and m["event"]["type"] == "join_muted"
            ]

        event = eventually(join_muted, timeout=5)[0]["event"]
        assert (event["chat_id"], event["user_id"], event["bot_id"]) == (group, ann, bot)

        # When Ann joins the channel
        sandbox.post("join", chat_id=channel, user_id=ann)

        # Then she can write again and the notice is gone
        member = sandbox.get("member", chat_id=group, user_id=ann)
        assert member["status"] == "member" or member.get("can_send_messages") is True
        remaining = [m["message_id"] for m in sandbox.get("messages", chat_id=group)]
        assert notices[0]["message_id"] not in remaining
        sandbox.post("send_message_as", chat_id=group, user_id=ann, text="hello, I am in")
    finally:
        feed.close()


def test_sigint_stops_everything_and_exits_zero(stack: StackProcess) -> None:
    # Given the running stack and its DynamoDB Local JVM
    jvm = int(stack.ready["jvm_pid"])
    ddb_port = stack.ready["ports"]["dynamodb"]
    assert pid_alive(jvm)

    # When it gets SIGINT (Ctrl-C)
    started = time.monotonic()
    code, out, err = stack.interrupt(timeout=10)

    # Then it exits 0 within 10 s, leaving no JVM or other child behind
    assert code == 0, err
    assert time.monotonic() - started < 10
    assert "Traceback" not in out + err
    assert not pid_alive(jvm)
    assert processes_matching(lambda cmd: f"-port {ddb_port} " in cmd) == []
    assert not (stack.data_dir / "run" / "ready.json").exists()


def test_a_taken_port_fails_with_one_line_naming_the_fix(tmp_path: Path) -> None:
    base = free_port_base()
    with socket.socket() as squatter:
        squatter.bind(("127.0.0.1", base))
        squatter.listen()

        result = run_stack("--fresh", "--port-base", str(base), "--data-dir", str(tmp_path))

    assert result.returncode == 2
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    assert f"port {base}" in lines[0] and "NEZUKO_REST_PORT" in lines[0]
    assert "Traceback" not in result.stdout + result.stderr
    assert processes_matching(lambda cmd: f"-port {base + 2} " in cmd) == []


def test_missing_java_fails_with_one_line_naming_the_fix(tmp_path: Path) -> None:
    empty_bin = tmp_path / "bin"
    empty_bin.mkdir()

    result = run_stack(
        "--fresh",
        "--port-base",
        str(free_port_base()),
        "--data-dir",
        str(tmp_path / "data"),
        env={"PATH": str(empty_bin)},
    )

    assert result.returncode == 2
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and "Java" in lines[0] and "apt-get install" in lines[0]
    assert "Traceback" not in result.stdout + result.stderr


def test_missing_npm_without_a_cached_jar_fails_with_one_line_naming_the_fix(
    tmp_path: Path,
) -> None:
    java_only = tmp_path / "bin"
    java_only.mkdir()
    import shutil

    java = shutil.which("java")
    assert java is not None
    (java_only / "java").symlink_to(java)

    result = run_stack(
        "--fresh",
        "--port-base",
        str(free_port_base()),
        "--data-dir",
        str(tmp_path / "data"),
        env={"PATH": str(java_only), "NEZUKO_LOCAL_CACHE_DIR": str(tmp_path / "cache")},
    )

    assert result.returncode == 2
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and "npm" in lines[0] and "Node.js" in lines[0]
    assert "Traceback" not in result.stdout + result.stderr


def test_an_unusable_data_directory_fails_with_one_line_naming_the_fix(tmp_path: Path) -> None:
    not_a_dir = tmp_path / "file"
    not_a_dir.write_text("")

    result = run_stack("--fresh", "--data-dir", str(not_a_dir / "data"))

    assert result.returncode == 2
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and "NEZUKO_LOCAL_DIR" in lines[0]
    assert "Traceback" not in result.stdout + result.stderr
