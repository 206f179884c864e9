"""Restrictions, bans and member lists follow Telegram's rules."""

from __future__ import annotations

import pytest

from infra.local.sandbox import Sandbox, SandboxError
from tests.integration.sandbox.conftest import FakeClock, World

MUTED = {"can_send_messages": False}


def test_restricting_needs_the_can_restrict_members_right(world: World) -> None:
    # Given a bot that is an admin without restrict rights
    world.sb.add_member(
        world.group["id"], world.bot["id"], "administrator", rights={"can_delete_messages": True}
    )
    # When
    status, body = world.api.error(
        "restrictChatMember", chat_id=world.group["id"], user_id=world.ann["id"], permissions=MUTED
    )
    # Then
    assert (status, body["description"]) == (
        400,
        "Bad Request: not enough rights to restrict/unrestrict chat member",
    )
    assert world.sb.member(world.group["id"], world.ann["id"])["status"] == "member"


def test_an_administrator_cannot_be_restricted(world: World) -> None:
    # Given
    world.sb.add_member(world.group["id"], world.ann["id"], "administrator")
    # When
    status, body = world.api.error(
        "restrictChatMember", chat_id=world.group["id"], user_id=world.ann["id"], permissions=MUTED
    )
    # Then
    assert (status, body["description"]) == (
        400,
        "Bad Request: user is an administrator of the chat",
    )


@pytest.mark.parametrize(
    ("seconds_ahead", "expected_until"),
    [(10, 0), (29, 0), (3600, "now+3600"), (367 * 86400, 0)],
)
def test_until_date_under_30_seconds_or_over_366_days_means_forever(
    world: World, clock: FakeClock, seconds_ahead: int, expected_until: object
) -> None:
    # When
    until = int(clock()) + seconds_ahead
    world.api.ok(
        "restrictChatMember",
        chat_id=world.group["id"],
        user_id=world.ann["id"],
        permissions=MUTED,
        until_date=until,
    )
    # Then
    expected = until if expected_until == "now+3600" else 0
    assert world.sb.member(world.group["id"], world.ann["id"])["until_date"] == expected


def test_a_restriction_lifts_itself_when_the_clock_passes_until_date(
    world: World, clock: FakeClock
) -> None:
    # Given a one-hour mute
    group, ann = world.group["id"], world.ann["id"]
    world.api.ok(
        "restrictChatMember",
        chat_id=group,
        user_id=ann,
        permissions=MUTED,
        until_date=int(clock()) + 3600,
    )
    with pytest.raises(SandboxError):
        world.sb.send_message_as(group, ann, "let me talk")
    # When
    clock.advance(3601)
    # Then
    assert world.api.ok("getChatMember", chat_id=group, user_id=ann)["status"] == "member"
    assert world.sb.send_message_as(group, ann, "free again")["text"] == "free again"


def test_restricting_to_the_default_permissions_makes_a_plain_member(world: World) -> None:
    # Given a muted member
    group, ann = world.group["id"], world.ann["id"]
    world.api.ok("restrictChatMember", chat_id=group, user_id=ann, permissions=MUTED)
    defaults = world.api.ok("getChat", chat_id=group)["permissions"]
    # When the bot lifts the mute with the chat's default permissions
    world.api.ok("restrictChatMember", chat_id=group, user_id=ann, permissions=defaults)
    # Then
    assert world.sb.member(group, ann)["status"] == "member"


def test_dependent_permissions_are_implied_unless_independent(world: World) -> None:
    # When
    group, ann = world.group["id"], world.ann["id"]
    bob = world.sb.create_user("Bob")["id"]
    world.sb.add_member(group, bob)
    world.api.ok(
        "restrictChatMember", chat_id=group, user_id=ann, permissions={"can_send_polls": True}
    )
    world.api.ok(
        "restrictChatMember",
        chat_id=group,
        user_id=bob,
        permissions={"can_send_polls": True},
        use_independent_chat_permissions=True,
    )
    # Then
    assert world.sb.member(group, ann)["can_send_messages"] is True
    assert world.sb.member(group, bob)["can_send_messages"] is False


