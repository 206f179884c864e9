"""Plain records the domain works with; the stores translate them to and from items."""

from __future__ import annotations

import secrets
from dataclasses import dataclass, field
from typing import Any, Generic, TypeVar

T = TypeVar("T")


def group_key(bot_id: int, chat_id: int) -> str:
    """Key of one group of one bot (ledger partition, event index)."""
    return f"{bot_id}:{chat_id}"


def user_key(bot_id: int, user_id: int) -> str:
    """Key of one user as seen by one bot."""
    return f"{bot_id}:{user_id}"


@dataclass
class BotRecord:
    """A registered bot. Secrets are ciphertexts; only the Keyring reads them."""

    bot_id: int
    owner_id: int
    username: str
    token_ciphertext: str
    webhook_secret_ciphertext: str
    first_name: str = ""
    status: str = "active"  # active | paused | removed
    created_at: float = 0.0
    updated_at: float = 0.0
    health: dict[str, Any] | None = None
    version: int | None = None


@dataclass
class ChannelRef:
    """A channel a group requires."""

    chat_id: int
    title: str = ""
    username: str | None = None
    invite_link: str | None = None

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready form stored on the group item."""
        return {
            "chat_id": self.chat_id,
            "title": self.title,
            "username": self.username,
            "invite_link": self.invite_link,
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> ChannelRef:
        """Inverse of ``to_dict``."""
        return cls(
            chat_id=int(data["chat_id"]),
            title=str(data.get("title") or ""),
            username=data.get("username"),
            invite_link=data.get("invite_link"),
        )


@dataclass
class GroupRecord:
    """A group one bot protects."""

    bot_id: int
    chat_id: int
    title: str = ""
    username: str | None = None
    enabled: bool = True
    required_channels: list[ChannelRef] = field(default_factory=list)
    settings: dict[str, Any] = field(default_factory=dict)
    protected_by: int | None = None
    created_at: float = 0.0
    updated_at: float = 0.0
    version: int | None = None


@dataclass
class MemberRecord:
    """The ledger entry of one user in one group: our mute and our cached verdict."""

    bot_id: int
    chat_id: int
    user_id: int
    muted: bool = False
    muted_at: float | None = None
    restore_permissions: dict[str, Any] | None = None
    verdict: str | None = None  # member | not_member | unknown
    verdict_expires_at: float = 0.0
    missing_channels: list[int] = field(default_factory=list)
    notice_message_id: int | None = None
    notice_thread_id: int | None = None
    notice_sent_at: float | None = None
    last_check_at: float = 0.0
    first_name: str = ""
    language_code: str | None = None
    join_request_at: float | None = None
    updated_at: float = 0.0
    version: int | None = None


def new_event_id(ts: float) -> str:
    """Sortable, unique id: milliseconds then randomness."""
    return f"{int(ts * 1000):013d}{secrets.token_hex(6)}"


@dataclass
class EventRecord:
    """One decision or admin action."""

    bot_id: int
    type: str
    ts: float
    event_id: str = ""
    owner_id: int | None = None
    chat_id: int | None = None
    user_id: int | None = None
    actor_id: int | None = None
    reason: str = ""
    channels: list[int] = field(default_factory=list)
    latency_ms: float | None = None
    cache_hit: bool | None = None
    telegram_calls: list[str] = field(default_factory=list)
    detail: dict[str, Any] = field(default_factory=dict)
    expires_at: int | None = None

    def __post_init__(self) -> None:
        if not self.event_id:
            self.event_id = new_event_id(self.ts)

    @property
    def sort_key(self) -> str:
        """Time-ordered sort key within a bot."""
        return f"{int(self.ts * 1000):013d}#{self.event_id}"


@dataclass(frozen=True)
class EventQuery:
    """Filters of the events explorer."""

    bot_id: int
    chat_id: int | None = None
    user_id: int | None = None
    types: tuple[str, ...] = ()
    since: float | None = None
    until: float | None = None
    newest_first: bool = True
    limit: int = 50
    cursor: str | None = None


@dataclass
class Page(Generic[T]):
    """One page of results and the cursor of the next (None at the end)."""

    items: list[T]
    cursor: str | None = None


@dataclass
class JobRecord:
    """Work due at ``due_at``: delete a notice, re-check a member, kick after a timeout."""

    kind: str
    due_at: float
    payload: dict[str, Any] = field(default_factory=dict)
    job_id: str = field(default_factory=lambda: secrets.token_hex(8))
    attempts: int = 0


@dataclass
class ConnectionRecord:
    """An open dashboard websocket."""

    connection_id: str
    operator_id: int
    connected_at: float
    expires_at: int
    subscriptions: list[str] = field(default_factory=list)


@dataclass
class HeartbeatRecord:
    """One minute of one bot's health."""

    bot_id: int
    minute: int
    healthy: bool
    expires_at: int
    detail: dict[str, Any] = field(default_factory=dict)


@dataclass
class AuthRecord:
    """A login ticket, websocket ticket, session or counter."""

    kind: str
    token_id: str
    created_at: float
    expires_at: int
    operator_id: int | None = None
    data: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class StatDelta:
    """One counter increment: ``amount`` added to ``(scope, bucket)``, which expires then."""

    scope: str
    bucket: str
    amount: float
    expires_at: int | None = None


@dataclass
class ParkedRecord:
    """A stream record that could never be handled, kept for operators to inspect.

    ``parked_id`` sorts by time (``{parked_at_ms:013d}#{key}``); ``payload`` is the raw
    stream record as received.
    """

    source: str
    key: str
    reason: str
    error: str
    attempts: int
    parked_at: float
    expires_at: int
    payload: dict[str, Any] = field(default_factory=dict)

    @property
    def parked_id(self) -> str:
        """Time-ordered id within ``source``."""
        return f"{int(self.parked_at * 1000):013d}#{self.key}"
