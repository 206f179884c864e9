"""Every name a stage's deployment uses, derived in one place.

Function names follow Chalice 1.34's rules (``chalice/deploy/appgraph.py``): the REST handler
is ``{app}-{stage}``; every other handler is ``{app}-{stage}-{resource}``, where websocket
handlers are named ``websocket_connect`` / ``websocket_message`` / ``websocket_disconnect``
(not after the Python functions) and the rest after their Python function.
"""

from __future__ import annotations

import functools
import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from chalicelib.config import Settings

ROOT = Path(__file__).resolve().parents[2]
CHALICE_DIR = ROOT / ".chalice"
BUILD_DIR = Path(__file__).resolve().parent / "build"

_WEBSOCKET_RESOURCES = {"$connect": "websocket_connect", "$disconnect": "websocket_disconnect"}


def chalice_functions(app: Any) -> dict[str, str]:
    """Chalice's resource name of every Lambda function of ``app`` → its handler string.

    Mirrors ``chalice.deploy.appgraph``: one ``api_handler`` for all routes, one function per
    websocket route kind, one per event source (schedule, stream, ...) and pure function.
    """
    found: dict[str, str] = {}
    if app.routes:
        found["api_handler"] = "app.app"
    for route_key, handler in app.websocket_handlers.items():
        found[_WEBSOCKET_RESOURCES.get(route_key, "websocket_message")] = handler.handler_string
    for source in [*app.event_sources, *app.pure_lambda_functions]:
        found[source.name] = source.handler_string
    return found


@functools.cache
def functions() -> dict[str, str]:
    """The Lambda functions of this repository's ``app.py`` (imported: it is cheap by design)."""
    import sys

    if str(ROOT) not in sys.path:
        sys.path.insert(0, str(ROOT))
    from app import app

    return chalice_functions(app)


#: Stages whose data outlives the stack (tables retained, deletion protection on, keys kept).
RETAINED_STAGES = frozenset({"prod"})


def chalice_config(path: Path | None = None) -> dict[str, Any]:
    """The committed ``.chalice/config.json``."""
    return dict(json.loads((path or CHALICE_DIR / "config.json").read_text()))


@dataclass(frozen=True)
class StageNames:
    """The names of one stage's resources."""

    stage: str
    app_name: str = "nezuko"
    table_prefix: str = ""
    api_stage: str = "api"
    ws_stage: str = "ws"
    #: Where generated files go, and where Chalice's deployed-resource state is kept
    #: (tests point both at a temporary directory).
    build_root: Path = BUILD_DIR
    state_dir: Path = CHALICE_DIR / "deployed"

    @classmethod
    def load(cls, stage: str, config: dict[str, Any] | None = None) -> StageNames:
        """Names of ``stage`` as ``.chalice/config.json`` defines it (the table prefix too)."""
        config = config or chalice_config()
        stages = config.get("stages", {})
        if stage not in stages:
            raise SystemExit(f"unknown stage {stage!r}; .chalice/config.json has {sorted(stages)}")
        env = {
            **config.get("environment_variables", {}),
            **stages[stage].get("environment_variables", {}),
        }
        return cls(
            stage=stage,
            app_name=str(config.get("app_name", "nezuko")),
            table_prefix=str(env.get("NEZUKO_TABLE_PREFIX") or f"nezuko-{stage}"),
            api_stage=str(stages[stage].get("api_gateway_stage", "api")),
            ws_stage=str(stages[stage].get("websocket_api_stage", "api")),
        )

    @property
    def retained(self) -> bool:
        """Whether this stage keeps its data when the stack is deleted."""
        return self.stage in RETAINED_STAGES

    @property
    def stack_name(self) -> str:
        """The infra CloudFormation stack."""
        return f"{self.app_name}-{self.stage}-infra"

    def settings(self) -> Settings:
        """The settings the tables are derived from (only stage and prefix matter here)."""
        return Settings(stage=self.stage, table_prefix=self.table_prefix)

    def function_name(self, resource: str) -> str:
        """The Lambda function name Chalice gives ``resource`` (see module doc)."""
        if resource == "api_handler":
            return f"{self.app_name}-{self.stage}"
        return f"{self.app_name}-{self.stage}-{resource}"

    def log_group(self, resource: str) -> str:
        """The log group Lambda writes ``resource``'s logs to."""
        return f"/aws/lambda/{self.function_name(resource)}"

    @property
    def log_groups(self) -> list[str]:
        """Every function's log group."""
        return [self.log_group(r) for r in functions()]

    @property
    def parameter_prefix(self) -> str:
        """SSM path of this stage's secrets."""
        return f"/{self.app_name}/{self.stage}"

    @property
    def token_keys_parameter(self) -> str:
        """SSM SecureString with the token encryption keyring (``kid:key,...``)."""
        return f"{self.parameter_prefix}/token-keys"

    @property
    def session_secret_parameter(self) -> str:
        """SSM SecureString with the session signing key."""
        return f"{self.parameter_prefix}/session-secret"

    @property
    def events_dlq(self) -> str:
        """SQS queue that receives stream batches the handler gave up on."""
        return f"{self.app_name}-{self.stage}-events-dlq"

    @property
    def alarm_topic(self) -> str:
        """SNS topic every alarm notifies."""
        return f"{self.app_name}-{self.stage}-alarms"

    @property
    def dashboard_name(self) -> str:
        """The CloudWatch dashboard."""
        return f"{self.app_name}-{self.stage}"

    @property
    def rest_api_name(self) -> str:
        """API Gateway's name of the REST API (Chalice uses the app name for every stage)."""
        return self.app_name

    @property
    def build_dir(self) -> Path:
        """Where generated files of this stage go (git-ignored)."""
        return self.build_root / self.stage
