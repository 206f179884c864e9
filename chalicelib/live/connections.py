"""Dashboard websocket connections: ticket auth on connect, topics, ping, fan-out.

A connection is opened with a single-use ticket (``?ticket=``) issued to a signed-in
operator; the ticket is consumed on ``$connect``. Messages are small JSON commands:
``{"action": "ping"}``, ``{"action": "subscribe", "topic": "bot:123"}``,
``{"action": "unsubscribe", "topic": ...}``. Topics: ``all`` (every bot of the operator),
``bot:{id}``, ``group:{bot_id}:{chat_id}``; a connection subscribes only to bots its
operator owns. Replies are JSON: ``pong``, ``subscriptions`` or
``{"type": "error", "code": ..., "error": ...}``.
"""

from __future__ import annotations

import hashlib
import json
import re
import secrets
import time
from collections.abc import Callable
from typing import Any

from chalicelib.errors import Forbidden, InvalidInput, NezukoError, NotFound, Unauthorized
from chalicelib.store.bundle import Stores
from chalicelib.store.records import AuthRecord, ConnectionRecord

TICKET_TTL = 60
CONNECTION_TTL = 2 * 3600  # API Gateway closes websockets after 2 hours
MAX_MESSAGE = 4096
MAX_TOPICS = 50
ACTIONS = ("ping", "subscribe", "unsubscribe")
# fullmatch, not match + "$": "$" also matches before a trailing newline.
_TOPIC = re.compile(r"all|bot:\d{1,20}|group:\d{1,20}:-?\d{1,20}", re.ASCII)


class LiveConnections:
    """Connect, disconnect and messages of the live websocket."""

    def __init__(self, stores: Stores, *, clock: Callable[[], float] = time.time) -> None:
        self._stores = stores
        self._clock = clock

    def issue_ticket(self, operator_id: int) -> str:
        """A single-use ticket, valid for ``TICKET_TTL`` seconds."""
        ticket = secrets.token_urlsafe(24)
        now = self._clock()
        self._stores.auth.put(
            AuthRecord(
                kind="ws",
                token_id=_digest(ticket),
                created_at=now,
                expires_at=int(now + TICKET_TTL),
                operator_id=operator_id,
            )
        )
        return ticket

    def connect(self, connection_id: str, query: dict[str, str] | None) -> ConnectionRecord:
        """Accept a connection that presents a valid ticket, else ``Unauthorized``."""
        ticket = (query or {}).get("ticket", "")
        if not ticket or len(ticket) > 128:
            raise Unauthorized("a ticket is required")
        now = self._clock()
        record = self._stores.auth.consume("ws", _digest(ticket), now=now)
        if record is None or record.operator_id is None:
            raise Unauthorized("the ticket is invalid, used or expired")
        connection = ConnectionRecord(
            connection_id=connection_id,
            operator_id=record.operator_id,
            connected_at=now,
            expires_at=int(now + CONNECTION_TTL),
            subscriptions=["all"],
        )
        self._stores.connections.put(connection)
        return connection

    def disconnect(self, connection_id: str) -> None:
        """Forget the connection."""
        self._stores.connections.delete(connection_id)

    def message(
        self, connection_id: str, body: str | None, *, binary: bool = False
    ) -> dict[str, Any]:
        """Apply one client command; returns the reply to send back (errors as JSON).

        Hostile input is answered, never raised: binary frames, bodies that are not a small
        JSON object, unknown actions, malformed topics, and topics of bots the connection's
        operator does not own.
        """
        try:
            if binary:
                raise InvalidInput("send text frames with a JSON object")
            command = self._parse(body)
            action = command["action"]
            if action == "ping":
                return {"type": "pong", "ts": self._clock()}
            connection = self._stores.connections.find(connection_id)
            if connection is None:
                raise Unauthorized("unknown connection: reconnect with a new ticket")
            topic = command.get("topic")
            if not isinstance(topic, str) or not _TOPIC.fullmatch(topic):
                raise InvalidInput("topic must be all, bot:<id> or group:<bot>:<chat>")
            topic = _canonical(topic)
            topics = [t for t in connection.subscriptions if t != topic]
            if action == "subscribe":
                self._check_owner(connection.operator_id, topic)
                if len(topics) >= MAX_TOPICS:
                    raise InvalidInput(f"at most {MAX_TOPICS} subscriptions per connection")
                topics.append(topic)
            connection.subscriptions = topics
            self._stores.connections.put(connection)
            return {"type": "subscriptions", "topics": connection.subscriptions}
        except NezukoError as exc:
            return {"type": "error", "code": exc.code, "error": exc.message}

    def _check_owner(self, operator_id: int, topic: str) -> None:
        if topic == "all":
            return
        bot_id = int(topic.split(":")[1])
        try:
            owner = self._stores.bots.get(bot_id).owner_id
        except NotFound:
            owner = None
        if owner != operator_id:  # same answer for "absent" and "not yours"
            raise Forbidden("you can only subscribe to your own bots")

    @staticmethod
    def _parse(body: str | None) -> dict[str, Any]:
        if not body or len(body) > MAX_MESSAGE:
            raise InvalidInput("send a JSON object under 4 KB")
        try:
            command = json.loads(body)
        except (ValueError, RecursionError):
            raise InvalidInput("send a JSON object") from None
        if not isinstance(command, dict) or command.get("action") not in ACTIONS:
            raise InvalidInput("action must be ping, subscribe or unsubscribe")
        return command


def _canonical(topic: str) -> str:
    """``bot:007`` → ``bot:7``: one spelling per topic, the one ``wants`` compares."""
    kind, *ids = topic.split(":")
    return ":".join([kind, *(str(int(i)) for i in ids)])


def wants(subscriptions: list[str], bot_id: int, chat_id: int | None) -> bool:
    """Does a connection with ``subscriptions`` want an event of this bot and group?"""
    for topic in subscriptions:
        if topic == "all" or topic == f"bot:{bot_id}":
            return True
        if chat_id is not None and topic == f"group:{bot_id}:{chat_id}":
            return True
    return False


def _digest(ticket: str) -> str:
    """Tickets are stored by hash: the table (or a DEBUG log of its requests) never holds one
    that could be used."""
    return hashlib.sha256(ticket.encode()).hexdigest()
