"""The parts every benchmark shares: its own DynamoDB Local, tables, a meter, a harness."""

from __future__ import annotations

import os
import secrets
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent

for _name, _value in (
    ("AWS_ACCESS_KEY_ID", "local"),
    ("AWS_SECRET_ACCESS_KEY", "local"),
    ("AWS_DEFAULT_REGION", "us-east-1"),
):
    os.environ.setdefault(_name, _value)


@dataclass
class Backend:
    """DynamoDB Local with a fresh table set, and the meter hooked on its clients."""

    settings: Any
    tables: Any
    client: Any
    meter: Any

    def env(self, telegram_url: str) -> dict[str, str]:
        """The environment ``app.py``'s container reads for this deployment."""
        return {
            "NEZUKO_STAGE": self.settings.stage,
            "NEZUKO_TABLE_PREFIX": self.settings.table_prefix,
            "AWS_ENDPOINT_URL_DYNAMODB": str(self.settings.dynamodb_endpoint),
            "NEZUKO_TOKEN_KEYS": str(self.settings.token_keys),
            "NEZUKO_SESSION_SECRET": str(self.settings.session_secret),
            "TELEGRAM_API_URL": telegram_url,
            "AWS_ACCESS_KEY_ID": "local",
            "AWS_SECRET_ACCESS_KEY": "local",
            "AWS_DEFAULT_REGION": "us-east-1",
        }


@contextmanager
def backend() -> Iterator[Backend]:
    """Start DynamoDB Local (in memory), create the tables and hook the meter."""
    import boto3

    from bench.meter import CapacityMeter
    from chalicelib.config import Settings
    from chalicelib.crypto import Keyring
    from chalicelib.store.schema import bind, ensure_tables
    from infra.local.dynamodb import DynamoDBLocal, ensure_jar

    jar_dir = ensure_jar(ROOT / ".local" / "cache" / "dynamodb")
    with DynamoDBLocal(jar_dir, data_dir=None) as ddb:
        settings = Settings(
            stage="bench",
            table_prefix=f"bench{secrets.token_hex(3)}",
            dynamodb_endpoint=ddb.endpoint,
            token_keys=Keyring.new_key_spec("b1"),
            session_secret=secrets.token_urlsafe(24),
        )
        ensure_tables(settings)
        tables = bind(settings)
        client = boto3.client("dynamodb", region_name="us-east-1", endpoint_url=ddb.endpoint)
        meter = CapacityMeter()
        meter.attach(client)
        meter.attach_tables(tables)
        yield Backend(settings, tables, client, meter)


@contextmanager
def harness(
    b: Backend, *, retry_delays: tuple[float, ...] = (0.2, 0.5, 1, 2, 4, 8)
) -> Iterator[Any]:
    """The scenario harness of the test suite (real webhook over HTTP, sandbox, DynamoDB)."""
    from chalicelib.crypto import Keyring
    from chalicelib.store.bundle import dynamo_stores
    from chalicelib.telegram.once import PowertoolsRunOnce
    from infra.local.sandbox import Sandbox
    from tests.support.harness import Harness

    h = Harness(
        sandbox=Sandbox(retry_delays=retry_delays, wait_timeout=30.0),
        stores=dynamo_stores(b.tables),
        settings=b.settings,
        keyring=Keyring.from_spec(str(b.settings.token_keys)),
        once=PowertoolsRunOnce(b.settings.table_name("idempotency"), b.client),
    )
    try:
        yield h
    finally:
        h.close()
        h.sandbox.close()


def percentile(values: list[float], q: float) -> float:
    """Nearest-rank percentile (q in 0..100) of a non-empty list."""
    ordered = sorted(values)
    rank = max(1, min(len(ordered), round(q / 100 * len(ordered) + 0.5)))
    return ordered[rank - 1]
