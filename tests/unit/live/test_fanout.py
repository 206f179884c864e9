"""Fan-out: the right connections, a 410 removes that one, one slow client delays nobody."""

from __future__ import annotations

import json
import threading
from typing import Any

from chalicelib.live.fanout import Fanout, live_event
from chalicelib.store.bundle import Stores, memory_stores
from chalicelib.store.records import ConnectionRecord

from .fakes import RecordingSend

WAIT = 5.0  # a safety net for a broken build, not a measurement


def _connect(
    stores: Stores, connection_id: str, operator_id: int = 7, topics: list[str] | None = None
) -> None:
    stores.connections.put(
        ConnectionRecord(connection_id, operator_id, 0.0, 2_000_000_000, topics or ["all"])
    )


def _event(event_id: str = "e1", *, bot_id: int = 42, chat_id: int = -1001) -> dict[str, Any]:
    return {
        "event_id": event_id,
        "bot_key": str(bot_id),
        "owner_id": 7,
        "type": "join_muted",
        "ts": 1.0,
        "chat_id": chat_id,
    }


def test_stale_connection_is_removed_on_gone_and_the_others_still_receive() -> None:
    # Given three connections of the owner, one gone
    stores = memory_stores()
    for c in ("a", "stale", "b"):
        _connect(stores, c)
    send = RecordingSend(gone=["stale"])
    # When
    counts = Fanout(stores.connections, send).publish(_event())
    # Then only the stale connection was deleted
    assert counts == {"sent": 2, "gone": 1, "failed": 0, "pending": 0}
    assert [c.connection_id for c in stores.connections.list_by_operator(7)] == ["a", "b"]
    assert sorted(send.sent) == ["a", "b"]


def test_other_send_errors_are_counted_and_keep_the_connection() -> None:
    # Given
    stores = memory_stores()
    _connect(stores, "a")
    _connect(stores, "broken")
    # When
    counts = Fanout(stores.connections, RecordingSend(broken=["broken"])).publish(_event())
    # Then
    assert (counts["sent"], counts["failed"]) == (1, 1)
    assert stores.connections.find("broken") is not None


def test_only_subscribed_connections_of_the_owner_receive_the_event() -> None:
    # Given
    stores = memory_stores()
    _connect(stores, "all")
    _connect(stores, "this-bot", topics=["bot:42"])
    _connect(stores, "this-group", topics=["group:42:-1001"])
    _connect(stores, "other-group", topics=["group:42:-2002"])
    _connect(stores, "other-bot", topics=["bot:43"])
    _connect(stores, "other-operator", operator_id=8)
    send = RecordingSend()
    # When
    Fanout(stores.connections, send).publish(_event())
    # Then
    assert sorted(send.sent) == ["all", "this-bot", "this-group"]


def test_one_slow_client_does_not_delay_the_others() -> None:
    # Given a client whose send blocks until released
    stores = memory_stores()
    for c in ("fast1", "slow", "fast2"):
        _connect(stores, c)
    release, fast_done = threading.Event(), threading.Event()
    got: list[str] = []

    def send(connection_id: str, message: str) -> None:
        if connection_id == "slow":
            release.wait(WAIT)
            return
        got.append(connection_id)
        if len(got) == 4:
            fast_done.set()

    fanout = Fanout(stores.connections, send, max_workers=4)
    # When two events go out while the slow client is still stuck on the first
    fanout.submit(_event("e1"))
    fanout.submit(_event("e2"))
    # Then both events reach the fast clients before the slow one is released
    assert fast_done.wait(WAIT)
    assert sorted(got) == ["fast1", "fast1", "fast2", "fast2"]
    release.set()
    assert fanout.drain(WAIT) == {"sent": 6, "gone": 0, "failed": 0, "pending": 0}


def test_a_connection_receives_its_events_in_order() -> None:
    # Given
    stores = memory_stores()
    _connect(stores, "a")
    send = RecordingSend()
    fanout = Fanout(stores.connections, send, max_workers=2)
    # When
    for i in range(20):
        fanout.submit(_event(f"e{i:02d}"))
    fanout.drain(WAIT)
    # Then
    assert [json.loads(m)["event"]["id"] for m in send.sent["a"]] == [
        f"e{i:02d}" for i in range(20)
    ]


def test_drain_reports_sends_still_running_as_pending() -> None:
    # Given a send that never finishes within the drain
    stores = memory_stores()
    _connect(stores, "stuck")
    release = threading.Event()
    fanout = Fanout(stores.connections, lambda c, m: release.wait(WAIT) and None)
    fanout.submit(_event())
    # When
    counts = fanout.drain(0)
    release.set()
    # Then
    assert counts["pending"] == 1


def test_live_event_is_compact_and_versioned() -> None:
    # Given / When
    message = live_event({**_event(), "detail": '{"k": 1}', "channels": [-100.0]})
    # Then
    assert message["v"] == 1
    assert message["event"]["id"] == "e1"
    assert message["event"]["bot_id"] == 42
    assert message["event"]["channels"] == [-100]
    assert message["event"]["detail"] == {"k": 1}
