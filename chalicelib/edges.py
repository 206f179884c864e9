"""Small adapters between Chalice's event objects and ``chalicelib`` (no domain logic)."""

from __future__ import annotations

import os
from typing import Any
from urllib.parse import urlparse

from chalicelib.errors import NezukoError
from chalicelib.observability import logger, metrics

CORRELATION_KEYS = ("bot_id", "chat_id", "user_id", "update_id", "operator_id")


def begin_invocation(context: Any) -> None:
    """Reset per-invocation log keys and tag lines with the Lambda request id."""
    logger.remove_keys(list(CORRELATION_KEYS))
    request_id = getattr(context, "aws_request_id", None)
    if request_id:
        logger.append_keys(request_id=request_id)


def end_invocation() -> None:
    """Publish this invocation's EMF metrics (one JSON line to the log)."""
    if os.environ.get("POWERTOOLS_METRICS_DISABLED", "").lower() == "true":
        metrics.clear_metrics()
        return
    metrics.flush_metrics(raise_on_empty_metrics=False)


def error_body(exc: NezukoError) -> dict[str, Any]:
    """The one error shape every endpoint returns."""
    return {"error": {"code": exc.code, "message": exc.message}}


def websocket_endpoint(management_url: str) -> tuple[str, str]:
    """``https://{domain}/{stage}`` → (domain, stage) for ``websocket_api.configure``."""
    parsed = urlparse(management_url)
    return parsed.netloc, parsed.path.strip("/")
