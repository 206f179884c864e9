"""The static server and the handler discovery the local stack relies on."""

import http.client
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from infra.local.lambda_runtime import (
    FakeLambdaContext,
    schedule_sources,
    stream_sources,
    websocket_handlers,
)
from infra.local.static import StaticServer

from .demo_app import STREAM_ARN, build_app


@pytest.fixture
def static(tmp_path: Path) -> Iterator[StaticServer]:
    root = tmp_path / "dist"
    (root / "assets").mkdir(parents=True)
    (root / "index.html").write_text("<html>dashboard</html>")
    (root / "assets" / "app.js").write_text("console.log(1)")
    (tmp_path / "secret.txt").write_text("do not serve")
    server = StaticServer(root, {"apiUrl": "http://127.0.0.1:1", "wsUrl": "ws://127.0.0.1:2"})
    server.start()
    yield server
    server.stop()


def raw_get(server: StaticServer, path: str) -> int:
    connection = http.client.HTTPConnection(server.host, server.port, timeout=5)
    connection.request("GET", path)
    status = connection.getresponse().status
    connection.close()
    return status


def test_static_server_serves_files_with_content_types_and_the_generated_config(
    static: StaticServer,
) -> None:
    script = httpx.get(f"{static.url}/assets/app.js")
    index = httpx.get(f"{static.url}/")
    route = httpx.get(f"{static.url}/groups/42")
    config = httpx.get(f"{static.url}/config.json")

    assert script.headers["content-type"] == "text/javascript; charset=utf-8"
    assert index.text == route.text == "<html>dashboard</html>"
    assert config.json() == {"apiUrl": "http://127.0.0.1:1", "wsUrl": "ws://127.0.0.1:2"}


OUTSIDE_PATHS = [
    "/../secret.txt",
    "/%2e%2e/secret.txt",
    "/assets/../../secret.txt",
    "/..%2fsecret.txt",
]


@pytest.mark.parametrize("path", OUTSIDE_PATHS)
def test_static_server_never_serves_outside_its_root(static: StaticServer, path: str) -> None:
    assert raw_get(static, path) == 404


def test_handlers_are_discovered_from_the_chalice_app() -> None:
    app, _ = build_app()

    sockets = websocket_handlers(app)
    streams = stream_sources(app)
    schedules = schedule_sources(app)

    assert (sockets.connect, sockets.message, sockets.disconnect) == (
        "connect",
        "message",
        "disconnect",
    )
    assert [(s.name, s.stream_arn, s.batch_size) for s in streams] == [
        ("on_record", STREAM_ARN, 10)
    ]
    assert [(s.name, s.expression) for s in schedules] == [
        ("every_five_minutes", "rate(5 minutes)"),
        ("hourly", "rate(1 hour)"),
    ]


def test_fake_context_counts_down_to_its_deadline() -> None:
    now = [100.0]
    context = FakeLambdaContext("demo-fn", timeout_seconds=3, clock=lambda: now[0])

    now[0] += 1.25

    assert context.get_remaining_time_in_millis() == 1750
    assert context.invoked_function_arn.endswith(":function:demo-fn")
