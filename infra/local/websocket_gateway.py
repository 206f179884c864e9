"""An API Gateway-compatible websocket gateway for a Chalice app, and its ``@connections`` API.

What it does, as API Gateway (websocket API, Lambda proxy integrations) does:

* each connection gets an id like AWS's (base64, ending in ``=``, so it is percent-encoded in
  paths); ``$connect`` runs during the handshake and a non-2xx ``statusCode`` refuses it with
  HTTP 403 (500 if the handler raises);
* every message goes to ``$default`` (Chalice registers no other route, so route selection by
  ``$request.body.action`` is not modelled); binary frames arrive base64 with
  ``isBase64Encoded: true``;
* the handler's return value is *not* sent back: API Gateway only does that when a route
  response is configured, which Chalice never does. If the handler raises, the client gets
  ``{"message": "Internal server error", "connectionId": ..., "requestId": ...}`` as AWS sends;
* closing runs ``$disconnect`` after the connection is gone (posting to it then gets 410);
* ``POST/GET/DELETE /{stage}/@connections/{id}`` (see :meth:`WebsocketGateway.handle_management`)
  send to, describe and close a connection; an unknown or closed id answers 410 with
  ``x-amzn-ErrorType: GoneException``, which boto3 turns into ``GoneException``.

The ``websockets`` library only parses GET requests, so the management API is an HTTP handler
to mount on the REST server::

    rest_server.mount(gateway.management_prefix, gateway.handle_management)

and its URL is ``{rest_server.url}/{stage}``: pass that to :func:`bind_websocket_api`.
Subprotocol negotiation, idle/2-hour timeouts and frame-size limits are not modelled.
"""

from __future__ import annotations

import asyncio
import base64
import contextlib
import json
import logging
import os
import threading
import time
import uuid
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any
from urllib.parse import parse_qsl, unquote, urlsplit

import boto3
from chalice.app import Chalice
from websockets.asyncio.server import Server, ServerConnection, serve
from websockets.exceptions import ConnectionClosed
from websockets.http11 import Request, Response

from infra.local.lambda_runtime import FakeLambdaContext, websocket_handlers
from infra.local.ports import free_port, require_free_port
from infra.local.rest import HttpRequest, HttpResponse

logger = logging.getLogger(__name__)

MAX_POST_BYTES = 128 * 1024


def new_connection_id() -> str:
    """An id shaped like API Gateway's (16 characters of base64 ending in ``=``)."""
    return base64.urlsafe_b64encode(os.urandom(11)).decode("ascii")


def bind_websocket_api(app: Chalice, management_url: str, *, region: str = "us-east-1") -> None:
    """Make ``app.websocket_api`` (send/close/info) talk to the local ``@connections`` API.

    Chalice builds its client as ``session.client("apigatewaymanagementapi",
    endpoint_url="https://{apiId}.execute-api.{region}.amazonaws.com/{stage}")`` - https, and an
    explicit ``endpoint_url`` beats any ``AWS_ENDPOINT_URL_*`` variable. The one seam it offers
    is ``websocket_api.session``: this replaces it with a session whose ``client()`` forces
    ``endpoint_url=management_url`` (e.g. ``http://127.0.0.1:8001/api``), a region and dummy
    credentials for that one service and delegates every other service to the app's own session.

    It also calls ``websocket_api.configure(...)`` so an endpoint is set before any websocket
    event arrives: code outside websocket handlers (a stream handler fanning out) can send at
    once, and chalice's later ``configure_from_api_id`` is a no-op. Call it once after importing
    the app and before the app sends anything (chalice caches its client on first use); if the
    app assigns ``websocket_api.session`` itself, it must do so at import time, before this.
    """
    websocket_api = app.websocket_api
    if websocket_api is None:
        raise ValueError("this Chalice app has no websocket_api")
    inner = websocket_api.session
    if isinstance(inner, LocalManagementSession):
        inner = inner.inner
    websocket_api.session = LocalManagementSession(
        inner if inner is not None else boto3.Session(), management_url, region=region
    )
    parts = urlsplit(management_url)
    websocket_api.configure(parts.netloc, parts.path.strip("/"))
    # Chalice caches its client on first use: drop it, or a rebind would keep the old endpoint.
    websocket_api._client = None


