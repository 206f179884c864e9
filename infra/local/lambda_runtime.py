"""Invoke a Chalice app's handlers in-process, the way Lambda would.

Lambda calls ``handler(event_dict, context)``; for a Chalice app that handler is
``app.handler_map[name]`` (the wrapped handler with middleware), so that is what the local
stack calls. This module also lists the app's websocket, DynamoDB-stream and schedule handlers
from ``app.websocket_handlers`` and ``app.event_sources`` (chalice 1.34).
"""

from __future__ import annotations

import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from chalice.app import (
    Chalice,
    DynamoDBEventConfig,
    ScheduledEventConfig,
    ScheduleExpression,
)

LambdaHandler = Callable[[dict[str, Any], Any], Any]

DEFAULT_ACCOUNT = "123456789012"
DEFAULT_REGION = "us-east-1"


class FakeLambdaContext:
    """The attributes and method of Lambda's Python context object that code actually uses."""

    def __init__(
        self,
        function_name: str,
        *,
        memory_limit_in_mb: int = 512,
        timeout_seconds: float = 30.0,
        region: str = DEFAULT_REGION,
        account: str = DEFAULT_ACCOUNT,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.function_name = function_name
        self.function_version = "$LATEST"
        self.memory_limit_in_mb = memory_limit_in_mb
        self.invoked_function_arn = f"arn:aws:lambda:{region}:{account}:function:{function_name}"
        self.aws_request_id = str(uuid.uuid4())
        self.log_group_name = f"/aws/lambda/{function_name}"
        self.log_stream_name = f"{time.strftime('%Y/%m/%d')}/[$LATEST]{uuid.uuid4().hex}"
        self.identity = None
        self.client_context = None
        self._clock = clock
        self._deadline = clock() + timeout_seconds

    def get_remaining_time_in_millis(self) -> int:
        """Milliseconds left before this invocation's deadline (never negative)."""
        return max(0, int((self._deadline - self._clock()) * 1000))


@dataclass(frozen=True)
class WebsocketHandlers:
    """Lambda function names of the app's websocket handlers (``None`` when not defined)."""

    connect: str | None
    message: str | None
    disconnect: str | None


@dataclass(frozen=True)
class StreamSource:
    """One ``@app.on_dynamodb_record`` handler."""

    name: str
    stream_arn: str
    batch_size: int
    starting_position: str


@dataclass(frozen=True)
class ScheduleSource:
    """One ``@app.schedule`` handler; ``expression`` is ``rate(...)`` or ``cron(...)``."""

    name: str
    expression: str


def websocket_handlers(app: Chalice) -> WebsocketHandlers:
    """Find the app's ``$connect`` / ``$default`` / ``$disconnect`` handler names."""

    def name_of(route_key: str) -> str | None:
        config = app.websocket_handlers.get(route_key)
        return None if config is None else str(config.name)

    return WebsocketHandlers(
        connect=name_of("$connect"),
        message=name_of("$default"),
        disconnect=name_of("$disconnect"),
    )


def stream_sources(app: Chalice) -> list[StreamSource]:
    """List the app's ``on_dynamodb_record`` handlers."""
    return [
        StreamSource(
            name=source.name,
            stream_arn=source.stream_arn,
            batch_size=source.batch_size,
            starting_position=source.starting_position,
        )
        for source in app.event_sources
        if isinstance(source, DynamoDBEventConfig)
    ]


def schedule_sources(app: Chalice) -> list[ScheduleSource]:
    """List the app's ``schedule`` handlers with their expression as a string."""
    sources = []
    for source in app.event_sources:
        if isinstance(source, ScheduledEventConfig):
            expression = source.schedule_expression
            if isinstance(expression, ScheduleExpression):
                expression = expression.to_string()
            sources.append(ScheduleSource(name=source.name, expression=expression))
    return sources


def invoke(
    app: Chalice,
    name: str,
    event: dict[str, Any],
    *,
    context: FakeLambdaContext | None = None,
    timeout_seconds: float = 30.0,
) -> Any:
    """Call handler ``name`` with ``event`` and a fresh context, as Lambda would."""
    if context is None:
        context = FakeLambdaContext(f"{app.app_name}-local-{name}", timeout_seconds=timeout_seconds)
    return app.handler_map[name](event, context)


def handler_for(app: Chalice, name: str, *, timeout_seconds: float = 30.0) -> LambdaHandler:
    """A ``(event, context) -> result`` callable for handler ``name``.

    The context argument is ignored when ``None`` and a fresh :class:`FakeLambdaContext` is
    made per call, so callers such as the stream pump need not build one.
    """

    def call(event: dict[str, Any], context: Any = None) -> Any:
        return invoke(app, name, event, context=context, timeout_seconds=timeout_seconds)

    return call
