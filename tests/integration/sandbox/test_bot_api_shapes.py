"""Everything the sandbox answers parses with python-telegram-bot and matches the 10.1 reference."""

from __future__ import annotations

import telegram

from infra.local.sandbox import Sandbox
from tests.integration.sandbox.conftest import World
from tests.integration.sandbox.reference import problems


def test_get_me_is_a_user_with_bot_capabilities(world: World) -> None:
    # When
    me = world.api.ok("getMe")
    # Then
    assert problems(me, "User") == []
    assert telegram.User.de_json(me, None).username == "nezuko_test_bot"


def test_every_chat_member_status_parses_and_matches_its_subtype(world: World) -> None:
    # Given one user in each status
    sb, group = world.sb, world.group["id"]
    statuses = ["creator", "administrator", "member", "restricted", "left", "kicked"]
    users = [sb.create_user(f"U{i}")["id"] for i in range(len(statuses))]
    for user_id, status in zip(users, statuses, strict=True):
        sb.add_member(
            group,
            user_id,
            status,
            rights={"can_delete_messages": True},
            permissions={"can_send_messages": True},
        )
    # When
    members = [world.api.ok("getChatMember", chat_id=group, user_id=u) for u in users]
    # Then
    assert [m["status"] for m in members] == statuses
    for member in members:
        assert problems(member, "ChatMember") == []
        assert telegram.ChatMember.de_json(member, None).status == member["status"]


def test_updates_of_every_kind_parse_as_telegram_updates(world: World) -> None:
    # Given a bot that polls for everything
    sb, api, group = world.sb, world.api, world.group["id"]
    api.ok(
        "getUpdates",
        allowed_updates=[
            "message",
            "edited_message",
            "channel_post",
            "callback_query",
            "chat_member",
            "my_chat_member",
            "chat_join_request",
        ],
    )
    sent = api.ok(
        "sendMessage",
        chat_id=group,
        text="<b>Join</b> @news",
        parse_mode="HTML",
        reply_markup={"inline_keyboard": [[{"text": "Check", "callback_data": "check"}]]},
    )
    # When people do things
    newcomer = sb.create_user("Bob", username="bobby")["id"]
    sb.join(group, newcomer)
    for kind in ("text", "photo", "sticker", "voice", "video", "document", "animation"):
        sb.send_message_as(group, world.ann["id"], "look", kind=kind)
    sb.edit_message_as(group, 3, world.ann["id"], "edited /start")
    sb.press_button(group, sent["message_id"], newcomer, "check")
    sb.request_join(group, sb.create_user("Cid")["id"], bio="hello")
    sb.promote(world.channel["id"], world.owner["id"])
    sb.add_member(world.channel["id"], world.owner["id"], "creator")
    sb.send_message_as(world.channel["id"], world.owner["id"], "news!")
    sb.kick(world.channel["id"], world.bot["id"])
    # Then
    updates = api.ok("getUpdates")
    kinds = {next(k for k in u if k != "update_id") for u in updates}
    assert kinds >= {
        "message",
        "edited_message",
        "callback_query",
        "chat_member",
        "chat_join_request",
        "channel_post",
        "my_chat_member",
    }
    for update in updates:
        assert problems(update, "Update") == [], update
        assert telegram.Update.de_json(update, None).update_id == update["update_id"]


def test_sent_message_chat_info_and_webhook_info_parse(world: World) -> None:
    # When
    message = world.api.ok("sendMessage", chat_id=world.group["id"], text="hi")
    chat = world.api.ok("getChat", chat_id=world.group["id"])
    channel = world.api.ok("getChat", chat_id="@news")
    info = world.api.ok("getWebhookInfo")
    link = world.api.ok(
        "createChatInviteLink", chat_id=world.group["id"], creates_join_request=True
    )
    # Then
    assert problems(message, "Message") == []
    assert problems(chat, "ChatFullInfo") == []
    assert problems(channel, "ChatFullInfo") == []
    assert problems(info, "WebhookInfo") == []
    assert problems(link, "ChatInviteLink") == []
    assert telegram.Message.de_json(message, None).text == "hi"
    full = telegram.ChatFullInfo.de_json(chat, None)
    assert full.permissions is not None and full.permissions.can_send_messages is True
    assert chat["invite_link"].startswith("https://t.me/+")
    assert telegram.WebhookInfo.de_json(info, None).pending_update_count == 0
    assert telegram.ChatInviteLink.de_json(link, None).creates_join_request is True


def test_error_bodies_are_shaped_like_telegrams(world: World) -> None:
    # When
    unknown_status, unknown = world.api.error("fooBar")
    world.api.token = "123:wrong"
    unauthorized_status, unauthorized = world.api.error("getMe")
    # Then
    assert (unknown_status, unknown) == (
        404,
        {"ok": False, "error_code": 404, "description": "Not Found"},
    )
    assert (unauthorized_status, unauthorized) == (
        401,
        {"ok": False, "error_code": 401, "description": "Unauthorized"},
    )


def test_form_encoded_calls_with_json_string_objects_are_accepted(world: World) -> None:
    # When the call is form-encoded, as python-telegram-bot sends it
    response = world.api.call(
        "restrictChatMember",
        form=True,
        chat_id=str(world.group["id"]),
        user_id=str(world.ann["id"]),
        permissions={"can_send_messages": False},
        use_independent_chat_permissions="true",
    )
    # Then
    assert response.json() == {"ok": True, "result": True}
    assert world.sb.member(world.group["id"], world.ann["id"])["status"] == "restricted"


def test_anonymous_admin_channel_sender_and_automatic_forward_have_telegrams_senders(
    sandbox: Sandbox,
) -> None:
    # Given a channel linked to its discussion group
    owner = sandbox.create_user("Olga")["id"]
    group = sandbox.create_chat("supergroup", "Talk", creator_id=owner)["id"]
    channel = sandbox.create_chat("channel", "News", username="news", creator_id=owner)["id"]
    sandbox.link_chats(channel, group)
    sandbox.add_member(group, owner, "creator", rights={"is_anonymous": True})
    # When
    anonymous = sandbox.send_message_as(group, owner, "as the group")
    as_channel = sandbox.send_message_as(group, owner, "as my channel", sender_chat_id=channel)
    sandbox.send_message_as(channel, owner, "a post")
    forward = sandbox.messages(group)[-1]
    # Then
    assert (anonymous["from"]["id"], anonymous["sender_chat"]["id"]) == (1087968824, group)
    assert anonymous["from"]["username"] == "GroupAnonymousBot"
    assert as_channel["sender_chat"]["id"] == channel
    assert (forward["from"]["id"], forward["sender_chat"]["id"]) == (777000, channel)
    assert forward["is_automatic_forward"] is True
    for message in (anonymous, as_channel, forward):
        assert problems(message, "Message") == []
        telegram.Message.de_json(message, None)
