"""Everything the bot says, HTML-escaped. Keyed by language; English is the fallback."""

from __future__ import annotations

import html
import string
from typing import Any

from chalicelib.enforcement.locales import EN, LANGUAGES
from chalicelib.store.records import ChannelRef

VERIFY_PREFIX = "nz:v:"

TEXTS = LANGUAGES
_EN = EN
PLACEHOLDERS = ("mention", "group", "channels")


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


def validate_template(template: str) -> str | None:
    """Why an admin's notice template cannot be used, or None when it is fine.

    Only ``{mention}``, ``{group}`` and ``{channels}`` are allowed, with no format specs,
    conversions, attribute or index access; the rest is plain text (escaped when shown).
    """
    if not template.strip() or len(template) > 1024:
        return "the template must be 1-1024 characters"
    try:
        parts = list(string.Formatter().parse(template))
    except ValueError as exc:
        return f"the template has a stray brace ({exc})"
    for _, name, spec, conversion in parts:
        if name is None:
            continue
        if name not in PLACEHOLDERS or spec or conversion:
            return "use only {mention}, {group} and {channels}"
    return None


def render_notice(
    template: str | None, language: str | None, *, mention: str, group: str, channels: str
) -> str:
    """The join notice: the group's own template when valid, else the language's text.

    ``template`` is plain text from an admin: it is escaped before the (already escaped)
    values are put in, so it can never break the message's HTML.
    """
    if template and validate_template(template) is None:
        return esc(template).format(mention=mention, group=group, channels=channels)
    return text("join_notice", language, mention=mention, group=group, channels=channels)


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
