"""The whole system on one machine: DynamoDB Local, tables, the Telegram sandbox, the Chalice app
(REST, websocket gateway, stream pump, scheduler), the dashboard and the demo world.

:class:`LocalStack` starts the pieces in order, timing each step, and stops whatever it started
in reverse order — after a failure half-way too, so nothing is left running. Every check that
can fail cheaply (data directory, ports, Java) runs before anything starts.
"""

from __future__ import annotations

import importlib
import json
import logging
import os
import sys
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from infra.local.errors import LocalStackError
from infra.local.ports import require_free_port
from infra.local.rest import HttpRequest, HttpResponse
from infra.local.settings import (
    HOST,
    REGION,
    STAGE,
    TABLE_PREFIX,
    WEBSOCKET_STAGE,
    LocalSecrets,
    LocalSettings,
    app_environment,
    apply_environment,
)
from infra.local.stream_pump import StreamPump

logger = logging.getLogger(__name__)

LOCAL_PREFIX = "/_local/"


@dataclass
class Step:
    """One timed start-up step."""

    name: str
    seconds: float
    detail: str = ""


@dataclass
class _Started:
    name: str
    stop: Callable[[], None]


@dataclass
class StackState:
    """What a running stack exposes (the console banner and ``ready.json`` are made from it)."""

    urls: dict[str, str] = field(default_factory=dict)
    steps: list[Step] = field(default_factory=list)
    total_seconds: float = 0.0
    demo: dict[str, Any] | None = None
    jvm_pid: int | None = None


