"""Admin actions written to the events table (the audit trail) and the types that count."""

from __future__ import annotations

from typing import Any, Protocol

#: Event types that are admin actions, from Telegram commands or the dashboard.
ADMIN_EVENT_TYPES: tuple[str, ...] = (
    "bot_added",
    "bot_paused",
    "bot_resumed",
    "bot_deregistered",
    "webhook_secret_rotated",
    "bot_status_changed",
    "group_protected",
    "group_unprotected",
    "group_enabled",
    "group_disabled",
    "settings_changed",
    "channel_added",
    "channel_removed",
)


class Recorder(Protocol):
    """``chalicelib.enforcement.context.EventRecorder``'s recording call."""

    def record(
        self,
        ctx: None,
        type_: str,
        *,
        bot_id: int | None = None,
        owner_id: int | None = None,
        chat_id: int | None = None,
        actor_id: int | None = None,
        reason: str = "",
        detail: dict[str, Any] | None = None,
    ) -> Any:
        """Append one event."""
        ...
