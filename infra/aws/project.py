"""A generated Chalice project per stage: the repo's code plus a ``.chalice/config.json``
whose stage carries the values only known after the infra stack exists.

Chalice has no ``--config`` option and applies the stage's ``environment_variables`` before
importing ``app.py`` (the events stream ARN is read at import), so the values must be in a
``config.json``. Rather than editing the committed one, every deploy writes
``infra/aws/build/<stage>/project/`` (git-ignored): copies of ``app.py``, ``chalicelib/``,
``requirements.txt`` (and ``vendor/``), the committed config with the stage's environment
extended, and the policy files. Chalice's deployed-resource state
(``.chalice/deployed/<stage>.json``) is kept in the repository, Chalice's usual place: it is
copied in before and back after every Chalice command.
"""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any
from urllib.parse import urlparse

from infra.aws.naming import ROOT, StageNames, chalice_config

APP_FILES = ("app.py", "requirements.txt")
APP_DIRS = ("chalicelib", "vendor")
_IGNORE = shutil.ignore_patterns("__pycache__", "*.pyc", ".mypy_cache", ".pytest_cache")

#: How deploy runs Chalice; the rehearsal swaps in a wrapper (tests/infra/chalice_moto.py).
DEFAULT_CHALICE = (
    sys.executable,
    "-c",
    "import sys; from chalice.cli import main; sys.argv[0] = 'chalice'; sys.exit(main())",
)


def stage_environment(
    names: StageNames,
    outputs: Mapping[str, str],
    *,
    rest_api_url: str = "",
    websocket_api_url: str = "",
) -> dict[str, str]:
    """Environment values that come from the infra stack and the deployed APIs."""
    env = {
        "NEZUKO_EVENTS_STREAM_ARN": outputs["EventsStreamArn"],
        "NEZUKO_TOKEN_KEYS_PARAMETER": outputs.get(
            "TokenKeysParameterName", names.token_keys_parameter
        ),
        "NEZUKO_SESSION_SECRET_PARAMETER": outputs.get(
            "SessionSecretParameterName", names.session_secret_parameter
        ),
    }
    if outputs.get("DashboardDomainName"):
        env["NEZUKO_DASHBOARD_ORIGIN"] = f"https://{outputs['DashboardDomainName']}"
    if rest_api_url:
        env["NEZUKO_PUBLIC_URL"] = rest_api_url.rstrip("/")
    if websocket_api_url:
        env["NEZUKO_WEBSOCKET_URL"] = websocket_api_url.rstrip("/")
        env["NEZUKO_WEBSOCKET_MANAGEMENT_URL"] = management_url(websocket_api_url)
    return env


def management_url(websocket_api_url: str) -> str:
    """``wss://{id}.execute-api.{region}.amazonaws.com/ws/`` → the ``@connections`` base URL."""
    parsed = urlparse(websocket_api_url)
    return f"https://{parsed.netloc}/{parsed.path.strip('/')}"


def generated_config(
    names: StageNames, extra_env: Mapping[str, str], config: dict[str, Any] | None = None
) -> dict[str, Any]:
    """The committed config with ``extra_env`` merged into the stage's environment."""
    config = json.loads(json.dumps(config or chalice_config()))  # deep copy
    stage = config["stages"][names.stage]
    stage["environment_variables"] = {**stage.get("environment_variables", {}), **extra_env}
    return config


def write_project(
    names: StageNames,
    extra_env: Mapping[str, str],
    *,
    root: Path = ROOT,
    dest: Path | None = None,
) -> Path:
    """(Re)write the stage's generated project; returns its directory."""
    project = dest or names.build_dir / "project"
    for name in (*APP_FILES, *APP_DIRS):
        target = project / name
        if target.is_dir():
            shutil.rmtree(target)
        elif target.exists():
            target.unlink()
    project.mkdir(parents=True, exist_ok=True)
    for name in APP_FILES:
        shutil.copy2(root / name, project / name)
    for name in APP_DIRS:
        if (root / name).is_dir():
            shutil.copytree(root / name, project / name, ignore=_IGNORE)
    chalice_dir = project / ".chalice"
    chalice_dir.mkdir(exist_ok=True)
    committed = chalice_config(root / ".chalice" / "config.json")
    config = generated_config(names, extra_env, committed)
    (chalice_dir / "config.json").write_text(json.dumps(config, indent=2) + "\n")
    for policy in (root / ".chalice").glob("policy-*.json"):
        shutil.copy2(policy, chalice_dir / policy.name)
    state = names.state_dir / f"{names.stage}.json"
    local_state = chalice_dir / "deployed" / f"{names.stage}.json"
    if state.exists():
        local_state.parent.mkdir(exist_ok=True)
        shutil.copy2(state, local_state)
    elif local_state.exists():
        local_state.unlink()
    return project


def save_state(names: StageNames, project: Path) -> None:
    """Copy Chalice's deployed-resource state back into the repository."""
    local_state = project / ".chalice" / "deployed" / f"{names.stage}.json"
    if local_state.exists():
        target = names.state_dir / f"{names.stage}.json"
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(local_state, target)


def deployed_resources(names: StageNames) -> dict[str, Any]:
    """Chalice's deployed resources of the stage by name (empty before the first deploy)."""
    state = names.state_dir / f"{names.stage}.json"
    if not state.exists():
        return {}
    data = json.loads(state.read_text())
    return {r["name"]: r for r in data.get("resources", [])}


def run_chalice(
    project: Path,
    args: Sequence[str],
    *,
    chalice: Sequence[str] = DEFAULT_CHALICE,
    env: Mapping[str, str] | None = None,
) -> None:
    """Run a Chalice CLI command in ``project`` (output streams to the terminal)."""
    command = [*chalice, "--project-dir", str(project), *args]
    print("+", " ".join(command), flush=True)
    subprocess.run(command, check=True, env=dict(env) if env is not None else None)  # noqa: S603