class LocalManagementSession:
    """A boto3-session stand-in that points ``apigatewaymanagementapi`` at the local gateway."""

    SERVICE = "apigatewaymanagementapi"

    def __init__(self, inner: Any, endpoint_url: str, *, region: str) -> None:
        self.inner = inner
        self.endpoint_url = endpoint_url
        self.region_name = region

    def client(self, service_name: str, *args: Any, **kwargs: Any) -> Any:
        """Build a client; the management API one always uses the local endpoint."""
        if service_name == self.SERVICE:
            kwargs.update(
                endpoint_url=self.endpoint_url,
                region_name=self.region_name,
                aws_access_key_id="local",
                aws_secret_access_key="local",  # noqa: S106 - the local gateway checks nothing
            )
        return self.inner.client(service_name, *args, **kwargs)

    def __getattr__(self, name: str) -> Any:
        return getattr(self.inner, name)


@dataclass
class _Connection:
    connection_id: str
    socket: ServerConnection | None
    connected_at: float
    last_active_at: float
    source_ip: str
    user_agent: str
    headers: list[tuple[str, str]]
    path: str


class WebsocketGateway:
    """Serves ``app``'s websocket handlers on ``ws://host:port/`` from a background thread."""

    def __init__(
        self,
        app: Chalice,
        *,
        host: str = "127.0.0.1",
        port: int | None = None,
        stage: str = "api",
        api_id: str = "local",
        handler_timeout: float = 30.0,
    ) -> None:
        self.app = app
        self.host = host
        self.port = port if port is not None else free_port(host)
        self.stage = stage
        self.api_id = api_id
        self.handler_timeout = handler_timeout
        self._handlers = websocket_handlers(app)
        self._connections: dict[str, _Connection] = {}
        self._handshakes: dict[ServerConnection, _Connection] = {}
        self._lock = threading.Lock()
        self._executor: ThreadPoolExecutor | None = None
        self._loop: asyncio.AbstractEventLoop | None = None
        self._stop: asyncio.Event | None = None
        self._thread: threading.Thread | None = None
        self._ready = threading.Event()
        self._startup_error: BaseException | None = None

    @property
    def url(self) -> str:
        """The URL clients connect to, e.g. ``ws://127.0.0.1:8002``."""
        return f"ws://{self.host}:{self.port}"

    @property
    def management_prefix(self) -> str:
        """The path prefix to mount :meth:`handle_management` at on the REST server."""
        return f"/{self.stage}/@connections/"

    def connection_ids(self) -> list[str]:
        """Ids of the connections open right now."""
        with self._lock:
            return list(self._connections)

    # -- lifecycle ------------------------------------------------------------------------

    def start(self) -> WebsocketGateway:
        """Start the server thread and return once it listens."""
        if self._thread is not None:
            return self
        require_free_port(self.port, self.host)
        self._executor = ThreadPoolExecutor(max_workers=16, thread_name_prefix="ws-handler")
        self._ready.clear()
        self._startup_error = None
        self._thread = threading.Thread(target=self._run, name="websocket-gateway", daemon=True)
        self._thread.start()
        self._ready.wait(timeout=10)
        if self._startup_error is not None:
            self._thread.join(timeout=5)
            self._thread = None
            raise self._startup_error
        return self

    def stop(self) -> None:
        """Close every connection (running ``$disconnect``), stop serving, join the thread."""
        thread, self._thread = self._thread, None
        if thread is None:
            return
        if self._loop is not None and self._stop is not None:
            self._loop.call_soon_threadsafe(self._stop.set)
        thread.join(timeout=15)
        if self._executor is not None:
            self._executor.shutdown(wait=True)
            self._executor = None

    def _run(self) -> None:
        loop = asyncio.new_event_loop()
        self._loop = loop
        try:
            loop.run_until_complete(self._serve())
        except BaseException as exc:  # surfaced to start()
            self._startup_error = exc
            self._ready.set()
        finally:
            loop.close()

    async def _serve(self) -> None:
        self._stop = asyncio.Event()
        server: Server = await serve(
            self._handle_connection,
            self.host,
            self.port,
            process_request=self._process_request,
            close_timeout=2,
            max_size=MAX_POST_BYTES,
        )
        self._ready.set()
        await self._stop.wait()
        server.close(close_connections=True)
        await server.wait_closed()

    # -- websocket side -------------------------------------------------------------------

    async def _process_request(self, socket: ServerConnection, request: Request) -> Response | None:
        if request.headers.get("Upgrade", "").lower() != "websocket":
            return None  # websockets answers 426 itself
        connection = self._new_connection(socket, request)
        if self._handlers.connect is not None:
            event = self._event(connection, "$connect", "CONNECT")
            event.update(_request_parts(connection))
            try:
                result = await self._invoke(self._handlers.connect, event)
            except Exception:
                logger.exception("$connect handler failed for %s", connection.connection_id)
                return socket.respond(500, '{"message": "Internal server error"}')
            status = int(result.get("statusCode", 200)) if isinstance(result, dict) else 200
            if not 200 <= status < 300:
                return socket.respond(403, '{"message": "Forbidden"}')
        self._handshakes[socket] = connection
        return None

    async def _handle_connection(self, socket: ServerConnection) -> None:
        connection = self._handshakes.pop(socket)
        connection.socket = socket
        with self._lock:
            self._connections[connection.connection_id] = connection
        try:
            async for message in socket:
                connection.last_active_at = time.time()
                await self._on_message(connection, message)
        except ConnectionClosed:
            pass
        finally:
            with self._lock:
                self._connections.pop(connection.connection_id, None)
            await self._on_disconnect(connection, socket)

    async def _on_message(self, connection: _Connection, message: str | bytes) -> None:
        if self._handlers.message is None:
            return
        event = self._event(connection, "$default", "MESSAGE")
        event["requestContext"]["messageId"] = base64.urlsafe_b64encode(os.urandom(9)).decode()
        if isinstance(message, bytes):
            event.update(body=base64.b64encode(message).decode("ascii"), isBase64Encoded=True)
        else:
            event.update(body=message, isBase64Encoded=False)
        try:
            await self._invoke(self._handlers.message, event)
        except Exception:
            logger.exception("$default handler failed for %s", connection.connection_id)
            error = {
                "message": "Internal server error",
                "connectionId": connection.connection_id,
                "requestId": event["requestContext"]["requestId"],
            }
            if connection.socket is not None:
                with contextlib.suppress(ConnectionClosed):
                    await connection.socket.send(json.dumps(error))

    async def _on_disconnect(self, connection: _Connection, socket: ServerConnection) -> None:
        if self._handlers.disconnect is None:
            return
        event = self._event(connection, "$disconnect", "DISCONNECT")
        event.update(_request_parts(connection))
        event["requestContext"]["disconnectStatusCode"] = socket.close_code or 1006
        event["requestContext"]["disconnectReason"] = socket.close_reason or ""
        try:
            await self._invoke(self._handlers.disconnect, event)
        except Exception:
            logger.exception("$disconnect handler failed for %s", connection.connection_id)

    async def _invoke(self, name: str, event: dict[str, Any]) -> Any:
        context = FakeLambdaContext(
            f"{self.app.app_name}-local-websocket_handler", timeout_seconds=self.handler_timeout
        )
        loop = asyncio.get_running_loop()
        assert self._executor is not None
        # Handlers are synchronous and may call websocket_api.send, which comes back to this
        # loop through the management API: they must never run on the loop's thread.
        return await loop.run_in_executor(
            self._executor, self.app.handler_map[name], event, context
        )

    def _new_connection(self, socket: ServerConnection, request: Request) -> _Connection:
        remote = socket.remote_address
        now = time.time()
        return _Connection(
            connection_id=new_connection_id(),
            socket=None,
            connected_at=now,
            last_active_at=now,
            source_ip=str(remote[0]) if remote else "127.0.0.1",
            user_agent=request.headers.get("User-Agent", ""),
            headers=list(request.headers.raw_items()),
            path=request.path,
        )

    def _event(self, connection: _Connection, route_key: str, event_type: str) -> dict[str, Any]:
        now = time.time()
        request_id = base64.urlsafe_b64encode(os.urandom(6)).decode("ascii") + "="
        return {
            "requestContext": {
                "routeKey": route_key,
                "eventType": event_type,
                "extendedRequestId": request_id,
                "requestTime": datetime.fromtimestamp(now, UTC).strftime("%d/%b/%Y:%H:%M:%S +0000"),
                "messageDirection": "IN",
                "stage": self.stage,
                "connectedAt": int(connection.connected_at * 1000),
                "requestTimeEpoch": int(now * 1000),
                "identity": {"sourceIp": connection.source_ip, "userAgent": connection.user_agent},
                "requestId": request_id,
                "domainName": f"{self.host}:{self.port}",
                "connectionId": connection.connection_id,
                "apiId": self.api_id,
            },
            "isBase64Encoded": False,
        }

    # -- @connections management API (runs on the REST server's threads) -----------------

    def handle_management(self, request: HttpRequest) -> HttpResponse:
        """Serve ``POST|GET|DELETE /{stage}/@connections/{connectionId}``."""
        path = urlsplit(request.path).path
        if not path.startswith(self.management_prefix):
            return _error(403, "ForbiddenException", "Forbidden")
        connection_id = unquote(path[len(self.management_prefix) :])
        with self._lock:
            connection = self._connections.get(connection_id)
        if connection is None or connection.socket is None or self._loop is None:
            return _gone(connection_id)
        if request.method == "GET":
            return _json(200, _describe(connection))
        if request.method == "POST":
            if len(request.body) > MAX_POST_BYTES:
                return _error(413, "PayloadTooLargeException", "Message too long")
            return self._post(connection, request.body)
        if request.method == "DELETE":
            with self._lock:
                self._connections.pop(connection_id, None)
            asyncio.run_coroutine_threadsafe(connection.socket.close(1000), self._loop)
            return HttpResponse(204, {"x-amzn-RequestId": str(uuid.uuid4())})
        return _error(403, "ForbiddenException", "Forbidden")

    def _post(self, connection: _Connection, data: bytes) -> HttpResponse:
        assert connection.socket is not None and self._loop is not None
        payload: str | bytes
        try:
            payload = data.decode("utf-8")  # API Gateway delivers text frames
        except UnicodeDecodeError:
            payload = data
        future = asyncio.run_coroutine_threadsafe(connection.socket.send(payload), self._loop)
        try:
            future.result(timeout=10)
        except ConnectionClosed:
            return _gone(connection.connection_id)
        connection.last_active_at = time.time()
        return HttpResponse(200, {"x-amzn-RequestId": str(uuid.uuid4())})


