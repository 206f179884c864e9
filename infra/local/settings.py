"""Local-stack defaults: where data lives, which ports, which secrets, and the app's environment.

Everything is embedded so ``python -m infra.local`` needs no configuration: the data directory
is ``.local/`` in the repository (gitignored), ports are fixed defaults (or consecutive from
``--port-base``), and the secrets are generated once into ``.local/secrets.json`` (mode 0600).
The app's environment is built here and applied before ``app`` is imported, as Chalice applies
``.chalice/config.json`` before importing ``app.py`` on Lambda.
"""

from __future__ import annotations

import json
import os
import secrets
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from infra.local.errors import LocalStackError

ROOT = Path(__file__).resolve().parents[2]
STAGE = "local"
TABLE_PREFIX = "nezuko-local"
REGION = "us-east-1"
HOST = "127.0.0.1"
WEBSOCKET_STAGE = "api"
TELEGRAM_URL = "https://api.telegram.org"

#: Port roles in ``--port-base`` order (base, base+1, ...), with the variable that overrides each.
PORT_ROLES: tuple[tuple[str, str, int], ...] = (
    ("rest", "NEZUKO_REST_PORT", 8000),
    ("websocket", "NEZUKO_WEBSOCKET_PORT", 8001),
    ("dynamodb", "NEZUKO_DDB_PORT", 8002),
    ("dashboard", "NEZUKO_DASHBOARD_PORT", 8080),
    ("sandbox", "NEZUKO_SANDBOX_PORT", 8081),
)


@dataclass(frozen=True)
class Ports:
    """The TCP ports of one local stack (all on 127.0.0.1)."""

    rest: int
    websocket: int
    dynamodb: int
    dashboard: int
    sandbox: int

    @classmethod
    def resolve(cls, port_base: int | None, environ: Mapping[str, str]) -> Ports:
        """Defaults, or ``port_base + i`` for every role; ``NEZUKO_*_PORT`` override either."""
        values: dict[str, int] = {}
        for index, (role, variable, default) in enumerate(PORT_ROLES):
            port = default if port_base is None else port_base + index
            raw = environ.get(variable)
            if raw:
                try:
                    port = int(raw)
                except ValueError:
                    raise LocalStackError(f"{variable}={raw!r} is not a port number") from None
            if not 1 <= port <= 65535:
                raise LocalStackError(f"port {port} ({variable}) is out of range: use 1-65535")
            values[role] = port
        if len(set(values.values())) != len(values):
            raise LocalStackError(f"two roles share a port ({values}): fix NEZUKO_*_PORT")
        return cls(**values)

    def setting_for(self, role: str) -> str:
        """How to change ``role``'s port, for error messages."""
        variable = next(v for r, v, _ in PORT_ROLES if r == role)
        return f"{variable} (or pass --port-base N)"


