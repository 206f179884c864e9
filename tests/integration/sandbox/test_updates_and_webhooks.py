"""Update routing, allowed_updates, long polling and webhook delivery with retries."""

from __future__ import annotations

from tests.integration.sandbox.conftest import WebhookReceiver, World


def _kinds(updates: list[dict[str, object]]) -> list[str]:
    return [next(k for k in u if k != "update_id") for u in updates]


def test_chat_member_updates_need_allowed_updates_and_admin_status(world: World) -> None:
    # Given a second, non-admin bot; both poll
    sb, group = world.sb, world.group["id"]
    other = sb.create_bot("other_bot")
    sb.add_member(group, other["id"])
    world.api.ok("getUpdates")  # default allowed_updates
    # When
    sb.join(group, sb.create_user("Eve")["id"])
    default_updates = world.api.ok("getUpdates")
    world.api.ok(
        "getUpdates",
        allowed_updates=["message", "chat_member"],
        offset=default_updates[-1]["update_id"] + 1,
    )
    sb.join(group, sb.create_user("Fay")["id"])
    opted_in = world.api.ok("getUpdates")
    _, other_updates = sb.api_call(
        other["token"], "getUpdates", {"allowed_updates": ["chat_member", "message"]}
    )
    # Then
    assert _kinds(default_updates) == ["message"]  # the new_chat_members service message only
    assert _kinds(opted_in) == ["chat_member", "message"]
    assert opted_in[0]["chat_member"]["new_chat_member"]["status"] == "member"
    assert "chat_member" not in _kinds(other_updates["result"])


def test_get_updates_with_offset_confirms_earlier_updates(world: World) -> None:
    # Given two updates
    world.sb.send_message_as(world.group["id"], world.ann["id"], "one")
    world.sb.send_message_as(world.group["id"], world.ann["id"], "two")
    first, second = world.api.ok("getUpdates")
    # When
    remaining = world.api.ok("getUpdates", offset=second["update_id"])
    # Then
    assert second["update_id"] == first["update_id"] + 1
    assert remaining == [second]
    assert world.api.ok("getUpdates", offset=second["update_id"] + 1, timeout=0) == []


def test_get_updates_conflicts_while_a_webhook_is_set(
    world: World, receiver: WebhookReceiver
) -> None:
    # Given
    world.api.ok("setWebhook", url=receiver.url)
    # When
    status, body = world.api.error("getUpdates")
    # Then
    assert (status, body["description"]) == (
        409,
        (
            "Conflict: can't use getUpdates method while webhook is active; use deleteWebhook "
            "to delete the webhook first"
        ),
    )


def test_webhook_receives_updates_in_order_with_the_secret_header(
    world: World, receiver: WebhookReceiver
) -> None:
    # Given
    world.api.ok("setWebhook", url=receiver.url, secret_token="s3cr3t-_")
    # When
    for text in ("a", "b", "c"):
        world.sb.send_message_as(world.group["id"], world.ann["id"], text, wait=False)
    world.sb.wait_idle()
    # Then
    assert [u["message"]["text"] for u in receiver.updates("message")] == ["a", "b", "c"]
    assert {r.headers["X-Telegram-Bot-Api-Secret-Token"] for r in receiver.received} == {"s3cr3t-_"}
    assert world.api.ok("getWebhookInfo")["pending_update_count"] == 0


def test_a_failing_webhook_is_retried_and_the_error_shows_in_webhook_info(
    world: World, receiver: WebhookReceiver
) -> None:
    # Given a webhook that answers 500 once
    receiver.statuses = [500]
    world.api.ok("setWebhook", url=receiver.url)
    # When
    world.sb.send_message_as(world.group["id"], world.ann["id"], "hello")
    # Then
    info = world.api.ok("getWebhookInfo")
    assert len(receiver.updates("message")) == 2
    assert (
        info["last_error_message"] == "Wrong response from the webhook: 500 Internal Server Error"
    )
    assert info["pending_update_count"] == 0
    assert [d["status"] for d in world.sb.deliveries()] == ["failed", "delivered"]


def test_a_webhook_that_keeps_failing_is_given_up_after_the_last_retry(
    world: World, receiver: WebhookReceiver
) -> None:
    # Given a webhook that always fails (the fixture allows 2 retries)
    receiver.statuses = [502] * 10
    world.api.ok("setWebhook", url=receiver.url)
    # When
    world.sb.send_message_as(world.group["id"], world.ann["id"], "lost")
    # Then
    assert [d["status"] for d in world.sb.deliveries()] == ["failed", "failed", "gave_up"]
    assert world.api.ok("getWebhookInfo")["pending_update_count"] == 0


def test_pending_updates_wait_for_the_webhook_and_can_be_dropped(
    world: World, receiver: WebhookReceiver
) -> None:
    # Given updates queued while polling nobody
    world.sb.send_message_as(world.group["id"], world.ann["id"], "queued")
    assert world.api.ok("getWebhookInfo")["pending_update_count"] == 1
    # When
    world.api.ok("setWebhook", url=receiver.url, drop_pending_updates=True)
    world.sb.wait_idle()
    # Then
    assert receiver.updates() == []


def test_a_webhook_may_answer_with_a_method_call(world: World, receiver: WebhookReceiver) -> None:
    # Given a webhook that replies in its response body
    receiver.reply = lambda update: {
        "method": "sendMessage",
        "chat_id": update["message"]["chat"]["id"],
        "text": "pong",
    }
    world.api.ok("setWebhook", url=receiver.url, allowed_updates=["message"])
    # When
    world.sb.send_message_as(world.group["id"], world.ann["id"], "ping")
    # Then
    assert [m["text"] for m in world.sb.messages(world.group["id"])] == ["ping", "pong"]
    assert world.sb.calls("sendMessage")[0]["via"] == "webhook_reply"


def test_privacy_mode_bots_see_only_commands_and_service_messages(world: World) -> None:
    # Given a plain-member bot in privacy mode
    sb, group = world.sb, world.group["id"]
    shy = sb.create_bot("shy_bot")
    sb.add_member(group, shy["id"])
    # When
    sb.send_message_as(group, world.ann["id"], "chatter")
    sb.send_message_as(group, world.ann["id"], "/help@shy_bot")
    # Then
    _, body = sb.api_call(shy["token"], "getUpdates", {})
    assert [u["message"]["text"] for u in body["result"]] == ["/help@shy_bot"]
