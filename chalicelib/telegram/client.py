"""A small synchronous Bot API client on one shared ``httpx.Client``.

One HTTP client per container (connection reuse across warm invocations); one cheap
``BotApi`` per bot and request, which remembers the calls it made for the event log.
The token is part of every URL, so nothing here logs URLs, and the httpx/httpcore
loggers are kept at WARNING (their INFO lines print the full request URL).
"""

from __future__ import annotations

import json
import logging
import time
from collections.abc import Callable
from typing import Any

import httpx

from chalicelib.errors import NezukoError
from chalicelib.telegram.errors import (
    BotApiError,
    ChatMigrated,
    TelegramBadRequest,
    TelegramForbidden,
    TelegramNotFound,
    TelegramRateLimited,
    TelegramUnavailable,
)

for _name in ("httpx", "httpcore"):
    logging.getLogger(_name).setLevel(logging.WARNING)

DEFAULT_TIMEOUT = httpx.Timeout(8.0, connect=3.0)


def new_http_client() -> httpx.Client:
    """The container-wide HTTP client (keep-alive pool, sane timeouts)."""
    return httpx.Client(
        timeout=DEFAULT_TIMEOUT,
        limits=httpx.Limits(max_connections=32, max_keepalive_connections=16),
        headers={"User-Agent": "nezuko/1"},
    )


class BotApi:
    """Calls Bot API methods for one bot.

    Args:
        token: the bot token (kept out of every message and log).
        http: the shared client.
        base_url: Bot API base URL (``https://api.telegram.org`` or a compatible server).
        deadline: monotonic time after which we stop waiting out 429s.
        sleep, clock: injectable for tests.
    """

    def __init__(
        self,
        token: str,
        *,
        http: httpx.Client,
        base_url: str,
        deadline: float | None = None,
        sleep: Callable[[float], None] = time.sleep,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._url = f"{base_url.rstrip('/')}/bot{token}/"
        self._http = http
        self._sleep = sleep
        self._clock = clock
        self._deadline = deadline if deadline is not None else clock() + 20.0
        self.bot_id = int(token.split(":", 1)[0]) if ":" in token else 0
        self.calls: list[str] = []
        self.errors: list[str] = []

    def __repr__(self) -> str:
        return f"BotApi(bot_id={self.bot_id})"

    def call(self, method: str, **params: Any) -> Any:
        """Call ``method``; a failure is remembered in ``errors`` (for the event log) and raised.

        See ``_call`` for the retry rules."""
        try:
            return self._call(method, **params)
        except NezukoError:
            self.errors.append(method)
            raise

    def _call(self, method: str, **params: Any) -> Any:
        """Call ``method`` with JSON ``params`` (None values dropped); returns ``result``.

        A 429 whose ``retry_after`` fits in the remaining time budget is waited out and
        retried; otherwise ``TelegramRateLimited`` is raised for the caller to defer.
        """
        body = {k: v for k, v in params.items() if v is not None}
        while True:
            self.calls.append(method)
            try:
                response = self._http.post(self._url + method, json=body)
            except httpx.TimeoutException:
                raise TelegramUnavailable(f"{method}: timed out") from None
            except httpx.HTTPError as exc:
                # The exception text can hold the URL, hence the token: keep only its type.
                raise TelegramUnavailable(f"{method}: {type(exc).__name__}") from None
            try:
                payload = response.json()
            except (json.JSONDecodeError, UnicodeDecodeError):
                payload = None
            if not isinstance(payload, dict):
                if response.status_code >= 500:
                    raise TelegramUnavailable(f"{method}: HTTP {response.status_code}")
                raise BotApiError(method, response.status_code, "response is not JSON")
            if payload.get("ok") is True:
                return payload.get("result")
            retry_after = self._retry_after(method, response.status_code, payload)
            if retry_after is None:
                continue
            raise TelegramRateLimited(method, retry_after)

    def _retry_after(self, method: str, status: int, payload: dict[str, Any]) -> float | None:
        """Raise the typed error for ``payload``; for a 429 that we can wait out, wait and
        return None (retry); for one we cannot, return its ``retry_after``."""
        error_code = int(payload.get("error_code") or status)
        description = str(payload.get("description") or "")
        parameters = payload.get("parameters") or {}
        if error_code == 429:
            retry_after = float(parameters.get("retry_after") or 1)
            if self._clock() + retry_after <= self._deadline:
                self._sleep(retry_after)
                return None
            return retry_after
        if parameters.get("migrate_to_chat_id"):
            raise ChatMigrated(method, description, int(parameters["migrate_to_chat_id"]))
        if error_code >= 500:
            raise TelegramUnavailable(f"{method}: {error_code} {description}")
        if error_code == 403:
            raise TelegramForbidden(method, error_code, description)
        if error_code in (401, 404):
            raise TelegramNotFound(method, error_code, description)
        if error_code == 400:
            raise TelegramBadRequest(method, error_code, description)
        raise BotApiError(method, error_code, description)
