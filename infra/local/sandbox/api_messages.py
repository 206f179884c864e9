"""Bot API: sending, editing and deleting messages; answering callback queries."""

from __future__ import annotations

import copy
from typing import Any

from infra.local.sandbox.access import bot_chat
from infra.local.sandbox.entities import format_text
from infra.local.sandbox.errors import BotApiError, bad_request
from infra.local.sandbox.model import Bot, Chat, Member, StoredMessage
from infra.local.sandbox.params import Params
from infra.local.sandbox.rules import DELETE_WINDOW, effective_permissions
from infra.local.sandbox.world import World

_BUTTON_ACTIONS = (
    "url",
    "callback_data",
    "web_app",
    "login_url",
    "switch_inline_query",
    "switch_inline_query_current_chat",
    "switch_inline_query_chosen_chat",
    "copy_text",
    "callback_game",
    "pay",
)
_NOT_MODIFIED = (
    "message is not modified: specified new message content and reply markup are exactly "
    "the same as a current content and reply markup of the message"
)
_QUERY_INVALID = "query is too old and response timeout expired or query ID is invalid"


def inline_markup(p: Params) -> dict[str, Any] | None:
    """Validate reply_markup; only inline keyboards are kept on the message (as Telegram)."""
    markup = p.get_obj("reply_markup")
    if markup is None or "inline_keyboard" not in markup:
        return None
    rows = markup["inline_keyboard"]
    if not isinstance(rows, list) or not all(isinstance(row, list) for row in rows):
        raise bad_request("can't parse inline keyboard markup")
    for row in rows:
        for button in row:
            if not isinstance(button, dict) or not button.get("text"):
                raise bad_request("can't parse inline keyboard button: Text must be non-empty")
            if not any(action in button for action in _BUTTON_ACTIONS):
                raise bad_request(
                    "can't parse inline keyboard button: Text buttons are unallowed in the "
                    "inline keyboard"
                )
            data = button.get("callback_data")
            if data is not None and not 1 <= len(str(data).encode()) <= 64:
                raise bad_request("BUTTON_DATA_INVALID")
    return {"inline_keyboard": copy.deepcopy(rows)}


def _check_can_send(chat: Chat, me: Member) -> None:
    if chat.type == "channel":
        if not me.can("can_post_messages"):
            raise bad_request("need administrator rights in the channel chat")
    elif (
        chat.type != "private"
        and not effective_permissions(me, chat.permissions)["can_send_messages"]
    ):
        raise bad_request("not enough rights to send text messages to the chat")


def _reply_target(w: World, chat: Chat, p: Params) -> StoredMessage | None:
    params = p.get_obj("reply_parameters") or {}
    message_id = params.get("message_id", p.get_int("reply_to_message_id"))
    if message_id is None:
        return None
    target = w.visible_message(chat.id, int(message_id))
    allow_missing = params.get("allow_sending_without_reply") or p.get_bool(
        "allow_sending_without_reply"
    )
    if target is None and not allow_missing:
        raise bad_request("message to be replied not found")
    return target


def send_message(w: World, bot: Bot, p: Params) -> Any:
    chat, me = bot_chat(w, bot, p)
    _check_can_send(chat, me)
    thread_id = p.get_int("message_thread_id")
    w.check_thread(chat, thread_id)
    text, entities = format_text(p.get_str("text"), p.get_str("parse_mode"))
    content: dict[str, Any] = {"text": text}
    if entities:
        content["entities"] = entities
    preview = p.get_obj("link_preview_options")
    if preview:
        content["link_preview_options"] = preview
    markup = inline_markup(p)
    if markup:
        content["reply_markup"] = markup
    reply_to = _reply_target(w, chat, p)
    msg = w.post_message(
        chat,
        sender=None if chat.type == "channel" else bot.user,
        sender_chat=chat if chat.type == "channel" else None,
        content=content,
        thread_id=thread_id,
        reply_to=reply_to,
        partner_bot_id=bot.user.id if chat.type == "private" else None,
    )
    msg.sender_id = bot.user.id
    w.route(msg)
    if chat.type == "channel":
        w.forward_to_discussion(chat, msg)
    return copy.deepcopy(msg.data)