def test_a_restricted_user_cannot_post_but_the_refusal_is_per_kind(world: World) -> None:
    # Given a user who may write text but not send stickers
    group, ann = world.group["id"], world.ann["id"]
    world.api.ok(
        "restrictChatMember",
        chat_id=group,
        user_id=ann,
        permissions={"can_send_messages": True},
        use_independent_chat_permissions=True,
    )
    # When / Then
    assert world.sb.send_message_as(group, ann, "text is fine")["text"] == "text is fine"
    with pytest.raises(SandboxError, match="can_send_other_messages"):
        world.sb.send_message_as(group, ann, kind="sticker")


def test_restricting_a_user_outside_the_supergroup_records_a_non_member_restriction(
    world: World,
) -> None:
    # Given a user who never joined
    stranger = world.sb.create_user("Stranger")["id"]
    # When
    world.api.ok(
        "restrictChatMember", chat_id=world.group["id"], user_id=stranger, permissions=MUTED
    )
    # Then
    member = world.sb.member(world.group["id"], stranger)
    assert (member["status"], member["is_member"]) == ("restricted", False)
    assert (
        world.sb.member(world.group["id"], world.sb.create_user("Nobody")["id"])["status"] == "left"
    )


def test_a_restriction_survives_leaving_and_rejoining(world: World) -> None:
    # Given
    group, ann = world.group["id"], world.ann["id"]
    world.api.ok("restrictChatMember", chat_id=group, user_id=ann, permissions=MUTED)
    # When
    world.sb.leave(group, ann)
    world.sb.join(group, ann)
    # Then
    member = world.sb.member(group, ann)
    assert (member["status"], member["is_member"]) == ("restricted", True)


def test_channel_member_list_needs_admin_and_removal_makes_the_bot_an_outsider(
    world: World,
) -> None:
    # Given a channel where the bot is a plain subscriber... then removed entirely
    channel = world.channel["id"]
    world.sb.add_member(channel, world.bot["id"], "member")
    status, body = world.api.error("getChatMember", chat_id=channel, user_id=world.ann["id"])
    assert (status, body["description"]) == (400, "Bad Request: member list is inaccessible")
    private = world.sb.create_chat("channel", "Private")["id"]
    # When
    status, body = world.api.error("getChatMember", chat_id=private, user_id=world.ann["id"])
    unknown_status, unknown = world.api.error("getChatMember", chat_id=-1009999, user_id=1)
    # Then
    assert (status, body["description"]) == (
        403,
        "Forbidden: bot is not a member of the channel chat",
    )
    assert (unknown_status, unknown["description"]) == (400, "Bad Request: chat not found")


def test_kicking_the_bot_from_a_channel_changes_its_answers_and_tells_it(
    world: World,
) -> None:
    # Given
    channel = world.channel["id"]
    world.api.ok("getUpdates")
    # When
    world.sb.kick(channel, world.bot["id"])
    # Then
    status, body = world.api.error("getChatMember", chat_id=channel, user_id=world.ann["id"])
    assert (status, body["description"]) == (403, "Forbidden: bot was kicked from the channel chat")
    [update] = world.api.ok("getUpdates")
    assert update["my_chat_member"]["new_chat_member"]["status"] == "kicked"


def test_join_requests_are_approved_into_membership(world: World) -> None:
    # Given
    group, newcomer = world.group["id"], world.sb.create_user("Dan")["id"]
    world.sb.request_join(group, newcomer)
    # When
    world.api.ok("approveChatJoinRequest", chat_id=group, user_id=newcomer)
    status, body = world.api.error("approveChatJoinRequest", chat_id=group, user_id=newcomer)
    # Then
    assert world.sb.member(group, newcomer)["status"] == "member"
    assert (status, body["description"]) == (400, "Bad Request: USER_ALREADY_PARTICIPANT")


def test_basic_groups_cannot_restrict(sandbox: Sandbox) -> None:
    # Given
    bot = sandbox.create_bot("b_bot")
    group = sandbox.create_chat("group", "Old")["id"]
    sandbox.add_member(group, bot["id"], "administrator", rights={"can_restrict_members": True})
    # When
    status, body = sandbox.api_call(
        bot["token"],
        "restrictChatMember",
        {"chat_id": group, "user_id": bot["id"], "permissions": {}},
    )
    # Then
    assert (status, body["description"]) == (
        400,
        "Bad Request: method is available only for supergroups",
    )
