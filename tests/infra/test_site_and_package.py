"""Dashboard upload headers and the SAM post-processing, without AWS."""

from __future__ import annotations

from typing import Any

from infra.aws.naming import StageNames, functions
from infra.aws.package import STREAM_PLACEHOLDER, postprocess
from infra.aws.site import IMMUTABLE, NO_CACHE, cache_control, invalidation_paths
from infra.aws.stack import STREAM_MAPPING


def test_entry_points_revalidate_and_hashed_assets_are_immutable() -> None:
    assert cache_control("index.html") == NO_CACHE
    assert cache_control("config.json") == NO_CACHE
    assert cache_control("assets/index-BkX8aQ2z.js") == IMMUTABLE
    assert cache_control("favicon.ico") != IMMUTABLE


def test_only_rewritten_mutable_files_are_invalidated() -> None:
    assert invalidation_paths(["assets/app-3f9c2a1b.js"]) == []
    assert invalidation_paths(["index.html", "config.json"]) == ["/", "/config.json", "/index.html"]


def _function(handler: str, events: dict[str, Any] | None = None) -> dict[str, Any]:
    return {
        "Type": "AWS::Serverless::Function",
        "Properties": {
            "Handler": handler,
            "Runtime": "python3.11",
            "Environment": {"Variables": {"NEZUKO_EVENTS_STREAM_ARN": STREAM_PLACEHOLDER}},
            **({"Events": events} if events else {}),
        },
    }


def test_the_packaged_stream_source_gets_partial_failures_and_the_table_stream() -> None:
    # Given a merged template as chalice package writes it
    sam = {
        "Resources": {
            "EventsTable": {
                "Type": "AWS::DynamoDB::Table",
                "Properties": {"StreamSpecification": {"StreamViewType": "NEW_IMAGE"}},
            },
            "OnEvents": _function(
                functions()["on_events"],
                {"S": {"Type": "DynamoDB", "Properties": {"Stream": STREAM_PLACEHOLDER}}},
            ),
            "APIHandler": _function("app.app"),
        }
    }
    # When it is post-processed
    out = postprocess(sam, StageNames.load("dev"))
    # Then names are Chalice's deploy names and the stream source is fully configured
    on_events = out["Resources"]["OnEvents"]["Properties"]
    assert on_events["FunctionName"] == "nezuko-dev-on_events"
    assert out["Resources"]["APIHandler"]["Properties"]["FunctionName"] == "nezuko-dev"
    source = on_events["Events"]["S"]["Properties"]
    assert source["Stream"] == {"Fn::GetAtt": ["EventsTable", "StreamArn"]}
    assert {k: source[k] for k in STREAM_MAPPING} == STREAM_MAPPING
    assert source["DestinationConfig"]["OnFailure"]["Type"] == "SQS"
    assert on_events["Environment"]["Variables"]["NEZUKO_EVENTS_STREAM_ARN"] == source["Stream"]
