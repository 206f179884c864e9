"""The infra stack on CloudFormation, the SSM secrets and the stream mapping settings."""

from __future__ import annotations

import json
import secrets
import time
from typing import Any

from infra.aws.naming import StageNames
from infra.aws.template import Template

#: CloudFormation's TemplateBody limit (larger templates must come from S3).
TEMPLATE_BODY_LIMIT = 51_200

#: What the stream mapping gets after ``chalice deploy`` (Chalice cannot set these).
STREAM_MAPPING: dict[str, Any] = {
    "FunctionResponseTypes": ["ReportBatchItemFailures"],
    "MaximumRetryAttempts": 5,
    "BisectBatchOnFunctionError": True,
    "MaximumRecordAgeInSeconds": 21_600,
}


class DeployError(RuntimeError):
    """A deployment step failed in a way the operator must look at."""


def _client_error_code(exc: Exception) -> str:
    response = getattr(exc, "response", None) or {}
    return str(response.get("Error", {}).get("Code", ""))


def _client_error_message(exc: Exception) -> str:
    response = getattr(exc, "response", None) or {}
    return str(response.get("Error", {}).get("Message", ""))


def stack_status(cfn: Any, stack_name: str) -> str | None:
    """The stack's status, or None when it does not exist."""
    try:
        stacks = cfn.describe_stacks(StackName=stack_name)["Stacks"]
    except Exception as exc:
        if "does not exist" in _client_error_message(exc):
            return None
        raise
    return str(stacks[0]["StackStatus"]) if stacks else None


def stack_outputs(cfn: Any, stack_name: str) -> dict[str, str]:
    """The stack's outputs by key."""
    stack = cfn.describe_stacks(StackName=stack_name)["Stacks"][0]
    return {o["OutputKey"]: o["OutputValue"] for o in stack.get("Outputs", [])}


def deploy_stack(
    cfn: Any,
    names: StageNames,
    template: Template,
    *,
    parameters: dict[str, str] | None = None,
    wait_delay: int = 5,
) -> tuple[str, dict[str, str]]:
    """Create or update the infra stack and wait; a no-op when nothing changed.

    Returns ("created" | "updated" | "unchanged", outputs).
    """
    body = json.dumps(template, separators=(",", ":"))
    if len(body) > TEMPLATE_BODY_LIMIT:
        raise DeployError(
            f"the infra template is {len(body)} bytes, over CloudFormation's inline limit of "
            f"{TEMPLATE_BODY_LIMIT}: upload it to S3 and pass TemplateURL"
        )
    declared = template.get("Parameters", {})
    params = [
        {"ParameterKey": k, "ParameterValue": str(v)}
        for k, v in (parameters or {}).items()
        if k in declared
    ]
    tags = [{"Key": "app", "Value": names.app_name}, {"Key": "stage", "Value": names.stage}]
    name = names.stack_name
    waiter_config = {"Delay": wait_delay, "MaxAttempts": 720}
    status = stack_status(cfn, name)
    if status == "ROLLBACK_COMPLETE":  # a failed first create can only be deleted
        print(f"stack {name} is ROLLBACK_COMPLETE from a failed create: deleting it first")
        cfn.delete_stack(StackName=name)
        cfn.get_waiter("stack_delete_complete").wait(StackName=name, WaiterConfig=waiter_config)
        status = None
    if status is None:
        print(f"creating stack {name}", flush=True)
        cfn.create_stack(
            StackName=name,
            TemplateBody=body,
            Parameters=params,
            Tags=tags,
            OnFailure="ROLLBACK",
            EnableTerminationProtection=names.retained,
        )
        cfn.get_waiter("stack_create_complete").wait(StackName=name, WaiterConfig=waiter_config)
        return "created", stack_outputs(cfn, name)
    if status.endswith("_IN_PROGRESS"):
        raise DeployError(f"stack {name} is {status}: wait for it to finish and re-run")
    if _unchanged(cfn, name, template, params):
        print(f"stack {name} is up to date")
        return "unchanged", stack_outputs(cfn, name)
    try:
        print(f"updating stack {name}", flush=True)
        cfn.update_stack(StackName=name, TemplateBody=body, Parameters=params, Tags=tags)
    except Exception as exc:
        if "No updates are to be performed" in _client_error_message(exc):
            print(f"stack {name} is up to date")
            return "unchanged", stack_outputs(cfn, name)
        raise
    cfn.get_waiter("stack_update_complete").wait(StackName=name, WaiterConfig=waiter_config)
    return "updated", stack_outputs(cfn, name)


