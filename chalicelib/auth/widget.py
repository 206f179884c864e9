"""Telegram Login Widget payload verification (pure: no I/O).

Telegram signs the widget's answer with HMAC-SHA-256 over the "data-check-string" (every
received field except ``hash``, as ``key=value`` lines sorted by key), keyed by SHA-256 of
the login bot's token. See https://core.telegram.org/widgets/login#checking-authorization.
"""

from __future__ import annotations

import hashlib
import hmac
import re
from collections.abc import Mapping
from dataclasses import dataclass

from chalicelib.errors import InvalidInput, Unauthorized

#: How long a widget answer stays usable after Telegram signed it.
MAX_AGE = 600
#: Clock skew we tolerate for an ``auth_date`` slightly in the future.
FUTURE_SKEW = 30
_KEY = re.compile(r"^[a-z_]{1,32}$")
_HASH = re.compile(r"^[0-9a-f]{64}$")
MAX_FIELDS = 16
MAX_VALUE = 512


@dataclass(frozen=True)
class WidgetUser:
    """The Telegram user a verified widget payload vouches for."""

    user_id: int
    auth_date: int
    hash: str
    first_name: str = ""
    username: str | None = None


def data_check_string(payload: Mapping[str, object]) -> str:
    """The string Telegram signs: ``key=value`` lines sorted by key, without ``hash``."""
    return "\n".join(f"{key}={payload[key]}" for key in sorted(payload) if key != "hash")


def sign_widget(payload: Mapping[str, object], bot_token: str) -> str:
    """The hex hash Telegram would attach to ``payload`` (tests and the local stack use it)."""
    secret = hashlib.sha256(bot_token.encode()).digest()
    return hmac.new(secret, data_check_string(payload).encode(), hashlib.sha256).hexdigest()


def verify_widget(
    payload: Mapping[str, object], bot_token: str, *, now: float, max_age: int = MAX_AGE
) -> WidgetUser:
    """Check a widget payload's signature and freshness.

    Raises:
        InvalidInput: the payload is not shaped like a widget answer.
        Unauthorized: the signature does not match, or ``auth_date`` is stale or in the future.
    """
    _check_shape(payload)
    presented = str(payload["hash"])
    expected = sign_widget(payload, bot_token)
    if not hmac.compare_digest(presented.encode(), expected.encode()):
        raise Unauthorized("the Telegram sign-in could not be verified")
    auth_date = int(str(payload["auth_date"]))
    if auth_date > now + FUTURE_SKEW:
        raise Unauthorized("the Telegram sign-in is dated in the future")
    if now - auth_date > max_age:
        raise Unauthorized("the Telegram sign-in has expired; sign in again")
    username = payload.get("username")
    return WidgetUser(
        user_id=int(str(payload["id"])),
        auth_date=auth_date,
        hash=presented,
        first_name=str(payload.get("first_name") or ""),
        username=str(username) if username is not None else None,
    )


def _check_shape(payload: Mapping[str, object]) -> None:
    if len(payload) > MAX_FIELDS:
        raise InvalidInput("too many fields in the sign-in payload")
    for key, value in payload.items():
        if not _KEY.match(key):
            raise InvalidInput(f"{key[:40]!r} is not a sign-in field", field=key[:40])
        # Booleans are ints to Python but would sign as "True": refuse them outright.
        if isinstance(value, bool) or not isinstance(value, str | int):
            raise InvalidInput(f"{key}: must be a string or an integer", field=key)
        if len(str(value)) > MAX_VALUE:
            raise InvalidInput(f"{key}: too long", field=key)
    for key in ("id", "auth_date"):
        if not re.fullmatch(r"\d{1,20}", str(payload.get(key, ""))):
            raise InvalidInput(f"{key}: a positive integer is required", field=key)
    if not _HASH.match(str(payload.get("hash", ""))):
        raise InvalidInput("hash: 64 hex characters are required", field="hash")
