"""Run an update's handling at most once per ``(bot_id, update_id)``.

The DynamoDB implementation is powertools Idempotency: an INPROGRESS record is written
conditionally before the work, COMPLETED (with the result) after it, and deleted when the
work raises, so a retried delivery after a transient failure runs again, and one after
success gets the stored result without acting twice.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Any, Protocol

from chalicelib.errors import StoreUnavailable, TransientError

Work = Callable[[], dict[str, Any]]


class RunOnce(Protocol):
    """Runs ``work`` once per key; repeated keys get the first result."""

    def run(self, key: str, work: Work, lambda_context: Any = None) -> dict[str, Any]:
        """Run or replay (``lambda_context`` bounds an in-progress record's lifetime)."""
        ...


class MemoryRunOnce:
    """In-process RunOnce for unit tests."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._done: dict[str, dict[str, Any]] = {}
        self._running: set[str] = set()

    def run(self, key: str, work: Work, lambda_context: Any = None) -> dict[str, Any]:
        with self._lock:
            if key in self._done:
                return self._done[key]
            if key in self._running:
                raise TransientError("update is being handled already")
            self._running.add(key)
        try:
            result = work()
        finally:
            with self._lock:
                self._running.discard(key)
        with self._lock:
            self._done[key] = result
        return result


class PowertoolsRunOnce:
    """RunOnce on powertools Idempotency with its DynamoDB persistence layer."""

    def __init__(self, table_name: str, client: Any, *, expires_after: int = 86_400) -> None:
        from aws_lambda_powertools.utilities.idempotency import (
            DynamoDBPersistenceLayer,
            IdempotencyConfig,
            idempotent_function,
        )

        persistence = DynamoDBPersistenceLayer(table_name=table_name, boto3_client=client)
        config = IdempotencyConfig(
            expires_after_seconds=expires_after, raise_on_no_idempotency_key=True
        )
        self._local = threading.local()
        self._config = config

        @idempotent_function(
            data_keyword_argument="update_key", persistence_store=persistence, config=config
        )
        def handle_update(update_key: dict[str, Any]) -> dict[str, Any]:
            work: Work = self._local.work
            return work()

        self._handle = handle_update

    def run(self, key: str, work: Work, lambda_context: Any = None) -> dict[str, Any]:
        from aws_lambda_powertools.utilities.idempotency.exceptions import (
            IdempotencyAlreadyInProgressError,
            IdempotencyPersistenceLayerError,
        )

        self._local.work = work
        if lambda_context is not None:
            # Bounds the INPROGRESS record to this invocation's remaining time, so a crashed
            # invocation does not block Telegram's retry for the full expiry.
            self._config.register_lambda_context(lambda_context)
        try:
            result: dict[str, Any] = self._handle(update_key={"key": key})
        except IdempotencyAlreadyInProgressError as exc:
            raise TransientError("update is being handled already") from exc
        except IdempotencyPersistenceLayerError as exc:
            raise StoreUnavailable("idempotency store failed") from exc
        finally:
            self._local.work = None
        return result
