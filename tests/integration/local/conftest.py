"""Fixtures for the local-stack integration tests."""

from collections.abc import Iterator
from pathlib import Path

import pytest

from infra.local.dynamodb import DynamoDBLocal, ensure_jar

REPO_ROOT = Path(__file__).resolve().parents[3]
DYNAMODB_CACHE = REPO_ROOT / ".local" / "cache" / "dynamodb"


@pytest.fixture(scope="session")
def dynamodb_local() -> Iterator[DynamoDBLocal]:
    """One in-memory DynamoDB Local on a free port for the whole session (``.endpoint``)."""
    with DynamoDBLocal(ensure_jar(DYNAMODB_CACHE)) as server:
        yield server
