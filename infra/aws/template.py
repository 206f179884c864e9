"""The infra stack of one stage as a CloudFormation template (a plain dict).

Everything that must match the code is derived, not written: the tables come from
``chalicelib.store.schema.table_definitions`` (PynamoDB models), function and log group
names from Chalice's naming rules (``naming``), queries from ``queries``. Intrinsic functions
are written in their long form (``{"Ref": ...}``) so the template is plain YAML/JSON.
"""

from __future__ import annotations

import json
from typing import Any

from chalicelib.store.schema import table_definitions
from infra.aws.naming import StageNames, functions
from infra.aws.queries import QUERIES

#: Where the app's EMF metrics land: ``chalicelib.observability.metrics`` (namespace and the
#: ``service`` dimension powertools adds). A unit test checks the app still emits exactly these.
EMF_NAMESPACE = "Nezuko"
EMF_DIMENSIONS: dict[str, str] = {"service": "nezuko"}
#: The heartbeat's per-bot health datapoint (1/0 each minute), ``chalicelib.uptime.heartbeat``.
UPTIME_METRIC = "BotHealthy"
UPTIME_DIMENSIONS = ("bot_id", *EMF_DIMENSIONS)
_UPTIME_SCHEMA = ", ".join([f'"{EMF_NAMESPACE}"', *UPTIME_DIMENSIONS])
#: Metrics Insights over every bot's datapoints (constants only: no input reaches these).
UPTIME_QUERY = f"SELECT AVG({UPTIME_METRIC}) FROM SCHEMA({_UPTIME_SCHEMA})"  # noqa: S608
HEALTH_BY_BOT_QUERY = f"SELECT MIN({UPTIME_METRIC}) FROM SCHEMA({_UPTIME_SCHEMA}) GROUP BY bot_id"  # noqa: S608

# CloudFront managed policies (fixed ids, documented by AWS).
CACHING_OPTIMIZED = "658327ea-f89d-4fab-a63d-7e88639e58f6"
SECURITY_HEADERS = "67f7725c-6f97-4210-82d7-5512b31e9d03"

LOG_RETENTION_DAYS = {"prod": 365}
DEFAULT_LOG_RETENTION_DAYS = 30

Template = dict[str, Any]


def ref(name: str) -> dict[str, str]:
    """``!Ref name``."""
    return {"Ref": name}


def get_att(name: str, attribute: str) -> dict[str, list[str]]:
    """``!GetAtt name.attribute``."""
    return {"Fn::GetAtt": [name, attribute]}


def sub(text: str) -> dict[str, str]:
    """``!Sub text``."""
    return {"Fn::Sub": text}


def camel(name: str) -> str:
    """``websocket_connect`` / ``by-owner`` → ``WebsocketConnect`` / ``ByOwner`` (logical ids)."""
    return "".join(part[:1].upper() + part[1:] for part in name.replace("-", "_").split("_"))


def table_logical_id(names: StageNames, table_name: str) -> str:
    """``nezuko-dev-events`` → ``EventsTable``."""
    return camel(table_name.removeprefix(f"{names.table_prefix}-")) + "Table"


def function_logical_id(resource: str) -> str:
    """``on_events`` → ``OnEvents``."""
    return camel(resource)


def _policies(names: StageNames) -> dict[str, str]:
    policy = "Retain" if names.retained else "Delete"
    return {"DeletionPolicy": policy, "UpdateReplacePolicy": policy}


def _tags(names: StageNames) -> list[dict[str, str]]:
    return [{"Key": "app", "Value": names.app_name}, {"Key": "stage", "Value": names.stage}]


def table_resource(names: StageNames, definition: dict[str, Any]) -> dict[str, Any]:
    """An ``AWS::DynamoDB::Table`` for one CreateTable-shaped definition."""
    props: dict[str, Any] = {
        "TableName": definition["TableName"],
        "BillingMode": "PAY_PER_REQUEST",
        "KeySchema": definition["KeySchema"],
        "AttributeDefinitions": definition["AttributeDefinitions"],
    }
    if definition.get("GlobalSecondaryIndexes"):
        props["GlobalSecondaryIndexes"] = definition["GlobalSecondaryIndexes"]
    stream = definition.get("StreamSpecification")
    if stream and stream.get("StreamEnabled"):
        props["StreamSpecification"] = {"StreamViewType": stream["StreamViewType"]}
    if definition.get("TimeToLiveAttribute"):
        props["TimeToLiveSpecification"] = {
            "AttributeName": definition["TimeToLiveAttribute"],
            "Enabled": True,
        }
    props["PointInTimeRecoverySpecification"] = {"PointInTimeRecoveryEnabled": True}
    props["DeletionProtectionEnabled"] = names.retained
    props["Tags"] = _tags(names)
    return {"Type": "AWS::DynamoDB::Table", **_policies(names), "Properties": props}


