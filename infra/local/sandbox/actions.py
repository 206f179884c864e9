"""What simulated people do: post, edit, press buttons, upgrade groups.

Each function expects the world lock held and returns the updates it queued. A refusal
Telegram's client would show ("you can't write here") raises `SandboxError`.
"""

from __future__ import annotations

import copy
from typing import Any

from infra.local.sandbox import render
from infra.local.sandbox.entities import auto_entities
from infra.local.sandbox.errors import BotApiError, SandboxError
from infra.local.sandbox.model import (
    CHANNEL_BOT_ID,
    GROUP_ANONYMOUS_BOT_ID,
    TELEGRAM_SERVICE_ID,
    CallbackQuery,
    Chat,
    Member,
    StoredMessage,
    User,
)
from infra.local.sandbox.rules import DELETE_WINDOW, KIND_PERMISSION, effective_permissions
from infra.local.sandbox.world import Ticket, World


def _file(w: World, kind: str) -> dict[str, Any]:
    return {"file_id": f"{kind}-{w.random_token(24)}", "file_unique_id": w.random_token(12)}


def content_for(w: World, kind: str, text: str | None) -> dict[str, Any]:
    """A message body of the given kind; `text` is the text or the caption."""
    body: dict[str, Any]
    if kind == "text":
        if not text:
            raise SandboxError("a text message needs text")
        body = {"text": text}
        entities = auto_entities(text)
        if entities:
            body["entities"] = entities
        return body
    media: dict[str, Any] = {
        "photo": [
            {**_file(w, "photo"), "width": 90, "height": 90, "file_size": 1200},
            {**_file(w, "photo"), "width": 800, "height": 800, "file_size": 64000},
        ],
        "video": {**_file(w, "video"), "width": 640, "height": 360, "duration": 5},
        "animation": {**_file(w, "animation"), "width": 320, "height": 240, "duration": 2},
        "audio": {**_file(w, "audio"), "duration": 30},
        "document": {**_file(w, "document"), "file_name": "file.pdf"},
        "voice": {**_file(w, "voice"), "duration": 3, "mime_type": "audio/ogg"},
        "video_note": {**_file(w, "video_note"), "length": 240, "duration": 4},
        "sticker": {
            **_file(w, "sticker"),
            "type": "regular",
            "width": 512,
            "height": 512,
            "is_animated": False,
            "is_video": False,
            "emoji": "🙂",
        },
        "contact": {"phone_number": "+10000000000", "first_name": "Contact"},
        "location": {"latitude": 48.8566, "longitude": 2.3522},
        "dice": {"emoji": "🎲", "value": 4},
    }
    if kind not in media:
        raise SandboxError(f"unsupported message kind {kind!r}; one of text, {', '.join(media)}")
    body = {kind: media[kind]}
    if kind == "animation":
        body["document"] = {
            **_file(w, "document"),
            "file_name": "animation.mp4",
            "mime_type": "video/mp4",
        }
    if text and kind in ("photo", "video", "animation", "audio", "document", "voice"):
        body["caption"] = text
    return body


def _sender(
    w: World, chat: Chat, user_id: int, sender_chat_id: int | None, is_automatic_forward: bool
) -> tuple[User, Chat | None, Member | None]:
    """Who the message is from, as Telegram shows it (anonymous admins, channels, forwards)."""
    if is_automatic_forward:
        channel = w.chat(sender_chat_id or chat.linked_chat_id or 0)
        return w.user(TELEGRAM_SERVICE_ID), channel, None
    member = w.member(chat.id, user_id)
    if sender_chat_id == chat.id or (
        sender_chat_id is None and member.is_admin and member.rights.get("is_anonymous")
    ):
        if not member.is_admin:
            raise SandboxError("only administrators can post anonymously")
        return w.user(GROUP_ANONYMOUS_BOT_ID), chat, member
    if sender_chat_id is not None:
        channel = w.chat(sender_chat_id)
        if not w.member(channel.id, user_id).is_admin:
            raise SandboxError(f"user {user_id} can't post on behalf of chat {channel.id}")
        if channel.id in chat.banned_sender_chats:
            raise SandboxError(f"chat {channel.id} is banned from posting in {chat.id}")
        return w.user(CHANNEL_BOT_ID), channel, member
    return w.user(user_id), None, member


