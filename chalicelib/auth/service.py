"""Sign-in for configured operators: widget, magic link, sessions, rate limits."""

from __future__ import annotations

import hashlib
import math
import secrets
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass

from chalicelib.auth.sessions import Session, SessionTokens
from chalicelib.auth.widget import MAX_AGE, verify_widget
from chalicelib.crypto import Keyring
from chalicelib.errors import ConfigError, Conflict, Forbidden, RateLimited, Unauthorized
from chalicelib.observability import logger
from chalicelib.store.ports import AuthStore, BotStore
from chalicelib.store.records import AuthRecord

MAGIC_TTL = 300


@dataclass(frozen=True)
class Limit:
    """At most ``attempts`` per ``window`` seconds per key."""

    attempts: int
    window: int


SIGN_IN_PER_IP = Limit(20, 60)
SIGN_IN_PER_USER = Limit(5, 60)
MAGIC_LINKS_PER_USER = Limit(3, 300)


class LoginBotToken:
    """Finds the login bot (by ``Settings.login_bot_username``) and decrypts its token."""

    def __init__(self, bots: BotStore, keyring: Keyring, username: str) -> None:
        self._bots = bots
        self._keyring = keyring
        self._username = username.lstrip("@").lower()

    def matches(self, username: str | None) -> bool:
        """Is ``username`` the login bot's?"""
        return bool(self._username) and (username or "").lstrip("@").lower() == self._username

    def __call__(self) -> str:
        """The plain token; ``Forbidden`` when no active login bot is registered."""
        if self._username:
            for bot in self._bots.list_all():
                if bot.status != "removed" and self.matches(bot.username):
                    return self._keyring.decrypt(bot.token_ciphertext)
        raise Forbidden(
            "Telegram sign-in is not set up: register the login bot "
            "(NEZUKO_LOGIN_BOT_USERNAME) first, or use the /login magic link"
        )


class Auth:
    """Everything about who an operator is.

    Args:
        store: tickets, sessions, used widget hashes and attempt counters.
        operator_ids: the Telegram user ids allowed in (``Settings.operator_ids``).
        secret: the session HMAC key.
        login_bot: the login bot's token finder.
        dashboard_origin: where magic links point (``Settings.dashboard_origin``).
        clock: epoch seconds.
    """

    def __init__(
        self,
        store: AuthStore,
        *,
        operator_ids: frozenset[int],
        secret: bytes,
        login_bot: LoginBotToken,
        dashboard_origin: str,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self._store = store
        self._operators = operator_ids
        self._login_bot = login_bot
        self._origin = dashboard_origin.rstrip("/")
        self._clock = clock
        self.sessions = SessionTokens(store, secret, clock=clock)

    # ----- who may sign in -----------------------------------------------------------

    def is_operator(self, user_id: int) -> bool:
        """Is ``user_id`` a configured operator?"""
        return user_id in self._operators

    def is_login_bot(self, username: str | None) -> bool:
        """Is ``username`` the configured login bot (the one that answers ``/login``)?"""
        return self._login_bot.matches(username)

    # ----- Telegram Login Widget -----------------------------------------------------

    def sign_in_widget(self, payload: Mapping[str, object], *, ip: str) -> Session:
        """Verify a widget payload, once, and open a session."""
        self._limit("signin_ip", ip, SIGN_IN_PER_IP)
        raw_id = str(payload.get("id", ""))
        if raw_id.isdigit() and len(raw_id) <= 20:
            self._limit("signin_user", raw_id, SIGN_IN_PER_USER)
        now = self._clock()
        user = verify_widget(payload, self._login_bot(), now=now)
        if not self.is_operator(user.user_id):
            raise Forbidden("this Telegram account is not an operator of this deployment")
        try:
            # The hash is remembered until the payload would be stale anyway.
            self._store.put(
                AuthRecord(
                    kind="widget",
                    token_id=user.hash,
                    created_at=now,
                    expires_at=int(user.auth_date + MAX_AGE + 60),
                    operator_id=user.user_id,
                )
            )
        except Conflict:
            raise Unauthorized("this Telegram sign-in was used already; sign in again") from None
        return self._open(user.user_id, "widget")

    # ----- magic link ----------------------------------------------------------------

    def magic_link_for(self, user_id: int) -> str | None:
        """A one-time dashboard sign-in link for ``user_id``, or None if not an operator.

        The code travels in the URL fragment (``#login=...``), which browsers never send to a
        server; the dashboard posts it to ``/api/auth/magic``.

        Raises:
            RateLimited: more than a few links were asked for recently.
            ConfigError: ``NEZUKO_DASHBOARD_ORIGIN`` is not a real origin.
        """
        if not self.is_operator(user_id):
            return None
        if not self._origin.startswith(("http://", "https://")):
            raise ConfigError("NEZUKO_DASHBOARD_ORIGIN must be the dashboard's origin for links")
        self._limit("magic_user", str(user_id), MAGIC_LINKS_PER_USER)
        code = secrets.token_urlsafe(32)
        now = self._clock()
        self._store.put(
            AuthRecord(
                kind="magic",
                token_id=_digest(code),
                created_at=now,
                expires_at=int(now + MAGIC_TTL),
                operator_id=user_id,
            )
        )
        logger.info("magic link issued", extra={"operator_id": user_id})
        return f"{self._origin}/#login={code}"

    def sign_in_magic(self, code: str, *, ip: str) -> Session:
        """Trade a magic-link code for a session (each code works once, for 5 minutes)."""
        self._limit("signin_ip", ip, SIGN_IN_PER_IP)
        record = self._store.consume("magic", _digest(code), now=self._clock())
        if record is None or record.operator_id is None:
            raise Unauthorized("this sign-in link is invalid, used or expired; send /login again")
        if not self.is_operator(record.operator_id):
            raise Forbidden("this Telegram account is not an operator of this deployment")
        return self._open(record.operator_id, "magic")

    # ----- sessions ------------------------------------------------------------------

    def authenticate(self, authorization: str | None) -> Session:
        """The session of an ``Authorization: Bearer <token>`` header, or ``Unauthorized``."""
        scheme, _, token = (authorization or "").strip().partition(" ")
        if scheme.lower() != "bearer" or not token.strip():
            raise Unauthorized("sign in first (Authorization: Bearer <session token>)")
        session = self.sessions.check(token.strip())
        if not self.is_operator(session.operator_id):
            # Removing someone from NEZUKO_OPERATOR_IDS locks them out at once.
            raise Unauthorized("this account is no longer an operator")
        return session

    def logout(self, session: Session) -> None:
        """Revoke the session."""
        self.sessions.revoke(session)
        logger.info("signed out", extra={"operator_id": session.operator_id})

    def _open(self, operator_id: int, method: str) -> Session:
        session = self.sessions.issue(operator_id, method=method)
        logger.info("signed in", extra={"operator_id": operator_id, "method": method})
        return session

    def _limit(self, kind: str, key: str, limit: Limit) -> None:
        now = self._clock()
        if self._store.hit(kind, key, now=now, window=limit.window) > limit.attempts:
            retry_after = math.ceil(limit.window - now % limit.window)
            raise RateLimited("too many sign-in attempts; try again later", retry_after=retry_after)


def _digest(code: str) -> str:
    """Codes are stored hashed: a read of the table does not yield a usable link."""
    return hashlib.sha256(code.encode()).hexdigest()
