"""The websocket API: single-use tickets, hostile input, subscriptions to own bots only."""

from __future__ import annotations

import json

import pytest

from chalicelib.errors import Unauthorized
from chalicelib.live.connections import TICKET_TTL, LiveConnections
from chalicelib.store.bundle import Stores, memory_stores
from chalicelib.store.records import BotRecord


class Clock:
    def __init__(self) -> None:
        self.now = 1_764_450_000.0

    def __call__(self) -> float:
        return self.now


def _live() -> tuple[LiveConnections, Stores, Clock]:
    stores = memory_stores()
    for bot_id, owner in ((42, 7), (43, 8)):
        stores.bots.create(BotRecord(bot_id, owner, f"b{bot_id}", "c", "s"))
    clock = Clock()
    return LiveConnections(stores, clock=clock), stores, clock


def _connected() -> tuple[LiveConnections, Stores]:
    live, stores, _ = _live()
    live.connect("conn", {"ticket": live.issue_ticket(7)})
    return live, stores


def test_a_ticket_opens_one_connection_with_all_topics() -> None:
    live, stores, _ = _live()
    connection = live.connect("conn", {"ticket": live.issue_ticket(7)})
    assert (connection.operator_id, connection.subscriptions) == (7, ["all"])
    assert stores.connections.find("conn") is not None


def test_a_ticket_cannot_be_used_twice() -> None:
    live, _, _ = _live()
    ticket = live.issue_ticket(7)
    live.connect("first", {"ticket": ticket})
    with pytest.raises(Unauthorized):
        live.connect("second", {"ticket": ticket})


def test_an_expired_ticket_is_refused() -> None:
    live, _, clock = _live()
    ticket = live.issue_ticket(7)
    clock.now += TICKET_TTL + 1
    with pytest.raises(Unauthorized):
        live.connect("conn", {"ticket": ticket})


@pytest.mark.parametrize(
    "query", [None, {}, {"ticket": ""}, {"ticket": "x" * 500}, {"ticket": "forged"}]
)
def test_connect_without_a_valid_ticket_is_refused(query: dict[str, str] | None) -> None:
    live, _, _ = _live()
    with pytest.raises(Unauthorized):
        live.connect("conn", query)


def test_disconnect_forgets_the_connection() -> None:
    live, stores = _connected()
    live.disconnect("conn")
    assert stores.connections.find("conn") is None


def test_ping_gets_pong() -> None:
    live, _ = _connected()
    assert live.message("conn", '{"action": "ping"}')["type"] == "pong"


def test_subscribe_and_unsubscribe_own_bot_and_group() -> None:
    live, stores = _connected()
    live.message("conn", '{"action": "unsubscribe", "topic": "all"}')
    live.message("conn", '{"action": "subscribe", "topic": "bot:042"}')
    reply = live.message("conn", '{"action": "subscribe", "topic": "group:42:-1001"}')
    assert reply == {"type": "subscriptions", "topics": ["bot:42", "group:42:-1001"]}
    assert stores.connections.find("conn").subscriptions == ["bot:42", "group:42:-1001"]  # type: ignore[union-attr]


@pytest.mark.parametrize("topic", ["bot:43", "group:43:-1", "bot:999"])
def test_subscribing_to_a_bot_of_another_operator_or_no_bot_is_forbidden(topic: str) -> None:
    live, stores = _connected()
    reply = live.message("conn", json.dumps({"action": "subscribe", "topic": topic}))
    assert (reply["type"], reply["code"]) == ("error", "forbidden")
    assert stores.connections.find("conn").subscriptions == ["all"]  # type: ignore[union-attr]


HOSTILE = [
    None,
    "",
    "None",
    "x" * 5000,
    "{" * 3000,
    "[" * 4000,
    "not json",
    "[]",
    "42",
    '"ping"',
    '{"action": "drop_tables"}',
    '{"action": ["ping"]}',
    '{"action": "subscribe"}',
    '{"action": "subscribe", "topic": 42}',
    '{"action": "subscribe", "topic": "all\\n"}',
    '{"action": "subscribe", "topic": "bot:42\\nbot:43"}',
    '{"action": "subscribe", "topic": "bot:42 "}',
    '{"action": "subscribe", "topic": "bot:*"}',
    '{"action": "subscribe", "topic": "group:42"}',
    '{"action": "subscribe", "topic": "bot:\\u0664\\u0662"}',
    '{"action": "subscribe", "topic": "bot:' + "9" * 30 + '"}',
    '{"action": "subscribe", "topic": "<script>"}',
]


@pytest.mark.parametrize("body", HOSTILE)
def test_hostile_messages_get_a_json_error_and_change_nothing(body: str | None) -> None:
    live, stores = _connected()
    reply = live.message("conn", body)
    assert reply["type"] == "error"
    assert isinstance(reply["error"], str) and isinstance(reply["code"], str)
    json.dumps(reply)
    assert stores.connections.find("conn").subscriptions == ["all"]  # type: ignore[union-attr]


def test_a_binary_frame_is_refused() -> None:
    live, _ = _connected()
    assert live.message("conn", "eyJhY3Rpb24iOiAicGluZyJ9", binary=True)["type"] == "error"


def test_subscriptions_are_bounded() -> None:
    live, stores = _connected()
    stores.bots.create(BotRecord(44, 7, "b44", "c", "s"))
    replies = [
        live.message("conn", json.dumps({"action": "subscribe", "topic": f"group:44:{i}"}))
        for i in range(60)
    ]
    assert replies[-1]["type"] == "error"
    assert len(stores.connections.find("conn").subscriptions) == 50  # type: ignore[union-attr]


def test_a_message_from_an_unknown_connection_is_an_error() -> None:
    live, _, _ = _live()
    reply = live.message("ghost", '{"action": "subscribe", "topic": "all"}')
    assert (reply["type"], reply["code"]) == ("error", "unauthorized")