def send_message_as(
    w: World,
    chat_id: int,
    user_id: int,
    text: str | None,
    *,
    kind: str,
    message_thread_id: int | None,
    sender_chat_id: int | None,
    reply_to: int | None,
    is_automatic_forward: bool,
) -> tuple[StoredMessage, list[Ticket]]:
    if chat_id in w.bots:  # a user writing to a bot: their private chat
        return _send_private(w, chat_id, user_id, text, kind=kind)
    chat = w.chat(chat_id)
    if chat.migrated_to is not None:
        raise SandboxError(f"chat {chat.id} was upgraded to {chat.migrated_to}")
    content = content_for(w, kind, text)
    if chat.type == "channel":
        if not w.member(chat.id, user_id).can("can_post_messages"):
            raise SandboxError(f"user {user_id} can't post in channel {chat.id}")
        post = w.post_message(chat, sender=None, sender_chat=chat, content=content)
        post.sender_id = user_id
        return post, w.route(post) + w.forward_to_discussion(chat, post)
    sender, sender_chat, member = _sender(w, chat, user_id, sender_chat_id, is_automatic_forward)
    if member is not None and sender_chat is None:
        if not member.active:
            raise SandboxError(f"user {user_id} is not a member of chat {chat.id}")
        permission = KIND_PERMISSION[kind]
        if not effective_permissions(member, chat.permissions)[permission]:
            raise SandboxError(f"user {user_id} is not allowed to send {kind} ({permission})")
    try:
        w.check_thread(chat, message_thread_id)
    except BotApiError as exc:
        raise SandboxError(exc.description) from exc
    target = w.visible_message(chat.id, reply_to)
    if reply_to is not None and target is None:
        raise SandboxError(f"message {reply_to} not found in chat {chat.id}")
    if is_automatic_forward:
        content["is_automatic_forward"] = True
    msg = w.post_message(
        chat,
        sender=sender,
        sender_chat=sender_chat,
        content=content,
        thread_id=message_thread_id,
        reply_to=target,
    )
    msg.sender_id = sender.id if is_automatic_forward else user_id
    return msg, w.route(msg)


def _send_private(
    w: World, bot_id: int, user_id: int, text: str | None, *, kind: str
) -> tuple[StoredMessage, list[Ticket]]:
    user = w.user(user_id)
    chat = w.chats.setdefault(user_id, Chat(user_id, "private"))
    w.private_started.add((bot_id, user_id))
    msg = w.post_message(
        chat, sender=user, content=content_for(w, kind, text), partner_bot_id=bot_id
    )
    return msg, w.route(msg)


def edit_message_as(
    w: World, chat_id: int, message_id: int, user_id: int, text: str
) -> tuple[StoredMessage, list[Ticket]]:
    msg = w.visible_message(chat_id, message_id)
    if msg is None or msg.sender_id != user_id:
        raise SandboxError(f"user {user_id} has no message {message_id} in chat {chat_id}")
    key = "text" if "text" in msg.data else "caption"
    msg.data[key] = text
    msg.data.pop("entities", None)
    if key == "text" and auto_entities(text):
        msg.data["entities"] = auto_entities(text)
    msg.data["edit_date"] = w.now()
    return msg, w.route(msg, edited=True)


def press_button(
    w: World, chat_id: int, message_id: int, user_id: int, callback_data: str
) -> tuple[str, list[Ticket]]:
    msg = w.messages.get(chat_id, {}).get(message_id)
    if msg is None or msg.sender_id not in w.bots:
        raise SandboxError(f"no bot message {message_id} in chat {chat_id}")
    accessible = not msg.deleted and w.now() - msg.date < DELETE_WINDOW
    if accessible:
        rows = msg.data.get("reply_markup", {}).get("inline_keyboard", [])
        if not any(b.get("callback_data") == callback_data for row in rows for b in row):
            raise SandboxError(f"message {message_id} has no button {callback_data!r}")
        shown: dict[str, Any] = copy.deepcopy(msg.data)
    else:  # InaccessibleMessage: date 0 tells it apart
        shown = {"chat": copy.deepcopy(msg.data["chat"]), "message_id": message_id, "date": 0}
    bot = w.bots[msg.sender_id]
    query_id = str(w.rng.randrange(10**17, 10**18))
    w.callbacks[query_id] = CallbackQuery(query_id, bot.user.id, user_id)
    payload = {
        "id": query_id,
        "from": render.user(w.user(user_id)),
        "message": shown,
        "chat_instance": str(-(abs(chat_id) * 2654435761 % 10**18)),
        "data": callback_data,
    }
    return query_id, w.enqueue(bot, "callback_query", payload)


def migrate_group(w: World, group_id: int, actor_id: int) -> tuple[Chat, list[Ticket]]:
    """Upgrade a basic group: new -100… id, members carried over, service messages in both."""
    old = w.chat(group_id)
    if old.type != "group" or old.migrated_to is not None:
        raise SandboxError(f"chat {group_id} is not a basic group")
    new = Chat(
        w.allocate_id("supergroup"),
        "supergroup",
        title=old.title,
        permissions=dict(old.permissions),
        description=old.description,
    )
    w.chats[new.id] = new
    for (chat_id, user_id), m in list(w.members.items()):
        if chat_id == old.id:
            w.members[(new.id, user_id)] = copy.deepcopy(m)
    actor = w.user(actor_id)
    to_msg = w.post_message(old, sender=actor, content={"migrate_to_chat_id": new.id})
    tickets = w.route(to_msg)
    old.migrated_to = new.id
    from_msg = w.post_message(new, sender=actor, content={"migrate_from_chat_id": old.id})
    return new, tickets + w.route(from_msg)
