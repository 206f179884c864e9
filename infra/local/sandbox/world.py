"""The simulated Telegram: state plus the primitives that change it and emit updates.

Every method here expects the caller to hold `world.cond` (one re-entrant lock for
everything). Updates are appended to each receiving bot's queue; delivery happens elsewhere.
"""

from __future__ import annotations

import copy
import random
import threading
from collections.abc import Callable, Iterable
from typing import Any

from infra.local.sandbox import render
from infra.local.sandbox.errors import SandboxError, bad_request, chat_not_found
from infra.local.sandbox.faults import FaultBook
from infra.local.sandbox.model import (
    CHANNEL_BOT_ID,
    GROUP_ANONYMOUS_BOT_ID,
    TELEGRAM_SERVICE_ID,
    Bot,
    CallbackQuery,
    Chat,
    Member,
    StoredMessage,
    User,
)

Ticket = tuple[int, int]  # (bot_id, update_id)

# Updates a bot receives when it has not listed allowed_updates (Telegram's default).
_OPT_IN_ONLY = frozenset({"chat_member", "message_reaction", "message_reaction_count"})
_SERVICE_KEYS = frozenset(
    {
        "new_chat_members",
        "left_chat_member",
        "migrate_to_chat_id",
        "migrate_from_chat_id",
        "group_chat_created",
        "supergroup_chat_created",
        "forum_topic_created",
        "pinned_message",
    }
)


