"""Live fan-out: one event → N real websocket clients of one operator, through the real path.

``app.py`` behind ``infra.local.rest.RestServer`` with the local websocket gateway and the stream
pump, as ``make run`` and ``bench/throughput.py`` run it. N clients (the ``websockets`` library,
all on one asyncio loop in a thread) connect with tickets from
``container.live().issue_ticket(owner)`` and subscribe to ``bot:{id}`` of the harness's bot;
then events are put with ``container.stores().events.put`` and each client stamps its receipt.

Per N, two phases:

* **paced**: put one event, wait until every client has it (or a timeout), then the next; per
  event the time from the put to the first and to the last client receiving it;
* **burst**: put the same number of events back to back; events/s = events / (first put → last
  receipt anywhere): what the stream handler (pump → ``on_events`` → ``Fanout`` → ``@connections``
  POSTs → gateway) sustains at that N.

Losses = (event, client) pairs never received within the timeout, over both phases.
"""

from __future__ import annotations

import asyncio
import json
import statistics
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from typing import Any

from bench.stack import Backend, harness, percentile
from bench.throughput import live_event, served_app

POLL_INTERVAL = 0.02


class _Clients:
    """N websocket clients on one asyncio loop in a background thread; receipts are stamped."""

    def __init__(self) -> None:
        self._loop = asyncio.new_event_loop()
        self._thread = threading.Thread(target=self._loop.run_forever, name="fanout-clients")
        self._thread.daemon = True
        self._thread.start()
        self._sockets: list[Any] = []
        self._tasks: list[asyncio.Task[None]] = []
        self._lock = threading.Lock()
        self.receipts: dict[str, list[float]] = {}  # event id → perf_counter per receipt
        self._want: dict[str, tuple[int, threading.Event]] = {}

    def _call(self, coro: Any, timeout: float) -> Any:
        return asyncio.run_coroutine_threadsafe(coro, self._loop).result(timeout)

    def expect(self, event_id: str, n: int) -> threading.Event:
        done = threading.Event()
        with self._lock:
            self._want[event_id] = (n, done)
            self.receipts.setdefault(event_id, [])
        return done

    def open(self, url: str, tickets: list[str], topic: str) -> dict[str, Any]:
        return self._call(self._open_all(url, tickets, topic), timeout=300)

    async def _open_all(self, url: str, tickets: list[str], topic: str) -> dict[str, Any]:
        gate = asyncio.Semaphore(32)  # the gateway runs $connect on 16 threads
        errors: dict[str, int] = {}

        async def one(ticket: str) -> None:
            from websockets.asyncio.client import connect

            async with gate:
                try:
                    ws = await connect(
                        f"{url}/?ticket={ticket}", open_timeout=60, ping_interval=None
                    )
                    await ws.send(json.dumps({"action": "subscribe", "topic": topic}))
                    reply = json.loads(await asyncio.wait_for(ws.recv(), 60))
                    if reply.get("type") != "subscriptions":
                        raise RuntimeError(f"subscribe answered {reply.get('type')}")
                except Exception as exc:  # counted: the table says how many opened
                    name = type(exc).__name__
                    errors[name] = errors.get(name, 0) + 1
                    return
            self._sockets.append(ws)
            self._tasks.append(asyncio.get_running_loop().create_task(self._receive(ws)))

        began = time.perf_counter()
        await asyncio.gather(*(one(t) for t in tickets))
        return {
            "opened": len(self._sockets),
            "open_errors": errors,
            "open_s": round(time.perf_counter() - began, 1),
        }

    async def _receive(self, ws: Any) -> None:
        try:
            async for raw in ws:
                now = time.perf_counter()
                event_id = (json.loads(raw).get("event") or {}).get("id")
                if event_id is None:
                    continue
                with self._lock:
                    stamps = self.receipts.setdefault(event_id, [])
                    stamps.append(now)
                    want = self._want.get(event_id)
                if want is not None and len(stamps) >= want[0]:
                    want[1].set()
        except Exception:  # closed: the receipts say what arrived
            return

    def close_all(self) -> None:
        async def close() -> None:
            await asyncio.gather(*(ws.close() for ws in self._sockets), return_exceptions=True)
            for t in self._tasks:
                t.cancel()

        self._call(close(), timeout=120)
        self._sockets, self._tasks = [], []

    def stop(self) -> None:
        self._loop.call_soon_threadsafe(self._loop.stop)
        self._thread.join(timeout=10)