def _tables(names: StageNames, t: Template) -> str:
    """Adds every table; returns the logical id of the table with a stream (events)."""
    streamed = ""
    for definition in table_definitions(names.settings()):
        logical = table_logical_id(names, definition["TableName"])
        t["Resources"][logical] = table_resource(names, definition)
        t["Outputs"][f"{logical}Name"] = {"Value": ref(logical)}
        if definition.get("StreamSpecification"):
            streamed = logical
    if not streamed:
        raise ValueError("no table has a stream: the events pipeline needs one")
    t["Outputs"]["EventsStreamArn"] = {"Value": get_att(streamed, "StreamArn")}
    return streamed


def _dashboard_site(names: StageNames, t: Template) -> None:
    r = t["Resources"]
    r["DashboardBucket"] = {
        "Type": "AWS::S3::Bucket",
        "DeletionPolicy": "Delete",
        "UpdateReplacePolicy": "Delete",
        "Properties": {
            "PublicAccessBlockConfiguration": {
                "BlockPublicAcls": True,
                "BlockPublicPolicy": True,
                "IgnorePublicAcls": True,
                "RestrictPublicBuckets": True,
            },
            "OwnershipControls": {"Rules": [{"ObjectOwnership": "BucketOwnerEnforced"}]},
            "BucketEncryption": {
                "ServerSideEncryptionConfiguration": [
                    {"ServerSideEncryptionByDefault": {"SSEAlgorithm": "AES256"}}
                ]
            },
            "Tags": _tags(names),
        },
    }
    r["DashboardOriginAccessControl"] = {
        "Type": "AWS::CloudFront::OriginAccessControl",
        "Properties": {
            "OriginAccessControlConfig": {
                "Name": f"{names.app_name}-{names.stage}-dashboard",
                "Description": "CloudFront reads the private dashboard bucket",
                "OriginAccessControlOriginType": "s3",
                "SigningBehavior": "always",
                "SigningProtocol": "sigv4",
            }
        },
    }
    spa_fallback = [
        {
            "ErrorCode": code,
            "ResponseCode": 200,
            "ResponsePagePath": "/index.html",
            "ErrorCachingMinTTL": 0,
        }
        for code in (403, 404)  # a missing key is a 403 through OAC (no ListBucket)
    ]
    r["DashboardDistribution"] = {
        "Type": "AWS::CloudFront::Distribution",
        "Properties": {
            "DistributionConfig": {
                "Enabled": True,
                "Comment": f"{names.app_name} {names.stage} dashboard",
                "DefaultRootObject": "index.html",
                "HttpVersion": "http2and3",
                "IPV6Enabled": True,
                "PriceClass": "PriceClass_100",
                "Origins": [
                    {
                        "Id": "dashboard-bucket",
                        "DomainName": get_att("DashboardBucket", "RegionalDomainName"),
                        "S3OriginConfig": {"OriginAccessIdentity": ""},
                        "OriginAccessControlId": get_att("DashboardOriginAccessControl", "Id"),
                    }
                ],
                "DefaultCacheBehavior": {
                    "TargetOriginId": "dashboard-bucket",
                    "ViewerProtocolPolicy": "redirect-to-https",
                    "AllowedMethods": ["GET", "HEAD", "OPTIONS"],
                    "CachedMethods": ["GET", "HEAD"],
                    "Compress": True,
                    "CachePolicyId": CACHING_OPTIMIZED,
                    "ResponseHeadersPolicyId": SECURITY_HEADERS,
                },
                "CustomErrorResponses": spa_fallback,
            },
            "Tags": _tags(names),
        },
    }
    bucket_arn = get_att("DashboardBucket", "Arn")
    r["DashboardBucketPolicy"] = {
        "Type": "AWS::S3::BucketPolicy",
        "Properties": {
            "Bucket": ref("DashboardBucket"),
            "PolicyDocument": {
                "Version": "2012-10-17",
                "Statement": [
                    {
                        "Sid": "CloudFrontReadsThroughOAC",
                        "Effect": "Allow",
                        "Principal": {"Service": "cloudfront.amazonaws.com"},
                        "Action": "s3:GetObject",
                        "Resource": {"Fn::Join": ["", [bucket_arn, "/*"]]},
                        "Condition": {
                            "StringEquals": {
                                "AWS:SourceArn": sub(
                                    "arn:${AWS::Partition}:cloudfront::${AWS::AccountId}"
                                    ":distribution/${DashboardDistribution}"
                                )
                            }
                        },
                    },
                    {
                        "Sid": "TlsOnly",
                        "Effect": "Deny",
                        "Principal": "*",
                        "Action": "s3:*",
                        "Resource": [bucket_arn, {"Fn::Join": ["", [bucket_arn, "/*"]]}],
                        "Condition": {"Bool": {"aws:SecureTransport": "false"}},
                    },
                ],
            },
        },
    }
    o = t["Outputs"]
    o["DashboardBucketName"] = {"Value": ref("DashboardBucket")}
    o["DashboardDistributionId"] = {"Value": ref("DashboardDistribution")}
    o["DashboardDomainName"] = {"Value": get_att("DashboardDistribution", "DomainName")}


