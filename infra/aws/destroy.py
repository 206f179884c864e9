"""``python -m infra.aws.destroy --stage dev``: remove a stage.

``chalice delete`` → empty the dashboard bucket → delete the infra stack. Tables and log
groups of retained stages (prod) survive the stack (``DeletionPolicy: Retain``) and their
secrets are kept, since the retained tokens can only be decrypted with them.
"""

from __future__ import annotations

import argparse
import os
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from infra.aws import project, site, stack
from infra.aws.deploy import session, stage_names


def destroy(
    stage: str,
    *,
    region: str | None = None,
    chalice: Sequence[str] = project.DEFAULT_CHALICE,
    confirm_retained: bool = False,
    workdir: Path | None = None,
) -> dict[str, Any]:
    """Delete everything of ``stage`` that is not retained; returns a summary."""
    names = stage_names(stage, workdir)
    if names.retained and not confirm_retained:
        raise SystemExit(
            f"{stage} keeps its data; pass --yes-i-mean-{stage} to delete its stack and functions"
        )
    aws = session(region)
    summary: dict[str, Any] = {"stage": stage}
    deployed = project.deployed_resources(names)
    if deployed:
        stream = next((r["stream_arn"] for r in deployed.values() if "stream_arn" in r), "")
        outputs: dict[str, str] = {"EventsStreamArn": stream}
        path = project.write_project(names, project.stage_environment(names, outputs))
        try:
            project.run_chalice(
                path,
                ["delete", "--stage", stage],
                chalice=chalice,
                env={**os.environ, "AWS_DEFAULT_REGION": aws.region_name},
            )
        finally:
            project.save_state(names, path)
        summary["chalice"] = "deleted"
    cfn = aws.client("cloudformation")
    if stack.stack_status(cfn, names.stack_name) is not None:
        bucket = stack.stack_outputs(cfn, names.stack_name).get("DashboardBucketName")
        if bucket:
            summary["objects_deleted"] = site.empty_bucket(aws.client("s3"), bucket)
    summary["stack_deleted"] = stack.delete_stack(cfn, names)
    if not names.retained:
        summary["secrets_deleted"] = stack.delete_secrets(aws.client("ssm"), names)
    return summary


def main(argv: list[str] | None = None) -> None:
    """Command-line entry point."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--stage", required=True)
    parser.add_argument("--region")
    args, rest = parser.parse_known_args(argv)
    confirm = f"--yes-i-mean-{args.stage}" in rest
    print(destroy(args.stage, region=args.region, confirm_retained=confirm))


if __name__ == "__main__":
    main()
