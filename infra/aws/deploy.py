"""``python -m infra.aws.deploy --stage dev``: the whole deployment of one stage.

1. the infra stack (tables, dashboard bucket + CloudFront, DLQ, logs, alarms, queries);
2. the SSM SecureString secrets, created when missing (never overwritten);
3. ``chalice deploy`` of a generated project whose stage carries the stack's outputs
   (a second pass on the very first deploy, once the API URLs exist);
4. the stream mapping: partial batch failures, retries, bisect, on-failure queue;
5. the dashboard: build, ``config.json``, upload, CloudFront invalidation;
6. every registered bot's webhook re-pointed at the API.

Every step compares before it changes, so a re-run with nothing new changes nothing.
"""

from __future__ import annotations

import argparse
import dataclasses
import os
import sys
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from infra.aws import project, site, stack
from infra.aws.naming import ROOT, StageNames
from infra.aws.template import Template, build_template, to_yaml

LAMBDA_PYTHON = (3, 11)


@dataclass
class DeployOptions:
    """Knobs of one deployment."""

    stage: str
    region: str | None = None
    alarm_email: str = ""
    env: dict[str, str] = field(default_factory=dict)
    chalice: Sequence[str] = project.DEFAULT_CHALICE
    build_dashboard: bool = True
    repoint_webhooks: bool = True
    #: Rehearsal seam: adapts the template to an emulator (never set for AWS).
    adapt_template: Callable[[Template], Template] | None = None
    #: Keep generated files and Chalice's state here instead of the repository (tests).
    workdir: Path | None = None


def check_python() -> None:
    """Chalice picks the Lambda runtime from the running Python: it must be the pinned one."""
    if sys.version_info[:2] != LAMBDA_PYTHON:
        raise SystemExit(
            f"deploy with Python {'.'.join(map(str, LAMBDA_PYTHON))} (Chalice sets the Lambda "
            f"runtime to the local version; this is {sys.version.split()[0]})"
        )


def stage_names(stage: str, workdir: Path | None = None) -> StageNames:
    """The stage's names; with ``workdir``, generated files and state live there."""
    names = StageNames.load(stage)
    if workdir is None:
        return names
    return dataclasses.replace(names, build_root=workdir / "build", state_dir=workdir / "deployed")


def session(region: str | None) -> Any:
    """A boto3 session (``AWS_ENDPOINT_URL`` etc. are honoured by boto3 itself)."""
    import boto3

    return boto3.session.Session(region_name=region or os.environ.get("AWS_DEFAULT_REGION"))


def _chalice_env(region: str) -> dict[str, str]:
    return {**os.environ, "AWS_DEFAULT_REGION": region}


def deploy_app(
    names: StageNames, outputs: dict[str, str], options: DeployOptions, region: str
) -> tuple[dict[str, str], dict[str, Any]]:
    """``chalice deploy`` with the stack's values; returns (stage environment, resources)."""
    before = project.deployed_resources(names)
    for attempt in (1, 2):
        rest = before.get("rest_api", {}).get("rest_api_url", "")
        ws = before.get("websocket_api", {}).get("websocket_api_url", "")
        extra = {
            **options.env,
            **project.stage_environment(names, outputs, rest_api_url=rest, websocket_api_url=ws),
        }
        path = project.write_project(names, extra)
        try:
            project.run_chalice(
                path,
                ["deploy", "--stage", names.stage],
                chalice=options.chalice,
                env=_chalice_env(region),
            )
        finally:
            project.save_state(names, path)
        after = project.deployed_resources(names)
        same = all(
            after.get(n, {}).get(k, "") == before.get(n, {}).get(k, "")
            for n, k in (("rest_api", "rest_api_url"), ("websocket_api", "websocket_api_url"))
        )
        if same:
            break
        print(f"API URLs are new (pass {attempt}): deploying again so the functions know them")
        before = after
    config = project.generated_config(names, extra)
    stage_env = {
        **config.get("environment_variables", {}),
        **config["stages"][names.stage].get("environment_variables", {}),
    }
    return stage_env, after


