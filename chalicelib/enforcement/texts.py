"""Everything the bot says, HTML-escaped. Keyed by language; English is the fallback."""

from __future__ import annotations

import html
from typing import Any

from chalicelib.store.records import ChannelRef

VERIFY_PREFIX = "nz:v:"

_EN = {
    "join_notice": (
        "{mention}, to write in <b>{group}</b> please join {channels} first, "
        "then press the button below."
    ),
    "join_button": "Join {title}",
    "joined_button": "✅ I have joined",
    "not_your_button": "This button is for {name}. Join the channels and you can write too.",
    "still_missing": "You have not joined yet: {channels}",
    "verified": "Thank you! You can write now.",
    "throttled": "Just a moment, checking again in a few seconds.",
    "cannot_check": "Telegram did not answer; please try again in a minute.",
    "gone": "This notice is no longer valid.",
    "admins_only": "Only group admins can use {command}.",
    "protect_usage": (
        "Usage: <code>/protect @channel [@channel2 …]</code> — channel usernames or numeric ids."
    ),
    "protected": "🛡 <b>{group}</b> is protected. Members must join: {channels}.",
    "protect_problems": "I cannot protect this group yet:\n{problems}",
    "need_group_rights": (
        "• make me an admin here with the rights to restrict members and delete messages"
    ),
    "need_channel_admin": "• make me an admin in {channel}",
    "channel_not_found": "• I cannot find the channel {channel}: check the name or add me to it",
    "not_a_channel": "• {channel} is not a channel",
    "unprotected": "Protection is off. I lifted {count} mute(s) I had applied.",
    "not_protected": "This group is not protected. Use /protect @channel to start.",
    "status": (
        "🛡 <b>{group}</b>: protection is <b>{state}</b>.\nRequired: {channels}\n"
        "Muted by me now: {muted}"
    ),
    "state_on": "on",
    "state_off": "off",
    "settings": (
        "Settings of <b>{group}</b>:\n• notice lifetime: {notice_ttl} s\n"
        "• when membership cannot be checked: {unknown_policy}\n"
        "• members posting as a channel: {sender_chat_policy}\n• bots allowed: {allow_bots}"
    ),
    "help": (
        "I keep this group for channel subscribers.\n"
        "/protect @channel [@channel2 …] — require channels (admins)\n"
        "/unprotect — stop and lift my mutes (admins)\n"
        "/status — what is required and who is muted\n/settings — current settings"
    ),
    "start": (
        "Hi! I let people write in a group only while they are subscribed to the channels "
        "the group requires.\nAdd me to your group as an admin, make me an admin of your "
        'channels, then send <code>/protect @channel</code> in the group.\n<a href="{add_link}">'
        "Add me to a group</a>"
    ),
}

TEXTS: dict[str, dict[str, str]] = {"en": _EN}


def esc(value: object) -> str:
    """Escape for Telegram's HTML parse mode."""
    return html.escape(str(value), quote=True)


def text(key: str, language: str | None = None, **values: Any) -> str:
    """The text ``key`` in ``language`` (falling back to English), placeholders filled.

    Values are inserted as given: callers escape user-supplied values with ``esc``.
    """
    table = TEXTS.get((language or "en")[:2].lower(), _EN)
    template = table.get(key) or _EN[key]
    return template.format(**values)


def mention(user_id: int, name: str) -> str:
    """An HTML mention of a user that works without a username."""
    return f'<a href="tg://user?id={int(user_id)}">{esc(name or "member")}</a>'


def channel_label(channel: ChannelRef) -> str:
    """How a channel is named in a notice (escaped)."""
    if channel.username:
        return f"@{esc(channel.username)}"
    return f"<b>{esc(channel.title or channel.chat_id)}</b>"


def channel_list(channels: list[ChannelRef]) -> str:
    """Comma-separated escaped channel labels."""
    return ", ".join(channel_label(c) for c in channels)


def channel_url(channel: ChannelRef) -> str | None:
    """A link that opens the channel: its public t.me link, else its invite link."""
    if channel.username:
        return f"https://t.me/{channel.username}"
    return channel.invite_link


def join_keyboard(
    channels: list[ChannelRef], user_id: int, language: str | None = None
) -> dict[str, Any]:
    """One join button per missing channel and the "I have joined" button for ``user_id``."""
    rows: list[list[dict[str, str]]] = []
    for channel in channels:
        url = channel_url(channel)
        if url:
            label = text("join_button", language, title=channel.title or channel.username or "")
            rows.append([{"text": label[:64], "url": url}])
    rows.append(
        [{"text": text("joined_button", language), "callback_data": f"{VERIFY_PREFIX}{user_id}"}]
    )
    return {"inline_keyboard": rows}
