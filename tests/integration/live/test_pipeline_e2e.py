"""End to end on the local stack: EventStore.put → DynamoDB Local stream → stream pump →
app.py's ``on_events`` → aggregates in DynamoDB Local, and a real websocket client (through
the API Gateway-compatible gateway and its ``@connections`` API) receives the LiveEvent."""

from __future__ import annotations

import contextlib
import json
import statistics
import time
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import boto3
import pytest
from websockets.sync.client import ClientConnection, connect

from chalicelib.config import Settings
from chalicelib.store.bundle import Stores
from chalicelib.store.records import BotRecord, ConnectionRecord, EventRecord
from infra.local.lambda_runtime import handler_for
from infra.local.rest import RestServer
from infra.local.stream_pump import StreamPump
from infra.local.websocket_gateway import WebsocketGateway, bind_websocket_api

pytestmark = pytest.mark.integration

WAIT = 15.0  # a safety net, not a measurement


@dataclass
class Stack:
    app: Any
    stores: Stores
    gateway: WebsocketGateway
    pump: StreamPump
    settings: Settings

    def ticket(self, operator_id: int) -> str:
        from chalicelib import container

        return container.live().issue_ticket(operator_id)


@pytest.fixture(scope="module")
def stack(ddb_settings: Settings) -> Iterator[Stack]:
    mp = pytest.MonkeyPatch()
    env = {
        "NEZUKO_STAGE": "test",
        "NEZUKO_TABLE_PREFIX": ddb_settings.table_prefix,
        "AWS_ENDPOINT_URL_DYNAMODB": str(ddb_settings.dynamodb_endpoint),
        "NEZUKO_TOKEN_KEYS": str(ddb_settings.token_keys),
        "NEZUKO_SESSION_SECRET": "test-session-secret",
        "POWERTOOLS_METRICS_DISABLED": "true",
    }
    for name, value in env.items():
        mp.setenv(name, value)
    from chalicelib import container

    container.reset()
    import app as app_module

    app = app_module.app
    rest = RestServer(app)
    gateway = WebsocketGateway(app, stage="api")
    rest.mount(gateway.management_prefix, gateway.handle_management)
    bind_websocket_api(app, f"{rest.url}/{gateway.stage}")
    rest.start()
    gateway.start()
    # DynamoDB Local answers TrimmedDataAccessException to an iterator taken on a stream
    # that never held a record: one record first gives the pump a real position.
    container.stores().events.put(_event(1, owner=0))
    pump = StreamPump(
        str(ddb_settings.dynamodb_endpoint),
        ddb_settings.table_name("events"),
        handler_for(app, "on_events"),
        poll_interval=0.02,
        max_attempts=10,
    ).start()
    yield Stack(app, container.stores(), gateway, pump, ddb_settings)
    pump.stop()
    gateway.stop()
    rest.stop()
    container.reset()
    mp.undo()


def _event(bot_id: int, *, owner: int = 7, chat_id: int = -1001, **extra: Any) -> EventRecord:
    return EventRecord(
        bot_id=bot_id,
        owner_id=owner,
        type="join_verified",
        ts=time.time(),
        chat_id=chat_id,
        user_id=5,
        latency_ms=80.0,
        cache_hit=False,
        telegram_calls=["getChatMember"],
        **extra,
    )


@contextlib.contextmanager
def _open(stack: Stack, bot_id: int, owner: int = 7) -> Iterator[ClientConnection]:
    with connect(f"{stack.gateway.url}/?ticket={stack.ticket(owner)}") as client:
        client.send(json.dumps({"action": "subscribe", "topic": f"bot:{bot_id}"}))
        reply = json.loads(client.recv(timeout=WAIT))
        assert reply["type"] == "subscriptions", reply
        yield client


def _counted(stack: Stack, bot_id: int) -> float:
    counters = stack.stores.stats.range(f"bot#{bot_id}", "d#", "e#")
    return sum(v for b, v in counters.items() if b.endswith("#n"))


def _eventually(condition: Any, timeout: float = WAIT) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, "condition not met in time"
        time.sleep(0.02)


