"""The membership rules: who may write, who gets muted, who gets let back in."""

from __future__ import annotations

import contextlib
import time
from collections.abc import Callable
from typing import Any

from telegram import ChatMemberUpdated, Message, User

from chalicelib.enforcement.actions import MemberActions
from chalicelib.enforcement.context import (
    TELEGRAM_SERVICE_IDS,
    EventRecorder,
    TtlCache,
    UpdateContext,
)
from chalicelib.enforcement.membership import (
    MEMBER,
    NOT_MEMBER,
    MembershipChecker,
    Verdict,
    counts_as_member,
)
from chalicelib.enforcement.policy import GroupSettings, permissions_of
from chalicelib.errors import NezukoError
from chalicelib.store.bundle import Stores
from chalicelib.store.records import GroupRecord, JobRecord, MemberRecord
from chalicelib.telegram.errors import TelegramBadRequest

RECHECK_AFTER = (300, 900, 3600)  # seconds after a mute when we look again ourselves
ADMIN_STATUSES = ("creator", "administrator")


class Gate:
    """Applies the rules to messages, joins, channel membership changes and the button."""

    def __init__(
        self,
        stores: Stores,
        checker: MembershipChecker,
        actions: MemberActions,
        recorder: EventRecorder,
        *,
        groups_cache: TtlCache[tuple[int, int], GroupRecord | None],
        admins_cache: TtlCache[tuple[int, int, int], bool],
        clock: Callable[[], float] = time.time,
    ) -> None:
        self._stores = stores
        self._checker = checker
        self._actions = actions
        self._recorder = recorder
        self._groups = groups_cache
        self._admins = admins_cache
        self._clock = clock
        # Joins arrive twice (chat_member and the service message): remove a bot once.
        self._removed: TtlCache[tuple[int, int, int], bool] = TtlCache(120.0)

    # ----- lookups -------------------------------------------------------------------

    def protected_group(self, bot_id: int, chat_id: int) -> GroupRecord | None:
        """The group if this bot protects it and protection is on (cached briefly)."""
        key = (bot_id, chat_id)
        group = self._groups.get(key)
        if group is None:
            group = self._groups.put(key, self._stores.groups.find(bot_id, chat_id))
        if group is None or not group.enabled or not group.required_channels:
            return None
        return group

    def cached_member(self, bot_id: int, chat_id: int, user_id: int) -> bool:
        """Does this container know, without I/O, that the group is protected and the user
        is a verified member? (Then their message needs nothing from us.)"""
        group = self._groups.get((bot_id, chat_id))
        if group is None or not group.enabled or not group.required_channels:
            return False
        hit = self._checker.cached(bot_id, chat_id, user_id, None)
        return hit is not None and hit[0] == MEMBER

    def forget_group(self, bot_id: int, chat_id: int) -> None:
        """Drop the cached group after a change made in this container."""
        self._groups.forget((bot_id, chat_id))

    def group_member(self, ctx: UpdateContext, chat_id: int, user_id: int) -> dict[str, Any]:
        """The user's ChatMember in the group (admins are remembered for a while)."""
        member = ctx.api.call("getChatMember", chat_id=chat_id, user_id=user_id)
        member = member if isinstance(member, dict) else {}
        if member.get("status") in ADMIN_STATUSES:
            self._admins.put((ctx.bot_id, chat_id, user_id), True)
        return member

    def is_admin(self, ctx: UpdateContext, chat_id: int, user_id: int) -> bool:
        """Whether the user administers the group (cached positive answers)."""
        if self._admins.get((ctx.bot_id, chat_id, user_id)):
            return True
        return self.group_member(ctx, chat_id, user_id).get("status") in ADMIN_STATUSES

    def ledger_for(self, bot_id: int, chat_id: int, user: User) -> MemberRecord:
        ledger = self._stores.members.find(bot_id, chat_id, user.id)
        if ledger is None:
            ledger = MemberRecord(bot_id=bot_id, chat_id=chat_id, user_id=user.id)
        ledger.first_name = user.first_name or ""
        ledger.language_code = user.language_code
        return ledger

    def save_ledger(self, ctx: UpdateContext, ledger: MemberRecord, *, notice_sent: bool) -> None:
        """Write the ledger entry back (a Conflict means another delivery got there first)."""
        ledger.updated_at = self._clock()
        try:
            saved = self._stores.members.save(ledger)
        except NezukoError:
            self._actions.undo_notice(ctx, ledger, notice_sent)
            raise
        ledger.version = saved.version  # so a second write in this update is not a conflict

    def mute(
        self,
        ctx: UpdateContext,
        group: GroupRecord,
        ledger: MemberRecord,
        current: dict[str, Any] | None,
    ) -> bool:
        """Mute unless we already did. The ledger is claimed *before* Telegram is asked, so of
        two deliveries racing for one member only one restricts and posts a notice (the other's
        write conflicts and Telegram redelivers it)."""
        if ledger.muted:
            return False
        ledger.muted = True
        ledger.muted_at = self._clock()
        ledger.restore_permissions = permissions_of(current) if current else None
        self.save_ledger(ctx, ledger, notice_sent=False)
        try:
            self._actions.restrict(ctx, ledger)
        except NezukoError:
            ledger.muted, ledger.muted_at, ledger.restore_permissions = False, None, None
            with contextlib.suppress(NezukoError):  # the retry claims it again either way
                self.save_ledger(ctx, ledger, notice_sent=False)
            raise
        self.after_mute(ctx, group, ledger)
        return True

    def apply_verdict(self, ledger: MemberRecord, verdict: Verdict) -> None:
        if verdict.cache_hit:
            return
        ledger.verdict = verdict.status
        ledger.verdict_expires_at = verdict.expires_at
        ledger.missing_channels = [c.chat_id for c in verdict.missing]
        ledger.last_check_at = self._clock()

    # ----- messages ------------------------------------------------------------------

    def exemption(self, ctx: UpdateContext, group: GroupRecord, message: Message) -> str | None:
        """Why this message is never checked, or None."""
        chat_id = message.chat.id
        sender_chat = message.sender_chat
        if message.is_automatic_forward:
            return "automatic_forward"
        if sender_chat is not None and sender_chat.id == chat_id:
            return "anonymous_admin"
        if sender_chat is not None:
            return None  # posting as a channel: the group's sender-chat policy decides
        user = message.from_user
        if user is None:
            return "no_sender"
        if user.id in TELEGRAM_SERVICE_IDS and sender_chat is None:
            return "telegram_service"
        if user.id == ctx.bot_id:
            return "self"
        settings = GroupSettings.load(group.settings)
        if user.id in settings.whitelist:
            return "whitelisted"
        if user.is_bot and settings.allow_bots:
            return "bot"
        return None

    def on_message(self, ctx: UpdateContext, group: GroupRecord, message: Message) -> str:
        """Gate one message of any kind in a protected group."""
        exempt = self.exemption(ctx, group, message)
        if exempt:
            return f"exempt:{exempt}"
        if message.sender_chat is not None:
            return self._sender_chat_policy(ctx, group, message)
        user = message.from_user
        assert user is not None
        if user.is_bot:  # bots are exempt unless the group does not allow them
            if self.is_admin(ctx, group.chat_id, user.id):
                return "exempt:admin"
            return self.remove_bot(ctx, group, user, message.message_id)
        hit = self._checker.cached(ctx.bot_id, group.chat_id, user.id, None)
        if hit is not None and hit[0] == MEMBER:
            return "allowed:cached"
        ledger = self.ledger_for(ctx.bot_id, group.chat_id, user)
        verdict = self._checker.check(
            ctx.api, ctx.bot_id, group.chat_id, user.id, group.required_channels, ledger=ledger
        )
        if verdict.status == MEMBER:
            if not verdict.cache_hit:
                self.apply_verdict(ledger, verdict)
                self.save_ledger(ctx, ledger, notice_sent=False)
                self.record(ctx, "message_verified", group, user.id, verdict)
            return "allowed"
        if verdict.status == NOT_MEMBER:
            return self._block(ctx, group, message, user, ledger, verdict)
        return self._unknown(ctx, group, message, user, verdict)

    def _block(
        self,
        ctx: UpdateContext,
        group: GroupRecord,
        message: Message,
        user: User,
        ledger: MemberRecord,
        verdict: Verdict,
    ) -> str:
        current = None
        if not ledger.muted:
            if self._admins.get((ctx.bot_id, group.chat_id, user.id)):
                return "exempt:admin"
            current = self.group_member(ctx, group.chat_id, user.id)
            if current.get("status") in ADMIN_STATUSES:
                return "exempt:admin"
        self._actions.delete_message(ctx, group.chat_id, message.message_id)
        muted = self.mute(ctx, group, ledger, current)
        sent = self._actions.notify(
            ctx,
            group,
            ledger,
            verdict.missing,
            name=user.first_name,
            thread_id=_thread_of(message),
            language=user.language_code,
        )
        self.apply_verdict(ledger, verdict)
        self.save_ledger(ctx, ledger, notice_sent=sent)
        self.record(
            ctx,
            "message_blocked",
            group,
            user.id,
            verdict,
            reason="not_member",
            detail={"muted_now": muted, "notice": sent, "kind": _kind_of(message)},
        )
        return "blocked"

    def _unknown(
        self, ctx: UpdateContext, group: GroupRecord, message: Message, user: User, v: Verdict
    ) -> str:
        policy = GroupSettings.load(group.settings).unknown_policy
        if policy == "hold":
            self._actions.delete_message(ctx, group.chat_id, message.message_id)
        self.record(
            ctx,
            "membership_unknown",
            group,
            user.id,
            v,
            reason=f"policy_{policy}",
            channels=[c.chat_id for c in v.unknown],
            detail={"errors": v.errors},
        )
        return f"unknown:{policy}"

    def _sender_chat_policy(self, ctx: UpdateContext, group: GroupRecord, message: Message) -> str:
        """A member posting as their own channel cannot be checked: the group decides."""
        policy = GroupSettings.load(group.settings).sender_chat_policy
        sender = message.sender_chat
        assert sender is not None
        if policy == "allow":
            return "exempt:sender_chat_allowed"
        self._actions.delete_message(ctx, group.chat_id, message.message_id)
        if policy == "ban":
            ctx.api.call("banChatSenderChat", chat_id=group.chat_id, sender_chat_id=sender.id)
        self._recorder.record(
            ctx,
            "sender_chat_blocked",
            chat_id=group.chat_id,
            reason=f"policy_{policy}",
            detail={"sender_chat_id": sender.id},
        )
        return f"sender_chat:{policy}"

    # ----- joins ---------------------------------------------------------------------

    def on_join(
        self,
        ctx: UpdateContext,
        group: GroupRecord,
        user: User,
        *,
        status: str = "member",
        thread_id: int | None = None,
        via: str = "chat_member",
    ) -> str:
        """A user joined a protected group: let them be, or mute and tell them what to join."""
        settings = GroupSettings.load(group.settings)
        if status in ADMIN_STATUSES or user.id in TELEGRAM_SERVICE_IDS or user.id == ctx.bot_id:
            return "exempt"
        if user.id in settings.whitelist or (user.is_bot and settings.allow_bots):
            return "exempt"
        if user.is_bot:
            return self.remove_bot(ctx, group, user, None)
        ledger = self.ledger_for(ctx.bot_id, group.chat_id, user)
        if via == "service_message" and ledger.updated_at > self._clock() - 30:
            return "duplicate_join"  # the chat_member update already handled this join
        verdict = self._checker.check(
            ctx.api, ctx.bot_id, group.chat_id, user.id, group.required_channels, ledger=ledger
        )
        self.apply_verdict(ledger, verdict)
        if verdict.status == MEMBER:
            ledger.updated_at = self._clock()
            self.save_ledger(ctx, ledger, notice_sent=False)
            self.record(ctx, "join_verified", group, user.id, verdict, reason=via)
            return "verified"
        if verdict.status != NOT_MEMBER:
            self.save_ledger(ctx, ledger, notice_sent=False)
            self.record(ctx, "membership_unknown", group, user.id, verdict, reason=via)
            return "unknown"
        self.mute(ctx, group, ledger, None)
        sent = self._actions.notify(
            ctx,
            group,
            ledger,
            verdict.missing,
            name=user.first_name,
            thread_id=thread_id,
            language=user.language_code,
        )
        self.save_ledger(ctx, ledger, notice_sent=sent)
        self.record(ctx, "join_muted", group, user.id, verdict, reason=via)
        return "muted"

    # ----- channel membership --------------------------------------------------------

    def on_channel_member(self, ctx: UpdateContext, update: ChatMemberUpdated) -> str:
        """A user joined or left a required channel: act in every linked group at once."""
        channel_id = update.chat.id
        user = update.new_chat_member.user
        was = counts_as_member(update.old_chat_member.to_dict())
        now = counts_as_member(update.new_chat_member.to_dict())
        if was == now:
            return "ignored:no_change"
        group_ids = set(self._stores.links.groups_for_channel(ctx.bot_id, channel_id))
        if not group_ids:
            return "ignored:unlinked"
        results = []
        for ledger in self._stores.members.list_for_user(ctx.bot_id, user.id):
            if ledger.chat_id not in group_ids:
                continue
            group = self.protected_group(ctx.bot_id, ledger.chat_id)
            if group is None:
                continue
            self._checker.forget(ctx.bot_id, group.chat_id, user.id)
            ledger.first_name = user.first_name or ledger.first_name
            if now:
                results.append(self._joined_channel(ctx, group, ledger, channel_id))
            else:
                results.append(self._left_channel(ctx, group, ledger, user, channel_id))
        return ",".join(results) or "ignored:unknown_user"

    def _joined_channel(
        self, ctx: UpdateContext, group: GroupRecord, ledger: MemberRecord, channel_id: int
    ) -> str:
        verdict = self._checker.check(
            ctx.api,
            ctx.bot_id,
            group.chat_id,
            ledger.user_id,
            group.required_channels,
            fresh=True,
        )
        self.apply_verdict(ledger, verdict)
        if verdict.status != MEMBER:
            self.save_ledger(ctx, ledger, notice_sent=False)
            return "still_missing"
        lifted = self._actions.lift(ctx, ledger)
        self._actions.withdraw_notice(ctx, ledger)
        approved = self.approve_join_request(ctx, ledger)
        self.save_ledger(ctx, ledger, notice_sent=False)
        if approved:
            self.record(ctx, "join_request_approved", group, ledger.user_id, verdict)
            return "approved"
        if lifted:
            self.record(
                ctx,
                "unmuted_on_channel_join",
                group,
                ledger.user_id,
                verdict,
                channels=[channel_id],
            )
        return "unmuted" if lifted else "verified"

    def _left_channel(
        self,
        ctx: UpdateContext,
        group: GroupRecord,
        ledger: MemberRecord,
        user: User,
        channel_id: int,
    ) -> str:
        if ledger.muted:
            ledger.verdict = NOT_MEMBER
            self.save_ledger(ctx, ledger, notice_sent=False)
            return "already_muted"
        if self._admins.get((ctx.bot_id, group.chat_id, user.id)):
            return "exempt:admin"
        current = self.group_member(ctx, group.chat_id, user.id)
        if current.get("status") in ADMIN_STATUSES:
            return "exempt:admin"
        if not counts_as_member(current) and current.get("status") != "restricted":
            return "not_in_group"
        missing = [c for c in group.required_channels if c.chat_id == channel_id]
        self.mute(ctx, group, ledger, current)
        sent = self._actions.notify(
            ctx,
            group,
            ledger,
            missing,
            name=user.first_name,
            thread_id=None,
            language=user.language_code,
        )
        ledger.verdict = NOT_MEMBER
        ledger.verdict_expires_at = self._checker.expiry_for(NOT_MEMBER)
        ledger.missing_channels = [channel_id]
        self.save_ledger(ctx, ledger, notice_sent=sent)
        self._recorder.record(
            ctx,
            "restricted_on_channel_leave",
            chat_id=group.chat_id,
            user_id=user.id,
            channels=[channel_id],
            reason="left_channel",
        )
        return "muted"

    def approve_join_request(self, ctx: UpdateContext, ledger: MemberRecord) -> bool:
        """Approve the member's pending join request, if any (True when approved)."""
        if not ledger.join_request_at:
            return False
        ledger.join_request_at = None
        try:
            ctx.api.call("approveChatJoinRequest", chat_id=ledger.chat_id, user_id=ledger.user_id)
        except TelegramBadRequest:
            return False  # already approved, declined or withdrawn
        return True

    def after_mute(self, ctx: UpdateContext, group: GroupRecord, ledger: MemberRecord) -> None:
        """Work that follows a new mute: a re-check later (a safety net for a channel join
        Telegram did not tell us about) and, with kick-after on, the kick."""
        payload = {"bot_id": ctx.bot_id, "chat_id": group.chat_id, "user_id": ledger.user_id}
        self._stores.jobs.put(
            JobRecord(
                kind="recheck_member",
                due_at=self._clock() + RECHECK_AFTER[0],
                payload={**payload, "attempt": 0},
            )
        )
        minutes = GroupSettings.load(group.settings).kick_after_minutes
        if minutes:
            self._stores.jobs.put(
                JobRecord(
                    kind="kick_unverified", due_at=self._clock() + minutes * 60, payload=payload
                )
            )

    def recheck(self, ctx: UpdateContext, chat_id: int, user_id: int) -> str:
        """A scheduled re-check of a member we muted: let them in if they have joined."""
        group = self.protected_group(ctx.bot_id, chat_id)
        ledger = self._stores.members.find(ctx.bot_id, chat_id, user_id)
        if group is None or ledger is None or not ledger.muted:
            return "done"
        verdict = self._checker.check(
            ctx.api, ctx.bot_id, chat_id, user_id, group.required_channels, fresh=True
        )
        self.apply_verdict(ledger, verdict)
        if verdict.status != MEMBER:
            self.save_ledger(ctx, ledger, notice_sent=False)
            return "still_muted"
        self._actions.lift(ctx, ledger)
        self._actions.withdraw_notice(ctx, ledger)
        self.approve_join_request(ctx, ledger)
        self.save_ledger(ctx, ledger, notice_sent=False)
        self.record(ctx, "unmuted_on_recheck", group, user_id, verdict, reason="recheck")
        return "unmuted"

    def remove_bot(
        self, ctx: UpdateContext, group: GroupRecord, bot: User, message_id: int | None
    ) -> str:
        """A bot in a group that does not allow bots: its message goes, and so does it."""
        self._actions.delete_message(ctx, group.chat_id, message_id)
        key = (ctx.bot_id, group.chat_id, bot.id)
        if self._removed.get(key):
            return "bot_removed_already"
        self._removed.put(key, True)
        try:
            ctx.api.call("banChatMember", chat_id=group.chat_id, user_id=bot.id)
            ctx.api.call(
                "unbanChatMember", chat_id=group.chat_id, user_id=bot.id, only_if_banned=True
            )
        except TelegramBadRequest:
            return "bot_not_removed"
        self._recorder.record(
            ctx, "bot_removed", chat_id=group.chat_id, user_id=bot.id, reason="bots_not_allowed"
        )
        return "bot_removed"

    # ----- helpers -------------------------------------------------------------------

    def record(
        self,
        ctx: UpdateContext,
        type_: str,
        group: GroupRecord,
        user_id: int,
        verdict: Verdict,
        *,
        reason: str = "",
        channels: list[int] | None = None,
        detail: dict[str, Any] | None = None,
    ) -> None:
        self._recorder.record(
            ctx,
            type_,
            chat_id=group.chat_id,
            user_id=user_id,
            reason=reason or verdict.status,
            channels=channels if channels is not None else [c.chat_id for c in verdict.missing],
            verdict=verdict,
            detail=detail,
        )


def _thread_of(message: Message) -> int | None:
    """The forum topic to answer in: General (and non-topic messages) have none."""
    if message.is_topic_message and message.message_thread_id:
        return message.message_thread_id
    return None


def _kind_of(message: Message) -> str:
    """A short name of what the message carried (for the event log)."""
    for kind in (
        "text",
        "photo",
        "video",
        "sticker",
        "animation",
        "voice",
        "video_note",
        "audio",
        "document",
        "poll",
        "contact",
        "location",
        "venue",
        "dice",
        "story",
        "game",
    ):
        if getattr(message, kind, None):
            return kind
    return "other"