def _own_message(w: World, bot: Bot, p: Params, missing: str) -> tuple[Chat, StoredMessage]:
    if p.has("inline_message_id"):
        raise bad_request("inline messages are not supported by the sandbox")
    chat, _ = bot_chat(w, bot, p)
    msg = w.visible_message(chat.id, p.get_int("message_id", required=True))
    if msg is None:
        raise bad_request(missing)
    if msg.sender_id != bot.user.id:
        raise bad_request("message can't be edited")
    return chat, msg


def _apply_edit(w: World, msg: StoredMessage, changes: dict[str, Any]) -> Any:
    current = {key: msg.data.get(key) for key in ("text", "entities", "reply_markup")}
    proposed = {**current, **changes}
    if proposed == current:
        raise bad_request(_NOT_MODIFIED)
    for key, value in proposed.items():
        if value is None:
            msg.data.pop(key, None)
        else:
            msg.data[key] = value
    msg.data["edit_date"] = w.now()
    return copy.deepcopy(msg.data)


def edit_message_text(w: World, bot: Bot, p: Params) -> Any:
    _, msg = _own_message(w, bot, p, "message to edit not found")
    text, entities = format_text(p.get_str("text"), p.get_str("parse_mode"))
    return _apply_edit(
        w, msg, {"text": text, "entities": entities or None, "reply_markup": inline_markup(p)}
    )


def edit_message_reply_markup(w: World, bot: Bot, p: Params) -> Any:
    _, msg = _own_message(w, bot, p, "message to edit not found")
    return _apply_edit(w, msg, {"reply_markup": inline_markup(p)})


def _delete_one(w: World, bot: Bot, chat: Chat, me: Member, message_id: int) -> None:
    msg = w.visible_message(chat.id, message_id)
    if msg is None:
        raise bad_request("message to delete not found")
    if w.now() - msg.date >= DELETE_WINDOW:
        raise bad_request("message can't be deleted")
    own = msg.sender_id == bot.user.id
    if chat.type == "channel":
        allowed = me.can("can_delete_messages") or me.can("can_post_messages")
    elif chat.type == "group":
        allowed = own or me.is_admin
    else:
        allowed = own or chat.type == "private" or me.can("can_delete_messages")
    if not allowed:
        raise bad_request("message can't be deleted")
    msg.deleted = True


def delete_message(w: World, bot: Bot, p: Params) -> Any:
    chat, me = bot_chat(w, bot, p)
    message_id = p.get_int("message_id", required=True)
    assert message_id is not None
    _delete_one(w, bot, chat, me, message_id)
    return True


def delete_messages(w: World, bot: Bot, p: Params) -> Any:
    chat, me = bot_chat(w, bot, p)
    ids = p.get_list("message_ids", required=True) or []
    if not 1 <= len(ids) <= 100:
        raise bad_request("too many messages to delete" if ids else "message_ids is empty")
    deleted, first_error = 0, None
    for message_id in ids:
        try:
            _delete_one(w, bot, chat, me, int(message_id))
            deleted += 1
        except BotApiError as exc:  # keep deleting the others, as Telegram does
            first_error = first_error or exc
    if not deleted and first_error is not None:
        raise first_error
    return True


def answer_callback_query(w: World, bot: Bot, p: Params) -> Any:
    query = w.callbacks.get(p.get_str("callback_query_id", required=True) or "")
    if query is None or query.bot_id != bot.user.id or query.answers:
        raise bad_request(_QUERY_INVALID)
    text = p.get_str("text")
    if text is not None and len(text) > 200:
        raise bad_request("MESSAGE_TOO_LONG")
    query.answers.append(
        {
            "text": text,
            "show_alert": p.get_bool("show_alert"),
            "url": p.get_str("url"),
            "cache_time": p.get_int("cache_time") or 0,
            "date": w.now(),
        }
    )
    return True
