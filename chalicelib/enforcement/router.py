"""Dispatch one parsed update to the rule that handles it."""

from __future__ import annotations

from telegram import ChatMemberUpdated, Message, Update

from chalicelib.enforcement.button import JoinedButton
from chalicelib.enforcement.commands import Commands, parse_command
from chalicelib.enforcement.context import EventRecorder, UpdateContext
from chalicelib.enforcement.gate import Gate
from chalicelib.enforcement.lifecycle import JOIN_PREFIX, Lifecycle
from chalicelib.enforcement.membership import counts_as_member
from chalicelib.store.records import BotRecord

GROUP_TYPES = ("group", "supergroup")

# Service messages carry one of these; they are never gated.
_SERVICE_FIELDS = (
    "left_chat_member",
    "new_chat_title",
    "new_chat_photo",
    "delete_chat_photo",
    "group_chat_created",
    "supergroup_chat_created",
    "channel_chat_created",
    "message_auto_delete_timer_changed",
    "migrate_to_chat_id",
    "migrate_from_chat_id",
    "pinned_message",
    "forum_topic_created",
    "forum_topic_edited",
    "forum_topic_closed",
    "forum_topic_reopened",
    "general_forum_topic_hidden",
    "general_forum_topic_unhidden",
    "video_chat_scheduled",
    "video_chat_started",
    "video_chat_ended",
    "video_chat_participants_invited",
    "users_shared",
    "chat_shared",
    "write_access_allowed",
    "boost_added",
    "chat_background_set",
    "proximity_alert_triggered",
    "giveaway_created",
    "giveaway_completed",
    "giveaway_winners",
)


def is_service_message(message: Message) -> bool:
    """True for Telegram's own notices in a chat (joins, titles, pins, topics, ...)."""
    return any(getattr(message, name, None) for name in _SERVICE_FIELDS)


class UpdateRouter:
    """Routes updates; returns a short outcome label for logs and the webhook answer."""

    def __init__(
        self,
        gate: Gate,
        commands: Commands,
        recorder: EventRecorder,
        lifecycle: Lifecycle,
        button: JoinedButton,
    ) -> None:
        self._gate = gate
        self._button = button
        self._commands = commands
        self._recorder = recorder
        self._lifecycle = lifecycle

    def route(self, ctx: UpdateContext, update: Update) -> str:
        """Handle ``update``; anything we do not handle is ignored (200)."""
        message = update.message or update.edited_message
        if message is not None:
            return self._message(ctx, message)
        query = update.callback_query
        if query is not None:
            if (query.data or "").startswith(JOIN_PREFIX):
                return self._lifecycle.on_join_button(
                    ctx, query.id, query.from_user.id, query.data or ""
                )
            return self._button.on_button(ctx, query)
        if update.chat_join_request is not None:
            return self._lifecycle.on_join_request(ctx, update.chat_join_request)
        if update.chat_member is not None:
            return self._chat_member(ctx, update.chat_member)
        if update.my_chat_member is not None:
            return self._lifecycle.on_bot_status(ctx, update.my_chat_member)
        return "ignored:kind"

    def without_effects(self, bot: BotRecord, update: Update) -> str | None:
        """The outcome of ``update`` if handling it certainly does nothing, from this
        container's memory alone (no I/O); None when it has to be handled for real."""
        message = update.message or update.edited_message
        if message is None or message.chat.type not in GROUP_TYPES:
            return None
        user = message.from_user
        if (
            user is None
            or user.is_bot
            or message.sender_chat is not None
            or message.new_chat_members
            or is_service_message(message)
            or parse_command(message, bot.username) is not None
        ):
            return None
        if self._gate.cached_member(bot.bot_id, message.chat.id, user.id):
            return "allowed:cached"
        return None

    def _message(self, ctx: UpdateContext, message: Message) -> str:
        chat = message.chat
        command = parse_command(message, ctx.bot.username)
        if chat.type == "private":
            return self._commands.private(ctx, message, command) if command else "ignored:private"
        if chat.type not in GROUP_TYPES:
            return "ignored:chat_type"
        if message.migrate_to_chat_id:
            return self._lifecycle.migrate(ctx, chat.id, message.migrate_to_chat_id)
        if message.migrate_from_chat_id:
            return self._lifecycle.migrate(ctx, message.migrate_from_chat_id, chat.id)
        if message.new_chat_members:
            group = self._gate.protected_group(ctx.bot_id, chat.id)
            if group is None:
                return "ignored:not_protected"
            return ",".join(
                self._gate.on_join(ctx, group, user, via="service_message")
                for user in message.new_chat_members
            )
        if is_service_message(message):
            return "ignored:service"
        group = self._gate.protected_group(ctx.bot_id, chat.id)
        if group is not None:
            outcome = self._gate.on_message(ctx, group, message)
            if outcome == "blocked" or outcome.startswith("sender_chat:"):
                return outcome
            if command is None:
                return outcome
        if command is not None:
            return self._commands.in_group(ctx, message, command)
        return "ignored:not_protected"

    def _chat_member(self, ctx: UpdateContext, update: ChatMemberUpdated) -> str:
        outcomes = []
        if update.chat.type == "channel" or update.chat.type == "supergroup":
            outcomes.append(self._gate.on_channel_member(ctx, update))
        if update.chat.type in GROUP_TYPES:
            group = self._gate.protected_group(ctx.bot_id, update.chat.id)
            joined = counts_as_member(update.new_chat_member.to_dict()) and not counts_as_member(
                update.old_chat_member.to_dict()
            )
            if group is not None and joined:
                outcomes.append(
                    self._gate.on_join(
                        ctx,
                        group,
                        update.new_chat_member.user,
                        status=update.new_chat_member.status,
                    )
                )
        return ",".join(o for o in outcomes if not o.startswith("ignored")) or "ignored:member"
