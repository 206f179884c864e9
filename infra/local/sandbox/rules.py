"""Telegram's permission arithmetic, kept apart from state so it reads like the docs."""

from __future__ import annotations

from collections.abc import Mapping

from infra.local.sandbox.model import PERMISSION_FIELDS, Member

FOREVER = 0
_MIN_RESTRICTION = 30
_MAX_RESTRICTION = 366 * 24 * 3600
DELETE_WINDOW = 48 * 3600

_MEDIA_AND_TEXT = (
    "can_send_messages",
    "can_send_audios",
    "can_send_documents",
    "can_send_photos",
    "can_send_videos",
    "can_send_video_notes",
    "can_send_voice_notes",
)

KIND_PERMISSION: dict[str, str] = {
    "text": "can_send_messages",
    "contact": "can_send_messages",
    "location": "can_send_messages",
    "photo": "can_send_photos",
    "video": "can_send_videos",
    "audio": "can_send_audios",
    "document": "can_send_documents",
    "voice": "can_send_voice_notes",
    "video_note": "can_send_video_notes",
    "sticker": "can_send_other_messages",
    "animation": "can_send_other_messages",
    "dice": "can_send_other_messages",
}


def default_permissions(*, is_forum: bool = False) -> dict[str, bool]:
    """What a fresh group lets ordinary members do."""
    perms = dict.fromkeys(PERMISSION_FIELDS, True)
    perms.update(can_change_info=False, can_pin_messages=False, can_manage_topics=is_forum)
    return perms


def normalize_permissions(given: Mapping[str, object], *, independent: bool) -> dict[str, bool]:
    """Fill omitted permissions with False and apply the documented implications.

    Without `use_independent_chat_permissions`, can_send_other_messages and
    can_add_web_page_previews imply the text and media permissions, and can_send_polls
    implies can_send_messages.
    """
    perms = {name: bool(given.get(name, False)) for name in PERMISSION_FIELDS}
    if not independent:
        if perms["can_send_other_messages"] or perms["can_add_web_page_previews"]:
            perms.update(dict.fromkeys(_MEDIA_AND_TEXT, True))
        if perms["can_send_polls"]:
            perms["can_send_messages"] = True
    return perms


def at_least(perms: Mapping[str, bool], baseline: Mapping[str, bool]) -> bool:
    """True when `perms` allows everything `baseline` allows."""
    return all(perms.get(k, False) or not baseline.get(k, False) for k in PERMISSION_FIELDS)


def restriction_until(until_date: int | None, now: int) -> int:
    """Less than 30 s or more than 366 days from now means forever (0)."""
    if not until_date:
        return FOREVER
    delta = until_date - now
    if delta < _MIN_RESTRICTION or delta > _MAX_RESTRICTION:
        return FOREVER
    return until_date


def effective_permissions(member: Member, chat_defaults: Mapping[str, bool]) -> dict[str, bool]:
    """What a member may do: admins everything, restricted users the AND with the defaults."""
    if member.is_admin:
        return dict.fromkeys(PERMISSION_FIELDS, True)
    if member.status == "restricted":
        return {
            k: member.permissions.get(k, False) and chat_defaults.get(k, False)
            for k in PERMISSION_FIELDS
        }
    return {k: chat_defaults.get(k, False) for k in PERMISSION_FIELDS}
