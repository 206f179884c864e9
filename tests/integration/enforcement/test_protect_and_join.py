"""Protecting a group and what happens to members who join it."""

from __future__ import annotations

import pytest

from tests.support.harness import Harness

pytestmark = pytest.mark.integration


def test_admin_protects_the_group_with_one_command(h: Harness) -> None:
    # When the group's owner sends /protect with a channel
    reply = h.protect("@news_channel")
    # Then the bot confirms, naming the channel, and the group is stored with it
    assert "is protected" in reply and "@news_channel" in reply
    group = h.stores.groups.get(h.bot_id, h.group)
    assert [c.chat_id for c in group.required_channels] == [h.channel]
    assert h.stores.links.groups_for_channel(h.bot_id, h.channel) == [h.group]
    assert [e.type for e in h.events("group_protected")] == ["group_protected"]


def test_non_admin_cannot_protect(h: Harness) -> None:
    member = h.user("Bob", in_group=True)
    h.subscribe(member)
    h.say(member, "/protect @news_channel")
    assert "Only group admins" in h.last_bot_text()
    assert h.stores.groups.find(h.bot_id, h.group) is None


def test_protect_says_exactly_what_rights_are_missing(h: Harness) -> None:
    # Given a channel where the bot is not an admin, and a name that does not exist
    h.sandbox.create_chat("channel", "Other", username="other_channel")
    # When
    reply = h.protect("@other_channel", "@no_such_channel")
    # Then
    assert "make me an admin in @other_channel" in reply
    assert "cannot find the channel @no_such_channel" in reply
    assert h.stores.groups.find(h.bot_id, h.group) is None


def test_protect_rejects_malformed_arguments_with_usage(h: Harness) -> None:
    reply = h.protect("<script>")
    assert "Usage" in reply


def test_anonymous_admin_can_protect(h: Harness) -> None:
    # Given an anonymous admin (posts as the group itself)
    h.sandbox.send_message_as(h.group, h.admin, "/protect @news_channel", sender_chat_id=h.group)
    assert "is protected" in h.last_bot_text()


def test_newcomer_without_the_channel_is_muted_and_told_what_to_join(h: Harness) -> None:
    # Given a protected group
    h.protect()
    ann = h.user("Ann <b>")
    # When Ann joins the group without being in the channel
    h.sandbox.join(h.group, ann)
    # Then she is muted and gets one notice naming the channel with a join button
    assert not h.can_write(ann)
    (notice,) = h.notices_for(ann)
    assert "@news_channel" in notice["text"] and "Ann <b>" in notice["text"]
    buttons = [b for row in notice["reply_markup"]["inline_keyboard"] for b in row]
    assert buttons[0]["url"] == "https://t.me/news_channel"
    assert buttons[-1]["callback_data"] == f"nz:v:{ann}"
    assert [e.type for e in h.events("join_muted")] == ["join_muted"]


def test_newcomer_already_in_the_channel_can_write(h: Harness) -> None:
    h.protect()
    ann = h.user("Ann")
    h.subscribe(ann)
    h.sandbox.join(h.group, ann)
    assert h.can_write(ann)
    assert h.notices_for(ann) == []
    assert [e.type for e in h.events("join_verified")] == ["join_verified"]


def test_join_in_an_unprotected_group_is_left_alone(h: Harness) -> None:
    ann = h.user("Ann")
    h.sandbox.join(h.group, ann)
    assert h.can_write(ann)
    assert h.bot_messages() == []


def test_member_who_joins_the_channel_is_unmuted_without_pressing(h: Harness) -> None:
    # Given Ann was muted on joining
    h.protect()
    ann = h.user("Ann")
    h.sandbox.join(h.group, ann)
    assert not h.can_write(ann)
    # When she joins the channel
    h.sandbox.join(h.channel, ann)
    # Then she can write at once and the notice is gone
    assert h.can_write(ann)
    assert h.notices_for(ann) == []
    assert [e.type for e in h.events("unmuted_on_channel_join")] == ["unmuted_on_channel_join"]


def test_member_who_leaves_the_channel_is_restricted_again(h: Harness) -> None:
    # Given Ann, subscribed, writes in the protected group
    h.protect()
    ann = h.user("Ann", in_group=True)
    h.subscribe(ann)
    h.say(ann, "hello")
    assert h.can_write(ann)
    # When she leaves the channel
    h.sandbox.leave(h.channel, ann)
    # Then she is muted in the group and told what to rejoin
    assert not h.can_write(ann)
    assert len(h.notices_for(ann)) == 1
    assert [e.type for e in h.events("restricted_on_channel_leave")] == [
        "restricted_on_channel_leave"
    ]


def test_unmute_restores_what_the_group_allows_and_never_more(h: Harness) -> None:
    # Given a group whose default permissions forbid polls
    h.protect()
    h.sandbox.api_call(
        h.bot["token"],
        "setChatPermissions",
        {
            "chat_id": h.group,
            "permissions": {"can_send_messages": True, "can_send_polls": False},
            "use_independent_chat_permissions": True,
        },
    )
    ann = h.user("Ann")
    h.sandbox.join(h.group, ann)
    # When she is let in
    h.sandbox.join(h.channel, ann)
    # Then she may write but still not send polls
    member = h.status(ann)
    assert h.can_write(ann)
    assert not member.get("can_send_polls", False)


def test_unmute_keeps_every_right_the_group_gives_reactions_included(h: Harness) -> None:
    # Given a group whose members may send messages and react (a Bot API 10 permission)
    h.protect()
    h.sandbox.api_call(
        h.bot["token"],
        "setChatPermissions",
        {
            "chat_id": h.group,
            "permissions": {"can_send_messages": True, "can_react_to_messages": True},
            "use_independent_chat_permissions": True,
        },
    )
    ann = h.user("Ann")
    h.sandbox.join(h.group, ann)
    assert not h.status(ann).get("can_react_to_messages", False)  # muted: no reactions either
    # When she is let in
    h.sandbox.join(h.channel, ann)
    # Then she may react again
    member = h.status(ann)
    assert member["status"] == "member" or member.get("can_react_to_messages") is True
