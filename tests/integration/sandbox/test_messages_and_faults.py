"""Messages, callback queries, fault injection and group migration."""

from __future__ import annotations

import httpx
import pytest

from infra.local.sandbox import Sandbox, SandboxError
from tests.integration.sandbox.conftest import FakeClock, World


def test_messages_older_than_48_hours_cannot_be_deleted(world: World, clock: FakeClock) -> None:
    # Given
    group = world.group["id"]
    old = world.sb.send_message_as(group, world.ann["id"], "old")
    clock.advance(48 * 3600)
    fresh = world.sb.send_message_as(group, world.ann["id"], "fresh")
    # When
    status, body = world.api.error("deleteMessage", chat_id=group, message_id=old["message_id"])
    world.api.ok("deleteMessage", chat_id=group, message_id=fresh["message_id"])
    missing_status, missing = world.api.error(
        "deleteMessage", chat_id=group, message_id=fresh["message_id"]
    )
    # Then
    assert (status, body["description"]) == (400, "Bad Request: message can't be deleted")
    assert (missing_status, missing["description"]) == (
        400,
        "Bad Request: message to delete not found",
    )
    assert [m["text"] for m in world.sb.messages(group)] == ["old"]


def test_deleting_others_messages_needs_can_delete_messages(world: World) -> None:
    # Given a bot without delete rights
    group = world.group["id"]
    world.sb.add_member(
        group, world.bot["id"], "administrator", rights={"can_restrict_members": True}
    )
    theirs = world.sb.send_message_as(group, world.ann["id"], "spam")
    mine = world.api.ok("sendMessage", chat_id=group, text="notice")
    # When
    _, body = world.api.error("deleteMessage", chat_id=group, message_id=theirs["message_id"])
    # Then
    assert body["description"] == "Bad Request: message can't be deleted"
    assert world.api.ok("deleteMessage", chat_id=group, message_id=mine["message_id"]) is True


def test_answering_a_callback_query_twice_is_refused(world: World) -> None:
    # Given
    group = world.group["id"]
    sent = world.api.ok(
        "sendMessage",
        chat_id=group,
        text="Verify",
        reply_markup={"inline_keyboard": [[{"text": "I joined", "callback_data": "verify:1"}]]},
    )
    query_id = world.sb.press_button(group, sent["message_id"], world.ann["id"], "verify:1")
    # When
    world.api.ok("answerCallbackQuery", callback_query_id=query_id, text="Welcome", show_alert=True)
    status, body = world.api.error("answerCallbackQuery", callback_query_id=query_id)
    # Then
    assert (status, body["description"]) == (
        400,
        ("Bad Request: query is too old and response timeout expired or query ID is invalid"),
    )
    assert [(a["text"], a["show_alert"]) for a in world.sb.callback_answers(query_id)] == [
        ("Welcome", True)
    ]


def test_a_button_on_a_deleted_message_sends_an_inaccessible_message(world: World) -> None:
    # Given
    group = world.group["id"]
    sent = world.api.ok(
        "sendMessage",
        chat_id=group,
        text="Verify",
        reply_markup={"inline_keyboard": [[{"text": "Go", "callback_data": "go"}]]},
    )
    world.api.ok("deleteMessage", chat_id=group, message_id=sent["message_id"])
    # When
    world.sb.press_button(group, sent["message_id"], world.ann["id"], "go")
    # Then
    [update] = world.api.ok("getUpdates")
    assert update["callback_query"]["message"]["date"] == 0


def test_malformed_html_is_rejected_like_telegram(world: World) -> None:
    # When
    _, body = world.api.error(
        "sendMessage", chat_id=world.group["id"], text="<b>bold", parse_mode="HTML"
    )
    # Then
    assert body["description"] == (
        "Bad Request: can't parse entities: Can't find end tag corresponding to start tag \"b\""
    )


