"""The composition root: builds every real collaborator once per container, lazily.

Nothing here runs at import time, and heavy libraries are imported by the getter that
needs them, so importing ``app.py`` (which Chalice does to deploy and package) stays
cheap. Tests and the local stack call ``reset()`` after changing the environment.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Collection
from typing import TYPE_CHECKING, Any

from chalicelib.config import Settings
from chalicelib.errors import ConfigError

if TYPE_CHECKING:
    import httpx

    from chalicelib.analytics.query import Analytics
    from chalicelib.auth.service import Auth
    from chalicelib.bots import BotRegistry
    from chalicelib.crypto import Keyring
    from chalicelib.dashboard_api.services import OperatorApi
    from chalicelib.enforcement.actions import MemberActions
    from chalicelib.enforcement.context import EventRecorder
    from chalicelib.enforcement.gate import Gate
    from chalicelib.janitor import Janitor
    from chalicelib.live.connections import LiveConnections
    from chalicelib.live.stream import EventStreamHandler
    from chalicelib.store.bundle import Stores
    from chalicelib.store.schema import Tables
    from chalicelib.telegram.webhook import WebhookHandler
    from chalicelib.uptime.heartbeat import Heartbeat


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
def checker() -> Any:
    """Membership checks with this container's verdict cache."""
    from chalicelib.enforcement.membership import MembershipChecker, VerdictCache

    return MembershipChecker(VerdictCache())


@functools.cache
def gate() -> Gate:
    """The membership rules."""
    from chalicelib.enforcement.context import TtlCache
    from chalicelib.enforcement.gate import Gate

    return Gate(
        stores(),
        checker(),
        actions(),
        recorder(),
        groups_cache=TtlCache(30.0),
        admins_cache=TtlCache(300.0),
    )


@functools.cache
def lifecycle() -> Any:
    """Join requests, migrations and the bot's own status."""
    from chalicelib.enforcement.lifecycle import Lifecycle

    return Lifecycle(stores(), gate(), checker(), recorder())


@functools.cache
def webhook() -> WebhookHandler:
    """The Telegram webhook edge."""
    from chalicelib.enforcement.button import JoinedButton
    from chalicelib.enforcement.commands import Commands
    from chalicelib.enforcement.router import UpdateRouter
    from chalicelib.telegram.once import PowertoolsRunOnce
    from chalicelib.telegram.webhook import WebhookHandler

    s = settings()
    commands = Commands(stores(), gate(), actions(), recorder(), login=auth)
    button = JoinedButton(stores(), gate(), checker(), actions())
    router = UpdateRouter(gate(), commands, recorder(), lifecycle(), button)
    once = PowertoolsRunOnce(s.table_name("idempotency"), dynamodb_client())
    return WebhookHandler(
        stores().bots, keyring(), router, once, http=http(), api_url=s.telegram_api_url
    )


@functools.cache
def janitor() -> Janitor:
    """The scheduled clean-up of due jobs."""
    from chalicelib.enforcement.timeouts import Timeouts
    from chalicelib.janitor import Janitor

    timeouts = Timeouts(stores(), gate(), lifecycle(), recorder(), actions())
    return Janitor(stores(), bot_api, handlers=timeouts.handlers())


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
        checker,
        gate,
        lifecycle,
        webhook,
        janitor,
        live,
        event_stream,
        heartbeat,
        analytics,
        auth,
        bot_registry,
        operator_api,
    ):
        getter.cache_clear()


@functools.cache
def event_stream(send: Callable[[str, str], None]) -> EventStreamHandler:
    """The events-stream handler (aggregates, parking, fan-out through ``send``)."""
    from chalicelib.live.fanout import Fanout
    from chalicelib.live.stream import EventStreamHandler

    s = stores()

    def owner_of(bot_id: int) -> int | None:
        from chalicelib.errors import NotFound

        try:
            return s.bots.get(bot_id).owner_id
        except NotFound:
            return None

    return EventStreamHandler(s.stats, s.parked, Fanout(s.connections, send), owner_of=owner_of)


