"""The composition root: builds every real collaborator once per container, lazily.

Nothing here runs at import time, and heavy libraries are imported by the getter that
needs them, so importing ``app.py`` (which Chalice does to deploy and package) stays
cheap. Tests and the local stack call ``reset()`` after changing the environment.
"""

from __future__ import annotations

import functools
from typing import TYPE_CHECKING, Any

from chalicelib.config import Settings
from chalicelib.errors import ConfigError

if TYPE_CHECKING:
    import httpx

    from chalicelib.crypto import Keyring
    from chalicelib.enforcement.actions import MemberActions
    from chalicelib.enforcement.context import EventRecorder
    from chalicelib.enforcement.gate import Gate
    from chalicelib.janitor import Janitor
    from chalicelib.live.connections import LiveConnections
    from chalicelib.store.bundle import Stores
    from chalicelib.store.schema import Tables
    from chalicelib.telegram.webhook import WebhookHandler


@functools.cache
def settings() -> Settings:
    """Settings from the environment, validated once."""
    return Settings.from_env()


@functools.cache
def tables() -> Tables:
    """The models bound to this deployment's tables."""
    from chalicelib.store.schema import bind

    return bind(settings())


@functools.cache
def stores() -> Stores:
    """Every store, on DynamoDB."""
    from chalicelib.store.bundle import dynamo_stores

    return dynamo_stores(tables())


@functools.cache
def http() -> httpx.Client:
    """The container-wide HTTP client for the Bot API."""
    from chalicelib.telegram.client import new_http_client

    return new_http_client()


@functools.cache
def dynamodb_client() -> Any:
    """A boto3 DynamoDB client (powertools idempotency uses it)."""
    import boto3

    s = settings()
    return boto3.client("dynamodb", region_name=s.aws_region, endpoint_url=s.dynamodb_endpoint)


def _secret(value: str | None, parameter: str | None, what: str) -> str:
    if value:
        return value
    if parameter:
        from aws_lambda_powertools.utilities.parameters import get_parameter

        return str(get_parameter(parameter, decrypt=True, max_age=300))
    raise ConfigError(f"{what} is not configured")


@functools.cache
def keyring() -> Keyring:
    """The token encryption keyring (from config locally, from SSM on AWS)."""
    from chalicelib.crypto import Keyring

    s = settings()
    spec = _secret(
        s.token_keys,
        s.token_keys_parameter,
        "token encryption keys (NEZUKO_TOKEN_KEYS or NEZUKO_TOKEN_KEYS_PARAMETER)",
    )
    return Keyring.from_spec(spec)


@functools.cache
def session_secret() -> bytes:
    """The HMAC key for sessions and tickets."""
    s = settings()
    value = _secret(
        s.session_secret,
        s.session_secret_parameter,
        "session secret (NEZUKO_SESSION_SECRET or NEZUKO_SESSION_SECRET_PARAMETER)",
    )
    return value.encode()


@functools.cache
def recorder() -> EventRecorder:
    """Writes decisions to the events table."""
    from chalicelib.enforcement.context import EventRecorder

    return EventRecorder(stores().events, retention_days=settings().event_retention_days)


@functools.cache
def actions() -> MemberActions:
    """Mute, lift and notice actions."""
    from chalicelib.enforcement.actions import MemberActions

    return MemberActions(stores())


@functools.cache
def gate() -> Gate:
    """The membership rules."""
    from chalicelib.enforcement.context import TtlCache
    from chalicelib.enforcement.gate import Gate
    from chalicelib.enforcement.membership import MembershipChecker, VerdictCache

    return Gate(
        stores(),
        MembershipChecker(VerdictCache()),
        actions(),
        recorder(),
        groups_cache=TtlCache(30.0),
        admins_cache=TtlCache(300.0),
    )


@functools.cache
def webhook() -> WebhookHandler:
    """The Telegram webhook edge."""
    from chalicelib.enforcement.commands import Commands
    from chalicelib.enforcement.router import UpdateRouter
    from chalicelib.telegram.once import PowertoolsRunOnce
    from chalicelib.telegram.webhook import WebhookHandler

    s = settings()
    router = UpdateRouter(gate(), Commands(stores(), gate(), actions(), recorder()), recorder())
    once = PowertoolsRunOnce(s.table_name("idempotency"), dynamodb_client())
    return WebhookHandler(
        stores().bots, keyring(), router, once, http=http(), api_url=s.telegram_api_url
    )


@functools.cache
def janitor() -> Janitor:
    """The scheduled clean-up of due jobs."""
    from chalicelib.janitor import Janitor

    return Janitor(stores(), bot_api)


def bot_api(bot_id: int) -> Any:
    """A Bot API client for a registered bot (token decrypted on demand)."""
    from chalicelib.telegram.client import BotApi

    bot = stores().bots.get(bot_id)
    token = keyring().decrypt(bot.token_ciphertext)
    return BotApi(token, http=http(), base_url=settings().telegram_api_url)


@functools.cache
def live() -> LiveConnections:
    """Websocket connections and fan-out."""
    from chalicelib.live.connections import LiveConnections

    return LiveConnections(stores())


def reset() -> None:
    """Forget everything built so far (after the environment changed)."""
    for getter in (
        settings,
        tables,
        stores,
        http,
        dynamodb_client,
        keyring,
        session_secret,
        recorder,
        actions,
        gate,
        webhook,
        janitor,
        live,
    ):
        getter.cache_clear()
