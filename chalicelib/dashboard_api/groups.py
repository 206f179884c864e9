"""Groups and channels of one operator: list, inspect, settings, enable, required channels."""

from __future__ import annotations

import re
import time
from collections.abc import Callable
from typing import Any

from chalicelib.bots import Api
from chalicelib.dashboard_api.audit import Recorder
from chalicelib.dashboard_api.pagination import paginate
from chalicelib.dashboard_api.schemas import (
    ChannelListItem,
    ChannelListOut,
    ChannelListQuery,
    ChannelOut,
    GroupDetailOut,
    GroupListOut,
    GroupListQuery,
    GroupOut,
    LedgerCounts,
    LinkedGroup,
)
from chalicelib.dashboard_api.scope import Scope
from chalicelib.enforcement.policy import GroupSettings
from chalicelib.errors import InvalidInput, NotFound
from chalicelib.store.bundle import Stores
from chalicelib.store.records import BotRecord, ChannelRef, GroupRecord, JobRecord
from chalicelib.telegram.errors import BotApiError

MAX_CHANNELS = 10
_CHANNEL = re.compile(r"^(@[A-Za-z0-9_]{4,32}|-?\d{5,20})$")
_ADMIN = ("creator", "administrator")


def group_out(group: GroupRecord) -> GroupOut:
    """The list view of a group."""
    return GroupOut(
        bot_id=group.bot_id,
        chat_id=group.chat_id,
        title=group.title,
        username=group.username,
        enabled=group.enabled,
        required_channels=[ChannelOut(**c.to_dict()) for c in group.required_channels],
        updated_at=group.updated_at,
    )


