"""Telegram failing in every way the sandbox can: nobody is muted by mistake, transient
failures are retried by redelivery, and what cannot be checked reaches the operator as events."""

from __future__ import annotations

import time

import pytest

from tests.reliability.conftest import all_events, mutes_of
from tests.support.harness import Harness

pytestmark = pytest.mark.integration


@pytest.mark.parametrize(
    ("error", "retry_after"),
    [
        ("429", 1),
        ("429", 120),
        ("500", 0),
        ("502", 0),
        ("timeout", 0),
        ("PARTICIPANT_ID_INVALID", 0),
        ("forbidden", 0),
    ],
)
def test_a_failed_membership_check_never_mutes_a_subscriber(
    h: Harness, error: str, retry_after: int
) -> None:
    # Given a subscriber, and Telegram failing the channel check
    h.protect()
    user = h.user("Sub")
    h.subscribe(user)
    h.sandbox.fail_next("getChatMember", error, retry_after=retry_after or 3, chat_id=h.channel)
    # When they join the group
    h.sandbox.join(h.group, user)
    h.sandbox.wait_idle(20)
    # Then they can write, and the outcome is on record for the operator
    assert h.can_write(user)
    assert mutes_of(h, user) == []
    kinds = [e.type for e in all_events(h, user_id=user)]
    if error == "429" and retry_after == 1:
        assert kinds == ["join_verified"]  # waited out inside the request
    else:
        assert kinds == ["membership_unknown"], kinds


@pytest.mark.parametrize("error", ["500", "502", "timeout", "429"])
def test_a_failed_mute_is_redelivered_and_applied_exactly_once(h: Harness, error: str) -> None:
    # Given a non-member, and the mute failing once transiently (a 429 beyond the budget)
    h.protect()
    user = h.user("Non")
    h.sandbox.fail_next("restrictChatMember", error, retry_after=60)
    # When they join
    h.sandbox.join(h.group, user)
    h.sandbox.wait_idle(20)
    # Then Telegram's redelivery muted them once, with one notice and one event
    assert not h.can_write(user)
    assert len(mutes_of(h, user)) == 1
    assert len(h.notices_for(user)) == 1
    assert [e.type for e in all_events(h, user_id=user)] == ["join_muted"]
    failed = [d for d in h.sandbox.deliveries(h.bot_id) if d["status"] == "failed"]
    assert failed and all("503" in d["error"] for d in failed)


def test_a_429_is_waited_out_before_the_same_call_is_repeated(h: Harness) -> None:
    # Given the notice hitting flood control for a second
    h.protect()
    user = h.user("Non")
    h.sandbox.fail_next("sendMessage", "429", retry_after=1)
    # When a non-member joins
    started = time.monotonic()
    h.sandbox.join(h.group, user)
    waited = time.monotonic() - started
    # Then the notice went out once, after the 429, and not before retry_after had passed
    # (a lower bound that sleeping guarantees; the sandbox's call log has whole seconds)
    calls = h.calls("sendMessage")
    limited = next(i for i, c in enumerate(calls) if c.get("error_code") == 429)
    assert [c["ok"] for c in calls[limited:]] == [False, True]
    assert waited >= 1.0
    assert len(h.notices_for(user)) == 1


def test_the_bot_kicked_from_the_channel_alerts_and_never_mutes(h: Harness) -> None:
    # Given a protected group whose channel then removes the bot
    h.protect()
    before = len(h.bot_messages())
    h.sandbox.kick(h.channel, h.bot_id)
    # When a subscriber and a non-subscriber join
    subscriber, other = h.user("Sub"), h.user("Other")
    h.subscribe(subscriber)
    h.sandbox.join(h.group, subscriber)
    h.sandbox.join(h.group, other)
    h.sandbox.wait_idle(20)
    # Then nobody is muted on an unknown answer, and the operator sees why
    assert h.can_write(subscriber) and h.can_write(other)
    assert mutes_of(h, subscriber) == [] and mutes_of(h, other) == []
    assert [e.type for e in all_events(h, "bot_rights_lost")] == ["bot_rights_lost"]
    assert len(all_events(h, "membership_unknown")) == 2
    warnings = [m for m in h.bot_messages()[before:] if "@news_channel" in m.get("text", "")]
    assert warnings, "the group's admins were told what to fix"
