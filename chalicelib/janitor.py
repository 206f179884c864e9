"""The scheduled janitor: runs due jobs (notice and command-reply deletions, ...).

Bounded per run; each job is claimed with a conditional delete before it runs, so two
concurrent runs never do the same job twice. A job that fails transiently is put back
with a later due time, up to ``MAX_ATTEMPTS``.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import replace
from typing import Any, Protocol

from chalicelib.errors import NezukoError, NotFound, TransientError
from chalicelib.observability import logger
from chalicelib.store.bundle import Stores
from chalicelib.store.records import JobRecord
from chalicelib.telegram.errors import TelegramBadRequest, TelegramForbidden

MAX_ATTEMPTS = 5
BATCH = 100


class Api(Protocol):
    """The Bot API calls the janitor makes."""

    def call(self, method: str, **params: Any) -> Any:
        """Call a Bot API method."""
        ...


class Janitor:
    """Runs due jobs."""

    def __init__(
        self,
        stores: Stores,
        api_for: Callable[[int], Api],
        *,
        clock: Callable[[], float] = time.time,
        batch: int = BATCH,
        handlers: dict[str, Callable[[JobRecord, Any], None]] | None = None,
    ) -> None:
        self._stores = stores
        self._api_for = api_for
        self._handlers = dict(handlers or {})
        self._clock = clock
        self._batch = batch

    def run(self) -> dict[str, int]:
        """One pass over due jobs; returns counts by outcome."""
        counts = {"done": 0, "skipped": 0, "retried": 0, "dropped": 0}
        apis: dict[int, Api | None] = {}
        for job in self._stores.jobs.due(self._clock(), self._batch):
            if not self._stores.jobs.claim(job):
                counts["skipped"] += 1
                continue
            try:
                self._execute(job, apis)
                counts["done"] += 1
            except TransientError as exc:
                if job.attempts + 1 >= MAX_ATTEMPTS:
                    counts["dropped"] += 1
                    logger.error("job dropped", extra={"kind": job.kind, "error": str(exc)})
                    continue
                delay = 30 * 2**job.attempts
                self._stores.jobs.put(
                    replace(job, attempts=job.attempts + 1, due_at=self._clock() + delay)
                )
                counts["retried"] += 1
            except NezukoError as exc:
                counts["dropped"] += 1
                logger.warning("job failed", extra={"kind": job.kind, "error": type(exc).__name__})
        return counts

    def _api(self, bot_id: int, apis: dict[int, Api | None]) -> Api | None:
        if bot_id not in apis:
            try:
                apis[bot_id] = self._api_for(bot_id)
            except NotFound:
                apis[bot_id] = None
        return apis[bot_id]

    def _execute(self, job: JobRecord, apis: dict[int, Api | None]) -> None:
        if job.kind == "delete_message":
            api = self._api(int(job.payload["bot_id"]), apis)
            if api is None:
                return
            try:
                api.call(
                    "deleteMessage",
                    chat_id=int(job.payload["chat_id"]),
                    message_id=int(job.payload["message_id"]),
                )
            except (TelegramBadRequest, TelegramForbidden):
                return  # already deleted, too old, or we were removed: nothing left to do
            return
        handler = self._handlers.get(job.kind)
        if handler is None:
            logger.warning("unknown job kind", extra={"kind": job.kind})
            return
        api = self._api(int(job.payload["bot_id"]), apis)
        if api is not None:
            handler(job, api)