class GroupAdmin:
    """Group management, scoped to the operator.

    Args:
        stores: every store.
        api_for: a Bot API client for a stored bot.
        recorder: writes audit events.
        clock: epoch seconds.
        on_change: told ``(bot_id, chat_id)`` after a group changed, so this container's
            enforcement caches drop it at once (others follow within their cache lifetime).
    """

    def __init__(
        self,
        stores: Stores,
        api_for: Callable[[BotRecord], Api],
        recorder: Recorder,
        *,
        clock: Callable[[], float] = time.time,
        on_change: Callable[[int, int], None] | None = None,
    ) -> None:
        self._stores = stores
        self._api_for = api_for
        self._recorder = recorder
        self._clock = clock
        self._on_change = on_change or (lambda bot_id, chat_id: None)

    # ----- reading -------------------------------------------------------------------

    def _groups(self, scope: Scope, bot_id: int | None) -> list[GroupRecord]:
        return [g for b in scope.bot_ids(bot_id) for g in self._stores.groups.list_by_bot(b)]

    def list(self, scope: Scope, query: GroupListQuery) -> GroupListOut:
        """Groups of the operator's bots, filtered, paged by (bot, chat)."""
        needle = (query.q or "").casefold()
        groups = [
            g
            for g in self._groups(scope, query.bot_id)
            if (query.enabled is None or g.enabled == query.enabled)
            and needle in g.title.casefold()
        ]
        page, cursor = paginate(
            groups, lambda g: (g.bot_id, g.chat_id), limit=query.limit, cursor=query.cursor
        )
        return GroupListOut(items=[group_out(g) for g in page], next_cursor=cursor)

    def get(self, scope: Scope, bot_id: int, chat_id: int) -> GroupDetailOut:
        """One group: settings (defaults filled), required channels, ledger counts."""
        _, group = scope.group(bot_id, chat_id)
        return self._detail(group)

    def _detail(self, group: GroupRecord) -> GroupDetailOut:
        muted = self._stores.members.list_for_group(group.bot_id, group.chat_id, muted_only=True)
        return GroupDetailOut(
            **group_out(group).model_dump(),
            settings=GroupSettings.load(group.settings).model_dump(),
            ledger=LedgerCounts(muted_now=len(muted)),
            protected_by=group.protected_by,
            created_at=group.created_at,
        )

    def channels(self, scope: Scope, query: ChannelListQuery) -> ChannelListOut:
        """Every required channel of the operator's groups, with the groups requiring it."""
        found: dict[tuple[int, int], ChannelListItem] = {}
        for group in self._groups(scope, query.bot_id):
            for channel in group.required_channels:
                item = found.setdefault(
                    (group.bot_id, channel.chat_id),
                    ChannelListItem(bot_id=group.bot_id, groups=[], **channel.to_dict()),
                )
                item.groups.append(
                    LinkedGroup(chat_id=group.chat_id, title=group.title, enabled=group.enabled)
                )
        page, cursor = paginate(
            list(found.values()),
            lambda c: (c.bot_id, c.chat_id),
            limit=query.limit,
            cursor=query.cursor,
        )
        return ChannelListOut(items=page, next_cursor=cursor)

    # ----- changing ------------------------------------------------------------------

    def update_settings(
        self, scope: Scope, bot_id: int, chat_id: int, updates: dict[str, Any]
    ) -> GroupDetailOut:
        """Apply validated setting changes; the diff goes to the audit trail."""
        bot, group = scope.group(bot_id, chat_id)
        unknown = sorted(set(updates) - set(GroupSettings.model_fields))
        if unknown:
            raise InvalidInput(f"{unknown[0]}: not a group setting", field=unknown[0])
        current = GroupSettings.load(group.settings)
        new = current.changed(**updates)
        before, after = current.model_dump(), new.model_dump()
        diff = {k: {"from": before[k], "to": after[k]} for k in after if before[k] != after[k]}
        if diff:
            group.settings = after
            group.updated_at = self._clock()
            group = self._stores.groups.save(group)
            self._on_change(group.bot_id, group.chat_id)
            self._audit(scope, bot, group, "settings_changed", {"changes": diff})
        return self._detail(group)

    def set_enabled(
        self, scope: Scope, bot_id: int, chat_id: int, *, enabled: bool
    ) -> GroupDetailOut:
        """Turn enforcement in a group on or off (links follow, so channel events do too).

        Switching off also lifts our mutes, through the janitor (``release_group`` jobs).
        """
        bot, group = scope.group(bot_id, chat_id)
        if group.enabled != enabled:
            group.enabled = enabled
            group.updated_at = self._clock()
            group = self._stores.groups.save(group)
            self._on_change(group.bot_id, group.chat_id)
            if not enabled:
                # As /unprotect does: our mutes go too (the janitor lifts them in batches).
                self._stores.jobs.put(
                    JobRecord(
                        kind="release_group",
                        due_at=self._clock(),
                        payload={"bot_id": bot_id, "chat_id": chat_id},
                        job_id=f"release-{bot_id}-{chat_id}",
                    )
                )
            channel_ids = [c.chat_id for c in group.required_channels] if enabled else []
            self._stores.links.set_links(bot_id, chat_id, channel_ids)
            self._audit(scope, bot, group, "group_enabled" if enabled else "group_disabled", {})
        return self._detail(group)

    def add_channel(
        self, scope: Scope, bot_id: int, chat_id: int, channel: str | int
    ) -> GroupDetailOut:
        """Require one more channel, after Telegram confirms the bot is an admin there."""
        bot, group = scope.group(bot_id, chat_id)
        ref = self._resolve(bot, str(channel).strip())
        if any(c.chat_id == ref.chat_id for c in group.required_channels):
            raise InvalidInput("this channel is required already", field="channel")
        if len(group.required_channels) >= MAX_CHANNELS:
            raise InvalidInput(
                f"a group can require at most {MAX_CHANNELS} channels", field="channel"
            )
        group.required_channels.append(ref)
        return self._save_channels(scope, bot, group, "channel_added", ref)

    def remove_channel(
        self, scope: Scope, bot_id: int, chat_id: int, channel_id: int
    ) -> GroupDetailOut:
        """Stop requiring a channel."""
        bot, group = scope.group(bot_id, chat_id)
        kept = [c for c in group.required_channels if c.chat_id != channel_id]
        if len(kept) == len(group.required_channels):
            raise NotFound(f"channel {channel_id} is not required by this group")
        removed = next(c for c in group.required_channels if c.chat_id == channel_id)
        group.required_channels = kept
        return self._save_channels(scope, bot, group, "channel_removed", removed)

    def _save_channels(
        self, scope: Scope, bot: BotRecord, group: GroupRecord, type_: str, ref: ChannelRef
    ) -> GroupDetailOut:
        group.updated_at = self._clock()
        group = self._stores.groups.save(group)
        self._on_change(group.bot_id, group.chat_id)
        if group.enabled:
            channel_ids = [c.chat_id for c in group.required_channels]
            self._stores.links.set_links(group.bot_id, group.chat_id, channel_ids)
        self._audit(scope, bot, group, type_, {"channel": ref.to_dict()})
        return self._detail(group)

    def _resolve(self, bot: BotRecord, arg: str) -> ChannelRef:
        if not _CHANNEL.match(arg):
            raise InvalidInput("channel: give an @username or a numeric chat id", field="channel")
        api = self._api_for(bot)
        try:
            chat = api.call("getChat", chat_id=arg if arg.startswith("@") else int(arg))
        except BotApiError:
            raise InvalidInput(
                f"channel: Telegram does not show this chat to @{bot.username}; "
                "check the id and make the bot an admin of the channel",
                field="channel",
            ) from None
        if not isinstance(chat, dict) or chat.get("type") not in ("channel", "supergroup"):
            raise InvalidInput("channel: this chat is not a channel", field="channel")
        ref = ChannelRef(
            chat_id=int(chat["id"]),
            title=str(chat.get("title") or ""),
            username=chat.get("username"),
            invite_link=chat.get("invite_link"),
        )
        try:
            me = api.call("getChatMember", chat_id=ref.chat_id, user_id=bot.bot_id)
        except BotApiError:
            me = None
        if not isinstance(me, dict) or me.get("status") not in _ADMIN:
            raise InvalidInput(
                f"channel: make @{bot.username} an admin of this channel first "
                "(it must see who subscribes)",
                field="channel",
            )
        if not ref.username and not ref.invite_link:
            try:
                link = api.call("createChatInviteLink", chat_id=ref.chat_id, name="Nezuko")
                ref.invite_link = str(link["invite_link"]) if isinstance(link, dict) else None
            except BotApiError:
                ref.invite_link = None
        return ref

    def _audit(
        self, scope: Scope, bot: BotRecord, group: GroupRecord, type_: str, detail: dict[str, Any]
    ) -> None:
        self._recorder.record(
            None,
            type_,
            bot_id=bot.bot_id,
            owner_id=bot.owner_id,
            chat_id=group.chat_id,
            actor_id=scope.operator_id,
            reason="dashboard",
            detail={**detail, "title": group.title},
        )