class World:
    """All sandbox state. Not thread-safe by itself: hold `cond` around every call."""

    def __init__(
        self,
        *,
        clock: Callable[[], float],
        seed: int | None,
        retry_delays: tuple[float, ...],
        webhook_timeout: float,
        timeout_fault_delay: float,
    ) -> None:
        self.cond = threading.Condition(threading.RLock())
        self.clock = clock
        self.rng = random.Random(seed)  # noqa: S311 - fake ids and tokens, seedable on purpose
        self.retry_delays = retry_delays
        self.webhook_timeout = webhook_timeout
        self.timeout_fault_delay = timeout_fault_delay
        self.users: dict[int, User] = {}
        self.bots: dict[int, Bot] = {}
        self.tokens: dict[str, int] = {}
        self.chats: dict[int, Chat] = {}
        self.members: dict[tuple[int, int], Member] = {}
        self.messages: dict[int, dict[int, StoredMessage]] = {}
        self.private_started: set[tuple[int, int]] = set()  # (bot_id, user_id)
        self.callbacks: dict[str, CallbackQuery] = {}
        self.call_log: list[dict[str, Any]] = []
        self.delivery_log: list[dict[str, Any]] = []
        self.faults = FaultBook()
        self.closed = False
        self.on_webhook_set: Callable[[int], None] = lambda bot_id: None
        self._next_id = {"user": 100_000_001, "bot": 700_000_001, "group": 4_000_000_001}
        self._next_id["supergroup"] = 1_000_000_001
        for uid, name, username in (
            (GROUP_ANONYMOUS_BOT_ID, "Group", "GroupAnonymousBot"),
            (TELEGRAM_SERVICE_ID, "Telegram", None),
            (CHANNEL_BOT_ID, "Channel", "Channel_Bot"),
        ):
            self.users[uid] = User(uid, name, is_bot=uid != TELEGRAM_SERVICE_ID, username=username)

    # ----- ids and time -------------------------------------------------------------------
    def now(self) -> int:
        return int(self.clock())

    def allocate_id(self, kind: str) -> int:
        value = self._next_id[kind]
        self._next_id[kind] += 1
        if kind == "group":
            return -value
        if kind == "supergroup":
            return -(1_000_000_000_000 + value)
        return value

    def random_token(self, length: int = 16) -> str:
        alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_-"
        return "".join(self.rng.choice(alphabet) for _ in range(length))

    # ----- lookups ------------------------------------------------------------------------
    def user(self, user_id: int) -> User:
        try:
            return self.users[user_id]
        except KeyError:
            raise SandboxError(f"unknown user {user_id}") from None

    def chat(self, chat_id: int) -> Chat:
        try:
            return self.chats[chat_id]
        except KeyError:
            raise SandboxError(f"unknown chat {chat_id}") from None

    def bot_by_token(self, token: str) -> Bot | None:
        bot_id = self.tokens.get(token)
        return self.bots.get(bot_id) if bot_id is not None else None

    def api_chat(self, ref: int | str) -> Chat:
        """Resolve a Bot API chat_id (id or @username), answering as Telegram would."""
        found: Chat | None = None
        if isinstance(ref, str) and ref.startswith("@"):
            name = ref[1:].lower()
            found = next(
                (c for c in self.chats.values() if (c.username or "").lower() == name), None
            )
        else:
            try:
                found = self.chats.get(int(ref))
            except ValueError:
                found = None
        if found is None:
            raise chat_not_found()
        if found.migrated_to is not None:
            raise bad_request(
                "group chat was upgraded to a supergroup chat",
                {"migrate_to_chat_id": found.migrated_to},
            )
        return found

    def member(self, chat_id: int, user_id: int) -> Member:
        """Current membership, with timed restrictions and bans lifted by the clock."""
        m = self.members.get((chat_id, user_id))
        if m is None:
            return Member("left", is_member=False)
        if m.status in ("restricted", "kicked") and m.until_date and self.now() >= m.until_date:
            active = m.status == "restricted" and m.is_member
            m = Member("member") if active else Member("left", is_member=False)
            self.members[(chat_id, user_id)] = m
        return m

    def creator_of(self, chat: Chat) -> int | None:
        for (chat_id, user_id), m in self.members.items():
            if chat_id == chat.id and m.status == "creator":
                return user_id
        return None

    def visible_message(self, chat_id: int, message_id: int | None) -> StoredMessage | None:
        if message_id is None:
            return None
        msg = self.messages.get(chat_id, {}).get(message_id)
        return None if msg is None or msg.deleted else msg

    def render_chat(self, chat: Chat) -> dict[str, Any]:
        return render.chat(chat, self.users.get(chat.id) if chat.type == "private" else None)

    def render_member(self, chat: Chat, user_id: int) -> dict[str, Any]:
        return render.member(self.member(chat.id, user_id), self.user(user_id), chat.type)

    # ----- updates ------------------------------------------------------------------------
    @staticmethod
    def allowed(bot: Bot, kind: str) -> bool:
        if not bot.allowed_updates:
            return kind not in _OPT_IN_ONLY
        return kind in bot.allowed_updates

    def enqueue(self, bot: Bot, kind: str, payload: dict[str, Any]) -> list[Ticket]:
        if not self.allowed(bot, kind):
            return []
        update_id = bot.next_update_id
        bot.next_update_id += 1
        bot.queue.append({"update_id": update_id, kind: copy.deepcopy(payload)})
        self.cond.notify_all()
        return [(bot.user.id, update_id)]

    def change_member(
        self,
        chat: Chat,
        user_id: int,
        new: Member,
        *,
        actor_id: int,
        invite_link: dict[str, Any] | None = None,
        via_join_request: bool = False,
    ) -> list[Ticket]:
        """Store `new` and send chat_member / my_chat_member updates for the change."""
        user = self.user(user_id)
        old_dict = self.render_member(chat, user_id)
        self.members[(chat.id, user_id)] = new
        new_dict = self.render_member(chat, user_id)
        if old_dict == new_dict or chat.type == "private":
            return []
        payload: dict[str, Any] = {
            "chat": self.render_chat(chat),
            "from": render.user(self.user(actor_id)),
            "date": self.now(),
            "old_chat_member": old_dict,
            "new_chat_member": new_dict,
        }
        if invite_link is not None:
            payload["invite_link"] = invite_link
        if via_join_request:
            payload["via_join_request"] = True
        tickets: list[Ticket] = []
        for bot in self.bots.values():
            if bot.user.id == user.id:
                tickets += self.enqueue(bot, "my_chat_member", payload)
            elif self.member(chat.id, bot.user.id).is_admin:
                tickets += self.enqueue(bot, "chat_member", payload)
        return tickets

    # ----- messages -----------------------------------------------------------------------
    def post_message(
        self,
        chat: Chat,
        *,
        sender: User | None,
        content: dict[str, Any],
        sender_chat: Chat | None = None,
        thread_id: int | None = None,
        reply_to: StoredMessage | None = None,
        partner_bot_id: int | None = None,
    ) -> StoredMessage:
        """Store a message (no updates; see `route`)."""
        message_id = chat.next_message_id
        chat.next_message_id += 1
        data: dict[str, Any] = {"message_id": message_id}
        if thread_id is not None:
            data["message_thread_id"] = thread_id
        if sender is not None:
            data["from"] = render.user(sender)
        if sender_chat is not None:
            data["sender_chat"] = render.chat(sender_chat)
        data["chat"] = self.render_chat(chat)
        data["date"] = self.now()
        if chat.is_forum and thread_id is not None:
            data["is_topic_message"] = True
        if reply_to is not None:
            quoted = copy.deepcopy(reply_to.data)
            quoted.pop("reply_to_message", None)
            data["reply_to_message"] = quoted
        data.update(content)
        msg = StoredMessage(
            chat.id,
            message_id,
            data["date"],
            data,
            sender.id if sender is not None else None,
            thread_id,
            partner_bot_id,
        )
        self.messages.setdefault(chat.id, {})[message_id] = msg
        return msg

    def route(self, msg: StoredMessage, *, edited: bool = False) -> list[Ticket]:
        """Send a message to the bots that would see it."""
        chat = self.chats[msg.chat_id]
        sender_is_bot = msg.sender_id in self.bots
        tickets: list[Ticket] = []
        if chat.type == "private":
            bot = self.bots.get(msg.partner_bot_id or 0)
            if bot is not None and not sender_is_bot:
                tickets += self.enqueue(bot, "edited_message" if edited else "message", msg.data)
            return tickets
        kind = "channel_post" if chat.type == "channel" else "message"
        kind = f"edited_{kind}" if edited else kind
        for bot in self.bots.values():
            if bot.user.id == msg.sender_id:
                continue
            m = self.member(chat.id, bot.user.id)
            if chat.type == "channel":
                if m.is_admin:
                    tickets += self.enqueue(bot, kind, msg.data)
            elif m.active and not sender_is_bot and self._sees(bot, m, msg):
                tickets += self.enqueue(bot, kind, msg.data)
        return tickets

    def _sees(self, bot: Bot, m: Member, msg: StoredMessage) -> bool:
        """Privacy mode: non-admin bots see service messages, commands, replies, mentions."""
        if m.is_admin or bot.can_read_all_group_messages or _SERVICE_KEYS & msg.data.keys():
            return True
        text: str = msg.data.get("text") or msg.data.get("caption") or ""
        username = (bot.user.username or "").lower()
        if text.startswith("/"):
            command = text.split()[0].lower()
            if "@" not in command or command.endswith(f"@{username}"):
                return True
        if username and f"@{username}" in text.lower():
            return True
        replied = msg.data.get("reply_to_message", {})
        return bool(replied.get("from", {}).get("id") == bot.user.id)

    def check_thread(self, chat: Chat, thread_id: int | None) -> None:
        """Forums: a topic id (the General topic has none). Elsewhere: an existing message."""
        if thread_id is None:
            return
        known = (
            thread_id in chat.topics
            if chat.is_forum
            else (self.visible_message(chat.id, thread_id) is not None)
        )
        if not known:
            raise bad_request("message thread not found")

    def forward_to_discussion(self, channel: Chat, post: StoredMessage) -> list[Ticket]:
        """A channel post appears in the linked discussion group as an automatic forward."""
        group = self.chats.get(channel.linked_chat_id or 0)
        if group is None:
            return []
        content = {
            key: copy.deepcopy(value)
            for key, value in post.data.items()
            if key not in ("message_id", "chat", "date", "from", "sender_chat", "reply_markup")
        }
        content["is_automatic_forward"] = True
        content["forward_origin"] = {
            "type": "channel",
            "date": post.date,
            "chat": render.chat(channel),
            "message_id": post.message_id,
        }
        msg = self.post_message(
            group, sender=self.user(TELEGRAM_SERVICE_ID), sender_chat=channel, content=content
        )
        return self.route(msg)

    # ----- membership flows (shared by scripting and Bot API methods) -----------------------
    def join(
        self,
        chat: Chat,
        user_id: int,
        *,
        actor_id: int,
        invite_link: dict[str, Any] | None = None,
        via_join_request: bool = False,
    ) -> list[Ticket]:
        old = self.member(chat.id, user_id)
        if old.active:
            raise SandboxError(f"user {user_id} is already a member of chat {chat.id}")
        if old.status == "kicked":
            raise SandboxError(f"user {user_id} is banned in chat {chat.id}")
        if old.status == "restricted":  # Telegram keeps a restriction across leave/rejoin
            new = Member("restricted", permissions=old.permissions, until_date=old.until_date)
        else:
            new = Member("member")
        chat.join_requests.pop(user_id, None)
        tickets = self.change_member(
            chat,
            user_id,
            new,
            actor_id=actor_id,
            invite_link=invite_link,
            via_join_request=via_join_request,
        )
        if chat.type in ("group", "supergroup"):
            added_by = user_id if via_join_request else actor_id
            msg = self.post_message(
                chat,
                sender=self.user(added_by),
                content={"new_chat_members": [render.user(self.user(user_id))]},
            )
            tickets += self.route(msg)
        return tickets

    def remove(
        self, chat: Chat, user_id: int, *, actor_id: int, ban_until: int | None = None
    ) -> list[Ticket]:
        """Leave (ban_until None) or ban (ban_until 0 = forever)."""
        old = self.member(chat.id, user_id)
        if ban_until is not None:
            new = Member("kicked", until_date=ban_until, is_member=False)
        elif old.status == "restricted":
            new = Member(
                "restricted",
                permissions=old.permissions,
                until_date=old.until_date,
                is_member=False,
            )
        else:
            new = Member("left", is_member=False)
        tickets = self.change_member(chat, user_id, new, actor_id=actor_id)
        if old.active and chat.type in ("group", "supergroup"):
            msg = self.post_message(
                chat,
                sender=self.user(actor_id),
                content={"left_chat_member": render.user(self.user(user_id))},
            )
            tickets += self.route(msg)
        return tickets

    def admins(self, chat: Chat) -> Iterable[int]:
        order = {"creator": 0, "administrator": 1}
        found = [
            (order[m.status], uid)
            for (cid, uid), m in self.members.items()
            if cid == chat.id and m.is_admin
        ]
        return [uid for _, uid in sorted(found)]
