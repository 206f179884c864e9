"""Nezuko's routing table: each handler takes its input from the request or event and
calls one function in ``chalicelib``. Everything heavy is built lazily by
``chalicelib.container`` on first use, so importing this module is cheap."""

from __future__ import annotations

import os
from typing import Any

from chalice import Chalice, Rate, Response, WebsocketDisconnectedError
from chalice.app import DynamoDBEvent, WebsocketEvent

from chalicelib import container, edges
from chalicelib.dashboard_api.routes import bp as operator_api
from chalicelib.errors import NezukoError, TransientError

app = Chalice(app_name="nezuko")
app.experimental_feature_flags.update(["WEBSOCKETS"])
app.register_blueprint(operator_api)

# Chalice needs the stream ARN when it imports this module (deploy fills it in from the
# infra stack's outputs through .chalice/config.json); the placeholder keeps imports working.
EVENTS_STREAM_ARN = os.environ.get(
    "NEZUKO_EVENTS_STREAM_ARN",
    "arn:aws:dynamodb:us-east-1:000000000000:table/nezuko-dev-events/stream/1970-01-01T00:00:00.000",
)


@app.middleware("all")
def observability(event: Any, get_response: Any) -> Any:
    """Correlation keys per invocation and EMF metrics flushed after every one."""
    edges.begin_invocation(getattr(event, "context", None) or app.lambda_context)
    try:
        return get_response(event)
    finally:
        edges.end_invocation()


@app.route("/health", methods=["GET"], cors=True)
def health() -> dict[str, str]:
    """Liveness probe."""
    return {"status": "ok", "service": "nezuko"}


@app.route(
    "/telegram/{bot_id}",
    methods=["POST"],
    content_types=["application/json", "application/json; charset=utf-8", "text/plain"],
)
def telegram_webhook(bot_id: str) -> Response:
    """Telegram's webhook delivery for one bot."""
    request = app.current_request
    assert request is not None
    body = request.raw_body
    try:
        result = container.webhook().handle(
            bot_id,
            dict(request.headers),
            body.encode() if isinstance(body, str) else body,
            lambda_context=app.lambda_context,
        )
    except TransientError as exc:
        return Response(body=edges.error_body(exc), status_code=503)
    except NezukoError as exc:
        return Response(body=edges.error_body(exc), status_code=503)
    return Response(body=result.body, status_code=result.status)


@app.schedule(Rate(1, unit=Rate.MINUTES))
def janitor(event: Any) -> dict[str, int]:
    """Due notice deletions and other scheduled jobs."""
    return container.janitor().run()


@app.on_ws_connect()
def ws_connect(event: WebsocketEvent) -> Response | None:
    """Dashboard websocket: accept only with a valid single-use ticket."""
    query = event.to_dict().get("queryStringParameters") or {}
    try:
        container.live().connect(event.connection_id, query)
    except NezukoError as exc:
        return Response(body=edges.error_body(exc), status_code=exc.http_status)
    return None


@app.on_ws_message()
def ws_message(event: WebsocketEvent) -> None:
    """Client commands (ping, subscribe, unsubscribe); the reply goes back on the socket."""
    binary = bool(event.to_dict().get("isBase64Encoded"))
    reply = container.live().message(event.connection_id, event.body, binary=binary)
    _send(event.connection_id, reply)


@app.on_ws_disconnect()
def ws_disconnect(event: WebsocketEvent) -> None:
    """Forget the connection."""
    container.live().disconnect(event.connection_id)


@app.on_dynamodb_record(stream_arn=EVENTS_STREAM_ARN, batch_size=100, starting_position="LATEST")
def on_events(event: DynamoDBEvent) -> dict[str, Any]:
    """Events stream → aggregates (exactly once) and live fan-out; partial batch failures."""
    _configure_websocket()
    return container.event_stream(_send_raw).handle(event.to_dict(), event.context)


@app.schedule(Rate(1, unit=Rate.MINUTES))
def heartbeat(event: Any) -> dict[str, int]:
    """Bot health each minute (its own function: it and the janitor never starve each other)."""
    return container.heartbeat().run()


def _configure_websocket() -> None:
    url = container.settings().websocket_management_url
    if url and not getattr(app.websocket_api, "_endpoint", None):
        domain, stage = edges.websocket_endpoint(url)
        app.websocket_api.configure(domain, stage)


def _send(connection_id: str, message: dict[str, Any]) -> None:
    import json

    try:
        _send_raw(connection_id, json.dumps(message, separators=(",", ":")))
    except Exception:  # the client left while we answered: nothing to do
        return


def _send_raw(connection_id: str, message: str) -> None:
    from chalicelib.live.fanout import ConnectionGone

    if app.websocket_api.session is None:
        import boto3  # deferred: only the handlers that push to websockets need it

        app.websocket_api.session = boto3.session.Session()
    try:
        app.websocket_api.send(connection_id, message)
    except WebsocketDisconnectedError as exc:
        raise ConnectionGone(connection_id) from exc