def _unchanged(cfn: Any, name: str, template: Template, params: list[dict[str, str]]) -> bool:
    """Same template and parameter values as deployed (CloudFormation would say the same)."""
    body = cfn.get_template(StackName=name, TemplateStage="Original")["TemplateBody"]
    if isinstance(body, str):
        try:
            body = json.loads(body)
        except ValueError:  # deployed from YAML by hand: let CloudFormation decide
            return False
    if json.dumps(body, sort_keys=True) != json.dumps(template, sort_keys=True):
        return False
    wanted = {k: str(v.get("Default", "")) for k, v in template.get("Parameters", {}).items()} | {
        p["ParameterKey"]: p["ParameterValue"] for p in params
    }
    stack = cfn.describe_stacks(StackName=name)["Stacks"][0]
    current = {p["ParameterKey"]: p.get("ParameterValue", "") for p in stack.get("Parameters", [])}
    return all(current.get(k) == v for k, v in wanted.items())


def delete_stack(cfn: Any, names: StageNames, *, wait_delay: int = 5) -> bool:
    """Delete the infra stack and wait; False when there was none."""
    if stack_status(cfn, names.stack_name) is None:
        return False
    if names.retained:
        cfn.update_termination_protection(
            StackName=names.stack_name, EnableTerminationProtection=False
        )
    cfn.delete_stack(StackName=names.stack_name)
    cfn.get_waiter("stack_delete_complete").wait(
        StackName=names.stack_name, WaiterConfig={"Delay": wait_delay, "MaxAttempts": 720}
    )
    return True


def new_secret_values() -> dict[str, str]:
    """Fresh values for a stage's secrets, by kind."""
    from chalicelib.crypto import Keyring

    return {"token-keys": Keyring.new_key_spec("k1"), "session-secret": secrets.token_urlsafe(48)}


def ensure_secrets(ssm: Any, names: StageNames) -> list[str]:
    """Create the stage's SecureString parameters that are missing; never overwrite one.

    CloudFormation cannot create SecureString parameters, so deploy does. Returns the names
    it created. Rotating a key is a deliberate act (see docs/deploy.md), never a re-deploy.
    """
    values = new_secret_values()
    wanted = {
        names.token_keys_parameter: (values["token-keys"], "Nezuko token encryption keyring"),
        names.session_secret_parameter: (values["session-secret"], "Nezuko session HMAC key"),
    }
    created = []
    for name, (value, description) in wanted.items():
        try:
            ssm.get_parameter(Name=name)  # no decryption: existence is all we need
            continue
        except Exception as exc:
            if _client_error_code(exc) != "ParameterNotFound":
                raise
        try:
            ssm.put_parameter(
                Name=name,
                Value=value,
                Type="SecureString",
                Overwrite=False,
                Description=description,
                Tags=[
                    {"Key": "app", "Value": names.app_name},
                    {"Key": "stage", "Value": names.stage},
                ],
            )
            created.append(name)
        except Exception as exc:
            if _client_error_code(exc) != "ParameterAlreadyExists":  # lost a race: fine
                raise
    return created


def delete_secrets(ssm: Any, names: StageNames) -> list[str]:
    """Delete the stage's parameters (only for stages whose data is deleted too)."""
    deleted = []
    for name in (names.token_keys_parameter, names.session_secret_parameter):
        try:
            ssm.delete_parameter(Name=name)
            deleted.append(name)
        except Exception as exc:
            if _client_error_code(exc) != "ParameterNotFound":
                raise
    return deleted


def read_secret(ssm: Any, name: str) -> str:
    """A SecureString's plain value."""
    return str(ssm.get_parameter(Name=name, WithDecryption=True)["Parameter"]["Value"])


def configure_stream_mapping(
    lambda_client: Any,
    function_name: str,
    stream_arn: str,
    dead_letter_arn: str,
    *,
    settings: dict[str, Any] | None = None,
    wait: float = 60.0,
) -> list[str]:
    """Set partial-batch failures, retries, bisect and the on-failure queue on the mapping.

    Returns the UUIDs it changed (empty when already configured: re-runs are no-ops).
    """
    desired = {
        **(settings or STREAM_MAPPING),
        "DestinationConfig": {"OnFailure": {"Destination": dead_letter_arn}},
    }
    function_arn = lambda_client.get_function_configuration(FunctionName=function_name)[
        "FunctionArn"
    ]
    pages = lambda_client.get_paginator("list_event_source_mappings").paginate(
        FunctionName=function_arn
    )
    mappings = [
        m
        for page in pages
        for m in page["EventSourceMappings"]
        if m["EventSourceArn"] == stream_arn
    ]
    if not mappings:
        raise DeployError(f"{function_name} has no event source mapping for {stream_arn}")
    changed = []
    for mapping in mappings:
        if all(mapping.get(k) == v for k, v in desired.items()):
            continue
        deadline = time.monotonic() + wait
        while mapping.get("State") in ("Creating", "Updating", "Enabling"):
            if time.monotonic() > deadline:
                raise DeployError(f"mapping {mapping['UUID']} stays {mapping['State']}")
            time.sleep(2)
            mapping = lambda_client.get_event_source_mapping(UUID=mapping["UUID"])
        lambda_client.update_event_source_mapping(UUID=mapping["UUID"], **desired)
        changed.append(str(mapping["UUID"]))
    return changed