def deploy(options: DeployOptions) -> dict[str, Any]:
    """Run every step; returns a summary."""
    check_python()
    names = stage_names(options.stage, options.workdir)
    aws = session(options.region)
    region = aws.region_name
    if not region:
        raise SystemExit("no region: pass --region or set AWS_DEFAULT_REGION")
    summary: dict[str, Any] = {"stage": names.stage, "region": region}

    template = build_template(names)
    names.build_dir.mkdir(parents=True, exist_ok=True)
    (names.build_dir / "infra.yaml").write_text(to_yaml(template))
    if options.adapt_template is not None:
        template = options.adapt_template(template)
    result, outputs = stack.deploy_stack(
        aws.client("cloudformation"),
        names,
        template,
        parameters={"AlarmEmail": options.alarm_email},
    )
    summary["stack"] = result

    ssm = aws.client("ssm")
    summary["secrets_created"] = stack.ensure_secrets(ssm, names)

    stage_env, resources = deploy_app(names, outputs, options, region)
    summary["rest_api_url"] = resources.get("rest_api", {}).get("rest_api_url", "")
    summary["websocket_api_url"] = resources.get("websocket_api", {}).get("websocket_api_url", "")

    summary["stream_mapping_changed"] = stack.configure_stream_mapping(
        aws.client("lambda"),
        names.function_name("on_events"),
        outputs["EventsStreamArn"],
        outputs["EventsDeadLetterQueueArn"],
    )

    dist = site.build_dashboard(ROOT) if options.build_dashboard else None
    config = site.dashboard_config(
        api_url=summary["rest_api_url"],
        websocket_url=summary["websocket_api_url"],
        stage=names.stage,
        login_bot_username=stage_env.get("NEZUKO_LOGIN_BOT_USERNAME", ""),
    )
    written = site.upload_site(
        aws.client("s3"), outputs["DashboardBucketName"], site.site_files(dist, config)
    )
    summary["dashboard_uploaded"] = written
    summary["invalidation"] = site.invalidate(
        aws.client("cloudfront"),
        outputs["DashboardDistributionId"],
        site.invalidation_paths(written),
    )
    summary["dashboard_url"] = f"https://{outputs['DashboardDomainName']}"

    if options.repoint_webhooks:
        from infra.aws.webhooks import repoint_webhooks

        keys = stack.read_secret(ssm, names.token_keys_parameter)
        summary["webhooks"] = repoint_webhooks({**stage_env, "AWS_REGION": region}, keys)
    return summary


def parse_env(pairs: Sequence[str]) -> dict[str, str]:
    """``NAME=VALUE`` pairs → dict."""
    env = {}
    for pair in pairs:
        name, sep, value = pair.partition("=")
        if not sep or not name:
            raise SystemExit(f"--set expects NAME=VALUE, got {pair!r}")
        env[name] = value
    return env


def main(argv: list[str] | None = None) -> None:
    """Command-line entry point."""
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawTextHelpFormatter
    )
    parser.add_argument("--stage", required=True)
    parser.add_argument("--region", help="default: AWS_DEFAULT_REGION / your AWS config")
    parser.add_argument("--alarm-email", default="", help="subscribe this address to alarms")
    parser.add_argument(
        "--set",
        action="append",
        default=[],
        metavar="NAME=VALUE",
        help="extra stage environment (e.g. NEZUKO_OPERATOR_IDS=123,456); repeatable",
    )
    parser.add_argument("--skip-dashboard-build", action="store_true")
    parser.add_argument("--skip-webhooks", action="store_true")
    args = parser.parse_args(argv)
    summary = deploy(
        DeployOptions(
            stage=args.stage,
            region=args.region,
            alarm_email=args.alarm_email,
            env=parse_env(args.set),
            build_dashboard=not args.skip_dashboard_build,
            repoint_webhooks=not args.skip_webhooks,
        )
    )
    import json

    print(json.dumps(summary, indent=2, default=str))


if __name__ == "__main__":
    main()
