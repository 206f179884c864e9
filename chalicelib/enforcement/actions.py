"""The things we do to a member: mute, lift our mute, post and remove a notice.

The ledger is the source of truth for *our* mutes: we only ever lift a mute the ledger
says we applied, and we restore what the member had before (the group's defaults, or the
admins' own restriction), never more.
"""

from __future__ import annotations

import contextlib
import time
from collections.abc import Callable

from chalicelib.enforcement import texts
from chalicelib.enforcement.context import TtlCache, UpdateContext
from chalicelib.enforcement.policy import MUTED, GroupSettings, default_permissions
from chalicelib.errors import Conflict, NezukoError
from chalicelib.observability import logger
from chalicelib.store.bundle import Stores
from chalicelib.store.records import ChannelRef, GroupRecord, JobRecord, MemberRecord
from chalicelib.telegram.errors import TelegramBadRequest

NOTICES_PER_MINUTE = 20  # Telegram's ~20 messages/minute per group
NAMES_PER_NOTICE = 25  # members named in one shared notice during a raid


class MemberActions:
    """Mute / unmute / notice, recorded in the ledger entry passed in (caller saves it)."""

    def __init__(
        self,
        stores: Stores,
        *,
        clock: Callable[[], float] = time.time,
        defaults_cache: TtlCache[tuple[int, int], dict[str, bool]] | None = None,
    ) -> None:
        self._stores = stores
        self._clock = clock
        self._defaults = defaults_cache or TtlCache(300.0)

    def group_defaults(self, ctx: UpdateContext, chat_id: int) -> dict[str, bool]:
        """The group's default member permissions (cached for a few minutes)."""
        key = (ctx.bot_id, chat_id)
        cached = self._defaults.get(key)
        if cached is not None:
            return cached
        chat = ctx.api.call("getChat", chat_id=chat_id)
        return self._defaults.put(key, default_permissions(chat or {}))

    def restrict(self, ctx: UpdateContext, ledger: MemberRecord) -> None:
        """Take every right away from the member (the ledger records it: ``Gate.mute``)."""
        ctx.api.call(
            "restrictChatMember",
            chat_id=ledger.chat_id,
            user_id=ledger.user_id,
            permissions=MUTED,
            use_independent_chat_permissions=True,
        )

    def lift(self, ctx: UpdateContext, ledger: MemberRecord) -> bool:
        """Lift *our* mute, restoring what the member had; False when we had none."""
        if not ledger.muted:
            return False
        permissions = ledger.restore_permissions or self.group_defaults(ctx, ledger.chat_id)
        ctx.api.call(
            "restrictChatMember",
            chat_id=ledger.chat_id,
            user_id=ledger.user_id,
            permissions=permissions,
            use_independent_chat_permissions=True,
        )
        ledger.muted = False
        ledger.muted_at = None
        ledger.restore_permissions = None
        return True

    def notify(
        self,
        ctx: UpdateContext,
        group: GroupRecord,
        ledger: MemberRecord,
        missing: list[ChannelRef],
        *,
        name: str,
        thread_id: int | None,
        language: str | None,
    ) -> bool:
        """Post one join notice unless a live one exists or the group is flooding."""
        settings = GroupSettings.load(group.settings)
        now = self._clock()
        if (
            ledger.notice_message_id
            and ledger.notice_sent_at
            and ledger.notice_sent_at + settings.notice_ttl > now
        ):
            return False
        if not self._notice_allowed(ctx, group, now):
            # A raid: this member is named in one shared notice after the current minute.
            self._coalesce_later(ctx, group, now)
            return False
        language = settings.language or language
        body = texts.render_notice(
            settings.notice_template,
            language,
            mention=texts.mention(ledger.user_id, name),
            group=texts.esc(group.title),
            channels=texts.channel_list(missing),
        )
        message = ctx.api.call(
            "sendMessage",
            chat_id=group.chat_id,
            text=body,
            parse_mode="HTML",
            message_thread_id=thread_id,
            reply_markup=texts.join_keyboard(missing, ledger.user_id, language),
            link_preview_options={"is_disabled": True},
        )
        ledger.notice_message_id = int(message["message_id"])
        ledger.notice_thread_id = thread_id
        ledger.notice_sent_at = now
        self.delete_later(ctx.bot_id, group.chat_id, ledger.notice_message_id, settings.notice_ttl)
        return True

    def _notice_allowed(self, ctx: UpdateContext, group: GroupRecord, now: float) -> bool:
        """Stay within Telegram's ~20 messages a minute per group."""
        window_key = f"{ctx.bot_id}:{group.chat_id}"
        count = self._stores.auth.hit("notice-rate", window_key, now=now, window=60)
        return count <= NOTICES_PER_MINUTE

    def _coalesce_later(self, ctx: UpdateContext, group: GroupRecord, now: float) -> None:
        # One job per group and minute (the same id every time), so a raid of any size
        # schedules one shared notice, not one per joiner.
        next_minute = (int(now // 60) + 1) * 60
        self._stores.jobs.put(
            JobRecord(
                kind="group_notice",
                due_at=next_minute + 1,
                payload={"bot_id": ctx.bot_id, "chat_id": group.chat_id},
                job_id=f"gn-{ctx.bot_id}-{group.chat_id}-{next_minute}",
            )
        )

    def post_group_notice(self, ctx: UpdateContext, group: GroupRecord) -> int:
        """One notice naming muted members who got none during a raid; returns how many
        it named. More left over are named in the next minute's notice."""
        now = self._clock()
        waiting = [
            m
            for m in self._stores.members.list_for_group(ctx.bot_id, group.chat_id, muted_only=True)
            if not m.notice_message_id
        ]
        if not waiting:
            return 0
        if not self._notice_allowed(ctx, group, now):
            self._coalesce_later(ctx, group, now)
            return 0
        named = waiting[:NAMES_PER_NOTICE]
        if len(waiting) > len(named):
            self._coalesce_later(ctx, group, now)
        missing_ids = {c for m in named for c in m.missing_channels}
        missing = [c for c in group.required_channels if c.chat_id in missing_ids]
        missing = missing or list(group.required_channels)
        settings = GroupSettings.load(group.settings)
        language = settings.language or named[0].language_code
        body = texts.text(
            "group_notice",
            language,
            mentions=", ".join(texts.mention(m.user_id, m.first_name) for m in named),
            group=texts.esc(group.title),
            channels=texts.channel_list(missing),
        )
        keyboard = texts.join_keyboard(missing, 0, language)
        keyboard["inline_keyboard"].pop()  # no "I have joined": joining lets them in by itself
        message = ctx.api.call(
            "sendMessage",
            chat_id=group.chat_id,
            text=body,
            parse_mode="HTML",
            reply_markup=keyboard,
            link_preview_options={"is_disabled": True},
        )
        message_id = int(message["message_id"])
        for member in named:
            member.notice_message_id = message_id
            member.notice_sent_at = now
            with contextlib.suppress(Conflict):  # changed meanwhile: its own path owns it
                self._stores.members.save(member)
        self.delete_later(ctx.bot_id, group.chat_id, message_id, settings.notice_ttl)
        return len(named)

    def release_mutes(self, ctx: UpdateContext, chat_id: int, *, limit: int) -> tuple[int, bool]:
        """Lift up to ``limit`` of our mutes in a group (protection switched off); returns
        how many were lifted and whether more are left for another pass."""
        muted = self._stores.members.list_for_group(ctx.bot_id, chat_id, muted_only=True)
        lifted = 0
        for ledger in muted[:limit]:
            try:
                self.lift(ctx, ledger)
                self.withdraw_notice(ctx, ledger)
                self._stores.members.save(ledger)
                lifted += 1
            except NezukoError as exc:
                logger.warning(
                    "could not lift a mute",
                    extra={"user_id": ledger.user_id, "error": type(exc).__name__},
                )
        return lifted, len(muted) > limit

    def release_later(self, bot_id: int, chat_id: int) -> None:
        """Have the janitor lift the rest of a group's mutes, in bounded passes."""
        self._stores.jobs.put(
            JobRecord(
                kind="release_group",
                due_at=self._clock(),
                payload={"bot_id": bot_id, "chat_id": chat_id},
                job_id=f"release-{bot_id}-{chat_id}",
            )
        )

    def delete_later(self, bot_id: int, chat_id: int, message_id: int, ttl: float) -> None:
        """Schedule a message deletion for the janitor (never sleep in a Lambda)."""
        self._stores.jobs.put(
            JobRecord(
                kind="delete_message",
                due_at=self._clock() + ttl,
                payload={"bot_id": bot_id, "chat_id": chat_id, "message_id": message_id},
            )
        )

    def delete_message(self, ctx: UpdateContext, chat_id: int, message_id: int | None) -> bool:
        """Delete a message now; a message already gone is not an error."""
        if not message_id:
            return False
        try:
            ctx.api.call("deleteMessage", chat_id=chat_id, message_id=message_id)
        except TelegramBadRequest:
            return False  # already deleted, too old, or no right: nothing to undo
        return True

    def withdraw_notice(self, ctx: UpdateContext, ledger: MemberRecord) -> None:
        """Delete the member's live notice (after they were let in)."""
        self.delete_message(ctx, ledger.chat_id, ledger.notice_message_id)
        ledger.notice_message_id = None
        ledger.notice_sent_at = None
        ledger.notice_thread_id = None

    def undo_notice(self, ctx: UpdateContext, ledger: MemberRecord, sent: bool) -> None:
        """Compensation when the ledger write failed after we posted a notice: take it
        back, so the retried update does not leave two."""
        if sent and ledger.notice_message_id:
            try:
                self.delete_message(ctx, ledger.chat_id, ledger.notice_message_id)
            except NezukoError:
                logger.warning("could not withdraw a notice", extra={"chat_id": ledger.chat_id})
