"""Bot API: members, restrictions, bans, chat info, join requests and invite links."""

from __future__ import annotations

from typing import Any

from infra.local.sandbox import render
from infra.local.sandbox.access import (
    bot_chat,
    require_right,
    require_supergroup,
    target_user,
)
from infra.local.sandbox.errors import bad_request, forbidden
from infra.local.sandbox.model import Bot, Chat, Member
from infra.local.sandbox.params import Params
from infra.local.sandbox.rules import at_least, normalize_permissions, restriction_until
from infra.local.sandbox.world import World

_NO_RESTRICT_RIGHTS = "not enough rights to restrict/unrestrict chat member"
_IS_ADMIN = "user is an administrator of the chat"


def _member_list_chat(w: World, bot: Bot, p: Params) -> Chat:
    """Channels show their members to admin bots only."""
    chat, me = bot_chat(w, bot, p, public_ok=True)
    if chat.type == "channel" and not me.is_admin:
        raise bad_request("member list is inaccessible")
    return chat


def restrict_chat_member(w: World, bot: Bot, p: Params) -> Any:
    chat, me = bot_chat(w, bot, p)
    require_supergroup(chat)
    require_right(me, "can_restrict_members", _NO_RESTRICT_RIGHTS)
    user_id = target_user(w, p, unknown="user not found")
    if user_id == bot.user.id:
        raise bad_request("can't restrict self")
    old = w.member(chat.id, user_id)
    if old.is_admin:
        raise bad_request(_IS_ADMIN)
    perms = normalize_permissions(
        p.get_obj("permissions", required=True) or {},
        independent=p.get_bool("use_independent_chat_permissions"),
    )
    if old.status == "kicked":
        new = old
    elif at_least(perms, chat.permissions):  # no narrower than the defaults: not restricted
        new = Member("member") if old.active else Member("left", is_member=False)
    else:
        until = restriction_until(p.get_int("until_date"), w.now())
        new = Member("restricted", permissions=perms, until_date=until, is_member=old.active)
    w.change_member(chat, user_id, new, actor_id=bot.user.id)
    return True


def ban_chat_member(w: World, bot: Bot, p: Params) -> Any:
    chat, me = bot_chat(w, bot, p)
    require_right(me, "can_restrict_members", _NO_RESTRICT_RIGHTS)
    user_id = target_user(w, p, unknown="user not found")
    if user_id == bot.user.id:
        raise bad_request("can't remove self")
    target = w.member(chat.id, user_id)
    if target.status == "creator":
        raise bad_request("can't remove chat owner")
    if target.is_admin:
        raise bad_request(_IS_ADMIN)
    until = 0 if chat.type == "group" else restriction_until(p.get_int("until_date"), w.now())
    w.remove(chat, user_id, actor_id=bot.user.id, ban_until=until)
    return True


def unban_chat_member(w: World, bot: Bot, p: Params) -> Any:
    """Without only_if_banned this also removes a current member (Telegram's guarantee)."""
    chat, me = bot_chat(w, bot, p)
    require_right(me, "can_restrict_members", _NO_RESTRICT_RIGHTS)
    user_id = target_user(w, p, unknown="user not found")
    target = w.member(chat.id, user_id)
    if target.status == "kicked":
        w.change_member(chat, user_id, Member("left", is_member=False), actor_id=bot.user.id)
    elif target.active and not p.get_bool("only_if_banned"):
        if target.is_admin:
            raise bad_request(_IS_ADMIN)
        w.remove(chat, user_id, actor_id=bot.user.id)
    return True


def ban_chat_sender_chat(w: World, bot: Bot, p: Params) -> Any:
    chat, me = bot_chat(w, bot, p)
    require_right(me, "can_restrict_members", _NO_RESTRICT_RIGHTS)
    sender_chat_id = p.get_int("sender_chat_id", required=True)
    assert sender_chat_id is not None
    chat.banned_sender_chats.add(sender_chat_id)
    return True


def unban_chat_sender_chat(w: World, bot: Bot, p: Params) -> Any:
    chat, me = bot_chat(w, bot, p)
    require_right(me, "can_restrict_members", _NO_RESTRICT_RIGHTS)
    chat.banned_sender_chats.discard(p.get_int("sender_chat_id", required=True) or 0)
    return True


def get_chat_member(w: World, bot: Bot, p: Params) -> Any:
    chat = _member_list_chat(w, bot, p)
    user_id = target_user(w, p)
    return w.render_member(chat, user_id)


