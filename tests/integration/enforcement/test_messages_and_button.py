"""Messages from non-members, the "I have joined" button, exemptions and clean-up."""

from __future__ import annotations

import pytest

from tests.support.harness import Harness

pytestmark = pytest.mark.integration


@pytest.fixture
def protected(h: Harness) -> Harness:
    h.protect()
    return h


@pytest.mark.parametrize("kind", ["text", "photo", "sticker", "voice", "document", "video"])
def test_any_message_from_a_non_member_is_deleted_and_the_sender_muted(
    protected: Harness, kind: str
) -> None:
    h = protected
    # Given Bob, in the group since before protection, not in the channel
    bob = h.user("Bob", in_group=True)
    # When he posts something
    message = h.sandbox.send_message_as(h.group, bob, "hi" if kind == "text" else None, kind=kind)
    # Then the message is gone, Bob is muted, and one notice tells him what to join
    visible = [m["message_id"] for m in h.sandbox.messages(h.group)]
    assert message["message_id"] not in visible
    assert not h.can_write(bob)
    assert len(h.notices_for(bob)) == 1
    (event,) = h.events("message_blocked")
    assert event.detail["kind"] == kind and event.user_id == bob


def test_a_burst_of_messages_gives_one_notice(protected: Harness) -> None:
    h = protected
    bob = h.user("Bob", in_group=True)
    # Given three messages sent before Telegram applied the mute (delivered one by one)
    for text in ("one", "two", "three"):
        h.sandbox.send_message_as(h.group, bob, text, wait=False)
        # The sandbox refuses posts once Bob is muted; send the rest before that lands.
    h.sandbox.wait_idle(10)
    assert len(h.notices_for(bob)) == 1
    assert h.calls("restrictChatMember")  # muted once at least
    assert len([c for c in h.calls("restrictChatMember") if c["ok"]]) == 1


def test_a_subscribed_member_writes_freely_and_is_checked_once(protected: Harness) -> None:
    h = protected
    ann = h.user("Ann", in_group=True)
    h.subscribe(ann)
    for text in ("a", "b", "c"):
        h.say(ann, text)
    assert h.can_write(ann)
    assert [m["text"] for m in h.sandbox.messages(h.group)][-3:] == ["a", "b", "c"]
    member_checks = [c for c in h.calls("getChatMember") if c["params"].get("user_id") == ann]
    assert len(member_checks) == 1


def test_the_button_lets_in_a_member_who_has_joined(protected: Harness) -> None:
    h = protected
    ann = h.user("Ann")
    h.sandbox.join(h.group, ann)
    (notice,) = h.notices_for(ann)
    # Given Ann joined the channel without Telegram telling us (no update)
    h.subscribe(ann)
    h.clock.advance(5)
    # When she presses the button
    query = h.sandbox.press_button(h.group, notice["message_id"], ann, f"nz:v:{ann}")
    # Then she can write, the notice is gone and the query was answered
    assert h.can_write(ann)
    assert h.notices_for(ann) == []
    (answer,) = h.sandbox.callback_answers(query)
    assert "You can write now" in answer["text"]
    assert [e.type for e in h.events("verified")] == ["verified"]


def test_the_button_lists_what_is_still_missing(protected: Harness) -> None:
    h = protected
    ann = h.user("Ann")
    h.sandbox.join(h.group, ann)
    (notice,) = h.notices_for(ann)
    h.clock.advance(5)
    query = h.sandbox.press_button(h.group, notice["message_id"], ann, f"nz:v:{ann}")
    (answer,) = h.sandbox.callback_answers(query)
    assert answer["show_alert"] is True and "News" in answer["text"]
    assert not h.can_write(ann)


def test_someone_else_pressing_the_button_gets_an_alert_and_nothing_else(
    protected: Harness,
) -> None:
    h = protected
    ann = h.user("Ann")
    h.sandbox.join(h.group, ann)
    (notice,) = h.notices_for(ann)
    carl = h.user("Carl", in_group=True)
    h.subscribe(carl)
    h.subscribe(ann)
    query = h.sandbox.press_button(h.group, notice["message_id"], carl, f"nz:v:{ann}")
    (answer,) = h.sandbox.callback_answers(query)
    assert answer["show_alert"] is True and "This button is for Ann" in answer["text"]
    assert not h.can_write(ann)  # Carl's press changed nothing for Ann
    assert len(h.notices_for(ann)) == 1


def test_presses_are_throttled_but_always_answered(protected: Harness) -> None:
    h = protected
    ann = h.user("Ann")
    h.sandbox.join(h.group, ann)
    (notice,) = h.notices_for(ann)
    h.clock.advance(5)
    first = h.sandbox.press_button(h.group, notice["message_id"], ann, f"nz:v:{ann}")
    second = h.sandbox.press_button(h.group, notice["message_id"], ann, f"nz:v:{ann}")
    assert len(h.sandbox.callback_answers(first)) == 1
    (answer,) = h.sandbox.callback_answers(second)
    assert "moment" in answer["text"]
    checks = [c for c in h.calls("getChatMember") if c["params"].get("user_id") == ann]
    assert len(checks) == 2  # the join and the first press; the throttled press asked nothing


