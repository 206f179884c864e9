"""Group admin commands (/protect, /unprotect, /status, /settings, /help) and /start.

Replies and the commands themselves are deleted after the group's notice TTL.
"""

from __future__ import annotations

import re
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Protocol

from telegram import Message, MessageEntity

from chalicelib.enforcement import texts
from chalicelib.enforcement.actions import MemberActions
from chalicelib.enforcement.context import EventRecorder, UpdateContext
from chalicelib.enforcement.gate import ADMIN_STATUSES, Gate
from chalicelib.enforcement.policy import GroupSettings
from chalicelib.errors import InvalidInput, RateLimited
from chalicelib.store.bundle import Stores
from chalicelib.store.records import ChannelRef, GroupRecord
from chalicelib.telegram.errors import BotApiError

#: /settings names an admin types → GroupSettings fields.
SETTING_NAMES = {
    "notice_ttl": "notice_ttl",
    "unknown": "unknown_policy",
    "sender_chat": "sender_chat_policy",
    "bots": "allow_bots",
    "kick_after": "kick_after_minutes",
    "language": "language",
    "template": "notice_template",
    "join_request_timeout": "join_request_timeout_minutes",
}
_OFF = ("off", "none", "auto", "default", "")
MAX_CHANNELS = 10
UNPROTECT_INLINE_LIMIT = 200
_CHANNEL_ARG = re.compile(r"^(@[A-Za-z0-9_]{4,32}|-?\d{5,20})$")


@dataclass(frozen=True)
class Command:
    """A parsed bot command addressed to us."""

    name: str
    args: list[str]


def parse_command(message: Message, bot_username: str) -> Command | None:
    """The command at the start of ``message`` if it is meant for this bot."""
    body = message.text or ""
    entities = message.entities or ()
    if not entities or entities[0].type != MessageEntity.BOT_COMMAND or entities[0].offset:
        return None
    head = body[: entities[0].length]
    name, _, addressee = head[1:].partition("@")
    if addressee and addressee.lower() != bot_username.lower():
        return None
    return Command(name=name.lower(), args=body[entities[0].length :].split())


class LoginLinks(Protocol):
    """Dashboard sign-in links (``chalicelib.auth.service.Auth``)."""

    def is_login_bot(self, username: str | None) -> bool:
        """Is this the bot that answers /login?"""
        ...

    def magic_link_for(self, user_id: int) -> str | None:
        """A one-time link for an operator, None for anyone else."""
        ...


