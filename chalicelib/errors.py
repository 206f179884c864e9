"""Domain errors. Raised inside ``chalicelib`` and translated only at the edges.

The HTTP edge maps each class to one status code (see ``http_status``); the store edge
turns PynamoDB errors into these; nothing branches on message text.
"""

from __future__ import annotations


class NezukoError(Exception):
    """Base class of every error the domain raises on purpose."""

    http_status = 500
    code = "internal"

    def __init__(self, message: str, **details: object) -> None:
        super().__init__(message)
        self.message = message
        self.details = details


class ConfigError(NezukoError):
    """The settings are missing or invalid; the process cannot work until they are fixed."""

    code = "config"


class NotFound(NezukoError):
    """The thing asked for does not exist (or belongs to someone else)."""

    http_status = 404
    code = "not_found"


class Conflict(NezukoError):
    """The write lost a race or would overwrite something that already exists."""

    http_status = 409
    code = "conflict"


class InvalidInput(NezukoError):
    """The caller sent something we cannot accept; the message says what."""

    http_status = 400
    code = "invalid_input"


class Forbidden(NezukoError):
    """The caller is not allowed to do this (bad secret, not an operator, ...)."""

    http_status = 403
    code = "forbidden"


class Unauthorized(NezukoError):
    """No valid credentials were presented."""

    http_status = 401
    code = "unauthorized"


class RateLimited(NezukoError):
    """Too many attempts; try again after ``retry_after`` seconds."""

    http_status = 429
    code = "rate_limited"

    def __init__(self, message: str, *, retry_after: float, **details: object) -> None:
        super().__init__(message, retry_after=retry_after, **details)
        self.retry_after = retry_after


class TransientError(NezukoError):
    """A dependency failed in a way a retry could fix (throttling, 5xx, timeout)."""

    http_status = 503
    code = "unavailable"


class StoreUnavailable(TransientError):
    """DynamoDB could not be reached or throttled us."""

    code = "store_unavailable"


class DecryptionError(NezukoError):
    """Ciphertext could not be decrypted: unknown key id, wrong key or tampered data."""

    code = "decryption"
