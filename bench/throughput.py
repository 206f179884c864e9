"""The local stack's webhook path under N concurrent senders, and event → websocket latency.

Runs ``app.py`` itself (the container, Chalice routing) behind ``infra.local.rest.RestServer``,
with the websocket gateway and the stream pump for the live path, as ``make run`` does.
"""

from __future__ import annotations

import contextlib
import itertools
import json
import os
import statistics
import threading
import time
from collections.abc import Iterator
from typing import Any

import httpx

from bench.stack import Backend, harness, percentile

_ids = itertools.count(9_000_000)


@contextlib.contextmanager
def _environment(values: dict[str, str]) -> Iterator[None]:
    saved = {k: os.environ.get(k) for k in values}
    os.environ.update(values)
    try:
        yield
    finally:
        for k, v in saved.items():
            if v is None:
                os.environ.pop(k, None)
            else:
                os.environ[k] = v


@contextlib.contextmanager
def served_app(b: Any, sandbox_url: str) -> Iterator[tuple[Any, Any, Any]]:
    """``app.py`` behind the local REST server and websocket gateway, on ``b``'s DynamoDB and
    the given sandbox, as ``make run`` serves it: yields (app, rest, gateway)."""
    from chalicelib import container
    from infra.local.rest import RestServer
    from infra.local.websocket_gateway import WebsocketGateway, bind_websocket_api

    env = {**b.env(sandbox_url), "POWERTOOLS_METRICS_DISABLED": "true"}
    with _environment(env):
        container.reset()
        import app as app_module

        app = app_module.app
        rest = RestServer(app)
        gateway = WebsocketGateway(app, stage="api")
        rest.mount(gateway.management_prefix, gateway.handle_management)
        bind_websocket_api(app, f"{rest.url}/{gateway.stage}")
        rest.start()
        gateway.start()
        try:
            yield app, rest, gateway
        finally:
            gateway.stop()
            rest.stop()
            container.reset()


def live_event(bot_id: int, owner_id: int) -> Any:
    """A typical decision event of ``bot_id`` (what the live measurements write)."""
    from chalicelib.store.records import EventRecord

    return EventRecord(
        bot_id=bot_id,
        owner_id=owner_id,
        type="join_verified",
        ts=time.time(),
        chat_id=-1001,
        user_id=5,
        latency_ms=80.0,
        cache_hit=False,
        telegram_calls=["getChatMember"],
    )


def _message(chat_id: int, user_id: int) -> bytes:
    return json.dumps(
        {
            "update_id": next(_ids),
            "message": {
                "message_id": 1,
                "date": int(time.time()),
                "chat": {"id": chat_id, "type": "supergroup", "title": "Fans"},
                "from": {"id": user_id, "is_bot": False, "first_name": "T"},
                "text": "hi",
            },
        }
    ).encode()


def run(b: Backend, *, senders: tuple[int, ...] = (1, 4, 8), per_run: int = 240) -> dict[str, Any]:
    from chalicelib import container
    from infra.local.lambda_runtime import handler_for
    from infra.local.stream_pump import StreamPump

    with harness(b) as h:
        h.protect()
        members = [h.user(f"T{i}", in_group=True) for i in range(8)]
        for m in members:
            h.subscribe(m)
        secret = h.keyring.decrypt(h.bot_record.webhook_secret_ciphertext)
        with served_app(b, h.server.url) as (app, rest, gateway):
            url = f"{rest.url}/telegram/{h.bot_id}"
            headers = {
                "X-Telegram-Bot-Api-Secret-Token": secret,
                "Content-Type": "application/json",
            }
            with httpx.Client() as client:  # first message per member verifies it
                for m in members:
                    client.post(url, content=_message(h.group, m), headers=headers)
            result: dict[str, Any] = {"webhook": {}}
            for n in senders:
                result["webhook"][f"{n}_senders"] = _drive(
                    url, headers, h.group, members, n, per_run
                )
            result["live"] = _live(b, container, app, gateway, handler_for, StreamPump)
        return result


def _drive(
    url: str, headers: dict[str, str], group: int, members: list[int], n: int, total: int
) -> dict[str, Any]:
    per_sender = total // n
    latencies: list[float] = []
    statuses: dict[int, int] = {}
    lock = threading.Lock()
    start = threading.Barrier(n + 1)

    def sender(i: int) -> None:
        with httpx.Client() as client:
            start.wait()
            for k in range(per_sender):
                body = _message(group, members[(i + k) % len(members)])
                t = time.perf_counter()
                response = client.post(url, content=body, headers=headers)
                ms = (time.perf_counter() - t) * 1000
                with lock:
                    latencies.append(ms)
                    statuses[response.status_code] = statuses.get(response.status_code, 0) + 1

    threads = [threading.Thread(target=sender, args=(i,)) for i in range(n)]
    for t in threads:
        t.start()
    start.wait()
    began = time.perf_counter()
    for t in threads:
        t.join()
    elapsed = time.perf_counter() - began
    return {
        "updates": len(latencies),
        "updates_per_s": round(len(latencies) / elapsed, 1),
        "p50_ms": round(percentile(latencies, 50), 2),
        "p95_ms": round(percentile(latencies, 95), 2),
        "statuses": {str(k): v for k, v in statuses.items()},
    }


def _live(
    b: Backend, container: Any, app: Any, gateway: Any, handler_for: Any, pump_cls: Any
) -> dict[str, Any]:
    from websockets.sync.client import connect

    stores = container.stores()
    owner, bot_id = 77, 4_000_000_001

    def event() -> Any:
        return live_event(bot_id, owner)

    stores.events.put(event())  # gives the stream a position before the pump starts
    pump = pump_cls(
        str(b.settings.dynamodb_endpoint),
        b.settings.table_name("events"),
        handler_for(app, "on_events"),
        poll_interval=0.02,
        max_attempts=10,
    ).start()
    latencies = []
    try:
        ticket = container.live().issue_ticket(owner)
        with connect(f"{gateway.url}/?ticket={ticket}") as client:
            client.send(json.dumps({"action": "subscribe", "topic": f"bot:{bot_id}"}))
            json.loads(client.recv(timeout=15))
            for _ in range(30):
                e = event()
                started = time.perf_counter()
                stores.events.put(e)
                while json.loads(client.recv(timeout=15)).get("event", {}).get("id") != e.event_id:
                    pass
                latencies.append((time.perf_counter() - started) * 1000)
    finally:
        pump.stop()
    return {
        "n": len(latencies),
        "event_to_websocket_p50_ms": round(statistics.median(latencies), 1),
        "event_to_websocket_p95_ms": round(percentile(latencies, 95), 1),
        "pump_poll_interval_ms": 20,
    }