@functools.cache
def heartbeat() -> Heartbeat:
    """The per-minute bot health check."""
    from chalicelib.bots import BotRegistry
    from chalicelib.telegram.client import BotApi
    from chalicelib.uptime.heartbeat import Heartbeat

    s = settings()

    def api_for_token(token: str) -> BotApi:
        import time

        # A short 429 budget: a heartbeat never waits out long flood control.
        deadline = time.monotonic() + 5.0
        return BotApi(token, http=http(), base_url=s.telegram_api_url, deadline=deadline)

    def webhook_url(bot_id: int) -> str | None:
        return s.webhook_url(bot_id) if s.public_base_url else None

    registry = BotRegistry(stores().bots, keyring(), api_for_token, webhook_url)
    return Heartbeat(
        stores(),
        lambda bot: api_for_token(keyring().decrypt(bot.token_ciphertext)),
        webhook_url,
        registry.point_webhook,
        retention_days=s.heartbeat_retention_days,
    )


@functools.cache
def analytics() -> Analytics:
    """Charts and today's numbers, from the aggregates."""
    from chalicelib.analytics.query import Analytics

    return Analytics(stores().stats)


def uptime_report(bot_id: int, *, now: float | None = None) -> dict[str, Any]:
    """Uptime windows and incidents of one bot (``chalicelib.uptime.report``)."""
    import time

    from chalicelib.uptime.report import uptime_report as report

    return report(stores().heartbeats, bot_id, now=time.time() if now is None else now)


def list_parked(
    *, bot_ids: Collection[int] | None = None, limit: int = 50, cursor: str | None = None
) -> dict[str, Any]:
    """Parked stream records for operators (``chalicelib.live.parked.list_parked``)."""
    from chalicelib.live.parked import list_parked as parked

    return parked(stores().parked, bot_ids=bot_ids, limit=limit, cursor=cursor)


@functools.cache
def auth() -> Auth:
    """Operator sign-in (widget, magic links) and sessions."""
    from chalicelib.auth.service import Auth, LoginBotToken

    s = settings()
    return Auth(
        stores().auth,
        operator_ids=s.operator_ids,
        secret=session_secret(),
        login_bot=LoginBotToken(stores().bots, keyring(), s.login_bot_username),
        dashboard_origin=s.dashboard_origin,
    )


def _dashboard_bot_api(token: str) -> Any:
    """A Bot API client for a dashboard request: a short 429 budget (API Gateway gives 29 s)."""
    import time

    from chalicelib.telegram.client import BotApi

    deadline = time.monotonic() + 5.0
    return BotApi(token, http=http(), base_url=settings().telegram_api_url, deadline=deadline)


@functools.cache
def bot_registry() -> BotRegistry:
    """Registers bots by token and points their webhooks at us."""
    from chalicelib.bots import BotRegistry

    s = settings()
    return BotRegistry(
        stores().bots,
        keyring(),
        _dashboard_bot_api,
        lambda bot_id: s.webhook_url(bot_id) if s.public_base_url else None,
    )


@functools.cache
def operator_api() -> OperatorApi:
    """The services behind the operator REST API (``chalicelib.dashboard_api``)."""
    from chalicelib.dashboard_api.bots import BotAdmin
    from chalicelib.dashboard_api.events import EventBrowser
    from chalicelib.dashboard_api.groups import GroupAdmin
    from chalicelib.dashboard_api.overview import Overview
    from chalicelib.dashboard_api.services import OperatorApi
    from chalicelib.uptime.report import uptime_report as report

    s = settings()

    def api_for(bot: Any) -> Any:
        return _dashboard_bot_api(keyring().decrypt(bot.token_ciphertext))

    return OperatorApi(
        stores=stores(),
        bots=BotAdmin(
            stores(),
            bot_registry(),
            keyring(),
            api_for,
            lambda bot_id: s.webhook_url(bot_id) if s.public_base_url else None,
            recorder(),
        ),
        groups=GroupAdmin(
            stores(), api_for, recorder(), on_change=lambda b, c: gate().forget_group(b, c)
        ),
        events=EventBrowser(stores().events),
        overview=Overview(stores(), analytics, report),
    )
