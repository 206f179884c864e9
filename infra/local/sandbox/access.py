"""Who may touch which chat: the Bot API's membership and rights checks."""

from __future__ import annotations

from infra.local.sandbox.errors import bad_request, chat_not_found, forbidden
from infra.local.sandbox.model import Bot, Chat, Member
from infra.local.sandbox.params import Params
from infra.local.sandbox.world import World


def chat_kind(chat: Chat) -> str:
    return {"supergroup": "supergroup", "channel": "channel"}.get(chat.type, "group")


def bot_chat(w: World, bot: Bot, p: Params, *, public_ok: bool = False) -> tuple[Chat, Member]:
    """The chat named by chat_id and the bot's membership in it, or Telegram's refusal."""
    chat = w.api_chat(p.chat_ref())
    me = w.member(chat.id, bot.user.id)
    if chat.type == "private":
        if (bot.user.id, chat.id) not in w.private_started:
            raise forbidden("bot can't initiate conversation with a user")
        return chat, Member("member")
    if me.status == "kicked":
        raise forbidden(f"bot was kicked from the {chat_kind(chat)} chat")
    if not me.active:
        if public_ok and chat.username:
            return chat, me
        if not public_ok or chat.type == "channel":
            raise forbidden(f"bot is not a member of the {chat_kind(chat)} chat")
        raise chat_not_found()
    return chat, me


def require_right(me: Member, right: str, reason: str) -> None:
    if not me.can(right):
        raise bad_request(reason)


def require_supergroup(chat: Chat) -> None:
    if chat.type != "supergroup":
        raise bad_request("method is available only for supergroups")


def target_user(w: World, p: Params, *, unknown: str = "PARTICIPANT_ID_INVALID") -> int:
    user_id = p.get_int("user_id", required=True)
    assert user_id is not None
    if user_id not in w.users:
        raise bad_request(unknown)
    return user_id
