"""Saved CloudWatch Logs Insights queries for auditors.

Our logs are powertools JSON lines. Each enforcement decision and admin action is one line
with ``message = "decision"`` and the keys ``event_type``, ``reason``, ``bot_id``, ``chat_id``,
``user_id``, ``actor_id``, ``channels`` (``chalicelib.enforcement.context.EventRecorder``);
failures carry ``level`` and ``error``. Logs Insights has no query parameters: each query
filters on the placeholder id ``0``, which the auditor replaces (the comment line says so).
"""

from __future__ import annotations

#: Fields Logs Insights itself adds to every line (not emitted by our logger).
INSIGHTS_FIELDS = frozenset({"@timestamp", "@message", "@log", "@logStream", "@requestId"})

QUERIES: dict[str, str] = {
    "everything-about-user": "\n".join(
        [
            "# Everything that happened to (or was done by) one Telegram user: replace 0.",
            "fields @timestamp, @log, message, event_type, reason, bot_id, chat_id, actor_id,"
            " channels, level, error",
            "| filter user_id = 0 or actor_id = 0",
            "| sort @timestamp asc",
            "| limit 10000",
        ]
    ),
    "why-muted": "\n".join(
        [
            "# Why was this user muted or blocked, where, and which channels were missing:"
            " replace 0.",
            "fields @timestamp, bot_id, chat_id, event_type, reason, channels, actor_id",
            '| filter message = "decision" and user_id = 0',
            "| filter event_type like /mute|block|unknown|verif/",
            "| sort @timestamp desc",
            "| limit 1000",
        ]
    ),
    "admin-changes": "\n".join(
        [
            "# Who changed what: every recorded action that has an acting admin or operator.",
            "fields @timestamp, actor_id, event_type, reason, bot_id, chat_id, channels",
            '| filter message = "decision" and ispresent(actor_id)',
            "| sort @timestamp desc",
            "| limit 10000",
        ]
    ),
    "errors-by-bot": "\n".join(
        [
            "# Warnings and errors per bot and error type.",
            "fields bot_id, error, level, message",
            '| filter level = "ERROR" or level = "WARNING" or ispresent(error)',
            "| stats count(*) as failures by bot_id, level, error, message",
            "| sort failures desc",
        ]
    ),
}
