"""Structured logs (powertools Logger, JSON) and EMF metrics, shared by every handler.

Correlation keys (bot_id, chat_id, user_id, update_id) are appended per update. Neither
logs nor metrics ever carry a token: URLs with tokens are never logged and the httpx
loggers stay at WARNING (``chalicelib.telegram.client``).
"""

from __future__ import annotations

import os

from aws_lambda_powertools import Logger, Metrics

SERVICE = "nezuko"

logger = Logger(service=SERVICE, level=os.environ.get("NEZUKO_LOG_LEVEL", "INFO"))
metrics = Metrics(namespace="Nezuko", service=SERVICE)
