"""Scheduled consequences: kick members still unverified after N minutes, decline
join requests that were never completed. Run by the janitor, never by sleeping."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from chalicelib.enforcement.actions import MemberActions
from chalicelib.enforcement.context import EventRecorder, UpdateContext
from chalicelib.enforcement.gate import RECHECK_AFTER, Gate
from chalicelib.enforcement.lifecycle import Lifecycle
from chalicelib.enforcement.membership import MEMBER
from chalicelib.errors import NotFound
from chalicelib.store.bundle import Stores
from chalicelib.store.records import JobRecord
from chalicelib.telegram.errors import TelegramBadRequest

JobHandler = Callable[[JobRecord, Any], None]
RELEASE_BATCH = 100  # mutes lifted per janitor pass (Telegram allows ~30 calls/s per bot)


class Timeouts:
    """Janitor job handlers for enforcement timeouts."""

    def __init__(
        self,
        stores: Stores,
        gate: Gate,
        lifecycle: Lifecycle,
        recorder: EventRecorder,
        actions: MemberActions,
    ) -> None:
        self._actions = actions
        self._stores = stores
        self._gate = gate
        self._lifecycle = lifecycle
        self._recorder = recorder

    def handlers(self) -> dict[str, JobHandler]:
        """Job kind → handler, for ``Janitor(handlers=...)``."""
        return {
            "kick_unverified": self.kick_unverified,
            "decline_join_request": self.decline_join_request,
            "group_notice": self.group_notice,
            "recheck_member": self.recheck_member,
            "release_group": self.release_group,
        }

    def _context(self, job: JobRecord, api: Any) -> UpdateContext | None:
        try:
            bot = self._stores.bots.get(int(job.payload["bot_id"]))
        except NotFound:
            return None
        return UpdateContext(bot=bot, api=api)

    def kick_unverified(self, job: JobRecord, api: Any) -> None:
        """Remove a member we muted who still has not joined (they may come back)."""
        ctx = self._context(job, api)
        if ctx is None:
            return
        chat_id, user_id = int(job.payload["chat_id"]), int(job.payload["user_id"])
        ledger = self._stores.members.find(ctx.bot_id, chat_id, user_id)
        group = self._gate.protected_group(ctx.bot_id, chat_id)
        if group is None or ledger is None or not ledger.muted or ledger.verdict == MEMBER:
            return
        try:
            api.call("banChatMember", chat_id=chat_id, user_id=user_id)
            api.call("unbanChatMember", chat_id=chat_id, user_id=user_id, only_if_banned=True)
        except TelegramBadRequest:
            return  # an admin now, or already gone
        # A kick clears Telegram's restriction: if they come back, they are checked anew.
        ledger.muted = False
        ledger.restore_permissions = None
        self._gate.save_ledger(ctx, ledger, notice_sent=False)
        self._recorder.record(
            ctx, "kicked_unverified", chat_id=chat_id, user_id=user_id, reason="kick_after"
        )

    def decline_join_request(self, job: JobRecord, api: Any) -> None:
        """Decline a join request whose requester never joined the channels."""
        ctx = self._context(job, api)
        if ctx is not None:
            self._lifecycle.decline_expired(
                ctx, int(job.payload["chat_id"]), int(job.payload["user_id"])
            )

    def group_notice(self, job: JobRecord, api: Any) -> None:
        """The shared notice for members muted during a raid without one of their own."""
        ctx = self._context(job, api)
        if ctx is None:
            return
        group = self._gate.protected_group(ctx.bot_id, int(job.payload["chat_id"]))
        if group is not None:
            self._actions.post_group_notice(ctx, group)

    def recheck_member(self, job: JobRecord, api: Any) -> None:
        """Look again at a member we muted; keep looking a few times while still muted."""
        ctx = self._context(job, api)
        if ctx is None:
            return
        chat_id, user_id = int(job.payload["chat_id"]), int(job.payload["user_id"])
        attempt = int(job.payload.get("attempt", 0))
        if self._gate.recheck(ctx, chat_id, user_id) != "still_muted":
            return
        if attempt + 1 < len(RECHECK_AFTER):
            self._stores.jobs.put(
                JobRecord(
                    kind="recheck_member",
                    due_at=job.due_at + RECHECK_AFTER[attempt + 1],
                    payload={**job.payload, "attempt": attempt + 1},
                )
            )

    def release_group(self, job: JobRecord, api: Any) -> None:
        """Lift our mutes in a group whose protection was switched off, a batch at a time."""
        ctx = self._context(job, api)
        if ctx is None:
            return
        chat_id = int(job.payload["chat_id"])
        group = self._stores.groups.find(ctx.bot_id, chat_id)
        if group is not None and group.enabled:
            return  # switched on again meanwhile: the mutes stand
        _, more = self._actions.release_mutes(ctx, chat_id, limit=RELEASE_BATCH)
        if more:
            self._actions.release_later(ctx.bot_id, chat_id)
