"""Bot API failures as typed errors (never matched on text by callers, except the few
descriptions Telegram documents as the only signal, which live in ``BotApiError`` helpers)."""

from __future__ import annotations

from chalicelib.errors import NezukoError, TransientError


class BotApiError(NezukoError):
    """Telegram answered ``ok: false``."""

    code = "telegram"

    def __init__(self, method: str, error_code: int, description: str) -> None:
        super().__init__(f"{method}: {error_code} {description}")
        self.method = method
        self.error_code = error_code
        self.description = description


class TelegramBadRequest(BotApiError):
    """400: the request cannot succeed as sent (rights missing, chat not found, ...)."""


class TelegramForbidden(BotApiError):
    """403: the bot was blocked, kicked, or is not a member of the chat."""


class TelegramNotFound(BotApiError):
    """404/401: the token is wrong or the method does not exist."""


class ChatMigrated(TelegramBadRequest):
    """The group became a supergroup with ``migrate_to_chat_id``."""

    def __init__(self, method: str, description: str, migrate_to_chat_id: int) -> None:
        super().__init__(method, 400, description)
        self.migrate_to_chat_id = migrate_to_chat_id


class TelegramUnavailable(TransientError):
    """Telegram could not be reached, timed out, or answered 5xx: a retry may succeed."""


class TelegramRateLimited(TransientError):
    """429 with ``retry_after`` seconds longer than our time budget allows us to wait."""

    def __init__(self, method: str, retry_after: float) -> None:
        super().__init__(f"{method}: flood control, retry after {retry_after:g}s")
        self.method = method
        self.retry_after = retry_after
