"""The polling bridge: real Telegram bots without a public URL, fed through the webhook route.

For each bot: ``deleteWebhook`` (pending updates kept), then a ``getUpdates`` long-poll loop
(``allowed_updates`` = :data:`chalicelib.bots.ALLOWED_UPDATES`) that POSTs every update, in
order, to the app's own ``POST {rest}/telegram/{bot_id}`` with the secret header, exactly as
Telegram would. Delivery rules follow the route's contract (``chalicelib.telegram.webhook``):

* 2xx: delivered; the offset advances.
* 5xx, 429, connection errors and timeouts: retried with backoff, never skipped.
* 403 (wrong secret / unknown bot), 404/405 (wrong URL): a configuration problem for *every*
  update, so skipping would drop them all: logged at ERROR and retried with backoff.
* any other 4xx (400 malformed, 413 too large): a bug for *this* update: logged at ERROR and
  skipped, so the bot does not stall behind it.

The next offset is persisted per bot (``<state_dir>/<bot_id>.json``, atomic rename) after each
update, so a restart neither loses nor repeats one; Telegram confirms an update only when a
later ``getUpdates`` passes a higher offset, and the webhook is idempotent on ``update_id`` as
the second guard. ``getUpdates`` failures: 409 (a webhook got set, or another poller) → log,
back off, retry; 401/404 (token revoked) → one ERROR line and that bot's loop ends; 429 →
wait ``retry_after``; 5xx/network → back off.

Stopping is prompt although a long poll may be in flight: :meth:`PollingBridge.stop` sends a
``getUpdates`` with ``timeout=0`` and no offset (it confirms nothing), which makes Telegram end
the older long poll with 409 at once, then joins the threads.

The token is part of every Bot API URL: nothing here logs a URL of Telegram's or an httpx
exception's text, and the httpx/httpcore loggers stay at WARNING.
"""

from __future__ import annotations

import json
import logging
import os
import threading
import time
import traceback
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx

from chalicelib.bots import ALLOWED_UPDATES
from chalicelib.telegram.client import BotApi
from chalicelib.telegram.errors import (
    BotApiError,
    TelegramNotFound,
    TelegramRateLimited,
    TelegramUnavailable,
)

for _name in ("httpx", "httpcore"):
    logging.getLogger(_name).setLevel(logging.WARNING)  # their INFO lines carry the token URL

logger = logging.getLogger(__name__)

SECRET_HEADER = "X-Telegram-Bot-Api-Secret-Token"  # noqa: S105 - a header name
#: Route answers that mean "the route is misconfigured": retried, never skipped.
_RETRY_STATUSES = frozenset({403, 404, 405, 408, 429})
#: A persisted offset older than this is not sent: Telegram keeps unconfirmed updates 24 h and
#: may restart update ids at random after a quiet week, when an old offset would hide them all.
_OFFSET_MAX_AGE = 24 * 3600.0


@dataclass(frozen=True)
class BridgedBot:
    """One bot the bridge polls for (the token and secret never appear in its repr)."""

    bot_id: int
    token: str = field(repr=False)
    secret: str = field(repr=False)
    webhook_url: str  # the app's route, e.g. http://127.0.0.1:8000/telegram/<bot_id>


@dataclass(frozen=True)
class Backoff:
    """Exponential backoff: ``initial * 2**(n-1)`` seconds after the n-th failure, capped."""

    initial: float = 0.5
    cap: float = 30.0

    def delay(self, failures: int) -> float:
        """Seconds to wait after ``failures`` consecutive failures (0 after none)."""
        if failures <= 0:
            return 0.0
        return float(min(self.cap, self.initial * 2 ** min(failures - 1, 30)))


@dataclass
class PollResult:
    """What one :meth:`PollingBridge.poll_once` did.

    Attributes:
        delivered: update ids the route accepted (2xx), in order.
        skipped: update ids the route rejected as malformed (logged, offset advanced).
        wait: seconds to wait before the next poll (backoff or ``retry_after``).
        reason: ``ok``, ``route_retry``, ``conflict``, ``rate_limited``, ``telegram_error``,
            ``token_rejected`` or ``stopping``.
        done: the token was rejected: polling this bot is over.
    """

    delivered: list[int] = field(default_factory=list)
    skipped: list[int] = field(default_factory=list)
    wait: float = 0.0
    reason: str = "ok"
    done: bool = False