class LocalStack:
    """Starts and stops the local stack.

    Args:
        settings: options and paths of this run.
        progress: called with a line per finished step (the console summary).
    """

    def __init__(
        self, settings: LocalSettings, *, progress: Callable[[str], None] = lambda line: None
    ) -> None:
        self.settings = settings
        self.progress = progress
        self.state = StackState()
        self.app: Any = None
        self.world: Any = None
        self._started: list[_Started] = []
        self._secrets: LocalSecrets | None = None
        self._t0 = 0.0

    # -- lifecycle ---------------------------------------------------------------------------

    def start(self) -> StackState:
        """Start everything; on any failure stop what started and re-raise."""
        self._t0 = time.monotonic()
        try:
            self._start()
        except BaseException:
            self.stop()
            raise
        self.state.total_seconds = time.monotonic() - self._t0
        self._write_ready()
        return self.state

    def stop(self) -> None:
        """Stop in reverse order; each piece is stopped even if another one fails to."""
        self.settings.ready_path.unlink(missing_ok=True)
        while self._started:
            started = self._started.pop()
            try:
                started.stop()
                logger.info("stopped %s", started.name)
            except Exception:
                logger.exception("stopping %s failed", started.name)

    # -- steps -------------------------------------------------------------------------------

    def _start(self) -> None:
        s = self.settings
        with self._step("checks"):
            self._preflight()
        with self._step("DynamoDB Local") as step:
            self._start_dynamodb(step)
        with self._step("tables") as step:
            stream_arn = self._create_tables(step)
        if s.sandbox:
            with self._step("Telegram sandbox + demo world"):
                self._start_sandbox()
        with self._step("import app"):
            self._import_app(stream_arn)
        with self._step("REST + websocket gateway"):
            self._start_api()
        with self._step("stream pump") as step:
            self._start_stream_pump(stream_arn, step)
        with self._step("scheduler") as step:
            self._start_scheduler(step)
        with self._step("dashboard") as step:
            self._start_dashboard(step)
        if s.sandbox:
            with self._step("demo bot registration") as step:
                self._register_demo_bot(step)
        elif not s.public_url:
            with self._step("polling bridge") as step:
                self._start_polling_bridge(step)

    def _preflight(self) -> None:
        s = self.settings
        s.prepare_dirs()
        from infra.local.demo import DEMO_BOT_ID

        self._secrets = LocalSecrets.load_or_create(s.secrets_path, DEMO_BOT_ID)
        roles = ["rest", "websocket", "dynamodb", "dashboard"] + (["sandbox"] if s.sandbox else [])
        for role in roles:
            require_free_port(getattr(s.ports, role), HOST, setting=s.ports.setting_for(role))
        from infra.local.dynamodb import JAR_NAME, java_major_version

        if not (s.jar_cache / "emulator" / JAR_NAME).is_file():
            java_major_version()  # fail before a 57 MB download when Java is missing

    def _start_dynamodb(self, step: Step) -> None:
        from infra.local.dynamodb import DynamoDBLocal, ensure_jar

        s = self.settings
        fetched = not (s.jar_cache / "emulator").is_dir()
        jar_dir = ensure_jar(s.jar_cache)
        ddb = DynamoDBLocal(
            jar_dir, port=s.ports.dynamodb, data_dir=s.dynamodb_dir, log_path=s.log_path
        )
        self._started.append(_Started("DynamoDB Local", ddb.stop))
        ddb.start()
        self.state.jvm_pid = ddb.pid
        storage = "in memory" if s.dynamodb_dir is None else str(s.dynamodb_dir)
        step.detail = f"{storage}{', jar fetched' if fetched else ''}"

    def _create_tables(self, step: Step) -> str:
        import boto3

        from chalicelib.config import Settings
        from chalicelib.store.schema import ensure_tables

        s = self.settings
        app_settings = Settings(
            stage=STAGE,
            aws_region=REGION,
            table_prefix=TABLE_PREFIX,
            dynamodb_endpoint=s.dynamodb_url,
        )
        client = boto3.client(
            "dynamodb",
            region_name=REGION,
            endpoint_url=s.dynamodb_url,
            aws_access_key_id="local",
            aws_secret_access_key="local",  # noqa: S106 - DynamoDB Local ignores credentials
        )
        created = ensure_tables(app_settings, client)
        self._events_table = app_settings.table_name("events")
        table = client.describe_table(TableName=self._events_table)["Table"]
        stream_arn = table.get("LatestStreamArn")
        if not stream_arn:
            raise LocalStackError(
                f"table {self._events_table} has no stream: delete {s.dynamodb_dir} "
                "(or run with --fresh) to recreate it"
            )
        step.detail = f"{len(created)} created" if created else "all existed"
        return str(stream_arn)

    def _start_sandbox(self) -> None:
        from infra.local.demo import build_world, save
        from infra.local.sandbox import Sandbox, SandboxServer

        s = self.settings
        assert self._secrets is not None
        sandbox = Sandbox(retry_delays=(1, 2, 4, 8, 16, 32))
        try:
            server = SandboxServer(sandbox, host=HOST, port=s.ports.sandbox)
        except OSError as exc:
            sandbox.close()
            raise LocalStackError(
                f"port {s.ports.sandbox} is in use ({exc.strerror}): stop what uses it or set "
                f"{s.ports.setting_for('sandbox')}"
            ) from None
        server.start()
        self._started.append(_Started("Telegram sandbox", server.stop))
        self.sandbox = sandbox
        self.world = build_world(sandbox, self._secrets.demo_bot_token)
        save(self.world, s.demo_path)
        self.state.demo = self.world.to_json()
        self.state.urls["sandbox"] = s.sandbox_url

    def _import_app(self, stream_arn: str) -> None:
        s = self.settings
        assert self._secrets is not None
        operators = [self.world.operator_id] if self.world is not None else []
        login_bot = (
            self.world.bot_username
            if self.world is not None
            else s.environ.get("NEZUKO_LOGIN_BOT_USERNAME", "")
        )
        apply_environment(
            app_environment(
                s,
                self._secrets,
                events_stream_arn=stream_arn,
                operator_ids=operators,
                login_bot_username=login_bot,
            )
        )
        from chalicelib import container

        container.reset()
        if "app" in sys.modules:
            raise LocalStackError("app was imported before its environment was set: fix the caller")
        root = str(s.root)
        if root not in sys.path:
            sys.path.insert(0, root)
        self.app = importlib.import_module("app").app
        container.settings()  # validate now: a configuration error stops the start-up here

    def _start_api(self) -> None:
        from infra.local.rest import RestServer
        from infra.local.websocket_gateway import WebsocketGateway, bind_websocket_api

        s = self.settings
        rest = RestServer(self.app, host=HOST, port=s.ports.rest)
        gateway = WebsocketGateway(
            self.app, host=HOST, port=s.ports.websocket, stage=WEBSOCKET_STAGE
        )
        rest.mount(gateway.management_prefix, gateway.handle_management)
        rest.mount(LOCAL_PREFIX, self._handle_local)
        bind_websocket_api(self.app, s.management_url, region=REGION)
        rest.start()
        self._started.append(_Started("REST server", rest.stop))
        gateway.start()
        self._started.append(_Started("websocket gateway", gateway.stop))
        self.state.urls.update(
            rest=s.rest_url,
            health=f"{s.rest_url}/health",
            websocket=s.websocket_url,
            ticket=f"{s.rest_url}{LOCAL_PREFIX}ticket",
        )

    def _start_stream_pump(self, stream_arn: str, step: Step) -> None:
        from infra.local.lambda_runtime import handler_for, stream_sources

        s = self.settings
        sources = [src for src in stream_sources(self.app) if src.stream_arn == stream_arn]
        if not sources:
            raise LocalStackError(
                f"no on_dynamodb_record handler of app.py listens to {stream_arn}: "
                "it must read NEZUKO_EVENTS_STREAM_ARN at import"
            )
        source = sources[0]
        pump = StreamPump(
            s.dynamodb_url,
            self._events_table,
            handler_for(self.app, source.name),
            batch_size=source.batch_size,
            starting_position="LATEST" if source.starting_position == "LATEST" else "TRIM_HORIZON",
            checkpoint_path=s.checkpoint_path(self._events_table),
            region=REGION,
            function_name=f"{self.app.app_name}-{STAGE}-{source.name}",
        )
        pump.start()
        self._started.append(_Started("stream pump", pump.stop))
        step.detail = f"{self._events_table} → {source.name}"

    def _start_scheduler(self, step: Step) -> None:
        from infra.local.scheduler import Scheduler

        scheduler = Scheduler(self.app, stage=STAGE, region=REGION)
        scheduler.start()
        self._started.append(_Started("scheduler", scheduler.stop))
        step.detail = ", ".join(f"{job.name} {job.expression}" for job in scheduler.jobs)

    def _start_polling_bridge(self, step: Step) -> None:
        """Real bots and no public URL: feed getUpdates into the webhook route."""
        from chalicelib import container
        from infra.local.polling import BridgedBot, PollingBridge

        s = self.settings
        keyring = container.keyring()
        bots = [
            BridgedBot(
                bot_id=record.bot_id,
                token=keyring.decrypt(record.token_ciphertext),
                secret=keyring.decrypt(record.webhook_secret_ciphertext),
                webhook_url=f"{s.rest_url}/telegram/{record.bot_id}",
            )
            for record in container.stores().bots.list_all()
            if record.status != "removed"
        ]
        state_dir = None if s.fresh else s.data_dir / "data" / "polling"
        bridge = PollingBridge(
            bots, api_url=container.settings().telegram_api_url, state_dir=state_dir
        )
        bridge.start()
        self._started.append(_Started("polling bridge", bridge.stop))
        step.detail = f"{len(bots)} bot(s) via getUpdates"

    def _start_dashboard(self, step: Step) -> None:
        from infra.local.static import StaticServer

        s = self.settings
        config = {
            "apiUrl": s.rest_url,
            "websocketUrl": s.websocket_url,
            "loginBotUsername": os.environ.get("NEZUKO_LOGIN_BOT_USERNAME", ""),
            "stage": STAGE,
        }
        root = s.dashboard_build or _write_placeholder(s.dashboard_placeholder)
        static = StaticServer(root, config, host=HOST, port=s.ports.dashboard)
        static.start()
        self._started.append(_Started("dashboard", static.stop))
        self.state.urls["dashboard"] = s.dashboard_url
        step.detail = (
            str(root.relative_to(s.root))
            if s.dashboard_build
            else "placeholder: build it with npm run build in dashboard/"
        )

    def _register_demo_bot(self, step: Step) -> None:
        from infra.local.demo import register_bot

        assert self._secrets is not None
        step.detail = register_bot(self.world, self._secrets.demo_bot_token)

    # -- local-only control endpoint ---------------------------------------------------------

    def _handle_local(self, request: HttpRequest) -> HttpResponse:
        """``POST /_local/ticket`` [{"operator_id": n}] → a websocket ticket (local stage only)."""
        path = request.path.split("?", 1)[0]
        if path != f"{LOCAL_PREFIX}ticket" or request.method != "POST":
            return _json(404, {"message": "POST /_local/ticket is the only local endpoint"})
        try:
            body = json.loads(request.body or b"{}")
        except ValueError:
            return _json(400, {"message": "send a JSON object"})
        default = self.world.operator_id if self.world is not None else None
        operator_id = body.get("operator_id", default) if isinstance(body, dict) else None
        if not isinstance(operator_id, int):
            return _json(400, {"message": "operator_id (an integer) is required"})
        from chalicelib import container

        ticket = container.live().issue_ticket(operator_id)
        url = f"{self.settings.websocket_url}/?ticket={ticket}"
        return _json(200, {"ticket": ticket, "operator_id": operator_id, "url": url})

    # -- helpers -----------------------------------------------------------------------------

    def _step(self, name: str) -> _StepTimer:
        return _StepTimer(self, name)

    def _write_ready(self) -> None:
        s = self.settings
        self.state.urls["dynamodb"] = s.dynamodb_url
        ready = {
            "pid": os.getpid(),
            "jvm_pid": self.state.jvm_pid,
            "urls": self.state.urls,
            "ports": asdict(s.ports),
            "steps": [vars(step) for step in self.state.steps],
            "total_seconds": round(self.state.total_seconds, 3),
            "demo": self.state.demo,
            "log": str(s.log_path),
        }
        tmp = s.ready_path.with_suffix(".tmp")
        tmp.write_text(json.dumps(ready, indent=2) + "\n")
        tmp.replace(s.ready_path)


