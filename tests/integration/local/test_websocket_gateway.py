"""The websocket gateway behaves like API Gateway for the app's websocket handlers."""

import json
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import boto3
import httpx
import pytest
from chalice import Chalice, WebsocketDisconnectedError
from chalice.app import DynamoDBEvent
from websockets.exceptions import ConnectionClosedOK, InvalidStatus
from websockets.sync.client import ClientConnection, connect

from infra.local.lambda_runtime import invoke
from infra.local.rest import RestServer
from infra.local.websocket_gateway import WebsocketGateway, bind_websocket_api

from .demo_app import STREAM_ARN, Recorder, build_app
from .waiting import eventually


@dataclass
class Stack:
    rest: RestServer
    gateway: WebsocketGateway
    seen: Recorder

    @property
    def management_url(self) -> str:
        return f"{self.rest.url}/{self.gateway.stage}"


@pytest.fixture(scope="module")
def stack() -> Iterator[Stack]:
    app, seen = build_app()
    rest = RestServer(app, max_body_bytes=1024)
    gateway = WebsocketGateway(app, stage="api")
    rest.mount(gateway.management_prefix, gateway.handle_management)
    bind_websocket_api(app, f"{rest.url}/{gateway.stage}")
    rest.start()
    gateway.start()
    yield Stack(rest, gateway, seen)
    gateway.stop()
    rest.stop()


def recv_text(client: ClientConnection) -> str:
    """The next message, which must be a text frame."""
    message = client.recv(timeout=5)
    assert isinstance(message, str)
    return message


def management_client(stack: Stack) -> object:
    return boto3.client(
        "apigatewaymanagementapi",
        endpoint_url=stack.management_url,
        region_name="us-east-1",
        aws_access_key_id="x",
        aws_secret_access_key="x",
    )


def test_message_is_echoed_back_through_the_apps_websocket_api_send(stack: Stack) -> None:
    with connect(stack.gateway.url) as client:
        client.send("hello")
        reply = recv_text(client)

    assert reply == "echo:hello"


def test_handler_return_value_is_not_sent_back_to_the_client(stack: Stack) -> None:
    with connect(stack.gateway.url) as client:
        client.send("one")
        client.send("two")
        replies = [recv_text(client), recv_text(client)]

    assert replies == ["echo:one", "echo:two"]


def test_connect_event_has_api_gateway_shape_and_query_string(stack: Stack) -> None:
    with connect(f"{stack.gateway.url}/?ticket=good&x=1&x=2") as client:
        client.send("whoami")
        connection_id = recv_text(client)

    event = next(
        e for e in stack.seen.connects if e["requestContext"]["connectionId"] == connection_id
    )
    context = event["requestContext"]
    assert connection_id.endswith("=")
    assert (context["routeKey"], context["eventType"], context["stage"]) == (
        "$connect",
        "CONNECT",
        "api",
    )
    assert context["identity"]["sourceIp"] == "127.0.0.1"
    assert isinstance(context["connectedAt"], int)
    assert event["queryStringParameters"] == {"ticket": "good", "x": "2"}
    assert event["multiValueQueryStringParameters"]["x"] == ["1", "2"]
    assert "Sec-WebSocket-Key" in event["headers"]
    message = next(
        e for e in stack.seen.messages if e["requestContext"]["connectionId"] == connection_id
    )
    assert message["requestContext"]["eventType"] == "MESSAGE"
    assert message["body"] == "whoami"
    assert message["isBase64Encoded"] is False


def test_connect_handler_returning_403_refuses_the_handshake(stack: Stack) -> None:
    with pytest.raises(InvalidStatus) as refused:
        connect(f"{stack.gateway.url}/?ticket=bad")

    assert refused.value.response.status_code == 403
    refused_event = stack.seen.connects[-1]
    assert refused_event["queryStringParameters"] == {"ticket": "bad"}
    assert refused_event["requestContext"]["connectionId"] not in stack.gateway.connection_ids()


def test_disconnect_handler_runs_when_the_client_closes(stack: Stack) -> None:
    with connect(stack.gateway.url) as client:
        client.send("whoami")
        connection_id = recv_text(client)

    eventually(
        lambda: any(
            e["requestContext"]["connectionId"] == connection_id for e in stack.seen.disconnects
        )
    )
    event = next(
        e for e in stack.seen.disconnects if e["requestContext"]["connectionId"] == connection_id
    )
    assert event["requestContext"]["eventType"] == "DISCONNECT"
    assert event["requestContext"]["disconnectStatusCode"] == 1000


