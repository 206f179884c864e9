"""Shared fixtures: one DynamoDB Local per test session, tables created from the models."""

from __future__ import annotations

import os
import secrets
from collections.abc import Iterator
from pathlib import Path

import pytest

from chalicelib.config import Settings
from chalicelib.store.bundle import Stores, dynamo_stores, memory_stores
from chalicelib.store.schema import Tables, bind, ensure_tables

ROOT = Path(__file__).resolve().parent.parent

# Nothing here talks to AWS: make sure boto3 never finds real credentials or a region.
os.environ.setdefault("AWS_ACCESS_KEY_ID", "local")
os.environ.setdefault("AWS_SECRET_ACCESS_KEY", "local")
os.environ.setdefault("AWS_DEFAULT_REGION", "us-east-1")


@pytest.fixture(scope="session")
def dynamodb_endpoint() -> Iterator[str]:
    """A DynamoDB Local (in memory, free port) shared by the whole session."""
    from infra.local.dynamodb import DynamoDBLocal, ensure_jar

    jar_dir = ensure_jar(ROOT / ".local" / "cache" / "dynamodb")
    with DynamoDBLocal(jar_dir, data_dir=None) as ddb:
        yield ddb.endpoint


@pytest.fixture(scope="session")
def ddb_settings(dynamodb_endpoint: str) -> Settings:
    """Settings of a throwaway deployment on the session's DynamoDB Local, tables created."""
    settings = Settings(
        stage="test",
        table_prefix=f"test{secrets.token_hex(3)}",
        dynamodb_endpoint=dynamodb_endpoint,
        token_keys=",".join(["k1:" + "A" * 43]),
        session_secret="test-session-secret",
    )
    ensure_tables(settings)
    return settings


@pytest.fixture(scope="session")
def tables(ddb_settings: Settings) -> Tables:
    """The models bound to the session's tables."""
    return bind(ddb_settings)


@pytest.fixture(params=["memory", "dynamodb"])
def stores(request: pytest.FixtureRequest) -> Stores:
    """Every store, once in memory and once on DynamoDB Local: the contract tests run on both."""
    if request.param == "memory":
        return memory_stores()
    return dynamo_stores(request.getfixturevalue("tables"))


@pytest.fixture
def bot_id() -> int:
    """A bot id no other test uses (tests share one set of tables)."""
    return secrets.randbelow(10**9) + 10**9
