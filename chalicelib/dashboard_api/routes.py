"""The ``/api/`` routes (a Chalice blueprint). Each handler takes its parsed input from a
``Call`` and calls one service; ``route`` does auth, parsing, errors, CORS and records the
operation for the OpenAPI document."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from chalice import Blueprint, Response
from pydantic import BaseModel

from chalicelib import container
from chalicelib.dashboard_api import edge
from chalicelib.dashboard_api import schemas as s
from chalicelib.dashboard_api.scope import Scope
from chalicelib.errors import NezukoError
from chalicelib.observability import logger

if TYPE_CHECKING:
    from chalicelib.auth.sessions import Session
    from chalicelib.dashboard_api.events import CsvExport

bp = Blueprint(__name__)


@dataclass(frozen=True)
class Operation:
    """One route as the OpenAPI document describes it."""

    method: str
    path: str
    name: str
    summary: str
    tag: str
    body: type[BaseModel] | None = None
    query: type[BaseModel] | None = None
    response: type[BaseModel] | None = None
    status: int = 200
    public: bool = False
    produces: str = "application/json"


OPERATIONS: list[Operation] = []
_METHODS: dict[str, list[str]] = {}


@dataclass
class Call:
    """What a handler gets: the session, path ids, and the validated body and query."""

    session: Session | None
    ids: dict[str, int] = field(default_factory=dict)
    body: Any = None
    query: Any = None
    ip: str = "unknown"

    @property
    def operator_id(self) -> int:
        """The signed-in operator."""
        assert self.session is not None  # only public routes run without one
        return self.session.operator_id

    @property
    def scope(self) -> Scope:
        """What the operator may see."""
        return container.operator_api().scope(self.operator_id)


Handler = Callable[[Call], Any]


def route(
    method: str,
    path: str,
    summary: str,
    *,
    tag: str,
    body: type[BaseModel] | None = None,
    query: type[BaseModel] | None = None,
    response: type[BaseModel] | None = None,
    status: int = 200,
    public: bool = False,
    produces: str = "application/json",
) -> Callable[[Handler], Handler]:
    """Register ``handler`` at ``method path`` with the edge concerns wrapped around it."""

    def decorate(handler: Handler) -> Handler:
        op = Operation(
            method,
            path,
            handler.__name__,
            summary,
            tag,
            body,
            query,
            response,
            status,
            public,
            produces,
        )
        OPERATIONS.append(op)

        def view(**params: str) -> Response:
            return _dispatch(op, handler, params)

        view.__name__ = f"api_{handler.__name__}"
        # "*/*": a wrong content type is answered by us, in our error shape, not by Chalice.
        bp.route(path, methods=[method], content_types=["*/*"], name=view.__name__)(view)
        if path not in _METHODS:
            _METHODS[path] = []
            _register_preflight(path, len(_METHODS))
        _METHODS[path].append(method)
        return handler

    return decorate


def _register_preflight(path: str, n: int) -> None:
    def preflight(**params: str) -> Response:
        request = bp.current_request
        methods = ", ".join([*_METHODS[path], "OPTIONS"])
        try:
            origin = container.settings().dashboard_origin
        except NezukoError:
            origin = ""
        headers: dict[str, str | list[str]] = {
            **edge.preflight_headers(origin, request.headers.get("origin"), methods)
        }
        return Response(body="", status_code=204 if headers else 403, headers={**headers})

    preflight.__name__ = f"api_preflight_{n}"
    bp.route(path, methods=["OPTIONS"], content_types=["*/*"], name=preflight.__name__)(preflight)


def _dispatch(op: Operation, handler: Handler, params: dict[str, str]) -> Response:
    request = bp.current_request
    try:
        session = None
        if not op.public:
            session = container.auth().authenticate(request.headers.get("authorization"))
            logger.append_keys(operator_id=session.operator_id)
        call = Call(
            session=session,
            ids={name: edge.path_int(value, name) for name, value in params.items()},
            ip=edge.client_ip(request.context),
        )
        if op.query is not None:
            call.query = edge.parse_query(request.query_params, op.query)
        if op.body is not None:
            call.body = edge.parse_body(request.raw_body, op.body)
        response = _respond(op, handler(call))
    except NezukoError as exc:
        response = edge.error_response(exc)
    except Exception:
        logger.exception("unhandled error in the operator API", extra={"route": op.name})
        response = edge.error_response(edge.Internal("internal error"))
    try:
        origin = container.settings().dashboard_origin
    except NezukoError:
        origin = ""
    response.headers.update(edge.cors_headers(origin, request.headers.get("origin")))
    return response


def _respond(op: Operation, result: Any) -> Response:
    if isinstance(result, Response):
        return result
    if result is None:
        return Response(body="", status_code=204, headers={"Cache-Control": "no-store"})
    if isinstance(result, BaseModel):
        result = result.model_dump(mode="json")
    return edge.json_response(result, status=op.status)


# ----- documentation -----------------------------------------------------------------


@route("GET", "/api/openapi.json", "This document", tag="meta", public=True)
def openapi(call: Call) -> Response:
    from chalicelib.dashboard_api.openapi import document

    return Response(body=document(OPERATIONS), headers={"Content-Type": "application/json"})


# ----- sign-in -----------------------------------------------------------------------


@route(
    "POST",
    "/api/auth/widget",
    "Sign in with the Telegram Login Widget's answer",
    tag="auth",
    body=s.WidgetLogin,
    response=s.SessionOut,
    public=True,
)
def sign_in_widget(call: Call) -> s.SessionOut:
    payload = call.body.model_dump(exclude_unset=True)
    session = container.auth().sign_in_widget(payload, ip=call.ip)
    return _session_out(session)


@route(
    "POST",
    "/api/auth/magic",
    "Sign in with the code of a /login magic link",
    tag="auth",
    body=s.MagicLogin,
    response=s.SessionOut,
    public=True,
)
def sign_in_magic(call: Call) -> s.SessionOut:
    return _session_out(container.auth().sign_in_magic(call.body.code, ip=call.ip))


@route("POST", "/api/auth/logout", "Sign out (revokes the session)", tag="auth", status=204)
def logout(call: Call) -> None:
    assert call.session is not None
    container.auth().logout(call.session)


@route("GET", "/api/me", "The signed-in operator", tag="auth", response=s.MeOut)
def me(call: Call) -> s.MeOut:
    assert call.session is not None
    settings = container.settings()
    return s.MeOut(
        operator_id=call.operator_id,
        session_expires_at=call.session.expires_at,
        bots=len(call.scope.bots(include_removed=False)),
        login_bot_username=settings.login_bot_username,
        websocket_url=settings.websocket_url,
    )


@route(
    "POST",
    "/api/live/ticket",
    "A single-use websocket ticket (60 s)",
    tag="auth",
    response=s.TicketOut,
)
def live_ticket(call: Call) -> s.TicketOut:
    from chalicelib.live.connections import TICKET_TTL

    ticket = container.live().issue_ticket(call.operator_id)
    return s.TicketOut(
        ticket=ticket, expires_in=TICKET_TTL, websocket_url=container.settings().websocket_url
    )


def _session_out(session: Session) -> s.SessionOut:
    return s.SessionOut(
        token=session.token, operator_id=session.operator_id, expires_at=session.expires_at
    )


# ----- bots --------------------------------------------------------------------------


@route("GET", "/api/bots", "Your bots", tag="bots", query=s.BotListQuery, response=s.BotListOut)
def list_bots(call: Call) -> s.BotListOut:
    return container.operator_api().bots.list(call.scope, call.query)


@route(
    "POST",
    "/api/bots",
    "Add a bot by token (getMe, encrypt, setWebhook)",
    tag="bots",
    body=s.BotAdd,
    response=s.BotOut,
    status=201,
)
def add_bot(call: Call) -> s.BotOut:
    return container.operator_api().bots.add(call.scope, call.body.token)


@route(
    "GET", "/api/bots/{bot_id}", "One bot with webhook health", tag="bots", response=s.BotDetailOut
)
def get_bot(call: Call) -> s.BotDetailOut:
    return container.operator_api().bots.get(call.scope, call.ids["bot_id"])


@route("POST", "/api/bots/{bot_id}/pause", "Pause a bot", tag="bots", response=s.BotOut)
def pause_bot(call: Call) -> s.BotOut:
    return container.operator_api().bots.set_paused(call.scope, call.ids["bot_id"], paused=True)


@route("POST", "/api/bots/{bot_id}/resume", "Resume a bot", tag="bots", response=s.BotOut)
def resume_bot(call: Call) -> s.BotOut:
    return container.operator_api().bots.set_paused(call.scope, call.ids["bot_id"], paused=False)


@route(
    "POST",
    "/api/bots/{bot_id}/rotate-secret",
    "New webhook secret (setWebhook)",
    tag="bots",
    response=s.BotOut,
)
def rotate_secret(call: Call) -> s.BotOut:
    return container.operator_api().bots.rotate_secret(call.scope, call.ids["bot_id"])


@route(
    "DELETE",
    "/api/bots/{bot_id}",
    "Remove a bot (deleteWebhook; history kept)",
    tag="bots",
    response=s.BotOut,
)
def remove_bot(call: Call) -> s.BotOut:
    return container.operator_api().bots.remove(call.scope, call.ids["bot_id"])


@route(
    "GET",
    "/api/bots/{bot_id}/uptime",
    "Uptime windows and incidents",
    tag="uptime",
    response=s.UptimeOut,
)
def bot_uptime(call: Call) -> s.UptimeOut:
    return container.operator_api().overview.uptime(call.scope, call.ids["bot_id"])


# ----- groups and channels -----------------------------------------------------------


@route(
    "GET",
    "/api/groups",
    "Groups of your bots",
    tag="groups",
    query=s.GroupListQuery,
    response=s.GroupListOut,
)
def list_groups(call: Call) -> s.GroupListOut:
    return container.operator_api().groups.list(call.scope, call.query)


@route(
    "GET",
    "/api/bots/{bot_id}/groups/{chat_id}",
    "One group: settings, channels, ledger counts",
    tag="groups",
    response=s.GroupDetailOut,
)
def get_group(call: Call) -> s.GroupDetailOut:
    return container.operator_api().groups.get(call.scope, call.ids["bot_id"], call.ids["chat_id"])


@route(
    "PATCH",
    "/api/bots/{bot_id}/groups/{chat_id}/settings",
    "Change group settings (audited)",
    tag="groups",
    body=s.SettingsUpdate,
    response=s.GroupDetailOut,
)
def update_settings(call: Call) -> s.GroupDetailOut:
    return container.operator_api().groups.update_settings(
        call.scope, call.ids["bot_id"], call.ids["chat_id"], call.body.settings
    )


@route(
    "POST",
    "/api/bots/{bot_id}/groups/{chat_id}/enable",
    "Turn enforcement on",
    tag="groups",
    response=s.GroupDetailOut,
)
def enable_group(call: Call) -> s.GroupDetailOut:
    return container.operator_api().groups.set_enabled(
        call.scope, call.ids["bot_id"], call.ids["chat_id"], enabled=True
    )


@route(
    "POST",
    "/api/bots/{bot_id}/groups/{chat_id}/disable",
    "Turn enforcement off",
    tag="groups",
    response=s.GroupDetailOut,
)
def disable_group(call: Call) -> s.GroupDetailOut:
    return container.operator_api().groups.set_enabled(
        call.scope, call.ids["bot_id"], call.ids["chat_id"], enabled=False
    )


@route(
    "POST",
    "/api/bots/{bot_id}/groups/{chat_id}/channels",
    "Require a channel (the bot must be its admin)",
    tag="groups",
    body=s.ChannelAdd,
    response=s.GroupDetailOut,
)
def add_channel(call: Call) -> s.GroupDetailOut:
    return container.operator_api().groups.add_channel(
        call.scope, call.ids["bot_id"], call.ids["chat_id"], call.body.channel
    )


@route(
    "DELETE",
    "/api/bots/{bot_id}/groups/{chat_id}/channels/{channel_id}",
    "Stop requiring a channel",
    tag="groups",
    response=s.GroupDetailOut,
)
def remove_channel(call: Call) -> s.GroupDetailOut:
    return container.operator_api().groups.remove_channel(
        call.scope, call.ids["bot_id"], call.ids["chat_id"], call.ids["channel_id"]
    )


@route(
    "GET",
    "/api/channels",
    "Required channels with their groups",
    tag="groups",
    query=s.ChannelListQuery,
    response=s.ChannelListOut,
)
def list_channels(call: Call) -> s.ChannelListOut:
    return container.operator_api().groups.channels(call.scope, call.query)


# ----- overview, analytics, events, audit --------------------------------------------


@route("GET", "/api/overview", "Overview numbers", tag="stats", response=s.OverviewOut)
def overview(call: Call) -> s.OverviewOut:
    return container.operator_api().overview.overview(call.scope)


@route(
    "GET",
    "/api/analytics",
    "Series for 24h/7d/30d/90d",
    tag="stats",
    query=s.AnalyticsQuery,
    response=s.AnalyticsOut,
)
def analytics(call: Call) -> s.AnalyticsOut:
    return container.operator_api().overview.analytics(call.scope, call.query)


@route(
    "GET",
    "/api/events",
    "Events explorer",
    tag="events",
    query=s.EventsQuery,
    response=s.EventPageOut,
)
def list_events(call: Call) -> s.EventPageOut:
    return container.operator_api().events.page(call.scope, call.query)


@route(
    "GET",
    "/api/events/export",
    "Events as CSV (up to `pages` pages; X-Next-Cursor continues)",
    tag="events",
    query=s.ExportQuery,
    produces="text/csv",
)
def export_events(call: Call) -> Response:
    return _csv(container.operator_api().events.export(call.scope, call.query), "events")


@route(
    "GET", "/api/audit", "Admin actions", tag="events", query=s.EventsQuery, response=s.EventPageOut
)
def audit_log(call: Call) -> s.EventPageOut:
    return container.operator_api().events.page(call.scope, call.query, audit=True)


@route(
    "GET",
    "/api/audit/export",
    "Admin actions as CSV",
    tag="events",
    query=s.ExportQuery,
    produces="text/csv",
)
def export_audit(call: Call) -> Response:
    return _csv(container.operator_api().events.export(call.scope, call.query, audit=True), "audit")


def _csv(export: CsvExport, name: str) -> Response:
    headers: dict[str, str | list[str]] = {
        "Content-Type": "text/csv; charset=utf-8",
        "Content-Disposition": f'attachment; filename="nezuko-{name}.csv"',
        "Cache-Control": "no-store",
        "X-Rows": str(export.rows),
    }
    if export.next_cursor:
        headers["X-Next-Cursor"] = export.next_cursor
    return Response(body=export.body, status_code=200, headers=headers)
