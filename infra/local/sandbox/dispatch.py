"""The Bot API front door: token → bot, method → handler, faults, call log, error bodies."""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping
from typing import Any

from infra.local.sandbox import api_commands, api_members, api_messages, api_updates
from infra.local.sandbox.errors import BotApiError
from infra.local.sandbox.model import Bot
from infra.local.sandbox.params import Params
from infra.local.sandbox.result import Described
from infra.local.sandbox.world import World

Handler = Callable[[World, Bot, Params], Any]

METHODS: dict[str, Handler] = {
    "getMe": api_updates.get_me,
    "setWebhook": api_updates.set_webhook,
    "deleteWebhook": api_updates.delete_webhook,
    "getWebhookInfo": api_updates.get_webhook_info,
    "getUpdates": api_updates.get_updates,
    "sendMessage": api_messages.send_message,
    "editMessageText": api_messages.edit_message_text,
    "editMessageReplyMarkup": api_messages.edit_message_reply_markup,
    "deleteMessage": api_messages.delete_message,
    "deleteMessages": api_messages.delete_messages,
    "answerCallbackQuery": api_messages.answer_callback_query,
    "restrictChatMember": api_members.restrict_chat_member,
    "banChatMember": api_members.ban_chat_member,
    "unbanChatMember": api_members.unban_chat_member,
    "banChatSenderChat": api_members.ban_chat_sender_chat,
    "unbanChatSenderChat": api_members.unban_chat_sender_chat,
    "getChatMember": api_members.get_chat_member,
    "getChatAdministrators": api_members.get_chat_administrators,
    "getChatMemberCount": api_members.get_chat_member_count,
    "getChat": api_members.get_chat,
    "approveChatJoinRequest": api_members.approve_chat_join_request,
    "declineChatJoinRequest": api_members.decline_chat_join_request,
    "createChatInviteLink": api_members.create_chat_invite_link,
    "exportChatInviteLink": api_members.export_chat_invite_link,
    "setChatPermissions": api_members.set_chat_permissions,
    "leaveChat": api_members.leave_chat,
    "setMyCommands": api_commands.set_my_commands,
    "getMyCommands": api_commands.get_my_commands,
    "deleteMyCommands": api_commands.delete_my_commands,
}
_BY_LOWER = {name.lower(): name for name in METHODS}

UNAUTHORIZED = {"ok": False, "error_code": 401, "description": "Unauthorized"}
NOT_FOUND = {"ok": False, "error_code": 404, "description": "Not Found"}


def call(
    w: World,
    token: str,
    method: str,
    raw: Mapping[str, Any],
    *,
    via: str = "http",
    sleep: Callable[[float], None] = time.sleep,
) -> tuple[int, dict[str, Any]]:
    """Run one Bot API call; returns (HTTP status, response body)."""
    with w.cond:
        bot = w.bot_by_token(token)
        if bot is None:
            return 401, dict(UNAUTHORIZED)
        name = _BY_LOWER.get(method.lower())
        if name is None:
            _log(w, bot, method, raw, via, 404, NOT_FOUND)
            return 404, dict(NOT_FOUND)
        fault = w.faults.take(name, raw.get("chat_id"))
        if fault is None:
            status, body = _run(w, bot, name, Params(raw))
            _log(w, bot, name, raw, via, status, body)
            return status, body
        status, body = fault.response()
        _log(w, bot, name, raw, via, status, body, fault=fault.error)
        delay = w.timeout_fault_delay if fault.is_timeout else 0.0
    if delay:
        sleep(delay)  # outside the lock: the rest of Telegram keeps working
    return status, body


def _run(w: World, bot: Bot, name: str, params: Params) -> tuple[int, dict[str, Any]]:
    try:
        result = METHODS[name](w, bot, params)
    except BotApiError as exc:
        return exc.error_code, exc.to_body()
    if isinstance(result, Described):
        return 200, {"ok": True, "result": result.result, "description": result.description}
    return 200, {"ok": True, "result": result}


def _log(
    w: World,
    bot: Bot,
    method: str,
    raw: Mapping[str, Any],
    via: str,
    status: int,
    body: Mapping[str, Any],
    *,
    fault: str | None = None,
) -> None:
    entry: dict[str, Any] = {
        "bot_id": bot.user.id,
        "method": method,
        "params": dict(raw),
        "ok": bool(body.get("ok")),
        "status": status,
        "date": w.now(),
        "via": via,
    }
    if not body.get("ok"):
        entry["error_code"] = body.get("error_code")
        entry["description"] = body.get("description")
    if fault is not None:
        entry["fault"] = fault
    w.call_log.append(entry)
