"""The control API drives a scenario over HTTP, as the README's curl walkthrough does."""

from __future__ import annotations

import subprocess
import sys
import time
from typing import Any

import httpx

from infra.local.sandbox import SandboxServer


def _post(client: httpx.Client, base: str, action: str, **body: Any) -> Any:
    response = client.post(f"{base}/_sandbox/{action}", json=body)
    assert response.status_code == 200, response.text
    return response.json()["result"]


def test_the_readme_walkthrough_runs_over_http(server: SandboxServer) -> None:
    base = server.url
    with httpx.Client(timeout=5.0) as client:
        # Given a bot, a group, a channel and a user created over the control API
        bot = _post(client, base, "create_bot", username="nezuko_local_bot")
        group = _post(client, base, "create_chat", type="supergroup", title="Readers")
        channel = _post(client, base, "create_chat", type="channel", title="News", username="news")
        ann = _post(client, base, "create_user", first_name="Ann", username="ann")
        _post(
            client,
            base,
            "add_member",
            chat_id=group["id"],
            user_id=bot["id"],
            status="administrator",
            rights={"can_restrict_members": True},
        )
        # When the user joins and posts
        _post(client, base, "join", chat_id=group["id"], user_id=ann["id"])
        _post(client, base, "send_message_as", chat_id=group["id"], user_id=ann["id"], text="hi")
        messages = client.get(f"{base}/_sandbox/messages", params={"chat_id": group["id"]})
        state = client.get(f"{base}/_sandbox/state").json()["result"]
        refused = client.post(
            f"{base}/_sandbox/send_message_as",
            json={"chat_id": channel["id"], "user_id": ann["id"], "text": "x"},
        )
        updates = client.get(f"{base}/bot{bot['token']}/getUpdates").json()["result"]
    # Then
    assert [m.get("text") for m in messages.json()["result"]] == [None, "hi"]
    assert {c["id"] for c in state["chats"]} == {group["id"], channel["id"]}
    assert refused.status_code == 400 and "can't post" in refused.json()["error"]
    assert [("new_chat_members" in u["message"], u["message"].get("text")) for u in updates] == [
        (True, None),
        (False, "hi"),
    ]


def test_the_module_runs_as_a_process_and_stops_on_sigterm() -> None:
    # Given
    process = subprocess.Popen(
        [sys.executable, "-m", "infra.local.sandbox", "--port", "0", "--bot", "cli_bot"],
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert process.stdout is not None
        bot_line = process.stdout.readline()
        url = process.stdout.readline().strip().rsplit(" ", 1)[-1]
        token = bot_line.strip().rsplit("token=", 1)[-1]
        # When
        me = httpx.get(f"{url}/bot{token}/getMe", timeout=5.0).json()
        process.terminate()
        deadline = time.monotonic() + 5
        while process.poll() is None and time.monotonic() < deadline:
            time.sleep(0.05)
        # Then
        assert me["result"]["username"] == "cli_bot"
        assert process.returncode == 0
    finally:
        if process.poll() is None:
            process.kill()