def get_chat_administrators(w: World, bot: Bot, p: Params) -> Any:
    chat = _member_list_chat(w, bot, p)
    return [w.render_member(chat, user_id) for user_id in w.admins(chat)]


def get_chat_member_count(w: World, bot: Bot, p: Params) -> Any:
    chat, _ = bot_chat(w, bot, p, public_ok=True)
    return sum(
        1
        for (chat_id, user_id) in list(w.members)
        if chat_id == chat.id and w.member(chat_id, user_id).active
    )


def _primary_link(w: World, bot: Bot, chat: Chat) -> str:
    if chat.primary_link is None:
        link = f"https://t.me/+{w.random_token(16)}"
        chat.primary_link = link
        chat.invite_links[link] = _link_object(w, bot, link, is_primary=True)
    return chat.primary_link


def _link_object(w: World, bot: Bot, link: str, *, is_primary: bool) -> dict[str, Any]:
    return {
        "invite_link": link,
        "creator": render.user(bot.user),
        "creates_join_request": False,
        "is_primary": is_primary,
        "is_revoked": False,
    }


def get_chat(w: World, bot: Bot, p: Params) -> Any:
    chat, me = bot_chat(w, bot, p, public_ok=True)
    link = _primary_link(w, bot, chat) if me.can("can_invite_users") else None
    private_user = w.users.get(chat.id) if chat.type == "private" else None
    return render.full_chat(chat, private_user=private_user, invite_link=link)


def create_chat_invite_link(w: World, bot: Bot, p: Params) -> Any:
    chat, me = bot_chat(w, bot, p)
    require_right(me, "can_invite_users", "not enough rights to manage chat invite link")
    creates_join_request = p.get_bool("creates_join_request")
    member_limit = p.get_int("member_limit")
    if creates_join_request and member_limit:
        raise bad_request("member_limit can't be specified with creates_join_request")
    link = f"https://t.me/+{w.random_token(16)}"
    obj = _link_object(w, bot, link, is_primary=False)
    obj["creates_join_request"] = creates_join_request
    for key, value in (
        ("name", p.get_str("name")),
        ("expire_date", p.get_int("expire_date")),
        ("member_limit", member_limit),
    ):
        if value is not None:
            obj[key] = value
    chat.invite_links[link] = obj
    return dict(obj)


def export_chat_invite_link(w: World, bot: Bot, p: Params) -> Any:
    chat, me = bot_chat(w, bot, p)
    require_right(me, "can_invite_users", "not enough rights to manage chat invite link")
    if chat.primary_link is not None:
        chat.invite_links[chat.primary_link]["is_revoked"] = True
    chat.primary_link = None
    return _primary_link(w, bot, chat)


def _join_request(w: World, bot: Bot, p: Params) -> tuple[Chat, int]:
    chat, me = bot_chat(w, bot, p)
    require_right(me, "can_invite_users", "CHAT_ADMIN_REQUIRED")
    user_id = target_user(w, p, unknown="USER_ID_INVALID")
    if w.member(chat.id, user_id).active:
        raise bad_request("USER_ALREADY_PARTICIPANT")
    if user_id not in chat.join_requests:
        raise bad_request("HIDE_REQUESTER_MISSING")
    return chat, user_id


def approve_chat_join_request(w: World, bot: Bot, p: Params) -> Any:
    chat, user_id = _join_request(w, bot, p)
    w.join(chat, user_id, actor_id=bot.user.id, via_join_request=True)
    return True


def decline_chat_join_request(w: World, bot: Bot, p: Params) -> Any:
    chat, user_id = _join_request(w, bot, p)
    chat.join_requests.pop(user_id, None)
    return True


def set_chat_permissions(w: World, bot: Bot, p: Params) -> Any:
    chat, me = bot_chat(w, bot, p)
    if chat.type not in ("group", "supergroup"):
        raise bad_request("method is available only for groups and supergroups")
    require_right(me, "can_restrict_members", "not enough rights to change chat permissions")
    chat.permissions = normalize_permissions(
        p.get_obj("permissions", required=True) or {},
        independent=p.get_bool("use_independent_chat_permissions"),
    )
    return True


def leave_chat(w: World, bot: Bot, p: Params) -> Any:
    chat = w.api_chat(p.chat_ref())
    if chat.type == "private":
        raise bad_request("chat member status can't be changed in private chats")
    if not w.member(chat.id, bot.user.id).active:
        raise forbidden(f"bot is not a member of the {chat.type} chat")
    w.remove(chat, bot.user.id, actor_id=bot.user.id)
    return True