def _logs(names: StageNames, t: Template) -> None:
    r = t["Resources"]
    retention = LOG_RETENTION_DAYS.get(names.stage, DEFAULT_LOG_RETENTION_DAYS)
    groups = []
    for resource in functions():
        logical = f"{function_logical_id(resource)}LogGroup"
        groups.append(ref(logical))
        r[logical] = {
            "Type": "AWS::Logs::LogGroup",
            # Audit logs of retained stages outlive the stack, like their tables.
            **_policies(names),
            "Properties": {
                "LogGroupName": names.log_group(resource),
                "RetentionInDays": retention,
            },
        }
    for key, query in QUERIES.items():
        r[f"{camel(key)}Query"] = {
            "Type": "AWS::Logs::QueryDefinition",
            "Properties": {
                "Name": f"{names.app_name}-{names.stage}/{key}",
                "LogGroupNames": groups,
                "QueryString": query,
            },
        }


def _dlq(names: StageNames, t: Template) -> None:
    t["Resources"]["EventsDeadLetterQueue"] = {
        "Type": "AWS::SQS::Queue",
        "Properties": {
            "QueueName": names.events_dlq,
            "MessageRetentionPeriod": 1_209_600,  # 14 days, the maximum
            "SqsManagedSseEnabled": True,
            "Tags": _tags(names),
        },
    }
    t["Outputs"]["EventsDeadLetterQueueArn"] = {"Value": get_att("EventsDeadLetterQueue", "Arn")}
    t["Outputs"]["EventsDeadLetterQueueUrl"] = {"Value": ref("EventsDeadLetterQueue")}


def _alarm(
    *,
    description: str,
    namespace: str,
    metric: str,
    dimensions: dict[str, str],
    statistic: str,
    comparison: str,
    threshold: Any,
    periods: int = 1,
    period: int = 300,
    missing: str = "notBreaching",
) -> dict[str, Any]:
    return {
        "Type": "AWS::CloudWatch::Alarm",
        "Properties": {
            "AlarmDescription": description,
            "Namespace": namespace,
            "MetricName": metric,
            "Dimensions": [{"Name": k, "Value": v} for k, v in dimensions.items()],
            "Statistic": statistic,
            "Period": period,
            "EvaluationPeriods": periods,
            "DatapointsToAlarm": periods,
            "Threshold": threshold,
            "ComparisonOperator": comparison,
            "TreatMissingData": missing,
            "AlarmActions": [ref("AlarmTopic")],
            "OKActions": [ref("AlarmTopic")],
        },
    }