def _request_parts(connection: _Connection) -> dict[str, Any]:
    """Headers and query string as API Gateway puts them in CONNECT/DISCONNECT events."""
    headers: dict[str, str] = {}
    multi_headers: dict[str, list[str]] = {}
    for name, value in connection.headers:
        headers[name] = value
        multi_headers.setdefault(name, []).append(value)
    parts: dict[str, Any] = {"headers": headers, "multiValueHeaders": multi_headers}
    query = parse_qsl(urlsplit(connection.path).query, keep_blank_values=True)
    if query:
        multi_query: dict[str, list[str]] = {}
        for name, value in query:
            multi_query.setdefault(name, []).append(value)
        parts["queryStringParameters"] = {name: values[-1] for name, values in multi_query.items()}
        parts["multiValueQueryStringParameters"] = multi_query
    return parts


def _describe(connection: _Connection) -> dict[str, Any]:
    return {
        "connectedAt": _iso(connection.connected_at),
        "identity": {"sourceIp": connection.source_ip, "userAgent": connection.user_agent},
        "lastActiveAt": _iso(connection.last_active_at),
    }


def _iso(epoch: float) -> str:
    return (
        datetime.fromtimestamp(epoch, UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")
    )


def _gone(connection_id: str) -> HttpResponse:
    return _error(410, "GoneException", f"Connection {connection_id} is gone")


def _error(status: int, error_type: str, message: str) -> HttpResponse:
    response = _json(status, {"message": message})
    response.headers["x-amzn-ErrorType"] = error_type
    return response


def _json(status: int, body: dict[str, Any]) -> HttpResponse:
    return HttpResponse(
        status,
        {"Content-Type": "application/json", "x-amzn-RequestId": str(uuid.uuid4())},
        json.dumps(body).encode(),
    )