def test_an_event_is_aggregated_and_reaches_a_real_websocket_client(
    stack: Stack, bot_id: int
) -> None:
    # Given an operator's bot, a subscribed client and a stale connection of the same operator
    stack.stores.bots.create(BotRecord(bot_id, 7, "b", "c", "s"))
    stale = ConnectionRecord("c3RhbGU=", 7, time.time(), int(time.time()) + 600, ["all"])
    stack.stores.connections.put(stale)
    with _open(stack, bot_id) as client:
        # When an event is written
        event = _event(bot_id)
        stack.stores.events.put(event)
        # Then the client receives it, the counters show it once, and only the stale
        # connection was removed
        message = json.loads(client.recv(timeout=WAIT))
        _eventually(lambda: stack.stores.connections.find(stale.connection_id) is None)
        assert len(stack.stores.connections.list_by_operator(7)) == 1
    assert (message["v"], message["event"]["id"], message["event"]["bot_id"]) == (
        1,
        event.event_id,
        bot_id,
    )
    _eventually(lambda: _counted(stack, bot_id) == 1)


def test_a_poison_record_is_parked_and_the_next_event_still_flows(
    stack: Stack, bot_id: int
) -> None:
    # Given a raw item in the events table that is not an event (no time)
    from chalicelib import container

    stack.stores.bots.create(BotRecord(bot_id, 7, "b", "c", "s"))
    with _open(stack, bot_id) as client:
        _put_poison(stack, bot_id)
        # When a good event follows it
        good = _event(bot_id)
        stack.stores.events.put(good)
        # Then
        assert json.loads(client.recv(timeout=WAIT))["event"]["id"] == good.event_id
    parked = container.list_parked(bot_ids=[bot_id])["items"]
    assert [(p["event_id"], p["reason"]) for p in parked] == [("poison", "unreadable")]


def _put_poison(stack: Stack, bot_id: int) -> None:
    boto3.client(
        "dynamodb", region_name="us-east-1", endpoint_url=stack.settings.dynamodb_endpoint
    ).put_item(
        TableName=stack.settings.table_name("events"),
        Item={"bot_key": {"S": str(bot_id)}, "sk": {"S": "0#poison"}, "event_id": {"S": "poison"}},
    )


def test_redelivered_batch_does_not_double_count_in_dynamodb(stack: Stack, bot_id: int) -> None:
    # Given one batch handled by the real handler
    from chalicelib import container
    from tests.unit.live.streams import batch, event_item, insert

    # Today's time: counters expire by the event's time, and DynamoDB Local's TTL really
    # deletes, so a fixed past date made this count vanish at random.
    now = int(time.time())
    records = [insert(event_item(f"{bot_id}-{i}", bot_id=bot_id, ts=now)) for i in range(3)]
    handler = container.event_stream(_discard)
    # When Lambda delivers it twice
    handler.handle(batch(*records))
    handler.handle(batch(*records))
    # Then
    assert _counted(stack, bot_id) == 3


def _discard(connection_id: str, message: str) -> None:
    return None


def test_measure_throughput_and_fanout_latency(stack: Stack, bot_id: int) -> None:
    """Not a pass/fail benchmark: prints numbers for the engineering note."""
    stack.stores.bots.create(BotRecord(bot_id, 7, "b", "c", "s"))
    latencies = []
    with _open(stack, bot_id) as client:
        for _ in range(30):
            event = _event(bot_id)
            started = time.perf_counter()
            stack.stores.events.put(event)
            while json.loads(client.recv(timeout=WAIT))["event"]["id"] != event.event_id:
                pass
            latencies.append((time.perf_counter() - started) * 1000)
    total = 300
    started = time.perf_counter()
    for _ in range(total):
        stack.stores.events.put(_event(bot_id + 1, owner=99))
    written = time.perf_counter() - started
    _eventually(lambda: _counted(stack, bot_id + 1) == total, timeout=60)
    elapsed = time.perf_counter() - started
    from chalicelib import container
    from tests.unit.live.streams import batch, event_item, insert

    records = [
        insert(event_item(f"bench-{bot_id}-{i}", bot_id=bot_id + 2, ts=int(time.time())))
        for i in range(100)
    ]
    handler = container.event_stream(_discard)
    started = time.perf_counter()
    handler.handle(batch(*records))
    handler_rate = len(records) / (time.perf_counter() - started)
    latencies.sort()
    print(
        f"\nLIVE-BENCH handler alone: {handler_rate:.0f} records/s (batch of 100, DynamoDB Local)"
    )
    print(
        f"\nLIVE-BENCH event→websocket ms: p50={statistics.median(latencies):.1f} "
        f"p95={latencies[int(len(latencies) * 0.95) - 1]:.1f} (n={len(latencies)}); "
        f"{total} events: written in {written:.2f}s, all aggregated after {elapsed:.2f}s "
        f"→ {total / elapsed:.0f} records/s end to end"
    )
    assert _counted(stack, bot_id + 1) == total
