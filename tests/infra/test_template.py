"""The infra template is derived from the code: tables, functions, metrics."""

from __future__ import annotations

import json
from typing import Any

import pytest
import yaml

from chalicelib.store.schema import table_definitions
from infra.aws.naming import StageNames, chalice_config, functions
from infra.aws.template import EMF_DIMENSIONS, EMF_NAMESPACE, build_template, to_yaml

STAGES = ["dev", "prod"]


def _rendered(stage: str) -> dict[str, Any]:
    """The template as CloudFormation will read it: YAML text parsed back."""
    return dict(yaml.safe_load(to_yaml(build_template(StageNames.load(stage)))))


def _of_type(template: dict[str, Any], kind: str) -> dict[str, Any]:
    return {k: v for k, v in template["Resources"].items() if v["Type"] == kind}


@pytest.mark.parametrize("stage", STAGES)
def test_the_template_tables_are_exactly_the_model_definitions(stage: str) -> None:
    # Given the models' CreateTable definitions and the rendered template
    names = StageNames.load(stage)
    expected = {d["TableName"]: d for d in table_definitions(names.settings())}
    tables = {
        r["Properties"]["TableName"]: r["Properties"]
        for r in _of_type(_rendered(stage), "AWS::DynamoDB::Table").values()
    }
    # Then every model has its table and nothing else is there
    assert set(tables) == set(expected)
    for name, want in expected.items():
        got = tables[name]
        assert got["KeySchema"] == want["KeySchema"]
        assert got["AttributeDefinitions"] == want["AttributeDefinitions"]
        assert got.get("GlobalSecondaryIndexes", []) == want.get("GlobalSecondaryIndexes", [])
        assert got["BillingMode"] == "PAY_PER_REQUEST"
        stream = want.get("StreamSpecification", {}).get("StreamViewType")
        assert got.get("StreamSpecification", {}).get("StreamViewType") == stream
        ttl = want.get("TimeToLiveAttribute")
        assert got.get("TimeToLiveSpecification") == (
            {"AttributeName": ttl, "Enabled": True} if ttl else None
        )
        assert got["PointInTimeRecoverySpecification"] == {"PointInTimeRecoveryEnabled": True}


def test_prod_data_outlives_the_stack_and_dev_data_does_not() -> None:
    for stage, policy, protected in (("prod", "Retain", True), ("dev", "Delete", False)):
        for table in _of_type(_rendered(stage), "AWS::DynamoDB::Table").values():
            assert table["DeletionPolicy"] == table["UpdateReplacePolicy"] == policy
            assert table["Properties"]["DeletionProtectionEnabled"] is protected


@pytest.mark.parametrize("stage", STAGES)
def test_every_chalice_function_has_a_log_group_and_error_and_throttle_alarms(stage: str) -> None:
    names = StageNames.load(stage)
    template = _rendered(stage)
    groups = {
        g["Properties"]["LogGroupName"] for g in _of_type(template, "AWS::Logs::LogGroup").values()
    }
    alarmed = {
        (a["Properties"]["MetricName"], a["Properties"]["Dimensions"][0]["Value"])
        for a in _of_type(template, "AWS::CloudWatch::Alarm").values()
        if a["Properties"].get("Namespace") == "AWS/Lambda"
    }
    for resource in functions():
        assert names.log_group(resource) in groups
        assert ("Errors", names.function_name(resource)) in alarmed
        assert ("Throttles", names.function_name(resource)) in alarmed
    assert f"/aws/lambda/nezuko-{stage}" in groups  # Chalice's name for the REST handler


def test_every_function_has_explicit_memory_and_timeout_in_the_chalice_config() -> None:
    configured = chalice_config()["lambda_functions"]
    for resource in functions():
        assert {"lambda_memory_size", "lambda_timeout"} <= set(configured[resource]), resource
    assert configured["api_handler"] == {"lambda_memory_size": 512, "lambda_timeout": 25}


def test_the_alarms_watch_the_namespace_and_dimensions_the_app_emits() -> None:
    # Given the app's metrics object, When it serializes a metric
    from chalicelib.observability import metrics

    metrics.add_metric(name="WebhookRetryable", unit="Count", value=1)
    try:
        emitted = metrics.serialize_metric_set()
    finally:
        metrics.clear_metrics()
    directive = emitted["_aws"]["CloudWatchMetrics"][0]
    # Then the alarms' namespace and dimension set are exactly those
    assert directive["Namespace"] == EMF_NAMESPACE
    assert {d: emitted[d] for d in directive["Dimensions"][0]} == EMF_DIMENSIONS


def test_the_rendered_yaml_has_no_anchors_which_cloudformation_rejects() -> None:
    text = to_yaml(build_template(StageNames.load("dev")))
    assert "&id0" not in text and "*id0" not in text


def test_the_dashboard_body_is_json_once_the_region_is_substituted() -> None:
    board = _of_type(_rendered("dev"), "AWS::CloudWatch::Dashboard")["Dashboard"]
    body = board["Properties"]["DashboardBody"]["Fn::Sub"].replace("${AWS::Region}", "eu-west-1")
    assert json.loads(body)["widgets"]


def test_the_uptime_alarm_queries_the_metric_the_heartbeat_emits() -> None:
    # Given one heartbeat datapoint as the app writes it
    import contextlib
    import io
    import os

    from chalicelib.uptime.heartbeat import emit_bot_healthy
    from infra.aws.template import UPTIME_DIMENSIONS, UPTIME_METRIC

    out = io.StringIO()
    os.environ.setdefault("POWERTOOLS_SERVICE_NAME", "nezuko")
    with contextlib.redirect_stdout(out):
        emit_bot_healthy(1, True)
    directive = json.loads(out.getvalue().splitlines()[-1])["_aws"]["CloudWatchMetrics"][0]
    # Then the alarm's query names its namespace, metric and exact dimension set
    assert directive["Namespace"] == EMF_NAMESPACE
    assert directive["Metrics"][0]["Name"] == UPTIME_METRIC
    assert sorted(directive["Dimensions"][0]) == sorted(UPTIME_DIMENSIONS)