@dataclass(frozen=True)
class LocalSettings:
    """Options and paths of one run of the local stack."""

    data_dir: Path
    cache_dir: Path
    ports: Ports
    fresh: bool = False
    sandbox: bool = True
    quiet: bool = False
    root: Path = ROOT
    environ: Mapping[str, str] = field(default_factory=dict, repr=False)

    @classmethod
    def build(
        cls,
        *,
        fresh: bool = False,
        port_base: int | None = None,
        sandbox: bool = True,
        quiet: bool = False,
        data_dir: Path | None = None,
        environ: Mapping[str, str] | None = None,
    ) -> LocalSettings:
        """Settings from flags and the environment (``NEZUKO_LOCAL_DIR``, ``NEZUKO_*_PORT``)."""
        env = dict(os.environ if environ is None else environ)
        chosen = data_dir or Path(env.get("NEZUKO_LOCAL_DIR") or ROOT / ".local")
        cache = Path(env.get("NEZUKO_LOCAL_CACHE_DIR") or ROOT / ".local" / "cache")
        return cls(
            data_dir=chosen.absolute(),
            cache_dir=cache.absolute(),
            ports=Ports.resolve(port_base, env),
            fresh=fresh,
            sandbox=sandbox,
            quiet=quiet,
            environ=env,
        )

    # -- paths -------------------------------------------------------------------------------

    @property
    def dynamodb_dir(self) -> Path | None:
        """DynamoDB Local's database directory; ``None`` (in memory) with ``--fresh``."""
        return None if self.fresh else self.data_dir / "data" / "dynamodb"

    @property
    def jar_cache(self) -> Path:
        """Where the DynamoDB Local jar is cached (shared by every data directory)."""
        return self.cache_dir / "dynamodb"

    def checkpoint_path(self, table: str) -> Path | None:
        """The stream pump's checkpoint file; in memory with ``--fresh``."""
        return None if self.fresh else self.data_dir / "data" / "streams" / f"{table}.json"

    @property
    def secrets_path(self) -> Path:
        """Generated secrets (keyring, session secret, demo bot token), mode 0600."""
        return self.data_dir / "secrets.json"

    @property
    def demo_path(self) -> Path:
        """Ids of the demo world (bot, users, chats)."""
        return self.data_dir / "demo.json"

    @property
    def log_path(self) -> Path:
        """Everything the stack and its processes log."""
        return self.data_dir / "logs" / "stack.log"

    @property
    def ready_path(self) -> Path:
        """Written once the stack is ready, removed on shutdown (tests wait for it)."""
        return self.data_dir / "run" / "ready.json"

    @property
    def dashboard_build(self) -> Path | None:
        """The dashboard build (``dashboard/dist``) when there is one."""
        dist = self.root / "dashboard" / "dist"
        return dist if (dist / "index.html").is_file() else None

    @property
    def dashboard_placeholder(self) -> Path:
        """Where the placeholder page goes when the dashboard is not built."""
        return self.data_dir / "dashboard-placeholder"

    # -- URLs --------------------------------------------------------------------------------

    @property
    def rest_url(self) -> str:
        return f"http://{HOST}:{self.ports.rest}"

    @property
    def websocket_url(self) -> str:
        return f"ws://{HOST}:{self.ports.websocket}"

    @property
    def management_url(self) -> str:
        """The websocket gateway's ``@connections`` API (mounted on the REST server)."""
        return f"{self.rest_url}/{WEBSOCKET_STAGE}"

    @property
    def dynamodb_url(self) -> str:
        return f"http://{HOST}:{self.ports.dynamodb}"

    @property
    def dashboard_url(self) -> str:
        return f"http://{HOST}:{self.ports.dashboard}"

    @property
    def sandbox_url(self) -> str:
        return f"http://{HOST}:{self.ports.sandbox}"

    @property
    def public_url(self) -> str:
        """Where webhooks point: our REST server for the sandbox; for real Telegram only a
        public URL you give (``NEZUKO_PUBLIC_URL``, e.g. a tunnel), else none (polling)."""
        if self.sandbox:
            return self.rest_url
        return self.environ.get("NEZUKO_PUBLIC_URL", "")

    @property
    def telegram_api_url(self) -> str:
        # --no-sandbox: real Telegram, or a self-hosted Bot API server named by TELEGRAM_API_URL.
        return (
            self.sandbox_url if self.sandbox else self.environ.get("TELEGRAM_API_URL", TELEGRAM_URL)
        )

    def prepare_dirs(self) -> None:
        """Create the data directory tree, or raise naming the fix."""
        targets = [self.data_dir, self.log_path.parent, self.ready_path.parent]
        if not self.fresh:
            targets.append(self.data_dir / "data" / "streams")
        try:
            for target in targets:
                target.mkdir(parents=True, exist_ok=True)
                probe = target / ".nezuko-write-probe"
                probe.write_bytes(b"")
                probe.unlink()
        except OSError as exc:
            raise LocalStackError(
                f"data directory {self.data_dir} is not readable/writable ({exc.strerror}): "
                "fix its permissions or set NEZUKO_LOCAL_DIR to another directory"
            ) from None


