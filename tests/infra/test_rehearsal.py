"""Deploy rehearsal: the whole deploy flow against moto server (no AWS), then destroy.

What moto cannot stand in for is listed in docs/deploy.md ("What the rehearsal covers").
"""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

pytestmark = pytest.mark.integration

pytest.importorskip("moto", reason="moto[server] is not installed (requirements-dev.txt)")
pytest.importorskip("flask", reason="moto's server mode needs moto[server]")

from chalicelib.store.schema import table_definitions  # noqa: E402
from infra.aws import project  # noqa: E402
from infra.aws.deploy import DeployOptions, deploy, stage_names  # noqa: E402
from infra.aws.destroy import destroy  # noqa: E402
from infra.aws.stack import STREAM_MAPPING  # noqa: E402
from infra.aws.template import Template  # noqa: E402

HERE = Path(__file__).resolve().parent
CHALICE_ON_MOTO = (sys.executable, str(HERE / "chalice_moto.py"))
#: moto's CloudFormation has no CloudFront or bucket policy resources.
NOT_IN_MOTO = ("DashboardDistribution", "DashboardOriginAccessControl", "DashboardBucketPolicy")


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture(scope="module")
def moto_endpoint() -> Iterator[str]:
    """A moto server on a free port, with the AWS environment pointed at it."""
    port = _free_port()
    proc = subprocess.Popen(
        [sys.executable, "-m", "moto.server", "-p", str(port)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    endpoint = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 30
    while True:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.5).close()
            break
        except OSError:
            if time.monotonic() > deadline or proc.poll() is not None:
                proc.kill()
                pytest.fail("moto server did not start")
            time.sleep(0.2)
    saved = {k: os.environ.get(k) for k in ("AWS_ENDPOINT_URL", "AWS_DEFAULT_REGION")}
    os.environ["AWS_ENDPOINT_URL"] = endpoint
    os.environ["AWS_DEFAULT_REGION"] = "us-east-1"
    try:
        yield endpoint
    finally:
        for k, v in saved.items():
            if v is None:
                os.environ.pop(k, None)
            else:
                os.environ[k] = v
        proc.terminate()
        proc.wait(timeout=10)


@pytest.fixture(scope="module")
def aws(moto_endpoint: str) -> Any:
    import boto3

    return boto3.session.Session(region_name="us-east-1")


def _without_cloudfront(aws: Any) -> Any:
    """Stand-in for what moto's CloudFormation lacks: a distribution made through the API."""
    distribution = aws.client("cloudfront").create_distribution(
        DistributionConfig={
            "CallerReference": "rehearsal",
            "Comment": "rehearsal",
            "Enabled": True,
            "Origins": {
                "Quantity": 1,
                "Items": [
                    {
                        "Id": "dashboard-bucket",
                        "DomainName": "bucket.s3.amazonaws.com",
                        "S3OriginConfig": {"OriginAccessIdentity": ""},
                    }
                ],
            },
            "DefaultCacheBehavior": {
                "TargetOriginId": "dashboard-bucket",
                "ViewerProtocolPolicy": "redirect-to-https",
            },
        }
    )["Distribution"]

    def adapt(template: Template) -> Template:
        for name in NOT_IN_MOTO:
            template["Resources"].pop(name)
        template["Outputs"]["DashboardDistributionId"] = {"Value": distribution["Id"]}
        template["Outputs"]["DashboardDomainName"] = {"Value": distribution["DomainName"]}
        return template

    return adapt


@pytest.fixture(scope="module")
def rehearsal(aws: Any, tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    """Deploy twice (the second run must change nothing), keeping both summaries."""
    workdir = tmp_path_factory.mktemp("deploy")
    options = DeployOptions(
        stage="dev",
        chalice=CHALICE_ON_MOTO,
        build_dashboard=False,
        adapt_template=_without_cloudfront(aws),
        workdir=workdir,
        env={"NEZUKO_OPERATOR_IDS": "42"},
    )
    first = deploy(options)
    second = deploy(options)
    return {
        "first": first,
        "second": second,
        "workdir": workdir,
        "names": stage_names("dev", workdir),
    }


def _shape(definition: dict[str, Any]) -> dict[str, Any]:
    return {
        "keys": sorted((k["AttributeName"], k["KeyType"]) for k in definition["KeySchema"]),
        "attributes": sorted(
            (a["AttributeName"], a["AttributeType"]) for a in definition["AttributeDefinitions"]
        ),
        "indexes": sorted(
            (
                g["IndexName"],
                tuple(sorted((k["AttributeName"], k["KeyType"]) for k in g["KeySchema"])),
                g["Projection"]["ProjectionType"],
            )
            for g in definition.get("GlobalSecondaryIndexes", [])
        ),
        "stream": (definition.get("StreamSpecification") or {}).get("StreamViewType"),
    }


def test_the_stack_creates_every_table_exactly_as_the_models_define_it(
    rehearsal: dict[str, Any], aws: Any
) -> None:
    # Given a deployed stage, When each model's table is described, Then it matches the model.
    ddb = aws.client("dynamodb")
    for definition in table_definitions(rehearsal["names"].settings()):
        table = ddb.describe_table(TableName=definition["TableName"])["Table"]
        assert _shape(table) == _shape(definition), definition["TableName"]
        assert table["BillingModeSummary"]["BillingMode"] == "PAY_PER_REQUEST"


def test_the_secrets_exist_as_secure_strings_and_survive_a_redeploy(
    rehearsal: dict[str, Any], aws: Any
) -> None:
    names = rehearsal["names"]
    ssm = aws.client("ssm")
    for name in (names.token_keys_parameter, names.session_secret_parameter):
        assert ssm.get_parameter(Name=name)["Parameter"]["Type"] == "SecureString"
    assert len(rehearsal["first"]["secrets_created"]) == 2
    assert rehearsal["second"]["secrets_created"] == []


def test_the_stream_mapping_reports_partial_failures_and_parks_failures_in_the_queue(
    rehearsal: dict[str, Any], aws: Any
) -> None:
    names = rehearsal["names"]
    lam = aws.client("lambda")
    arn = lam.get_function_configuration(FunctionName=names.function_name("on_events"))
    # moto filters by ARN only (AWS takes the name too)
    mappings = lam.list_event_source_mappings(FunctionName=arn["FunctionArn"])[
        "EventSourceMappings"
    ]
    assert len(mappings) == 1
    mapping = mappings[0]
    for key, value in STREAM_MAPPING.items():
        assert mapping[key] == value, key
    assert mapping["DestinationConfig"]["OnFailure"]["Destination"].endswith(names.events_dlq)
    assert rehearsal["first"]["stream_mapping_changed"]
    assert rehearsal["second"]["stream_mapping_changed"] == []


def test_the_functions_get_the_stack_outputs_through_the_generated_config(
    rehearsal: dict[str, Any], aws: Any
) -> None:
    names = rehearsal["names"]
    env = aws.client("lambda").get_function_configuration(
        FunctionName=names.function_name("on_events")
    )["Environment"]["Variables"]
    stream = aws.client("dynamodb").describe_table(TableName=f"{names.table_prefix}-events")
    assert env["NEZUKO_EVENTS_STREAM_ARN"] == stream["Table"]["LatestStreamArn"]
    assert env["NEZUKO_TOKEN_KEYS_PARAMETER"] == names.token_keys_parameter
    assert env["NEZUKO_PUBLIC_URL"] == rehearsal["first"]["rest_api_url"].rstrip("/")
    assert env["NEZUKO_WEBSOCKET_MANAGEMENT_URL"].startswith("https://")
    assert env["NEZUKO_OPERATOR_IDS"] == "42"
    # the committed config is untouched: the values live in the generated project only
    assert "NEZUKO_EVENTS_STREAM_ARN" not in (project.ROOT / ".chalice" / "config.json").read_text()


def test_the_dashboard_bucket_gets_its_config_with_no_cache_headers(
    rehearsal: dict[str, Any], aws: Any
) -> None:
    import json

    s3 = aws.client("s3")
    bucket = aws.client("cloudformation").describe_stacks(StackName=rehearsal["names"].stack_name)[
        "Stacks"
    ][0]["Outputs"]
    bucket_name = next(o["OutputValue"] for o in bucket if o["OutputKey"] == "DashboardBucketName")
    obj = s3.get_object(Bucket=bucket_name, Key="config.json")
    assert obj["CacheControl"] == "no-cache"
    assert obj["ContentType"].startswith("application/json")
    config = json.loads(obj["Body"].read())
    assert config["apiUrl"] == rehearsal["first"]["rest_api_url"].rstrip("/")
    assert rehearsal["first"]["invalidation"]


def test_a_second_deploy_changes_nothing(rehearsal: dict[str, Any]) -> None:
    second = rehearsal["second"]
    assert second["stack"] == "unchanged"
    assert second["dashboard_uploaded"] == []
    assert second["invalidation"] is None
    assert second["rest_api_url"] == rehearsal["first"]["rest_api_url"]
    assert second["webhooks"] == {"pointed": [], "failed": {}}


def test_destroy_removes_the_functions_the_stack_and_the_dev_secrets(
    rehearsal: dict[str, Any], aws: Any
) -> None:
    names = rehearsal["names"]
    summary = destroy("dev", chalice=CHALICE_ON_MOTO, workdir=rehearsal["workdir"])
    assert summary["stack_deleted"] is True
    functions = aws.client("lambda").list_functions()["Functions"]
    assert not [f for f in functions if f["FunctionName"].startswith(f"nezuko-{names.stage}")]
    assert len(summary["secrets_deleted"]) == 2