class Commands:
    """Runs commands; every reply is HTML with user-supplied values escaped."""

    def __init__(
        self,
        stores: Stores,
        gate: Gate,
        actions: MemberActions,
        recorder: EventRecorder,
        *,
        clock: Callable[[], float] = time.time,
        login: Callable[[], LoginLinks] | None = None,
    ) -> None:
        self._stores = stores
        self._gate = gate
        self._actions = actions
        self._recorder = recorder
        self._clock = clock
        self._login = login

    def private(self, ctx: UpdateContext, message: Message, command: Command) -> str:
        """Commands in a private chat with the bot."""
        if command.name in ("start", "help"):
            add_link = f"https://t.me/{ctx.bot.username}?startgroup=protect"
            language = message.from_user.language_code if message.from_user else None
            reply = texts.text("start", language, add_link=texts.esc(add_link))
            if command.name == "help":
                reply = texts.text("help", language)
            ctx.api.call("sendMessage", chat_id=message.chat.id, text=reply, parse_mode="HTML")
            return f"command:{command.name}"
        if command.name == "login" and self._login is not None and message.from_user:
            return self._login_link(ctx, message, self._login())
        return "ignored:command"

    def _login_link(self, ctx: UpdateContext, message: Message, login: LoginLinks) -> str:
        """/login in a private chat with the login bot: a one-time dashboard link."""
        if not login.is_login_bot(ctx.bot.username) or message.from_user is None:
            return "ignored:command"
        language = message.from_user.language_code
        try:
            url = login.magic_link_for(message.from_user.id)
        except RateLimited:
            reply = texts.text("throttled", language)
        else:
            reply = (
                texts.text("login_link", language, url=texts.esc(url))
                if url
                else texts.text("not_operator", language)
            )
        ctx.api.call(
            "sendMessage",
            chat_id=message.chat.id,
            text=reply,
            parse_mode="HTML",
            link_preview_options={"is_disabled": True},
        )
        return "command:login"

    def in_group(self, ctx: UpdateContext, message: Message, command: Command) -> str:
        """Commands in a group; admin commands check the sender first."""
        handler = {
            "protect": self._protect,
            "unprotect": self._unprotect,
            "status": self._status,
            "settings": self._settings,
            "whitelist": self._whitelist,
            "help": self._help,
        }.get(command.name)
        if handler is None:
            return "ignored:command"
        group = self._stores.groups.find(ctx.bot_id, message.chat.id)
        settings = GroupSettings.load(group.settings if group else None)
        language = settings.language or (
            message.from_user.language_code if message.from_user else None
        )
        if command.name not in ("help", "status") and not self._sender_is_admin(ctx, message):
            self._reply(
                ctx,
                message,
                texts.text("admins_only", language, command="/" + command.name),
                settings,
            )
            return "denied"
        reply = handler(ctx, message, command, group, language)
        self._reply(ctx, message, reply, settings)
        return f"command:{command.name}"

    def _sender_is_admin(self, ctx: UpdateContext, message: Message) -> bool:
        if message.sender_chat is not None:
            return message.sender_chat.id == message.chat.id  # anonymous admin
        if message.from_user is None:
            return False
        return self._gate.is_admin(ctx, message.chat.id, message.from_user.id)

    def _reply(
        self, ctx: UpdateContext, message: Message, body: str, settings: GroupSettings
    ) -> None:
        thread_id = message.message_thread_id if message.is_topic_message else None
        sent = ctx.api.call(
            "sendMessage",
            chat_id=message.chat.id,
            text=body,
            parse_mode="HTML",
            message_thread_id=thread_id,
            reply_parameters={
                "message_id": message.message_id,
                "allow_sending_without_reply": True,
            },
            link_preview_options={"is_disabled": True},
        )
        ttl = settings.notice_ttl
        self._actions.delete_later(ctx.bot_id, message.chat.id, message.message_id, ttl)
        if isinstance(sent, dict) and sent.get("message_id"):
            self._actions.delete_later(ctx.bot_id, message.chat.id, int(sent["message_id"]), ttl)

    # ----- /protect ------------------------------------------------------------------

    def _protect(
        self,
        ctx: UpdateContext,
        message: Message,
        command: Command,
        group: GroupRecord | None,
        language: str | None,
    ) -> str:
        args = list(dict.fromkeys(command.args))
        if not args or len(args) > MAX_CHANNELS or not all(_CHANNEL_ARG.match(a) for a in args):
            return texts.text("protect_usage", language)
        problems: list[str] = []
        me = ctx.api.call("getChatMember", chat_id=message.chat.id, user_id=ctx.bot_id) or {}
        if not (
            me.get("status") == "administrator"
            and me.get("can_restrict_members")
            and me.get("can_delete_messages")
        ):
            problems.append(texts.text("need_group_rights", language))
        channels: list[ChannelRef] = []
        for arg in args:
            channel, problem = self._resolve_channel(ctx, arg, language)
            if problem:
                problems.append(problem)
            elif channel:
                channels.append(channel)
        if problems:
            return texts.text("protect_problems", language, problems="\n".join(problems))
        now = self._clock()
        if group is None:
            group = GroupRecord(bot_id=ctx.bot_id, chat_id=message.chat.id, created_at=now)
        group.title = message.chat.title or group.title
        group.username = message.chat.username
        group.required_channels = channels
        group.enabled = True
        group.protected_by = message.from_user.id if message.from_user else None
        group.updated_at = now
        self._stores.groups.save(group)
        self._stores.links.set_links(ctx.bot_id, group.chat_id, [c.chat_id for c in channels])
        self._gate.forget_group(ctx.bot_id, group.chat_id)
        self._recorder.record(
            ctx,
            "group_protected",
            chat_id=group.chat_id,
            actor_id=group.protected_by,
            channels=[c.chat_id for c in channels],
            reason="command",
            detail={"title": group.title},
        )
        return texts.text(
            "protected",
            language,
            group=texts.esc(group.title),
            channels=texts.channel_list(channels),
        )

    def _resolve_channel(
        self, ctx: UpdateContext, arg: str, language: str | None
    ) -> tuple[ChannelRef | None, str | None]:
        label = texts.esc(arg)
        try:
            chat = ctx.api.call("getChat", chat_id=arg if arg.startswith("@") else int(arg))
        except BotApiError:
            return None, texts.text("channel_not_found", language, channel=label)
        if not isinstance(chat, dict) or chat.get("type") not in ("channel", "supergroup"):
            return None, texts.text("not_a_channel", language, channel=label)
        channel = ChannelRef(
            chat_id=int(chat["id"]),
            title=str(chat.get("title") or ""),
            username=chat.get("username"),
            invite_link=chat.get("invite_link"),
        )
        try:
            me = ctx.api.call("getChatMember", chat_id=channel.chat_id, user_id=ctx.bot_id)
        except BotApiError:
            me = {}
        if (me or {}).get("status") not in ADMIN_STATUSES:
            return None, texts.text(
                "need_channel_admin", language, channel=texts.channel_label(channel)
            )
        if not channel.username and not channel.invite_link:
            channel.invite_link = self._invite_link(ctx, channel.chat_id)
        return channel, None

    def _invite_link(self, ctx: UpdateContext, chat_id: int) -> str | None:
        try:
            link = ctx.api.call("createChatInviteLink", chat_id=chat_id, name="Nezuko")
        except BotApiError:
            return None
        return str(link["invite_link"]) if isinstance(link, dict) else None

    # ----- /unprotect, /status, /settings, /help ---------------------------------------

    def _unprotect(
        self,
        ctx: UpdateContext,
        message: Message,
        command: Command,
        group: GroupRecord | None,
        language: str | None,
    ) -> str:
        if group is None or not group.enabled:
            return texts.text("not_protected", language)
        group.enabled = False
        group.updated_at = self._clock()
        self._stores.groups.save(group)
        self._stores.links.set_links(ctx.bot_id, group.chat_id, [])
        self._gate.forget_group(ctx.bot_id, group.chat_id)
        lifted, more = self._actions.release_mutes(ctx, group.chat_id, limit=UNPROTECT_INLINE_LIMIT)
        if more:
            self._actions.release_later(ctx.bot_id, group.chat_id)
        self._recorder.record(
            ctx,
            "group_unprotected",
            chat_id=group.chat_id,
            actor_id=message.from_user.id if message.from_user else None,
            reason="command",
            detail={"lifted": lifted},
        )
        return texts.text("unprotected", language, count=lifted)

    def _status(
        self,
        ctx: UpdateContext,
        message: Message,
        command: Command,
        group: GroupRecord | None,
        language: str | None,
    ) -> str:
        if group is None:
            return texts.text("not_protected", language)
        muted = len(self._stores.members.list_for_group(ctx.bot_id, group.chat_id, muted_only=True))
        state = texts.text("state_on" if group.enabled else "state_off", language)
        return texts.text(
            "status",
            language,
            group=texts.esc(group.title or message.chat.title or ""),
            state=state,
            channels=texts.channel_list(group.required_channels) or "—",
            muted=muted,
        )

    def _settings(
        self,
        ctx: UpdateContext,
        message: Message,
        command: Command,
        group: GroupRecord | None,
        language: str | None,
    ) -> str:
        if group is None:
            return texts.text("not_protected", language)
        settings = GroupSettings.load(group.settings)
        if not command.args:
            lines = "\n".join(
                f"• <code>{name}</code>: {texts.esc(_show(getattr(settings, field)))}"
                for name, field in SETTING_NAMES.items()
            )
            return texts.text("settings", language, group=texts.esc(group.title), lines=lines)
        name, raw = command.args[0].lower(), " ".join(command.args[1:])
        field = SETTING_NAMES.get(name)
        if field is None:
            return texts.text("settings_unknown", language, names=", ".join(SETTING_NAMES))
        try:
            changed = settings.changed(**{field: _parse_setting(field, raw)})
        except (InvalidInput, ValueError) as exc:
            problem = exc.message if isinstance(exc, InvalidInput) else str(exc)
            return texts.text("settings_invalid", language, problem=texts.esc(problem))
        self._save_settings(ctx, message, group, settings, changed)
        value = _show(getattr(changed, field))
        return texts.text("settings_changed", language, name=name, value=texts.esc(value))

    def _save_settings(
        self,
        ctx: UpdateContext,
        message: Message,
        group: GroupRecord,
        before: GroupSettings,
        after: GroupSettings,
    ) -> None:
        group.settings = after.model_dump()
        group.updated_at = self._clock()
        self._stores.groups.save(group)
        self._gate.forget_group(ctx.bot_id, group.chat_id)
        old, new = before.model_dump(), after.model_dump()
        self._recorder.record(
            ctx,
            "settings_changed",
            chat_id=group.chat_id,
            actor_id=_actor(message),
            reason="telegram",
            # Same shape as the dashboard's audit events, so the audit log reads both alike.
            detail={
                "changes": {k: {"from": old[k], "to": new[k]} for k in new if old[k] != new[k]}
            },
        )

    def _whitelist(
        self,
        ctx: UpdateContext,
        message: Message,
        command: Command,
        group: GroupRecord | None,
        language: str | None,
    ) -> str:
        if group is None:
            return texts.text("not_protected", language)
        settings = GroupSettings.load(group.settings)
        action = command.args[0].lower() if command.args else ""
        if action == "list":
            if not settings.whitelist:
                return texts.text("whitelist_empty", language)
            listed = ", ".join(f"<code>{i}</code>" for i in settings.whitelist)
            return texts.text("whitelist_list", language, ids=listed)
        target = _target_user(message, command.args[1:])
        if action not in ("add", "remove") or target is None:
            return texts.text("whitelist_usage", language)
        user_id, name = target
        ids = [i for i in settings.whitelist if i != user_id]
        if action == "add":
            ids.append(user_id)
        try:
            changed = settings.changed(whitelist=ids)
        except InvalidInput as exc:
            return texts.text("settings_invalid", language, problem=texts.esc(exc.message))
        self._save_settings(ctx, message, group, settings, changed)
        if action == "add":
            self._release(ctx, group.chat_id, user_id)
        key = "whitelist_added" if action == "add" else "whitelist_removed"
        return texts.text(key, language, who=texts.mention(user_id, name))

    def _release(self, ctx: UpdateContext, chat_id: int, user_id: int) -> None:
        """A newly whitelisted member we had muted is let in at once."""
        ledger = self._stores.members.find(ctx.bot_id, chat_id, user_id)
        if ledger is None or not ledger.muted:
            return
        self._actions.lift(ctx, ledger)
        self._actions.withdraw_notice(ctx, ledger)
        self._stores.members.save(ledger)

    def _help(
        self,
        ctx: UpdateContext,
        message: Message,
        command: Command,
        group: GroupRecord | None,
        language: str | None,
    ) -> str:
        return texts.text("help", language)