def test_post_to_a_closed_connection_raises_gone_exception_in_boto3(stack: Stack) -> None:
    with connect(stack.gateway.url) as client:
        client.send("whoami")
        connection_id = recv_text(client)
    eventually(lambda: connection_id not in stack.gateway.connection_ids())
    api = management_client(stack)

    with pytest.raises(api.exceptions.GoneException):  # type: ignore[attr-defined]
        api.post_to_connection(ConnectionId=connection_id, Data=b"late")  # type: ignore[attr-defined]


def test_boto3_can_post_describe_and_delete_an_open_connection(stack: Stack) -> None:
    api = management_client(stack)
    with connect(stack.gateway.url, user_agent_header="demo-agent") as client:
        client.send("whoami")
        connection_id = recv_text(client)

        api.post_to_connection(ConnectionId=connection_id, Data=b'{"n": 1}')  # type: ignore[attr-defined]
        pushed = recv_text(client)
        described = api.get_connection(ConnectionId=connection_id)  # type: ignore[attr-defined]
        api.delete_connection(ConnectionId=connection_id)  # type: ignore[attr-defined]
        with pytest.raises(ConnectionClosedOK):
            client.recv(timeout=5)

    assert json.loads(pushed) == {"n": 1}
    assert described["Identity"] == {"SourceIp": "127.0.0.1", "UserAgent": "demo-agent"}
    assert described["ConnectedAt"] <= described["LastActiveAt"]
    assert connection_id not in stack.gateway.connection_ids()


def test_rest_routes_are_served_by_chalices_local_gateway(stack: Stack) -> None:
    response = httpx.get(f"{stack.rest.url}/health")
    missing = httpx.get(f"{stack.rest.url}/nope")

    assert (response.status_code, response.json()) == (200, {"status": "ok"})
    assert missing.status_code == 403  # API Gateway's "Missing Authentication Token"


def test_body_over_the_size_cap_gets_413_without_reaching_the_app(stack: Stack) -> None:
    small = httpx.post(f"{stack.rest.url}/echo", content=b"x" * 10)
    huge = httpx.post(f"{stack.rest.url}/echo", content=b"x" * 5000)

    assert small.json() == {"length": 10}
    assert huge.status_code == 413


def test_code_outside_websocket_events_can_send_once_the_api_is_bound() -> None:
    app = Chalice(app_name="fanout")
    app.experimental_feature_flags.update(["WEBSOCKETS"])

    @app.on_dynamodb_record(stream_arn=STREAM_ARN)
    def fan_out(event: DynamoDBEvent) -> None:
        for record in event:
            app.websocket_api.send(record.new_image["connectionId"]["S"], "fanned out")

    rest = RestServer(app)
    gateway = WebsocketGateway(app, stage="dev")  # no websocket handlers: nothing configures
    rest.mount(gateway.management_prefix, gateway.handle_management)
    bind_websocket_api(app, f"{rest.url}/dev")
    rest.start()
    gateway.start()
    try:
        with connect(gateway.url) as client:
            eventually(lambda: len(gateway.connection_ids()) == 1)
            connection_id = gateway.connection_ids()[0]
            invoke(app, "fan_out", stream_event(connection_id))
            delivered = recv_text(client)
        eventually(lambda: gateway.connection_ids() == [])
        with pytest.raises(WebsocketDisconnectedError):
            app.websocket_api.send(connection_id, "too late")
    finally:
        gateway.stop()
        rest.stop()

    assert delivered == "fanned out"


def stream_event(connection_id: str) -> dict[str, Any]:
    image = {"pk": {"S": "c"}, "connectionId": {"S": connection_id}}
    record = {
        "eventID": "1",
        "eventName": "INSERT",
        "eventVersion": "1.1",
        "eventSource": "aws:dynamodb",
        "awsRegion": "us-east-1",
        "dynamodb": {
            "ApproximateCreationDateTime": 1700000000,
            "Keys": {"pk": {"S": "c"}},
            "NewImage": image,
            "SequenceNumber": "1",
            "SizeBytes": 10,
            "StreamViewType": "NEW_IMAGE",
        },
        "eventSourceARN": STREAM_ARN,
    }
    return {"Records": [record]}
