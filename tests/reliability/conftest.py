"""Reliability fixtures: the scenario harness (real webhook, sandbox, DynamoDB Local)."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from chalicelib.config import Settings
from chalicelib.crypto import Keyring
from chalicelib.store.bundle import dynamo_stores
from chalicelib.store.records import EventQuery
from chalicelib.store.schema import Tables
from chalicelib.telegram.once import PowertoolsRunOnce
from infra.local.sandbox import Sandbox
from tests.support.harness import Harness


def make_harness(tables: Tables, settings: Settings, **sandbox: Any) -> Harness:
    import boto3

    client = boto3.client(
        "dynamodb", region_name="us-east-1", endpoint_url=settings.dynamodb_endpoint
    )
    h = Harness(
        sandbox=Sandbox(**{"retry_delays": (0.05, 0.1, 0.2, 0.4, 0.8), **sandbox}),
        stores=dynamo_stores(tables),
        settings=settings,
        keyring=Keyring.from_spec(Keyring.new_key_spec("r1")),
        once=PowertoolsRunOnce(settings.table_name("idempotency"), client),
    )
    # The stdlib server writes headers and body apart: without this each delivery waits
    # ~40 ms for a delayed ACK (slow, not wrong).
    h.webhook.server.RequestHandlerClass.disable_nagle_algorithm = True
    return h


@pytest.fixture
def h(tables: Tables, ddb_settings: Settings) -> Iterator[Harness]:
    harness = make_harness(tables, ddb_settings)
    try:
        yield harness
    finally:
        harness.close()
        harness.sandbox.close()


def all_events(h: Harness, *types: str, user_id: int | None = None) -> list[Any]:
    """Every event of the harness's bot (all pages), oldest first."""
    items: list[Any] = []
    cursor = None
    while True:
        page = h.stores.events.query(
            EventQuery(bot_id=h.bot_id, types=types, user_id=user_id, limit=200, cursor=cursor)
        )
        items += page.items
        cursor = page.cursor
        if not cursor:
            return list(reversed(items))


def mutes_of(h: Harness, user_id: int) -> list[dict[str, Any]]:
    """Successful restrictChatMember calls that took the right to write from ``user_id``."""
    return [
        c
        for c in h.calls("restrictChatMember")
        if c["ok"]
        and c["params"].get("user_id") == user_id
        and not _permissions(c)["can_send_messages"]
    ]


def unmutes_of(h: Harness, user_id: int) -> list[dict[str, Any]]:
    return [
        c
        for c in h.calls("restrictChatMember")
        if c["ok"]
        and c["params"].get("user_id") == user_id
        and _permissions(c)["can_send_messages"]
    ]


def _permissions(call: dict[str, Any]) -> dict[str, Any]:
    import json

    raw = call["params"].get("permissions") or {}
    return json.loads(raw) if isinstance(raw, str) else dict(raw)


def point_webhook(h: Harness, url: str) -> None:
    """Re-point the bot's webhook (same secret and allowed updates) at ``url``."""
    info = h.sandbox.api_call(h.bot["token"], "getWebhookInfo")[1]["result"]
    h.sandbox.set_webhook(
        h.bot_id,
        f"{url}/telegram/{h.bot_id}",
        secret_token=h.keyring.decrypt(h.bot_record.webhook_secret_ciphertext),
        allowed_updates=info.get("allowed_updates"),
    )
