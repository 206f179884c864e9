"""Request and response schemas of the operator API (the OpenAPI document is built from them)."""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, StrictInt, StrictStr

PERIODS = ("24h", "7d", "30d", "90d")


class Request(BaseModel):
    """Base of request bodies and query strings: unknown fields are errors, not ignored."""

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)


class Out(BaseModel):
    """Base of responses."""


# ----- errors ----------------------------------------------------------------------------


class ErrorDetail(Out):
    code: str = Field(description="Stable machine-readable code (not_found, invalid_input, ...).")
    message: str = Field(description="What went wrong, for a person.")


class ErrorOut(Out):
    """The one error shape of every endpoint."""

    error: ErrorDetail


# ----- auth ------------------------------------------------------------------------------


class WidgetLogin(BaseModel):
    """The Telegram Login Widget's answer, passed through unchanged."""

    model_config = ConfigDict(extra="allow")

    id: StrictInt | StrictStr
    auth_date: StrictInt | StrictStr
    hash: StrictStr = Field(min_length=64, max_length=64)
    first_name: StrictStr | None = None
    last_name: StrictStr | None = None
    username: StrictStr | None = None
    photo_url: StrictStr | None = None


class MagicLogin(Request):
    code: StrictStr = Field(min_length=16, max_length=128, description="From the link's #login=")


class SessionOut(Out):
    token: str = Field(description="Send as 'Authorization: Bearer <token>'.")
    operator_id: int
    expires_at: int


class MeOut(Out):
    operator_id: int
    session_expires_at: int
    bots: int
    login_bot_username: str
    websocket_url: str


class TicketOut(Out):
    ticket: str
    expires_in: int
    websocket_url: str


# ----- shared ----------------------------------------------------------------------------


class PageQuery(Request):
    limit: int = Field(default=50, ge=1, le=200)
    cursor: str | None = Field(default=None, max_length=512)


# ----- bots ------------------------------------------------------------------------------


class BotAdd(Request):
    token: StrictStr = Field(min_length=1, max_length=100, description="From @BotFather.")


class BotListQuery(PageQuery):
    include_removed: bool = False


class BotOut(Out):
    bot_id: int
    username: str
    first_name: str
    status: Literal["active", "paused", "removed"] | str
    created_at: float
    updated_at: float


class WebhookHealth(Out):
    reachable: bool = Field(description="False when Telegram could not be asked.")
    error: str | None = None
    url_matches: bool | None = None
    allowed_updates_complete: bool | None = None
    missing_updates: list[str] = Field(default_factory=list)
    pending_update_count: int | None = None
    last_error_date: int | None = None
    last_error_message: str | None = None


class BotDetailOut(BotOut):
    webhook: WebhookHealth
    groups: int


class BotListOut(Out):
    items: list[BotOut]
    next_cursor: str | None = None


# ----- groups ----------------------------------------------------------------------------


class GroupListQuery(PageQuery):
    bot_id: int | None = None
    enabled: bool | None = None
    q: str | None = Field(default=None, max_length=100, description="Title contains (any case).")


class ChannelOut(Out):
    chat_id: int
    title: str
    username: str | None = None
    invite_link: str | None = None


class GroupOut(Out):
    bot_id: int
    chat_id: int
    title: str
    username: str | None = None
    enabled: bool
    required_channels: list[ChannelOut]
    updated_at: float


class GroupListOut(Out):
    items: list[GroupOut]
    next_cursor: str | None = None


class LedgerCounts(Out):
    muted_now: int


class GroupDetailOut(GroupOut):
    settings: dict[str, Any] = Field(description="GroupSettings: every field, defaults filled.")
    ledger: LedgerCounts
    protected_by: int | None = None
    created_at: float


class SettingsUpdate(Request):
    settings: dict[str, Any] = Field(
        description="Fields of GroupSettings to change (notice_ttl, unknown_policy, "
        "sender_chat_policy, allow_bots, kick_after_minutes, language, notice_template, "
        "whitelist); others keep their value.",
        max_length=20,
    )


class ChannelAdd(Request):
    channel: StrictStr | StrictInt = Field(description="@username or numeric chat id.")


class LinkedGroup(Out):
    chat_id: int
    title: str
    enabled: bool


class ChannelListItem(ChannelOut):
    bot_id: int
    groups: list[LinkedGroup]


class ChannelListQuery(PageQuery):
    bot_id: int | None = None


class ChannelListOut(Out):
    items: list[ChannelListItem]
    next_cursor: str | None = None


# ----- events ----------------------------------------------------------------------------


class EventsQuery(PageQuery):
    bot_id: int | None = Field(default=None, description="Default: every bot of the operator.")
    chat_id: int | None = Field(default=None, description="Needs bot_id.")
    user_id: int | None = None
    type: str | None = Field(default=None, max_length=500, description="Comma-separated types.")
    since: float | None = Field(default=None, ge=0, description="Epoch seconds, inclusive.")
    until: float | None = Field(default=None, ge=0, description="Epoch seconds, inclusive.")
    order: Literal["newest", "oldest"] = "newest"


class ExportQuery(EventsQuery):
    limit: int = Field(default=200, ge=1, le=200)
    pages: int = Field(default=10, ge=1, le=50, description="Pages of `limit` rows per file.")


class EventOut(Out):
    event_id: str
    bot_id: int
    type: str
    ts: float
    chat_id: int | None = None
    user_id: int | None = None
    actor_id: int | None = None
    reason: str = ""
    channels: list[int] = Field(default_factory=list)
    latency_ms: float | None = None
    cache_hit: bool | None = None
    telegram_calls: list[str] = Field(default_factory=list)
    detail: dict[str, Any] = Field(default_factory=dict)


class EventPageOut(Out):
    items: list[EventOut]
    next_cursor: str | None = None


# ----- overview, analytics, uptime -------------------------------------------------------


class OverviewOut(Out):
    protected_groups: int
    channels: int
    verifications_today: int | None = None
    pass_rate: float | None = Field(default=None, description="0..1; null with no data.")
    muted_now: int
    uptime_percent: float | None = Field(default=None, description="Last 24 h, mean of bots.")


class AnalyticsQuery(Request):
    period: Literal["24h", "7d", "30d", "90d"] = "24h"
    bot_id: int | None = None
    chat_id: int | None = Field(default=None, description="Needs bot_id.")


class TopGroup(Out):
    bot_id: int
    chat_id: int
    count: int


class AnalyticsOut(Out):
    """Series from the aggregates (``chalicelib.analytics``); one value per bucket."""

    model_config = ConfigDict(extra="allow")

    period: str
    buckets: list[str] = Field(default_factory=list, description="ISO labels, oldest first.")
    verifications: dict[str, list[int]] = Field(default_factory=dict, description="By outcome.")
    hourly_activity: list[int] = Field(default_factory=list, description="24 UTC hours of day.")
    latency: dict[str, Any] = Field(default_factory=dict, description="p50, p95, histogram.")
    cache_hit_rate: list[float | None] = Field(default_factory=list)
    telegram_calls: dict[str, int] = Field(default_factory=dict)
    telegram_errors: dict[str, int] = Field(default_factory=dict)
    top_groups: list[TopGroup] = Field(default_factory=list)


class UptimeOut(Out):
    model_config = ConfigDict(extra="allow")

    bot_id: int
    windows: dict[str, Any]
    incidents: list[Any] = Field(default_factory=list)
