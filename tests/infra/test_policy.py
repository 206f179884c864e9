"""The hand-written IAM policies: least privilege, and in step with the stage's resources."""

from __future__ import annotations

import fnmatch
import json
from typing import Any

import pytest

from chalicelib.store.schema import table_definitions
from infra.aws.naming import CHALICE_DIR, StageNames, chalice_config, functions

STAGES = ["dev", "prod"]


def _policy(stage: str) -> list[dict[str, Any]]:
    config = chalice_config()["stages"][stage]
    assert config["autogen_policy"] is False
    return list(json.loads((CHALICE_DIR / config["iam_policy_file"]).read_text())["Statement"])


def _as_list(value: Any) -> list[str]:
    return [value] if isinstance(value, str) else list(value)


def _granted(stage: str, action: str) -> list[str]:
    return [
        r
        for s in _policy(stage)
        if s["Effect"] == "Allow" and action in _as_list(s["Action"])
        for r in _as_list(s["Resource"])
    ]


def _covers(patterns: list[str], arn: str) -> bool:
    return any(fnmatch.fnmatchcase(arn, p) for p in patterns)


@pytest.mark.parametrize("stage", STAGES)
def test_no_statement_grants_a_wildcard_action_or_a_wildcard_resource(stage: str) -> None:
    for statement in _policy(stage):
        for action in _as_list(statement["Action"]):
            assert action != "*" and not action.endswith(":*"), action
        for resource in _as_list(statement["Resource"]):
            assert resource != "*", statement


@pytest.mark.parametrize("stage", STAGES)
def test_the_functions_can_use_every_table_and_index_of_their_stage_and_no_other(
    stage: str,
) -> None:
    names = StageNames.load(stage)
    granted = _granted(stage, "dynamodb:PutItem")
    for definition in table_definitions(names.settings()):
        table = f"arn:aws:dynamodb:eu-west-1:111122223333:table/{definition['TableName']}"
        assert _covers(granted, table)
        for index in definition.get("GlobalSecondaryIndexes", []):
            assert _covers(_granted(stage, "dynamodb:Query"), f"{table}/index/{index['IndexName']}")
    other = "prod" if stage == "dev" else "dev"
    assert not _covers(granted, f"arn:aws:dynamodb:eu-west-1:1:table/nezuko-{other}-bots")


@pytest.mark.parametrize("stage", STAGES)
def test_secrets_logs_stream_queue_and_sockets_are_granted_on_the_stage_names(stage: str) -> None:
    names = StageNames.load(stage)
    region_account = "eu-west-1:111122223333"
    for parameter in (names.token_keys_parameter, names.session_secret_parameter):
        arn = f"arn:aws:ssm:{region_account}:parameter{parameter}"
        assert _covers(_granted(stage, "ssm:GetParameter"), arn)
    for resource in functions():
        arn = f"arn:aws:logs:{region_account}:log-group:{names.log_group(resource)}:log-stream:x"
        assert _covers(_granted(stage, "logs:PutLogEvents"), arn)
    stream = f"arn:aws:dynamodb:{region_account}:table/{names.table_prefix}-events/stream/2026"
    assert _covers(_granted(stage, "dynamodb:GetRecords"), stream)
    assert _covers(
        _granted(stage, "sqs:SendMessage"), f"arn:aws:sqs:{region_account}:{names.events_dlq}"
    )
    socket = f"arn:aws:execute-api:{region_account}:abc123/{names.ws_stage}/POST/@connections/x"
    assert _covers(_granted(stage, "execute-api:ManageConnections"), socket)


@pytest.mark.parametrize("stage", STAGES)
def test_kms_decrypt_is_limited_to_ssm_and_this_stages_parameters(stage: str) -> None:
    names = StageNames.load(stage)
    (statement,) = [s for s in _policy(stage) if "kms:Decrypt" in _as_list(s["Action"])]
    condition = statement["Condition"]["StringLike"]
    assert condition["kms:ViaService"] == "ssm.*.amazonaws.com"
    assert condition["kms:EncryptionContext:PARAMETER_ARN"].endswith(f"{names.parameter_prefix}/*")