def run(b: Backend, *, sizes: tuple[int, ...] = (1, 100, 1000), events: int = 20) -> dict[str, Any]:
    from chalicelib import container
    from infra.local.lambda_runtime import handler_for
    from infra.local.stream_pump import StreamPump

    with harness(b) as h:
        with served_app(b, h.server.url) as (app, _rest, gateway):
            stores = container.stores()
            stores.events.put(live_event(h.bot_id, h.owner_id))  # a stream position for the pump
            pump = StreamPump(
                str(b.settings.dynamodb_endpoint),
                b.settings.table_name("events"),
                handler_for(app, "on_events"),
                poll_interval=POLL_INTERVAL,
                max_attempts=10,
            ).start()
            clients = _Clients()
            result: dict[str, Any] = {
                "events_per_phase": events,
                "pump_poll_interval_ms": int(POLL_INTERVAL * 1000),
                "by_clients": {},
            }
            try:
                for n in sizes:
                    result["by_clients"][str(n)] = _one_size(
                        n, events, h, container, stores, gateway, clients
                    )
            finally:
                clients.stop()
                pump.stop()
        return result


def _one_size(
    n: int, k: int, h: Any, container: Any, stores: Any, gateway: Any, clients: _Clients
) -> dict[str, Any]:
    began = time.perf_counter()
    live = container.live()
    with ThreadPoolExecutor(max_workers=8) as pool:  # the product's call, n times
        tickets = list(pool.map(lambda _: live.issue_ticket(h.owner_id), range(n)))
    out: dict[str, Any] = {"clients_asked": n}
    out.update(clients.open(gateway.url, tickets, f"bot:{h.bot_id}"))
    opened = out["opened"]
    timeout = max(15.0, opened * 0.05)  # generous: a loss is "never arrived", not "late"
    try:
        if opened == 0:
            return out
        warm = live_event(h.bot_id, h.owner_id)  # not measured: first sends open connections
        done = clients.expect(warm.event_id, opened)
        stores.events.put(warm)
        done.wait(timeout)
        # paced: one event at a time, each fanned out to everybody before the next
        first, last, lost = [], [], 0
        for _ in range(k):
            e = live_event(h.bot_id, h.owner_id)
            done = clients.expect(e.event_id, opened)
            t0 = time.perf_counter()
            stores.events.put(e)
            done.wait(timeout)
            stamps = list(clients.receipts[e.event_id])
            lost += opened - len(stamps)
            if stamps:
                first.append((min(stamps) - t0) * 1000)
                last.append((max(stamps) - t0) * 1000)
        out["paced"] = {
            "events": k,
            "first_p50_ms": _r(statistics.median(first)) if first else None,
            "first_p95_ms": _r(percentile(first, 95)) if first else None,
            "last_p50_ms": _r(statistics.median(last)) if last else None,
            "last_p95_ms": _r(percentile(last, 95)) if last else None,
            "lost": lost,
        }
        # burst: k events back to back
        batch = [live_event(h.bot_id, h.owner_id) for _ in range(k)]
        waits = [clients.expect(e.event_id, opened) for e in batch]
        t0 = time.perf_counter()
        for e in batch:
            stores.events.put(e)
        put_s = time.perf_counter() - t0
        deadline = time.monotonic() + timeout * 2
        for w in waits:
            w.wait(max(0.0, deadline - time.monotonic()))
        stamps_all = [clients.receipts[e.event_id] for e in batch]
        got = sum(len(s) for s in stamps_all)
        end = max((max(s) for s in stamps_all if s), default=t0)
        elapsed = end - t0
        out["burst"] = {
            "events": k,
            "puts_s": round(put_s, 2),
            "first_put_to_last_receipt_s": round(elapsed, 2),
            "events_per_s": round(k / elapsed, 1) if elapsed > 0 else None,
            "deliveries_per_s": round(got / elapsed) if elapsed > 0 else None,
            "lost": k * opened - got,
        }
        out["lost_total"] = lost + out["burst"]["lost"]
    finally:
        clients.close_all()
        _wait_closed(gateway, stores, h.owner_id)
        out["elapsed_s"] = round(time.perf_counter() - began, 1)
    return out


def _wait_closed(gateway: Any, stores: Any, owner_id: int, timeout: float = 60.0) -> None:
    """Until the gateway has no connection and $disconnect removed every record."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if not gateway.connection_ids() and not stores.connections.list_by_operator(owner_id):
            return
        time.sleep(0.2)


def _r(ms: float) -> float:
    return round(ms, 1)
