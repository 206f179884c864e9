"""The events-stream handler: exact aggregates under redelivery, parking, fan-out."""

from __future__ import annotations

import json

from chalicelib.live.fanout import Fanout
from chalicelib.live.parked import list_parked
from chalicelib.live.stream import EventStreamHandler
from chalicelib.store.bundle import Stores, memory_stores
from chalicelib.store.records import ConnectionRecord

from .fakes import FlakyStats, RecordingSend
from .streams import batch, event_item, failed_ids, insert, sequence

NOW = 1_764_450_030.0


def _pipeline(
    stats: FlakyStats | None = None, *, max_attempts: int = 3
) -> tuple[EventStreamHandler, Stores, FlakyStats, RecordingSend]:
    stores = memory_stores()
    stats = stats or FlakyStats()
    send = RecordingSend()
    stores.connections.put(
        ConnectionRecord(
            "c1", operator_id=7, connected_at=NOW, expires_at=int(NOW) + 60, subscriptions=["all"]
        )
    )
    handler = EventStreamHandler(
        stats,
        stores.parked,
        Fanout(stores.connections, send),
        max_attempts=max_attempts,
        clock=lambda: NOW,
    )
    return handler, stores, stats, send


def _events_counted(stats: FlakyStats) -> float:
    return stats.range("bot#42", "h#2025-11-29T21#n", "h#2025-11-29T21#n~").get(
        "h#2025-11-29T21#n", 0
    )


def test_each_inserted_event_is_counted_and_sent_to_the_owners_connection() -> None:
    # Given
    handler, _, stats, send = _pipeline()
    # When
    response = handler.handle(batch(insert(event_item("a")), insert(event_item("b"))))
    # Then
    assert failed_ids(response) == []
    assert _events_counted(stats) == 2
    assert [json.loads(m)["event"]["id"] for m in send.sent["c1"]] == ["a", "b"]


def test_redelivery_after_a_partial_failure_does_not_double_count() -> None:
    # Given the second of three records fails once
    handler, _, stats, _ = _pipeline()
    stats.failures["agg#b"] = 1
    a, b, c = (insert(event_item(e)) for e in "abc")
    # When Lambda redelivers from the failed record on, then the whole batch again
    first = handler.handle(batch(a, b, c))
    second = handler.handle(batch(b, c))
    third = handler.handle(batch(a, b, c))
    # Then the failure and the deferred record after it were reported, and each event
    # is counted exactly once
    assert failed_ids(first) == [sequence(b), sequence(c)]
    assert failed_ids(second) == failed_ids(third) == []
    assert _events_counted(stats) == 3


def test_records_after_a_failure_are_deferred_untouched_to_keep_stream_order() -> None:
    # Given
    handler, _, stats, send = _pipeline()
    stats.failures["agg#a"] = 1
    # When
    handler.handle(batch(insert(event_item("a")), insert(event_item("b"))))
    # Then nothing of b happened before a
    assert _events_counted(stats) == 0
    assert send.sent.get("c1", []) == []


def test_a_poison_record_is_parked_after_max_attempts_and_the_rest_flow_on() -> None:
    # Given a record that always fails
    handler, stores, stats, send = _pipeline(max_attempts=3)
    stats.failures["agg#poison"] = -1
    poison, after = insert(event_item("poison")), insert(event_item("after"))
    # When Lambda keeps redelivering from it
    responses = [handler.handle(batch(poison, after)) for _ in range(3)]
    # Then the third attempt parks it and acknowledges the batch
    assert [failed_ids(r) for r in responses] == [
        [sequence(poison), sequence(after)],
        [sequence(poison), sequence(after)],
        [],
    ]
    assert _events_counted(stats) == 1
    parked = list_parked(stores.parked)["items"]
    assert [(p["event_id"], p["bot_id"], p["attempts"], p["reason"]) for p in parked] == [
        ("poison", 42, 3, "failed")
    ]
    assert "StoreUnavailable" in parked[0]["error"]
    assert [json.loads(m)["event"]["id"] for m in send.sent["c1"]] == ["after"]


def test_an_unreadable_record_is_parked_at_once() -> None:
    # Given an image without a bot
    handler, stores, stats, _ = _pipeline()
    broken = event_item("broken")
    del broken["bot_key"]
    # When
    response = handler.handle(batch(insert(broken), insert(event_item("fine"))))
    # Then
    assert failed_ids(response) == []
    assert [p["reason"] for p in list_parked(stores.parked)["items"]] == ["unreadable"]
    assert _events_counted(stats) == 1


def test_parked_records_are_listed_only_for_the_operators_bots() -> None:
    # Given two parked records of two bots
    handler, stores, _, _ = _pipeline()
    for bot in (42, 43):
        item = event_item(f"x{bot}", bot_id=bot)
        del item["ts"]
        handler.handle(batch(insert(item)))
    # When
    mine = list_parked(stores.parked, bot_ids=[43])
    # Then
    assert [p["event_id"] for p in mine["items"]] == ["x43"]


def test_modify_and_remove_records_are_ignored() -> None:
    # Given a TTL removal
    handler, _, stats, send = _pipeline()
    record = insert(event_item("a"))
    record["eventName"] = "REMOVE"
    # When
    response = handler.handle(batch(record))
    # Then
    assert (failed_ids(response), _events_counted(stats), send.sent) == ([], 0, {})


def test_an_event_without_owner_is_sent_to_the_bots_owner_looked_up() -> None:
    # Given
    stores = memory_stores()
    send = RecordingSend()
    stores.connections.put(ConnectionRecord("c9", 9, NOW, int(NOW) + 60, ["all"]))
    handler = EventStreamHandler(
        stores.stats, stores.parked, Fanout(stores.connections, send), owner_of=lambda bot: 9
    )
    # When
    handler.handle(batch(insert(event_item("a", owner_id=None))))
    # Then
    assert len(send.sent["c9"]) == 1