def _alarms(names: StageNames, t: Template) -> None:
    r = t["Resources"]
    r["AlarmTopic"] = {
        "Type": "AWS::SNS::Topic",
        "Properties": {"TopicName": names.alarm_topic, "Tags": _tags(names)},
    }
    r["AlarmEmailSubscription"] = {
        "Type": "AWS::SNS::Subscription",
        "Condition": "HasAlarmEmail",
        "Properties": {
            "TopicArn": ref("AlarmTopic"),
            "Protocol": "email",
            "Endpoint": ref("AlarmEmail"),
        },
    }
    gte = "GreaterThanOrEqualToThreshold"
    for resource in functions():
        fn = names.function_name(resource)
        logical = function_logical_id(resource)
        for metric in ("Errors", "Throttles"):
            r[f"{logical}{metric}Alarm"] = _alarm(
                description=f"{fn}: {metric.lower()} in the last 5 minutes",
                namespace="AWS/Lambda",
                metric=metric,
                dimensions={"FunctionName": fn},
                statistic="Sum",
                comparison=gte,
                threshold=1,
            )
    r["EventsIteratorAgeAlarm"] = _alarm(
        description="The events stream handler is more than a minute behind",
        namespace="AWS/Lambda",
        metric="IteratorAge",
        dimensions={"FunctionName": names.function_name("on_events")},
        statistic="Maximum",
        comparison="GreaterThanThreshold",
        threshold=60_000,
        periods=3,
        period=60,
    )
    r["EventsDeadLetterAlarm"] = _alarm(
        description="Stream batches were given up on (see the events dead-letter queue)",
        namespace="AWS/SQS",
        metric="ApproximateNumberOfMessagesVisible",
        dimensions={"QueueName": names.events_dlq},
        statistic="Maximum",
        comparison=gte,
        threshold=1,
    )
    r["WebhookRetryableAlarm"] = _alarm(
        description="Webhook deliveries answered 503 (Telegram will retry them)",
        namespace=EMF_NAMESPACE,
        metric="WebhookRetryable",
        dimensions=EMF_DIMENSIONS,
        statistic="Sum",
        comparison=gte,
        threshold=5,
    )
    r["Api5xxAlarm"] = _alarm(
        description="The REST API (webhooks and dashboard API) answered 5xx",
        namespace="AWS/ApiGateway",
        metric="5XXError",
        dimensions={"ApiName": names.rest_api_name, "Stage": names.api_stage},
        statistic="Sum",
        comparison=gte,
        threshold=5,
    )
    r["UptimeAlarm"] = {
        "Type": "AWS::CloudWatch::Alarm",
        "Properties": {
            "AlarmDescription": "Fleet uptime (share of healthy bot heartbeats) fell below "
            "the target for 15 minutes",
            "Metrics": [
                {
                    "Id": "uptime",
                    "Expression": UPTIME_QUERY,
                    "Period": 300,
                    "ReturnData": True,
                }
            ],
            "EvaluationPeriods": 3,
            "DatapointsToAlarm": 3,
            "Threshold": ref("UptimeTarget"),
            "ComparisonOperator": "LessThanThreshold",
            # no heartbeats at all is caught by the heartbeat function's Errors alarm
            "TreatMissingData": "missing",
            "AlarmActions": [ref("AlarmTopic")],
            "OKActions": [ref("AlarmTopic")],
        },
    }
    t["Outputs"]["AlarmTopicArn"] = {"Value": ref("AlarmTopic")}


