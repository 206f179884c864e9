"""Group lifecycle: join requests, supergroup migration, and the bot's own status.

Join requests (groups that approve new members): subscribed users are approved at once;
others get the join instructions privately and are approved the moment they join the
channel (``Gate.approve_join_request``), or declined after the group's timeout.
"""

from __future__ import annotations

import contextlib
import time
from collections.abc import Callable
from dataclasses import replace

from telegram import ChatJoinRequest, ChatMemberUpdated

from chalicelib.enforcement import texts
from chalicelib.enforcement.context import EventRecorder, UpdateContext
from chalicelib.enforcement.gate import ADMIN_STATUSES, Gate
from chalicelib.enforcement.membership import MEMBER, NOT_MEMBER, MembershipChecker
from chalicelib.enforcement.policy import GroupSettings
from chalicelib.errors import Conflict, NezukoError
from chalicelib.observability import logger
from chalicelib.store.bundle import Stores
from chalicelib.store.records import GroupRecord, JobRecord

JOIN_PREFIX = "nz:j:"
GROUP_RIGHTS = ("can_restrict_members", "can_delete_messages")


class Lifecycle:
    """Handles join requests, migrations and changes to the bot's own rights."""

    def __init__(
        self,
        stores: Stores,
        gate: Gate,
        checker: MembershipChecker,
        recorder: EventRecorder,
        *,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self._stores = stores
        self._gate = gate
        self._checker = checker
        self._recorder = recorder
        self._clock = clock

    # ----- join requests --------------------------------------------------------------

    def on_join_request(self, ctx: UpdateContext, request: ChatJoinRequest) -> str:
        """Approve subscribed requesters; tell the others privately what to join."""
        group = self._gate.protected_group(ctx.bot_id, request.chat.id)
        if group is None:
            return "ignored:not_protected"
        user = request.from_user
        settings = GroupSettings.load(group.settings)
        ledger = self._gate.ledger_for(ctx.bot_id, group.chat_id, user)
        if user.id in settings.whitelist:
            verdict_status, missing = MEMBER, []
        else:
            verdict = self._checker.check(
                ctx.api, ctx.bot_id, group.chat_id, user.id, group.required_channels
            )
            self._gate.apply_verdict(ledger, verdict)
            verdict_status, missing = verdict.status, verdict.missing
        if verdict_status == NOT_MEMBER:
            ledger.join_request_at = self._clock()
            self._send_instructions(ctx, group, request, missing, settings)
            self._gate.save_ledger(ctx, ledger, notice_sent=False)
            self._stores.jobs.put(
                JobRecord(
                    kind="decline_join_request",
                    due_at=self._clock() + settings.join_request_timeout_minutes * 60,
                    payload={"bot_id": ctx.bot_id, "chat_id": group.chat_id, "user_id": user.id},
                )
            )
            self._record(ctx, "join_request_pending", group, user.id, [c.chat_id for c in missing])
            return "join_request:pending"
        # Member, or unknown: never punish on unknown, so the request goes through.
        ledger.join_request_at = None
        ctx.api.call("approveChatJoinRequest", chat_id=group.chat_id, user_id=user.id)
        self._gate.save_ledger(ctx, ledger, notice_sent=False)
        self._record(ctx, "join_request_approved", group, user.id, [], reason=verdict_status)
        return "join_request:approved"

    def _send_instructions(
        self,
        ctx: UpdateContext,
        group: GroupRecord,
        request: ChatJoinRequest,
        missing: list,
        settings: GroupSettings,
    ) -> None:
        language = settings.language or request.from_user.language_code
        keyboard = texts.join_keyboard(missing, request.from_user.id, language)
        keyboard["inline_keyboard"][-1][0]["callback_data"] = f"{JOIN_PREFIX}{group.chat_id}"
        try:
            ctx.api.call(
                "sendMessage",
                chat_id=request.user_chat_id,
                text=texts.text(
                    "join_request_dm",
                    language,
                    group=texts.esc(group.title),
                    channels=texts.channel_list(missing),
                ),
                parse_mode="HTML",
                reply_markup=keyboard,
                link_preview_options={"is_disabled": True},
            )
        except NezukoError as exc:  # the window to write to the requester may have closed
            logger.info("join instructions not sent", extra={"error": type(exc).__name__})

    def on_join_button(self, ctx: UpdateContext, query_id: str, user_id: int, data: str) -> str:
        """ "I have joined" pressed in the private chat of a join request."""
        raw = data.removeprefix(JOIN_PREFIX)
        chat_id = int(raw) if raw.lstrip("-").isdigit() else 0
        group = self._gate.protected_group(ctx.bot_id, chat_id) if chat_id else None
        ledger = self._stores.members.find(ctx.bot_id, chat_id, user_id) if group else None
        if group is None or ledger is None or not ledger.join_request_at:
            ctx.api.call("answerCallbackQuery", callback_query_id=query_id, text=texts.text("gone"))
            return "ignored:no_request"
        verdict = self._checker.check(
            ctx.api, ctx.bot_id, chat_id, user_id, group.required_channels, fresh=True
        )
        self._gate.apply_verdict(ledger, verdict)
        if verdict.status != MEMBER:
            names = ", ".join(c.title or f"@{c.username}" for c in verdict.missing) or "—"
            ctx.api.call(
                "answerCallbackQuery",
                callback_query_id=query_id,
                text=texts.text("still_missing", ledger.language_code, channels=names)[:200],
                show_alert=True,
            )
            self._gate.save_ledger(ctx, ledger, notice_sent=False)
            return "join_request:still_missing"
        approved = self._gate.approve_join_request(ctx, ledger)
        self._gate.save_ledger(ctx, ledger, notice_sent=False)
        ctx.api.call(
            "answerCallbackQuery",
            callback_query_id=query_id,
            text=texts.text("verified", ledger.language_code),
        )
        if approved:
            self._record(ctx, "join_request_approved", group, user_id, [], reason="button")
        return "join_request:approved"

    def decline_expired(self, ctx: UpdateContext, chat_id: int, user_id: int) -> str:
        """The janitor's timeout: decline a request still pending."""
        ledger = self._stores.members.find(ctx.bot_id, chat_id, user_id)
        if ledger is None or not ledger.join_request_at:
            return "ignored"
        ledger.join_request_at = None
        with contextlib.suppress(NezukoError):  # withdrawn or handled by an admin meanwhile
            ctx.api.call("declineChatJoinRequest", chat_id=chat_id, user_id=user_id)
        self._gate.save_ledger(ctx, ledger, notice_sent=False)
        self._recorder.record(
            ctx, "join_request_declined", chat_id=chat_id, user_id=user_id, reason="timeout"
        )
        return "declined"

    # ----- migration ------------------------------------------------------------------

    def migrate(self, ctx: UpdateContext, old_id: int, new_id: int) -> str:
        """A group became a supergroup: move its config, links and ledger to the new id.

        Both service messages (``migrate_to`` in the old chat, ``migrate_from`` in the new)
        arrive; the second finds nothing left to move.
        """
        old = self._stores.groups.find(ctx.bot_id, old_id)
        if old is None:
            return "ignored:migrate"
        if self._stores.groups.find(ctx.bot_id, new_id) is None:
            self._stores.groups.save(replace(old, chat_id=new_id, version=None))
        channel_ids = [c.chat_id for c in old.required_channels]
        self._stores.links.set_links(ctx.bot_id, new_id, channel_ids)
        for entry in self._stores.members.list_for_group(ctx.bot_id, old_id):
            moved = replace(entry, chat_id=new_id, version=None, notice_message_id=None)
            with contextlib.suppress(Conflict):  # already moved by the other service message
                self._stores.members.save(moved)
            self._stores.members.delete(ctx.bot_id, old_id, entry.user_id)
        self._stores.links.set_links(ctx.bot_id, old_id, [])
        self._stores.groups.delete(ctx.bot_id, old_id)
        self._gate.forget_group(ctx.bot_id, old_id)
        self._gate.forget_group(ctx.bot_id, new_id)
        self._recorder.record(
            ctx, "group_migrated", chat_id=new_id, reason="supergroup", detail={"from": old_id}
        )
        return "migrated"

    # ----- the bot's own status -------------------------------------------------------

    def on_bot_status(self, ctx: UpdateContext, update: ChatMemberUpdated) -> str:
        """Record a change of our rights; tell the admins what to fix when we lost some."""
        old, new = update.old_chat_member.to_dict(), update.new_chat_member.to_dict()
        chat = update.chat
        self._gate.forget_group(ctx.bot_id, chat.id)
        lost = _rights_ok(old, chat.type) and not _rights_ok(new, chat.type)
        regained = _rights_ok(new, chat.type) and not _rights_ok(old, chat.type)
        self._recorder.record(
            ctx,
            "bot_rights_lost"
            if lost
            else "bot_rights_restored"
            if regained
            else "bot_status_changed",
            chat_id=chat.id,
            actor_id=update.from_user.id if update.from_user else None,
            reason=f"{old.get('status')}->{new.get('status')}",
            detail={
                "chat_type": chat.type,
                "title": chat.title or "",
                "rights": {k: v for k, v in new.items() if k.startswith("can_")},
            },
        )
        if not lost:
            return "recorded:bot_status"
        if chat.type == "channel":
            return self._warn_linked_groups(ctx, chat.id, chat.username, chat.title or "")
        group = self._stores.groups.find(ctx.bot_id, chat.id)
        if group is not None and group.enabled and new.get("status") not in ("left", "kicked"):
            self._say(ctx, chat.id, texts.text("lost_group_rights", _language(group)))
        return "warned:group"

    def _warn_linked_groups(
        self, ctx: UpdateContext, channel_id: int, username: str | None, title: str
    ) -> str:
        label = f"@{texts.esc(username)}" if username else f"<b>{texts.esc(title)}</b>"
        warned = 0
        for group_id in self._stores.links.groups_for_channel(ctx.bot_id, channel_id):
            group = self._gate.protected_group(ctx.bot_id, group_id)
            if group is None:
                continue
            self._say(
                ctx, group_id, texts.text("lost_channel_rights", _language(group), channel=label)
            )
            warned += 1
        return f"warned:{warned}"

    def _say(self, ctx: UpdateContext, chat_id: int, body: str) -> None:
        try:
            ctx.api.call("sendMessage", chat_id=chat_id, text=body, parse_mode="HTML")
        except NezukoError as exc:
            logger.warning("could not warn admins", extra={"error": type(exc).__name__})

    def _record(
        self,
        ctx: UpdateContext,
        type_: str,
        group: GroupRecord,
        user_id: int,
        channels: list[int],
        *,
        reason: str = "",
    ) -> None:
        self._recorder.record(
            ctx, type_, chat_id=group.chat_id, user_id=user_id, channels=channels, reason=reason
        )


def _rights_ok(member: dict, chat_type: str) -> bool:
    """Can the bot do its job in this chat with these rights?"""
    if member.get("status") not in ADMIN_STATUSES:
        return False
    if chat_type == "channel":
        return True
    return all(member.get(right) for right in GROUP_RIGHTS)


def _language(group: GroupRecord) -> str | None:
    return GroupSettings.load(group.settings).language
