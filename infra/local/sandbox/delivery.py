"""Webhook delivery: one worker per bot, one update at a time, in update_id order, with retries.

A failed delivery (non-2xx, timeout, refused) stays at the head of the queue and is retried
after `retry_delays[n]`; after the last delay the update is given up (logged, dropped).
A 2xx body holding `{"method": ...}` is executed as a Bot API call, as Telegram does.
"""

from __future__ import annotations

import json
import logging
import threading
from typing import Any

import httpx

from infra.local.sandbox import dispatch
from infra.local.sandbox.world import World

logging.getLogger("httpx").setLevel(logging.WARNING)  # its INFO lines would carry URLs

_SECRET_HEADER = "X-Telegram-Bot-Api-Secret-Token"  # noqa: S105 - a header name


class WebhookDelivery:
    """Owns the delivery threads and the outbound HTTP client."""

    def __init__(self, world: World) -> None:
        self._world = world
        self._client = httpx.Client(timeout=world.webhook_timeout)
        self._threads: dict[int, threading.Thread] = {}
        self._stop = threading.Event()

    def ensure_worker(self, bot_id: int) -> None:
        """Start the bot's worker if it is not running (caller holds the world lock)."""
        if bot_id in self._threads or self._stop.is_set():
            return
        thread = threading.Thread(
            target=self._run, args=(bot_id,), name=f"sandbox-webhook-{bot_id}", daemon=True
        )
        self._threads[bot_id] = thread
        thread.start()

    def close(self) -> None:
        self._stop.set()
        with self._world.cond:
            self._world.cond.notify_all()
        for thread in list(self._threads.values()):
            thread.join(timeout=self._world.webhook_timeout + 1)
        self._client.close()

    def _run(self, bot_id: int) -> None:
        w = self._world
        while True:
            with w.cond:
                bot = w.bots[bot_id]
                while not self._stop.is_set() and not (bot.webhook_url and bot.queue):
                    w.cond.wait()
                if self._stop.is_set():
                    return
                update, url, secret = bot.queue[0], bot.webhook_url, bot.secret_token
            error, reply = self._post(url, secret, update)
            if error is None and reply is not None:
                self._run_reply(bot_id, reply)
            with w.cond:
                delay = self._record(bot_id, update["update_id"], error)
            if delay:
                self._stop.wait(delay)

    def _post(
        self, url: str, secret: str | None, update: dict[str, Any]
    ) -> tuple[str | None, dict[str, Any] | None]:
        headers = {"Content-Type": "application/json"}
        if secret:
            headers[_SECRET_HEADER] = secret
        try:
            response = self._client.post(url, content=json.dumps(update), headers=headers)
        except httpx.TimeoutException:
            return "Read timeout expired", None
        except httpx.ConnectError:
            return "Connection refused", None
        except httpx.HTTPError as exc:
            return f"Failed to deliver the update: {type(exc).__name__}", None
        if not 200 <= response.status_code < 300:
            return (
                f"Wrong response from the webhook: {response.status_code} {response.reason_phrase}"
            ), None
        try:
            body = response.json() if response.content else None
        except ValueError:
            body = None
        return None, body if isinstance(body, dict) and "method" in body else None

    def _run_reply(self, bot_id: int, reply: dict[str, Any]) -> None:
        with self._world.cond:
            token = self._world.bots[bot_id].token
        params = {k: v for k, v in reply.items() if k != "method"}
        dispatch.call(self._world, token, str(reply["method"]), params, via="webhook_reply")

    def _record(self, bot_id: int, update_id: int, error: str | None) -> float:
        """Book the attempt; return how long to wait before the next one."""
        w = self._world
        bot = w.bots[bot_id]
        still_head = bool(bot.queue) and bot.queue[0]["update_id"] == update_id
        attempt = bot.attempts + 1
        entry: dict[str, Any] = {
            "bot_id": bot_id,
            "update_id": update_id,
            "attempt": attempt,
            "date": w.now(),
        }
        delay = 0.0
        if error is None:
            entry["status"] = "delivered"
        else:
            bot.last_error_date, bot.last_error_message = w.now(), error
            entry.update(error=error)
            if attempt > len(w.retry_delays):
                entry["status"] = "gave_up"
            else:
                entry["status"] = "failed"
                delay = w.retry_delays[attempt - 1]
        w.delivery_log.append(entry)
        if still_head:
            if entry["status"] == "failed":
                bot.attempts = attempt
            else:
                bot.queue.pop(0)
                bot.attempts = 0
        w.cond.notify_all()
        return delay