def dashboard_body(names: StageNames) -> str:
    """The CloudWatch dashboard's JSON (``${AWS::Region}`` left for ``Fn::Sub``)."""
    region = "${AWS::Region}"
    fns = [names.function_name(r) for r in functions()]
    emf = [EMF_NAMESPACE, "", *[x for kv in EMF_DIMENSIONS.items() for x in kv]]

    def lambda_metric(metric: str, stat: str) -> list[list[Any]]:
        return [["AWS/Lambda", metric, "FunctionName", fn, {"stat": stat}] for fn in fns]

    def emf_metric(*metrics: str) -> list[list[Any]]:
        return [[emf[0], m, *emf[2:], {"stat": "Sum"}] for m in metrics]

    def widget(title: str, metrics: list[list[Any]], x: int, y: int) -> dict[str, Any]:
        return {
            "type": "metric",
            "x": x,
            "y": y,
            "width": 12,
            "height": 6,
            "properties": {
                "title": title,
                "region": region,
                "view": "timeSeries",
                "stacked": False,
                "period": 60,
                "metrics": metrics,
            },
        }

    api = ["AWS/ApiGateway", "", "ApiName", names.rest_api_name, "Stage", names.api_stage]
    log_sources = " | ".join(f"SOURCE '{g}'" for g in names.log_groups)
    widgets = [
        widget("Invocations", lambda_metric("Invocations", "Sum"), 0, 0),
        widget("Errors", lambda_metric("Errors", "Sum"), 12, 0),
        widget("Duration p95", lambda_metric("Duration", "p95"), 0, 6),
        widget("Throttles", lambda_metric("Throttles", "Sum"), 12, 6),
        widget(
            "REST API",
            [
                [api[0], "Count", *api[2:], {"stat": "Sum"}],
                [api[0], "4XXError", *api[2:], {"stat": "Sum"}],
                [api[0], "5XXError", *api[2:], {"stat": "Sum"}],
            ],
            0,
            12,
        ),
        widget(
            "Events stream iterator age (max)",
            [
                [
                    "AWS/Lambda",
                    "IteratorAge",
                    "FunctionName",
                    names.function_name("on_events"),
                    {"stat": "Maximum"},
                ]
            ],
            12,
            12,
        ),
        widget(
            "Webhooks",
            emf_metric("WebhookRetryable", "WebhookRejected", "UpdateErrors", "UpdateCrashes"),
            0,
            18,
        ),
        widget("Telegram and fan-out", emf_metric("TelegramCalls", "FanoutFailures"), 12, 18),
        {
            "type": "metric",
            "x": 0,
            "y": 24,
            "width": 12,
            "height": 6,
            "properties": {
                "title": "Bot health (min per bot, 1 = healthy)",
                "region": region,
                "view": "timeSeries",
                "period": 300,
                "metrics": [
                    [
                        {
                            "expression": HEALTH_BY_BOT_QUERY,
                            "id": "health",
                        }
                    ]
                ],
            },
        },
        {
            "type": "log",
            "x": 12,
            "y": 24,
            "width": 12,
            "height": 6,
            "properties": {
                "title": "Decisions by type and reason (last 3 h)",
                "region": region,
                "view": "table",
                "query": f'{log_sources} | filter message = "decision"'
                " | stats count(*) as n by event_type, reason | sort n desc",
            },
        },
    ]
    return json.dumps({"widgets": widgets}, separators=(",", ":"))


def build_template(names: StageNames) -> Template:
    """The whole infra stack of ``names.stage``."""
    t: Template = {
        "AWSTemplateFormatVersion": "2010-09-09",
        "Description": f"{names.app_name} {names.stage}: tables, dashboard site, queues, "
        "logs, alarms (generated by infra.aws.render; do not edit)",
        "Parameters": {
            "AlarmEmail": {
                "Type": "String",
                "Default": "",
                "Description": "E-mail address subscribed to alarms (empty: none)",
            },
            "UptimeTarget": {
                "Type": "Number",
                "Default": 0.99,
                "MinValue": 0,
                "MaxValue": 1,
                "Description": "Alarm when the share of healthy bot heartbeats falls below this",
            },
        },
        "Conditions": {"HasAlarmEmail": {"Fn::Not": [{"Fn::Equals": [ref("AlarmEmail"), ""]}]}},
        "Resources": {},
        "Outputs": {},
    }
    _tables(names, t)
    _dlq(names, t)
    _dashboard_site(names, t)
    _logs(names, t)
    _alarms(names, t)
    t["Resources"]["Dashboard"] = {
        "Type": "AWS::CloudWatch::Dashboard",
        "Properties": {
            "DashboardName": names.dashboard_name,
            "DashboardBody": sub(dashboard_body(names)),
        },
    }
    o = t["Outputs"]
    o["TokenKeysParameterName"] = {"Value": names.token_keys_parameter}
    o["SessionSecretParameterName"] = {"Value": names.session_secret_parameter}
    return t


def to_yaml(template: Template) -> str:
    """The template as YAML (long-form intrinsics, key order kept)."""
    import yaml

    class NoAliases(yaml.SafeDumper):
        """CloudFormation rejects YAML anchors/aliases: write shared values out in full."""

        def ignore_aliases(self, data: Any) -> bool:
            return True

    return str(
        yaml.dump(template, Dumper=NoAliases, sort_keys=False, width=100, allow_unicode=True)
    )
