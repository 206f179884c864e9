"""`Sandbox`: the scripting facade over the simulated Telegram (one lock, plain dicts out)."""

from __future__ import annotations

import copy
import time
from collections.abc import Callable, Iterable, Mapping, Sequence
from typing import Any

from infra.local.sandbox import actions, dispatch, render
from infra.local.sandbox.delivery import WebhookDelivery
from infra.local.sandbox.errors import SandboxError
from infra.local.sandbox.faults import Fault
from infra.local.sandbox.model import GROUP_ANONYMOUS_BOT_ID, Bot, Chat, Member, User
from infra.local.sandbox.rules import default_permissions, normalize_permissions
from infra.local.sandbox.world import Ticket, World

_CHAT_TYPES = ("group", "supergroup", "channel")


class Sandbox:
    """Pure in-memory Telegram: bots, users, chats, memberships, messages and update queues.

    Scripting calls that create updates queue them for every bot that should receive them
    and, with `wait=True` (default), return once each bot's webhook has answered them.
    Bots reach it through `api_call` (what `SandboxServer` serves as `/bot<token>/<method>`).
    """

    def __init__(
        self,
        clock: Callable[[], float] = time.time,
        *,
        retry_delays: Sequence[float] = (0.05, 0.1, 0.2, 0.4),
        webhook_timeout: float = 5.0,
        timeout_fault_delay: float = 1.0,
        wait_timeout: float = 10.0,
        seed: int | None = None,
    ) -> None:
        self._w = World(
            clock=clock,
            seed=seed,
            retry_delays=tuple(retry_delays),
            webhook_timeout=webhook_timeout,
            timeout_fault_delay=timeout_fault_delay,
        )
        self._delivery = WebhookDelivery(self._w)
        self._w.on_webhook_set = self._delivery.ensure_worker
        self.wait_timeout = wait_timeout

    def close(self) -> None:
        """Stop webhook delivery and release long polls."""
        with self._w.cond:
            self._w.closed = True
            self._w.cond.notify_all()
        self._delivery.close()

    def __enter__(self) -> Sandbox:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # ----- setup (silent: no updates) -------------------------------------------------------
    def create_bot(
        self,
        username: str,
        first_name: str = "Bot",
        *,
        token: str | None = None,
        can_read_all_group_messages: bool = False,
    ) -> dict[str, Any]:
        """A bot account; `token` may be fixed (`"<id>:<secret>"`) for a reproducible stack."""
        w = self._w
        with w.cond:
            if token is not None:
                bot_id = int(token.split(":", 1)[0])
            else:
                bot_id = w.allocate_id("bot")
                token = f"{bot_id}:{w.random_token(35)}"
            if bot_id in w.users or token in w.tokens:
                raise SandboxError(f"bot id {bot_id} already exists")
            user = User(bot_id, first_name, is_bot=True, username=username)
            w.users[bot_id] = user
            w.bots[bot_id] = Bot(
                user, token, can_read_all_group_messages=can_read_all_group_messages
            )
            w.tokens[token] = bot_id
            return {**render.user(user), "token": token}

    def create_user(
        self,
        first_name: str,
        *,
        last_name: str | None = None,
        username: str | None = None,
        language_code: str | None = None,
        is_bot: bool = False,
        is_premium: bool = False,
    ) -> dict[str, Any]:
        w = self._w
        with w.cond:
            user = User(
                w.allocate_id("user"),
                first_name,
                is_bot,
                last_name,
                username,
                language_code,
                is_premium,
            )
            w.users[user.id] = user
            return render.user(user)

    def create_chat(
        self,
        type: str,
        title: str | None = None,
        *,
        username: str | None = None,
        is_forum: bool = False,
        join_by_request: bool = False,
        description: str | None = None,
        creator_id: int | None = None,
    ) -> dict[str, Any]:
        """A group, supergroup (optionally a forum) or channel; public when it has a username."""
        if type not in _CHAT_TYPES:
            raise SandboxError(f"chat type must be one of {_CHAT_TYPES}")
        w = self._w
        with w.cond:
            chat = Chat(
                w.allocate_id("group" if type == "group" else "supergroup"),
                type,
                title=title or type.title(),
                username=username,
                is_forum=is_forum and type == "supergroup",
                join_by_request=join_by_request,
                description=description,
                permissions=default_permissions(is_forum=is_forum),
            )
            if chat.is_forum:
                chat.next_message_id = 2  # id 1 stands for the General topic, never a thread
            w.chats[chat.id] = chat
            if creator_id is not None:
                w.members[(chat.id, creator_id)] = Member("creator")
            return w.render_chat(chat)

    def link_chats(self, channel_id: int, group_id: int) -> None:
        """Make `group_id` the channel's discussion group (linked_chat_id both ways)."""
        with self._w.cond:
            channel, group = self._w.chat(channel_id), self._w.chat(group_id)
            channel.linked_chat_id, group.linked_chat_id = group.id, channel.id

    def create_topic(
        self, chat_id: int, name: str, *, user_id: int | None = None, wait: bool = True
    ) -> int:
        """A forum topic; returns its message_thread_id."""
        w = self._w
        with w.cond:
            chat = w.chat(chat_id)
            if not chat.is_forum:
                raise SandboxError(f"chat {chat_id} is not a forum")
            actor = w.user(self._actor(chat, user_id))
            content = {"forum_topic_created": {"name": name, "icon_color": 7322096}}
            thread_id = chat.next_message_id
            chat.topics[thread_id] = name
            msg = w.post_message(chat, sender=actor, content=content, thread_id=thread_id)
            tickets = w.route(msg)
        self._settle(tickets, wait)
        return thread_id

    def add_member(
        self,
        chat_id: int,
        user_id: int,
        status: str = "member",
        *,
        rights: Mapping[str, bool] | None = None,
        permissions: Mapping[str, bool] | None = None,
        until_date: int = 0,
        is_member: bool = True,
        custom_title: str | None = None,
    ) -> dict[str, Any]:
        """Set a membership directly, with no updates or service messages (scenario setup)."""
        w = self._w
        with w.cond:
            chat = w.chat(chat_id)
            w.user(user_id)
            w.members[(chat.id, user_id)] = Member(
                status,
                rights=dict(rights or {}),
                permissions=normalize_permissions(permissions or {}, independent=True),
                until_date=until_date,
                is_member=is_member if status == "restricted" else status not in ("left", "kicked"),
                custom_title=custom_title,
            )
            return w.render_member(chat, user_id)

    def set_webhook(
        self,
        bot_id: int,
        url: str,
        *,
        secret_token: str | None = None,
        allowed_updates: Sequence[str] | None = None,
    ) -> None:
        """Shortcut for the bot calling setWebhook itself."""
        params: dict[str, Any] = {"url": url}
        if secret_token is not None:
            params["secret_token"] = secret_token
        if allowed_updates is not None:
            params["allowed_updates"] = list(allowed_updates)
        status, body = self.api_call(self._token(bot_id), "setWebhook", params)
        if status != 200:
            raise SandboxError(str(body.get("description")))

    # ----- membership changes (updates) -----------------------------------------------------
    def promote(
        self,
        chat_id: int,
        user_id: int,
        *,
        by: int | None = None,
        wait: bool = True,
        **rights: bool,
    ) -> dict[str, Any]:
        new = Member("administrator", rights=dict(rights))
        return self._change(chat_id, user_id, new, by, wait)

    def demote(
        self, chat_id: int, user_id: int, *, by: int | None = None, wait: bool = True
    ) -> dict[str, Any]:
        return self._change(chat_id, user_id, Member("member"), by, wait)

    def restrict(
        self,
        chat_id: int,
        user_id: int,
        permissions: Mapping[str, bool] | None = None,
        *,
        until_date: int = 0,
        by: int | None = None,
        wait: bool = True,
    ) -> dict[str, Any]:
        """A human admin restricting someone (all omitted permissions are False)."""
        with self._w.cond:
            active = self._w.member(chat_id, user_id).active
        new = Member(
            "restricted",
            permissions=normalize_permissions(permissions or {}, independent=True),
            until_date=until_date,
            is_member=active,
        )
        return self._change(chat_id, user_id, new, by, wait)

    def join(
        self,
        chat_id: int,
        user_id: int,
        *,
        via_invite_link: str | None = None,
        by: int | None = None,
        wait: bool = True,
    ) -> dict[str, Any]:
        """The user joins (or `by` adds them). Chats that approve members get a join request."""
        w = self._w
        with w.cond:
            chat = w.chat(chat_id)
            link = chat.invite_links.get(via_invite_link) if via_invite_link else None
            if via_invite_link and link is None:
                raise SandboxError(f"unknown invite link {via_invite_link}")
            needs_approval = (link or {}).get("creates_join_request") or (
                chat.join_by_request and by is None and link is None
            )
            if needs_approval:
                tickets = self._request_join(chat, user_id, link, None)
            else:
                tickets = w.join(chat, user_id, actor_id=by or user_id, invite_link=link)
            result = w.render_member(chat, user_id)
        self._settle(tickets, wait)
        return result

    def leave(self, chat_id: int, user_id: int, *, wait: bool = True) -> dict[str, Any]:
        w = self._w
        with w.cond:
            chat = w.chat(chat_id)
            tickets = w.remove(chat, user_id, actor_id=user_id)
            result = w.render_member(chat, user_id)
        self._settle(tickets, wait)
        return result

    def kick(
        self,
        chat_id: int,
        user_id: int,
        *,
        by: int | None = None,
        until_date: int = 0,
        wait: bool = True,
    ) -> dict[str, Any]:
        """Ban the user (a bot too: that is how a bot is removed from a channel)."""
        w = self._w
        with w.cond:
            chat = w.chat(chat_id)
            tickets = w.remove(chat, user_id, actor_id=self._actor(chat, by), ban_until=until_date)
            result = w.render_member(chat, user_id)
        self._settle(tickets, wait)
        return result

    def request_join(
        self,
        chat_id: int,
        user_id: int,
        *,
        invite_link: str | None = None,
        bio: str | None = None,
        wait: bool = True,
    ) -> dict[str, Any]:
        """A chat_join_request to admin bots that can invite users; returns the request."""
        w = self._w
        with w.cond:
            chat = w.chat(chat_id)
            link = chat.invite_links.get(invite_link) if invite_link else None
            tickets = self._request_join(chat, user_id, link, bio)
            request = self._join_request_payload(chat, user_id, link, bio)
        self._settle(tickets, wait)
        return request

    # ----- messages -------------------------------------------------------------------------
    def send_message_as(
        self,
        chat_id: int,
        user_id: int,
        text: str | None = None,
        *,
        kind: str = "text",
        message_thread_id: int | None = None,
        sender_chat_id: int | None = None,
        reply_to: int | None = None,
        is_automatic_forward: bool = False,
        wait: bool = True,
    ) -> dict[str, Any]:
        """The user posts in a chat (`chat_id` = a bot's id: their private chat with it).

        Raises SandboxError where Telegram would refuse (not a member, restricted, ...).
        """
        with self._w.cond:
            msg, tickets = actions.send_message_as(
                self._w,
                chat_id,
                user_id,
                text,
                kind=kind,
                message_thread_id=message_thread_id,
                sender_chat_id=sender_chat_id,
                reply_to=reply_to,
                is_automatic_forward=is_automatic_forward,
            )
            result = copy.deepcopy(msg.data)
        self._settle(tickets, wait)
        return result

    def edit_message_as(
        self, chat_id: int, message_id: int, user_id: int, text: str, *, wait: bool = True
    ) -> dict[str, Any]:
        with self._w.cond:
            msg, tickets = actions.edit_message_as(self._w, chat_id, message_id, user_id, text)
            result = copy.deepcopy(msg.data)
        self._settle(tickets, wait)
        return result

    def press_button(
        self,
        chat_id: int,
        message_id: int,
        user_id: int,
        callback_data: str,
        *,
        wait: bool = True,
    ) -> str:
        """A callback_query to the bot that sent the message; returns the query id."""
        with self._w.cond:
            query_id, tickets = actions.press_button(
                self._w, chat_id, message_id, user_id, callback_data
            )
        self._settle(tickets, wait)
        return query_id

    def migrate_group(
        self, group_id: int, *, by: int | None = None, wait: bool = True
    ) -> dict[str, Any]:
        """Upgrade a basic group to a supergroup; returns the new chat."""
        with self._w.cond:
            old = self._w.chat(group_id)
            new, tickets = actions.migrate_group(self._w, group_id, self._actor(old, by))
            result = self._w.render_chat(new)
        self._settle(tickets, wait)
        return result

    # ----- inspection -----------------------------------------------------------------------
    def messages(
        self, chat_id: int, thread_id: int | None = None, *, include_deleted: bool = False
    ) -> list[dict[str, Any]]:
        """Messages oldest first (bots' included); `thread_id` narrows to one topic/thread."""
        with self._w.cond:
            stored = sorted(self._w.messages.get(chat_id, {}).values(), key=lambda m: m.message_id)
            return [
                copy.deepcopy(m.data)
                for m in stored
                if (include_deleted or not m.deleted)
                and (thread_id is None or m.thread_id == thread_id)
            ]

    def member(self, chat_id: int, user_id: int) -> dict[str, Any]:
        with self._w.cond:
            return self._w.render_member(self._w.chat(chat_id), user_id)

    def chat(self, chat_id: int) -> dict[str, Any]:
        """The chat as getChat would describe it (ChatFullInfo)."""
        with self._w.cond:
            chat = self._w.chat(chat_id)
            return render.full_chat(chat, private_user=self._w.users.get(chat.id))

    def callback_answers(self, query_id: str) -> list[dict[str, Any]]:
        with self._w.cond:
            query = self._w.callbacks.get(query_id)
            if query is None:
                raise SandboxError(f"unknown callback query {query_id}")
            return copy.deepcopy(query.answers)

    def calls(self, method: str | None = None) -> list[dict[str, Any]]:
        """Bot API calls made by bots, oldest first: method, params, ok, error_code, ..."""
        with self._w.cond:
            return [
                copy.deepcopy(c)
                for c in self._w.call_log
                if method is None or c["method"].lower() == method.lower()
            ]

    def deliveries(self, bot_id: int | None = None) -> list[dict[str, Any]]:
        """Webhook delivery attempts: update_id, attempt, status (delivered/failed/gave_up)."""
        with self._w.cond:
            return [
                dict(d) for d in self._w.delivery_log if bot_id is None or d["bot_id"] == bot_id
            ]

    def pending_updates(self, bot_id: int) -> list[dict[str, Any]]:
        with self._w.cond:
            return copy.deepcopy(self._bot(bot_id).queue)

    def state(self) -> dict[str, Any]:
        """A JSON-able snapshot for the control API and debugging."""
        w = self._w
        with w.cond:
            return {
                "users": [render.user(u) for u in w.users.values() if u.id not in w.bots],
                "bots": [
                    {
                        **render.user(b.user),
                        "token": b.token,
                        "webhook_url": b.webhook_url,
                        "pending_update_count": len(b.queue),
                    }
                    for b in w.bots.values()
                ],
                "chats": [
                    {
                        **w.render_chat(c),
                        "migrated_to": c.migrated_to,
                        "linked_chat_id": c.linked_chat_id,
                    }
                    for c in w.chats.values()
                ],
                "members": [
                    {"chat_id": cid, **w.render_member(w.chats[cid], uid)}
                    for (cid, uid) in list(w.members)
                ],
                "messages": {
                    str(cid): [copy.deepcopy(m.data) for m in msgs.values() if not m.deleted]
                    for cid, msgs in w.messages.items()
                },
            }

    # ----- faults, HTTP entry, synchronisation ------------------------------------------------
    def fail_next(
        self,
        method: str,
        error: str = "500",
        *,
        times: int = 1,
        retry_after: int = 3,
        chat_id: int | str | None = None,
        description: str | None = None,
    ) -> None:
        """The next `times` calls of `method` ("*" = any) fail instead of running.

        error: "429" (with retry_after), "500", "502", any status code, "timeout" (answers
        after `timeout_fault_delay` s without acting), "forbidden", or a Telegram error text
        such as "PARTICIPANT_ID_INVALID" (→ 400 "Bad Request: PARTICIPANT_ID_INVALID").
        """
        fault = Fault(method.lower(), str(error), times, retry_after, chat_id, description)
        with self._w.cond:
            self._w.faults.add(fault)

    def api_call(
        self, token: str, method: str, params: Mapping[str, Any] | None = None
    ) -> tuple[int, dict[str, Any]]:
        """One Bot API call as a bot would make it; returns (HTTP status, JSON body)."""
        return dispatch.call(self._w, token, method, params or {})

    def wait_idle(self, timeout: float = 5.0) -> None:
        """Block until no bot with a webhook has undelivered updates."""
        self._wait_until(
            lambda: all(not b.webhook_url or not b.queue for b in self._w.bots.values()), timeout
        )

    # ----- internals ------------------------------------------------------------------------
    def _bot(self, bot_id: int) -> Bot:
        try:
            return self._w.bots[bot_id]
        except KeyError:
            raise SandboxError(f"unknown bot {bot_id}") from None

    def _token(self, bot_id: int) -> str:
        with self._w.cond:
            return self._bot(bot_id).token

    def _actor(self, chat: Chat, by: int | None) -> int:
        if by is not None:
            return by
        return self._w.creator_of(chat) or GROUP_ANONYMOUS_BOT_ID

    def _change(
        self, chat_id: int, user_id: int, new: Member, by: int | None, wait: bool
    ) -> dict[str, Any]:
        w = self._w
        with w.cond:
            chat = w.chat(chat_id)
            tickets = w.change_member(chat, user_id, new, actor_id=self._actor(chat, by))
            result = w.render_member(chat, user_id)
        self._settle(tickets, wait)
        return result

    def _join_request_payload(
        self, chat: Chat, user_id: int, link: dict[str, Any] | None, bio: str | None
    ) -> dict[str, Any]:
        payload: dict[str, Any] = {
            "chat": self._w.render_chat(chat),
            "from": render.user(self._w.user(user_id)),
            "user_chat_id": user_id,
            "date": chat.join_requests.get(user_id, self._w.now()),
        }
        if bio is not None:
            payload["bio"] = bio
        if link is not None:
            payload["invite_link"] = link
        return payload

    def _request_join(
        self, chat: Chat, user_id: int, link: dict[str, Any] | None, bio: str | None
    ) -> list[Ticket]:
        w = self._w
        if w.member(chat.id, user_id).active:
            raise SandboxError(f"user {user_id} is already a member of chat {chat.id}")
        chat.join_requests[user_id] = w.now()
        payload = self._join_request_payload(chat, user_id, link, bio)
        tickets: list[Ticket] = []
        for bot in w.bots.values():
            if w.member(chat.id, bot.user.id).can("can_invite_users"):
                # Telegram lets a bot that receives a join request write to the requester
                # (user_chat_id) even though they never started it.
                w.chats.setdefault(user_id, Chat(user_id, "private"))
                w.private_started.add((bot.user.id, user_id))
                tickets += w.enqueue(bot, "chat_join_request", payload)
        return tickets

    def _settle(self, tickets: Iterable[Ticket], wait: bool) -> None:
        """Wait until each update is answered by its bot's webhook (or given up)."""
        pending = list(tickets)
        if not wait or not pending:
            return

        def done() -> bool:
            for bot_id, update_id in pending:
                bot = self._w.bots[bot_id]
                if bot.webhook_url and any(u["update_id"] == update_id for u in bot.queue):
                    return False
            return True

        self._wait_until(done, self.wait_timeout)

    def _wait_until(self, predicate: Callable[[], bool], timeout: float) -> None:
        deadline = time.monotonic() + timeout
        with self._w.cond:
            while not predicate():
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    raise SandboxError("applied, but timed out waiting for webhook deliveries")
                self._w.cond.wait(remaining)