@dataclass(frozen=True)
class LocalSecrets:
    """Secrets generated once per data directory."""

    token_keys: str
    session_secret: str
    demo_bot_token: str

    @classmethod
    def load_or_create(cls, path: Path, demo_bot_id: int) -> LocalSecrets:
        """Read ``path``; create it (mode 0600, never overwritten) on the first run."""
        from chalicelib.crypto import Keyring

        try:
            data: dict[str, Any] = json.loads(path.read_text())
        except FileNotFoundError:
            data = {}
        except (OSError, ValueError) as exc:
            raise LocalStackError(
                f"cannot read {path} ({exc}): fix it or delete it to generate new local secrets"
            ) from None
        changed = False
        defaults = {
            "token_keys": lambda: Keyring.new_key_spec("local1"),
            "session_secret": lambda: secrets.token_urlsafe(32),
            "demo_bot_token": lambda: f"{demo_bot_id}:{secrets.token_urlsafe(27)}",
        }
        for key, make in defaults.items():
            if not isinstance(data.get(key), str) or not data[key]:
                data[key] = make()
                changed = True
        if changed:
            _write_private(path, json.dumps(data, indent=2) + "\n")
        return cls(data["token_keys"], data["session_secret"], data["demo_bot_token"])


def _write_private(path: Path, text: str) -> None:
    """Write ``text`` to ``path`` with mode 0600 from the start (via a rename)."""
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    try:
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "w") as handle:
            handle.write(text)
        os.replace(tmp, path)
    except OSError as exc:
        tmp.unlink(missing_ok=True)
        raise LocalStackError(
            f"cannot write {path} ({exc.strerror}): fix the data directory's permissions"
        ) from None


def app_environment(
    settings: LocalSettings,
    local_secrets: LocalSecrets,
    *,
    events_stream_arn: str,
    operator_ids: list[int],
    login_bot_username: str,
) -> dict[str, str]:
    """The environment the app runs with locally (what .chalice/config.json holds on AWS)."""
    operators = ",".join(str(i) for i in operator_ids)
    env = {
        "NEZUKO_STAGE": STAGE,
        "NEZUKO_TABLE_PREFIX": TABLE_PREFIX,
        "AWS_ENDPOINT_URL_DYNAMODB": settings.dynamodb_url,
        "AWS_ENDPOINT_URL_DYNAMODBSTREAMS": settings.dynamodb_url,
        "AWS_REGION": REGION,
        "AWS_DEFAULT_REGION": REGION,
        "AWS_ACCESS_KEY_ID": "local",
        "AWS_SECRET_ACCESS_KEY": "local",
        "TELEGRAM_API_URL": settings.telegram_api_url,
        "NEZUKO_PUBLIC_URL": settings.public_url,
        "NEZUKO_TOKEN_KEYS": local_secrets.token_keys,
        "NEZUKO_SESSION_SECRET": local_secrets.session_secret,
        "NEZUKO_OPERATOR_IDS": operators or settings.environ.get("NEZUKO_OPERATOR_IDS", ""),
        "NEZUKO_WEBSOCKET_URL": settings.websocket_url,
        "NEZUKO_WEBSOCKET_MANAGEMENT_URL": settings.management_url,
        "NEZUKO_DASHBOARD_ORIGIN": settings.dashboard_url,
        "NEZUKO_LOGIN_BOT_USERNAME": login_bot_username,
        "NEZUKO_EVENTS_STREAM_ARN": events_stream_arn,
        "NEZUKO_LOG_LEVEL": settings.environ.get("NEZUKO_LOG_LEVEL") or "INFO",
        "POWERTOOLS_METRICS_DISABLED": "true",
        "POWERTOOLS_SERVICE_NAME": "nezuko",
    }
    return env


def apply_environment(env: Mapping[str, str]) -> None:
    """Put ``env`` in ``os.environ`` and drop anything that could reach a real AWS account."""
    for variable in ("AWS_PROFILE", "AWS_SESSION_TOKEN", "AWS_SECURITY_TOKEN", "AWS_ENDPOINT_URL"):
        os.environ.pop(variable, None)
    os.environ.update(env)