def test_forum_general_topic_has_no_thread_id(sandbox: Sandbox) -> None:
    # Given a forum with one topic
    bot = sandbox.create_bot("forum_bot")
    forum = sandbox.create_chat("supergroup", "Forum", is_forum=True)["id"]
    sandbox.add_member(forum, bot["id"], "administrator")
    topic = sandbox.create_topic(forum, "Rules")
    # When
    general_status, general = sandbox.api_call(
        bot["token"], "sendMessage", {"chat_id": forum, "text": "x", "message_thread_id": 1}
    )
    _, in_topic = sandbox.api_call(
        bot["token"], "sendMessage", {"chat_id": forum, "text": "y", "message_thread_id": topic}
    )
    # Then
    assert (general_status, general["description"]) == (
        400,
        "Bad Request: message thread not found",
    )
    assert in_topic["result"]["is_topic_message"] is True
    assert [m["text"] for m in sandbox.messages(forum, thread_id=topic) if "text" in m] == ["y"]


def test_fail_next_429_answers_with_retry_after_then_recovers(world: World) -> None:
    # Given
    world.sb.fail_next("sendMessage", error="429", retry_after=7)
    # When
    status, body = world.api.error("sendMessage", chat_id=world.group["id"], text="x")
    # Then
    assert (status, body) == (
        429,
        {
            "ok": False,
            "error_code": 429,
            "description": "Too Many Requests: retry after 7",
            "parameters": {"retry_after": 7},
        },
    )
    assert world.api.ok("sendMessage", chat_id=world.group["id"], text="x")["text"] == "x"
    assert [c["ok"] for c in world.sb.calls("sendMessage")] == [False, True]


def test_fail_next_participant_id_invalid_and_timeout(world: World) -> None:
    # Given
    world.sb.fail_next("getChatMember", error="PARTICIPANT_ID_INVALID", chat_id=world.group["id"])
    world.sb.fail_next("restrictChatMember", error="timeout")
    # When
    _, invalid = world.api.error(
        "getChatMember", chat_id=world.group["id"], user_id=world.ann["id"]
    )
    with pytest.raises(httpx.TimeoutException):
        world.api.http.post(
            f"{world.api.base_url}/bot{world.api.token}/restrictChatMember",
            json={"chat_id": world.group["id"], "user_id": world.ann["id"], "permissions": {}},
            timeout=0.1,
        )
    # Then
    assert invalid["description"] == "Bad Request: PARTICIPANT_ID_INVALID"
    assert world.sb.member(world.group["id"], world.ann["id"])["status"] == "member"


def test_a_migrated_group_answers_with_migrate_to_chat_id(sandbox: Sandbox) -> None:
    # Given a basic group with our bot as admin
    bot = sandbox.create_bot("mig_bot")
    owner = sandbox.create_user("Olga")["id"]
    group = sandbox.create_chat("group", "Small", creator_id=owner)["id"]
    sandbox.add_member(group, bot["id"], "administrator", rights={"can_restrict_members": True})
    # When
    new = sandbox.migrate_group(group)
    status, body = sandbox.api_call(bot["token"], "sendMessage", {"chat_id": group, "text": "x"})
    # Then
    assert str(new["id"]).startswith("-100") and new["type"] == "supergroup"
    assert (status, body["parameters"]) == (400, {"migrate_to_chat_id": new["id"]})
    _, updates = sandbox.api_call(bot["token"], "getUpdates", {})
    service = [u["message"] for u in updates["result"]]
    assert [
        (m["chat"]["id"], m.get("migrate_to_chat_id"), m.get("migrate_from_chat_id"))
        for m in service
    ] == [(group, new["id"], None), (new["id"], None, group)]
    assert sandbox.member(new["id"], bot["id"])["status"] == "administrator"


def test_a_user_who_is_not_a_member_cannot_post(world: World) -> None:
    # Given
    stranger = world.sb.create_user("Stranger")["id"]
    # When / Then
    with pytest.raises(SandboxError, match="not a member"):
        world.sb.send_message_as(world.group["id"], stranger, "hi")