@dataclass
class _BotState:
    bot: BridgedBot
    offset: int | None
    failures: int = 0
    problem: str = ""  # the failure kind of the current streak (logged once per streak)
    in_long_poll: bool = False
    thread: threading.Thread | None = None


class PollingBridge:
    """Long-polls ``getUpdates`` for each bot and feeds the updates to the webhook route.

    One thread per bot after :meth:`start`; :meth:`poll_once` runs one step synchronously (tests).
    Do not mix both for the same bot. A bridge is used once: :meth:`stop` closes its clients.

    Args:
        bots: the bots to bridge.
        api_url: Bot API base URL (``https://api.telegram.org`` or the sandbox).
        state_dir: where the per-bot offsets are persisted; ``None`` keeps them in memory.
        poll_timeout: ``getUpdates`` long-poll seconds.
        allowed_updates: the update kinds requested (the same as the webhook's).
        backoff: delays after consecutive failures.
        route_timeout: seconds the route may take to answer one update.
    """

    def __init__(
        self,
        bots: Iterable[BridgedBot],
        *,
        api_url: str,
        state_dir: Path | None = None,
        poll_timeout: int = 25,
        allowed_updates: Sequence[str] = ALLOWED_UPDATES,
        backoff: Backoff | None = None,
        route_timeout: float = 60.0,
    ) -> None:
        self._api_url = api_url
        self._state_dir = state_dir
        self._poll_timeout = poll_timeout
        self._allowed_updates = list(allowed_updates)
        self._backoff = backoff or Backoff()
        self._stopping = threading.Event()
        self._lock = threading.Lock()
        self._states: dict[int, _BotState] = {}
        limits = httpx.Limits(max_connections=200, max_keepalive_connections=50)
        headers = {"User-Agent": "nezuko-polling-bridge/1"}
        # Long polls need a read timeout above the poll; control calls must not wait that long.
        self._poll_http = httpx.Client(
            timeout=httpx.Timeout(poll_timeout + 15.0, connect=5.0), limits=limits, headers=headers
        )
        self._control_http = httpx.Client(
            timeout=httpx.Timeout(10.0, connect=3.0), limits=limits, headers=headers
        )
        self._route_http = httpx.Client(
            timeout=httpx.Timeout(route_timeout, connect=3.0), limits=limits, headers=headers
        )
        for bot in bots:
            self._state(bot)

    # -- lifecycle ---------------------------------------------------------------------------

    def start(self) -> None:
        """Start one polling thread per bot (each deletes the bot's webhook first)."""
        with self._lock:
            bots = [state.bot for state in self._states.values()]
        for bot in bots:
            self.add(bot)

    def add(self, bot: BridgedBot) -> None:
        """Bridge ``bot`` too (a bot registered while running); starts its thread if needed."""
        state = self._state(bot)
        with self._lock:
            if self._stopping.is_set() or (state.thread and state.thread.is_alive()):
                return
            state.thread = threading.Thread(
                target=self._run, args=(state,), name=f"polling-bridge-{bot.bot_id}", daemon=True
            )
            state.thread.start()
        logger.info("polling bridge started for bot %s", bot.bot_id)

    def stop(self, timeout: float = 10.0) -> None:
        """Stop every loop promptly (ending in-flight long polls), join the threads, close."""
        self._stopping.set()
        deadline = time.monotonic() + timeout
        while True:
            with self._lock:
                alive = [s for s in self._states.values() if s.thread and s.thread.is_alive()]
            if not alive or time.monotonic() >= deadline:
                break
            for state in alive:
                if state.in_long_poll:
                    self._take_over(state.bot)
            for state in alive:
                assert state.thread is not None
                state.thread.join(timeout=max(0.0, min(0.2, deadline - time.monotonic())))
        for state in alive:
            logger.warning("polling bridge thread of bot %s did not stop", state.bot.bot_id)
        for client in (self._poll_http, self._control_http, self._route_http):
            client.close()

    def is_polling(self, bot_id: int) -> bool:
        """Whether ``bot_id``'s thread is running."""
        with self._lock:
            state = self._states.get(bot_id)
        return bool(state and state.thread and state.thread.is_alive())

    def offset(self, bot_id: int) -> int | None:
        """The next ``getUpdates`` offset of ``bot_id`` (None: nothing confirmed yet)."""
        with self._lock:
            state = self._states.get(bot_id)
        return state.offset if state else None

    # -- one step ----------------------------------------------------------------------------

    def delete_webhook(self, bot: BridgedBot) -> PollResult:
        """``deleteWebhook`` without dropping pending updates (getUpdates refuses while set)."""
        state = self._state(bot)
        try:
            self._api(bot, self._control_http).call("deleteWebhook")
        except Exception as exc:
            return self._telegram_failure(state, "deleteWebhook", exc)
        logger.info("bot %s: webhook deleted, polling getUpdates", bot.bot_id)
        self._recovered(state)
        return PollResult()

    def poll_once(self, bot: BridgedBot, *, timeout: int = 0) -> PollResult:
        """One ``getUpdates`` (long poll of ``timeout`` s) and the delivery of what it returned.

        Delivery stops at the first update the route should be asked again; the offset stays
        before it, so the next call fetches and delivers it again.
        """
        state = self._state(bot)
        params: dict[str, Any] = {"timeout": timeout, "allowed_updates": self._allowed_updates}
        if state.offset is not None:
            params["offset"] = state.offset
        http = self._poll_http if timeout else self._control_http
        state.in_long_poll = timeout > 0
        try:
            updates = self._api(bot, http).call("getUpdates", **params)
        except Exception as exc:
            if self._stopping.is_set():
                return PollResult(reason="stopping")
            return self._telegram_failure(state, "getUpdates", exc)
        finally:
            state.in_long_poll = False
        result = PollResult()
        for update in sorted(updates or [], key=lambda u: int(u["update_id"])):
            if self._stopping.is_set():
                result.reason = "stopping"
                return result
            update_id = int(update["update_id"])
            retry = self._deliver(state, update, result)
            if retry is not None:
                result.reason, result.wait = "route_retry", retry
                return result
            self._advance(state, update_id + 1)
        self._recovered(state)
        return result

    # -- internals ---------------------------------------------------------------------------

    def _run(self, state: _BotState) -> None:
        bot = state.bot
        step = self.delete_webhook(bot)
        while not step.done and step.wait and not self._stopping.wait(step.wait):
            step = self.delete_webhook(bot)
        while not step.done and not self._stopping.is_set():
            try:
                step = self.poll_once(bot, timeout=self._poll_timeout)
            except Exception as exc:  # a bug: keep the bot alive, but say what happened
                logger.error(
                    "bot %s: polling step crashed:\n%s",
                    bot.bot_id,
                    _redacted_traceback(exc, bot.token),
                )
                state.failures += 1
                step = PollResult(wait=self._backoff.delay(state.failures), reason="crash")
            if step.wait:
                self._stopping.wait(step.wait)
        logger.info("polling bridge stopped for bot %s", bot.bot_id)

    def _deliver(
        self, state: _BotState, update: dict[str, Any], result: PollResult
    ) -> float | None:
        """POST one update to the route; None when it is done with (delivered or skipped),
        else the seconds to wait before asking again."""
        bot, update_id = state.bot, int(update["update_id"])
        try:
            response = self._route_http.post(
                bot.webhook_url,
                content=json.dumps(update).encode(),
                headers={"Content-Type": "application/json", SECRET_HEADER: bot.secret},
            )
        except httpx.HTTPError as exc:
            return self._failure(
                state,
                "route_unreachable",
                f"the webhook route {bot.webhook_url} is unreachable ({type(exc).__name__}); "
                f"retrying update {update_id}",
            )
        status = response.status_code
        if 200 <= status < 300:
            result.delivered.append(update_id)
            return None
        if status >= 500 or status in _RETRY_STATUSES:
            if status == 429:
                retry_after = _seconds(response.headers.get("Retry-After"))
                if retry_after is not None:
                    state.failures += 1
                    return retry_after
            level = logging.ERROR if status in (403, 404, 405) else logging.WARNING
            hint = {
                403: " (wrong secret or unknown bot: check the bot's registration)",
                404: " (no such route: check the webhook URL)",
                405: " (no such route: check the webhook URL)",
            }.get(status, "")
            return self._failure(
                state,
                f"route_{status}",
                f"the webhook route answered {status}{hint}; retrying update {update_id}",
                level=level,
            )
        logger.error(
            "bot %s: the webhook route rejected update %s with %s (%s): a bug, update skipped",
            bot.bot_id,
            update_id,
            status,
            response.text[:200],
        )
        result.skipped.append(update_id)
        return None

    def _telegram_failure(self, state: _BotState, method: str, exc: Exception) -> PollResult:
        bot = state.bot
        if isinstance(exc, TelegramNotFound):
            # 401 Unauthorized (revoked) or 404 Not Found (malformed): no retry can help.
            logger.error(
                "bot %s: Telegram rejected the token (%s %s): polling stopped for this bot; "
                "register it again with its new token",
                bot.bot_id,
                exc.error_code,
                exc.description,
            )
            return PollResult(reason="token_rejected", done=True)
        if isinstance(exc, TelegramRateLimited):
            state.failures += 1
            logger.warning(
                "bot %s: %s rate limited, waiting %ss", bot.bot_id, method, exc.retry_after
            )
            return PollResult(wait=exc.retry_after, reason="rate_limited")
        if isinstance(exc, BotApiError) and exc.error_code == 409:
            wait = self._failure(
                state, "conflict", f"{method} conflict ({exc.description}); backing off"
            )
            return PollResult(wait=wait, reason="conflict")
        if isinstance(exc, (BotApiError, TelegramUnavailable)):
            what = str(exc) if isinstance(exc, BotApiError) else type(exc).__name__
            wait = self._failure(state, "telegram", f"{method} failed ({what}); retrying")
            return PollResult(wait=wait, reason="telegram_error")
        raise exc

    def _failure(
        self,
        state: _BotState,
        kind: str,
        message: str,
        *,
        level: int = logging.WARNING,
    ) -> float:
        """Count a failure, log it once per streak of the same kind, return the backoff."""
        state.failures += 1
        first = state.problem != kind
        state.problem = kind
        logger.log(level if first else logging.DEBUG, "bot %s: %s", state.bot.bot_id, message)
        return self._backoff.delay(state.failures)

    def _recovered(self, state: _BotState) -> None:
        if state.problem:
            logger.info("bot %s: recovered (after %s)", state.bot.bot_id, state.problem)
        state.failures, state.problem = 0, ""

    def _take_over(self, bot: BridgedBot) -> None:
        """End ``bot``'s in-flight long poll: Telegram answers the older getUpdates with 409."""
        try:
            # No offset: confirms nothing; the returned updates are left for the next run.
            self._api(bot, self._control_http).call("getUpdates", timeout=0, limit=1)
        except Exception as exc:  # best effort; the join timeout is the fallback
            logger.debug("bot %s: take-over poll failed (%s)", bot.bot_id, type(exc).__name__)

    def _api(self, bot: BridgedBot, http: httpx.Client) -> BotApi:
        # deadline=0: a 429 is raised at once so the wait can be interrupted by stop().
        return BotApi(bot.token, http=http, base_url=self._api_url, deadline=0.0)

    def _state(self, bot: BridgedBot) -> _BotState:
        with self._lock:
            state = self._states.get(bot.bot_id)
            if state is None:
                state = _BotState(bot, self._load_offset(bot.bot_id))
                self._states[bot.bot_id] = state
            elif state.bot != bot:
                state.bot = bot  # token or secret rotated
            return state

    # -- offsets -----------------------------------------------------------------------------

    def _offset_path(self, bot_id: int) -> Path | None:
        return None if self._state_dir is None else self._state_dir / f"{bot_id}.json"

    def _load_offset(self, bot_id: int) -> int | None:
        path = self._offset_path(bot_id)
        if path is None:
            return None
        try:
            data = json.loads(path.read_text())
            offset, saved_at = int(data["offset"]), float(data["saved_at"])
        except FileNotFoundError:
            return None
        except (OSError, ValueError, KeyError, TypeError):
            logger.warning("bot %s: unreadable offset file %s, starting fresh", bot_id, path)
            return None
        if time.time() - saved_at > _OFFSET_MAX_AGE:
            logger.info("bot %s: offset older than 24 h, letting Telegram decide", bot_id)
            return None
        return offset

    def _advance(self, state: _BotState, offset: int) -> None:
        state.offset = offset
        path = self._offset_path(state.bot.bot_id)
        if path is None:
            return
        path.parent.mkdir(parents=True, exist_ok=True)
        body = {"bot_id": state.bot.bot_id, "offset": offset, "saved_at": time.time()}
        tmp = path.with_name(f".{path.name}.{os.getpid()}.{threading.get_ident()}.tmp")
        with open(tmp, "w") as handle:
            json.dump(body, handle)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(tmp, path)  # atomic: a crash leaves the old offset or the new one


def _seconds(value: str | None) -> float | None:
    try:
        return max(0.0, float(value)) if value is not None else None
    except ValueError:
        return None


def _redacted_traceback(exc: BaseException, token: str) -> str:
    text = "".join(traceback.format_exception(exc))
    return text.replace(token, "<token>")
