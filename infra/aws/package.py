"""``python -m infra.aws.package --stage dev --out build/package``: one deployable SAM template.

``chalice package`` of the generated project merged with the infra template, then:
- explicit ``FunctionName`` on every function (so log groups, alarms and the IAM policy,
  which use Chalice's deploy-time names, match);
- environment values as CloudFormation references (stream ARN, dashboard origin, websocket
  URLs); the REST URL is a template parameter, because the API references the API handler
  (a reference back would be a cycle): pass ``PublicBaseUrl`` on the second deploy;
- the stream event with partial batch failures, retries, bisect and the on-failure queue;
- ``deployment.zip`` rewritten with precompiled bytecode (``unchecked-hash``: valid whatever
  the file times, so Lambda never recompiles), compiled by the same Python as the runtime;
- validated with cfn-lint when it is installed.
"""

from __future__ import annotations

import argparse
import compileall
import json
import os
import py_compile
import shutil
import statistics
import subprocess
import sys
import tempfile
import zipfile
from pathlib import Path
from typing import Any

from infra.aws import project
from infra.aws.deploy import LAMBDA_PYTHON, check_python
from infra.aws.naming import ROOT, StageNames, functions
from infra.aws.stack import STREAM_MAPPING
from infra.aws.template import build_template, get_att, ref, sub

STREAM_PLACEHOLDER = (
    "arn:aws:dynamodb:us-east-1:000000000000:table/PACKAGE-PLACEHOLDER/stream/1970-01-01T00:00:00"
)
ORIGIN_PLACEHOLDER = "https://PACKAGE-PLACEHOLDER.cloudfront.net"


def package_environment(names: StageNames) -> dict[str, str]:
    """The stage environment with placeholders that ``postprocess`` turns into references."""
    env = project.stage_environment(
        names, {"EventsStreamArn": STREAM_PLACEHOLDER, "DashboardDomainName": ""}
    )
    env["NEZUKO_DASHBOARD_ORIGIN"] = ORIGIN_PLACEHOLDER
    return env


def postprocess(sam: dict[str, Any], names: StageNames) -> dict[str, Any]:
    """Apply the changes listed in the module doc to a merged ``chalice package`` template."""
    by_handler = {handler: resource for resource, handler in functions().items()}
    events_table = next(
        k
        for k, v in sam["Resources"].items()
        if v["Type"] == "AWS::DynamoDB::Table" and v["Properties"].get("StreamSpecification")
    )
    stream_arn = get_att(events_table, "StreamArn")
    ws_url = f"${{WebsocketAPI}}.execute-api.${{AWS::Region}}.${{AWS::URLSuffix}}/{names.ws_stage}"
    sam.setdefault("Parameters", {})["PublicBaseUrl"] = {
        "Type": "String",
        "Default": "",
        "Description": "The REST API's URL (the EndpointURL output of the first deploy)",
    }
    for resource in sam["Resources"].values():
        if resource["Type"] != "AWS::Serverless::Function":
            continue
        props = resource["Properties"]
        name = by_handler.get(props["Handler"])
        if name is None:
            raise ValueError(f"no Chalice function has handler {props['Handler']}")
        props["FunctionName"] = names.function_name(name)
        variables = props.get("Environment", {}).get("Variables", {})
        variables["NEZUKO_EVENTS_STREAM_ARN"] = stream_arn
        variables["NEZUKO_DASHBOARD_ORIGIN"] = sub("https://${DashboardDistribution.DomainName}")
        variables["NEZUKO_PUBLIC_URL"] = ref("PublicBaseUrl")
        if "WebsocketAPI" in sam["Resources"]:
            variables["NEZUKO_WEBSOCKET_URL"] = sub(f"wss://{ws_url}")
            variables["NEZUKO_WEBSOCKET_MANAGEMENT_URL"] = sub(f"https://{ws_url}")
        for event in props.get("Events", {}).values():
            if event["Type"] == "DynamoDB":
                event["Properties"].update(
                    {
                        "Stream": stream_arn,
                        **STREAM_MAPPING,
                        "DestinationConfig": {
                            "OnFailure": {
                                "Type": "SQS",
                                "Destination": get_att("EventsDeadLetterQueue", "Arn"),
                            }
                        },
                    }
                )
    leftover = [s for s in (STREAM_PLACEHOLDER, ORIGIN_PLACEHOLDER) if s in json.dumps(sam)]
    if leftover:
        raise ValueError(f"placeholders left in the template: {leftover}")
    return sam


def precompile_zip(source: Path, target: Path) -> dict[str, int]:
    """Rewrite ``source`` with ``unchecked-hash`` bytecode beside every module."""
    check_python()
    with tempfile.TemporaryDirectory() as tmp:
        tree = Path(tmp)
        with zipfile.ZipFile(source) as zf:
            modes = {i.filename: i.external_attr for i in zf.infolist()}
            zf.extractall(tree)
        compileall.compile_dir(
            str(tree),
            quiet=2,
            workers=0,
            stripdir=str(tree),
            prependdir="/var/task",
            invalidation_mode=py_compile.PycInvalidationMode.UNCHECKED_HASH,
        )
        files = sorted(p for p in tree.rglob("*") if p.is_file())
        with zipfile.ZipFile(target, "w", zipfile.ZIP_DEFLATED) as out:
            for path in files:
                arcname = path.relative_to(tree).as_posix()
                info = zipfile.ZipInfo(arcname, date_time=(1980, 1, 1, 0, 0, 0))
                info.external_attr = modes.get(arcname, 0o644 << 16)
                info.compress_type = zipfile.ZIP_DEFLATED
                out.writestr(info, path.read_bytes())
        pyc = sum(1 for p in files if p.suffix == ".pyc")
    return {"files": len(files), "pyc": pyc, "bytes": target.stat().st_size}


