"""At-least-once delivery: every update twice (in turn and at once) acts once; concurrent
updates about one user end in one state that the ledger, Telegram and the events agree on."""

from __future__ import annotations

import json
import threading
import time
from typing import Any

import pytest

from tests.reliability.conftest import all_events, mutes_of, point_webhook, unmutes_of
from tests.support.harness import Harness
from tests.support.redeliver import DoublingProxy

pytestmark = pytest.mark.integration

VERIFY = "nz:v:{}"


def _notices_sent(h: Harness, user_id: int) -> list[dict[str, Any]]:
    return [
        c
        for c in h.calls("sendMessage")
        if c["ok"] and VERIFY.format(user_id) in json.dumps(c["params"].get("reply_markup"))
    ]


def _one_of_each(h: Harness) -> dict[str, int]:
    """A joiner, a writer, a button presser and a channel joiner (all non-members at first)."""
    sb = h.sandbox
    joiner, presser, channel_joiner = (h.user(n) for n in ("Jo", "Pat", "Chan"))
    writer = h.user("Wri", in_group=True)
    for user in (joiner, presser, channel_joiner):
        sb.join(h.group, user)
    h.say(writer, "hello?")
    h.clock.advance(4)  # past the button's cooldown
    notice = h.notices_for(presser)[-1]
    h.subscribe(presser)
    sb.press_button(h.group, notice["message_id"], presser, VERIFY.format(presser))
    sb.join(h.channel, channel_joiner)
    sb.wait_idle(20)
    return {"joiner": joiner, "writer": writer, "presser": presser, "channel": channel_joiner}


@pytest.mark.parametrize("concurrent", [False, True], ids=["in_turn", "at_once"])
def test_every_update_delivered_twice_acts_once(h: Harness, concurrent: bool) -> None:
    # Given Telegram delivers every update twice
    h.protect()
    proxy = DoublingProxy(h.webhook.url, concurrent=concurrent)
    point_webhook(h, proxy.url)
    try:
        # When the four flows run
        users = _one_of_each(h)
    finally:
        proxy.close()
    # Then each effect happened once
    assert len(proxy.statuses) >= 2 * 8 and not [s for s in proxy.statuses if s >= 500 and s != 503]
    for user in users.values():
        assert len(mutes_of(h, user)) == 1, user
        assert len(_notices_sent(h, user)) == 1, user
    for name in ("presser", "channel"):
        assert len(unmutes_of(h, users[name])) == 1
        assert h.can_write(users[name])
    assert not h.can_write(users["joiner"]) and not h.can_write(users["writer"])
    by_type: dict[tuple[str, int | None], int] = {}
    for event in all_events(h):
        by_type[(event.type, event.user_id)] = by_type.get((event.type, event.user_id), 0) + 1
    assert by_type[("join_muted", users["joiner"])] == 1
    assert by_type[("message_blocked", users["writer"])] == 1
    assert by_type[("verified", users["presser"])] == 1
    assert by_type[("unmuted_on_channel_join", users["channel"])] == 1
    assert max(by_type.values()) == 1, by_type


def _chat_member(h: Harness, chat: dict[str, Any], user: dict[str, Any], update_id: int) -> bytes:
    now = int(time.time())
    return json.dumps(
        {
            "update_id": update_id,
            "chat_member": {
                "chat": chat,
                "from": user,
                "date": now,
                "old_chat_member": {"status": "left", "user": user},
                "new_chat_member": {"status": "member", "user": user},
            },
        }
    ).encode()


def _message(h: Harness, user: dict[str, Any], update_id: int) -> bytes:
    return json.dumps(
        {
            "update_id": update_id,
            "message": {
                "message_id": 10**6 + update_id % 10**6,
                "date": int(time.time()),
                "chat": {"id": h.group, "type": "supergroup", "title": "Fans"},
                "from": user,
                "text": "me too",
            },
        }
    ).encode()


def _fire_at_once(h: Harness, bodies: list[bytes]) -> list[int]:
    secret = h.keyring.decrypt(h.bot_record.webhook_secret_ciphertext)
    headers = {"X-Telegram-Bot-Api-Secret-Token": secret}
    barrier = threading.Barrier(len(bodies))
    statuses: list[int] = []

    def go(body: bytes) -> None:
        barrier.wait()
        # As Telegram does: a 503 is delivered again (a few times, briefly apart).
        for attempt in range(10):
            status = h.handler.handle(str(h.bot_id), headers, body).status
            if status != 503:
                break
            time.sleep(0.05 * (attempt + 1))
        statuses.append(status)

    threads = [threading.Thread(target=go, args=(b,)) for b in bodies]
    for t in threads:
        t.start()
    for t in threads:
        t.join(30)
    return statuses


def _race(h: Harness, name: str, *, subscribed: bool, base: int) -> int:
    """One user in the group; a message, the group join and the channel join all at once."""
    group_chat = {"id": h.group, "type": "supergroup", "title": "Fans"}
    channel_chat = {"id": h.channel, "type": "channel", "title": "News", "username": "news_channel"}
    user_id = h.user(name, in_group=True)
    if subscribed:
        h.subscribe(user_id)
    user = {"id": user_id, "is_bot": False, "first_name": name}
    statuses = _fire_at_once(
        h,
        [
            _message(h, user, base + 1),
            _chat_member(h, group_chat, user, base + 2),
            _chat_member(h, channel_chat, user, base + 3),
        ],
    )
    h.sandbox.wait_idle(20)
    assert statuses == [200, 200, 200], statuses
    return user_id


@pytest.mark.parametrize("subscribed", [True, False], ids=["subscribed", "not_subscribed"])
def test_a_message_a_join_and_a_channel_join_at_once_end_in_one_consistent_state(
    h: Harness, subscribed: bool
) -> None:
    # Given a user who is in the group (and, or not, in the channel) on Telegram's side
    h.protect()
    for round_ in range(4):
        # When a message, the join and the channel join arrive at the same moment
        user_id = _race(h, f"Racer{round_}", subscribed=subscribed, base=50_000_000 + round_ * 10)
        # Then ledger, Telegram and events tell one story
        ledger = h.stores.members.find(h.bot_id, h.group, user_id)
        muted_on_telegram = not h.can_write(user_id)
        assert (ledger is not None and ledger.muted) == muted_on_telegram, round_
        assert muted_on_telegram is (not subscribed), round_
        assert len(h.notices_for(user_id)) == (0 if subscribed else 1)
        kinds = [e.type for e in all_events(h, user_id=user_id)]
        decisions = sorted(k for k in kinds if k in ("join_muted", "message_blocked"))
        # Every update is handled once (503s are redelivered): one decision each.
        assert decisions == ([] if subscribed else ["join_muted", "message_blocked"]), kinds


def test_racing_updates_about_one_non_member_restrict_and_notify_once(h: Harness) -> None:
    # Given a protected group
    h.protect()
    # When a non-member's message and join arrive at once
    user_id = _race(h, "Racer", subscribed=False, base=51_000_000)
    # Then Telegram saw one mute and one notice
    assert len(mutes_of(h, user_id)) == 1
    assert len(_notices_sent(h, user_id)) == 1
