"""Signed, expiring bearer tokens for dashboard sessions, also stored server-side.

A token reads ``nzs1.<operator id>.<session id>.<expiry>.<signature>``. The signature (HMAC
with the session secret) lets us reject forgeries without a read; the stored record (kind
``session``) is what makes logout a real revocation.
"""

from __future__ import annotations

import re
import secrets
from collections.abc import Callable
from dataclasses import dataclass

from chalicelib.crypto import hmac_sha256, same_secret
from chalicelib.errors import Unauthorized
from chalicelib.store.ports import AuthStore
from chalicelib.store.records import AuthRecord

SESSION_TTL = 12 * 3600
_PREFIX = "nzs1"
_TOKEN = re.compile(r"^nzs1\.(\d{1,20})\.([A-Za-z0-9_-]{16,64})\.(\d{1,12})\.([0-9a-f]{64})$")


@dataclass(frozen=True)
class Session:
    """A signed-in operator."""

    operator_id: int
    session_id: str
    expires_at: int
    token: str = ""


class SessionTokens:
    """Issues, checks and revokes session tokens.

    Args:
        store: where sessions live (kind ``session``) so logout revokes them.
        secret: the HMAC key (``container.session_secret()``).
        clock: epoch seconds.
        ttl: session lifetime in seconds.
    """

    def __init__(
        self,
        store: AuthStore,
        secret: bytes,
        *,
        clock: Callable[[], float],
        ttl: int = SESSION_TTL,
    ) -> None:
        self._store = store
        self._secret = secret
        self._clock = clock
        self._ttl = ttl

    def issue(self, operator_id: int, *, method: str) -> Session:
        """A new session for ``operator_id`` (``method``: how they signed in)."""
        now = self._clock()
        session_id = secrets.token_urlsafe(24)
        expires_at = int(now + self._ttl)
        self._store.put(
            AuthRecord(
                kind="session",
                token_id=session_id,
                created_at=now,
                expires_at=expires_at,
                operator_id=operator_id,
                data={"method": method},
            )
        )
        unsigned = f"{_PREFIX}.{operator_id}.{session_id}.{expires_at}"
        token = f"{unsigned}.{hmac_sha256(self._secret, unsigned.encode())}"
        return Session(operator_id, session_id, expires_at, token)

    def check(self, token: str) -> Session:
        """The live session behind ``token``, or ``Unauthorized``."""
        match = _TOKEN.match(token)
        if match is None:
            raise Unauthorized("the session token is malformed")
        raw_operator, session_id, raw_expiry, signature = match.groups()
        unsigned = token.rsplit(".", 1)[0]
        if not same_secret(signature, hmac_sha256(self._secret, unsigned.encode())):
            raise Unauthorized("the session token is not valid")
        now = self._clock()
        if int(raw_expiry) <= now:
            raise Unauthorized("the session has expired; sign in again")
        record = self._store.find("session", session_id, now=now)
        if record is None or record.operator_id != int(raw_operator):
            raise Unauthorized("the session was signed out")
        return Session(int(raw_operator), session_id, int(raw_expiry))

    def revoke(self, session: Session) -> None:
        """Sign the session out everywhere."""
        self._store.delete("session", session.session_id)