def cfn_lint(template: Path) -> tuple[bool, str]:
    """cfn-lint's verdict (this interpreter's install, not whatever is on PATH)."""
    import importlib.util

    if importlib.util.find_spec("cfnlint") is None:
        return True, "cfn-lint not installed: skipped"
    result = subprocess.run(  # noqa: S603
        [sys.executable, "-c", _CFN_LINT, str(template)], capture_output=True, text=True
    )
    return result.returncode == 0, (result.stdout + result.stderr).strip() or "cfn-lint: clean"


_CFN_LINT = "import sys; from cfnlint.runner import main; sys.exit(main())"

_IMPORT_PROBE = (
    "import sys, time; sys.path.insert(0, sys.argv[1]); t = time.perf_counter(); import app; "
    "print(time.perf_counter() - t)"
)


def measure_import(zip_path: Path, runs: int = 5) -> float:
    """Median seconds to ``import app`` from the unzipped package in fresh interpreters.

    ``-S`` keeps the venv's site-packages out (the zip carries every dependency), ``-B``
    keeps the source-only package from caching bytecode between runs, as on Lambda's
    read-only ``/var/task``.
    """
    env = {
        "PATH": os.environ.get("PATH", ""),
        "AWS_DEFAULT_REGION": "us-east-1",
        "AWS_REGION": "us-east-1",
        "NEZUKO_STAGE": "bench",
        "POWERTOOLS_SERVICE_NAME": "nezuko",
        "NEZUKO_EVENTS_STREAM_ARN": STREAM_PLACEHOLDER,
    }
    with tempfile.TemporaryDirectory() as tmp:
        with zipfile.ZipFile(zip_path) as zf:
            zf.extractall(tmp)
        times = []
        for _ in range(runs):
            out = subprocess.run(  # noqa: S603
                [sys.executable, "-S", "-B", "-c", _IMPORT_PROBE, tmp],
                capture_output=True,
                text=True,
                env=env,
                check=True,
                cwd=tmp,
            )
            times.append(float(out.stdout.strip().splitlines()[-1]))
    return statistics.median(times)


def package(stage: str, out: Path, *, measure: bool = False) -> dict[str, Any]:
    """Build ``out/sam.json`` + ``out/deployment.zip``; returns a summary."""
    check_python()
    names = StageNames.load(stage)
    out = out.resolve()
    work = names.build_dir / "package-work"
    shutil.rmtree(work, ignore_errors=True)
    work.mkdir(parents=True)
    infra = work / "infra.json"
    infra.write_text(json.dumps(build_template(names), indent=1))
    path = project.write_project(names, package_environment(names), dest=work / "project")
    raw = work / "chalice"
    project.run_chalice(
        path,
        ["package", "--stage", stage, "--merge-template", str(infra), str(raw)],
        env={**os.environ, "AWS_DEFAULT_REGION": os.environ.get("AWS_DEFAULT_REGION", "us-east-1")},
    )
    sam = postprocess(json.loads((raw / "sam.json").read_text()), names)
    runtimes = {
        r["Properties"].get("Runtime")
        for r in sam["Resources"].values()
        if r["Type"] == "AWS::Serverless::Function"
    }
    expected = "python{}.{}".format(*LAMBDA_PYTHON)
    if runtimes != {expected}:
        raise SystemExit(f"runtimes {runtimes} != {expected}: the bytecode would not match")
    out.mkdir(parents=True, exist_ok=True)
    (out / "sam.json").write_text(json.dumps(sam, indent=1))
    summary: dict[str, Any] = {"runtime": expected, "out": str(out)}
    summary["naive_zip_bytes"] = (raw / "deployment.zip").stat().st_size
    summary["zip"] = precompile_zip(raw / "deployment.zip", out / "deployment.zip")
    ok, report = cfn_lint(out / "sam.json")
    summary["cfn_lint"] = report
    if measure:
        summary["import_s_without_pyc"] = round(measure_import(raw / "deployment.zip"), 3)
        summary["import_s_with_pyc"] = round(measure_import(out / "deployment.zip"), 3)
    if not ok:
        raise SystemExit(f"cfn-lint failed:\n{report}")
    return summary


def main(argv: list[str] | None = None) -> None:
    """Command-line entry point."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--stage", required=True)
    parser.add_argument("--out", type=Path, default=ROOT / "build" / "package")
    parser.add_argument(
        "--measure", action="store_true", help="time `import app` with and without .pyc"
    )
    args = parser.parse_args(argv)
    print(json.dumps(package(args.stage, args.out, measure=args.measure), indent=2))


if __name__ == "__main__":
    main()