def _parse_setting(field: str, raw: str) -> object:
    """An admin's text → the value a setting takes (validated by GroupSettings)."""
    value = raw.strip()
    if field == "allow_bots":
        if value.lower() in ("on", "yes", "true", "allow"):
            return True
        if value.lower() in ("off", "no", "false", "deny"):
            return False
        raise ValueError("use on or off")
    if field in ("kick_after_minutes", "language", "notice_template") and value.lower() in _OFF:
        return None
    if field in ("notice_ttl", "kick_after_minutes", "join_request_timeout_minutes"):
        if not value.isdigit():
            raise ValueError("a whole number is needed")
        return int(value)
    return value.lower() if field != "notice_template" else value


def _show(value: object) -> str:
    if value is None:
        return "off"
    if isinstance(value, bool):
        return "on" if value else "off"
    if isinstance(value, list):
        return str(len(value))
    return str(value)


def _actor(message: Message) -> int | None:
    if message.sender_chat is not None:
        return message.sender_chat.id
    return message.from_user.id if message.from_user else None


def _target_user(message: Message, args: list[str]) -> tuple[int, str] | None:
    """Whom a /whitelist command is about: the replied-to sender, or a numeric id."""
    reply = message.reply_to_message
    if reply is not None and reply.from_user is not None and not args:
        return reply.from_user.id, reply.from_user.first_name
    if len(args) == 1 and args[0].isdigit() and len(args[0]) <= 20:
        return int(args[0]), args[0]
    return None