class _StepTimer:
    def __init__(self, stack: LocalStack, name: str) -> None:
        self.stack = stack
        self.step = Step(name, 0.0)

    def __enter__(self) -> Step:
        self._start = time.monotonic()
        logger.info("starting: %s", self.step.name)
        return self.step

    def __exit__(self, exc_type: Any, exc: Any, tb: Any) -> None:
        self.step.seconds = time.monotonic() - self._start
        if exc_type is None:
            self.stack.state.steps.append(self.step)
            detail = f"  ({self.step.detail})" if self.step.detail else ""
            logger.info("ready: %s in %.2fs%s", self.step.name, self.step.seconds, detail)
            self.stack.progress(f"  {self.step.seconds:6.2f}s  {self.step.name}{detail}")


_PLACEHOLDER = """<!doctype html>
<html lang="en">
<head>
  <meta charset="utf-8">
  <meta name="viewport" content="width=device-width, initial-scale=1">
  <title>Nezuko (local)</title>
  <style>
    body { font: 16px/1.5 system-ui, sans-serif; max-width: 42rem; margin: 3rem auto; }
    pre { background: #f4f4f4; padding: 1rem; overflow-x: auto; }
  </style>
</head>
<body>
  <h1>Nezuko</h1>
  <p>The dashboard is not built: run <code>npm ci &amp;&amp; npm run build</code> in
     <code>dashboard/</code> and restart the stack to serve <code>dashboard/dist</code>.</p>
  <p>Its configuration (<code>/config.json</code>):</p>
  <pre id="config">loading...</pre>
  <script>
    fetch("config.json").then((r) => r.json()).then((c) => {
      document.getElementById("config").textContent = JSON.stringify(c, null, 2);
    });
  </script>
</body>
</html>
"""


def _write_placeholder(directory: Path) -> Path:
    """A generated page shown until ``dashboard/dist`` exists (kept out of the repository)."""
    directory.mkdir(parents=True, exist_ok=True)
    (directory / "index.html").write_text(_PLACEHOLDER)
    return directory


def _json(status: int, body: dict[str, Any]) -> HttpResponse:
    return HttpResponse(status, {"Content-Type": "application/json"}, json.dumps(body).encode())
