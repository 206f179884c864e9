"""The live pipeline under faults: poison records are parked, a failed record is redelivered
(with the ones after it) and counted once, and clients that vanish are dropped from fan-out."""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from typing import Any

import pytest
from websockets.sync.client import connect

from chalicelib.config import Settings
from chalicelib.live.fanout import Fanout
from chalicelib.live.parked import list_parked
from chalicelib.live.stream import EventStreamHandler
from chalicelib.store.bundle import Stores, dynamo_stores
from chalicelib.store.schema import Tables
from tests.unit.live.streams import batch, event_item, failed_ids, insert, sequence

pytestmark = pytest.mark.integration
WAIT = 15.0  # a safety net, not a measurement


class FlakyStats:
    """The real stat store, failing ``apply_once`` for chosen markers a set number of times."""

    def __init__(self, inner: Any, failures: dict[str, int]) -> None:
        self._inner = inner
        self._failures = dict(failures)

    def apply_once(self, marker: str, *args: Any, **kwargs: Any) -> Any:
        if self._failures.get(marker, 0) > 0:
            self._failures[marker] -= 1
            raise ConnectionError("DynamoDB throttled")
        return self._inner.apply_once(marker, *args, **kwargs)

    def __getattr__(self, name: str) -> Any:
        return getattr(self._inner, name)


def _item(event_id: str, bot_id: int, **extra: Any) -> dict[str, Any]:
    # Today's time: counters of old days carry an expiry in the past, and DynamoDB Local's
    # TTL deletes them at any moment (the helper's fixed 2025-11-29 is one of those).
    return event_item(event_id, bot_id=bot_id, ts=int(time.time()), **extra)


def _counted(stores: Stores, bot_id: int) -> float:
    counters = stores.stats.range(f"bot#{bot_id}", "d#", "e#")
    return sum(v for b, v in counters.items() if b.endswith("#n"))


def _discard(connection_id: str, message: str) -> None:
    return None


def test_a_failing_record_is_redelivered_with_the_rest_and_everything_counts_once(
    tables: Tables, bot_id: int
) -> None:
    # Given a batch whose second record fails twice, and a poison record in it
    stores = dynamo_stores(tables)
    records = [insert(_item(f"{bot_id}-{i}", bot_id)) for i in range(4)]
    poison = insert({"bot_key": str(bot_id), "sk": "0#poison", "event_id": "poison"})
    poison["dynamodb"]["NewImage"].pop("sk")
    records.insert(2, poison)
    flaky = FlakyStats(stores.stats, {f"agg#{bot_id}-1": 2})
    handler = EventStreamHandler(flaky, stores.parked, Fanout(stores.connections, _discard))  # type: ignore[arg-type]
    # When Lambda redelivers from the first failed record each time (at most 5 rounds)
    pending, rounds = records, 0
    while pending and rounds < 5:
        failed = failed_ids(handler.handle(batch(*pending)))
        rounds += 1
        pending = pending[[sequence(r) for r in pending].index(failed[0]) :] if failed else []
    # Then it settled in three rounds, every good event counted once, the poison parked
    assert (rounds, pending) == (3, [])
    assert _counted(stores, bot_id) == 4
    parked = list_parked(stores.parked, bot_ids=[bot_id])["items"]
    assert [p["reason"] for p in parked] == ["unreadable"]


def test_a_record_that_always_fails_is_parked_and_stops_blocking_its_shard(
    tables: Tables, bot_id: int
) -> None:
    # Given a record whose aggregation always fails
    stores = dynamo_stores(tables)
    records = [insert(_item(f"{bot_id}-{i}", bot_id)) for i in range(3)]
    flaky = FlakyStats(stores.stats, {f"agg#{bot_id}-0": 99})
    handler = EventStreamHandler(
        flaky, stores.parked, Fanout(stores.connections, _discard), max_attempts=3
    )  # type: ignore[arg-type]
    # When Lambda keeps redelivering (bounded)
    rounds = 0
    while failed_ids(handler.handle(batch(*records))) and rounds < 10:
        rounds += 1
    # Then it was parked after max_attempts and the others counted once
    assert rounds == 2
    assert _counted(stores, bot_id) == 2
    parked = list_parked(stores.parked, bot_ids=[bot_id])["items"]
    assert [p["reason"] for p in parked] == ["failed"]


@pytest.fixture(scope="module")
def live_app(ddb_settings: Settings) -> Iterator[Any]:
    from chalicelib import container
    from infra.local.rest import RestServer
    from infra.local.websocket_gateway import WebsocketGateway, bind_websocket_api

    mp = pytest.MonkeyPatch()
    for name, value in {
        "NEZUKO_STAGE": "test",
        "NEZUKO_TABLE_PREFIX": ddb_settings.table_prefix,
        "AWS_ENDPOINT_URL_DYNAMODB": str(ddb_settings.dynamodb_endpoint),
        "NEZUKO_TOKEN_KEYS": str(ddb_settings.token_keys),
        "NEZUKO_SESSION_SECRET": "test-session-secret",
        "POWERTOOLS_METRICS_DISABLED": "true",
    }.items():
        mp.setenv(name, value)
    container.reset()
    import app as app_module

    app = app_module.app
    rest = RestServer(app)
    gateway = WebsocketGateway(app, stage="api")
    rest.mount(gateway.management_prefix, gateway.handle_management)
    # chalice caches its management client on first use: a second stack in this process
    # (another module's) must not post to the previous one's gateway.
    app.websocket_api._client = None
    bind_websocket_api(app, f"{rest.url}/{gateway.stage}")
    rest.start()
    gateway.start()
    yield app, gateway
    gateway.stop()
    rest.stop()
    container.reset()
    mp.undo()


def test_clients_that_vanish_are_dropped_and_the_rest_still_get_events(
    live_app: Any, bot_id: int
) -> None:
    from chalicelib import container
    from chalicelib.store.records import BotRecord
    from infra.local.lambda_runtime import handler_for

    app, gateway = live_app
    stores = container.stores()
    owner = 700 + bot_id % 1000
    stores.bots.create(BotRecord(bot_id, owner, "b", "c", "s"))
    # Given three subscribed clients of one operator, two of which vanish without a goodbye
    clients = []
    for _ in range(3):
        client = connect(f"{gateway.url}/?ticket={container.live().issue_ticket(owner)}")
        client.send(json.dumps({"action": "subscribe", "topic": f"bot:{bot_id}"}))
        assert json.loads(client.recv(timeout=WAIT))["type"] == "subscriptions"
        clients.append(client)
    survivor = clients.pop()
    for client in clients:
        client.socket.close()  # the network drops: no close frame
    deadline = time.monotonic() + WAIT
    while len(gateway.connection_ids()) > 1 and time.monotonic() < deadline:
        time.sleep(0.05)
    # When an event is streamed
    item = _item(f"{bot_id}-live", bot_id, owner_id=owner)
    response = handler_for(app, "on_events")(batch(insert(item)), None)
    # Then the survivor receives it, the batch succeeds, the dropped connections are gone
    try:
        message = json.loads(survivor.recv(timeout=WAIT))
    finally:
        survivor.close()
    assert message["event"]["id"] == f"{bot_id}-live"
    assert response["batchItemFailures"] == []
    assert len(stores.connections.list_by_operator(owner)) <= 1
