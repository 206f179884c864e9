"""A full scenario through app.py - operator API, webhook, live pipeline - logs no secret."""

from __future__ import annotations

import json
import logging
import secrets
import time
from collections.abc import Iterator

import httpx
import pytest
from websockets.sync.client import connect

from chalicelib.config import Settings
from tests.reliability.stack import ORIGIN, AppStack, app_stack
from tests.support.harness import GROUP_RIGHTS
from tests.support.logs import captured_logs

pytestmark = pytest.mark.integration
WAIT = 15.0  # a safety net, not a measurement


@pytest.fixture
def stack(ddb_settings: Settings) -> Iterator[AppStack]:
    with app_stack(ddb_settings) as s:
        yield s


def test_a_full_scenario_logs_no_token_secret_or_session(
    stack: AppStack, capfd: pytest.CaptureFixture[str], caplog: pytest.LogCaptureFixture
) -> None:
    from chalicelib import container

    caplog.set_level(logging.INFO)  # the configured level (NEZUKO_LOG_LEVEL=INFO)
    with captured_logs(logging.INFO) as stream:
        session, bot, bot_id, ticket, pages, live = _scenario(stack)
    # Then it all worked ...
    assert [p.status_code for p in pages if p.status_code != 200] == []
    assert all(m.get("event", {}).get("bot_id") == bot_id for m in live)
    # ... and no log line holds the bot token, its secret half, the webhook secret or a session
    record = container.stores().bots.get(bot_id)
    webhook_secret = container.keyring().decrypt(record.webhook_secret_ciphertext)
    out, err = capfd.readouterr()
    logs = stream.getvalue() + out + err + caplog.text
    logs += "".join(str(r.__dict__) for r in caplog.records)
    assert "decision" in logs  # the scan saw the app's own log lines
    for name, secret in {
        "token": bot["token"],
        "token secret": bot["token"].split(":", 1)[1],
        "webhook secret": webhook_secret,
        "session": session,
        "ticket": ticket,
    }.items():
        assert secret not in logs, f"the {name} reached the logs"


def _scenario(stack: AppStack) -> tuple[str, dict, int, str, list, list]:
    """Operator adds a bot, members come and go, the dashboard reads everything."""
    sb = stack.sandbox
    bot_id = 7 * 10**9 + secrets.randbelow(10**9)
    bot = sb.create_bot(
        username=f"shop{secrets.token_hex(3)}_bot",
        token=f"{bot_id}:{secrets.token_urlsafe(26)[:35]}",
    )
    session = stack.session()
    headers = {"Authorization": f"Bearer {session}", "Origin": ORIGIN}
    with httpx.Client(base_url=stack.rest.url, headers=headers, timeout=30) as api:
        # Given an operator who adds a bot by its token (the webhook points at app.py)
        added = api.post("/api/bots", json={"token": bot["token"]})
        assert added.status_code == 201, added.text
        admin = sb.create_user("Ada")["id"]
        group = sb.create_chat("supergroup", "Readers", creator_id=admin)["id"]
        channel = sb.create_chat("channel", "News", username=f"news{secrets.token_hex(3)}")["id"]
        sb.add_member(group, bot_id, "administrator", rights=GROUP_RIGHTS)
        sb.add_member(channel, bot_id, "administrator", rights={"can_invite_users": True})
        channel_name = sb.chat(channel)["username"]
        sb.send_message_as(group, admin, f"/protect @{channel_name}")
        # ... a live client
        ticket = api.post("/api/live/ticket").json()["ticket"]
        with connect(f"{stack.gateway.url}/?ticket={ticket}") as ws:
            ws.send(json.dumps({"action": "subscribe", "topic": f"bot:{bot_id}"}))
            assert json.loads(ws.recv(timeout=WAIT))["type"] == "subscriptions"
            # When members come and go, write, and press the button
            newcomer, subscriber = sb.create_user("New")["id"], sb.create_user("Sub")["id"]
            sb.add_member(channel, subscriber)
            sb.join(group, subscriber)
            sb.join(group, newcomer)
            sb.send_message_as(group, subscriber, "hello")
            notice = next(
                m
                for m in sb.messages(group)
                if f"nz:v:{newcomer}" in json.dumps(m.get("reply_markup"))
            )
            time.sleep(3.1)  # the button's cooldown: the app runs on the real clock
            sb.join(channel, newcomer)
            sb.press_button(group, notice["message_id"], newcomer, f"nz:v:{newcomer}")
            sb.wait_idle(WAIT)
            live = [json.loads(ws.recv(timeout=WAIT)) for _ in range(2)]
        # ... and the operator reads everything the dashboard shows
        pages = [
            api.get(path)
            for path in (
                "/api/me",
                "/api/bots",
                f"/api/bots/{bot_id}",
                "/api/groups",
                "/api/events",
                "/api/events/export",
                "/api/overview",
                "/api/audit",
            )
        ]
        api.post("/api/auth/logout")
    return session, bot, bot_id, ticket, pages, live
