"""A throwaway Chalice app exercising every handler kind the local stack serves."""

from dataclasses import dataclass, field
from typing import Any

from chalice import Chalice, Rate, Response
from chalice.app import DynamoDBEvent, WebsocketEvent

STREAM_ARN = "arn:aws:dynamodb:us-east-1:123456789012:table/demo/stream/2024-01-01T00:00:00.000"


@dataclass
class Recorder:
    """What the demo app's handlers saw."""

    connects: list[dict[str, Any]] = field(default_factory=list)
    messages: list[dict[str, Any]] = field(default_factory=list)
    disconnects: list[dict[str, Any]] = field(default_factory=list)
    stream_events: list[dict[str, Any]] = field(default_factory=list)
    scheduled: list[tuple[str, dict[str, Any]]] = field(default_factory=list)


def build_app() -> tuple[Chalice, Recorder]:
    """A fresh demo app and the recorder its handlers write to."""
    app = Chalice(app_name="demo")
    app.experimental_feature_flags.update(["WEBSOCKETS"])
    seen = Recorder()

    @app.route("/health")
    def health() -> dict[str, str]:
        return {"status": "ok"}

    @app.route("/echo", methods=["POST"])
    def echo() -> dict[str, int]:
        request = app.current_request
        assert request is not None
        return {"length": len(request.raw_body)}

    @app.on_ws_connect()
    def connect(event: WebsocketEvent) -> Response | None:
        raw = event.to_dict()
        seen.connects.append(raw)
        if (raw.get("queryStringParameters") or {}).get("ticket") == "bad":
            return Response(body="", status_code=403)
        return None

    @app.on_ws_message()
    def message(event: WebsocketEvent) -> dict[str, str]:
        seen.messages.append(event.to_dict())
        reply = event.connection_id if event.body == "whoami" else f"echo:{event.body}"
        app.websocket_api.send(event.connection_id, reply)
        return {"body": "API Gateway does not send this back"}

    @app.on_ws_disconnect()
    def disconnect(event: WebsocketEvent) -> None:
        seen.disconnects.append(event.to_dict())

    @app.on_dynamodb_record(stream_arn=STREAM_ARN, batch_size=10)
    def on_record(event: DynamoDBEvent) -> None:
        seen.stream_events.append(event.to_dict())

    @app.schedule("rate(5 minutes)")
    def every_five_minutes(event: Any) -> None:
        seen.scheduled.append(("every_five_minutes", event.to_dict()))

    @app.schedule(Rate(1, unit=Rate.HOURS))
    def hourly(event: Any) -> None:
        seen.scheduled.append(("hourly", event.to_dict()))

    return app, seen
