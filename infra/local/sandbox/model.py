"""The state model: plain records the sandbox keeps behind its lock."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

GROUP_ANONYMOUS_BOT_ID = 1087968824
TELEGRAM_SERVICE_ID = 777000
CHANNEL_BOT_ID = 136817688

PERMISSION_FIELDS: tuple[str, ...] = (
    "can_send_messages",
    "can_send_audios",
    "can_send_documents",
    "can_send_photos",
    "can_send_videos",
    "can_send_video_notes",
    "can_send_voice_notes",
    "can_send_polls",
    "can_send_other_messages",
    "can_add_web_page_previews",
    "can_react_to_messages",
    "can_edit_tag",
    "can_change_info",
    "can_invite_users",
    "can_pin_messages",
    "can_manage_topics",
)

ADMIN_REQUIRED_RIGHTS: tuple[str, ...] = (
    "is_anonymous",
    "can_manage_chat",
    "can_delete_messages",
    "can_manage_video_chats",
    "can_restrict_members",
    "can_promote_members",
    "can_change_info",
    "can_invite_users",
    "can_post_stories",
    "can_edit_stories",
    "can_delete_stories",
)
CHANNEL_ONLY_RIGHTS: tuple[str, ...] = (
    "can_post_messages",
    "can_edit_messages",
    "can_manage_direct_messages",
)
GROUP_ONLY_RIGHTS: tuple[str, ...] = ("can_pin_messages", "can_manage_topics", "can_manage_tags")

ACTIVE_STATUSES = frozenset({"creator", "administrator", "member"})
ADMIN_STATUSES = frozenset({"creator", "administrator"})


@dataclass
class User:
    id: int
    first_name: str
    is_bot: bool = False
    last_name: str | None = None
    username: str | None = None
    language_code: str | None = None
    is_premium: bool = False


@dataclass
class Bot:
    """A bot account: its user, token, webhook settings and pending update queue."""

    user: User
    token: str
    can_read_all_group_messages: bool = False
    webhook_url: str = ""
    secret_token: str | None = None
    max_connections: int = 40
    allowed_updates: list[str] | None = None
    last_error_date: int | None = None
    last_error_message: str | None = None
    queue: list[dict[str, Any]] = field(default_factory=list)
    next_update_id: int = 1
    attempts: int = 0
    poll_generation: int = 0
    commands: list[dict[str, Any]] = field(default_factory=list)


@dataclass
class Chat:
    id: int
    type: str  # private | group | supergroup | channel
    title: str | None = None
    username: str | None = None
    is_forum: bool = False
    join_by_request: bool = False
    description: str | None = None
    permissions: dict[str, bool] = field(default_factory=dict)
    linked_chat_id: int | None = None
    migrated_to: int | None = None
    primary_link: str | None = None
    invite_links: dict[str, dict[str, Any]] = field(default_factory=dict)
    topics: dict[int, str] = field(default_factory=dict)
    banned_sender_chats: set[int] = field(default_factory=set)
    join_requests: dict[int, int] = field(default_factory=dict)  # user_id -> date
    next_message_id: int = 1


@dataclass
class Member:
    """One user's membership in one chat; `rights` for admins, `permissions` when restricted."""

    status: str  # creator | administrator | member | restricted | left | kicked
    rights: dict[str, bool] = field(default_factory=dict)
    permissions: dict[str, bool] = field(default_factory=dict)
    until_date: int = 0
    is_member: bool = True
    custom_title: str | None = None

    @property
    def active(self) -> bool:
        return self.status in ACTIVE_STATUSES or (self.status == "restricted" and self.is_member)

    @property
    def is_admin(self) -> bool:
        return self.status in ADMIN_STATUSES

    def can(self, right: str) -> bool:
        return self.status == "creator" or (
            self.status == "administrator" and self.rights.get(right, False)
        )


@dataclass
class StoredMessage:
    chat_id: int
    message_id: int
    date: int
    data: dict[str, Any]  # the Bot API Message object as sent
    sender_id: int | None
    thread_id: int | None = None
    partner_bot_id: int | None = None  # private chats: the bot on the other side
    deleted: bool = False


@dataclass
class CallbackQuery:
    id: str
    bot_id: int
    user_id: int
    answers: list[dict[str, Any]] = field(default_factory=list)
