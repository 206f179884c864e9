"""What one operator may see: their own bots and those bots' groups. Anything else is
reported exactly like something that does not exist (404), so ids cannot be probed."""

from __future__ import annotations

from chalicelib.errors import NotFound
from chalicelib.store.bundle import Stores
from chalicelib.store.records import BotRecord, GroupRecord


class Scope:
    """Ownership checks for one operator."""

    def __init__(self, stores: Stores, operator_id: int) -> None:
        self._stores = stores
        self.operator_id = operator_id

    def bots(self, *, include_removed: bool = True) -> list[BotRecord]:
        """The operator's bots, by id."""
        bots = self._stores.bots.list_by_owner(self.operator_id)
        return sorted(
            (b for b in bots if include_removed or b.status != "removed"), key=lambda b: b.bot_id
        )

    def bot_ids(self, bot_id: int | None = None) -> list[int]:
        """``[bot_id]`` after an ownership check, or every bot of the operator."""
        if bot_id is not None:
            return [self.bot(bot_id).bot_id]
        return [b.bot_id for b in self.bots()]

    def bot(self, bot_id: int) -> BotRecord:
        """The bot if the operator owns it, else ``NotFound``."""
        try:
            bot = self._stores.bots.get(bot_id)
        except NotFound:
            bot = None
        if bot is None or bot.owner_id != self.operator_id:
            raise NotFound(f"bot {bot_id} not found")
        return bot

    def group(self, bot_id: int, chat_id: int) -> tuple[BotRecord, GroupRecord]:
        """The group if the operator owns its bot, else ``NotFound``."""
        bot = self.bot(bot_id)
        group = self._stores.groups.find(bot_id, chat_id)
        if group is None:
            raise NotFound(f"group {chat_id} not found")
        return bot, group
