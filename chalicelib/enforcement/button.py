"""The "I have joined" button under a join notice."""

from __future__ import annotations

import contextlib
import time
from collections.abc import Callable
from typing import Any

from telegram import CallbackQuery

from chalicelib.enforcement import texts
from chalicelib.enforcement.actions import MemberActions
from chalicelib.enforcement.context import UpdateContext
from chalicelib.enforcement.gate import Gate
from chalicelib.enforcement.membership import MEMBER, NOT_MEMBER, MembershipChecker
from chalicelib.errors import NezukoError
from chalicelib.store.bundle import Stores

BUTTON_COOLDOWN = 3.0  # seconds between two checks from one member's button


class JoinedButton:
    """Only the bound member may use it; presses are throttled and checked live; the
    callback query is always answered."""

    def __init__(
        self,
        stores: Stores,
        gate: Gate,
        checker: MembershipChecker,
        actions: MemberActions,
        *,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self._stores = stores
        self._gate = gate
        self._checker = checker
        self._actions = actions
        self._clock = clock

    def on_button(self, ctx: UpdateContext, query: CallbackQuery) -> str:
        """ "I have joined": only for the bound user, throttled, checked live. Always answered."""
        answered = False

        def answer(key: str, *, alert: bool = False, **values: Any) -> None:
            nonlocal answered
            language = query.from_user.language_code
            ctx.api.call(
                "answerCallbackQuery",
                callback_query_id=query.id,
                text=texts.text(key, language, **values)[:200],
                show_alert=alert,
            )
            answered = True

        try:
            return self._button(ctx, query, answer)
        finally:
            if not answered:
                # If even this fails the query has expired; nothing more we can do.
                with contextlib.suppress(NezukoError):
                    ctx.api.call("answerCallbackQuery", callback_query_id=query.id)

    def _button(self, ctx: UpdateContext, query: CallbackQuery, answer: Callable[..., None]) -> str:
        data = query.data or ""
        target = data.removeprefix(texts.VERIFY_PREFIX)
        if not data.startswith(texts.VERIFY_PREFIX) or not target.isdigit():
            answer("gone")
            return "ignored:unknown_button"
        message = query.message
        if message is None or not message.is_accessible:
            answer("gone", alert=True)
            return "ignored:inaccessible"
        chat_id = message.chat.id
        user = query.from_user
        if user.id != int(target):
            owner = self._stores.members.find(ctx.bot_id, chat_id, int(target))
            answer("not_your_button", alert=True, name=(owner.first_name if owner else "") or "")
            return "ignored:not_owner"
        group = self._gate.protected_group(ctx.bot_id, chat_id)
        if group is None:
            answer("gone", alert=True)
            return "ignored:not_protected"
        ledger = self._gate.ledger_for(ctx.bot_id, chat_id, user)
        now = self._clock()
        if ledger.last_check_at and now - ledger.last_check_at < BUTTON_COOLDOWN:
            answer("throttled")
            return "throttled"
        self._checker.forget(ctx.bot_id, chat_id, user.id)
        verdict = self._checker.check(
            ctx.api, ctx.bot_id, chat_id, user.id, group.required_channels, fresh=True
        )
        self._gate.apply_verdict(ledger, verdict)
        ledger.last_check_at = now
        if verdict.status == MEMBER:
            self._actions.lift(ctx, ledger)
            self._actions.withdraw_notice(ctx, ledger)
            self._actions.delete_message(ctx, chat_id, message.message_id)
            self._gate.save_ledger(ctx, ledger, notice_sent=False)
            answer("verified")
            self._gate.record(ctx, "verified", group, user.id, verdict, reason="button")
            return "verified"
        self._gate.save_ledger(ctx, ledger, notice_sent=False)
        if verdict.status == NOT_MEMBER:
            names = ", ".join(c.title or f"@{c.username}" for c in verdict.missing)
            answer("still_missing", alert=True, channels=names)
            self._gate.record(ctx, "verify_failed", group, user.id, verdict, reason="button")
            return "still_missing"
        answer("cannot_check", alert=True)
        self._gate.record(ctx, "membership_unknown", group, user.id, verdict, reason="button")
        return "unknown"
