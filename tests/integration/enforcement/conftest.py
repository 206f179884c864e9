"""Scenario fixtures: a fresh sandbox world and a real webhook per test."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from chalicelib.config import Settings
from chalicelib.crypto import Keyring
from chalicelib.store.bundle import dynamo_stores
from chalicelib.store.schema import Tables
from chalicelib.telegram.once import PowertoolsRunOnce
from infra.local.sandbox import Sandbox
from tests.support.harness import Harness


@pytest.fixture
def h(tables: Tables, ddb_settings: Settings) -> Iterator[Harness]:
    import boto3

    client = boto3.client(
        "dynamodb", region_name="us-east-1", endpoint_url=ddb_settings.dynamodb_endpoint
    )
    harness = Harness(
        sandbox=Sandbox(retry_delays=(0.05, 0.1, 0.2)),
        stores=dynamo_stores(tables),
        settings=ddb_settings,
        keyring=Keyring.from_spec(Keyring.new_key_spec("t1")),
        once=PowertoolsRunOnce(ddb_settings.table_name("idempotency"), client),
    )
    try:
        yield harness
    finally:
        harness.close()
