"""Records → Bot API objects (plain dicts shaped exactly like the reference)."""

from __future__ import annotations

from typing import Any

from infra.local.sandbox.model import (
    ADMIN_REQUIRED_RIGHTS,
    CHANNEL_ONLY_RIGHTS,
    PERMISSION_FIELDS,
    Bot,
    Chat,
    Member,
    User,
)


def _drop_none(d: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in d.items() if v is not None}


def user(u: User) -> dict[str, Any]:
    return _drop_none(
        {
            "id": u.id,
            "is_bot": u.is_bot,
            "first_name": u.first_name,
            "last_name": u.last_name,
            "username": u.username,
            "language_code": u.language_code,
            "is_premium": True if u.is_premium else None,
        }
    )


def me(bot: Bot) -> dict[str, Any]:
    """getMe: a User with the bot-only capability fields."""
    return {
        **user(bot.user),
        "can_join_groups": True,
        "can_read_all_group_messages": bot.can_read_all_group_messages,
        "supports_inline_queries": False,
        "can_connect_to_business": False,
        "has_main_web_app": False,
    }


def chat(c: Chat, private_user: User | None = None) -> dict[str, Any]:
    if c.type == "private" and private_user is not None:
        return _drop_none(
            {
                "id": c.id,
                "type": "private",
                "first_name": private_user.first_name,
                "last_name": private_user.last_name,
                "username": private_user.username,
            }
        )
    return _drop_none(
        {
            "id": c.id,
            "type": c.type,
            "title": c.title,
            "username": c.username,
            "is_forum": True if c.is_forum else None,
        }
    )


def permissions(perms: dict[str, bool]) -> dict[str, bool]:
    return {name: bool(perms.get(name, False)) for name in PERMISSION_FIELDS}


def full_chat(
    c: Chat, *, private_user: User | None = None, invite_link: str | None = None
) -> dict[str, Any]:
    """getChat: ChatFullInfo with the fields our product reads."""
    info: dict[str, Any] = {
        **chat(c, private_user),
        "accent_color_id": 0,
        "max_reaction_count": 11,
        "accepted_gift_types": {
            "unlimited_gifts": False,
            "limited_gifts": False,
            "unique_gifts": False,
            "premium_subscription": False,
            "gifts_from_channels": False,
        },
    }
    if c.type in ("group", "supergroup"):
        info["permissions"] = permissions(c.permissions)
    if c.type != "private":
        info.update(
            _drop_none(
                {
                    "description": c.description,
                    "invite_link": invite_link,
                    "linked_chat_id": c.linked_chat_id,
                    "join_by_request": True if c.join_by_request else None,
                }
            )
        )
    return info


def member(m: Member, u: User, chat_type: str) -> dict[str, Any]:
    """A ChatMember of the subtype its status names."""
    base: dict[str, Any] = {"status": m.status, "user": user(u)}
    if m.status == "creator":
        base["is_anonymous"] = m.rights.get("is_anonymous", False)
        if m.custom_title:
            base["custom_title"] = m.custom_title
    elif m.status == "administrator":
        base["can_be_edited"] = False
        base.update({r: m.rights.get(r, False) for r in ADMIN_REQUIRED_RIGHTS})
        base["can_manage_chat"] = True
        if chat_type == "channel":
            base.update({r: m.rights.get(r, False) for r in CHANNEL_ONLY_RIGHTS})
        else:
            base["can_pin_messages"] = m.rights.get("can_pin_messages", False)
            if chat_type == "supergroup":
                base["can_manage_topics"] = m.rights.get("can_manage_topics", False)
        if m.custom_title:
            base["custom_title"] = m.custom_title
    elif m.status == "restricted":
        base["is_member"] = m.is_member
        base.update(permissions(m.permissions))
        base["until_date"] = m.until_date
    elif m.status == "kicked":
        base["until_date"] = m.until_date
    return base