def test_a_press_on_a_notice_of_an_unprotected_group_is_answered(protected: Harness) -> None:
    h = protected
    ann = h.user("Ann")
    h.sandbox.join(h.group, ann)
    (notice,) = h.notices_for(ann)
    # Given protection was switched off by another path (the dashboard) after the notice
    group = h.stores.groups.get(h.bot_id, h.group)
    group.enabled = False
    h.stores.groups.save(group)
    h.gate.forget_group(h.bot_id, h.group)
    # When Ann presses
    query = h.sandbox.press_button(h.group, notice["message_id"], ann, f"nz:v:{ann}")
    # Then she gets an answer saying the notice is no longer valid
    (answer,) = h.sandbox.callback_answers(query)
    assert "no longer valid" in answer["text"]


@pytest.mark.parametrize("who", ["admin", "anonymous_admin", "automatic_forward", "bot"])
def test_exempt_senders_are_never_checked(protected: Harness, who: str) -> None:
    h = protected
    if who == "admin":
        h.say(h.admin, "admin speaking")
    elif who == "anonymous_admin":
        h.sandbox.send_message_as(h.group, h.admin, "anon", sender_chat_id=h.group)
    elif who == "automatic_forward":
        h.sandbox.link_chats(h.channel, h.group)
        h.sandbox.send_message_as(
            h.group, 777000, "post", is_automatic_forward=True, sender_chat_id=h.channel
        )
    else:
        other = h.sandbox.create_user("Helper", is_bot=True)["id"]
        h.sandbox.add_member(h.group, other)
        h.sandbox.send_message_as(h.group, other, "beep")
    assert h.events("message_blocked") == []
    assert not any(c["method"] == "restrictChatMember" for c in h.calls())


def test_unsubscribed_admin_is_not_muted(protected: Harness) -> None:
    h = protected
    mod = h.user("Mod", in_group=True)
    h.sandbox.promote(h.group, mod, can_delete_messages=True)
    h.say(mod, "I moderate")
    assert h.can_write(mod)
    assert h.events("message_blocked") == []


def test_unknown_membership_never_mutes(protected: Harness) -> None:
    h = protected
    bob = h.user("Bob", in_group=True)
    h.sandbox.fail_next("getChatMember", "PARTICIPANT_ID_INVALID")
    h.say(bob, "hello")
    assert h.can_write(bob)
    (event,) = h.events("membership_unknown")
    assert event.reason == "policy_allow"
    assert event.detail["telegram_errors"] == ["getChatMember"]  # counted in analytics


def test_bot_kicked_from_the_channel_makes_membership_unknown_not_a_mute(
    protected: Harness,
) -> None:
    h = protected
    bob = h.user("Bob", in_group=True)
    h.sandbox.kick(h.channel, h.bot_id)
    h.say(bob, "hello")
    assert h.can_write(bob)
    assert [e.type for e in h.events("membership_unknown")] == ["membership_unknown"]


def test_unprotect_stops_enforcement_and_lifts_our_mutes(protected: Harness) -> None:
    h = protected
    ann = h.user("Ann")
    h.sandbox.join(h.group, ann)
    assert not h.can_write(ann)
    h.say(h.admin, "/unprotect")
    assert "lifted 1 mute" in h.last_bot_text()
    assert h.can_write(ann)
    bob = h.user("Bob", in_group=True)
    h.say(bob, "free now")
    assert h.can_write(bob)


def test_status_reports_channels_and_muted_count(protected: Harness) -> None:
    h = protected
    h.sandbox.join(h.group, h.user("Ann"))
    h.say(h.admin, "/status")
    text = h.last_bot_text()
    assert "on" in text and "@news_channel" in text and "Muted by me now: 1" in text


def test_notices_and_command_replies_are_deleted_after_their_ttl(protected: Harness) -> None:
    h = protected
    ann = h.user("Ann")
    h.sandbox.join(h.group, ann)
    assert len(h.notices_for(ann)) == 1
    assert h.janitor()["done"] == 0  # nothing due yet
    h.clock.advance(61)
    result = h.janitor()
    assert result["done"] >= 3  # the /protect command, its reply, and the notice
    assert h.bot_messages() == []


def test_notice_goes_to_the_topic_of_the_message(h: Harness) -> None:
    forum = h.sandbox.create_chat("supergroup", "Forum", is_forum=True, creator_id=h.admin)["id"]
    h.sandbox.add_member(
        forum,
        h.bot_id,
        "administrator",
        rights={"can_restrict_members": True, "can_delete_messages": True},
    )
    topic = h.sandbox.create_topic(forum, "Chat")
    h.sandbox.send_message_as(forum, h.admin, "/protect @news_channel", message_thread_id=topic)
    bob = h.user("Bob")
    h.sandbox.add_member(forum, bob)
    h.sandbox.send_message_as(forum, bob, "hi", message_thread_id=topic)
    notices = [
        m
        for m in h.sandbox.messages(forum, thread_id=topic)
        if f"nz:v:{bob}" in str(m.get("reply_markup"))
    ]
    assert len(notices) == 1
    assert notices[0]["message_thread_id"] == topic
